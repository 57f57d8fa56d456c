// 登录: phone and password; after too many wrong passwords it says how long to wait.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';

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

export function render({ root }) {
  const err = h('div', { role: 'alert' });
  const submit = h('button', { class: 'wide', type: 'submit' }, '登录');
  const form = h('form', { class: 'card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    submit.disabled = true;
    err.replaceChildren();
    try { signedIn(await api('POST', '/auth/login', { phone: f.get('phone'), password: f.get('password') })); }
    catch (x) { err.replaceChildren(box('error', messageOf(x))); }
    finally { submit.disabled = false; }
  } },
  h('h1', {}, '登录'),
  h('label', { for: 'phone' }, '手机号'), h('input', { id: 'phone', name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', required: true }),
  h('label', { for: 'password' }, '密码'), h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
  err, submit,
  h('p', {}, '还没有账号？', h('a', { href: '#/register' }, '注册')));
  show(root, form);
}
