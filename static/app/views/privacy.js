// 个人信息保护说明: who collects what, why, for how long, and how to delete it.

import { api } from '../../lib/api.js';
import { h, show } from '../../lib/dom.js';

export async function noticeSections() {
  const notice = await api('GET', '/privacy');
  return { notice, sections: notice.sections.map(s => h('section', {}, h('h3', {}, s.title), h('p', {}, s.text))) };
}

export async function render({ root }) {
  const { notice, sections } = await noticeSections();
  show(root, h('section', { class: 'card' }, h('h1', {}, '个人信息保护说明'), sections,
    h('p', { class: 'muted' }, `版本：${notice.version}`)));
}
