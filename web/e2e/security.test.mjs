// Two-factor sign-in and devices in headless Chromium at a phone's size:
// setting up the authenticator app (QR code, recovery codes), the second
// sign-in step, a role that must use it, and a phone whose sign-in is ended
// from elsewhere (then someone else signs in on it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import * as lib from './lib.mjs';
import { BASE, PASSWORD, admin, seed, launch, signIn, poll, screen } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);

/** The app's code `steps` periods from now. */
const code = (secret, steps = 0) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + steps * 30000 });

test('a fieldworker whose role requires it sets up two-factor sign-in on the phone, then signs in with a code', async (t) => {
  const s = await seed('mfa', { interview: false });
  const a = await admin();
  const { page, context } = await openPhone(t);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await signIn(page, s.email, PASSWORD);

  await a.call('PATCH', '/settings/security', { require_mfa_for: ['fieldworker'] });
  t.after(() => a.call('PATCH', '/settings/security', { require_mfa_for: [] }));
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Security' }).waitFor();
  await page.getByText('Your study requires two-factor sign-in for your role.').waitFor();
  // Today is closed until the second factor is set up.
  await page.goto(`${BASE}/#/today`);
  await page.getByRole('heading', { level: 1, name: 'Security' }).waitFor();

  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
  await qr.waitFor();
  assert.ok((await qr.boundingBox()).width >= 200, 'the QR code is big enough to scan');
  const secret = await page.locator('[data-secret]').getAttribute('data-secret');
  await screen(page, 'mfa-setup');
  await page.getByLabel('Code the app shows now').fill('000000');
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await page.getByText('is not the code the authenticator app shows now').waitFor();
  await page.getByLabel('Code the app shows now').fill(code(secret));
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await page.getByRole('heading', { level: 2, name: 'Your recovery codes' }).waitFor();
  const recovery = await page.locator('ol.recovery li').allInnerTexts();
  assert.equal(recovery.length, 10);
  assert.equal(new Set(recovery).size, 10);
  await screen(page, 'mfa-recovery-codes');
  // Copied, or downloaded as a text file: every code either way.
  await page.getByRole('button', { name: 'Copy the codes' }).click();
  await page.getByText('Copied.').waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  for (const c of recovery) assert.ok(copied.includes(c), `${c} copied`);
  const file = page.getByRole('link', { name: 'Download as a text file' });
  assert.equal(await file.getAttribute('download'), 'fieldnotes-recovery-codes.txt');
  const saved = decodeURIComponent((await file.getAttribute('href')).replace(/^data:text\/plain;charset=utf-8,/, ''));
  for (const c of recovery) assert.ok(saved.includes(c), `${c} in the file`);
  // "Written down?" first; then back to the security screen, with the app usable.
  const done = page.getByRole('button', { name: 'Done' });
  assert.equal(await done.isDisabled(), true, 'not before they are written down');
  await page.getByLabel('I have written them down or stored them safely').check();
  await done.click();
  await page.getByText('Two-factor sign-in is on. 10 recovery codes left.').waitFor();
  await page.goto(`${BASE}/#/today`);
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();

  // Signing in again takes the password, then the app's code.
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('button', { name: 'Sign out on this phone' }).click();
  await page.getByLabel('Email').fill(s.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const codeField = page.getByLabel('Code from your authenticator app');
  await codeField.waitFor();
  assert.equal(await codeField.getAttribute('autocomplete'), 'one-time-code');
  await screen(page, 'signin-second-step');
  await codeField.fill('123456');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('That code is wrong or was already used.').waitFor();
  // The confirming code's time step is spent: the next one signs in.
  await codeField.fill(code(secret, 1));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();

  await page.goto(`${BASE}/#/more/security`);
  await page.getByText('Two-factor sign-in is on. 10 recovery codes left.').waitFor();
  await page.getByText('This device').waitFor();
  // New recovery codes need a code from the app: a wrong one is refused at its field.
  const renew = page.locator('form', { has: page.getByRole('heading', { name: 'New recovery codes' }) });
  await renew.getByLabel('Code the app shows now').fill('000000');
  await renew.getByRole('button', { name: 'Make new recovery codes' }).click();
  await renew.locator('.field-error', { hasText: 'is not the code the authenticator app shows now' }).waitFor();
  await screen(page, 'security');
});

test('a phone whose sign-in is ended elsewhere forgets what it kept and keeps the notes not yet sent for their author only', async (t) => {
  const s = await seed('lost', { interview: false });
  const { context, page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  const cacheKeys = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('fieldnotes.cache.')));
  await poll(async () => (await cacheKeys()).some((k) => k.startsWith(`fieldnotes.cache.${s.user.id}.participants.`)));

  await page.goto(`${BASE}/#/notes`);
  await page.getByRole('heading', { level: 1, name: 'Notes' }).waitFor();
  // Offline, the note screen comes from the service worker's cache: wait
  // until it controls the page, as a phone has long before it loses signal.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  await page.getByText('Offline', { exact: true }).waitFor();
  const body = `Written just before the phone was lost, ${s.participant.pseudonym} by the door`;
  await page.getByRole('link', { name: 'Write a note', exact: true }).click();
  await page.getByLabel('What did you observe?').fill(body);
  await page.getByRole('button', { name: 'Save note' }).click();
  await page.getByRole('heading', { level: 2, name: '1 waiting to sync' }).waitFor();
  // While notes wait, the phone says whether the browser may evict them.
  const kept = await page.evaluate(() => navigator.storage.persisted());
  const warning = page.getByText('This browser may delete notes waiting to sync');
  assert.equal(await warning.isVisible(), !kept, `warning shown exactly when storage is not persistent (persisted: ${kept})`);

  // The fieldworker ends the lost phone's sign-in from another device.
  const sessions = await s.api.get('/me/sessions');
  const lost = sessions.filter((x) => !x.current);
  assert.equal(lost.length, 1, JSON.stringify(sessions));
  await s.api.call('DELETE', `/me/sessions/${lost[0].id}`);

  await context.setOffline(false);
  await page.getByText('This phone was signed out: the sign-in was ended from another device.').waitFor();
  await page.getByText('Notes on this phone not yet sent: 1.').waitFor();
  assert.deepEqual(await cacheKeys(), [], 'no participant, schedule or code data left on the phone');
  const queuedCount = () => page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('fieldnotes', 1);
    req.onsuccess = () => {
      const c = req.result.transaction('queue').objectStore('queue').count();
      c.onsuccess = () => resolve(c.result);
      c.onerror = () => reject(c.error);
    };
    req.onerror = () => reject(req.error);
  }));
  assert.equal(await queuedCount(), 1, 'the unsent note is still queued');
  await screen(page, 'signin-revoked');

  // Someone else signs in on this phone: the note waiting is not theirs to
  // see or send, and what the phone keeps now is kept as theirs.
  const other = await seed('lost-other', { interview: false });
  await signIn(page, other.email, PASSWORD);
  await page.goto(`${BASE}/#/notes`);
  await page.getByRole('heading', { level: 1, name: 'Notes' }).waitFor();
  await poll(async () => (await cacheKeys()).some((k) => k.startsWith(`fieldnotes.cache.${other.user.id}.participants.`)));
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getByRole('heading', { name: /waiting to sync/ }).count(), 0, 'no queue shown to the other person');
  assert.equal(await page.getByRole('link', { name: /waiting to sync/ }).count(), 0, 'nor counted in the header');
  assert.deepEqual((await cacheKeys()).filter((k) => k !== 'fieldnotes.cache.owner' && !k.startsWith(`fieldnotes.cache.${other.user.id}.`)), [],
    'the cache is the other person\'s only');
  assert.equal(await page.evaluate(() => localStorage.getItem('fieldnotes.cache.owner')), other.user.id);
  assert.equal(await queuedCount(), 1, 'the first person\'s note is still queued');
  assert.deepEqual((await other.api.get(`/notes?author_id=${other.user.id}`)).items, [], 'nor sent as the other person\'s');
  await page.getByRole('link', { name: 'More', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out on this phone' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  assert.deepEqual(await cacheKeys(), [], 'signing out forgets what was kept for them');
  assert.equal(await queuedCount(), 1);

  // The same account signs in again: the note goes.
  await page.getByLabel('Email').fill(s.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();
  const stored = await poll(async () => {
    const r = await s.api.get(`/notes?author_id=${s.user.id}`);
    return r.items.length && r.items;
  });
  assert.deepEqual(stored.map((n) => n.body), [body]);
  await poll(async () => (await queuedCount()) === 0);
});

test('signed-in devices are named from their user agent (“Chrome on Android”), and one can be signed out', async (t) => {
  const s = await seed('dev', { interview: false });
  // The phone in a pocket: signed in with Chrome on Android.
  const android = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': android },
    body: JSON.stringify({ email: s.email, password: PASSWORD }),
  });
  assert.equal(res.status, 200);
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.goto(`${BASE}/#/more/security`);
  const phone = page.locator('li.device', { hasText: 'Chrome on Android' });
  await phone.waitFor();
  assert.equal(await page.getByText(android).count(), 0, 'the raw user agent is not shown when it can be named');
  await screen(page, 'security-devices');
  await phone.getByRole('button', { name: 'Sign out that device' }).click();
  await page.getByText('That device is signed out.').waitFor();
  assert.equal(await page.locator('li.device', { hasText: 'Chrome on Android' }).count(), 0);
  assert.equal((await s.api.get('/me/sessions')).filter((x) => x.browser === 'Chrome' && x.os === 'Android').length, 0);
});
