// The leaderboard: the whole campaign, the resident's township and village.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { h, show } from '../../lib/dom.js';

export async function render({ root }, slug) {
  const me = session.user;
  const scopes = [['全部', null]];
  if (me?.region) {
    const tree = await api('GET', '/regions');
    for (const t of tree.flatMap(b => b.children)) {
      const v = t.children.find(x => x.code === me.region.code);
      if (v) scopes.push([t.name, t.code], [v.name, v.code]);
    }
  }
  const table = h('div');
  const seg = h('div', { class: 'seg' });
  const load = async (code, button) => {
    seg.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(b === button)));
    const data = await api('GET', `/campaigns/${encodeURIComponent(slug)}/leaderboard?limit=50${code ? `&region=${code}` : ''}`);
    table.replaceChildren(
      data.me ? h('p', {}, `我的排名：第${data.me.rank}名（${data.me.score}分）`) : h('p', { class: 'muted' }, '交卷后会出现在排行榜上'),
      h('table', {}, h('tr', {}, h('th', {}, '名次'), h('th', {}, '昵称'), h('th', {}, '地区'), h('th', {}, '得分')),
        data.entries.map(e => h('tr', { class: data.me && data.me.rank === e.rank ? 'me' : '' },
          h('td', {}, e.rank), h('td', {}, e.display_name), h('td', {}, e.region.name), h('td', {}, e.score)))),
      h('p', { class: 'muted' }, `共${data.total}人`));
  };
  scopes.forEach(([label, code], i) => {
    const b = h('button', { type: 'button', 'aria-pressed': String(i === 0), onclick: () => load(code, b) }, label);
    seg.append(b);
  });
  show(root, h('h1', {}, '排行榜'), seg, table);
  await load(null, seg.querySelector('button'));
}
