// 以案释法: every lesson, drafts included, most recently changed first; publish or take back one
// in a click, open one to edit it, or write a new one.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';

export const SOURCE = { file: '课程文件', staff: '后台编辑' };
/** A time as staff read it, in Asia/Shanghai, to the minute. */
export const when = (iso) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false,
  year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export async function render({ root }) {
  const page = await api('GET', '/admin/lessons?limit=200');
  const said = h('div', { role: 'status' });
  const row = (l) => {
    const state = h('span', { class: `pill ${l.published ? 'on' : 'off'}` }, l.published ? '已发布' : '草稿');
    const toggle = h('button', { class: 'secondary', type: 'button', onclick: async () => {
      toggle.disabled = true;
      try {
        const saved = await api('POST', `/admin/lessons/${l.slug}/${l.published ? 'unpublish' : 'publish'}`);
        l.published = saved.published;
        state.textContent = l.published ? '已发布' : '草稿';
        state.className = `pill ${l.published ? 'on' : 'off'}`;
        toggle.textContent = l.published ? '撤回' : '发布';
        said.replaceChildren(box('ok', `${l.published ? '已发布' : '已撤回'}：${l.title}`));
      } catch (e) { said.replaceChildren(box('error', messageOf(e))); }
      finally { toggle.disabled = false; }
    } }, l.published ? '撤回' : '发布');
    return h('tr', { 'data-slug': l.slug },
      h('td', {}, h('a', { href: `#/lessons/edit/${l.slug}` }, l.title), h('div', { class: 'muted small' }, l.slug)),
      h('td', {}, l.tags.join('、')),
      h('td', {}, l.articles.map(n => `第${n}条`).join('、')),
      h('td', {}, state),
      h('td', { class: 'num' }, `第${l.revision}版`, h('div', { class: 'muted small' }, SOURCE[l.source] || l.source)),
      h('td', { class: 'num' }, when(l.updated_at)),
      h('td', { class: 'actions' }, h('a', { class: 'button secondary', href: `#/lessons/edit/${l.slug}` }, '编辑'), toggle));
  };
  const published = page.items.filter(l => l.published).length;
  show(root, h('section', { class: 'card', id: 'lessons' },
    h('div', { class: 'row' }, h('h2', {}, '以案释法课程'), h('a', { class: 'button', href: '#/lessons/new' }, '写新课程')),
    h('p', { class: 'muted' }, `共${page.total}课，已发布${published}课，草稿${page.total - published}课。居民只能看到已发布的课程。`),
    said,
    h('table', { class: 'lessons-table' },
      h('thead', {}, h('tr', {}, ['标题', '话题', '引用条文', '状态', '版本', '最后修改', ''].map(t => h('th', {}, t)))),
      h('tbody', {}, page.items.map(row)))));
  window.scrollTo(0, 0);
}
