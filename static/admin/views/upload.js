// 导入题库: upload a question file, check it first, then import it.

import { api } from '../../lib/api.js';
import { box, h } from '../../lib/dom.js';
import { problemList } from './problems.js';

export function section() {
  const file = h('input', { id: 'bank-file', type: 'file', accept: '.xlsx,.csv,.toml,.json' });
  const key = h('input', { id: 'bank-key' });
  const result = h('div', { id: 'upload-result' });
  const upload = async (dryRun) => {
    const chosen = file.files[0];
    if (!chosen) return result.replaceChildren(box('error', '请先选择文件'));
    const format = chosen.name.split('.').pop().toLowerCase();
    const bank = key.value.trim();
    const query = `format=${format}${dryRun ? '&dry_run=true' : ''}${bank ? `&bank=${encodeURIComponent(bank)}` : ''}`;
    try {
      const r = await api('POST', `/admin/banks?${query}`, await chosen.arrayBuffer(), { raw: true });
      result.replaceChildren(h('p', { class: 'ok' },
        `${dryRun ? '检查通过' : '已导入'}：${r.bank.title}，新增${r.created}，修改${r.updated}，未变${r.unchanged}，停用${r.retired}`));
    } catch (e) { result.replaceChildren(...problemList(e)); }
  };
  return h('section', { class: 'card', id: 'upload' },
    h('h2', {}, '导入题库'),
    h('label', { for: 'bank-file' }, '题库文件（.xlsx .csv .toml .json）'), file,
    h('label', { for: 'bank-key' }, '题库编号（表格文件必填，如 my-bank-2026）'), key,
    h('div', { class: 'row' }, h('button', { id: 'check', type: 'button', class: 'secondary', onclick: () => upload(true) }, '只检查不导入'),
      h('button', { id: 'import', type: 'button', onclick: () => upload(false) }, '导入')),
    result);
}
