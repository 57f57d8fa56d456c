// What a browser test file needs, as tests/e2e/app.test.mjs does it: a real pufa server (fresh
// SQLite in a temp dir, in-process live store, the question bank copied with the demo campaign's
// per-answer floor at 0), Debian's chromium, phone pages that record what a resident would see as
// broken, and `check()`: no CSP violation, no console error, no unexpected HTTP error, nothing
// wider than the screen, then a screenshot in tests/e2e/screenshots/.
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
export const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

export const ADMIN = { phone: '13300000000', password: 'admin-password-1' };
export const DEMO = '2023-civil-code-month';
export const SIZES = [{ width: 390, height: 844 }, { width: 360, height: 640 }];
export const STAFF_SIZE = { width: 1366, height: 768 };

const freePort = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });

/** Starts the server and the browser; `{ base, browser, stop() }`. `phones` keeps test files apart. */
export async function start() {
  assert.ok(existsSync(bin), `build the server first (cargo build): ${bin}`);
  const dir = mkdtempSync(join(tmpdir(), 'pufa-e2e-'));
  const port = await freePort();
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
    PUFA_LOG: 'warn',
  };
  const made = spawnSync(bin, ['admin', 'create', '--phone', ADMIN.phone, '--name', '司法局'], { env, input: `${ADMIN.password}\n` });
  assert.equal(made.status, 0, made.stderr.toString());
  const server = spawn(bin, [], { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { base, browser, stop: async () => { await browser.close(); server.kill(); } };
}

/** A page that records what would look broken: CSP violations, console errors, HTTP errors. */
async function recordingPage(browser, contextOptions, large, tag) {
  const context = await browser.newContext(contextOptions);
  await context.addInitScript((large) => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`));
    if (large && !localStorage.getItem('pufa.large.set')) { localStorage.setItem('pufa.large', '1'); localStorage.setItem('pufa.large.set', '1'); }
  }, large);
  const page = await context.newPage();
  const errors = [];
  const failed = [];
  // Chromium reports every HTTP error answer as a console error too; those are checked by
  // status instead, everything else must not be there at all.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  page.on('dialog', (d) => d.accept());
  return { context, page, errors, failed, tag };
}

/** A phone-sized page (390×844 unless `size`), in large type with `large`. */
export function phonePage(browser, { size = SIZES[0], large = false } = {}) {
  return recordingPage(browser, { viewport: size, hasTouch: true, isMobile: true, locale: 'zh-CN', deviceScaleFactor: 1 },
    large, `${size.width}x${size.height}${large ? '-large' : ''}`);
}

/** A staff page at 1366×768. */
export function staffPage(browser) {
  return recordingPage(browser, { viewport: STAFF_SIZE, locale: 'zh-CN' }, false, `${STAFF_SIZE.width}x${STAFF_SIZE.height}`);
}

/**
 * The screen as it is now: no CSP violation, no console error, no HTTP error but `expectFailed`
 * since the previous check, nothing wider than the screen.
 */
export async function check(p, name, { expectFailed = [] } = {}) {
  const { page, errors, failed, tag } = p;
  await page.waitForTimeout(150);
  const violations = await page.evaluate(() => window.__violations);
  assert.deepEqual(violations, [], `${name} [${tag}]: CSP violations`);
  assert.deepEqual(errors, [], `${name} [${tag}]: console errors`);
  assert.deepEqual(failed.filter(f => !expectFailed.includes(f)), [], `${name} [${tag}]: unexpected HTTP errors`);
  failed.length = 0;
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${name} [${tag}]: the page is ${scroll}px wide on a ${width}px screen`);
  await page.screenshot({ path: join(shots, `${name}-${tag}.png`) });
}

/** Registers a resident with `phone` through the app and waits for the home screen. */
export async function register(p, base, phone, name = '巴特尔') {
  const { page } = p;
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

/** Signs staff in through the app's login, then opens the console at `hash`. */
export async function staffSignIn(p, base, hash = '#/') {
  const { page } = p;
  await page.goto(`${base}/#/login`);
  await page.click('button:has-text("密码登录")');
  await page.fill('#phone', ADMIN.phone);
  await page.fill('#password', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector(`a[href="#/c/${DEMO}"]`);
  await page.goto(`${base}/admin/${hash}`);
}

/** A JSON call to the API from the test itself (staff setup, looking things up). */
export async function call(base, method, path, body, token) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function staffToken(base) {
  const r = await call(base, 'POST', '/auth/login', ADMIN);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}
