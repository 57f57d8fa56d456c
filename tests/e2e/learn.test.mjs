// 学法 in a real browser (issue 22): the 每日一法 card, lessons by topic, a lesson in large type with
// its articles' text a tap away, 相关案例 after a wrong answer, 你点我讲 from the resident's ask to
// the staff's answer, lessons read offline, and the staff's lesson, 每日一法 and request screens.
// Every screen passes the checks of app.test.mjs (harness.mjs `check()`) at 390×844 and 360×640,
// in normal and large type; staff screens at 1366×768.
//
//   cargo build && (cd tests/e2e && npm test)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SIZES, call, check, phonePage, register, staffPage, staffSignIn, staffToken, start } from './harness.mjs';

let env;
let base;
let phones = 0;
const nextPhone = () => `1391234${String(7000 + phones++).padStart(4, '0')}`;
/** Published lessons with their articles, and what practice questions cite. */
let lessons;
let questions;

before(async () => {
  env = await start();
  base = env.base;
  lessons = (await call(base, 'GET', '/lessons?limit=100')).body.items;
  // Every practice question with its right option texts and the Code's articles it cites, by stem.
  questions = new Map();
  for (const c of (await call(base, 'GET', '/categories')).body) {
    const pack = (await call(base, 'GET', `/practice/pack?count=200&category=${encodeURIComponent(c.name)}`)).body;
    for (const q of pack.questions) {
      const articles = q.basis.map(b => /^民法典第(\d+)条$/.exec(b)).filter(Boolean).map(m => Number(m[1]));
      const right = q.kind === 'judge' ? [q.answer] : q.options.filter(o => q.answer.includes(o.key)).map(o => o.text);
      questions.set(q.stem, { kind: q.kind, right, articles, basis: q.basis });
    }
  }
});

after(async () => { await env?.stop(); });

/** Scrolls what `locator` finds to the middle of the screen, clear of the top bar and the tabs. */
const centre = (locator) => locator.evaluate((e) => e.scrollIntoView({ block: 'center' }));

/** Lessons sharing an article with `articles` (what 相关案例 may show). */
const sharing = (articles) => lessons.filter(l => l.articles.some(a => articles.includes(a)));

/**
 * On the practice screen: answers wrong the first question that cites an article some lesson
 * explains (drawing 再来10题 until one turns up) and returns its card and what it cites.
 */
async function wrongAnswerWithLesson(page) {
  for (let round = 0; round < 15; round++) {
    for (const card of await page.locator('section.card:has(h2.stem)').all()) {
      const q = questions.get(await card.locator('h2.stem').textContent());
      if (!q || q.kind === 'multiple' || !sharing(q.articles).length) continue;
      if (q.kind === 'judge') {
        await card.locator(`button[data-key="${q.right[0] === 'T' ? 'F' : 'T'}"]`).click();
      } else {
        const labels = await card.locator('label.option').all();
        for (const label of labels) {
          const text = (await label.locator('span').textContent()).replace(/^[A-H]\. /, '');
          if (!q.right.includes(text)) { await label.click(); break; }
        }
        await card.getByRole('button', { name: /^确定/ }).click();
      }
      await card.locator('.explain').waitFor();
      return { card, q };
    }
    await page.getByRole('button', { name: '再来10题' }).click();
    await page.waitForTimeout(300);
  }
  throw new Error('no practice question citing an article with a lesson turned up in 15 rounds');
}

/** A finished campaign attempt of the signed-in resident (nothing answered), made through the API. */
async function finishedAttempt(page) {
  const token = await page.evaluate(() => localStorage.getItem('pufa.token'));
  const session = await call(base, 'POST', '/campaigns/2023-civil-code-month/sessions', undefined, token);
  assert.equal(session.status, 201, JSON.stringify(session.body));
  await call(base, 'POST', `/sessions/${session.body.id}/finish`, undefined, token);
  return session.body.id;
}

