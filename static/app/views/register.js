// 注册: phone and its SMS code, nickname, password typed twice, village, and consent to the privacy
// notice (shown right here, with who collects the data and how to reach them). The code verifies the
// phone (prizes go to verified phones); without one the account is made unverified, and can be
// verified later under 我的.

import { api } from '../../lib/api.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { codeField } from '../parts/code.js';
import { phoneField, signedIn } from './login.js';
import { noticeSections } from './privacy.js';

const LABELS = { phone: '手机号', code: '验证码', display_name: '昵称', password: '密码', region_code: '嘎查/村/社区', consent: '个人信息保护说明' };

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
  const err = h('div', { role: 'alert' });
  const codeStatus = h('div', { role: 'status', class: 'status' });
  const [phoneLabel, phone] = phoneField();
  const code = codeField({ purpose: 'register', phone: () => phone.value, status: codeStatus, label: '短信验证码（验证手机号后才能参加抽奖）' });
  const { notice, sections } = await noticeSections();
  const submit = h('button', { class: 'wide', type: 'submit' }, '注册');
  const form = h('form', { class: 'card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const problems = [];
    if (!f.get('region_code')) problems.push('请选择所在的嘎查/村/社区。');
    if (String(f.get('password')).length < 8) problems.push('密码至少要8位。');
    else if (f.get('password') !== f.get('password2')) problems.push('两次输入的密码不一样，请重新输入。');
    if (!f.get('consent')) problems.push('请先阅读并勾选同意《个人信息保护说明》。');
    if (code.value() && !/^\d{6}$/.test(code.value())) problems.push('验证码是短信里的6位数字。');
    if (problems.length) { err.replaceChildren(...problems.map(p => box('error', p))); return; }
    submit.disabled = true;
    err.replaceChildren();
    try {
      signedIn(await api('POST', '/auth/register', {
        phone: f.get('phone'), password: f.get('password'), display_name: f.get('display_name'),
        region_code: f.get('region_code'), consent: true, ...(code.value() ? { code: code.value() } : {}) }));
    } catch (x) {
      const fields = x.details.filter(d => d.field && d.problem);
      err.replaceChildren(...(fields.length
        ? fields.map(d => box('error', `${LABELS[d.field] || '填写的内容'}：${d.problem}`))
        : [box('error', messageOf(x))]));
    } finally { submit.disabled = false; }
  } },
  h('h1', {}, '注册'),
  phoneLabel, phone, ...code.nodes, codeStatus,
  h('label', { for: 'display_name' }, '昵称（显示在排行榜上）'), h('input', { id: 'display_name', name: 'display_name', maxlength: 20, autocomplete: 'nickname', required: true }),
  h('label', { for: 'password' }, '密码（至少8位）'), h('input', { id: 'password', name: 'password', type: 'password', minlength: 8, autocomplete: 'new-password', required: true }),
  h('label', { for: 'password2' }, '再输一次密码'), h('input', { id: 'password2', name: 'password2', type: 'password', minlength: 8, autocomplete: 'new-password', required: true }),
  ...(await regionPicker()),
  h('details', { class: 'notice-box' }, h('summary', {}, `个人信息保护说明（${notice.organiser}）`), sections),
  h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'consent', id: 'consent', value: '1' }),
    h('span', {}, '我已阅读并同意《个人信息保护说明》：', notice.organiser, '收集我的手机号、昵称和所在地区，用于答题、排名、抽奖和统计。')),
  err, submit,
  h('p', {}, '已有账号？', h('a', { href: '#/login' }, '登录')));
  show(root, form);
}
