// The staff console. Same building blocks as the resident app (lib/): one api(), one h(), the
// Chinese messages, one router. Each part of the page is a file of its own in views/.

import { session } from '../lib/auth.js';
import { box, h, show } from '../lib/dom.js';
import { messageOf } from '../lib/messages.js';
import { router } from '../lib/router.js';
import * as campaigns from './views/campaigns.js';
import * as live from './views/live.js';
import * as stats from './views/stats.js';
import * as upload from './views/upload.js';

const root = document.getElementById('admin');

/** The first page: upload, campaigns, statistics, the big screen. */
function overview({ root }) {
  const statsPart = stats.section();
  const livePart = live.section();
  const campaignPart = campaigns.section({ onStats: statsPart.load, onLive: livePart.watch });
  show(root, upload.section(), campaignPart.el, statsPart.el, livePart.el);
  campaignPart.load().catch(e => campaignPart.list.replaceChildren(box('error', messageOf(e))));
}

const routes = [
  [/^#\/?$/, async () => ({ render: overview })],
  [/^#\/lessons$/, () => import('./views/lessons.js')],
  [/^#\/lessons\/(new(?:\/for\/\d+)?|edit\/[a-z0-9-]+)$/, () => import('./views/lesson-edit.js')],
  [/^#\/daily-law$/, () => import('./views/daily-law.js')],
  [/^#\/lesson-requests$/, () => import('./views/lesson-requests.js')],
];

const nav = [
  ['#/', '总览'],
  ['#/lessons', '以案释法'],
  ['#/daily-law', '每日一法'],
  ['#/lesson-requests', '你点我讲'],
];

if (!session.signedIn()) {
  location.href = '/#/login';
} else {
  const links = nav.map(([href, text]) => h('a', { href }, text));
  root.before(h('nav', { class: 'admin-nav', 'aria-label': '后台菜单' }, links));
  router(root, routes, {
    onRoute: (hash) => links.forEach(a => {
      const href = a.getAttribute('href');
      const on = href === '#/' ? /^#\/?$/.test(hash) : hash === href || hash.startsWith(`${href}/`);
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }),
    onError: (ctx, e) => show(ctx.root, box('error', messageOf(e))),
  }).start();
}
