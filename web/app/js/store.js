// What the phone keeps: reference data for offline use (localStorage), kept
// per user, and the queue of notes not yet on the server (IndexedDB), each
// entry recording whose it is.
import { api, get, signedIn, NetworkError } from './api.js';

// The cache of the person signed in: `fieldnotes.cache.<user id>.<key>`, and
// whose it is (OWNER, set from GET /me by session.js). Only the owner's keys
// are read or written, and one person's are gone before another's are kept.
const PREFIX = 'fieldnotes.cache.';
const OWNER = `${PREFIX}owner`;
const owner = () => localStorage.getItem(OWNER);
const at = (key) => `${PREFIX}${owner()}.${key}`;

export function cached(key) {
  if (!owner()) return null;
  try {
    return JSON.parse(localStorage.getItem(at(key)));
  } catch {
    return null;
  }
}
export function cache(key, value) {
  if (owner()) {
    localStorage.setItem(at(key), JSON.stringify(value));
    localStorage.setItem(`${at(key)}@`, new Date().toISOString());
  }
  return value;
}
/** When `key` was last kept on the phone (an ISO time), or null. */
export const savedAt = (key) => (owner() ? localStorage.getItem(`${at(key)}@`) : null);
/**
 * Forgets what the phone kept for the person signed in (at sign-out): every
 * cached key, whose it was, and screening answers kept in this tab. The
 * note queue stays: its notes are sent when their author signs in again.
 */
export function clearCache() {
  for (const k of Object.keys(localStorage)) if (k.startsWith(PREFIX)) localStorage.removeItem(k);
  for (const k of Object.keys(sessionStorage)) if (k.startsWith('fieldnotes.')) sessionStorage.removeItem(k);
}
/** The cache is now `userId`'s: anyone else's is forgotten first. */
export function own(userId) {
  if (owner() === userId) return;
  clearCache();
  localStorage.setItem(OWNER, userId);
}

// A cache written before it was kept per user (no owner, flat keys) is the
// signed-in person's: kept for them, so the phone still starts offline.
if (!owner()) {
  const keys = Object.keys(localStorage).filter((k) => k.startsWith(PREFIX));
  let me = null;
  try {
    me = JSON.parse(localStorage.getItem(`${PREFIX}me`));
  } catch { /* unreadable: forgotten below */ }
  if (signedIn() && me?.id) {
    localStorage.setItem(OWNER, me.id);
    for (const k of keys) {
      localStorage.setItem(at(k.slice(PREFIX.length)), localStorage.getItem(k));
      localStorage.removeItem(k);
    }
  } else {
    for (const k of keys) localStorage.removeItem(k);
  }
}

/** GET with a fallback to the last answer when offline; `signal` aborts it. */
export async function load(key, path, signal) {
  try {
    return cache(key, await get(path, { signal }));
  } catch (e) {
    const c = cached(key);
    if (e instanceof NetworkError && c) return c;
    throw e;
  }
}

/**
 * GET, kept on the phone; offline, the last answer kept under `key`, else
 * what `fallback()` finds among other things kept (`{ data, savedAt }`).
 * Answers `{ data, savedAt }`: `savedAt` is null for a fresh answer, else
 * when what is shown was kept.
 */
export async function loadKept(key, path, signal, fallback = () => null) {
  try {
    return { data: cache(key, await get(path, { signal })), savedAt: null };
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const c = cached(key);
    if (c) return { data: c, savedAt: savedAt(key) };
    const other = fallback();
    if (other?.data) return other;
    throw e;
  }
}

// Remembered choices (not sensitive, shared by whoever uses the phone):
// language, last site and location.
export const pref = (k, d) => localStorage.getItem(`fieldnotes.pref.${k}`) ?? d;
export const setPref = (k, v) => localStorage.setItem(`fieldnotes.pref.${k}`, v);

// ---- the note queue ----------------------------------------------------
// Each entry records its author (`user_id`): only theirs are shown, counted
// and sent while they are signed in, and a sign-out leaves them queued.
let dbp;
function db() {
  dbp ||= new Promise((resolve, reject) => {
    const req = indexedDB.open('fieldnotes', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('queue', { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbp;
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction('queue', mode);
    const out = fn(t.objectStore('queue'));
    t.oncomplete = () => resolve(out?.result ?? out);
    t.onerror = () => reject(t.error);
  });
}

/** Queued entries: { id, user_id, note, state: pending|conflict|invalid, problem, queued_at }. */
export async function queued(userId) {
  const all = await tx('readonly', (s) => s.getAll());
  return all.filter((e) => e.user_id === userId).sort((a, b) => a.queued_at.localeCompare(b.queued_at));
}

export const enqueue = (userId, note) =>
  tx('readwrite', (s) => s.put({ id: note.id, user_id: userId, note, state: 'pending', problem: null, queued_at: new Date().toISOString() }));

export const putEntry = (entry) => tx('readwrite', (s) => s.put(entry));
export const dropEntry = (id) => tx('readwrite', (s) => s.delete(id));

const listeners = new Set();
/** Calls `fn(queue)` whenever the queue may have changed; returns the unsubscribe. */
export const onQueueChange = (fn) => {
  listeners.add(fn);
  return () => listeners.delete(fn);
};
export async function notifyQueue(userId) {
  const q = await queued(userId);
  for (const fn of listeners) fn(q);
  return q;
}

let syncing = null;
/**
 * Sends the pending notes through /notes/sync. Created or unchanged notes
 * leave the queue; conflicts and invalid notes stay with their problem.
 * Returns the queue afterwards. Offline or on a server error nothing changes.
 */
export function sync(userId) {
  syncing ||= (async () => {
    try {
      const pending = (await queued(userId)).filter((e) => e.state === 'pending');
      if (pending.length && navigator.onLine !== false) {
        for (let i = 0; i < pending.length; i += 500) {
          const batch = pending.slice(i, i + 500);
          const out = await api('POST', '/notes/sync', { notes: batch.map((e) => e.note) });
          for (const r of out.results) {
            const entry = batch[r.index];
            if (!entry) continue;
            if (r.status === 'created' || r.status === 'unchanged') await dropEntry(entry.id);
            else await putEntry({ ...entry, state: r.status, problem: r.problem });
          }
        }
      }
    } catch (e) {
      if (!(e instanceof NetworkError)) console.warn('sync failed', e);
    } finally {
      syncing = null;
    }
    return notifyQueue(userId);
  })();
  return syncing;
}

/** Asks the browser to keep this site's data (notes waiting to sync). */
export const persisted = navigator.storage?.persist ? navigator.storage.persist().catch(() => false) : Promise.resolve(false);
