// The result of a finished attempt, and its review with every explanation.

import { h, show } from '../../lib/dom.js';
import { revealBox } from '../parts/question.js';
import { fmtDuration } from '../parts/time.js';

export function showResult(root, r, session) {
  show(root, h('section', { class: 'card' }, h('h1', {}, '答题结果'),
    h('p', { class: 'big' }, `${r.score}分`),
    h('p', {}, `答对${r.correct}/${r.total}题，用时${fmtDuration(r.duration_ms)}` + (r.rank ? `，当前排名第${r.rank}名` : '')),
    session ? h('a', { class: 'button secondary wide', href: `#/b/${encodeURIComponent(session.campaign)}` }, '排行榜') : null,
    h('a', { class: 'button wide', href: '#/' }, '返回')),
  h('h2', {}, '逐题解析'),
  r.review.map(item => h('section', { class: 'card' },
    h('p', {}, h('b', {}, `${item.position}. `), item.stem),
    item.options.map(o => h('div', { class: 'option' + (item.answer.includes(o.key) ? ((item.choice || '').includes(o.key) ? ' right' : ' missed') : (item.choice || '').includes(o.key) ? ' wrong' : '') }, `${o.key}. ${o.text}`)),
    revealBox({ ...item, unanswered: item.choice === null }))));
  window.scrollTo(0, 0);
}
