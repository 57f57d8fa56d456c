// The result of a finished attempt: score, rank (the board's own), whether it enters the prize,
// 再答一次 and the board; then the review of every question, or only the wrong ones.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { judgeText, revealBox } from '../parts/question.js';
import { fmtDuration } from '../parts/time.js';

function reviewCard(item) {
  const picked = item.choice || '';
  const options = item.kind === 'judge'
    ? ['T', 'F'].map(key => ({ key, text: judgeText(key) }))
    : item.options;
  return h('section', { class: 'card review' + (item.correct ? '' : ' missed-item') },
    h('p', {}, h('b', {}, `${item.position}. `), item.stem),
    options.map(o => {
      const right = item.answer.includes(o.key);
      const mine = picked.includes(o.key);
      const cls = right ? (mine ? ' right' : ' missed') : mine ? ' wrong' : '';
      const tag = right ? (mine ? '（您选的，正确）' : '（正确答案）') : mine ? '（您选的）' : '';
      return h('div', { class: `option${cls}` }, item.kind === 'judge' ? o.text : `${o.key}. ${o.text}`, h('span', { class: 'tag' }, tag));
    }),
    revealBox({ ...item, unanswered: item.choice === null || item.choice === undefined }));
}

export function showResult(root, r, session) {
  const slug = session?.campaign;
  const err = h('div');
  const again = async () => {
    try {
      const s = await api('POST', `/campaigns/${encodeURIComponent(slug)}/sessions`);
      location.hash = `#/s/${s.id}`;
    } catch (x) {
      if (x.code === 'session_in_progress') location.hash = `#/s/${x.body.error.session_id}`;
      else err.replaceChildren(box('error', messageOf(x)));
    }
  };
  const wrong = r.review.filter(i => !i.correct);
  const list = h('div');
  const all = h('button', { type: 'button', 'aria-pressed': 'true', onclick: () => pick(false) }, `全部（${r.review.length}）`);
  const only = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => pick(true) }, `只看错题（${wrong.length}）`);
  const pick = (wrongOnly) => {
    all.setAttribute('aria-pressed', String(!wrongOnly));
    only.setAttribute('aria-pressed', String(wrongOnly));
    const items = wrongOnly ? wrong : r.review;
    list.replaceChildren(...(items.length ? items.map(reviewCard) : [h('p', { class: 'ok' }, '全部答对了！')]));
  };
  show(root,
    h('section', { class: 'card result' }, h('h1', {}, '答题结果'),
      h('p', { class: 'big' }, `${r.score}分`),
      h('p', {}, `答对${r.correct}/${r.total}题，用时${fmtDuration(r.duration_ms)}`),
      r.rank ? h('p', {}, `排行榜第${r.rank}名（按最好成绩排名）`) : null,
      r.prize ? box(r.prize.eligible ? 'ok' : 'notice', r.prize.note) : null,
      r.prize?.verify_phone ? h('a', { class: 'button wide', href: '#/me' }, '去验证手机号') : null,
      err,
      slug && r.attempts_left > 0 ? h('button', { class: 'wide', type: 'button', onclick: again }, `再答一次（今天还可答${r.attempts_left}次）`) : null,
      slug && r.attempts_left === 0 ? h('p', { class: 'muted' }, '今天的答题次数用完了，明天再来。') : null,
      slug ? h('a', { class: 'button secondary wide', href: `#/b/${encodeURIComponent(slug)}` }, '看排行榜') : null,
      h('a', { class: 'button secondary wide', href: '#/' }, '回到首页')),
    h('h2', {}, '逐题解析'),
    h('div', { class: 'seg' }, all, only),
    list);
  pick(false);
  window.scrollTo(0, 0);
}
