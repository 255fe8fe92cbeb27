// The app shell: who is signed in, the menu of their role, and a router that
// draws the page of the current /app/... path without reloading.

import { session, loadMe, signOut as endAtServer } from './api.js';
import { h } from './dom.js';
import * as live from './live.js';
import * as auth from './pages/auth.js';
import * as search from './pages/search.js';
import * as listing from './pages/listing.js';
import * as cart from './pages/cart.js';
import * as tours from './pages/tours.js';
import * as inbox from './pages/notifications.js';
import * as provider from './pages/provider.js';
import * as showing from './pages/showing.js';
import * as approvals from './pages/approvals.js';
import * as activity from './pages/activity.js';
import * as realtor from './pages/realtor.js';
import * as admin from './pages/admin.js';
import * as adminEvents from './pages/admin-events.js';
import * as adminOverview from './pages/admin-overview.js';
import * as settings from './pages/settings.js';

const C = 'customer', P = 'provider', R = 'realtor', A = 'admin';

// Each route: a path pattern, the roles that may open it (none: public) and its page.
const routes = [
  ['/app/login', null, auth.login],
  ['/app/register', null, auth.register],
  ['/app/search', [C, A], search.render],
  ['/app/listings/:id', [C, P, R, A], listing.render],
  ['/app/cart', [C], cart.render],
  ['/app/tours', [C], tours.render],
  ['/app/notifications', [C, P, R], inbox.render],
  ['/app/settings', [C, P, R], settings.render],
  ['/app/my-listings', [P], provider.list],
  ['/app/my-listings/new', [P], provider.edit],
  ['/app/my-listings/:id/edit', [P], provider.edit],
  ['/app/my-listings/:id/showing', [P], showing.render],
  ['/app/my-listings/:id/activity', [P], activity.render],
  ['/app/approvals', [P], approvals.render],
  ['/app/assignments', [R], realtor.assignments],
  ['/app/agenda', [R], realtor.agenda],
  ['/app/profile', [R], realtor.profile],
  ['/app/admin/overview', [A], adminOverview.overview],
  ['/app/admin/users', [A], admin.users],
  ['/app/admin/tours', [A], admin.tours],
  ['/app/admin/payments', [A], admin.payments],
  ['/app/admin/dead-letters', [A], adminEvents.deadLetters],
  ['/app/admin/events', [A], adminEvents.events],
];

const menus = {
  customer: [['/app/search', 'Find homes'], ['/app/cart', 'Cart'], ['/app/tours', 'My tours'], ['/app/notifications', 'Notifications'], ['/app/settings', 'Settings']],
  provider: [['/app/my-listings', 'My listings'], ['/app/my-listings/new', 'New listing'], ['/app/approvals', 'Approvals'], ['/app/notifications', 'Notifications'], ['/app/settings', 'Settings']],
  realtor: [['/app/assignments', 'Assignments'], ['/app/agenda', 'Agenda'], ['/app/profile', 'Profile'], ['/app/notifications', 'Notifications'], ['/app/settings', 'Settings']],
  admin: [['/app/admin/overview', 'Overview'], ['/app/admin/users', 'Users'], ['/app/admin/tours', 'Tours'], ['/app/admin/payments', 'Payments'], ['/app/admin/dead-letters', 'Dead letters'], ['/app/admin/events', 'Live events']],
};

const home = { customer: '/app/search', provider: '/app/my-listings', realtor: '/app/assignments', admin: '/app/admin/users' };

const main = document.getElementById('main');
let cleanup = null;
let flash = '';

function match(pattern, path) {
  const a = pattern.split('/');
  const b = path.replace(/\/+$/, '').split('/');
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

/** navigate goes to an /app/ path; message is shown on the next page. */
export function navigate(path, message) {
  if (message) flash = message;
  history.pushState(null, '', path);
  route();
}

function drawChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const items = session.me ? menus[session.me.role] || [] : [['/app/login', 'Sign in'], ['/app/register', 'Register']];
  const here = location.pathname;
  nav.replaceChildren(h('ul', {}, items.map(([href, text]) => h('li', {}, h('a', { href, 'aria-current': here === href ? 'page' : undefined }, text)))));
  who.replaceChildren();
  if (session.me) {
    who.append(h('span', {}, `${session.me.name} (${session.me.role})`),
      h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'));
  }
}

function signOut(message) {
  endAtServer();
  live.stop();
  navigate('/app/login', typeof message === 'string' ? message : 'Signed out.');
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  let path = location.pathname.replace(/\/+$/, '') || '/app';
  if (session.token && !session.me) {
    try { await loadMe(); } catch { session.clear(); }
  }
  if (session.me) live.start(document.getElementById('live'));
  if (path === '/app') path = session.me ? home[session.me.role] : '/app/login';
  if (path !== location.pathname) history.replaceState(null, '', path);

  let found = null;
  for (const [pattern, roles, page] of routes) {
    const params = match(pattern, path);
    if (params) { found = { roles, page, params }; break; }
  }
  drawChrome();
  main.replaceChildren();
  const message = flash;
  flash = '';
  if (message) main.append(h('p', { class: 'notice', role: 'status' }, message));
  if (!found) {
    main.append(h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/app/' }, 'Go to the start page')));
    return;
  }
  if (found.roles && !session.me) { navigate('/app/login', 'Sign in to continue.'); return; }
  if (found.roles && !found.roles.includes(session.me.role)) {
    main.append(h('h1', {}, 'Not for your role'), h('p', {}, 'This page is for ' + found.roles.join(', ') + ' accounts.'));
    return;
  }
  const view = h('div', {});
  main.append(view);
  try {
    const done = await found.page(view, found.params, { navigate });
    if (typeof done === 'function') cleanup = done;
  } catch (err) {
    view.append(h('div', { class: 'error', role: 'alert' }, h('strong', {}, err.title || 'This page could not load'), h('div', {}, err.detail || err.message)));
  }
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} · openhouse` : 'openhouse';
}

// Links inside the app change the page without a reload.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/app')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
  main.focus();
});
window.addEventListener('popstate', route);
window.addEventListener('openhouse:signed-out', (e) => signOut(e.detail));
route();
