// A campaign: its rules and prize in words, a countdown by the server's clock (开始答题 appears by
// itself when it opens), and the resident's attempts.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { countdown, fmtTime } from '../parts/time.js';
import { STATE } from './home.js';
import { needLogin } from './login.js';

/** The prize rule, as a resident reads it. */
export function prizeText(c) {
  const p = c.prize;
  if (p.mode === 'top') return `按最好成绩排名，前${p.winners}名获奖。`;
  const min = p.min_score ? `得分${p.min_score}分以上（满分${c.max_score}分）的参与者` : '交卷的参与者';
  return p.per_day ? `每天从当天${min}中抽取${p.per_day}名幸运奖。` : `活动结束后，从${min}中抽取${p.winners}名幸运奖。`;
}

export async function render(ctx, slug) {
  const { root, leave } = ctx;
  const c = await api('GET', `/campaigns/${encodeURIComponent(slug)}`);
  const offset = new Date(c.server_time).getTime() - Date.now();
  const err = h('div');
  const timer = h('span', { class: 'timer' });
  const start = async (button) => {
    if (!session.signedIn()) return needLogin();
    button.disabled = true;
    try {
      const s = await api('POST', `/campaigns/${encodeURIComponent(slug)}/sessions`);
      location.hash = `#/s/${s.id}`;
    } catch (x) {
      button.disabled = false;
      if (x.code === 'session_in_progress') location.hash = `#/s/${x.body.error.session_id}`;
      else err.replaceChildren(box('error', messageOf(x)));
    }
  };
  const me = c.me;
  const startButton = h('button', { class: 'wide', type: 'button', disabled: me && me.attempts_left === 0 && !me.in_progress,
    onclick: (e) => start(e.currentTarget) }, me && me.in_progress ? '继续答题' : '开始答题');
  show(root, h('section', { class: 'card' }, h('h1', {}, c.title), h('p', { class: 'pre' }, c.description),
    h('ul', { class: 'facts' },
      h('li', {}, h('span', { class: `state ${c.state}` }, STATE[c.state])),
      h('li', {}, `每次${c.question_count}题，限时${Math.round(c.time_limit_secs / 60)}分钟，每天可答${c.attempts_per_day}次`),
      h('li', {}, `${fmtTime(c.opens_at)} 至 ${fmtTime(c.closes_at)}`),
      h('li', {}, `奖励：${prizeText(c)}`)),
    c.state === 'open' ? h('p', {}, '距结束：', timer) : c.state === 'upcoming' ? h('p', {}, '距开始：', timer) : null,
    me ? h('p', {}, `今天已答${me.attempts_today}次，还可答${me.attempts_left}次` + (me.best !== null && me.best !== undefined ? `；最好成绩${me.best}分` : '')) : null,
    err,
    c.state === 'open' ? startButton : null,
    c.state === 'open' && !session.signedIn() ? h('p', { class: 'muted' }, '答题需要先登录。') : null,
    h('a', { class: 'button secondary wide', href: `#/b/${encodeURIComponent(slug)}` }, '排行榜')));
  if (c.state !== 'closed') {
    // At zero the campaign changes state: shown again, 开始答题 appears (or the close) by itself.
    leave(countdown(timer, c.state === 'open' ? c.closes_at : c.opens_at, offset, {
      onEnd: () => setTimeout(() => { if (location.hash === ctx.hash) render(ctx, slug).catch(() => {}); }, 1200),
    }));
  }
}
