// Service worker: the resident app works offline. One version constant names the cache; a new
// version replaces the old cache whole. API answers are never cached here (campaign answer keys
// must never sit in a cache), nor are staff pages. The offline practice pack lives in localStorage;
// the lessons a resident has read are kept by the page itself in the 'pufa-lessons' cache
// (app/parts/kept.js, at most 40), which an app update leaves in place.
const VERSION = 'pufa-app-v8';
const KEPT_BY_THE_PAGE = ['pufa-lessons'];
const APP = [
  '/', '/offline.html', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png',
  '/css/base.css', '/css/app.css',
  '/lib/dom.js', '/lib/api.js', '/lib/auth.js', '/lib/router.js', '/lib/messages.js', '/lib/blocks.js',
  '/app/main.js', '/app/parts/code.js', '/app/parts/offline.js', '/app/parts/question.js', '/app/parts/running.js', '/app/parts/settings.js',
  '/app/parts/speech.js', '/app/parts/time.js', '/app/parts/law.js', '/app/parts/kept.js', '/app/parts/dailylaw.js',
  '/app/views/home.js', '/app/views/login.js', '/app/views/register.js', '/app/views/reset.js', '/app/views/me.js',
  '/app/views/campaign.js', '/app/views/quiz.js', '/app/views/result.js', '/app/views/board.js',
  '/app/views/practice.js', '/app/views/daily.js', '/app/views/mistakes.js', '/app/views/privacy.js',
  '/app/views/learn.js', '/app/views/lesson.js', '/app/views/ask.js',
];

const neverCached = (path) => path.startsWith('/api/') || path.startsWith('/admin') || path === '/css/admin.css';

self.addEventListener('install', (event) => {
  // The server answers unchanged files with 304 (ETag), so what the page already loaded is not
  // downloaded again.
  event.waitUntil(caches.open(VERSION).then(c => c.addAll(APP.map(u => new Request(u, { cache: 'no-cache' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then(keys => Promise.all(keys.filter(k => k !== VERSION && !KEPT_BY_THE_PAGE.includes(k)).map(k => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin || neverCached(url.pathname)) return;
  if (event.request.mode === 'navigate') {
    // Pages: the network first (a fresh app), the cached shell when offline.
    event.respondWith(fetch(event.request).catch(() =>
      caches.match('/').then(r => r || caches.match('/offline.html'))));
    return;
  }
  // Files: from the cache at once; refreshed in the background (a 304 when unchanged).
  event.respondWith(caches.open(VERSION).then(async (cache) => {
    const hit = await cache.match(event.request, { ignoreSearch: true });
    const fresh = fetch(event.request).then((res) => {
      if (res.ok) cache.put(event.request, res.clone());
      return res;
    });
    if (hit) {
      event.waitUntil(fresh.catch(() => {}));
      return hit;
    }
    return fresh;
  }));
});
