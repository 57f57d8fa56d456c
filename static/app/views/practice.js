// 练习: practice by 编 with right/wrong shown at once, 再来10题, and the offline pack (every question
// of the pack gets practised, in turn).

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { PACK, gradeOffline, queueAnswer, readJson } from '../parts/offline.js';
import { relatedLessons } from '../parts/law.js';
import { KIND, answerText, choiceInputs, markOptions, revealBox } from '../parts/question.js';
import { settings } from '../parts/settings.js';
import { speak, speakButton } from '../parts/speech.js';
import { questionSpeech } from './quiz.js';

const PACK_POS = 'pufa.pack.pos';
const ROUND = 10;

/**
 * A practice question with immediate feedback; `offline` grades it from the pack on the phone.
 * `related`: lessons shown with the question from the start (the mistake book), not again after.
 */
export function practiceCard(q, { offline = false, notice, answered, onAnswer, related } = {}) {
  const after = h('div');
  const status = h('div', { role: 'status' });
  const inputs = choiceInputs(q, async (choice) => {
    inputs.lock();
    let r;
    if (offline || !navigator.onLine) {
      r = gradeOffline(q, choice);
      queueAnswer({ question_id: q.id, choice });
      status.replaceChildren(box('notice', '现在没有网络：这道题在手机上判分，联网后会自动记入错题本。'));
    } else {
      status.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' 正在判分…');
      try { r = await api('POST', '/practice/answers', { question_id: q.id, choice }, { retries: 2 }); status.replaceChildren(); }
      catch (x) {
        if (x.code === 'offline' || x.code === 'timeout') {
          r = q.answer ? gradeOffline(q, choice) : null;
        }
        if (!r) { status.replaceChildren(box('error', messageOf(x))); return; }
      }
    }
    const given = typeof choice === 'boolean' ? (choice ? 'T' : 'F') : choice;
    markOptions(card, r.answer, given);
    after.replaceChildren(revealBox(r, notice, { lessons: !related }));
    if (settings.speak) speak(`${r.correct ? '回答正确' : `回答错误，正确答案是${answerText(r.answer)}`}。${r.explanation}`, notice);
    onAnswer?.(r, given);
  });
  const card = h('section', { class: 'card' },
    h('p', { class: 'muted' }, `${q.category} · ${KIND[q.kind]}`),
    h('h2', { class: 'stem' }, q.stem),
    speakButton(() => questionSpeech(q), notice),
    inputs.el, status, after, relatedLessons(related));
  if (answered) {
    inputs.lock();
    markOptions(card, answered.answer, answered.choice);
    after.replaceChildren(revealBox(answered, notice, { lessons: !related }));
  }
  return card;
}

export async function render({ root }) {
  const notice = (text) => root.prepend(box('notice', text));
  const list = h('div');
  let current = null;
  let categories = [];
  try { categories = await api('GET', '/categories'); } catch { /* offline: the pack still works */ }

  const more = (again) => h('button', { class: 'wide', type: 'button', onclick: again }, '再来10题');
  const online = async (category) => {
    current = category;
    list.replaceChildren(h('p', { class: 'muted' }, '正在出题…'));
    try {
      const qs = await api('GET', `/practice?count=${ROUND}${category ? `&category=${encodeURIComponent(category)}` : ''}`);
      list.replaceChildren(...qs.map(q => practiceCard(q, { notice })), more(() => online(current)));
      list.firstElementChild?.scrollIntoView?.({ block: 'start' });
    } catch (x) {
      if (x.code === 'offline' || x.code === 'timeout') offlineRound();
      else list.replaceChildren(box('error', messageOf(x)));
    }
  };
  const offlineRound = () => {
    const pack = readJson(PACK, null);
    if (!pack?.questions?.length) {
      list.replaceChildren(box('notice', '现在没有网络，也还没有下载离线练习包。联网后先下载练习包，以后没网也能练。'));
      return;
    }
    // Every question of the pack in turn: each round takes the next ten.
    const start = Number(localStorage.getItem(PACK_POS) || 0) % pack.questions.length;
    const round = Array.from({ length: Math.min(ROUND, pack.questions.length) }, (_, i) => pack.questions[(start + i) % pack.questions.length]);
    localStorage.setItem(PACK_POS, String((start + round.length) % pack.questions.length));
    list.replaceChildren(box('notice', `离线练习：第${start + 1}到${start + round.length}题，共${pack.questions.length}题。答案在手机上判分，联网后同步错题本。`),
      ...round.map(q => practiceCard(q, { offline: true, notice })), more(offlineRound));
  };
  const pack = readJson(PACK, null);
  const packInfo = h('p', { class: 'muted', id: 'pack-info' }, pack ? `已下载离线练习包：${pack.questions.length}题` : '没网的时候也能练：先下载离线练习包');
  const download = async (button) => {
    if (!navigator.onLine) { packInfo.replaceChildren(box('notice', '现在没有网络，联网后才能下载离线练习包。')); return; }
    button.disabled = true;
    packInfo.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' 正在下载…');
    try {
      const p = await api('GET', '/practice/pack?count=50', undefined, { retries: 2 });
      localStorage.setItem(PACK, JSON.stringify(p));
      localStorage.setItem(PACK_POS, '0');
      packInfo.textContent = `已下载离线练习包：${p.questions.length}题`;
      offlineButton.hidden = false;
    } catch (x) {
      packInfo.replaceChildren(box(x.code === 'offline' ? 'notice' : 'error', x.code === 'offline' ? '现在没有网络，联网后才能下载离线练习包。' : messageOf(x)));
    } finally { button.disabled = false; }
  };
  const offlineButton = h('button', { class: 'secondary wide', id: 'offline-practice', type: 'button', hidden: !pack, onclick: offlineRound }, '用离线包练习');
  show(root, h('h1', {}, '按编练习'),
    h('div', { class: 'seg wrap' }, h('button', { type: 'button', onclick: () => online(null) }, '随机'),
      categories.map(c => h('button', { type: 'button', onclick: () => online(c.name) }, c.name))),
    h('section', { class: 'card' }, packInfo,
      h('button', { class: 'secondary wide', id: 'download-pack', type: 'button', onclick: (e) => download(e.currentTarget) }, '下载离线练习包'),
      offlineButton),
    list);
  if (!navigator.onLine) offlineRound();
}
