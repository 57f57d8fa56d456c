// Practice without a network: the downloaded pack (questions with answers, practice banks only)
// and the queue of answers given offline, sent to the server (for the mistake book) once online.

import { api } from '../../lib/api.js';
import { session } from '../../lib/auth.js';

export const PACK = 'pufa.pack';
const QUEUE = 'pufa.queue';

export const readJson = (k, d) => { try { return JSON.parse(localStorage.getItem(k)) ?? d; } catch { return d; } };

export function queueAnswer(item) {
  const queue = readJson(QUEUE, []);
  queue.push(item);
  localStorage.setItem(QUEUE, JSON.stringify(queue));
}

export async function syncQueue() {
  const queue = readJson(QUEUE, []);
  if (!queue.length || !navigator.onLine || !session.signedIn()) return;
  const left = [];
  for (const item of queue) {
    try { await api('POST', '/practice/answers', item); } catch (x) { if (x.code === 'offline' || x.code === 'timeout') left.push(item); }
  }
  localStorage.setItem(QUEUE, JSON.stringify(left));
}

/** Grades a pack question on the phone. */
export function gradeOffline(q, choice) {
  const given = typeof choice === 'boolean' ? (choice ? 'T' : 'F') : [...choice].sort().join('');
  return { correct: given === q.answer, answer: q.answer, explanation: q.explanation, basis: q.basis, choice: given };
}