test('every 学法 screen is clean at 390×844 and 360×640, in normal and large type', async () => {
  for (const size of SIZES) {
    for (const large of [false, true]) {
      const p = await phonePage(env.browser, { size, large });
      const { page } = p;
      await register(p, base, nextPhone(), large ? '大字牧民' : '其其格');
      await page.waitForSelector('.daily-law h2');
      await centre(page.locator('.daily-law'));
      await check(p, '50-home-daily-law');
      await page.click('.daily-law .law-host button.cite');
      await page.waitForSelector('.daily-law .law-body');
      await check(p, '51-home-daily-law-article');

      await page.click('#tabs a[href="#/learn"]');
      await page.waitForSelector('.lesson-card');
      assert.equal(await page.getAttribute('#tabs a[href="#/learn"]', 'aria-current'), 'page');
      await check(p, '52-learn');
      await page.click('.chips a:has-text("相邻关系")');
      await page.waitForSelector('h1:has-text("学法 · 相邻关系")');
      assert.equal(await page.locator('.lesson-card').count(), lessons.filter(l => l.tags.includes('相邻关系')).length);
      await check(p, '53-learn-topic');

      await page.goto(`${base}/#/lesson/loan-no-iou`);
      await page.waitForSelector('article.lesson h1');
      await check(p, '54-lesson');
      await page.locator('article.lesson button.cite', { hasText: '第679条' }).first().click();
      await page.waitForSelector('article.lesson .law-body');
      await check(p, '55-lesson-article');
      await centre(page.locator('.cited'));
      await check(p, '56-lesson-cited');

      await page.goto(`${base}/#/ask`);
      await page.waitForSelector('text=还没有点过课');
      await check(p, '57-ask');
      await page.fill('#topic', '草场被邻居占了一块，怎么要回来？');
      await page.click('form button[type=submit]');
      await page.waitForSelector('.request .state.received');
      await check(p, '58-ask-received');
      // Staff answer it (through the API here; the staff screens are tested below), decline a
      // second, and the rest of the day's five are used up.
      const token = await page.evaluate(() => localStorage.getItem('pufa.token'));
      const staff = await staffToken(base);
      const mine = (await call(base, 'GET', '/me/lesson-requests', undefined, token)).body;
      await call(base, 'POST', `/admin/lesson-requests/${mine[0].id}/answer`, { slug: 'grassland-transfer-expiry' }, staff);
      for (const topic of ['邻居家的狗咬了我的羊', '借条丢了怎么办', '网购的剪毛机坏了', '老人的房子给谁']) {
        assert.equal((await call(base, 'POST', '/lesson-requests', { topic }, token)).status, 201);
      }
      const declined = (await call(base, 'GET', '/me/lesson-requests', undefined, token)).body[0];
      await call(base, 'POST', `/admin/lesson-requests/${declined.id}/decline`, { reason: '这个问题已有课程，请在学法里看“宅基地上的房子能继承吗”' }, staff);
      await page.reload();
      await page.waitForSelector('.request .state.answered');
      await page.fill('#topic', '今天的第六个问题');
      await page.click('form button[type=submit]');
      await page.waitForSelector('.notice:has-text("明天再来")');
      await check(p, '58b-ask-limit', { expectFailed: ['429 /api/v1/lesson-requests'] });
      await centre(page.locator('.request.declined'));
      await check(p, '58c-ask-answered-declined');

      await page.goto(`${base}/#/practice`);
      await page.getByRole('button', { name: '随机' }).click();
      await page.waitForSelector('text=再来10题');
      const { card } = await wrongAnswerWithLesson(page);
      await centre(card.locator('.related'));
      await check(p, '59-practice-related');
      await card.locator('.basis button.cite').first().click();
      await card.locator('.basis .law-body').waitFor();
      await check(p, '60-practice-article');

      await page.goto(`${base}/#/mistakes`);
      await page.waitForSelector('h1:has-text("错题本")');
      await page.waitForSelector('.related-link');
      await centre(page.locator('.related').first());
      await check(p, '61-mistakes-related');

      await page.goto(`${base}/#/s/${await finishedAttempt(page)}`);
      await page.waitForSelector('.review .related');
      await centre(page.locator('.review .related').first());
      await check(p, '62-review-related');

      // Offline: the lesson read above is listed and opens.
      await p.context.setOffline(true);
      await page.goto(`${base}/#/learn`);
      await page.waitForSelector('text=在这部手机上读过的课');
      await check(p, '68-learn-offline');
      await page.click('.lesson-card');
      await page.waitForSelector('text=这是您读过时存在手机上的内容');
      await check(p, '69-lesson-offline');
      await p.context.setOffline(false);
      await p.context.close();
    }
  }
});

