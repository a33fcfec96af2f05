// The shell: header, tab bar, routing through the table in router.js, the
// offline badge, the sync badge, and the start. The signed-in state is
// session.js's; refusals are said by errors.js.
import { signedIn, ApiError, NetworkError } from './api.js';
import { t, lang, words, pageLang } from './i18n.js';
import { h, clear } from './ui.js';
import { sync, onQueueChange, notifyQueue } from './store.js';
import { ROUTES, SECTIONS, SIGNED_OUT, HOME, screen, match, load, listed, titleKey, titleWords, href } from './router.js';
import { app, go, onRoute, loadMe, mfaOnly, chooseLang, sendLang } from './session.js';
import { problem } from './errors.js';
import * as signin from './screens/signin.js';
import * as today from './screens/today.js';

// What a fieldworker sees first (the sign-in screen and Today) comes with the
// shell; every other screen is loaded when first opened (a dynamic import),
// so the first visit downloads only what it shows. The service worker keeps
// every screen of the same version, installed after the page has loaded, and
// once it controls the page the rest are loaded from it in the background:
// one version of the whole app at a time, and every screen works offline.
const WITH_SHELL = { signin, today };
for (const r of ROUTES) if (r.shell && !WITH_SHELL[r.name]) throw new Error(`${r.name}: a screen that comes with the shell is imported by app.js`);
words(titleWords());

const header = document.querySelector('header');
const nav = document.querySelector('nav');
const main = document.querySelector('main');

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, query: new URLSearchParams(query) };
}

/** The screen a hash opens: `[row, params]`. */
function pick(parts) {
  const found = match(parts);
  // Opened from an emailed link: signed in or not.
  if (found?.row.public && found.row.name !== SIGNED_OUT) return [found.row, found.params];
  if (!signedIn()) return [screen(SIGNED_OUT), {}];
  if (!found || found.row.name === SIGNED_OUT) return [screen(HOME), {}];
  return [found.row, found.params];
}

function renderHeader() {
  document.querySelector('.skip').textContent = t('skip');
  const count = h('span', { class: 'badge' });
  const online = navigator.onLine !== false;
  clear(header,
    h('a', { class: 'brand', href: '#/today' }, h('img', { src: '/icons/icon.svg', alt: '', width: 28, height: 28 }), 'Fieldnotes'),
    h('span', { class: `net ${online ? 'on' : 'off'}`, role: 'status' }, online ? '' : t('offline')),
    signedIn() ? h('a', { href: '#/notes', class: 'sync', id: 'sync-badge', hidden: true }, count) : null,
    h('button', { type: 'button', class: 'lang', lang: lang() === 'nb' ? 'en' : 'nb', onclick: toggleLang },
      lang() === 'nb' ? 'English' : 'Norsk'));
  if (app.me) notifyQueue(app.me.id);
}

/**
 * The tab bar on a phone; from 1024 px (CSS) a side navigation that also
 * lists the desk's screens by section, so a desk reaches each in one
 * click. `row` is the screen shown: its tab, or itself, is marked current.
 */
function renderNav(row) {
  if (!signedIn() || !app.me) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const desk = SECTIONS.map((s) => [s, listed(s.name, app.me.role)]).filter(([, rows]) => rows.length);
  const deskRow = desk.some(([, rows]) => rows.includes(row));
  const tabs = listed('tabs', app.me.role).map((r) => h('li', {},
    h('a', { href: href(r), 'aria-current': !deskRow && row?.tab === r.name ? 'page' : false }, t(titleKey(r, app)))));
  clear(nav, h('ul', { class: 'tabs' }, tabs),
    desk.length ? h('div', { class: 'side' }, desk.map(([s, rows]) => [
      h('h2', { id: `side-${s.id}` }, t(titleKey(s, app))),
      h('ul', { 'aria-labelledby': `side-${s.id}` }, rows.map((r) => h('li', {},
        h('a', { href: href(r), 'aria-current': r === row ? 'page' : false }, t(titleKey(r, app)))))),
    ])) : null);
  nav.setAttribute('aria-label', t('nav.label'));
}

