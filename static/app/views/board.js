// 排行榜: the resident boards (the whole banner, their township, their village), "around me", and
// the participation boards of townships and villages. Equal points are separated by time: the
// table shows it, and says so.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { fmtDuration } from '../parts/time.js';

const TIE_RULE = '同分时，用时短的排前面；用时也一样，先交卷的排前面。';

function table(entries, me) {
  return h('table', { class: 'board' },
    h('thead', {}, h('tr', {}, h('th', {}, '名次'), h('th', {}, '昵称'), h('th', {}, '地区'), h('th', {}, '得分'), h('th', {}, '用时'))),
    h('tbody', {}, entries.map(e => h('tr', { class: me && me.rank === e.rank ? 'me' : '' },
      h('td', {}, e.rank), h('td', {}, e.display_name), h('td', {}, e.region.name), h('td', {}, e.score),
      h('td', {}, fmtDuration(e.duration_ms))))));
}

const percent = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

export async function render({ root }, slug) {
  const user = session.user;
  const base = `/campaigns/${encodeURIComponent(slug)}`;
  const body = h('div');
  const tabs = h('div', { class: 'seg wrap', role: 'tablist' });
  const scopes = [['全旗', null]];
  if (user?.region) {
    try {
      const tree = await api('GET', '/regions');
      for (const t of tree.flatMap(b => b.children)) {
        const v = t.children.find(x => x.code === user.region.code);
        if (v) scopes.push([t.name, t.code], [v.name, v.code]);
      }
    } catch { /* the whole-banner board still works */ }
  }
  const personal = async (code) => {
    const data = await api('GET', `${base}/leaderboard?limit=50${code ? `&region=${code}` : ''}`);
    return [data.me ? h('p', { class: 'mine' }, `我的排名：第${data.me.rank}名（${data.me.score}分）`) : h('p', { class: 'muted' }, '交卷后会出现在排行榜上'),
      data.entries.length ? table(data.entries, data.me) : h('p', { class: 'muted' }, '还没有人交卷。'),
      h('p', { class: 'muted' }, `共${data.total}人。${TIE_RULE}`)];
  };
  const around = async () => {
    if (!session.signedIn()) return [h('p', {}, h('a', { href: '#/login' }, '登录'), '后可以看到自己前后的人。')];
    const data = await api('GET', `${base}/leaderboard/around-me?radius=5`);
    if (!data.me) return [h('p', { class: 'muted' }, '交卷后才能看到自己的位置。')];
    return [h('p', { class: 'mine' }, `我的排名：第${data.me.rank}名（${data.me.score}分），共${data.total}人`), table(data.entries, data.me), h('p', { class: 'muted' }, TIE_RULE)];
  };
  const participation = async (level) => {
    const rows = await api('GET', `${base}/regions?level=${level}`);
    rows.sort((a, b) => b.participants - a.participants || a.name.localeCompare(b.name, 'zh'));
    const mine = user?.region?.code;
    const shown = level === 'village' ? rows.filter(r => r.participants > 0 || r.code === mine).slice(0, 50) : rows;
    return [h('table', { class: 'board' },
      h('thead', {}, h('tr', {}, h('th', {}, level === 'village' ? '嘎查/村/社区' : '苏木镇'), h('th', {}, '人数'), h('th', {}, '参与率'), h('th', {}, '平均分'))),
      h('tbody', {}, shown.map(r => h('tr', { class: r.code === mine ? 'me' : '' },
        h('td', {}, r.name), h('td', {}, r.participants), h('td', {}, percent(r.participation_rate)), h('td', {}, r.average_score ?? '—'))))),
    h('p', { class: 'muted' }, level === 'village' ? '列出有人参与的嘎查村（最多50个）。平均分按每人最好成绩计算。' : '平均分按每人最好成绩计算；参与率按登记的居民人数计算。')];
  };
  const views = [
    ...scopes.map(([label, code]) => [label, () => personal(code)]),
    ['我的位置', around],
    ['苏木镇参与', () => participation('township')],
    ['嘎查村参与', () => participation('village')],
  ];
  const open = async (button, load) => {
    tabs.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(b === button)));
    body.replaceChildren(h('p', { class: 'muted' }, '正在加载…'));
    try { body.replaceChildren(...await load()); } catch (x) { body.replaceChildren(box('error', messageOf(x))); }
  };
  for (const [label, load] of views) {
    const b = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => open(b, load) }, label);
    tabs.append(b);
  }
  show(root, h('h1', {}, '排行榜'), tabs, body);
  await open(tabs.querySelector('button'), views[0][1]);
}
