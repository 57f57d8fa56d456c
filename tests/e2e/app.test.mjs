// The phone app in a real browser: Debian's chromium, headless, phone viewports, against a real
// pufa server (fresh SQLite, in-process live store). Every screen visited is checked for what a
// resident would see as broken: a Content-Security-Policy violation (the server's own policy
// blocks inline styles), a console error, or a page wider than the phone. Screenshots go to
// tests/e2e/screenshots/.
//
//   cargo build && (cd tests/e2e && npm ci && npm test)
//
// PUFA_BIN overrides the server binary (default ../../target/debug/pufa); CHROMIUM the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = process.env.PUFA_BIN || join(root, 'target/debug/pufa');
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

let server, browser, base;
let serverLog = '';

/** The last SMS code the server's log provider "sent" to `phone` (waits a moment for the log line). */
async function smsCode(phone) {
  const masked = `${phone.slice(0, 3)}****${phone.slice(7)}`;
  for (let i = 0; i < 50; i++) {
    const found = [...serverLog.matchAll(/phone=(\S+) code=(\d{6})/g)].filter(m => m[1] === masked).pop();
    if (found) return found[2];
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`no SMS code for ${masked} in the server log`);
}
const ADMIN = { phone: '13300000000', password: 'admin-password-1' };
const DEMO = '2023-civil-code-month';
const SIZES = [{ width: 390, height: 844 }, { width: 360, height: 640 }];

const freePort = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });

