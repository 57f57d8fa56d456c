// 统计: participation by township and the hardest questions of a campaign.

import { api } from '../../lib/api.js';
import { h } from '../../lib/dom.js';

const percent = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

export function section() {
  const body = h('div', { id: 'stats-body', class: 'muted' }, '选择上面的活动查看统计。');
  const load = async (slug) => {
    const s = await api('GET', `/admin/campaigns/${slug}/stats`);
    body.className = '';
    body.replaceChildren(h('p', {}, `参与${s.participants}人，开始${s.sessions_started}次，交卷${s.sessions_finished}次`),
      h('table', {}, h('tr', {}, h('th', {}, '苏木镇'), h('th', {}, '参与'), h('th', {}, '参与率'), h('th', {}, '平均分')),
        s.townships.map(r => h('tr', {}, h('td', {}, r.name), h('td', {}, r.participants), h('td', {}, percent(r.participation_rate)),
          h('td', {}, r.average_best_score ?? '—')))),
      h('h3', {}, '最难的题'),
      s.hardest.map(q => h('p', {}, `${q.stem}（正确率${percent(q.facility)}；最常选的错误答案：${q.most_chosen_wrong || '—'}）`)),
      h('a', { class: 'button secondary', href: `/api/v1/admin/campaigns/${slug}/stats.csv` }, '下载统计表'));
  };
  return { el: h('section', { class: 'card', id: 'stats' }, h('h2', {}, '统计'), body), load };
}
