// Shared helpers of the end-to-end tests: the server's HTTP API for seeding
// and checking, Debian's Chromium at a phone's size, axe-core and screenshots.
import { readFileSync, mkdirSync, writeFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

// `let`: a test file that starts its own server points the helpers at it (useServer).
export let BASE = process.env.FIELDNOTES_E2E_URL || 'http://127.0.0.1:8080';
export const ADMIN = {
  email: process.env.FIELDNOTES_E2E_ADMIN_EMAIL || 'admin@example.org',
  password: process.env.FIELDNOTES_E2E_ADMIN_PASSWORD || 'e2e-admin-password',
};
export const DEMO_PASSWORD = process.env.FIELDNOTES_DEMO_PASSWORD || '';
export const PASSWORD = 'e2e-fieldworker-pw';
const here = dirname(fileURLToPath(import.meta.url));
export const WEB = join(here, '..');
export const ARTIFACTS = process.env.FIELDNOTES_E2E_ARTIFACTS || join(WEB, 'test-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A small API client, signed in as one user. */
export class Api {
  constructor(token) {
    this.token = token;
  }
  static async login(email, password) {
    const res = await fetch(`${BASE}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    const api = new Api(body.access_token);
    api.refresh = body.refresh_token;
    return api;
  }
  async call(method, path, body, headers = {}) {
    const res = await fetch(`${BASE}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = new Error(`${method} ${path}: ${res.status} ${text}`);
      err.status = res.status;
      err.body = data;
      throw err;
    }
    return data;
  }
  get(path) { return this.call('GET', path); }
  post(path, body) { return this.call('POST', path, body ?? {}); }
}

let adminApi;
export async function admin() {
  adminApi ||= await Api.login(ADMIN.email, ADMIN.password);
  return adminApi;
}

const isoDay = (d) => d.toISOString().slice(0, 10);
let counter = 0;

/**
 * A site, a fieldworker at it, a participant 5 weeks into treatment and an
 * interview of that fieldworker starting now. Everything is named with `tag`.
 */
export async function seed(tag, { interview = true } = {}) {
  const a = await admin();
  const n = `${tag}-${Date.now().toString(36)}-${++counter}`;
  const site = await a.post('/sites', {
    name: `Clinic ${n}`, timezone: 'Europe/Oslo',
    opening_hours: [{ start: '08:00', end: '12:00' }, { start: '14:00', end: '17:00' }],
  });
  const email = `fw-${n}@example.org`;
  const user = await a.post('/users', {
    email, display_name: `Fieldworker ${n}`, role: 'fieldworker', password: PASSWORD, site_ids: [site.id],
  });
  const participant = await a.post('/participants', {
    pseudonym: `Lark-${n}`, site_id: site.id, treatment_started_on: isoDay(new Date(Date.now() - 35 * 864e5)),
  });
  let iv = null;
  if (interview) {
    const at = new Date(Math.floor(Date.now() / 60000) * 60000);
    iv = await a.post('/interviews', {
      participant_id: participant.id, wave: 1, scheduled_at: at.toISOString(), duration_minutes: 45,
      interviewer_ids: [user.id], location: 'Room 2', allow_outside_opening_hours: true,
    });
  }
  return { site, user, email, participant, interview: iv, api: await Api.login(email, PASSWORD) };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** A phone-sized context (with `desk`, a 1280x800 desktop's) that records every request leaving it. */
export async function phone(browser, { locale = 'en-GB', desk = false } = {}) {
  const context = await browser.newContext({
    ...(desk ? { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false }
      : { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true }),
    locale, timezoneId: 'Europe/Oslo',
  });
  const foreign = [];
  const errors = [];
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== BASE) foreign.push(r.url());
  });
  context.on('weberror', (e) => errors.push(String(e.error())));
  context.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
  });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  return { context, page, foreign, errors };
}

/** Signs in through the form and waits for Today. */
export async function signIn(page, email, password) {
  await page.goto(`${BASE}/`);
  await page.getByLabel(/^(Email|E-post)$/).fill(email);
  await page.getByLabel(/^(Password|Passord)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|Logg inn)$/ }).click();
  await page.getByRole('heading', { level: 1, name: /^(Today|I dag)/ }).waitFor();
}

export const axeResults = [];
let shot = 0;

