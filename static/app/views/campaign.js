// A campaign: its rules, the countdown, and 开始答题.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { countdown } from '../parts/time.js';
import { STATE } from './home.js';
import { needLogin } from './login.js';

export async function render({ root, leave }, slug) {
  const c = await api('GET', `/campaigns/${encodeURIComponent(slug)}`);
  const err = h('div');
  const timer = h('span', { class: 'timer' });
  const start = async () => {
    if (!session.signedIn()) return needLogin();
    try {
      const s = await api('POST', `/campaigns/${encodeURIComponent(slug)}/sessions`);
      location.hash = `#/s/${s.id}`;
    } catch (x) {
      if (x.code === 'session_in_progress') location.hash = `#/s/${x.body.error.session_id}`;
      else err.replaceChildren(box('error', messageOf(x)));
    }
  };
  const me = c.me;
  show(root, h('section', { class: 'card' }, h('h1', {}, c.title), h('p', { class: 'pre' }, c.description),
    h('p', {}, `${STATE[c.state]} · 每次${c.question_count}题，限时${Math.round(c.time_limit_secs / 60)}分钟，每天${c.attempts_per_day}次`),
    c.state === 'open' ? h('p', {}, '距结束：', timer) : c.state === 'upcoming' ? h('p', {}, '距开始：', timer) : null,
    me ? h('p', {}, `今天已答${me.attempts_today}次，还可答${me.attempts_left}次` + (me.best !== null && me.best !== undefined ? `；最好成绩${me.best}分` : '')) : null,
    err,
    c.state === 'open' ? h('button', { class: 'wide', type: 'button', onclick: start, disabled: me && me.attempts_left === 0 && !me.in_progress },
      me && me.in_progress ? '继续答题' : '开始答题') : null,
    h('a', { class: 'button secondary wide', href: `#/b/${encodeURIComponent(slug)}` }, '排行榜')));
  if (c.state !== 'closed') leave(countdown(timer, c.state === 'open' ? c.closes_at : c.opens_at, 0));
}
