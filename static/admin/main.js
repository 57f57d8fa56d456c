// The staff console. Same building blocks as the resident app (lib/): one api(), one h(), the
// Chinese messages. Each part of the page is a file of its own in views/.

import { session } from '../lib/auth.js';
import { box, show } from '../lib/dom.js';
import { messageOf } from '../lib/messages.js';
import * as campaigns from './views/campaigns.js';
import * as live from './views/live.js';
import * as stats from './views/stats.js';
import * as upload from './views/upload.js';

const root = document.getElementById('admin');

if (!session.signedIn()) {
  location.href = '/#/login';
} else {
  const statsPart = stats.section();
  const livePart = live.section();
  const campaignPart = campaigns.section({ onStats: statsPart.load, onLive: livePart.watch });
  show(root, upload.section(), campaignPart.el, statsPart.el, livePart.el);
  campaignPart.load().catch(e => campaignPart.list.replaceChildren(box('error', messageOf(e))));
}
