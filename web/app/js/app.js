// The shell: header, navigation, routing, offline state and the sync badge.
import { api, signedIn, whenSignedOut, ApiError, NetworkError } from './api.js';
import { t, lang, setLang, langUnsent, langSent, has } from './i18n.js';
import { h, clear, status, uid } from './ui.js';
import { load, cache, sync, onQueueChange, notifyQueue, clearCache, queued } from './store.js';
import * as signin from './screens/signin.js';
import * as today from './screens/today.js';

// What a fieldworker sees first (the sign-in screen and Today) comes with the
// shell; every other screen is loaded when first opened (a dynamic import),
// so the first visit downloads only what it shows. The service worker keeps
// every screen of the same version, installed after the page has loaded, and
// once it controls the page the rest are loaded from it in the background:
// one version of the whole app at a time, and every screen works offline.
const screens = { signin, today };
const later = {
  participant: () => import('./screens/participant.js'),
  session: () => import('./screens/session.js'),
  notes: () => import('./screens/notes.js'),
  note: () => import('./screens/note.js'),
  schedule: () => import('./screens/schedule.js'),
  register: () => import('./screens/register.js'),
  book: () => import('./screens/book.js'),
  more: () => import('./screens/more.js'),
  security: () => import('./screens/security.js'),
  export: () => import('./screens/export.js'),
  password: () => import('./screens/password.js'),
  calendar: () => import('./screens/calendar.js'),
  team: () => import('./screens/team.js'),
  // The admin's desk (issue 15).
  sites: () => import('./screens/sites.js'),
  instruments: () => import('./screens/instruments.js'),
  study: () => import('./screens/study.js'),
  keys: () => import('./screens/keys.js'),
  audit: () => import('./screens/audit.js'),
  // The coordinator's desk (issue 15).
  people: () => import('./screens/people.js'),
  codebook: () => import('./screens/codebook.js'),
  report: () => import('./screens/report.js'),
};
/** Screens that work signed out. */
const PUBLIC = new Set(['signin', 'password']);

/** Shared state of the signed-in app. */
export const app = {
  me: null,
  sites: [],
  site(id) {
    return this.sites.find((s) => s.id === id);
  },
  /** The zone "today" is counted in: the first site's, else the phone's. */
  get tz() {
    return this.sites[0]?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  },
  get coordinator() {
    return this.me && (this.me.role === 'coordinator' || this.me.role === 'admin');
  },
  cleanup: [],
};

const header = document.querySelector('header');
const nav = document.querySelector('nav');
const main = document.querySelector('main');

export const go = (hash) => {
  if (location.hash === hash) route();
  else location.hash = hash;
};

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, query: new URLSearchParams(query) };
}

/** The screens under More: `#/more/<name>[/<id>]`. */
const MORE = ['security', 'export', 'calendar', 'team', 'sites', 'instruments', 'study', 'keys', 'audit', 'people', 'codebook', 'report'];

