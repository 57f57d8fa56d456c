// 普法答题: the resident app. Plain ES module, no build step. Every piece of server data is put on
// the page with textContent (never innerHTML), so nothing a user typed can run as code.

const app = document.getElementById('app');
const store = {
  get token() { return localStorage.getItem('pufa.token'); },
  set token(t) { t ? localStorage.setItem('pufa.token', t) : localStorage.removeItem('pufa.token'); },
  get user() { try { return JSON.parse(localStorage.getItem('pufa.user')); } catch { return null; } },
  set user(u) { u ? localStorage.setItem('pufa.user', JSON.stringify(u)) : localStorage.removeItem('pufa.user'); },
};

// ---------- small helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(...nodes) { app.replaceChildren(...nodes.flat(2).filter(n => n !== null && n !== undefined)); window.scrollTo(0, 0); }

function errorBox(message) { return h('div', { class: 'error', role: 'alert' }, message); }

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `请求失败 (${status})`);
    this.status = status; this.code = body?.error?.code; this.body = body;
  }
}

async function api(method, path, body, { retries = 0 } = {}) {
  const headers = { 'Accept': 'application/json' };
  if (store.token) headers.Authorization = `Bearer ${store.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      const data = text ? JSON.parse(text) : null;
      if (res.status === 401 && store.token && !path.startsWith('/auth/')) { store.token = null; store.user = null; }
      if (!res.ok) throw new ApiError(res.status, data);
      return data;
    } catch (e) {
      // Network trouble (not an answer from the server): retry idempotent requests with backoff.
      if (e instanceof ApiError || attempt >= retries) throw e instanceof ApiError ? e : new ApiError(0, { error: { code: 'offline', message: '网络不通，请稍后再试' } });
      await new Promise(r => setTimeout(r, Math.min(8000, 500 * 2 ** attempt)));
    }
  }
}

function speak(text) {
  if (!('speechSynthesis' in window)) return;
  speechSynthesis.cancel();
  const u = new SpeechSynthesisUtterance(text);
  u.lang = 'zh-CN'; u.rate = 0.9;
  speechSynthesis.speak(u);
}
const speakButton = (text) => h('button', { class: 'speak', type: 'button', 'aria-label': '朗读', onclick: () => speak(text) }, '▶ 朗读');

const fmtTime = (iso) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
const fmtDuration = (ms) => { const s = Math.round(ms / 1000); return `${Math.floor(s / 60)}分${String(s % 60).padStart(2, '0')}秒`; };
const STATE = { upcoming: '未开始', open: '进行中', closed: '已结束' };

// ---------- accounts ----------

async function regionPicker() {
  const tree = await api('GET', '/regions');
  const townships = tree.flatMap(b => b.children);
  const town = h('select', { id: 'township', required: true }, h('option', { value: '' }, '请选择苏木镇'),
    townships.map(t => h('option', { value: t.code }, t.name)));
  const village = h('select', { id: 'village', name: 'region_code', required: true }, h('option', { value: '' }, '请先选苏木镇'));
  town.addEventListener('change', () => {
    const t = townships.find(x => x.code === town.value);
    village.replaceChildren(h('option', { value: '' }, '请选择嘎查/村/社区'), ...(t ? t.children.map(v => h('option', { value: v.code }, v.name)) : []));
  });
  return [h('label', { for: 'township' }, '苏木镇'), town, h('label', { for: 'village' }, '嘎查/村/社区'), village];
}

function signIn(result) {
  store.token = result.token; store.user = result.user;
  location.hash = sessionStorage.getItem('pufa.after') || '#/';
  sessionStorage.removeItem('pufa.after');
}

function loginView() {
  const err = h('div');
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try { signIn(await api('POST', '/auth/login', { phone: f.get('phone'), password: f.get('password') })); }
    catch (x) { err.replaceChildren(errorBox(x.code === 'too_many_attempts' ? '错误次数太多，请稍后再试' : x.message)); }
  } },
  h('h1', {}, '登录'),
  h('label', { for: 'phone' }, '手机号'), h('input', { id: 'phone', name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', required: true }),
  h('label', { for: 'password' }, '密码'), h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
  err, h('button', { class: 'wide', type: 'submit' }, '登录'),
  h('p', {}, '还没有账号？', h('a', { href: '#/register' }, '注册')));
  show(form);
}

async function registerView() {
  const err = h('div');
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      signIn(await api('POST', '/auth/register', {
        phone: f.get('phone'), password: f.get('password'), display_name: f.get('display_name'), region_code: f.get('region_code') }));
    } catch (x) { err.replaceChildren(errorBox(x.message)); }
  } },
  h('h1', {}, '注册'),
  h('label', { for: 'phone' }, '手机号'), h('input', { id: 'phone', name: 'phone', type: 'tel', inputmode: 'numeric', required: true }),
  h('label', { for: 'display_name' }, '昵称（显示在排行榜上）'), h('input', { id: 'display_name', name: 'display_name', maxlength: 20, required: true }),
  h('label', { for: 'password' }, '密码（至少8位）'), h('input', { id: 'password', name: 'password', type: 'password', minlength: 8, autocomplete: 'new-password', required: true }),
  ...(await regionPicker()),
  err, h('button', { class: 'wide', type: 'submit' }, '注册'),
  h('p', {}, '已有账号？', h('a', { href: '#/login' }, '登录')));
  show(form);
}

function needLogin() {
  sessionStorage.setItem('pufa.after', location.hash);
  location.hash = '#/login';
}

async function meView() {
  if (!store.token) return needLogin();
  const me = await api('GET', '/me');
  show(h('section', { class: 'card' }, h('h1', {}, me.display_name),
    h('p', {}, `手机：${me.phone_masked}`), h('p', {}, `所在：${me.region.name}`),
    me.role === 'admin' ? h('p', {}, h('a', { class: 'button secondary', href: '/admin.html' }, '管理后台')) : null,
    h('button', { class: 'wide secondary', onclick: async () => {
      try { await api('POST', '/auth/logout'); } catch { /* signed out locally anyway */ }
      store.token = null; store.user = null; location.hash = '#/login';
    } }, '退出登录')));
}

// ---------- campaigns ----------

async function homeView() {
  const list = await api('GET', '/campaigns');
  const cards = list.map(c => h('a', { class: 'card', href: `#/c/${encodeURIComponent(c.slug)}`, style: 'display:block;color:inherit;text-decoration:none' },
    h('h2', {}, c.title), h('p', { class: 'muted' }, `${STATE[c.state]} · ${c.question_count}题 · ${Math.round(c.time_limit_secs / 60)}分钟`),
    h('p', { class: 'muted' }, `截止：${fmtTime(c.closes_at)}`)));
  show(h('h1', {}, '答题活动'), cards.length ? cards : h('p', { class: 'muted' }, '暂时没有活动，可以先去练习。'),
    store.token ? null : h('p', {}, h('a', { class: 'button wide', href: '#/login' }, '登录后参加答题')));
}

