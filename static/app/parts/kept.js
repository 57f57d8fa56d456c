// Lessons kept on the phone for reading offline: every lesson a resident opens is put in a cache of
// its own ('pufa-lessons', which the service worker leaves alone when the app updates). Bounded:
// the MAX_KEPT lessons opened most recently (a lesson is at most 10,000 characters, so a few
// hundred KB in all); opening one more drops the one read longest ago. Lessons are public, and
// only what the page shows is kept (not the Markdown). Where the browser has no Cache API (a page
// not served over HTTPS) nothing is kept and the lesson needs the network.

export const MAX_KEPT = 40;
const CACHE = 'pufa-lessons';
const url = (slug) => `/api/v1/lessons/${encodeURIComponent(slug)}`;
const open = () => (self.caches ? caches.open(CACHE) : Promise.reject(new Error('no Cache API')));

/** Keeps `lesson` as the most recently read. */
export async function keep(lesson) {
  try {
    const cache = await open();
    const { markdown, ...shown } = lesson;
    await cache.delete(url(lesson.slug));
    await cache.put(url(lesson.slug), new Response(JSON.stringify(shown), { headers: { 'Content-Type': 'application/json' } }));
    // Keys come back in the order they were put: the first are the ones read longest ago.
    const keys = await cache.keys();
    await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_KEPT)).map(k => cache.delete(k)));
  } catch { /* the lesson still shows; it is only not kept */ }
}

/** The kept copy of a lesson, or null. */
export async function kept(slug) {
  try {
    const hit = await (await open()).match(url(slug));
    return hit ? await hit.json() : null;
  } catch { return null; }
}

/** Every kept lesson, the most recently read first. */
export async function keptLessons() {
  try {
    const cache = await open();
    const keys = await cache.keys();
    const lessons = await Promise.all(keys.map(async k => (await cache.match(k))?.json()));
    return lessons.filter(Boolean).reverse();
  } catch { return []; }
}
