// The API client: bearer tokens with rotating refresh, Accept-Language, and
// problem+json errors turned into ApiError.
import { lang } from './i18n.js';

const KEY = 'fieldnotes.tokens';
const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code;
  }
}

/** Thrown when the network is unreachable (offline, server down). */
export class NetworkError extends Error {}

export function tokens() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}
function saveTokens(t) {
  if (t) localStorage.setItem(KEY, JSON.stringify({ access: t.access_token, refresh: t.refresh_token }));
  else localStorage.removeItem(KEY);
}

let onSignedOut = () => {};
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

async function send(method, path, body, headers = {}, signal = undefined) {
  const t = tokens();
  const h = { Accept: 'application/json', 'Accept-Language': lang() === 'nb' ? 'nb' : 'en', ...headers };
  if (t?.access) h.Authorization = `Bearer ${t.access}`;
  // A file (a Blob) goes as it is, with the type the caller gives; anything else as JSON.
  const raw = body instanceof Blob;
  if (body !== undefined && !raw) h['Content-Type'] = 'application/json';
  try {
    return await fetch(BASE + path, { method, headers: h, body: body === undefined || raw ? body : JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new NetworkError(e.message);
  }
}

let refreshing = null;
/** Set when the server said this sign-in was ended from elsewhere. */
let endedElsewhere = false;
/** Exchanges the refresh token once; concurrent callers share the attempt,
 * and other tabs are serialised by a Web Lock so a token is never reused. */
function refresh(failedAccess) {
  refreshing ||= (async () => {
    const run = async () => {
      const t = tokens();
      if (!t?.refresh) return false;
      if (t.access !== failedAccess) return true; // another tab already refreshed
      const res = await fetch(`${BASE}/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refresh_token: t.refresh }),
      }).catch(() => null);
      if (!res) throw new NetworkError('offline');
      if (!res.ok) {
        const p = await res.json().catch(() => ({}));
        if (p.code === 'session_revoked') endedElsewhere = true;
        return false;
      }
      saveTokens(await res.json());
      return true;
    };
    try {
      return navigator.locks ? await navigator.locks.request('fieldnotes-refresh', run) : await run();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function parse(res) {
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  return type.includes('json') ? res.json() : res.text();
}

/**
 * Calls the API. Returns the parsed body; with `{ full: true }` returns
 * `{ body, res }`; with `{ blob: true }` a success is `{ blob, res }` (a
 * file to download). `signal` aborts it (an AbortError). With `quiet`, a
 * sign-in found ended is forgotten without leaving the screen. Throws
 * ApiError (with the problem) or NetworkError.
 */
export async function api(method, path, body, { headers, full, blob, signal, quiet } = {}) {
  const sent = tokens()?.access;
  let res = await send(method, path, body, headers, signal);
  if (res.status === 401 && sent) {
    if (await refresh(sent)) res = await send(method, path, body, headers, signal);
    if (res.status === 401) {
      saveTokens(null);
      const why = endedElsewhere ? 'revoked' : 'expired';
      endedElsewhere = false;
      if (!quiet) onSignedOut(why);
    }
  }
  if (res.ok && blob) {
    try {
      return { blob: await res.blob(), res };
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new NetworkError(e.message);
    }
  }
  const data = await parse(res).catch(() => null);
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : { detail: data });
  return full ? { body: data, res } : data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body) => api('POST', path, body ?? {});
export const del = (path, body) => api('DELETE', path, body);

/**
 * Signs in. Returns null when signed in, or the challenge of the second step
 * (`{ mfa_required, challenge, expires_in }`) for an account with a second
 * factor: finish with signInMfa.
 */
export async function signIn(email, password) {
  const res = await send('POST', '/auth/login', { email, password });
  const data = await parse(res).catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  if (data.mfa_required) return data;
  saveTokens(data);
  return null;
}

/** The second step: the challenge and a code from the app or a recovery code. */
export async function signInMfa(challenge, code) {
  const res = await send('POST', '/auth/login/mfa', { challenge, code });
  const data = await parse(res).catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  saveTokens(data);
}

/** Signs out; `quiet` as for `api`. */
export async function signOut(everywhere, { quiet = false } = {}) {
  try {
    await api('POST', `/auth/logout${everywhere ? '?everywhere=true' : ''}`, undefined, { quiet });
  } finally {
    saveTokens(null);
  }
}

export const signedIn = () => !!tokens()?.refresh;

/** Builds a query string, leaving out empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}
