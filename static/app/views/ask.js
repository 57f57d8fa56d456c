// 你点我讲: a resident names what they want explained (2–200 characters, 5 a day) and sees each
// request's state: received, answered with a lesson, or not planned with the bureau's reason.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { fmtTime } from '../parts/time.js';
import { needLogin } from './login.js';

const MAX = 200;
const STATE = { received: '已收到，正在安排', answered: '已讲好', declined: '暂不安排' };

function requestCard(r) {
  return h('li', { class: `card request ${r.state}` },
    h('p', { class: 'request-topic' }, r.topic),
    h('p', {}, h('span', { class: `state ${r.state}` }, STATE[r.state]), h('span', { class: 'muted' }, ` ${fmtTime(r.created_at)}提的`)),
    r.state === 'answered' && r.lesson
      ? h('a', { class: 'related-link', href: `#/lesson/${encodeURIComponent(r.lesson.slug)}` }, `去听这一课：${r.lesson.title}`) : null,
    r.state === 'declined' && r.reason ? h('p', { class: 'reason' }, `原因：${r.reason}`) : null);
}

export async function render({ root }) {
  if (!session.signedIn()) return needLogin();
  const mine = h('ul', { class: 'requests' });
  const load = async () => {
    const list = await api('GET', '/me/lesson-requests', undefined, { retries: 1 });
    mine.replaceChildren(...(list.length ? list.map(requestCard) : [h('li', { class: 'muted' }, '还没有点过课。')]));
  };
  const said = h('div', { role: 'status' });
  const topic = h('textarea', { id: 'topic', name: 'topic', rows: 3, maxlength: MAX, placeholder: '比如：草场被别人占了怎么办？' });
  const count = h('p', { class: 'muted count' }, `0/${MAX}字`);
  topic.addEventListener('input', () => { count.textContent = `${topic.value.trim().length}/${MAX}字`; });
  const submit = h('button', { class: 'wide', type: 'submit' }, '提交');
  const form = h('form', { class: 'card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const text = topic.value.trim();
    if (text.length < 2) { said.replaceChildren(box('notice', '请写下想听的话题，至少两个字。')); return; }
    submit.disabled = true;
    said.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' 正在提交…');
    try {
      await api('POST', '/lesson-requests', { topic: text });
      topic.value = '';
      count.textContent = `0/${MAX}字`;
      said.replaceChildren(box('ok', '收到了！讲好以后，会在下面“我点过的课”里告诉您。'));
      await load();
    } catch (x) {
      // Five a day: said kindly, as a notice rather than an error.
      said.replaceChildren(x.status === 429 ? box('notice', `${messageOf(x)}，谢谢您！`) : box('error', messageOf(x)));
    } finally { submit.disabled = false; }
  } },
  h('h1', {}, '你点我讲'),
  h('p', {}, '想弄明白什么法律问题？写下来，司法局请律师专门讲一课，讲好后放在“学法”里。'),
  h('label', { for: 'topic' }, '我想听'), topic, count, said, submit,
  h('p', { class: 'muted' }, '每人每天最多点5次。请不要写身份证号、电话等个人信息。'));
  show(root, h('a', { class: 'back', href: '#/learn' }, '‹ 返回学法'), form, h('h2', {}, '我点过的课'), mine);
  window.scrollTo(0, 0);
  await load();
}