/** axe-core on the current screen, and its screenshot at 390x844. */
export async function check(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  const small = await page.evaluate(() => {
    // Everything a thumb presses: at least 44x44 CSS pixels. Radios and
    // checkboxes are pressed through their labels.
    const sel = 'a[href], button, select, textarea, input:not([type=radio]):not([type=checkbox]):not([type=hidden]), summary, .choice label, .check label';
    return [...document.querySelectorAll(sel)]
      .filter((el) => el.getClientRects().length && !el.closest('[hidden]') && !el.classList.contains('skip'))
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width < 44 || r.height < 44)
      .map(({ el, r }) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  });
  // A value the code forgot to word: "undefined", "null" or "NaN" shown as
  // text anywhere on the page (form values are not text).
  const stray = await page.evaluate(() => (document.body.innerText.match(/\b(undefined|null|NaN)\b/g) || []));
  const file = `${String(++shot).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: join(ARTIFACTS, file), fullPage: false });
  axeResults.push({ screen: name, violations, small, stray });
  writeFileSync(join(ARTIFACTS, 'axe.json'), JSON.stringify(axeResults, null, 2));
  assert.deepEqual(stray, [], `"undefined", "null" or "NaN" shown as text on ${name}`);
  return { serious: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), small };
}

export async function poll(fn, { timeout = 10000, interval = 200 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** A phone of `browser`, closed after test `t`, which then fails on any
 * request to another host, page error or CSP violation. */
export async function openPhone(browser, t, opts) {
  const p = await phone(browser, opts);
  t.after(async () => {
    await p.context.close();
    assert.deepEqual(p.foreign, [], 'requests to hosts other than the server');
    assert.deepEqual(p.errors, [], 'page errors or CSP violations');
  });
  return p;
}

/** axe-core and touch targets on the current screen (see `check`): fails
 * on a serious or critical violation or a target under 44x44 px. */
export async function screen(page, name) {
  const { serious, small } = await check(page, name);
  assert.deepEqual(serious, [], `axe-core: serious or critical violations on ${name}`);
  assert.deepEqual(small, [], `touch targets smaller than 44x44 px on ${name}`);
}

/** Where the e2e server writes its mail: with no SMTP server set, each
 * message is an .eml file in `<data dir>/mail` (.ci/e2e exports the data dir). */
export let MAIL_DIR = process.env.FIELDNOTES_E2E_MAIL_DIR
  || (process.env.FIELDNOTES_DATA_DIR ? join(process.env.FIELDNOTES_DATA_DIR, 'mail') : '');

/**
 * Points every helper (Api, admin, signIn, the foreign-request check, mail)
 * at another server: a test file's own, started on its own data directory.
 */
export function useServer({ url, dataDir, admin: who }) {
  BASE = url;
  MAIL_DIR = join(dataDir, 'mail');
  if (who) Object.assign(ADMIN, who);
  adminApi = undefined;
}

/** A quoted-printable body as bytes. */
function unQuote(s) {
  const flat = s.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < flat.length; i++) {
    const m = flat[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(flat.slice(i + 1, i + 3));
    if (m) {
      bytes.push(parseInt(flat.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(flat[i], 'utf8'));
  }
  return Buffer.from(bytes);
}

/** One .eml file: its recipient, subject and plain text, decoded. */
function parseMail(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, at).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const header = (name) => (head.match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'im')) || [])[1]?.trim() || '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const text = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : encoding === 'quoted-printable' ? unQuote(body).toString('utf8') : body;
  return { to: header('To'), subject: header('Subject'), text: text.replace(/\r\n/g, '\n') };
}

/** Every message the server has written to `to`, oldest first. */
export function mailTo(to) {
  if (!MAIL_DIR || !existsSync(MAIL_DIR)) return [];
  return readdirSync(MAIL_DIR).filter((f) => f.endsWith('.eml'))
    .map((f) => ({ f, at: statSync(join(MAIL_DIR, f)).mtimeMs }))
    .sort((a, b) => a.at - b.at)
    .map(({ f, at }) => ({ file: f, at, ...parseMail(readFileSync(join(MAIL_DIR, f), 'utf8')) }))
    .filter((m) => m.to.toLowerCase().includes(to.toLowerCase()));
}

/** Waits for a message to `to` with a link to `#/<kind>?token=` not in
 * `seen`; returns that link and the message. */
export async function mailedLink(to, kind, seen = []) {
  assert.ok(MAIL_DIR, 'the e2e server writes mail to files: set FIELDNOTES_DATA_DIR or FIELDNOTES_E2E_MAIL_DIR');
  const re = new RegExp(`https?://\\S+/#/${kind}\\?token=[A-Za-z0-9_-]+`);
  return poll(() => {
    for (const m of mailTo(to).reverse()) {
      const link = m.text.match(re)?.[0];
      if (link && !seen.includes(link)) return { link, mail: m };
    }
    return null;
  }, { timeout: 20000, interval: 250 });
}

/** A name no earlier run used: `tag-<time>-<random>`. */
export const unique = (tag) => `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** axe-core with no violation of any impact, at 390x844 (and touch targets)
 * and at 1280x800. */
export async function everywhere(page, name) {
  await screen(page, name);
  assert.deepEqual(axeResults.at(-1).violations, [], `axe-core: violations on ${name} at 390x844`);
  const phoneSize = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    await check(page, `${name}-1280`);
    assert.deepEqual(axeResults.at(-1).violations, [], `axe-core: violations on ${name} at 1280x800`);
  } finally {
    await page.setViewportSize(phoneSize);
  }
}

/** The end of a test file: how many screens axe-core checked, and none
 * with a violation. */
export function axeSummary(label) {
  const all = axeResults.reduce((n, r) => n + r.violations.length, 0);
  console.log(`axe-core (${label}): ${axeResults.length} screens checked, ${all} violations of any impact`);
  return all;
}

/** Types a codebook into the codebook screen's add field, which must have
 * the focus: `codes` is [[theme, [[category, [code, ...]], ...]], ...];
 * Shift+Enter adds a code and goes under it, Enter adds one, Escape goes up.
 * `themeName` may mark the themes (a run's tag). */
export async function typeCodebook(kb, codes, themeName = (theme) => theme) {
  for (const [theme, categories] of codes) {
    await kb.type(themeName(theme));
    await kb.press('Shift+Enter');
    for (const [category, subs] of categories) {
      await kb.type(category);
      await kb.press('Shift+Enter');
      for (const sub of subs) {
        await kb.type(sub);
        await kb.press('Enter');
      }
      await kb.press('Escape');
    }
    await kb.press('Escape');
  }
}
