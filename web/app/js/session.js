// The signed-in state: who is signed in and their sites (`app`), the
// language stored on them, signing out (asked for, or forced when the server
// ends the sign-in), and `go`, the navigation screens use. The shell
// (app.js) routes; screens import this module, never app.js.
import { api, get, signOut as endSignIn, whenSignedOut, signedIn, NetworkError } from './api.js';
import { lang, setLang, langUnsent, langSent } from './i18n.js';
import { load, cache, cached, own, clearCache, queued, onQueueChange } from './store.js';
import { dayStart } from './time.js';

/** Shared state of the signed-in app (also `ctx.app` of every screen). */
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
};

let router = () => {};
/** The shell's routing, run by `go` when the hash is already there (set by app.js). */
export const onRoute = (fn) => {
  router = fn;
};

/** Opens `hash` (again, if it is already shown). */
export const go = (hash) => {
  if (location.hash === hash) router();
  else location.hash = hash;
};

let mfa = false;
/** Whether the person's role must use a second factor they have not set up: only the security screen works. */
export const mfaOnly = () => mfa;

/**
 * Loads who is signed in and their sites; cached for offline starts (from
 * the cache of the person signed in, see store.js). `fresh` (just signed
 * in): no cached answer stands in for GET /me.
 */
export async function loadMe({ fresh = false } = {}) {
  mfa = false;
  app.sites = [];
  let me;
  try {
    me = await get('/me');
  } catch (e) {
    me = e instanceof NetworkError && !fresh ? cached('me') : null;
    if (!me) throw e;
  }
  own(me.id);
  app.me = cache('me', me);
  // The person's language: a choice made on this phone and not yet stored
  // on them goes to the server; otherwise the stored one is shown.
  if (langUnsent()) sendLang();
  else if (app.me.language && app.me.language !== lang()) setLang(app.me.language);
  let sites;
  try {
    sites = await load('sites', '/sites');
  } catch (e) {
    if (e.code !== 'mfa_required') throw e;
    mfa = true;
    return;
  }
  app.sites = Array.isArray(sites) ? sites : sites.items; // GET /sites answers a bare array
  prefetch();
}

let fetchedAt = 0;
/** Keeps what the note form needs on the phone, for writing offline: at
 * sign-in, after a participant is registered, and after a sync. */
export function prefetch() {
  if (navigator.onLine === false) return;
  fetchedAt = Date.now();
  load('codes', '/codes').catch(() => {});
  // What a participant's page needs besides the person (participant.js).
  load('readiness', '/settings/readiness').catch(() => {});
  load('instruments', '/instruments').catch(() => {});
  for (const s of app.sites.slice(0, 10)) {
    load(`participants.${s.id}`, `/participants?site_id=${s.id}&status=active&limit=200`).catch(() => {});
  }
  // The people of this week's interviews: their pages open offline (participant.js).
  if (!app.me) return;
  const from = dayStart(new Date(), app.tz).toISOString();
  const to = dayStart(new Date(), app.tz, 7).toISOString();
  load(`week.${app.me.id}`, `/me/interviews?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`).then((week) => {
    const people = [...new Set(week.items.filter((i) => i.status !== 'cancelled').map((i) => i.participant_id))].slice(0, 30);
    for (const pid of people) {
      load(`participant.${pid}`, `/participants/${pid}`).catch(() => {});
      load(`consents.${pid}`, `/participants/${pid}/consents`).catch(() => {});
    }
  }).catch(() => {});
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
export function sendLang() {
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

/** Forgets the person on this phone: who they are and what was kept for them (not their queued notes). */
function forget() {
  app.me = null;
  clearCache();
}

/**
 * Signs out on this phone (or `everywhere`; `quiet` as for api.js) and
 * forgets what was kept for the person, even when the server could not be
 * told (the error is thrown after).
 */
export async function signOut(everywhere, opts) {
  try {
    await endSignIn(everywhere, opts);
  } finally {
    forget();
  }
}

// The server ended the sign-in (it answered 401 and the refresh token was
// refused): what this phone kept for the person goes, then sign-in. Notes
// not yet synced stay queued for that account, and are sent when it signs
// in here again; another person signing in here never sees them.
whenSignedOut(async (why) => {
  const me = app.me;
  forget();
  if (why !== 'revoked') return go('#/signin');
  // Ended from another device (a lost phone): say so, and how many notes wait.
  const waiting = me ? (await queued(me.id)).length : 0;
  go(`#/signin?why=revoked&waiting=${waiting}`);
});

// After a sync that sent notes, the lists are fetched again (at most every
// two minutes): the participants the notes name may be new to this phone.
let queueLength = 0;
onQueueChange((q) => {
  if (q.length < queueLength && app.me && Date.now() - fetchedAt > 120e3) prefetch();
  queueLength = q.length;
});
