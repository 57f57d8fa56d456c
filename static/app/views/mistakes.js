// 错题本: the questions answered wrong, to practise until right twice in a row, each with the
// lessons on its articles (相关案例).

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { needLogin } from './login.js';
import { practiceCard } from './practice.js';

export async function render({ root }) {
  if (!session.signedIn()) return needLogin();
  const book = await api('GET', '/me/mistakes');
  const notice = (text) => root.prepend(box('notice', text));
  show(root, h('h1', {}, '错题本'), h('p', { class: 'muted' }, '连续答对两次，题目会从错题本移出。'),
    book.length ? book.map(m => practiceCard(m.question, { notice, related: m.lessons })) : h('p', {}, '错题本是空的，继续保持！'));
}