function countdown(el, target, serverOffset, onEnd) {
  const tick = () => {
    const left = Math.max(0, new Date(target).getTime() - (Date.now() + serverOffset));
    const s = Math.floor(left / 1000);
    const d = Math.floor(s / 86400);
    el.textContent = d > 0 ? `${d}天${Math.floor(s % 86400 / 3600)}小时` : `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s % 3600 / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    el.classList.toggle('low', s < 60);
    if (left <= 0) { clearInterval(id); onEnd && onEnd(); }
  };
  const id = setInterval(tick, 1000); tick();
  return id;
}

async function campaignView(slug) {
  const c = await api('GET', `/campaigns/${encodeURIComponent(slug)}`);
  const err = h('div');
  const timer = h('span', { class: 'timer' });
  const start = async () => {
    if (!store.token) return needLogin();
    try { const s = await api('POST', `/campaigns/${encodeURIComponent(slug)}/sessions`); location.hash = `#/s/${s.id}`; }
    catch (x) {
      if (x.code === 'session_in_progress') location.hash = `#/s/${x.body.error.session_id}`;
      else err.replaceChildren(errorBox(x.message));
    }
  };
  const me = c.me;
  show(h('section', { class: 'card' }, h('h1', {}, c.title), h('p', {}, c.description),
    h('p', {}, `${STATE[c.state]} · 每次${c.question_count}题，限时${Math.round(c.time_limit_secs / 60)}分钟，每天${c.attempts_per_day}次`),
    c.state === 'open' ? h('p', {}, '距结束：', timer) : c.state === 'upcoming' ? h('p', {}, '距开始：', timer) : null,
    me ? h('p', {}, `今天已答${me.attempts_today}次，还可答${me.attempts_left}次` + (me.best !== null && me.best !== undefined ? `；最好成绩${me.best}分` : '')) : null,
    err,
    c.state === 'open' ? h('button', { class: 'wide', onclick: start, disabled: me && me.attempts_left === 0 && !me.in_progress },
      me && me.in_progress ? '继续答题' : '开始答题') : null,
    h('a', { class: 'button secondary wide', href: `#/b/${encodeURIComponent(slug)}` }, '排行榜')));
  if (c.state !== 'closed') countdown(timer, c.state === 'open' ? c.closes_at : c.opens_at, 0);
}