before(async () => {
  assert.ok(existsSync(bin), `build the server first (cargo build): ${bin}`);
  const dir = mkdtempSync(join(tmpdir(), 'pufa-e2e-'));
  const port = await freePort();
  // The demo campaign without its per-answer floor: a browser script answers faster than a person
  // reads, and these tests look at screens, not at plausibility (tests/quiz.rs does that).
  const bank = join(dir, 'question-bank');
  cpSync(join(root, 'question-bank'), bank, { recursive: true });
  const demo = join(bank, 'campaigns/2023-civil-code-month.toml');
  writeFileSync(demo, readFileSync(demo, 'utf8').replace('points_per_question = 5', 'points_per_question = 5\nmin_secs_per_answer = 0'));
  const env = {
    ...process.env,
    PUFA_DATABASE_URL: `sqlite://${join(dir, 'pufa.db')}?mode=rwc`,
    PUFA_LIVE_SCORES: 'memory',
    PUFA_REGIONS_FILE: join(root, 'question-bank/regions.toml'),
    PUFA_QUESTION_BANK_DIR: bank,
    PUFA_STATIC_DIR: join(root, 'static'),
    PUFA_ANSWERS_PER_MINUTE: '0',
    PUFA_REGISTRATIONS_PER_ADDRESS_PER_HOUR: '1000',
    ROCKET_PORT: String(port),
    ROCKET_LOG_LEVEL: 'off',
    // The log SMS provider writes each code at INFO: the tests read it there, as a developer would.
    PUFA_LOG: 'warn,pufa::sms=info',
  };
  const made = spawnSync(bin, ['admin', 'create', '--phone', ADMIN.phone, '--name', '司法局'], { env, input: `${ADMIN.password}\n` });
  assert.equal(made.status, 0, made.stderr.toString());
  server = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  server.stdout.on('data', (chunk) => { serverLog += chunk.toString().replace(/\x1b\[[0-9;]*m/g, ''); });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

let phoneCounter = 0;
const nextPhone = () => `1381234${String(5600 + phoneCounter++).padStart(4, '0')}`;

/** A phone-sized page that records what would look broken to a resident. */
async function phonePage({ size = SIZES[0], large = false } = {}) {
  const context = await browser.newContext({ viewport: size, hasTouch: true, isMobile: true, locale: 'zh-CN', deviceScaleFactor: 1 });
  await context.addInitScript((large) => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`));
    if (large && !localStorage.getItem('pufa.large.set')) { localStorage.setItem('pufa.large', '1'); localStorage.setItem('pufa.large.set', '1'); }
  }, large);
  const page = await context.newPage();
  const errors = [];
  const failed = [];
  // Chromium reports every HTTP error answer as a console error too; those are checked by
  // status instead (a resident screen expects none), everything else must not be there at all.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  page.on('dialog', (d) => d.accept());
  // What the page loaded itself, and what the service worker fetched to cache.
  const pageLoaded = new Set();
  const workerFetched = [];
  context.on('requestfinished', async (req) => {
    const path = new URL(req.url()).pathname;
    const res = await req.response();
    if (req.serviceWorker()) {
      const sizes = await req.sizes();
      workerFetched.push({ path, status: res?.status(), bodyBytes: sizes.responseBodySize, conditional: Boolean((await req.allHeaders())['if-none-match']) });
    } else if (res && !res.fromServiceWorker() && res.status() === 200) pageLoaded.add(path);
  });
  const tag = `${size.width}x${size.height}${large ? '-large' : ''}`;
  return { context, page, errors, failed, tag, pageLoaded, workerFetched };
}

/** The screen as it is now: no CSP violation, no console error, nothing wider than the phone. */
async function check(p, name, { expectFailed = [] } = {}) {
  const { page, errors, failed, tag } = p;
  await page.waitForTimeout(150);
  const violations = await page.evaluate(() => window.__violations);
  assert.deepEqual(violations, [], `${name} [${tag}]: CSP violations`);
  assert.deepEqual(errors, [], `${name} [${tag}]: console errors`);
  assert.deepEqual(failed.filter(f => !expectFailed.includes(f)), [], `${name} [${tag}]: unexpected HTTP errors`);
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${name} [${tag}]: the page is ${scroll}px wide on a ${width}px screen`);
  await page.screenshot({ path: join(shots, `${name}-${tag}.png`) });
}

async function register(p, name = '巴特尔') {
  const { page } = p;
  const phone = nextPhone();
  await page.goto(`${base}/#/register`);
  await page.fill('#phone', phone);
  await page.fill('#display_name', name);
  await page.fill('#password', 'grassland-2026');
  await page.fill('#password2', 'grassland-2026');
  await page.selectOption('#township', '150824202000');
  await page.selectOption('#village', '150824202201');
  await page.check('#consent');
  await page.click('button[type=submit]');
  await page.waitForSelector(`a[href="#/c/${DEMO}"]`);
  return phone;
}

/** Answers the question on the screen (a judge: 对; otherwise the first option) and waits for the explanation. */
async function answerCurrent(page) {
  const judge = await page.$('button[data-key="T"]');
  if (judge) await judge.click();
  else {
    await page.click('label.option');
    await page.getByRole('button', { name: /^确定/ }).click();
  }
  await page.waitForSelector('.explain');
}

/** Answers the first question on the screen that still takes an answer. */
async function answerFirstOpen(page) {
  const card = await page.locator('section.card').filter({ has: page.locator('label.option input:not([disabled]), button[data-key="T"]:not([disabled])') }).first().elementHandle();
  const judge = await card.$('button[data-key="T"]');
  if (judge) await judge.click();
  else {
    await (await card.$('label.option')).click();
    await (await card.$('button.wide:not(.secondary)')).click();
  }
  await card.waitForSelector('.explain');
}

const kindOf = async (page) => (await page.textContent('.quiz .row span')).split('· ')[1];

test('every resident screen is clean at 390×844 and 360×640, in normal and large type', async () => {
  for (const size of SIZES) {
    for (const large of [false, true]) {
      const p = await phonePage({ size, large });
      const { page } = p;
      await page.goto(`${base}/#/`);
      await page.waitForSelector(`a[href="#/c/${DEMO}"]`);
      await check(p, '01-home-signed-out');
      await page.goto(`${base}/#/login`);
      await page.waitForSelector('#phone');
      await check(p, '02-login');
      await page.goto(`${base}/#/register`);
      await page.waitForSelector('#consent');
      await page.click('details.notice-box summary');
      await check(p, '03-register-privacy');
      await page.goto(`${base}/#/privacy`);
      await page.waitForSelector('h1:has-text("个人信息保护说明")');
      await check(p, '04-privacy');
      await register(p, large ? '大字牧民' : '其其格');
      await check(p, '05-home-signed-in');
      await page.click(`a[href="#/c/${DEMO}"]`);
      await page.waitForSelector('text=开始答题');
      await check(p, '06-campaign');
      await page.getByRole('button', { name: '开始答题' }).click();
      await page.waitForSelector('text=第1/20题');
      const seen = new Set();
      for (let i = 1; i <= 20; i++) {
        await page.waitForSelector(`text=第${i}/20题`);
        const kind = await kindOf(page);
        if (!seen.has(kind)) await check(p, `07-question-${{ 单选: 'single', 多选: 'multiple', 判断: 'judge' }[kind]}`);
        await answerCurrent(page);
        if (!seen.has(kind)) await check(p, `08-answered-${{ 单选: 'single', 多选: 'multiple', 判断: 'judge' }[kind]}`);
        seen.add(kind);
        await page.click('button.next');
      }
      await page.waitForSelector('text=答题结果');
      await check(p, '09-result');
      await page.getByRole('button', { name: /只看错题/ }).click();
      await page.evaluate(() => window.scrollTo(0, 900));
      await check(p, '10-review-wrong-only');
      await page.goto(`${base}/#/b/${DEMO}`);
      await page.waitForSelector('tr.me');
      await check(p, '11-board');
      for (const [label, file] of [['我的位置', '12-board-around-me'], ['苏木镇参与', '13-board-townships'], ['嘎查村参与', '14-board-villages']]) {
        await page.getByRole('button', { name: label }).click();
        await page.waitForSelector('table.board tbody tr');
        await check(p, file);
      }
      await page.goto(`${base}/#/practice`);
      await page.getByRole('button', { name: '随机' }).click();
      await page.waitForSelector('text=再来10题');
      await check(p, '15-practice');
      await answerFirstOpen(page);
      await check(p, '16-practice-answered');
      await page.click('#download-pack');
      await page.waitForSelector('text=已下载离线练习包：50题');
      await p.context.setOffline(true);
      await page.click('#offline-practice');
      await page.waitForSelector('text=离线练习：');
      await answerFirstOpen(page);
      await check(p, '17-offline-pack');
      await p.context.setOffline(false);
      await page.goto(`${base}/#/daily`);
      await page.waitForSelector('h1:has-text("每日一题")');
      await check(p, '18-daily');
      await answerFirstOpen(page);
      await check(p, '19-daily-answered');
      await page.goto(`${base}/#/mistakes`);
      await page.waitForSelector('h1:has-text("错题本")');
      await check(p, '20-mistakes');
      await page.goto(`${base}/#/me`);
      await page.waitForSelector('text=我的数据');
      await check(p, '21-me');
      await p.context.close();
    }
  }
});

test('a quiz resumes after a reload with the explanation that was on the screen, and the board agrees with the result', async () => {
  const p = await phonePage();
  const { page } = p;
  // Markup in a name must come back as the characters typed, never as markup.
  await register(p, '巴特尔<b>牧</b>');
  await page.click(`a[href="#/c/${DEMO}"]`);
  await page.getByRole('button', { name: '开始答题' }).click();
  for (let i = 1; i <= 20; i++) {
    await page.waitForSelector(`text=第${i}/20题`);
    await answerCurrent(page);
    if (i === 5) {
      // The phone reloads (or the connection drops) while the explanation is shown: it comes back.
      const before = await page.textContent('.explain');
      await page.reload();
      await page.waitForSelector('text=第5/20题');
      await page.waitForSelector('.explain');
      assert.equal(await page.textContent('.explain'), before);
    }
    await page.click('button.next');
  }
  await page.waitForSelector('text=答题结果');
  const rank = (await page.textContent('.result')).match(/排行榜第(\d+)名/)[1];
  await page.goto(`${base}/#/b/${DEMO}`);
  await page.waitForSelector('tr.me');
  assert.ok((await page.textContent('tr.me')).includes('巴特尔<b>牧</b>'));
  assert.equal(await page.$('tr.me b'), null, 'no element was made from the name');
  assert.equal((await page.textContent('tr.me td'))?.trim(), rank, 'one rank everywhere');
  await check(p, '30-board-after-result');
  await p.context.close();
});

test('on a slow network 确定 locks the choice, shows that it is sending, records what the screen shows, and explains', async () => {
  const p = await phonePage();
  const { page } = p;
  await register(p, '慢网络');
  await page.route('**/api/v1/sessions/*/answers/*', async (route) => {
    await new Promise(r => setTimeout(r, 2500));
    await route.continue();
  });
  await page.click(`a[href="#/c/${DEMO}"]`);
  await page.getByRole('button', { name: '开始答题' }).click();
  await page.waitForSelector('text=第1/20题');
  // Until a question with options turns up (judge questions are one tap).
  while (await page.$('button[data-key="T"]')) {
    await page.click('button[data-key="T"]');
    await page.waitForSelector('.explain', { timeout: 10000 });
    await page.click('button.next');
    await page.waitForTimeout(100);
  }
  const options = await page.$$('label.option');
  await options[0].click();
  await page.getByRole('button', { name: /^确定/ }).click();
  await page.waitForSelector('.spinner');
  await check(p, '31-sending');
  // Another option tapped while waiting changes nothing: the inputs are locked.
  assert.equal(await options[1].$eval('input', i => i.disabled), true);
  await options[1].click({ force: true });
  const shown = await page.$$eval('label.option input:checked', (inputs) => inputs.map(i => i.value).join(''));
  await page.waitForSelector('.explain', { timeout: 15000 });
  const position = Number((await page.textContent('.quiz .row span')).match(/第(\d+)\//)[1]);
  const id = page.url().split('#/s/')[1];
  const stored = await page.evaluate(async ({ id, position }) => {
    const res = await fetch(`/api/v1/sessions/${id}`, { headers: { Authorization: `Bearer ${localStorage.getItem('pufa.token')}` } });
    return (await res.json()).questions.find(q => q.position === position).choice;
  }, { id, position });
  assert.equal(stored, shown, 'the server recorded what the screen shows');
  await check(p, '32-explained-after-slow-answer');
  await p.context.close();
});

test('leaving a running quiz asks first, and the deadline elsewhere shows a calm notice', async () => {
  const p = await phonePage();
  const { page } = p;
  await register(p, '计时');
  await page.click(`a[href="#/c/${DEMO}"]`);
  await page.getByRole('button', { name: '开始答题' }).click();
  await page.waitForSelector('text=第1/20题');
  const asked = [];
  page.removeAllListeners('dialog');
  page.on('dialog', (d) => { asked.push(d.message()); d.dismiss(); });
  await page.click('a[href="#/practice"]');
  await page.waitForTimeout(300);
  assert.ok(asked.some(m => m.includes('计时仍在继续')), asked.join('|'));
  assert.ok(page.url().includes('#/s/'), 'still on the quiz');
  // Now leave for real, and let the deadline pass while elsewhere.
  page.removeAllListeners('dialog');
  page.on('dialog', (d) => d.accept());
  await page.click('a[href="#/practice"]');
  await page.waitForSelector('text=您有一次答题正在计时');
  await page.evaluate(() => {
    const r = JSON.parse(localStorage.getItem('pufa.running'));
    r.deadline = new Date(Date.now() - 1000).toISOString();
    localStorage.setItem('pufa.running', JSON.stringify(r));
  });
  await page.waitForSelector('text=答题时间已到');
  assert.ok(page.url().includes('#/practice'), 'no jump to the result');
  await check(p, '33-deadline-notice');
  await p.context.close();
});

test('an upcoming campaign counts down by the server clock and 开始答题 appears without a reload', async () => {
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const { token } = await login.json();
  const now = Date.now();
  const at = (ms) => new Date(now + ms).toISOString();
  const spec = {
    slug: 'soon-open', title: '马上开始的答题', description: '倒计时测试', opens_at: at(6000), closes_at: at(86400000),
    question_count: 5, quotas: [], banks: [], time_limit_secs: 300, attempts_per_day: 3, max_attempts: 0,
    points_per_question: 20, reveal: 'after_each', ranking: 'best', prize: { mode: 'top', winners: 3 }, published: true,
  };
  const made = await fetch(`${base}/api/v1/admin/campaigns`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(spec) });
  assert.equal(made.status, 201, await made.text());
  const p = await phonePage();
  const { page } = p;
  await register(p, '等开始');
  await page.goto(`${base}/#/c/soon-open`);
  await page.waitForSelector('text=距开始');
  await check(p, '34-countdown');
  assert.equal(await page.$('text=开始答题'), null);
  await page.waitForSelector('text=开始答题', { timeout: 15000 });
  await check(p, '35-opened-by-itself');
  await p.context.close();
});

test('a resident downloads their data and deletes the account from 我的', async () => {
  const p = await phonePage();
  const { page } = p;
  const phone = await register(p, '要注销');
  await page.goto(`${base}/#/me`);
  await page.waitForSelector('text=下载我的数据');
  const exported = await page.evaluate(async () => (await fetch('/api/v1/me/export')).json());
  assert.equal(exported.account.phone, phone);
  page.removeAllListeners('dialog');
  page.on('dialog', (d) => d.accept(phone.slice(-4)));
  await page.getByRole('button', { name: '注销账号' }).click();
  await page.waitForSelector('text=账号已注销');
  await check(p, '36-account-deleted');
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone, password: 'grassland-2026' }) });
  assert.equal(login.status, 401);
  await p.context.close();
});

