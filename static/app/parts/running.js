// The quiz in progress, known to every screen: its clock keeps running when the resident looks
// elsewhere, so the app warns before leaving it and, at the deadline, shows a calm notice wherever
// the resident is instead of jumping to the result.

import { h } from '../../lib/dom.js';
import { serverNow } from './time.js';

const KEY = 'pufa.running';

export const running = {
  get() { try { return JSON.parse(localStorage.getItem(KEY)); } catch { return null; } },
  /** A quiz started or resumed: `{id, slug, title, deadline, offset}`. */
  set(quiz) { localStorage.setItem(KEY, JSON.stringify(quiz)); },
  clear(id) { const r = running.get(); if (!id || r?.id === id) localStorage.removeItem(KEY); },
};

let timer = null;

/** Watches the running quiz from any screen; `banner` is where notices go. */
export function watchRunning(banner) {
  clearInterval(timer);
  timer = setInterval(() => {
    const r = running.get();
    if (!r) return;
    const onQuiz = location.hash === `#/s/${r.id}`;
    const left = new Date(r.deadline).getTime() - serverNow(r.offset || 0);
    if (left <= 0 && !onQuiz) {
      running.clear(r.id);
      banner.replaceChildren(h('div', { class: 'notice', role: 'status' }, `“${r.title}”的答题时间已到，已经自动交卷。`,
        h('a', { href: `#/s/${r.id}`, onclick: () => banner.replaceChildren() }, '查看成绩')));
    } else if (left > 0 && !onQuiz && !banner.childElementCount) {
      banner.replaceChildren(h('div', { class: 'notice', role: 'status' }, '您有一次答题正在计时。',
        h('a', { href: `#/s/${r.id}`, onclick: () => banner.replaceChildren() }, '回到答题')));
    } else if (onQuiz) {
      banner.replaceChildren();
    }
  }, 1000);
}
