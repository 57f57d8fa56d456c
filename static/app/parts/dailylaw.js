// The 每日一法 card (home and 学法): today's article in plain words, its own text a tap away, and a
// lesson on it when there is one. Nothing is shown when the day's item cannot be had (offline).

import { api } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { citeButton, linkCitations, relatedLessons, remember } from './law.js';

export async function dailyLawCard() {
  let d;
  try { d = await api('GET', '/daily-law'); } catch { return null; }
  remember([d.article]);
  const [, month, day] = d.date.split('-').map(Number);
  return h('section', { class: 'card daily-law', 'aria-label': '每日一法' },
    h('p', { class: 'kicker' }, `每日一法 · ${month}月${day}日`),
    h('h2', {}, d.title),
    h('p', {}, linkCitations(d.gloss)),
    h('p', { class: 'law-host' }, citeButton(d.article.number, `看原文：民法典第${d.article.number}条`)),
    relatedLessons(d.lesson ? [d.lesson] : []));
}
