// The phone app in a real browser: Debian's chromium, headless, on a phone viewport, against a real
// pufa server (fresh SQLite, in-process live store). Screenshots go to tests/e2e/screenshots/.
//
//   cargo build && (cd tests/e2e && npm ci && npm test)
//
// PUFA_BIN overrides the server binary (default ../../target/debug/pufa); CHROMIUM the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, existsSync } from 'node:fs';
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
const ADMIN = { phone: '13300000000', password: 'admin-password-1' };

const freePort = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });

before(async () => {
  assert.ok(existsSync(bin), `build the server first (cargo build): ${bin}`);
  const dir = mkdtempSync(join(tmpdir(), 'pufa-e2e-'));
  const port = await freePort();
  const env = {
    ...process.env,
    PUFA_DATABASE_URL: `sqlite://${join(dir, 'pufa.db')}?mode=rwc`,
    PUFA_LIVE_SCORES: 'memory',
    PUFA_REGIONS_FILE: join(root, 'question-bank/regions.toml'),
    PUFA_QUESTION_BANK_DIR: join(root, 'question-bank'),
    PUFA_STATIC_DIR: join(root, 'static'),
    ROCKET_PORT: String(port),
    ROCKET_LOG_LEVEL: 'off',
    PUFA_LOG: 'warn',
  };
  const made = spawnSync(bin, ['admin', 'create', '--phone', ADMIN.phone, '--name', '司法局'], { env, input: `${ADMIN.password}\n` });
  assert.equal(made.status, 0, made.stderr.toString());
  server = spawn(bin, [], { env, stdio: 'ignore' });
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

const phone = () => browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, locale: 'zh-CN' });

async function register(page, number, name) {
  await page.goto(`${base}/#/register`);
  await page.fill('#phone', number);
  await page.fill('#display_name', name);
  await page.fill('#password', 'password-123');
  await page.selectOption('#township', '150824202000');
  await page.selectOption('#village', '150824202201');
  await page.screenshot({ path: join(shots, '01-register.png') });
  await page.click('button[type=submit]');
  await page.waitForSelector('a[href="#/c/2023-civil-code-month"]');
}

async function answerCurrent(page) {
  const judge = await page.$('button[data-key="T"]');
  if (judge) await judge.click();
  else {
    await page.click('label.option');
    await page.getByRole('button', { name: /^确定/ }).click();
  }
  await page.waitForSelector('.explain');
}

test('a resident registers, takes the quiz with a reload in the middle, and sees the review and the board', async () => {
  const context = await phone();
  const page = await context.newPage();
  // Markup in a name must come back as the characters typed, never as markup.
  await register(page, '13812345601', '巴特尔<b>牧</b>');
  await page.screenshot({ path: join(shots, '02-campaigns.png') });
  await page.click('a[href="#/c/2023-civil-code-month"]');
  await page.getByRole('button', { name: '开始答题' }).click();
  await page.waitForSelector('text=第1/20题');
  await page.screenshot({ path: join(shots, '03-question.png') });

  for (let i = 1; i <= 20; i++) {
    await page.waitForSelector(`text=第${i}/20题`);
    await answerCurrent(page);
    if (i === 1) await page.screenshot({ path: join(shots, '04-explanation.png') });
    if (i === 5) {
      // The phone reloads (or the connection drops): the quiz resumes where it was.
      await page.reload();
      await page.waitForSelector('text=第6/20题');
      continue;
    }
    await page.click('.explain + button');
  }
  await page.waitForSelector('text=答题结果');
  await page.waitForSelector('text=逐题解析');
  const score = await page.textContent('.big');
  assert.match(score, /^\d+分$/);
  await page.screenshot({ path: join(shots, '05-result.png'), fullPage: false });

  await page.goto(`${base}/#/b/2023-civil-code-month`);
  await page.waitForSelector('tr.me');
  assert.ok((await page.textContent('tr.me')).includes('巴特尔<b>牧</b>'));
  assert.equal(await page.$('tr.me b'), null, 'no element was made from the name');
  await page.screenshot({ path: join(shots, '06-board.png') });
  await context.close();
});

test('practice works offline from the downloaded pack and syncs when the network returns', async () => {
  const context = await phone();
  const page = await context.newPage();
  await register(page, '13812345602', '其其格');
  await page.goto(`${base}/#/practice`);
  await page.click('#download-pack');
  await page.waitForSelector('text=已下载离线练习包：50题');
  await page.goto(`${base}/#/daily`);
  await page.waitForSelector('text=每日一法');
  await page.screenshot({ path: join(shots, '07-daily.png') });
  await page.goto(`${base}/#/practice`);
  await page.waitForSelector('#offline-practice');

  await context.setOffline(true);
  await page.click('#offline-practice');
  await answerCurrent(page);
  await page.screenshot({ path: join(shots, '08-offline-practice.png') });
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('pufa.queue') || '[]').length);
  assert.equal(queued, 1, 'the offline answer waits for the network');

  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('pufa.queue') || '[]').length === 0, null, { timeout: 5000 });

  // Network cut after the visit: the installed app still opens, and the pack can be answered.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  await page.goto(`${base}/#/practice`);
  await page.waitForSelector('#offline-practice');
  await page.click('#offline-practice');
  await answerCurrent(page);
  await page.screenshot({ path: join(shots, '10-offline-reopened.png') });
  await context.close();
});

test('an admin uploads a broken question file and sees every problem with its place', async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/#/login`);
  await page.fill('#phone', ADMIN.phone);
  await page.fill('#password', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('a[href="#/c/2023-civil-code-month"]');
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
  await page.screenshot({ path: join(shots, '09-admin-upload-problems.png') });
  await context.close();
});
