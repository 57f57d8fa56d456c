// 大屏: the live board of a campaign.

import { h } from '../../lib/dom.js';

export function section() {
  const body = h('div', { id: 'live-body', class: 'muted' }, '选择活动后点“大屏”。');
  let source = null;
  const watch = (slug) => {
    source?.close();
    source = new EventSource(`/api/v1/campaigns/${slug}/live`);
    source.addEventListener('board', (e) => {
      const snap = JSON.parse(e.data);
      body.className = '';
      body.replaceChildren(h('p', {}, `已交卷 ${snap.participants} 人`),
        [['总榜', snap.top], ['正在答题', snap.in_progress]].map(([title, rows]) => [h('h3', {}, title),
          rows.map(r => h('p', { class: 'big' }, `${r.rank}. ${r.display_name}（${r.region.name}）${r.score}分`))]));
    });
  };
  return { el: h('section', { class: 'card', id: 'live' }, h('h2', {}, '大屏实时榜'), body), watch };
}
