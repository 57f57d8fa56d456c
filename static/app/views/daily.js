// 每日一题: the same question for everyone today; once answered it stays answered (on the server for
// a signed-in resident, on the phone otherwise), with the days in a row.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { readJson } from '../parts/offline.js';
import { practiceCard } from './practice.js';

const LOCAL = 'pufa.daily';

export async function render({ root }) {
  const q = await api('GET', '/daily');
  const notice = (text) => root.prepend(box('notice', text));
  const local = readJson(LOCAL, {});
  const mine = q.me?.answered
    ? { answered: { correct: q.me.correct, answer: q.me.answer, explanation: q.me.explanation, basis: q.me.basis, choice: q.me.choice, lessons: q.lessons } }
    : local.date === q.date && local.id === q.id ? { answered: local.outcome } : {};
  const streak = h('p', { class: 'streak' });
  const showStreak = (n) => { streak.textContent = n > 0 ? `已连续${n}天答每日一题` : '每天来答一题，养成学法的习惯。'; };
  showStreak(q.me?.streak ?? 0);
  const card = practiceCard(q, { notice, ...mine, onAnswer: (r, choice) => {
    localStorage.setItem(LOCAL, JSON.stringify({ date: q.date, id: q.id, outcome: { ...r, choice } }));
    if (session.signedIn()) showStreak((q.me?.streak ?? 0) + (q.me?.answered ? 0 : 1));
  } });
  show(root, h('h1', {}, `每日一题 · ${q.date}`), streak,
    mine.answered ? h('p', { class: 'muted' }, '今天已经答过了，明天再来。') : null, card);
}
