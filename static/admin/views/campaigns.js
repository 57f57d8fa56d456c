// 活动: the campaigns, with edit, statistics, draw, big screen and results.

import { api } from '../../lib/api.js';
import { box, h } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { problemList } from './problems.js';

const STATE = { upcoming: '未开始', open: '进行中', closed: '已结束' };

export function section({ onStats, onLive }) {
  const list = h('div', { id: 'campaign-list' });
  const editor = h('textarea', { id: 'campaign-json', class: 'json-editor', rows: 10 });
  const result = h('div', { id: 'campaign-result' });
  let known = [];
  const load = async () => {
    const campaigns = await api('GET', '/admin/campaigns');
    known = campaigns.map(c => c.slug);
    list.replaceChildren(...campaigns.map(c => h('div', { class: 'row' },
      h('span', {}, `${c.title}（${STATE[c.state]}${c.published ? '' : '，草稿'}）`),
      h('span', { class: 'row' },
        h('button', { class: 'secondary', type: 'button', onclick: () => {
          const { state, me, max_score, draw_commitment, ...spec } = c;
          editor.value = JSON.stringify(spec, null, 2);
        } }, '编辑'),
        h('button', { class: 'secondary', type: 'button', onclick: () => onStats(c.slug) }, '统计'),
        h('button', { class: 'secondary', type: 'button', onclick: async () => {
          try {
            const r = await api('POST', `/admin/campaigns/${c.slug}/draw`);
            result.replaceChildren(box('ok', `中奖：${r.winners.map(w => `${w.display_name}（${w.phone_masked}）`).join('，') || '无'}`));
          } catch (e) { result.replaceChildren(box('error', messageOf(e))); }
        } }, '抽奖'),
        h('button', { class: 'secondary', type: 'button', onclick: () => onLive(c.slug) }, '大屏'),
        h('a', { class: 'button secondary', href: `/api/v1/admin/campaigns/${c.slug}/results.csv` }, '成绩表')))));
  };
  const save = async () => {
    try {
      const spec = JSON.parse(editor.value);
      const r = known.includes(spec.slug)
        ? await api('PUT', `/admin/campaigns/${spec.slug}`, spec)
        : await api('POST', '/admin/campaigns', spec);
      result.replaceChildren(box('ok', `已保存：${r.title}`));
      load();
    } catch (e) {
      result.replaceChildren(...(e instanceof SyntaxError ? [box('error', '活动内容格式不对')] : problemList(e)));
    }
  };
  const el = h('section', { class: 'card', id: 'campaigns' }, h('h2', {}, '活动'), list,
    h('label', { for: 'campaign-json' }, '新建或修改活动'), editor,
    h('button', { id: 'save-campaign', type: 'button', class: 'wide', onclick: save }, '保存活动'), result);
  return { el, list, load };
}