test('acceptance 3: a wrong practice answer on an article with a lesson shows that lesson as 相关案例, and it opens', async () => {
  const p = await phonePage(env.browser);
  const { page } = p;
  await register(p, base, nextPhone(), '错了就学');
  await page.goto(`${base}/#/practice`);
  await page.getByRole('button', { name: '随机' }).click();
  await page.waitForSelector('text=再来10题');
  const { card, q } = await wrongAnswerWithLesson(page);
  assert.match(await card.locator('.explain .bad').textContent(), /回答错误/);
  const shown = await card.locator('.related a.related-link').allTextContents();
  const expected = sharing(q.articles);
  assert.ok(shown.length >= 1 && shown.length <= 3, shown.join('|'));
  assert.ok(shown.every(t => expected.some(l => l.title === t)), `${shown} are lessons on ${q.articles}`);
  if (expected.length <= 3) assert.deepEqual(new Set(shown), new Set(expected.map(l => l.title)));
  // The basis: the Code's citations are links, other laws' stay text.
  const links = await card.locator('.basis button.cite').allTextContents();
  assert.deepEqual(links, q.basis.filter(b => /^民法典第\d+条$/.test(b)));
  await card.locator('.basis button.cite').first().click();
  await card.locator('.basis .law-body').waitFor();
  const number = Number(/第(\d+)条/.exec(links[0])[1]);
  assert.equal(await card.locator('.basis .law-body').textContent(), (await call(base, 'GET', `/articles/${number}`)).body.text);
  await card.locator('.related a.related-link').first().click();
  await page.waitForSelector('article.lesson h1');
  assert.equal(await page.textContent('article.lesson h1'), shown[0]);
  await check(p, '63-related-lesson-opened');
  // The same lesson is offered with the question in the mistake book.
  await page.goto(`${base}/#/mistakes`);
  await page.waitForSelector('h1:has-text("错题本")');
  await page.waitForSelector('.related-link');
  assert.ok((await page.locator('.related-link').allTextContents()).includes(shown[0]));
  // And with the question in a campaign's review.
  await page.goto(`${base}/#/s/${await finishedAttempt(page)}`);
  await page.waitForSelector('text=答题结果');
  const reviewed = page.locator('section.review:has(.related)').first();
  const title = await reviewed.locator('a.related-link').first().textContent();
  await reviewed.locator('a.related-link').first().click();
  await page.waitForSelector('article.lesson h1');
  assert.equal(await page.textContent('article.lesson h1'), title);
  await p.context.close();
});

test('a citation shows the article\'s own text when tapped and hides it on a second tap; other laws\' stay text', async () => {
  const p = await phonePage(env.browser);
  const { page } = p;
  await page.goto(`${base}/#/lesson/loan-no-iou`);
  await page.waitForSelector('article.lesson h1');
  const cite = page.locator('article.lesson button.cite', { hasText: '第679条' }).first();
  assert.equal(await cite.getAttribute('aria-expanded'), 'false');
  await cite.click();
  const panel = page.locator(`#${await cite.getAttribute('aria-controls')}`);
  await panel.locator('.law-body').waitFor();
  assert.equal(await panel.locator('.law-body').textContent(), (await call(base, 'GET', '/articles/679')).body.text);
  assert.equal(await cite.getAttribute('aria-expanded'), 'true');
  await cite.click();
  assert.equal(await panel.isHidden(), true, 'a second tap hides it');
  // Another law's article stays text, and a bare 第N条 after the Code's is the Code's.
  await page.goto(`${base}/#/lesson/grassland-transfer-expiry`);
  await page.waitForSelector('article.lesson h1:has-text("草场流转到期")');
  const texts = await page.locator('article.lesson button.cite').allTextContents();
  assert.deepEqual(texts, ['民法典第339条', '第340条', '第235条', '第577条']);
  assert.ok((await page.textContent('article.lesson')).includes('农村土地承包法第四十三条'));
  // Chinese numerals in a gloss are citations too (the 每日一法 card on the home screen).
  await page.goto(`${base}/#/`);
  await page.waitForSelector('.daily-law h2');
  const today = (await call(base, 'GET', '/daily-law')).body;
  await page.click('.daily-law .law-host button.cite');
  await page.waitForSelector('.daily-law .law-body');
  assert.equal(await page.textContent('.daily-law .law-host .law-body'), today.article.text);
  await check(p, '64-daily-law-article');
  await p.context.close();
});

