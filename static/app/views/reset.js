// 忘记密码: a code sent to the phone, and a new password typed twice. Every earlier sign-in ends
// (a lost phone's session too), and this one begins.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { codeField } from '../parts/code.js';
import { phoneField, signedIn } from './login.js';

const LABELS = { phone: '手机号', code: '验证码', new_password: '新密码' };

export function render({ root }) {
  const err = h('div', { role: 'alert', class: 'status' });
  const [phoneLabel, phone] = phoneField();
  const code = codeField({ purpose: 'reset', phone: () => phone.value, status: err });
  const password = h('input', { id: 'new_password', type: 'password', minlength: 8, autocomplete: 'new-password' });
  const again = h('input', { id: 'new_password2', type: 'password', minlength: 8, autocomplete: 'new-password' });
  const submit = h('button', { class: 'wide', type: 'submit' }, '设置新密码并登录');
  const form = h('form', { class: 'card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.value())) { err.replaceChildren(box('error', '请填写短信里的6位验证码。')); return; }
    if (password.value.length < 8) { err.replaceChildren(box('error', '新密码至少要8位。')); return; }
    if (password.value !== again.value) { err.replaceChildren(box('error', '两次输入的密码不一样，请重新输入。')); return; }
    submit.disabled = true;
    err.replaceChildren();
    try {
      signedIn(await api('POST', '/auth/password-reset', { phone: phone.value, code: code.value(), new_password: password.value }));
    } catch (x) {
      const fields = x.details.filter(d => d.field && d.problem);
      err.replaceChildren(...(fields.length ? fields.map(d => box('error', `${LABELS[d.field] || '填写的内容'}：${d.problem}`)) : [box('error', messageOf(x))]));
    } finally { submit.disabled = false; }
  } },
  h('h1', {}, '找回密码'),
  h('p', { class: 'muted' }, '用手机收到的验证码设置一个新密码。设置后，其他手机上的登录都会退出。'),
  phoneLabel, phone, ...code.nodes,
  h('label', { for: 'new_password' }, '新密码（至少8位）'), password,
  h('label', { for: 'new_password2' }, '再输一次新密码'), again,
  err, submit,
  h('p', {}, h('a', { href: '#/login' }, '想起来了，去登录')));
  show(root, form);
}