// ---------- quiz ----------

function choiceInputs(q, onChoice) {
  const name = `q${q.position}`;
  if (q.kind === 'judge') {
    return h('div', { class: 'row' }, q.options.map(o => h('button', { class: 'secondary', style: 'flex:1', type: 'button', 'data-key': o.key,
      onclick: () => onChoice(o.key === 'T') }, o.text)));
  }
  const type = q.kind === 'multiple' ? 'checkbox' : 'radio';
  const boxes = q.options.map(o => h('label', { class: 'option', 'data-key': o.key },
    h('input', { type, name, value: o.key }), h('span', {}, `${o.key}. `, o.text)));
  const submit = h('button', { class: 'wide', type: 'button', onclick: () => {
    const picked = boxes.map(b => b.querySelector('input')).filter(i => i.checked).map(i => i.value).join('');
    if (picked) onChoice(picked);
  } }, q.kind === 'multiple' ? '确定（多选）' : '确定');
  return h('div', {}, boxes, submit);
}

function revealBox(r) {
  return h('div', { class: 'explain' },
    h('p', { class: r.correct ? 'ok' : 'bad' }, r.correct ? '✔ 回答正确' : `✘ 回答错误，正确答案：${r.answer === 'T' ? '正确' : r.answer === 'F' ? '错误' : r.answer}`),
    h('p', {}, r.explanation, ' ', speakButton(r.explanation)),
    h('p', { class: 'basis' }, `法律依据：${(r.basis || []).join('、')}`));
}

async function sessionView(id) {
  if (!store.token) return needLogin();
  let s = await api('GET', `/sessions/${id}`);
  if (s.finished) return resultView(id, s.result);
  const offset = new Date(s.server_time).getTime() - Date.now();
  const timer = h('span', { class: 'timer' });
  let index = s.questions.findIndex(q => !q.answered);
  if (index < 0) index = s.questions.length - 1;
  const finish = async () => {
    clearInterval(clock);
    const result = await api('POST', `/sessions/${id}/finish`, undefined, { retries: 5 });
    resultView(id, result);
  };
  const clock = countdown(timer, s.deadline, offset, finish);
  const render = () => {
    const q = s.questions[index];
    const err = h('div');
    const after = h('div');
    const answer = async (choice) => {
      try {
        const r = await api('PUT', `/sessions/${id}/answers/${q.position}`, { choice }, { retries: 5 });
        q.answered = true;
        q.choice = typeof choice === 'boolean' ? (choice ? 'T' : 'F') : choice;
        if (s.reveal === 'after_each') {
          for (const el of card.querySelectorAll('[data-key]')) {
            const key = el.getAttribute('data-key');
            if (r.answer.includes(key)) el.classList.add('right'); else if (q.choice.includes(key)) el.classList.add('wrong');
            el.querySelectorAll('input,button').forEach(i => i.disabled = true);
            if (el.tagName === 'BUTTON') el.disabled = true;
          }
          after.replaceChildren(revealBox(r), next());
        } else { goNext(); }
      } catch (x) {
        if (x.code === 'session_expired') return finish();
        if (x.code === 'already_answered') { q.answered = true; return goNext(); }
        err.replaceChildren(errorBox(x.message));
      }
    };
    const goNext = () => {
      const more = s.questions.findIndex(x => !x.answered);
      if (more < 0) return finish();
      index = more; render();
    };
    const next = () => h('button', { class: 'wide', onclick: goNext }, s.questions.some(x => !x.answered) ? '下一题' : '交卷');
    const answered = s.questions.filter(x => x.answered).length;
    const card = h('section', { class: 'card' },
      h('div', { class: 'row' }, h('span', {}, `第${q.position}/${s.questions.length}题 · ${{ single: '单选', multiple: '多选', judge: '判断' }[q.kind]}`), timer),
      h('div', { class: 'progress' }, h('i', { style: `width:${Math.round(answered * 100 / s.questions.length)}%` })),
      h('h2', { style: 'margin-top:.8rem' }, q.stem), speakButton(q.stem + '。' + q.options.map(o => `${o.key}，${o.text}`).join('。')),
      q.answered ? h('p', { class: 'muted' }, `已作答：${q.choice ?? ''}`) : choiceInputs(q, answer),
      err, after, q.answered ? next() : null,
      h('button', { class: 'secondary wide', onclick: () => { if (confirm('确定现在交卷吗？没答的题按错误计算。')) finish(); } }, '交卷'));
    show(card);
  };
  render();
}

