// Citations of the Civil Code as links: a tap shows the article's own text in place (and can
// read it aloud); a second tap hides it. Articles a lesson carries with it (`cited`) need no
// network; others come from GET /articles/{n} once per page load. Citations of other laws
// (解释, 规定, 农村土地承包法…) stay plain text: pufa ships only the Code's text.

import { api } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { speakButton } from './speech.js';

const ARTICLES = 1260;
const known = new Map();
let panels = 0;

const DIGITS = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const UNITS = { 十: 10, 百: 100, 千: 1000 };

/** `1047` or `一千零四十七` → 1047. */
export function articleNumber(raw) {
  if (/^\d+$/.test(raw)) return Number(raw);
  let total = 0;
  let digit = 0;
  for (const c of raw) {
    if (c in DIGITS) digit = DIGITS[c];
    else { total += (digit || 1) * UNITS[c]; digit = 0; }
  }
  return total + digit;
}

/** Remembers article texts the page already has (a lesson's `cited`, the 每日一法 article). */
export function remember(articles) {
  for (const a of articles || []) known.set(a.number, a);
}

async function article(number) {
  if (!known.has(number)) known.set(number, await api('GET', `/articles/${number}`, undefined, { retries: 1 }));
  return known.get(number);
}

/** A tappable `民法典第N条` (or the `label` given); its text opens at the end of the block it sits in. */
export function citeButton(number, label = `民法典第${number}条`) {
  const id = `law-${++panels}`;
  let panel = null;
  const button = h('button', { class: 'cite', type: 'button', 'aria-expanded': 'false', 'aria-controls': id,
    onclick: async () => {
      if (panel) {
        panel.hidden = !panel.hidden;
        button.setAttribute('aria-expanded', String(!panel.hidden));
        return;
      }
      panel = h('span', { class: 'law-text', id, role: 'region', 'aria-label': `民法典第${number}条原文` }, '正在打开原文…');
      (button.closest('p, li, .law-host') || button.parentElement).append(panel);
      button.setAttribute('aria-expanded', 'true');
      try {
        const a = await article(number);
        panel.replaceChildren(
          h('span', { class: 'law-head' }, `民法典${a.title}`),
          h('span', { class: 'law-where' }, [a.part, a.chapter].filter(Boolean).join(' · ')),
          h('span', { class: 'law-body' }, a.text),
          speakButton(`民法典${a.title}。${a.text}`, (text) => panel.append(h('span', { class: 'law-where' }, text))));
        panel.scrollIntoView?.({ block: 'nearest' });
      } catch (x) {
        panel.replaceChildren(x.code === 'offline' || x.code === 'timeout'
          ? '现在没有网络，联网后再点一下就能看原文。' : '这一条的原文暂时打不开，请稍后再试。');
        const failed = panel;
        panel = null;
        setTimeout(() => failed.remove(), 4000);
        button.setAttribute('aria-expanded', 'false');
      }
    } }, label);
  return button;
}

const CITATION = /(《?民法典》?)?第([0-9]+|[零〇一二两三四五六七八九十百千]+)条/g;
/** The end of another law's name just before `第…条`: 农村土地承包法, …解释（一）, …规定, …条例, 通则. */
const OTHER_LAW = /(法|释|定|例|则|）|\)|》)$/;

/**
 * `text` with its Civil Code citations as buttons. A bare `第N条` belongs to the law named last
 * before it (the Code when none is named); `state` carries that across the runs of one text.
 */
export function linkCitations(text, state = { code: true }) {
  const out = [];
  let at = 0;
  for (const m of text.matchAll(CITATION)) {
    const before = text.slice(0, m.index);
    if (m[1] || /民法典》?$/.test(before)) state.code = true;
    else if (OTHER_LAW.test(before)) state.code = false;
    const n = articleNumber(m[2]);
    if (!state.code || n < 1 || n > ARTICLES) continue;
    out.push(text.slice(at, m.index), citeButton(n, m[0]));
    at = m.index + m[0].length;
  }
  out.push(text.slice(at));
  return out.filter(x => x !== '');
}

/** 法律依据: each `民法典第N条` a link, other laws' citations as text. */
export function basisLine(basis) {
  const items = (basis || []).map(b => {
    const m = /^民法典第(\d+)条$/.exec(b);
    const n = m && Number(m[1]);
    return n >= 1 && n <= ARTICLES ? citeButton(n, b) : h('span', { class: 'cite-plain' }, b);
  });
  return h('p', { class: 'basis' }, '法律依据：', items.flatMap((x, i) => (i ? ['、', x] : [x])));
}

/** 相关案例: lessons on the same articles, each a large link to the lesson. */
export function relatedLessons(lessons) {
  if (!lessons?.length) return null;
  return h('div', { class: 'related' }, h('p', { class: 'related-head' }, '相关案例'),
    lessons.map(l => h('a', { class: 'related-link', href: `#/lesson/${encodeURIComponent(l.slug)}` }, l.title)));
}
