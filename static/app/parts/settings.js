// The resident's own settings on this phone: large type and automatic read-aloud.

const LARGE = 'pufa.large';
const SPEAK = 'pufa.speak';

export const settings = {
  get large() { return localStorage.getItem(LARGE) === '1'; },
  set large(on) { localStorage.setItem(LARGE, on ? '1' : ''); apply(); },
  /** Read each question (and its explanation) aloud without a tap. */
  get speak() { return localStorage.getItem(SPEAK) === '1'; },
  set speak(on) { localStorage.setItem(SPEAK, on ? '1' : ''); },
};

/** Puts the large-type setting on the page and on the 大字 button. */
export function apply() {
  document.documentElement.classList.toggle('large', settings.large);
  const button = document.getElementById('large');
  if (button) {
    button.setAttribute('aria-pressed', String(settings.large));
    button.textContent = settings.large ? '大字：开' : '大字';
  }
}
