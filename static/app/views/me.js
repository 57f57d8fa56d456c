// 我的: the account, settings (large type, read-aloud), my data (download, delete), sign-out.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { apply, settings } from '../parts/settings.js';
import { codeField } from '../parts/code.js';
import { needLogin } from './login.js';

function toggle(label, get, set) {
  const b = h('button', { type: 'button', class: 'secondary wide toggle', 'aria-pressed': String(get()),
    onclick: () => { set(!get()); b.setAttribute('aria-pressed', String(get())); b.lastChild.textContent = get() ? '开' : '关'; } },
  h('span', {}, label), h('span', { class: 'state-text' }, get() ? '开' : '关'));
  return b;
}

export async function render({ root }) {
  if (!session.signedIn()) return needLogin();
  const me = await api('GET', '/me');
  session.updateUser(me);
  const err = h('div', { role: 'alert' });
  const erase = async () => {
    const typed = prompt(`注销后手机号、昵称和密码立即删除，无法恢复；答题记录只以不含个人信息的方式留作统计。\n确定注销，请输入手机号后四位（${me.phone_masked}）：`);
    if (typed === null) return;
    if (typed.trim() !== me.phone_masked.slice(-4)) { err.replaceChildren(box('error', '后四位不对，没有注销。')); return; }
    try {
      await api('DELETE', '/me');
      session.forget();
      show(root, h('section', { class: 'card' }, h('h1', {}, '账号已注销'), h('p', {}, '您的手机号、昵称和密码已经删除。感谢参加普法答题。'),
        h('a', { class: 'button wide', href: '#/' }, '回到首页')));
    } catch (x) { err.replaceChildren(box('error', messageOf(x))); }
  };
  show(root,
    h('section', { class: 'card' }, h('h1', {}, me.display_name),
      h('p', {}, `手机：${me.phone_masked}`, me.phone_verified ? h('span', { class: 'verified' }, ' ✔ 已验证') : null),
      h('p', {}, `所在：${me.region.name}`),
      me.role !== 'resident' ? h('p', {}, h('a', { class: 'button secondary', href: '/admin/' }, '管理后台')) : null),
    me.phone_verified ? null : verifyCard(me, async () => { await render({ root }); scrollTo(0, 0); }),
    h('section', { class: 'card' }, h('h2', {}, '设置'),
      toggle('大字', () => settings.large, (on) => { settings.large = on; apply(); }),
      toggle('自动朗读题目和解析', () => settings.speak, (on) => { settings.speak = on; })),
    h('section', { class: 'card' }, h('h2', {}, '我的数据'),
      h('p', { class: 'muted' }, '可以下载我们保存的您的全部数据，也可以注销账号。'),
      h('a', { class: 'button secondary wide', href: '/api/v1/me/export', download: 'pufa-my-data.json' }, '下载我的数据'),
      h('a', { class: 'button secondary wide', href: '#/privacy' }, '个人信息保护说明'),
      err,
      h('button', { class: 'danger wide', type: 'button', onclick: erase }, '注销账号')),
    h('button', { class: 'wide secondary', type: 'button', onclick: async () => {
      try { await api('POST', '/auth/logout'); } catch { /* signed out on this phone anyway */ }
      session.forget();
      location.hash = '#/login';
    } }, '退出登录'));
}

/** 验证手机号: the resident types their own number (the page knows it only masked), gets a code and
 * enters it; the server checks the code against the account's number. */
function verifyCard(me, done) {
  const status = h('div', { role: 'status', class: 'status' });
  const number = h('input', { id: 'verify-phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', maxlength: 13,
    placeholder: me.phone_masked });
  const own = () => {
    const digits = number.value.replace(/[\s-]/g, '');
    return digits.slice(0, 3) === me.phone_masked.slice(0, 3) && digits.slice(-4) === me.phone_masked.slice(-4) ? digits : '';
  };
  const code = codeField({ purpose: 'login', phone: own, status });
  const submit = h('button', { type: 'submit', class: 'wide' }, '验证');
  return h('form', { class: 'card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.value())) { status.replaceChildren(box('error', '请填写短信里的6位验证码。')); return; }
    submit.disabled = true;
    try {
      await api('POST', '/me/phone-verification', { code: code.value() });
      done();
    } catch (x) { status.replaceChildren(box('error', messageOf(x))); submit.disabled = false; }
  } },
  h('h2', {}, '验证手机号'),
  h('p', {}, '奖品只发给验证过手机号的居民。输入本账号的手机号，获取验证码并填写，就完成了验证。'),
  h('label', { for: 'verify-phone' }, `本账号的手机号（${me.phone_masked}）`), number,
  ...code.nodes, status, submit);
}
