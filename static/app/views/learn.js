// 学法: 每日一法, 你点我讲, and the 以案释法 lessons by topic. Without a network it lists the
// lessons kept on this phone, which open offline.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { dailyLawCard } from '../parts/dailylaw.js';
import { keptLessons } from '../parts/kept.js';

const PAGE = 20;

function lessonCard(l, keptSlugs) {
  return h('a', { class: 'card lesson-card', href: `#/lesson/${encodeURIComponent(l.slug)}` },
    h('h2', {}, l.title),
    h('p', {}, l.summary),
    h('p', { class: 'lesson-tags' }, l.tags.map(t => h('span', { class: 'chip small' }, t)),
      keptSlugs.has(l.slug) ? h('span', { class: 'kept' }, '✓ 读过，没网也能看') : null));
}

function offlineList(root, kept, tag) {
  show(root, h('h1', {}, tag ? `学法 · ${tag}` : '学法'),
    box('notice', kept.length ? '现在没有网络。下面是在这部手机上读过的课，没网也能看：' : '现在没有网络。读过的课会存在手机上，没网时也能看；这部手机还没有读过课。'),
    kept.map(l => lessonCard(l, new Set([l.slug]))));
}

export async function render({ root }, tag) {
  const query = (offset) => `/lessons?limit=${PAGE}&offset=${offset}${tag ? `&tag=${encodeURIComponent(tag)}` : ''}`;
  let tags;
  let page;
  try {
    [tags, page] = await Promise.all([api('GET', '/lesson-tags'), api('GET', query(0), undefined, { retries: 1 })]);
  } catch (x) {
    if (x.code !== 'offline' && x.code !== 'timeout') throw x;
    return offlineList(root, (await keptLessons()).filter(l => !tag || l.tags.includes(tag)), tag);
  }
  const keptSlugs = new Set((await keptLessons()).map(l => l.slug));
  const list = h('div', { class: 'lessons' }, page.items.map(l => lessonCard(l, keptSlugs)));
  let shown = page.items.length;
  const more = h('button', { class: 'secondary wide', type: 'button', hidden: shown >= page.total, onclick: async () => {
    more.disabled = true;
    try {
      const next = await api('GET', query(shown), undefined, { retries: 1 });
      list.append(...next.items.map(l => lessonCard(l, keptSlugs)));
      shown += next.items.length;
      more.hidden = shown >= next.total || !next.items.length;
    } catch { more.textContent = '没有加载出来，再点一次'; }
    finally { more.disabled = false; }
  } }, '更多课程');
  const topics = h('nav', { class: 'chips', 'aria-label': '按话题看' },
    h('a', { class: 'chip', href: '#/learn', 'aria-current': tag ? null : 'page' }, '全部'),
    tags.map(t => h('a', { class: 'chip', href: `#/learn/${encodeURIComponent(t.tag)}`, 'aria-current': t.tag === tag ? 'page' : null },
      `${t.tag}（${t.lessons}）`)));
  if (tag) {
    // A topic: its lessons first, the other topics after them.
    show(root, h('a', { class: 'back', href: '#/learn' }, '‹ 返回学法'), h('h1', {}, `学法 · ${tag}`),
      h('p', { class: 'muted' }, `这个话题共${page.total}课`), list, more,
      h('h2', { class: 'section-head' }, '其他话题'), topics);
  } else {
    show(root, h('h1', {}, '学法'),
      await dailyLawCard(),
      h('section', { class: 'card ask-card' },
        h('h2', {}, '你点我讲'),
        h('p', {}, '想弄明白什么法律问题？写下来，司法局请律师专门讲一课。'),
        h('a', { class: 'button wide', href: '#/ask' }, '我想听…')),
      h('h2', { class: 'section-head' }, '以案释法 · 按话题看'),
      topics,
      h('p', { class: 'muted' }, `共${page.total}课，讲真实的案子和该怎么办`),
      list, more);
  }
  window.scrollTo(0, 0);
}