function resultView(id, r) {
  show(h('section', { class: 'card' }, h('h1', {}, '答题结果'),
    h('p', { class: 'big' }, `${r.score}分`),
    h('p', {}, `答对${r.correct}/${r.total}题，用时${fmtDuration(r.duration_ms)}` + (r.rank ? `，当前排名第${r.rank}名` : '')),
    h('a', { class: 'button wide', href: '#/' }, '返回')),
  h('h2', {}, '逐题解析'),
  r.review.map(item => h('section', { class: 'card' },
    h('p', {}, h('b', {}, `${item.position}. `), item.stem),
    item.options.map(o => h('div', { class: 'option' + (item.answer.includes(o.key) ? ' right' : (item.choice || '').includes(o.key) ? ' wrong' : '') }, `${o.key}. ${o.text}`)),
    revealBox(item))));
}

// ---------- leaderboard ----------

async function boardView(slug) {
  const me = store.user;
  const scopes = [['全部', null]];
  if (me && me.region) {
    const tree = await api('GET', '/regions');
    for (const t of tree.flatMap(b => b.children)) {
      const v = t.children.find(x => x.code === me.region.code);
      if (v) { scopes.push([t.name, t.code], [v.name, v.code]); }
    }
  }
  const table = h('div');
  const seg = h('div', { class: 'seg' });
  const load = async (code, button) => {
    seg.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', b === button));
    const data = await api('GET', `/campaigns/${encodeURIComponent(slug)}/leaderboard?limit=50${code ? `&region=${code}` : ''}`);
    table.replaceChildren(
      data.me ? h('p', {}, `我的排名：第${data.me.rank}名（${data.me.score}分）`) : h('p', { class: 'muted' }, '交卷后会出现在排行榜上'),
      h('table', {}, h('tr', {}, h('th', {}, '名次'), h('th', {}, '昵称'), h('th', {}, '地区'), h('th', {}, '得分')),
        data.entries.map(e => h('tr', { class: data.me && data.me.rank === e.rank ? 'me' : '' },
          h('td', {}, e.rank), h('td', {}, e.display_name), h('td', {}, e.region.name), h('td', {}, e.score)))),
      h('p', { class: 'muted' }, `共${data.total}人`));
  };
  scopes.forEach(([label, code], i) => {
    const b = h('button', { type: 'button', 'aria-pressed': i === 0, onclick: () => load(code, b) }, label);
    seg.append(b);
  });
  show(h('h1', {}, '排行榜'), seg, table);
  await load(null, seg.querySelector('button'));
}

// ---------- practice, daily, mistakes ----------

const PACK = 'pufa.pack';
const QUEUE = 'pufa.queue';
const readJson = (k, d) => { try { return JSON.parse(localStorage.getItem(k)) ?? d; } catch { return d; } };

// Answers given offline wait here and go to the server (for the mistake book) when the network returns.
async function syncQueue() {
  const queue = readJson(QUEUE, []);
  if (!queue.length || !navigator.onLine || !store.token) return;
  const left = [];
  for (const item of queue) {
    try { await api('POST', '/practice/answers', item); } catch (x) { if (x.code === 'offline') left.push(item); }
  }
  localStorage.setItem(QUEUE, JSON.stringify(left));
}

function gradeOffline(q, choice) {
  const given = typeof choice === 'boolean' ? (choice ? 'T' : 'F') : [...choice].sort().join('');
  return { correct: given === q.answer, answer: q.answer, explanation: q.explanation, basis: q.basis };
}

function practiceCard(q, { offline = false } = {}) {
  const after = h('div');
  const card = h('section', { class: 'card' },
    h('p', { class: 'muted' }, `${q.category} · ${{ single: '单选', multiple: '多选', judge: '判断' }[q.kind]}`),
    h('h2', {}, q.stem), speakButton(q.stem),
    choiceInputs({ ...q, position: q.id }, async (choice) => {
      let r;
      if (offline || !navigator.onLine) {
        r = gradeOffline(q, choice);
        const queue = readJson(QUEUE, []);
        queue.push({ question_id: q.id, choice });
        localStorage.setItem(QUEUE, JSON.stringify(queue));
      } else {
        try { r = await api('POST', '/practice/answers', { question_id: q.id, choice }); }
        catch (x) { after.replaceChildren(errorBox(x.message)); return; }
      }
      card.querySelectorAll('input,button:not(.speak)').forEach(i => i.disabled = true);
      after.replaceChildren(revealBox(r));
    }), after);
  return card;
}

