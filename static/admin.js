// The staff page: plain, on purpose. Server data is shown with textContent only.
const token = localStorage.getItem('pufa.token');
const $ = (id) => document.getElementById(id);
const el = (tag, text, attrs = {}) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; Object.assign(e, attrs); return e; };

async function call(method, path, body, raw) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined && !raw) headers['Content-Type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, { method, headers, body: raw ? body : body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error(data?.error?.message || res.status), { data });
  return data;
}

function problems(box, err) {
  box.replaceChildren(el('div', err.message, { className: 'error' }));
  const list = err.data?.error?.problems || err.data?.error?.fields || [];
  const ul = el('ul');
  for (const p of list) ul.append(el('li', `${p.place ? p.place + ' ' : ''}${p.field}: ${p.problem}`));
  box.append(ul);
}

async function upload(dryRun) {
  const file = $('bank-file').files[0];
  const box = $('upload-result');
  if (!file) return box.replaceChildren(el('div', '请先选择文件', { className: 'error' }));
  const format = file.name.split('.').pop().toLowerCase();
  const bank = $('bank-key').value.trim();
  const query = `format=${format}${dryRun ? '&dry_run=true' : ''}${bank ? `&bank=${encodeURIComponent(bank)}` : ''}`;
  try {
    const r = await call('POST', `/admin/banks?${query}`, await file.arrayBuffer(), true);
    box.replaceChildren(el('p', `${dryRun ? '检查通过' : '已导入'}：${r.bank.title}，新增${r.created}，修改${r.updated}，未变${r.unchanged}，停用${r.retired}`, { className: 'ok' }));
  } catch (e) { problems(box, e); }
}

let knownSlugs = [];

async function loadCampaigns() {
  const list = await call('GET', '/admin/campaigns');
  knownSlugs = list.map(c => c.slug);
  const box = $('campaign-list');
  box.replaceChildren();
  for (const c of list) {
    const row = el('div', undefined, { className: 'row' });
    row.append(el('span', `${c.title}（${c.state}${c.published ? '' : '，草稿'}）`));
    const edit = el('button', '编辑', { className: 'secondary', type: 'button' });
    edit.onclick = () => { const { state, me, max_score, draw_commitment, ...spec } = c; $('campaign-json').value = JSON.stringify(spec, null, 2); };
    const stats = el('button', '统计', { className: 'secondary', type: 'button' });
    stats.onclick = () => showStats(c.slug);
    const draw = el('button', '抽奖', { className: 'secondary', type: 'button' });
    draw.onclick = async () => {
      try { const r = await call('POST', `/admin/campaigns/${c.slug}/draw`); alert(`中奖：${r.winners.map(w => `${w.display_name}(${w.phone_masked})`).join('，') || '无'}`); }
      catch (e) { alert(e.message); }
    };
    const screen = el('button', '大屏', { className: 'secondary', type: 'button' });
    screen.onclick = () => bigScreen(c.slug);
    const csv = el('a', '成绩表', { className: 'button secondary', href: `/api/v1/admin/campaigns/${c.slug}/results.csv` });
    row.append(edit, stats, draw, screen, csv);
    box.append(row);
  }
}

async function showStats(slug) {
  const s = await call('GET', `/admin/campaigns/${slug}/stats`);
  const body = $('stats-body');
  body.replaceChildren(el('p', `参与${s.participants}人，开始${s.sessions_started}次，交卷${s.sessions_finished}次`));
  const t = el('table');
  t.append(el('tr', '')); t.lastChild.append(el('th', '苏木镇'), el('th', '参与'), el('th', '参与率'), el('th', '平均分'));
  for (const r of s.townships) {
    const tr = el('tr');
    tr.append(el('td', r.name), el('td', r.participants), el('td', r.participation_rate === null ? '—' : `${(r.participation_rate * 100).toFixed(1)}%`), el('td', r.average_best_score ?? '—'));
    t.append(tr);
  }
  body.append(t, el('h3', '最难的题'));
  for (const q of s.hardest) body.append(el('p', `${q.stem}（正确率${q.facility === null ? '—' : Math.round(q.facility * 100) + '%'}；最常选的错误答案：${q.most_chosen_wrong || '—'}）`));
  body.append(el('a', '下载统计表', { className: 'button secondary', href: `/api/v1/admin/campaigns/${slug}/stats.csv` }));
}

function bigScreen(slug) {
  const body = $('live-body');
  const source = new EventSource(`/api/v1/campaigns/${slug}/live`);
  source.addEventListener('board', (e) => {
    const snap = JSON.parse(e.data);
    body.replaceChildren(el('p', `已交卷 ${snap.participants} 人`));
    for (const [title, rows] of [['总榜', snap.top], ['正在答题', snap.in_progress]]) {
      body.append(el('h3', title));
      for (const r of rows) body.append(el('p', `${r.rank}. ${r.display_name}（${r.region.name}）${r.score}分`, { className: 'big' }));
    }
  });
}

$('check').onclick = () => upload(true);
$('import').onclick = () => upload(false);
$('save-campaign').onclick = async () => {
  const box = $('campaign-result');
  try {
    const spec = JSON.parse($('campaign-json').value);
    const r = knownSlugs.includes(spec.slug) ? await call('PUT', `/admin/campaigns/${spec.slug}`, spec) : await call('POST', '/admin/campaigns', spec);
    box.replaceChildren(el('p', `已保存：${r.title}`, { className: 'ok' }));
    loadCampaigns();
  } catch (e) { problems(box, e); }
};
if (!token) location.href = '/#/login'; else loadCampaigns().catch(e => $('campaign-list').replaceChildren(el('div', e.message, { className: 'error' })));
