// Times as residents read them, and a countdown that follows the server's clock (a phone's own
// clock may be wrong by minutes).

export const fmtTime = (iso) => new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false,
  year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
export const fmtDuration = (ms) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}分${String(s % 60).padStart(2, '0')}秒`;
};

/** The server's time now, from an offset measured on a reply (`server_time` − local time). */
export const serverNow = (offsetMs) => Date.now() + offsetMs;

/**
 * Counts down to `target` on `el` once a second by the server's clock; `onEnd` at zero,
 * `onTick(secondsLeft)` each second. Returns a function that stops it.
 */
export function countdown(el, target, offsetMs, { onEnd, onTick } = {}) {
  let ended = false;
  const tick = () => {
    const left = Math.max(0, new Date(target).getTime() - serverNow(offsetMs));
    const s = Math.floor(left / 1000);
    const d = Math.floor(s / 86400);
    el.textContent = d > 0
      ? `${d}天${Math.floor((s % 86400) / 3600)}小时`
      : `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    el.classList.toggle('low', s < 60);
    onTick?.(s);
    if (left <= 0 && !ended) { ended = true; clearInterval(id); onEnd?.(); }
  };
  const id = setInterval(tick, 1000);
  tick();
  return () => clearInterval(id);
}
