// A lesson's body as the server renders it (headings, paragraphs, list items, bold runs) turned
// into elements, text only: the resident app's lesson page and the staff console's preview show
// the same thing. `words(text)` may turn a run of text into nodes (the app links citations).

import { h } from './dom.js';

export function renderBlocks(blocks, words = (text) => [text]) {
  const out = [];
  let list = null;
  for (const block of blocks) {
    const runs = block.spans.map(s => (s.bold ? h('b', {}, words(s.text)) : words(s.text)));
    if (block.kind === 'li') {
      if (!list) { list = h('ul', { class: 'lesson-list' }); out.push(list); }
      list.append(h('li', {}, runs));
      continue;
    }
    list = null;
    out.push(block.kind === 'h2' ? h('h2', {}, runs) : h('p', {}, runs));
  }
  return out;
}
