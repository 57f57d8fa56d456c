// 你点我讲: what residents asked for, oldest waiting first, with the most asked topics to plan the
// next lessons by. A request is answered with a published lesson (one already written, or a new
// one written for it) or declined with a reason the resident reads.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { when } from './lessons.js';

const STATE = { received: '待处理', answered: '已答复', declined: '不安排' };
const problemOf = (e) => (e.details.length ? e.details.map(p => p.problem).join('；') : messageOf(e));

function actions(r, lessons, onDone) {
  const said = h('div', { role: 'status' });
  const pick = h('select', { 'aria-label': '用哪一课答复' },
    h('option', { value: '' }, '选一课已发布的课程…'),
    lessons.map(l => h('option', { value: l.slug }, l.title)));
  const answer = h('button', { type: 'button', onclick: async () => {
    if (!pick.value) { said.replaceChildren(box('error', '请先选一课')); return; }
    answer.disabled = true;
    try { onDone(await api('POST', `/admin/lesson-requests/${r.id}/answer`, { slug: pick.value })); }
    catch (e) { said.replaceChildren(box('error', problemOf(e))); }
    finally { answer.disabled = false; }
  } }, '答复');
  const reason = h('input', { maxlength: 200, placeholder: '告诉居民为什么不安排，如：已有相关课程，请在学法里看', 'aria-label': '不安排的原因' });
  const decline = h('button', { class: 'secondary', type: 'button', onclick: async () => {
    decline.disabled = true;
    try { onDone(await api('POST', `/admin/lesson-requests/${r.id}/decline`, { reason: reason.value })); }
    catch (e) { said.replaceChildren(box('error', problemOf(e))); }
    finally { decline.disabled = false; }
  } }, '不安排');
  return h('div', { class: 'request-actions' },
    h('div', { class: 'row' }, pick, answer, h('a', { class: 'button secondary', href: `#/lessons/new/for/${r.id}` }, '写新课答复')),
    h('div', { class: 'row' }, reason, decline),
    said);
}

export async function render({ root }, state = 'received') {
  const [page, lessons] = await Promise.all([
    api('GET', `/admin/lesson-requests?limit=200${state ? `&state=${state}` : ''}`),
    api('GET', '/admin/lessons?limit=200'),
  ]);
  const published = lessons.items.filter(l => l.published);
  const flash = sessionStorage.getItem('pufa.staff.said');
  sessionStorage.removeItem('pufa.staff.said');
  const row = (r) => {
    const tr = h('tr', { 'data-id': r.id },
      h('td', { class: 'num' }, `${r.id}号`),
      h('td', {}, h('b', {}, r.topic), h('div', { class: 'muted small' }, `居民${r.user_id}号 · ${when(r.created_at)}`)),
      h('td', {}, h('span', { class: `pill ${r.state}` }, STATE[r.state])),
      h('td', {}, r.state === 'received' ? actions(r, published, (done) => tr.replaceWith(row(done)))
        : r.state === 'answered' ? h('span', {}, '用课程答复：', r.lesson ? h('a', { href: `#/lessons/edit/${r.lesson.slug}` }, r.lesson.title) : '（课程已删除）', h('div', { class: 'muted small' }, when(r.decided_at)))
          : h('span', {}, `原因：${r.reason}`, h('div', { class: 'muted small' }, when(r.decided_at)))));
    return tr;
  };
  const filter = h('div', { class: 'seg' }, [['', `全部（${page.received + page.answered + page.declined}）`], ['received', `待处理（${page.received}）`],
    ['answered', `已答复（${page.answered}）`], ['declined', `不安排（${page.declined}）`]].map(([s, text]) =>
    h('button', { type: 'button', 'aria-pressed': String(s === state), onclick: () => render({ root }, s) }, text)));
  const topic = (t) => h('li', {}, h('span', {}, t.topic), h('b', { class: 'times' }, `${t.requests}次`));
  show(root,
    flash ? box('ok', flash) : null,
    h('section', { class: 'card', id: 'request-topics' },
      h('h2', {}, `大家最想听的（${state ? STATE[state] : '全部'}的点课）`),
      page.topics.length ? [h('ol', { class: 'topic-counts' }, page.topics.slice(0, 10).map(topic)),
        page.topics.length > 10 ? h('details', {}, h('summary', {}, `其余${page.topics.length - 10}个话题`),
          h('ol', { class: 'topic-counts', start: 11 }, page.topics.slice(10).map(topic))) : null]
        : h('p', { class: 'muted' }, '还没有人点课。')),
    h('section', { class: 'card', id: 'lesson-requests' },
      h('h2', {}, '你点我讲'),
      h('p', { class: 'muted' }, '居民点的课，先来的在前。可以用已发布的课程答复，也可以专门写一课；不安排的要写明原因，居民能看到。'),
      filter,
      page.items.length ? h('table', { class: 'requests-table' },
        h('thead', {}, h('tr', {}, ['编号', '想听什么', '状态', '处理'].map(t => h('th', {}, t)))),
        h('tbody', {}, page.items.map(row))) : h('p', { class: 'muted' }, '没有这样的点课。'),
      page.total > page.items.length ? h('p', { class: 'muted' }, `只列出前${page.items.length}条，共${page.total}条。`) : null));
  window.scrollTo(0, 0);
}
