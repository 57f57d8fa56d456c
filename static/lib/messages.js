// What residents and clerks read when something goes wrong: Chinese, plain, never a code or an
// English suffix. A code the server sends is mapped here; an unknown one shows the server's
// Chinese message without its English part.

const MESSAGES = {
  offline: '网络不通，请检查网络后再试。',
  timeout: '网络太慢，没有等到回应，请再试一次。',
  unauthorized: '请先登录。',
  forbidden: '这个账号没有权限做这件事。',
  not_found: '没有找到要找的内容。',
  invalid_credentials: '手机号或密码不对。',
  too_many_attempts: '尝试次数太多，请稍后再试。',
  unavailable: '服务器正忙，请稍等一会儿再试。',
  internal: '服务器出了点问题，请稍后再试。',
  phone_taken: '这个手机号已经注册过了，可以直接登录。',
  invalid_phone: '手机号应为11位数字。',
  weak_password: '密码太简单了。',
  unknown_region: '请选择所在的嘎查/村/社区。',
  consent_required: '请先阅读并同意个人信息保护说明。',
  campaign_not_open: '答题活动现在没有开放。',
  attempt_limit_reached: '答题次数已经用完了。',
  session_in_progress: '您有一次答题还没交卷。',
  already_answered: '这道题已经答过了，不能再改。',
  session_expired: '答题时间已经到了。',
  session_finished: '已经交卷了。',
  invalid_choice: '请先选择答案。',
  payload_too_large: '内容太大了。',
  malformed_json: '提交的内容格式不对。',
  invalid_body: '提交的内容有误，请检查后再试。',
  method_not_allowed: '这个操作不支持。',
  not_enough_questions: '题库里的题目不够出这套题，请联系工作人员。',
};

/** The Chinese part of a server message `中文 (english)`. */
function chinese(message) {
  if (!message) return '';
  const cut = message.search(/\s*\((?=[A-Za-z])/);
  const text = cut > 0 ? message.slice(0, cut) : message;
  return /[\u4e00-\u9fff]/.test(text) ? text : '';
}

/** The message to show for an error from `api()` (or anything thrown). */
export function messageOf(err, fallback = '出了点问题，请再试一次。') {
  if (err?.code === 'too_many_attempts' && err.retryAfter) {
    return `尝试次数太多，请${waitText(err.retryAfter)}后再试。`;
  }
  return chinese(err?.message) || MESSAGES[err?.code] || fallback;
}

/** `90` → `2分钟`, `30` → `30秒`, `4000` → `1小时7分钟`. */
export function waitText(secs) {
  const s = Math.max(1, Math.round(secs));
  if (s < 60) return `${s}秒`;
  const m = Math.ceil(s / 60);
  return m < 60 ? `${m}分钟` : `${Math.floor(m / 60)}小时${m % 60 ? `${m % 60}分钟` : ''}`;
}
