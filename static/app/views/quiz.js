// The quiz screen: one question at a time against the server's clock; answers retried safely
// over weak networks; the result when the time is up or the resident hands in.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, setProgress, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { KIND, choiceInputs, markOptions, revealBox } from '../parts/question.js';
import { speakButton } from '../parts/speech.js';
import { countdown } from '../parts/time.js';
import { needLogin } from './login.js';
import { showResult } from './result.js';

export async function render(ctx, id) {
  const { root, leave } = ctx;
  if (!session.signedIn()) return needLogin();
  const s = await api('GET', `/sessions/${id}`, undefined, { retries: 3 });
  if (s.finished) return showResult(root, s.result, s);
  const offset = new Date(s.server_time).getTime() - Date.now();
  const timer = h('span', { class: 'timer' });
  const notice = (text) => root.prepend(box('notice', text));
  let index = s.questions.findIndex(q => !q.answered);
  if (index < 0) index = s.questions.length - 1;
  let finishing = false;
  const finish = async () => {
    if (finishing) return;
    finishing = true;
    stop();
    const result = await api('POST', `/sessions/${id}/finish`, undefined, { retries: 5 });
    showResult(root, result, s);
  };
  const stop = countdown(timer, s.deadline, offset, { onEnd: finish });
  leave(stop);

  const render = () => {
    const q = s.questions[index];
    const err = h('div');
    const after = h('div');
    const goNext = () => {
      const more = s.questions.findIndex(x => !x.answered);
      if (more < 0) return finish();
      index = more;
      render();
    };
    const next = () => h('button', { class: 'wide next', type: 'button', onclick: goNext }, s.questions.some(x => !x.answered) ? '下一题' : '交卷');
    const answer = async (choice) => {
      inputs.lock();
      try {
        const r = await api('PUT', `/sessions/${id}/answers/${q.position}`, { choice }, { retries: 5 });
        q.answered = true;
        q.choice = typeof choice === 'boolean' ? (choice ? 'T' : 'F') : choice;
        if (s.reveal === 'after_each') {
          markOptions(card, r.answer, q.choice);
          after.replaceChildren(revealBox(r, notice), next());
        } else {
          goNext();
        }
      } catch (x) {
        if (x.code === 'session_expired') return finish();
        if (x.code === 'already_answered') { q.answered = true; return goNext(); }
        err.replaceChildren(box('error', messageOf(x)));
      }
    };
    const answered = s.questions.filter(x => x.answered).length;
    const bar = h('div', { class: 'progress' }, h('i'));
    setProgress(bar, answered / s.questions.length);
    const inputs = q.answered ? { el: h('p', { class: 'muted' }, `已作答：${q.choice ?? ''}`), lock() {} } : choiceInputs(q, answer);
    const card = h('section', { class: 'card' },
      h('div', { class: 'row' }, h('span', {}, `第${q.position}/${s.questions.length}题 · ${KIND[q.kind]}`), timer),
      bar,
      h('h2', { class: 'stem' }, q.stem),
      speakButton(q.stem + '。' + q.options.map(o => `${o.key}，${o.text}`).join('。'), notice),
      inputs.el, err, after, q.answered ? next() : null,
      h('button', { class: 'secondary wide', type: 'button', onclick: () => { if (confirm('确定现在交卷吗？没答的题按错误计算。')) finish(); } }, '交卷'));
    show(root, card);
    window.scrollTo(0, 0);
  };
  render();
}
