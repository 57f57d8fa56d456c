// 普法答题: the resident app. Plain ES modules, no build step; each screen is a file of its own in
// views/, loaded the first time it is visited. Server data reaches the page as text only.

import { whenSignedOut } from '../lib/api.js';
import { box, show } from '../lib/dom.js';
import { messageOf } from '../lib/messages.js';
import { router } from '../lib/router.js';
import { syncQueue } from './parts/offline.js';
import { watchRunning } from './parts/running.js';
import { apply, settings } from './parts/settings.js';

const root = document.getElementById('app');

const screens = [
  [/^#\/?$/, () => import('./views/home.js')],
  [/^#\/login$/, () => import('./views/login.js')],
  [/^#\/register$/, () => import('./views/register.js')],
  [/^#\/reset$/, () => import('./views/reset.js')],
  [/^#\/me$/, () => import('./views/me.js')],
  [/^#\/c\/([^/]+)$/, () => import('./views/campaign.js')],
  [/^#\/s\/([0-9a-f]{32})$/, () => import('./views/quiz.js')],
  [/^#\/b\/([^/]+)$/, () => import('./views/board.js')],
  [/^#\/practice$/, () => import('./views/practice.js')],
  [/^#\/daily$/, () => import('./views/daily.js')],
  [/^#\/mistakes$/, () => import('./views/mistakes.js')],
  [/^#\/privacy$/, () => import('./views/privacy.js')],
  [/^#\/learn(?:\/([^/]+))?$/, () => import('./views/learn.js')],
  [/^#\/lesson\/([a-z0-9-]+)$/, () => import('./views/lesson.js')],
  [/^#\/ask$/, () => import('./views/ask.js')],
];
/** The tab a screen belongs to, where it is not the tab's own address. */
const TAB_OF = [[/^#\/(c|s|b)\//, '#/'], [/^#\/(learn|lesson|ask)\b/, '#/learn']];

const app = router(root, screens, {
  onRoute: (hash) => {
    document.querySelectorAll('#tabs a').forEach(a => {
      const href = a.getAttribute('href');
      const on = href === hash || TAB_OF.some(([pattern, tab]) => tab === href && pattern.test(hash));
      a.classList.toggle('on', on);
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
  },
  onError: (ctx, e) => show(ctx.root, box('error', e?.code === 'offline'
    ? '网络不通。可以去“练习”用离线练习包。' : messageOf(e))),
});
whenSignedOut(() => { if (!/^#\/(login|register|reset)/.test(location.hash)) location.hash = '#/login'; });

document.getElementById('large').addEventListener('click', () => { settings.large = !settings.large; apply(); });
apply();
watchRunning(document.getElementById('banner'));

const net = document.getElementById('net');
const online = () => { net.hidden = navigator.onLine; if (navigator.onLine) syncQueue(); };
addEventListener('online', online);
addEventListener('offline', online);
online();
app.start();
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