function pick(parts) {
  const [a, b] = parts;
  // Opened from an emailed link: signed in or not.
  if (a === 'accept' || a === 'reset') return ['password', { kind: a }];
  if (!signedIn()) return ['signin', {}];
  switch (a) {
    case 'participant': return ['participant', { id: b }];
    case 'session': return ['session', { id: b }];
    case 'notes': return b ? ['note', { id: b }] : ['notes', {}];
    case 'schedule': return [b === 'participant' ? 'register' : b === 'book' ? 'book' : 'schedule', {}];
    case 'more': return MORE.includes(b) ? [b, { id: parts[2] }] : ['more', {}];
    default: return ['today', {}];
  }
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

function renderNav(active) {
  if (!signedIn() || !app.me) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const item = (key, href, label) =>
    h('a', { href, 'aria-current': active === key ? 'page' : false }, label);
  clear(nav, h('ul', {},
    h('li', {}, item('today', '#/today', t('nav.today'))),
    h('li', {}, item('notes', '#/notes', t('nav.notes'))),
    h('li', {}, item('schedule', '#/schedule', app.coordinator ? t('nav.schedule') : t('nav.my_week'))),
    h('li', {}, item('more', '#/more', t('nav.more')))));
  nav.setAttribute('aria-label', t('nav.label'));
}

function toggleLang() {
  chooseLang(lang() === 'nb' ? 'en' : 'nb');
  renderHeader();
  route();
}

/**
 * The person chooses a language: the client shows it at once, and it is
 * stored on them (their mail follows it) now if signed in and online, else
 * when the network is back or at the next sign-in.
 */
export function chooseLang(l) {
  setLang(l, { unsent: true });
  return sendLang();
}

let sending = null;
/** Stores a language chosen on this phone on the person; kept for later on failure. */
function sendLang() {
  if (!langUnsent() || !signedIn() || navigator.onLine === false) return Promise.resolve();
  const chosen = lang();
  const run = async () => {
    if (!langUnsent() || !signedIn()) return;
    try {
      const me = await api('PATCH', '/me', { language: chosen });
      if (app.me && me?.id === app.me.id) app.me = cache('me', { ...app.me, ...me });
      if (lang() === chosen) langSent();
    } catch (e) {
      if (!(e instanceof NetworkError)) console.warn('language not stored', e);
    }
  };
  // One at a time, in the order chosen.
  sending = (sending || Promise.resolve()).then(run);
  return sending;
}

onQueueChange((q) => {
  const b = document.getElementById('sync-badge');
  if (!b) return;
  b.hidden = q.length === 0;
  b.firstChild.textContent = t('sync.waiting', { n: q.length });
});

/** Loads who is signed in and their sites; cached for offline starts. */
export async function loadMe() {
  mfaOnly = false;
  app.sites = [];
  app.me = await load('me', '/me');
  // The person's language: a choice made on this phone and not yet stored
  // on them goes to the server; otherwise the stored one is shown.
  if (langUnsent()) sendLang();
  else if (app.me.language && app.me.language !== lang()) setLang(app.me.language);
  let sites;
  try {
    sites = await load('sites', '/sites');
  } catch (e) {
    if (e.code !== 'mfa_required') throw e;
    mfaOnly = true;
    return;
  }
  app.sites = Array.isArray(sites) ? sites : sites.items; // GET /sites answers a bare array
  prefetch();
}

/** Keeps what the note form needs on the phone, for writing offline. */
function prefetch() {
  if (navigator.onLine === false) return;
  load('codes', '/codes').catch(() => {});
  for (const s of app.sites.slice(0, 10)) {
    load(`participants.${s.id}`, `/participants?site_id=${s.id}&status=active&limit=200`).catch(() => {});
  }
}

let current = 0;
let mfaOnly = false;
export async function route() {
  const n = ++current;
  for (const fn of app.cleanup.splice(0)) fn();
  // One navigation: its requests are aborted when the next one starts, and
  // a screen writes only into its own view, which leaves the page then. A
  // screen still loading never writes into the next one.
  const leaving = new AbortController();
  app.cleanup.push(() => leaving.abort());
  const live = () => n === current && !leaving.signal.aborted;
  const { parts, query } = parseHash();
  let [name, params] = pick(parts);
  if (!PUBLIC.has(name) && !app.me) {
    try {
      await loadMe();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) [name, params] = ['signin', {}];
      else return fatal(e);
    }
  }
  // A role that must use a second factor, without one yet: only the
  // security screen works until it is set up.
  if (mfaOnly && !PUBLIC.has(name)) {
    [name, params] = ['security', {}];
    query.set('required', '1');
  }
  const mod = screens[name] || (await later[name]().catch((e) => ({ failed: e })));
  if (n !== current) return;
  if (mod.failed) return fatal(new NetworkError(mod.failed.message));
  renderHeader();
  const key = MORE.includes(name) ? 'more' : { note: 'notes', participant: 'today', session: 'today', register: 'schedule', book: 'schedule' }[name] || name;
  renderNav(key);
  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  main.focus({ preventScroll: true });
  const ctx = {
    params, query, app, live,
    signal: leaving.signal,
    go: (hash) => live() && go(hash),
    route: () => live() && route(),
    /** Runs `fn` when the user leaves this screen (at once if already gone). */
    onLeave: (fn) => (live() ? app.cleanup.push(fn) : fn()),
  };
  try {
    await mod.render(view, ctx);
  } catch (e) {
    if (live() && e?.name !== 'AbortError') view.append(problem(e));
  }
}

