// 获取验证码: a code field with its button. The button counts down the seconds until another code
// may be asked for (the server's resend_after_secs, or its Retry-After after a refusal), so a
// resident on a slow network sees that something happened and does not tap again and again.

import { api } from '../../lib/api.js';
import { box, h } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';

/**
 * The code field for `purpose` ('register' | 'login' | 'reset'). `phone()` gives the number typed
 * so far; `status` is where notices go. Returns { nodes, value(), input }.
 */
export function codeField({ purpose, phone, status, label = '短信验证码' }) {
  const input = h('input', { id: 'code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]*', placeholder: '6位数字' });
  let timer = null;
  const button = h('button', { type: 'button', class: 'secondary send-code' }, '获取验证码');
  const countdown = (secs) => {
    clearInterval(timer);
    let left = Math.max(1, Math.round(secs));
    button.disabled = true;
    button.textContent = `${left}秒后可重发`;
    timer = setInterval(() => {
      left -= 1;
      if (left > 0 && button.isConnected) { button.textContent = `${left}秒后可重发`; return; }
      clearInterval(timer);
      button.disabled = false;
      button.textContent = '重新获取';
    }, 1000);
  };
  button.addEventListener('click', async () => {
    const number = String(phone() || '').replace(/[\s-]/g, '');
    if (!/^1[3-9]\d{9}$/.test(number)) { status.replaceChildren(box('error', '请先填写11位手机号。')); return; }
    button.disabled = true;
    status.replaceChildren();
    try {
      const sent = await api('POST', '/auth/codes', { phone: number, purpose });
      status.replaceChildren(box('ok', `验证码已发到${number.slice(0, 3)}****${number.slice(7)}，5分钟内有效。`));
      countdown(sent.resend_after_secs);
      input.focus();
    } catch (x) {
      status.replaceChildren(box('error', messageOf(x)));
      if (x.status === 429 && x.retryAfter) countdown(x.retryAfter); else button.disabled = false;
    }
  });
  const nodes = [h('label', { for: 'code' }, label), h('div', { class: 'code-row' }, input, button)];
  return { nodes, input, value: () => input.value.trim() };
}
