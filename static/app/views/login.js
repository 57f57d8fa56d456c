// 登录: by SMS code first (nothing to remember), by password second; 忘记密码 leads to a reset by
// code. After too many wrong passwords it says how long to wait.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { codeField } from '../parts/code.js';

/** After signing in: back to where the resident was sent away from, or home. */
export function signedIn(result) {
  session.keep(result);
  location.hash = sessionStorage.getItem('pufa.after') || '#/';
  sessionStorage.removeItem('pufa.after');
}

/** Sends the resident to sign in, and back here afterwards. */
export function needLogin() {
  sessionStorage.setItem('pufa.after', location.hash);
  location.hash = '#/login';
}

/** The phone field every sign-in form starts with. */
export function phoneField() {
  return [h('label', { for: 'phone' }, '手机号'),
    h('input', { id: 'phone', name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', maxlength: 13, required: true })];
}

export function render({ root }) {
  const err = h('div', { role: 'alert', class: 'status' });
  const [phoneLabel, phone] = phoneField();
  const code = codeField({ purpose: 'login', phone: () => phone.value, status: err });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const byCode = h('div', {}, ...code.nodes);
  const byPassword = h('div', { hidden: true }, h('label', { for: 'password' }, '密码'), password,
    h('p', {}, h('a', { href: '#/reset' }, '忘记密码？')));
  let mode = 'code';
  const tab = (which, text) => h('button', { type: 'button', 'aria-pressed': String(which === mode), onclick: (e) => {
    mode = which;
    byCode.hidden = mode !== 'code';
    byPassword.hidden = mode !== 'password';
    e.currentTarget.parentElement.querySelectorAll('button').forEach(b => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
    err.replaceChildren();
  } }, text);
  const submit = h('button', { class: 'wide', type: 'submit' }, '登录');
  const form = h('form', { class: 'card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const body = mode === 'code' ? { phone: phone.value, code: code.value() } : { phone: phone.value, password: password.value };
    if (mode === 'code' && !/^\d{6}$/.test(body.code)) { err.replaceChildren(box('error', '请填写短信里的6位验证码。')); return; }
    if (mode === 'password' && !body.password) { err.replaceChildren(box('error', '请填写密码。')); return; }
    submit.disabled = true;
    err.replaceChildren();
    try { signedIn(await api('POST', '/auth/login', body)); }
    catch (x) { err.replaceChildren(box('error', messageOf(x))); }
    finally { submit.disabled = false; }
  } },
  h('h1', {}, '登录'),
  h('div', { class: 'seg', role: 'group', 'aria-label': '登录方式' }, tab('code', '验证码登录'), tab('password', '密码登录')),
  phoneLabel, phone, byCode, byPassword,
  err, submit,
  h('p', {}, '还没有账号？', h('a', { href: '#/register' }, '注册')));
  show(root, form);
}