test('a lesson is read aloud block by block, and 停止 stops it', async () => {
  const p = await phonePage(env.browser, { large: true });
  const { page } = p;
  // The phone's speech, recorded: what would be said, in order, and each stop.
  await p.context.addInitScript(() => {
    window.__said = [];
    window.__stops = 0;
    Object.defineProperty(window, 'speechSynthesis', { value: {
      getVoices: () => [], speak: (u) => window.__said.push(u.text), cancel: () => { window.__stops += 1; },
    } });
  });
  await page.goto(`${base}/#/lesson/loan-no-iou`);
  await page.waitForSelector('article.lesson h1');
  await page.getByRole('button', { name: '▶ 朗读全文' }).click();
  const lesson = (await call(base, 'GET', '/lessons/loan-no-iou')).body;
  assert.deepEqual(await page.evaluate(() => window.__said), [lesson.title, ...lesson.blocks.map(b => b.text)]);
  const stops = await page.evaluate(() => window.__stops);
  await page.getByRole('button', { name: '■ 停止' }).click();
  assert.equal(await page.evaluate(() => window.__stops), stops + 1);
  // Leaving the lesson stops the reading too.
  await page.click('#tabs a[href="#/practice"]');
  await page.waitForSelector('h1:has-text("按编练习")');
  assert.equal(await page.evaluate(() => window.__stops), stops + 2);
  await p.context.close();
});

test('acceptance 4: 你点我讲 — ask in the app, staff answer with lessons or decline, the resident sees each and opens the lesson', async () => {
  const resident = await phonePage(env.browser);
  const { page } = resident;
  await register(resident, base, nextPhone(), '想听课');
  await page.goto(`${base}/#/learn`);
  await page.click('.ask-card a.button');
  await page.waitForSelector('#topic');
  await page.click('form button[type=submit]');
  await page.waitForSelector('text=至少两个字');
  const topics = ['牧场围栏挡了邻居的路，怎么办？', '儿子外出打工，老人的赡养费怎么算？', '网上借钱被骗了能报警吗？'];
  for (const topic of topics) {
    await page.fill('#topic', topic);
    await page.click('form button[type=submit]');
    await page.waitForSelector(`.request:has-text("${topic}") .state.received`);
  }
  assert.equal(await page.locator('.request .state.received').count(), 3);
  await check(resident, '65-ask-three-received');

  const staff = await staffPage(env.browser);
  const s = staff.page;
  await staffSignIn(staff, base, '#/lesson-requests');
  await s.waitForSelector('#lesson-requests tbody tr');
  assert.ok((await s.textContent('#request-topics')).includes(topics[0]), 'the topic counts list what residents ask');
  await check(staff, '70-staff-requests');
  // 1: answered with a lesson already written.
  const first = s.locator(`#lesson-requests tr:has-text("${topics[0]}")`);
  await first.locator('select').selectOption('neighbor-passage-fence');
  await first.getByRole('button', { name: '答复' }).click();
  await s.waitForSelector(`#lesson-requests tr:has-text("${topics[0]}") .pill.answered`);
  // 2: answered with a new lesson written for it.
  await s.locator(`#lesson-requests tr:has-text("${topics[1]}")`).getByRole('link', { name: '写新课答复' }).click();
  await s.waitForSelector('#lesson-body');
  assert.match(await s.textContent('.lesson-editor'), /会答复第\d+号点课/);
  await s.fill('#lesson-slug', 'support-migrant-son');
  await s.fill('#lesson-title', '儿子外出打工，赡养费怎么算？');
  await s.fill('#lesson-summary', '儿子常年在外打工，老两口没人照顾，赡养费该怎么出。');
  await s.fill('#lesson-articles', '1067、26');
  await s.fill('#lesson-tags', '监护与赡养');
  await s.fill('#lesson-body', '## 案例\n\n老两口的儿子常年在外打工。\n\n## 法律怎么说\n\n**子女要赡养父母。**民法典第1067条规定，成年子女不履行赡养义务的，缺乏劳动能力或者生活困难的父母，有要求成年子女给付赡养费的权利。\n\n## 该怎么办\n\n- 先找村委会调解\n- 调解不成可以起诉');
  await s.waitForSelector('#lesson-preview h2:has-text("法律怎么说")');
  assert.equal(await s.textContent('#lesson-preview b'), '子女要赡养父母。');
  await s.evaluate(() => window.scrollTo(0, 0));
  await check(staff, '71-staff-lesson-new-for-request');
  await s.click('#lesson-save-publish');
  await s.waitForSelector('text=并答复了点课');
  // 3: declined, with the reason the resident reads.
  const third = s.locator(`#lesson-requests tr:has-text("${topics[2]}")`);
  await third.locator('input').fill('这属于刑事案件，请直接拨打110报警，或拨打12348法律咨询');
  await third.getByRole('button', { name: '不安排' }).click();
  await s.waitForSelector(`#lesson-requests tr:has-text("${topics[2]}") .pill.declined`);
  await s.getByRole('button', { name: /^全部/ }).click();
  await s.waitForSelector('#lesson-requests .pill.declined');
  await centre(s.locator('#lesson-requests tr:has(.pill.answered)').first());
  await check(staff, '72-staff-requests-decided');

  await page.reload();
  await page.waitForSelector('.request .state.answered');
  assert.equal(await page.locator('.request .state.answered').count(), 2);
  assert.ok((await page.textContent(`.request:has-text("${topics[2]}") .reason`)).includes('拨打110'));
  await centre(page.locator('.request.answered').first());
  await check(resident, '66-ask-answered-declined');
  await page.locator(`.request:has-text("${topics[1]}") a.related-link`).click();
  await page.waitForSelector('article.lesson h1');
  assert.equal(await page.textContent('article.lesson h1'), '儿子外出打工，赡养费怎么算？');
  // Five a day: the sixth is refused kindly, as a notice.
  await page.goto(`${base}/#/ask`);
  for (const topic of ['第四个问题：邻居的狗咬了羊', '第五个问题：借条丢了怎么办']) {
    await page.fill('#topic', topic);
    await page.click('form button[type=submit]');
    await page.waitForSelector(`.request:has-text("${topic}")`);
  }
  await page.fill('#topic', '第六个问题：宅基地能卖吗');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.notice:has-text("明天再来")');
  await check(resident, '67-ask-limit', { expectFailed: ['429 /api/v1/lesson-requests'] });
  await resident.context.close();
  await staff.context.close();
});

