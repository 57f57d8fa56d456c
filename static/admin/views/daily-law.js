// 每日一法: the items in rotation order (today's marked), each editable in place: title, plain
// gloss, in the rotation or not; and a new item for any article of the Code, which joins the end.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { SOURCE } from './lessons.js';

const LABEL = { title: '标题', gloss: '解读', article: '条文号', in_rotation: '轮换' };
const problemsOf = (e) => (e.details.length ? e.details.map(p => `${LABEL[p.field] || '内容'}：${p.problem}`).join('；') : messageOf(e));

function editor(item, onSaved, onCancel) {
  const article = item ? null : h('input', { class: 'article-input', type: 'number', min: 1, max: 1260, 'aria-label': '条文号' });
  const title = h('input', { value: item?.title ?? '', maxlength: 30, 'aria-label': '标题' });
  const gloss = h('textarea', { rows: 4, maxlength: 400, 'aria-label': '解读' });
  gloss.value = item?.gloss ?? '';
  const rotation = h('input', { type: 'checkbox', checked: item ? item.in_rotation : true });
  const said = h('div', { role: 'status' });
  const save = h('button', { type: 'button', onclick: async () => {
    const number = item ? item.article : Number(article.value);
    if (!item && !(number >= 1 && number <= 1260)) { said.replaceChildren(box('error', '条文号要写1到1260的数字')); return; }
    save.disabled = true;
    try {
      const saved = await api('PUT', `/admin/daily-law/${number}`, { title: title.value, gloss: gloss.value, in_rotation: rotation.checked });
      onSaved(saved);
    } catch (e) { said.replaceChildren(box('error', problemsOf(e))); }
    finally { save.disabled = false; }
  } }, '保存');
  return h('div', { class: 'daily-editor' },
    article ? h('label', {}, '民法典第', article, '条') : null,
    h('label', {}, '标题（2到30个字）', title),
    h('label', {}, '白话解读（10到400个字）', gloss),
    h('label', { class: 'check-inline' }, rotation, ' 放进每天轮换'),
    said, h('div', { class: 'row editor-buttons' }, save,
      onCancel ? h('button', { class: 'secondary', type: 'button', onclick: onCancel }, '取消') : null));
}

export async function render({ root }) {
  const [items, today] = await Promise.all([api('GET', '/admin/daily-law'), api('GET', '/daily-law').catch(() => null)]);
  const body = h('tbody');
  const row = (item) => {
    const tr = h('tr', { class: [item.in_rotation ? '' : 'retired', today?.article.number === item.article ? 'today' : ''].join(' ').trim(), 'data-article': item.article },
      h('td', { class: 'num' }, String(item.position)),
      h('td', {}, `第${item.article}条`, today?.article.number === item.article ? h('div', { class: 'pill on' }, '今天') : null),
      h('td', {}, h('b', {}, item.title), h('p', { class: 'gloss' }, item.gloss)),
      h('td', {}, item.in_rotation ? '轮换中' : '已停用', h('div', { class: 'muted small' }, SOURCE[item.source] || item.source)),
      h('td', {}, h('button', { class: 'secondary', type: 'button', onclick: () => {
        const editing = h('tr', { class: 'editing' });
        editing.append(h('td', {}, String(item.position)), h('td', {}, `第${item.article}条`),
          h('td', { colspan: 3 }, editor(item, (saved) => editing.replaceWith(row(saved)), () => editing.replaceWith(tr))));
        tr.replaceWith(editing);
        editing.querySelector('input')?.focus();
      } }, '编辑')));
    return tr;
  };
  body.append(...items.map(row));
  const added = h('div');
  const inRotation = items.filter(i => i.in_rotation).length;
  show(root,
    h('section', { class: 'card', id: 'daily-law' },
      h('h2', {}, '每日一法'),
      h('p', { class: 'muted' }, `共${items.length}条，${inRotation}条在轮换：每天按顺序轮到一条，全县居民看到的是同一条。${today ? `今天是第${today.article.number}条“${today.title}”。` : ''}`),
      h('details', { class: 'add-daily' }, h('summary', {}, '新增一条'),
        editor(null, (saved) => {
          const shown = body.querySelector(`tr[data-article="${saved.article}"]`);
          if (shown) shown.replaceWith(row(saved)); else body.append(row(saved));
          added.replaceChildren(box('ok', shown ? `第${saved.article}条已有，已改成新写的内容。` : `已新增第${saved.article}条“${saved.title}”，排在轮换的最后。`));
        })),
      added,
      h('table', { class: 'daily-table' },
        h('thead', {}, h('tr', {}, ['顺序', '条文', '标题和解读', '状态', ''].map(t => h('th', {}, t)))),
        body)));
  window.scrollTo(0, 0);
}