function toggleLang() {
  chooseLang(lang() === 'nb' ? 'en' : 'nb');
  renderHeader();
  route();
}

onQueueChange((q) => {
  const b = document.getElementById('sync-badge');
  if (!b) return;
  b.hidden = q.length === 0;
  b.firstChild.textContent = t('sync.waiting', { n: q.length });
});

/** What runs when the user leaves the screen shown. */
const cleanup = [];
let current = 0;
async function route() {
  const n = ++current;
  for (const fn of cleanup.splice(0)) fn();
  // One navigation: its requests are aborted when the next one starts, and
  // a screen writes only into its own view, which leaves the page then. A
  // screen still loading never writes into the next one.
  const leaving = new AbortController();
  cleanup.push(() => leaving.abort());
  const live = () => n === current && !leaving.signal.aborted;
  const { parts, query } = parseHash();
  let [row, params] = pick(parts);
  if (!row.public && !app.me) {
    try {
      await loadMe();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) [row, params] = [screen(SIGNED_OUT), {}];
      else return fatal(e);
    }
  }
  // A role that must use a second factor, without one yet: only the
  // security screen works until it is set up.
  if (mfaOnly() && !row.public) {
    [row, params] = [screen('security'), {}];
    query.set('required', '1');
  }
  const mod = WITH_SHELL[row.name] || (await load(row).catch((e) => ({ failed: e })));
  if (n !== current) return;
  if (mod.failed) return fatal(new NetworkError(mod.failed.message));
  renderHeader();
  renderNav(row);
  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  main.focus({ preventScroll: true });
  const ctx = {
    params, query, app, live,
    signal: leaving.signal,
    go: (hash) => live() && go(hash),
    route: () => live() && route(),
    /** Runs `fn` when the user leaves this screen (at once if already gone). */
    onLeave: (fn) => (live() ? cleanup.push(fn) : fn()),
  };
  try {
    await mod.render(view, ctx);
  } catch (e) {
    if (live() && e?.name !== 'AbortError') {
      view.append(problem(e));
      // Offline, a screen not kept on the phone still has a way back.
      if (e instanceof NetworkError && row.name !== HOME) view.append(h('p', {}, h('a', { class: 'button secondary big', href: '#/today' }, t('back_today'))));
    }
  }
}
onRoute(route);

function fatal(e) {
  renderHeader();
  renderNav(null);
  clear(main, h('h1', {}, 'Fieldnotes'), problem(e), h('button', { type: 'button', onclick: () => route() }, t('retry')));
}

window.addEventListener('hashchange', route);
window.addEventListener('online', () => {
  renderHeader();
  if (app.me) sync(app.me.id);
  sendLang();
});
window.addEventListener('offline', renderHeader);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && app.me) sync(app.me.id);
});
setInterval(() => app.me && sync(app.me.id), 30000);

/** Loads the screens not yet opened, from the service worker's cache, when the phone is idle. */
function warmUp() {
  const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 200));
  idle(() => {
    // A fieldworker's phone never parses the coordinators' and admins' desk
    // (the rows limited to roles).
    // Fetched, not imported: a fetch that fails while the service worker
    // installs leaves nothing behind, where a failed import() would stay
    // failed for the page's life, for that module and every screen that
    // imports it.
    for (const r of ROUTES) {
      if (!r.shell && (app.coordinator || !r.roles)) fetch(new URL(r.module, import.meta.url)).catch(() => {});
    }
  });
}

// The service worker is installed after the page has loaded, so that its
// download of the whole app never delays the first screen.
if ('serviceWorker' in navigator) {
  const register = () => {
    navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('service worker', e));
    if (navigator.serviceWorker.controller) warmUp();
    else navigator.serviceWorker.addEventListener('controllerchange', warmUp, { once: true });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}

document.documentElement.lang = pageLang();
route().then(() => app.me && sync(app.me.id));