/**
 * What the server says in a field error (its words are English and meant for
 * developers), and the words a fieldworker reads instead, in their language.
 * Each entry: a pattern of the detail, the i18n key, and its variables.
 */
const FIELD_WORDS = [
  [/opening hours \(([^)]*) in ([^)]+)\)/, 'err.outside_hours', (m) => ({ hours: m[1].replace(/(\d)-(\d)/g, '$1–$2'), tz: m[2] })],
  [/opening hours/, 'err.outside_hours_plain'],
  [/say why when the reason is other/, 'err.note_other'],
  [/must not be empty|is required|missing/, 'form.required'],
  [/in the future/, 'err.future'],
  [/at most (\d+) characters/, 'err.too_long', (m) => ({ n: m[1] })],
  [/no such participant/, 'err.no_participant'],
  [/no such code/, 'err.no_code'],
  [/1 to 5 interviewers/, 'err.interviewers'],
  [/no such active team member|has no access to this participant/, 'err.interviewer_site'],
  [/is not the code the authenticator app/, 'err.totp'],
  [/known by pseudonym only/, 'err.identifying'],
  [/must contain a letter or a digit/, 'err.pseudonym_letter'],
  [/may hold only letters/, 'err.pseudonym_chars'],
  [/mixes letters of different alphabets/, 'err.pseudonym_mixed'],
  [/not a level of this item|has no item/, 'err.screen_item'],
  [/at least (\d+) characters/, 'err.password_short', (m) => ({ n: m[1] })],
  [/one repeated character/, 'err.password_repeated'],
  [/must be an email address/, 'err.email'],
];

/** One field error in the user's words. */
export function fieldWords(detail = '') {
  for (const [re, key, vars] of FIELD_WORDS) {
    const m = detail.match(re);
    if (m) return t(key, vars ? vars(m) : {});
  }
  return t('form.invalid');
}

/** A field error's words: the client's own as they are, the server's translated. */
const said = (p, x) => x.text || (p.code ? fieldWords(x.detail) : x.detail);

/** The lead of a refusal in the user's words: by its code, else its status. */
export function refusal(e) {
  if (e instanceof NetworkError) return t('err.offline');
  if (!(e instanceof ApiError)) return t('err.unexpected');
  const code = e.problem.code || e.code;
  if (code === 'validation_failed') return t('form.check');
  // Codes whose own words name someone: said without the name here.
  const general = { interviewer_busy: 'code.interviewer_busy_time', interview_exists: 'code.interview_exists_any', participant_withdrawn: 'code.participant_withdrawn_any' };
  if (general[code]) return t(general[code]);
  if (code && has(`code.${code}`)) return t(`code.${code}`);
  const s = e.status;
  if (s === 401) return t('code.unauthorized');
  if (s === 403) return t('code.forbidden');
  if (s === 404) return t('code.not_found');
  if (s === 409 || s === 412 || s === 428) return t('err.conflict');
  if (s === 422) return t('form.check');
  if (s === 429) return t('code.too_many_requests');
  if (s >= 500) return t('err.server');
  return t('err.unexpected');
}

/** An error as the user should read it: plain words, in their language. */
export function problem(e) {
  if (e?.name === 'AbortError') return document.createTextNode('');
  if (!(e instanceof ApiError) && !(e instanceof NetworkError)) console.error(e);
  const errors = e instanceof ApiError ? e.problem.errors || [] : [];
  const list = errors.map((x) => h('li', {}, fieldLabel(x.pointer), said(e.problem, x)));
  const reasons = e instanceof ApiError && Array.isArray(e.problem.reasons)
    ? e.problem.reasons.filter((x) => x.outcome !== 'ready').map((x) => h('li', {}, x.message)) : [];
  return status('error', h('p', {}, refusal(e)),
    list.length ? h('ul', {}, list) : null,
    reasons.length ? h('ul', { class: 'reasons' }, reasons) : null);
}

/** "Field: " for a pointer whose field has a name in the user's language. */
function fieldLabel(pointer = '') {
  const name = pointer.split('/').filter((x) => x && !/^\d+$/.test(x)).pop();
  return name && has(`field.${name}`) ? `${t(`field.${name}`)}: ` : '';
}

