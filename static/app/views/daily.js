// 每日一题: the same question for everyone today.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { practiceCard } from './practice.js';

export async function render({ root }) {
  const q = await api('GET', '/daily');
  const notice = (text) => root.prepend(box('notice', text));
  show(root, h('h1', {}, `每日一法 · ${q.date}`), practiceCard(q, { notice }));
}
