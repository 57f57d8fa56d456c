// Service worker: the app shell works offline; API answers are never cached here (campaign
// answer keys must never sit in a cache). The offline practice pack lives in localStorage.
const SHELL = 'pufa-shell-v3';
const FILES = ['/', '/index.html', '/app.js?v=2', '/style.css?v=3', '/offline.html', '/manifest.webmanifest',
  '/icons/icon-192.png', '/icons/icon-512.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then(c => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then(keys => Promise.all(keys.filter(k => k !== SHELL).map(k => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  if (event.request.mode === 'navigate') {
    // Pages: the network first (fresh app), the cached shell when offline.
    event.respondWith(fetch(event.request).catch(() =>
      caches.match('/index.html').then(r => r || caches.match('/offline.html'))));
    return;
  }
  event.respondWith(caches.match(event.request).then(hit => hit || fetch(event.request)));
});