/** The control named for `pointer`: its longest prefix in `controls` (`items/0/label/en`, then `items/0/label`, ... `items`). */
function controlAt(controls, pointer = '') {
  const segs = pointer.split('/').slice(1);
  for (let i = segs.length; i > 0; i -= 1) {
    const c = controls[segs.slice(0, i).join('/')];
    if (c) return c;
  }
  return null;
}

/**
 * An API refusal shown where it belongs, once: each field error
 * (`errors[].pointer`, or a conflict's `pointer`) next to the control named
 * by `controls` (field name, or a pointer path such as `items/0/key`, →
 * control or fieldset; the longest match wins), the rest in
 * `out`, all in the user's words. `explain(problem)` may turn a known code
 * into `{ at, text }`.
 */
export function problemAt(e, controls, out, explain = () => null) {
  for (const el of document.querySelectorAll('[data-err-for]')) el.remove();
  for (const c of Object.values(controls)) {
    c.removeAttribute('aria-invalid');
    c.setAttribute('aria-describedby', (c.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-err')).join(' '));
    if (!c.getAttribute('aria-describedby')) c.removeAttribute('aria-describedby');
  }
  clear(out);
  if (!e || e.name === 'AbortError') return;
  if (!(e instanceof ApiError)) return out.append(problem(e));
  const p = e.problem;
  const known = explain(p);
  const errors = known ? [{ pointer: `/${known.at}`, text: known.text }]
    : (p.errors?.length ? p.errors : p.pointer ? [{ pointer: p.pointer, text: refusal(e) }] : [])
      .map((x) => ({ pointer: x.pointer, text: said(p, x) }));
  const rest = [];
  let first = null;
  const placed = new Set();
  for (const x of errors) {
    const c = controlAt(controls, x.pointer);
    if (!c) {
      rest.push(x);
      continue;
    }
    // One message per control, even when several items of it are refused.
    if (placed.has(c)) continue;
    placed.add(c);
    const id = `${c.id || (c.id = uid())}-err`;
    const msg = h('p', { class: 'field-error', id, 'data-err-for': c.id }, x.text);
    if (c.tagName === 'FIELDSET') c.append(msg);
    else c.closest('.field, .check')?.append(msg);
    c.setAttribute('aria-invalid', 'true');
    c.setAttribute('aria-describedby', `${c.getAttribute('aria-describedby') || ''} ${id}`.trim());
    first ||= c;
  }
  const lead = first ? t('form.check') : known ? known.text : refusal(e);
  const others = first || !known ? [...new Set(rest.map((x) => `${fieldLabel(x.pointer)}${x.text}`))] : [];
  out.append(status('error', h('p', {}, lead), others.length ? h('ul', {}, others.map((x) => h('li', {}, x))) : null));
  const target = first?.tagName === 'FIELDSET' ? first.querySelector('input') : first;
  target?.focus({ preventScroll: true });
  (first || out).scrollIntoView({ block: 'center' });
}

function fatal(e) {
  renderHeader();
  renderNav('');
  clear(main, h('h1', {}, 'Fieldnotes'), problem(e), h('button', { type: 'button', onclick: () => route() }, t('retry')));
}

whenSignedOut(async (why) => {
  const me = app.me;
  app.me = null;
  if (why !== 'revoked') return go('#/signin');
  // Ended from another device (a lost phone): what this phone kept of
  // participants and schedules goes. Notes not yet synced stay queued for
  // that account, and are sent when it signs in here again.
  clearCache();
  const waiting = me ? (await queued(me.id)).length : 0;
  go(`#/signin?why=revoked&waiting=${waiting}`);
});

/** Asks the browser to keep this site's data (notes waiting to sync). */
export const persisted = navigator.storage?.persist ? navigator.storage.persist().catch(() => false) : Promise.resolve(false);

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
    // A fieldworker's phone never parses the coordinators' and admins' desk.
    const desk = ['team', 'sites', 'instruments', 'study', 'keys', 'audit', 'people', 'codebook', 'report', 'export'];
    for (const [name, load] of Object.entries(later)) {
      if (app.coordinator || !desk.includes(name)) load().catch(() => {});
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

document.documentElement.lang = lang();
route().then(() => app.me && sync(app.me.id));