test('a lesson once read opens offline, its articles\' text too, and the phone keeps at most 40 lessons', async () => {
  const p = await phonePage(env.browser);
  const { page, context } = p;
  await page.goto(`${base}/#/learn`);
  await page.waitForSelector('.lesson-card');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.goto(`${base}/#/lesson/dog-bite-herding`);
  await page.waitForSelector('article.lesson h1');
  const title = await page.textContent('article.lesson h1');
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.waitForSelector('article.lesson h1');

  await context.setOffline(true);
  await page.goto(`${base}/#/learn`);
  await page.waitForSelector('text=在这部手机上读过的课');
  assert.deepEqual(await page.locator('.lesson-card h2').allTextContents(), [title]);
  await page.click('.lesson-card');
  await page.waitForSelector('article.lesson h1');
  assert.equal(await page.textContent('article.lesson h1'), title);
  await page.locator('article.lesson button.cite', { hasText: '1245' }).first().click();
  await page.waitForSelector('article.lesson .law-body');
  assert.ok((await page.textContent('article.lesson .law-body')).includes('饲养的动物造成他人损害'));
  await check(p, '69b-lesson-offline-article');
  // A lesson never opened on this phone says so plainly.
  await page.goto(`${base}/#/lesson/loan-no-iou`);
  await page.waitForSelector('text=还没有在这部手机上读过');
  // The app itself opens offline from the service worker, and the kept lesson with it.
  await page.goto(`${base}/#/lesson/dog-bite-herding`);
  await page.waitForSelector('article.lesson h1');
  await context.setOffline(false);

  // The bound: the 40 most recently read are kept, the oldest dropped.
  const kept = await page.evaluate(async () => {
    const { keep, keptLessons, MAX_KEPT } = await import('/app/parts/kept.js');
    for (let i = 0; i < MAX_KEPT + 5; i++) await keep({ slug: `fake-${i}`, title: `第${i}课`, tags: [], blocks: [], cited: [] });
    return { max: MAX_KEPT, slugs: (await keptLessons()).map(l => l.slug) };
  });
  assert.equal(kept.max, 40);
  assert.equal(kept.slugs.length, 40);
  assert.equal(kept.slugs[0], 'fake-44', 'the most recently read first');
  assert.ok(!kept.slugs.includes('dog-bite-herding') && !kept.slugs.includes('fake-4') && kept.slugs.includes('fake-5'));
  await context.close();
});

