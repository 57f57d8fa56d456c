// 我的: the account, staff link, sign-out.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';
import { h, show } from '../../lib/dom.js';
import { needLogin } from './login.js';

export async function render({ root }) {
  if (!session.signedIn()) return needLogin();
  const me = await api('GET', '/me');
  show(root, h('section', { class: 'card' }, h('h1', {}, me.display_name),
    h('p', {}, `手机：${me.phone_masked}`), h('p', {}, `所在：${me.region.name}`),
    me.role !== 'resident' ? h('p', {}, h('a', { class: 'button secondary', href: '/admin/' }, '管理后台')) : null,
    h('button', { class: 'wide secondary', type: 'button', onclick: async () => {
      try { await api('POST', '/auth/logout'); } catch { /* signed out on this phone anyway */ }
      session.forget();
      location.hash = '#/login';
    } }, '退出登录')));
}