test('practice works offline from the downloaded pack, every pack question in turn, and syncs when the network returns', async () => {
  const p = await phonePage();
  const { page, context } = p;
  await register(p, '其其格');
  await page.goto(`${base}/#/practice`);
  await page.click('#download-pack');
  await page.waitForSelector('text=已下载离线练习包：50题');
  await context.setOffline(true);
  await page.click('#offline-practice');
  await page.waitForSelector('text=第1到10题');
  const first = await page.$$eval('h2.stem', hs => hs.map(x => x.textContent));
  await answerFirstOpen(page);
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('pufa.queue') || '[]').length);
  assert.equal(queued, 1, 'the offline answer waits for the network');
  await page.getByRole('button', { name: '再来10题' }).click();
  await page.waitForSelector('text=第11到20题');
  const second = await page.$$eval('h2.stem', hs => hs.map(x => x.textContent));
  assert.equal(second.filter(s => first.includes(s)).length, 0, 'the next round brings the next questions of the pack');
  await page.click('#download-pack');
  await page.waitForSelector('text=联网后才能下载');
  await check(p, '37-offline-download-refused');

  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('pufa.queue') || '[]').length === 0, null, { timeout: 5000 });

  // Network cut after the visit: the installed app still opens, and the pack can be answered.
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Installing, the worker cached the app without downloading again what the page had loaded: 304s.
  const again = p.workerFetched.filter(f => p.pageLoaded.has(f.path) && f.path !== '/');
  assert.ok(again.length >= 8, JSON.stringify(p.workerFetched));
  assert.deepEqual(again.filter(f => !f.conditional || f.bodyBytes > 0), [], 'files the page had loaded were only revalidated (304), not downloaded again');
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  await page.goto(`${base}/#/practice`);
  await page.waitForSelector('#offline-practice');
  await page.click('#offline-practice');
  await answerFirstOpen(page);
  await check(p, '38-offline-reopened');
  await context.close();
});

