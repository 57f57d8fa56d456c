// 导入题库: upload a question file, check it first (with a preview of the first questions as
// residents will see them), then import it, merging (default) or replacing.

import { api } from '../../lib/api.js';
import { box, h } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';

const FIELDS = {
  key: '编号', kind: '题型', category: '分类', difficulty: '难度', stem: '题干', options: '选项',
  answer: '答案', explanation: '解析', basis: '依据', file: '文件', bank: '题库', mode: '方式', visibility: '可见范围',
};
const label = (field) => FIELDS[field] || field;

function problems(err) {
  return [box('error', messageOf(err)),
    h('ul', {}, err.details.map(p => h('li', {}, `${p.place ? `${p.place} ` : ''}${label(p.field)}：${p.problem}`)))];
}

function preview(questions) {
  return h('ol', { class: 'preview' }, questions.map(q => h('li', {},
    h('p', {}, `【${q.kind_label}】${q.stem}`),
    q.options.length ? h('ul', {}, q.options.map(o => h('li', {}, `${o.key}. ${o.text}`))) : null,
    h('p', { class: 'muted' }, `答案：${q.answer}　解析：${q.explanation}　依据：${q.basis.join('；')}`))));
}

function report(r, dryRun) {
  const blocked = r.starves.filter(c => c.state === 'open');
  const head = dryRun && blocked.length ? box('error', '正式导入会被拒绝：有进行中的活动会因此抽不够题。')
    : h('p', { class: 'ok' }, `${dryRun ? '检查通过' : '已导入'}：${r.bank.title}，新增${r.created}，修改${r.updated}，未变${r.unchanged}，停用${r.retired}`);
  return [head,
    r.warnings.length ? h('ul', { class: 'warnings' }, r.warnings.map(w => h('li', {}, `${w.place} ${w.problem}`))) : null,
    r.starves.length ? h('div', {}, h('p', {}, '会抽不够题的活动：'),
      h('ul', {}, r.starves.map(c => h('li', {}, `${c.title}（${c.state === 'open' ? '进行中' : '未开始'}）：${c.problem}`)))) : null,
    r.retiring.length ? h('details', {}, h('summary', {}, `将停用的题（${r.retired}道）`),
      h('ul', {}, r.retiring.map(q => h('li', {}, `${q.key}：${q.stem}`)))) : null,
    dryRun && r.preview.length ? h('details', { open: true }, h('summary', {}, `前${r.preview.length}道题在居民手机上的样子`), preview(r.preview)) : null];
}

export function section() {
  const file = h('input', { id: 'bank-file', type: 'file', accept: '.xlsx,.xls,.ods,.csv,.toml,.json' });
  const key = h('input', { id: 'bank-key' });
  const mode = h('select', { id: 'bank-mode' },
    h('option', { value: 'merge' }, '合并：只新增和修改，不停用任何题'),
    h('option', { value: 'replace' }, '替换：文件里没有的题都停用'));
  const visibility = h('select', { id: 'bank-visibility' },
    h('option', { value: '' }, '不变（新题库为练习可见）'),
    h('option', { value: 'study' }, '练习可见'),
    h('option', { value: 'sealed' }, '保密：只用于点名它的活动'));
  const result = h('div', { id: 'upload-result' });
  const upload = async (dryRun) => {
    const chosen = file.files[0];
    if (!chosen) return result.replaceChildren(box('error', '请先选择文件'));
    const format = chosen.name.split('.').pop().toLowerCase();
    const bank = key.value.trim();
    const query = new URLSearchParams({ format, mode: mode.value });
    if (dryRun) query.set('dry_run', 'true');
    if (bank) query.set('bank', bank);
    if (visibility.value) query.set('visibility', visibility.value);
    try {
      const r = await api('POST', `/admin/banks?${query}`, await chosen.arrayBuffer(), { raw: true });
      result.replaceChildren(...report(r, dryRun).filter(Boolean));
    } catch (e) { result.replaceChildren(...(e.details.length ? problems(e) : [box('error', messageOf(e))])); }
  };
  return h('section', { class: 'card', id: 'upload' },
    h('h2', {}, '导入题库'),
    h('label', { for: 'bank-file' }, '题库文件（.xlsx .xls .ods .csv .toml .json）'), file,
    h('label', { for: 'bank-key' }, '题库编号（表格文件必填，如 my-bank-2026）'), key,
    h('label', { for: 'bank-mode' }, '导入方式'), mode,
    h('label', { for: 'bank-visibility' }, '可见范围'), visibility,
    h('div', { class: 'row' }, h('button', { id: 'check', type: 'button', class: 'secondary', onclick: () => upload(true) }, '只检查不导入'),
      h('button', { id: 'import', type: 'button', onclick: () => upload(false) }, '导入')),
    result);
}
