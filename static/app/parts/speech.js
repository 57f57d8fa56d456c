// Read aloud: the browser's own speech, in Chinese. Where the phone has no Chinese voice it says so
// once, in plain words, instead of silently doing nothing.

import { h } from '../../lib/dom.js';

let warned = false;

function chineseVoice() {
  if (!('speechSynthesis' in window)) return null;
  const voices = speechSynthesis.getVoices();
  return voices.find(v => /^zh|cmn/i.test(v.lang)) || (voices.length === 0 ? undefined : null);
}

/** Speaks `text` (or each piece of an array in turn); returns false (and shows `notice` once)
 * where no Chinese voice exists. Pieces keep long texts (a lesson) from being cut off. */
export function speak(text, notice) {
  const voice = chineseVoice();
  if (voice === null) {
    if (!warned && notice) {
      warned = true;
      notice('这部手机没有中文朗读声音，朗读用不了。可以在手机设置里添加中文语音。');
    }
    return false;
  }
  speechSynthesis.cancel();
  for (const piece of [text].flat()) {
    const u = new SpeechSynthesisUtterance(piece);
    u.lang = 'zh-CN';
    u.rate = 0.9;
    if (voice) u.voice = voice;
    speechSynthesis.speak(u);
  }
  return true;
}

/** Stops reading aloud. */
export function stopSpeaking() {
  if ('speechSynthesis' in window) speechSynthesis.cancel();
}

/** A 朗读 button for `text` (a string, or a function giving the text at the time of the tap). */
export function speakButton(text, notice) {
  return h('button', { class: 'speak', type: 'button', 'aria-label': '朗读',
    onclick: () => speak(typeof text === 'function' ? text() : text, notice) }, '▶ 朗读');
}