test('a resident registers with an SMS code, signs in by code, resets a forgotten password, and verifies a phone under 我的', async () => {
  for (const size of SIZES) {
    const p = await phonePage({ size });
    const { page, context } = p;
    const tag = `${size.width}x${size.height}`;
    // Register with a code: the countdown shows, the account is verified.
    const phone = nextPhone();
    await page.goto(`${base}/#/register`);
    await page.fill('#phone', phone);
    await page.click('button.send-code');
    await page.waitForSelector('button.send-code:has-text("秒后可重发")');
    await page.fill('#code', await smsCode(phone));
    await check(p, '30-register-with-code');
    await page.fill('#display_name', '乌云');
    await page.fill('#password', 'grassland-2026');
    await page.fill('#password2', 'grassland-2026');
    await page.selectOption('#township', '150824202000');
    await page.selectOption('#village', '150824202201');
    await page.check('#consent');
    await page.click('button[type=submit]');
    await page.waitForSelector(`a[href="#/c/${DEMO}"]`);
    await page.goto(`${base}/#/me`);
    await page.waitForSelector('.verified');
    await check(p, '31-me-verified');
    // Sign out, and back in by code (the first way offered).
    await page.click('button:has-text("退出登录")');
    await page.waitForSelector('button:has-text("验证码登录")[aria-pressed="true"]');
    await page.fill('#phone', phone);
    await page.waitForTimeout(100);
    // The server allows a new code after a minute; the countdown says so and the resident waits.
    const wait = await fetch(`${base}/api/v1/auth/codes`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone, purpose: 'login' }) });
    assert.equal(wait.status, 429);
    await page.click('button.send-code');
    await page.waitForSelector('.error');
    await page.waitForSelector('button.send-code:has-text("秒后可重发")');
    await check(p, '32-login-code-wait', { expectFailed: ['429 /api/v1/auth/codes'] });
    await context.close();
  }
  // A minute later (the server's own limit, not the page's): sign in by code, then reset.
  const p = await phonePage();
  const { page, context } = p;
  const phone = nextPhone();
  const reg = await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ phone, password: 'grassland-2026', display_name: '巴图', region_code: '150824202201', consent: true }) });
  assert.equal(reg.status, 201);
  await page.goto(`${base}/#/login`);
  await page.fill('#phone', phone);
  await page.click('button.send-code');
  await page.fill('#code', await smsCode(phone));
  await check(p, '33-login-by-code');
  await page.click('button[type=submit]');
  await page.waitForSelector(`a[href="#/c/${DEMO}"]`);
  // Under 我的 the account (registered with a password only) was verified by that sign-in.
  await page.goto(`${base}/#/me`);
  await page.waitForSelector('.verified');
  await page.click('button:has-text("退出登录")');
  await page.click('button:has-text("密码登录")');
  await page.click('a[href="#/reset"]');
  await page.waitForSelector('h1:has-text("找回密码")');
  const phone2 = nextPhone();
  const reg2 = await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ phone: phone2, password: 'grassland-2026', display_name: '巴图', region_code: '150824202201', consent: true }) });
  assert.equal(reg2.status, 201);
  await page.fill('#phone', phone2);
  await page.click('button.send-code');
  await page.fill('#code', await smsCode(phone2));
  await page.fill('#new_password', 'new-steppe-2027');
  await page.fill('#new_password2', 'new-steppe-2027');
  await check(p, '34-reset');
  await page.click('button[type=submit]');
  await page.waitForSelector(`a[href="#/c/${DEMO}"]`);
  const old = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone: phone2, password: 'grassland-2026' }) });
  assert.equal(old.status, 401, 'the old password no longer works');
  await context.close();
  // An account registered with a password only verifies its phone under 我的.
  const q = await phonePage({ size: SIZES[1] });
  const phone3 = await register(q, '其其格');
  await q.page.goto(`${base}/#/me`);
  await q.page.waitForSelector('h2:has-text("验证手机号")');
  await q.page.fill('#verify-phone', phone3);
  await q.page.click('button.send-code');
  await q.page.fill('#code', await smsCode(phone3));
  await check(q, '35-me-verify');
  await q.page.click('button[type=submit]:text-is("验证")');
  await q.page.waitForSelector('.verified');
  await check(q, '36-me-after-verify');
  await q.context.close();
});