async function practiceView() {
  const pack = readJson(PACK, null);
  const list = h('div');
  let categories = [];
  try { categories = await api('GET', '/categories'); } catch { /* offline: the pack still works */ }
  const start = async (category) => {
    try {
      const qs = await api('GET', `/practice?count=10${category ? `&category=${encodeURIComponent(category)}` : ''}`);
      list.replaceChildren(...qs.map(q => practiceCard(q)));
    } catch {
      list.replaceChildren(h('p', {}, '没有网络，用离线练习包练习：'), ...(pack ? pack.questions.slice(0, 10).map(q => practiceCard(q, { offline: true })) : [errorBox('还没有下载离线练习包')]));
    }
  };
  const download = async () => {
    const p = await api('GET', '/practice/pack?count=50');
    localStorage.setItem(PACK, JSON.stringify(p));
    packInfo.textContent = `已下载离线练习包：${p.questions.length}题`;
  };
  const packInfo = h('p', { class: 'muted', id: 'pack-info' }, pack ? `已下载离线练习包：${pack.questions.length}题` : '没网的时候也能练：先下载离线练习包');
  show(h('h1', {}, '按编练习'),
    h('div', { class: 'seg', style: 'flex-wrap:wrap' }, h('button', { type: 'button', onclick: () => start(null) }, '随机'),
      categories.map(c => h('button', { type: 'button', onclick: () => start(c.name) }, c.name))),
    h('section', { class: 'card' }, packInfo, h('button', { class: 'secondary wide', id: 'download-pack', onclick: download }, '下载离线练习包'),
      pack ? h('button', { class: 'secondary wide', id: 'offline-practice', onclick: () => list.replaceChildren(...pack.questions.slice(0, 10).map(q => practiceCard(q, { offline: true }))) }, '用离线包练习') : null),
    list);
}

async function dailyView() {
  const q = await api('GET', '/daily');
  show(h('h1', {}, `每日一法 · ${q.date}`), practiceCard(q));
}

async function mistakesView() {
  if (!store.token) return needLogin();
  const book = await api('GET', '/me/mistakes');
  show(h('h1', {}, '错题本'), h('p', { class: 'muted' }, '连续答对两次，题目会从错题本移出。'),
    book.length ? book.map(m => practiceCard(m.question)) : h('p', {}, '错题本是空的，继续保持！'));
}

// ---------- router ----------

const routes = [
  [/^#\/?$/, homeView], [/^#\/login$/, loginView], [/^#\/register$/, registerView], [/^#\/me$/, meView],
  [/^#\/c\/(.+)$/, campaignView], [/^#\/s\/([0-9a-f]{32})$/, sessionView], [/^#\/b\/(.+)$/, boardView],
  [/^#\/practice$/, practiceView], [/^#\/daily$/, dailyView], [/^#\/mistakes$/, mistakesView],
];

async function route() {
  const hash = location.hash || '#/';
  document.querySelectorAll('#tabs a').forEach(a => a.classList.toggle('on', a.getAttribute('href') === hash));
  for (const [pattern, view] of routes) {
    const m = hash.match(pattern);
    if (m) {
      try { await view(...m.slice(1).map(decodeURIComponent)); }
      catch (x) { show(errorBox(x.code === 'offline' ? '网络不通。可以去“练习”用离线练习包。' : x.message)); }
      return;
    }
  }
  location.hash = '#/';
}

function setLarge(on) {
  document.body.classList.toggle('large', on);
  document.getElementById('large').setAttribute('aria-pressed', on);
  localStorage.setItem('pufa.large', on ? '1' : '');
}

document.getElementById('large').addEventListener('click', () => setLarge(!document.body.classList.contains('large')));
setLarge(localStorage.getItem('pufa.large') === '1');
const net = document.getElementById('net');
const online = () => { net.hidden = navigator.onLine; if (navigator.onLine) syncQueue(); };
addEventListener('online', online); addEventListener('offline', online); online();
addEventListener('hashchange', route);
route();
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
