// Home: the campaigns, open ones first, then the 每日一法 card.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { h, show } from '../../lib/dom.js';
import { dailyLawCard } from '../parts/dailylaw.js';
import { fmtTime } from '../parts/time.js';

export const STATE = { upcoming: '未开始', open: '进行中', closed: '已结束' };

export async function render({ root }) {
  const daily = dailyLawCard();
  const list = await api('GET', '/campaigns');
  const cards = list.map(c => h('a', { class: 'card campaign-link', href: `#/c/${encodeURIComponent(c.slug)}` },
    h('h2', {}, c.title),
    h('p', {}, h('span', { class: `state ${c.state}` }, STATE[c.state]), ` ${c.question_count}题 · ${Math.round(c.time_limit_secs / 60)}分钟`),
    h('p', { class: 'muted' }, c.state === 'upcoming' ? `开始：${fmtTime(c.opens_at)}` : `截止：${fmtTime(c.closes_at)}`)));
  show(root, h('h1', {}, '答题活动'), cards.length ? cards : h('p', { class: 'muted' }, '暂时没有活动，可以先去练习。'),
    session.signedIn() ? null : h('p', {}, h('a', { class: 'button wide', href: '#/login' }, '登录后参加答题')),
    await daily);
}
