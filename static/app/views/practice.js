// 练习: practice by 编, and the offline pack.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { PACK, gradeOffline, queueAnswer, readJson } from '../parts/offline.js';
import { KIND, choiceInputs, markOptions, revealBox } from '../parts/question.js';
import { speakButton } from '../parts/speech.js';

/** A practice question with immediate feedback; `offline` grades it from the pack on the phone. */
export function practiceCard(q, { offline = false, notice } = {}) {
  const after = h('div');
  const inputs = choiceInputs(q, async (choice) => {
    inputs.lock();
    let r;
    if (offline || !navigator.onLine) {
      r = gradeOffline(q, choice);
      queueAnswer({ question_id: q.id, choice });
    } else {
      try { r = await api('POST', '/practice/answers', { question_id: q.id, choice }, { retries: 2 }); }
      catch (x) { after.replaceChildren(box('error', messageOf(x))); return; }
    }
    const given = typeof choice === 'boolean' ? (choice ? 'T' : 'F') : choice;
    markOptions(card, r.answer, given);
    after.replaceChildren(revealBox(r, notice));
  });
  const card = h('section', { class: 'card' },
    h('p', { class: 'muted' }, `${q.category} · ${KIND[q.kind]}`),
    h('h2', { class: 'stem' }, q.stem),
    speakButton(q.stem + '。' + q.options.map(o => `${o.key}，${o.text}`).join('。'), notice),
    inputs.el, after);
  return card;
}

export async function render({ root }) {
  const pack = readJson(PACK, null);
  const list = h('div');
  const notice = (text) => root.prepend(box('notice', text));
  let categories = [];
  try { categories = await api('GET', '/categories'); } catch { /* offline: the pack still works */ }
  const start = async (category) => {
    try {
      const qs = await api('GET', `/practice?count=10${category ? `&category=${encodeURIComponent(category)}` : ''}`);
      list.replaceChildren(...qs.map(q => practiceCard(q, { notice })));
    } catch {
      list.replaceChildren(h('p', {}, '没有网络，用离线练习包练习：'),
        ...(pack ? pack.questions.slice(0, 10).map(q => practiceCard(q, { offline: true, notice })) : [box('error', '还没有下载离线练习包')]));
    }
  };
  const packInfo = h('p', { class: 'muted', id: 'pack-info' }, pack ? `已下载离线练习包：${pack.questions.length}题` : '没网的时候也能练：先下载离线练习包');
  const download = async () => {
    try {
      const p = await api('GET', '/practice/pack?count=50');
      localStorage.setItem(PACK, JSON.stringify(p));
      packInfo.textContent = `已下载离线练习包：${p.questions.length}题`;
    } catch (x) { packInfo.replaceChildren(box('error', messageOf(x))); }
  };
  show(root, h('h1', {}, '按编练习'),
    h('div', { class: 'seg wrap' }, h('button', { type: 'button', onclick: () => start(null) }, '随机'),
      categories.map(c => h('button', { type: 'button', onclick: () => start(c.name) }, c.name))),
    h('section', { class: 'card' }, packInfo, h('button', { class: 'secondary wide', id: 'download-pack', type: 'button', onclick: download }, '下载离线练习包'),
      pack ? h('button', { class: 'secondary wide', id: 'offline-practice', type: 'button',
        onclick: () => list.replaceChildren(...pack.questions.slice(0, 10).map(q => practiceCard(q, { offline: true, notice }))) }, '用离线包练习') : null),
    list);
}