test('an admin uploads a broken question file and sees every problem with its place', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const errors = [];
  const failed = [];
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) failed.push(r.status()); });
  await page.goto(`${base}/#/login`);
  await page.click('button:has-text("密码登录")');
  await page.fill('#phone', ADMIN.phone);
  await page.fill('#password', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector(`a[href="#/c/${DEMO}"]`);
  await page.goto(`${base}/admin.html`);
  await page.waitForSelector('#campaign-list .row');
  const broken = '编号,题型,分类,难度,题干,选项A,选项B,答案,解析,依据\nx-1,单选,婚姻家庭,1,题目,甲,乙,E,解析,民法典第1047条\nx-2,判断,婚姻家庭,9,题目二,,,对,解析,民法典1047条\n';
  await page.setInputFiles('#bank-file', { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) });
  await page.fill('#bank-key', 'broken');
  await page.click('#check');
  await page.waitForSelector('#upload-result li');
  const problems = await page.$$eval('#upload-result li', (items) => items.map(i => i.textContent));
  assert.ok(problems.length >= 3, problems.join('\n'));
  assert.ok(problems.some(p => p.startsWith('upload.csv:2 答案：')), problems.join('\n'));
  assert.ok(problems.some(p => p.startsWith('upload.csv:3 难度：')), problems.join('\n'));
  assert.deepEqual(errors, []);
  assert.deepEqual(failed, [422], 'the check of a broken file is the one refusal');
  await page.screenshot({ path: join(shots, '40-admin-upload-problems.png') });
  await context.close();
});
