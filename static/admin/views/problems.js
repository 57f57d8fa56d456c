// Every problem of a refused form or file, with its place.

import { box, h } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';

export function problemList(err) {
  return [box('error', messageOf(err)),
    h('ul', {}, err.details.map(p => h('li', {}, `${p.place ? `${p.place} ` : ''}${p.field}: ${p.problem}`)))];
}
