// Registration: phone, nickname, password and village.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { signedIn } from './login.js';

export async function regionPicker() {
  const tree = await api('GET', '/regions');
  const townships = tree.flatMap(b => b.children);
  const town = h('select', { id: 'township', required: true }, h('option', { value: '' }, '请选择苏木镇'),
    townships.map(t => h('option', { value: t.code }, t.name)));
  const village = h('select', { id: 'village', name: 'region_code', required: true }, h('option', { value: '' }, '请先选苏木镇'));
  town.addEventListener('change', () => {
    const t = townships.find(x => x.code === town.value);
    village.replaceChildren(h('option', { value: '' }, '请选择嘎查/村/社区'), ...(t ? t.children.map(v => h('option', { value: v.code }, v.name)) : []));
  });
  return [h('label', { for: 'township' }, '苏木镇'), town, h('label', { for: 'village' }, '嘎查/村/社区'), village];
}

export async function render({ root }) {
  const err = h('div');
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      signedIn(await api('POST', '/auth/register', {
        phone: f.get('phone'), password: f.get('password'), display_name: f.get('display_name'), region_code: f.get('region_code') }));
    } catch (x) { err.replaceChildren(box('error', messageOf(x))); }
  } },
  h('h1', {}, '注册'),
  h('label', { for: 'phone' }, '手机号'), h('input', { id: 'phone', name: 'phone', type: 'tel', inputmode: 'numeric', required: true }),
  h('label', { for: 'display_name' }, '昵称（显示在排行榜上）'), h('input', { id: 'display_name', name: 'display_name', maxlength: 20, required: true }),
  h('label', { for: 'password' }, '密码（至少8位）'), h('input', { id: 'password', name: 'password', type: 'password', minlength: 8, autocomplete: 'new-password', required: true }),
  ...(await regionPicker()),
  err, h('button', { class: 'wide', type: 'submit' }, '注册'),
  h('p', {}, '已有账号？', h('a', { href: '#/login' }, '登录')));
  show(root, form);
}