test('staff write, preview, publish and revise a lesson, and edit 每日一法, in the console', async () => {
  const staff = await staffPage(env.browser);
  const { page } = staff;
  await staffSignIn(staff, base, '#/lessons');
  await page.waitForSelector('.lessons-table tbody tr');
  assert.equal(await page.locator('.lessons-table tbody tr').count(), (await call(base, 'GET', '/admin/lessons?limit=200', undefined, await staffToken(base))).body.total);
  await check(staff, '73-staff-lessons');

  await page.click('a:has-text("写新课程")');
  await page.waitForSelector('#lesson-body');
  await page.fill('#lesson-slug', 'Bad Slug');
  await page.fill('#lesson-title', '骆驼');
  await page.fill('#lesson-summary', '测试');
  await page.fill('#lesson-articles', '679、2000');
  await page.fill('#lesson-tags', '民间借贷与担保');
  await page.fill('#lesson-body', '## 案例\n\n[链接](http://example.com)');
  await page.waitForSelector('#lesson-preview .error');
  await page.click('#lesson-save');
  await page.waitForSelector('#slug-problem:not([hidden])');
  for (const field of ['slug', 'articles', 'body']) {
    assert.ok(await page.isVisible(`#${field}-problem`), `${field} has its problem shown`);
    assert.match(await page.textContent(`#${field}-problem`), /[\u4e00-\u9fff]/, 'in Chinese');
  }
  await check(staff, '74-staff-lesson-problems', { expectFailed: ['422 /api/v1/admin/lessons/preview', '422 /api/v1/admin/lessons'] });
  await page.fill('#lesson-slug', 'camel-loan');
  await page.fill('#lesson-title', '借钱买骆驼，没写借条');
  await page.fill('#lesson-articles', '679、668');
  await page.fill('#lesson-body', '## 案例\n\n巴特尔借钱买骆驼。\n\n## 法律怎么说\n\n民法典第679条规定，借款合同自提供借款时成立。\n\n## 该怎么办\n\n- 保存转账记录');
  await page.waitForSelector('#lesson-preview h2:has-text("该怎么办")');
  await page.click('#lesson-save');
  await page.waitForSelector('text=已存为草稿');
  assert.equal((await call(base, 'GET', '/lessons/camel-loan')).status, 404, 'a draft is not public');
  await page.click('#lesson-publish');
  await page.waitForSelector('text=已发布，居民现在能看到');
  assert.equal((await call(base, 'GET', '/lessons/camel-loan')).status, 200);
  await page.fill('#lesson-title', '借钱买骆驼，到期要还');
  await page.click('#lesson-save');
  await page.waitForSelector('text=已保存为第2版');
  await page.waitForSelector('#lesson-revisions tbody tr >> nth=1');
  await page.locator('#lesson-revisions tr:has-text("第1版")').getByRole('button', { name: '载入这一版' }).click();
  assert.equal(await page.inputValue('#lesson-title'), '借钱买骆驼，没写借条');
  await page.click('#lesson-save');
  await page.waitForSelector('text=已保存为第3版');
  assert.equal((await call(base, 'GET', '/lessons/camel-loan')).body.title, '借钱买骆驼，没写借条');
  await page.locator('#lesson-revisions details').first().locator('summary').click();
  await centre(page.locator('#lesson-revisions'));
  await check(staff, '75-staff-lesson-revisions');
  await page.click('#lesson-publish');
  await page.waitForSelector('text=已撤回');
  assert.equal((await call(base, 'GET', '/lessons/camel-loan')).status, 404, 'taken back');

  await page.goto(`${base}/admin/#/daily-law`);
  await page.waitForSelector('.daily-table tr.today');
  await check(staff, '76-staff-daily-law');
  const today = (await call(base, 'GET', '/daily-law')).body;
  await page.locator('.daily-table tr.today').getByRole('button', { name: '编辑' }).click();
  await page.fill('.daily-table tr.editing input[aria-label="标题"]', '受骗签的合同能撤销');
  await centre(page.locator('.daily-table tr.editing'));
  await check(staff, '77-staff-daily-law-edit');
  await page.locator('.daily-table tr.editing').getByRole('button', { name: '保存' }).click();
  await page.waitForSelector('.daily-table tr.today:has-text("受骗签的合同能撤销")');
  const after = (await call(base, 'GET', '/daily-law')).body;
  assert.equal(after.title, '受骗签的合同能撤销');
  assert.equal(after.article.number, today.article.number);
  await staff.context.close();

  const p = await phonePage(env.browser);
  await p.page.goto(`${base}/#/`);
  await p.page.waitForSelector('.daily-law h2:has-text("受骗签的合同能撤销")');
  await p.context.close();
});
