// The quiz screen: one question at a time against the server's clock. 确定 locks the options and
// shows a spinner until the server answers, so what is recorded is what the screen shows; answers
// are retried safely over weak networks (an answer is final and idempotent on the server); a reload
// resumes exactly where the resident was, the last explanation included.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, setProgress, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { KIND, answerText, choiceInputs, markOptions, revealBox } from '../parts/question.js';
import { running } from '../parts/running.js';
import { settings } from '../parts/settings.js';
import { speak, speakButton } from '../parts/speech.js';
import { countdown } from '../parts/time.js';
import { needLogin } from './login.js';
import { showResult } from './result.js';

const SHOWING = (id) => `pufa.showing.${id}`;

/** What is read aloud for a question: the stem and every option. */
export const questionSpeech = (q) => `${q.stem}。${q.kind === 'judge' ? '对，还是错？' : q.options.map(o => `${o.key}，${o.text}`).join('。')}`;

export async function render(ctx, id) {
  const { root, leave, guard } = ctx;
  if (!session.signedIn()) return needLogin();
  const s = await api('GET', `/sessions/${id}`, undefined, { retries: 3 });
  if (s.finished) {
    running.clear(id);
    sessionStorage.removeItem(SHOWING(id));
    return showResult(root, s.result, s);
  }
  const offset = new Date(s.server_time).getTime() - Date.now();
  running.set({ id, slug: s.campaign, title: s.campaign_title, deadline: s.deadline, offset });
  const notice = (text) => root.prepend(box('notice', text));
  const timer = h('span', { class: 'timer', role: 'timer', 'aria-label': '剩余时间' });
  let finishing = false;

  const stopClock = countdown(timer, s.deadline, offset, {
    onEnd: () => finish(),
    onTick: (left) => {
      if (left === 60) {
        notice('还剩1分钟，请抓紧时间。时间到会自动交卷。');
        if (settings.speak) speak('还剩一分钟');
      }
    },
  });
  const unload = (e) => { e.preventDefault(); e.returnValue = ''; };
  addEventListener('beforeunload', unload);
  const stop = () => { stopClock(); removeEventListener('beforeunload', unload); };
  leave(stop);
  guard(() => !finishing && !confirm('计时仍在继续，离开后时间不会停。确定要离开吗？'));

  async function finish() {
    if (finishing) return;
    finishing = true;
    stop();
    show(root, h('section', { class: 'card' }, h('p', {}, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' 正在交卷…')));
    try {
      const result = await api('POST', `/sessions/${id}/finish`, undefined, { retries: 6 });
      running.clear(id);
      sessionStorage.removeItem(SHOWING(id));
      showResult(root, result, s);
    } catch (x) {
      finishing = false;
      show(root, box('error', `${messageOf(x)} 答案都已保存，网络好了再点交卷。`),
        h('button', { class: 'wide', type: 'button', onclick: finish }, '交卷'));
    }
  }

  // After a reload: the question whose explanation was on the screen, if it was.
  const showing = Number(sessionStorage.getItem(SHOWING(id)));
  let index = s.questions.findIndex(q => q.position === showing && q.answered);
  if (index < 0) index = s.questions.findIndex(q => !q.answered);
  if (index < 0) index = s.questions.length - 1;

  const render = () => {
    const q = s.questions[index];
    const status = h('div', { class: 'status', role: 'status' });
    const after = h('div');
    const goNext = () => {
      sessionStorage.removeItem(SHOWING(id));
      const more = s.questions.findIndex(x => !x.answered);
      if (more < 0) return finish();
      index = more;
      render();
    };
    const nextButton = () => h('button', { class: 'wide next', type: 'button', onclick: goNext },
      s.questions.some(x => !x.answered) ? '下一题' : '交卷');
    const reveal = (r) => {
      markOptions(card, r.answer, q.choice);
      sessionStorage.setItem(SHOWING(id), String(q.position));
      after.replaceChildren(revealBox(r, notice), nextButton());
      if (settings.speak) speak(`${r.correct ? '回答正确' : `回答错误，正确答案是${answerText(r.answer)}`}。${r.explanation}`, notice);
    };
    const send = async (choice) => {
      inputs.lock();
      status.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' 正在提交，请稍候…');
      try {
        const r = await api('PUT', `/sessions/${id}/answers/${q.position}`, { choice }, { retries: 5 });
        status.replaceChildren();
        q.answered = true;
        q.choice = typeof choice === 'boolean' ? (choice ? 'T' : 'F') : choice;
        if (s.reveal === 'after_each') reveal({ ...r, choice: q.choice });
        else goNext();
      } catch (x) {
        if (x.code === 'session_expired' || x.code === 'session_finished') return finish();
        if (x.code === 'already_answered') { q.answered = true; status.replaceChildren(); return goNext(); }
        // Nothing was recorded differently: the same choice is sent again on 重试.
        status.replaceChildren(box('error', messageOf(x)),
          h('button', { class: 'secondary wide', type: 'button', onclick: () => send(choice) }, '重新提交这个答案'));
      }
    };
    const answered = s.questions.filter(x => x.answered).length;
    const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': '答题进度', 'aria-valuemin': 0, 'aria-valuemax': s.questions.length, 'aria-valuenow': answered }, h('i'));
    setProgress(bar, answered / s.questions.length);
    const inputs = q.answered
      ? { el: h('p', { class: 'muted' }, `已作答：${answerText(q.choice ?? '')}`), lock() {} }
      : choiceInputs(q, send);
    const card = h('section', { class: 'card quiz' },
      h('div', { class: 'row' }, h('span', {}, `第${q.position}/${s.questions.length}题 · ${KIND[q.kind]}`), timer),
      bar,
      h('h2', { class: 'stem' }, q.stem),
      speakButton(() => questionSpeech(q), notice),
      inputs.el, status, after,
      h('button', { class: 'secondary wide', type: 'button', onclick: () => {
        const left = s.questions.filter(x => !x.answered).length;
        if (confirm(left ? `还有${left}道题没答，没答的按错误计算。确定现在交卷吗？` : '确定交卷吗？')) finish();
      } }, '交卷'));
    show(root, card);
    if (q.answered && q.explanation !== undefined) {
      reveal({ correct: q.correct, answer: q.answer, explanation: q.explanation, basis: q.basis, choice: q.choice });
    } else if (q.answered) {
      after.replaceChildren(nextButton());
    } else if (settings.speak) {
      speak(questionSpeech(q), notice);
    }
    window.scrollTo(0, 0);
  };
  render();
}
