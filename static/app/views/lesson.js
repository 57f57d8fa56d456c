// A 以案释法 lesson: the case, what the law says, what to do. Read aloud block by block; every Civil
// Code citation opens the article's text in place (the lesson brings the texts of its articles,
// so this works offline too). A lesson once opened is kept on the phone for reading offline.

import { api } from '../../lib/api.js';
import { renderBlocks } from '../../lib/blocks.js';
import { box, h, show } from '../../lib/dom.js';
import { keep, kept } from '../parts/kept.js';
import { citeButton, linkCitations, remember } from '../parts/law.js';
import { speak, stopSpeaking } from '../parts/speech.js';

export async function render({ root, leave }, slug) {
  let lesson;
  let offline = false;
  try {
    lesson = await api('GET', `/lessons/${encodeURIComponent(slug)}`, undefined, { retries: 1 });
    keep(lesson);
  } catch (x) {
    if (x.code !== 'offline' && x.code !== 'timeout') throw x;
    lesson = await kept(slug);
    if (!lesson) {
      return show(root, back(), box('notice', '现在没有网络，这一课还没有在这部手机上读过，联网后才能看。'));
    }
    offline = true;
  }
  remember(lesson.cited);
  leave(stopSpeaking);
  const notice = (text) => root.prepend(box('notice', text));
  const state = { code: true };
  const body = renderBlocks(lesson.blocks, (text) => linkCitations(text, state));
  const aloud = [lesson.title, ...lesson.blocks.map(b => b.text)];
  show(root,
    back(),
    offline ? box('notice', '现在没有网络。这是您读过时存在手机上的内容。') : null,
    h('article', { class: 'card lesson' },
      h('h1', {}, lesson.title),
      h('p', { class: 'lesson-meta' }, lesson.tags.map(t => h('a', { class: 'chip', href: `#/learn/${encodeURIComponent(t)}` }, t)),
        h('span', { class: 'muted' }, `${lesson.author} · ${lesson.published_on}`)),
      h('div', { class: 'row aloud' },
        h('button', { class: 'speak', type: 'button', onclick: () => speak(aloud, notice) }, '▶ 朗读全文'),
        h('button', { class: 'speak', type: 'button', onclick: stopSpeaking }, '■ 停止')),
      body),
    lesson.cited.length ? h('section', { class: 'card cited' },
      h('h2', {}, '本课引用的法条'),
      h('p', { class: 'muted' }, '点一下条文号，就能看到法条原文。'),
      h('ul', { class: 'cited-list' }, lesson.cited.map(a => h('li', {}, citeButton(a.number),
        h('span', { class: 'snippet' }, snippet(a.text)))))) : null,
    h('section', { class: 'card' },
      h('p', {}, '还有想弄明白的法律问题？告诉我们，请律师专门讲。'),
      h('a', { class: 'button secondary wide', href: '#/ask' }, '你点我讲')));
  window.scrollTo(0, 0);
}

/** The first words of an article, to recognise it by. */
const snippet = (text) => { const flat = text.replace(/\s+/g, ''); return flat.length > 24 ? `${flat.slice(0, 24)}…` : flat; };

const back = () => h('a', { class: 'back', href: '#/learn' }, '‹ 返回学法');
