// A question on screen: its options as large touch targets, the 确定 button, and the box that
// shows right or wrong, the explanation and the legal basis (each Civil Code article a tap away),
// and the lessons on the same articles (相关案例).

import { h } from '../../lib/dom.js';
import { basisLine, linkCitations, relatedLessons } from './law.js';
import { speakButton } from './speech.js';

export const KIND = { single: '单选', multiple: '多选', judge: '判断' };

/** `T`/`F` as residents read them. */
export const judgeText = (key) => (key === 'T' ? '对' : key === 'F' ? '错' : key);

/**
 * The inputs of question `q`; `onChoice(choice)` gets `"B"`, `"ACD"` or `true`/`false`.
 * Returns the element and `lock()`, which disables every input (while the server answers).
 */
export function choiceInputs(q, onChoice) {
  const name = `q${q.position ?? q.id}`;
  if (q.kind === 'judge') {
    const buttons = q.options.map(o => h('button', { class: 'secondary judge', type: 'button', 'data-key': o.key,
      onclick: () => onChoice(o.key === 'T') }, judgeText(o.key)));
    return { el: h('div', { class: 'judges' }, buttons), lock: () => buttons.forEach(b => { b.disabled = true; }) };
  }
  const type = q.kind === 'multiple' ? 'checkbox' : 'radio';
  const boxes = q.options.map(o => h('label', { class: 'option', 'data-key': o.key },
    h('input', { type, name, value: o.key }), h('span', {}, `${o.key}. `, o.text)));
  const submit = h('button', { class: 'wide', type: 'button', onclick: () => {
    const picked = boxes.map(b => b.querySelector('input')).filter(i => i.checked).map(i => i.value).join('');
    if (picked) onChoice(picked);
  } }, q.kind === 'multiple' ? '确定（多选）' : '确定');
  const lock = () => { boxes.forEach(b => { b.querySelector('input').disabled = true; }); submit.disabled = true; };
  return { el: h('div', {}, boxes, submit), lock };
}

/** Marks the options of `card`: the right ones, the wrong picks, and right ones not picked. */
export function markOptions(card, answer, choice) {
  for (const el of card.querySelectorAll('[data-key]')) {
    const key = el.getAttribute('data-key');
    const right = answer.includes(key);
    const picked = (choice || '').includes(key);
    el.classList.toggle('right', right && picked);
    el.classList.toggle('missed', right && !picked);
    el.classList.toggle('wrong', !right && picked);
    el.querySelectorAll('input').forEach(i => { i.disabled = true; });
    if (el.tagName === 'BUTTON') el.disabled = true;
  }
}

/** The answer as residents read it: `B`, `ACD`, or 对/错. */
export const answerText = (answer) => (answer === 'T' || answer === 'F' ? judgeText(answer) : answer);

/** Right or wrong, the explanation (read aloud on request), the legal basis and 相关案例
 * (`r.lessons`; left out with `{ lessons: false }` where the card shows them already). */
export function revealBox(r, notice, { lessons = true } = {}) {
  const verdict = r.unanswered
    ? h('p', { class: 'bad' }, `未作答，正确答案：${answerText(r.answer)}`)
    : h('p', { class: r.correct ? 'ok' : 'bad' }, r.correct ? '✔ 回答正确' : `✘ 回答错误，正确答案：${answerText(r.answer)}`);
  return h('div', { class: 'explain' }, verdict,
    h('p', {}, linkCitations(r.explanation)), speakButton(r.explanation, notice),
    basisLine(r.basis),
    lessons ? relatedLessons(r.lessons) : null);
}
