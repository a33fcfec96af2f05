// What every member of the team does now and then (issue 15): accepting an
// invitation and resetting a password through the links in the real mail,
// links that no longer work, a weak password refused at the field, the
// language stored on the person, and the calendar subscription. Each new
// screen is checked by axe-core at a phone's size and a desktop's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from './lib.mjs';
import {
  BASE, PASSWORD, Api, admin, seed, launch, signIn, poll, screen, check, axeResults, mailedLink, mailTo,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = lib.axeSummary('everyone');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const NEW_PASSWORD = 'three quiet harbour lamps';
const { unique, everywhere } = lib;

test('an invited person opens the link in the invitation mail, chooses a password on the phone and signs in', async (t) => {
  const s = await seed('invite', { interview: false });
  const a = await admin();
  const email = `${unique('invited')}@example.org`;
  const user = await a.post('/users', { email, display_name: 'Invited Person', role: 'fieldworker', site_ids: [s.site.id] });
  assert.equal(user.has_password, false);

  const { link, mail } = await mailedLink(email, 'accept');
  assert.ok(link.startsWith(`${BASE}/#/accept?token=`), link);
  assert.match(mail.text, /has invited you/, 'the invitation is in the language of the person (the inviter’s: English)');

  const { page } = await openPhone(t);
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: 'Choose your password' }).waitFor();
  const pw = page.getByLabel('New password');
  assert.equal(await pw.getAttribute('autocomplete'), 'new-password');
  await everywhere(page, 'accept');
  await pw.fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save the password' }).click();

  // On to sign-in, the new password already filled in: only the email to type.
  await page.getByText('Your password is saved. Sign in with your email address and the new password.').waitFor();
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), NEW_PASSWORD);
  await everywhere(page, 'signin-password-saved');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();
  assert.equal((await a.get(`/users/${user.id}`)).has_password, true);

  // The link works once: on another phone it says so, and whom to ask.
  const other = await openPhone(t);
  await other.page.goto(link);
  await other.page.getByText('This invitation link does not work: it is incomplete, more than 7 days old, or was already used.').waitFor();
  assert.equal(await other.page.getByLabel('New password').count(), 0, 'said as the page opens, before a password is typed');
  await other.page.getByText('Ask the person who invited you to send a new invitation.').waitFor();
  await everywhere(other.page, 'accept-used-link');

  // A link cut short (no token) says the same at once.
  await other.page.goto(`${BASE}/#/accept`);
  await other.page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
  await other.page.getByText('Ask the person who invited you').waitFor();
});

test('a forgotten password is reset in bokmål through the link in the mail; a weak one is refused at the field and kept', async (t) => {
  const s = await seed('reset', { interview: false });
  const { page } = await openPhone(t, { locale: 'nb-NO' });
  await page.goto(`${BASE}/`);
  await page.getByRole('heading', { level: 1, name: 'Logg inn' }).waitFor();
  await page.getByRole('link', { name: 'Glemt passordet?' }).click();
  await page.getByRole('heading', { level: 1, name: 'Glemt passordet?' }).waitFor();
  await everywhere(page, 'forgot-nb');
  // A typing slip is caught at the field, in bokmål.
  await page.getByLabel('E-post').fill('not-an-address');
  await page.getByRole('button', { name: 'Send meg en lenke' }).click();
  await page.locator('.field-error', { hasText: 'Dette er ikke en e-postadresse.' }).waitFor();
  await page.getByLabel('E-post').fill(s.email);
  await page.getByRole('button', { name: 'Send meg en lenke' }).click();
  await page.getByText(`Hvis ${s.email} hører til en konto, er en lenke på vei dit.`).waitFor();
  assert.equal(await page.locator('.field-error').count(), 0, 'the earlier refusal is gone');

  const { link, mail } = await mailedLink(s.email, 'reset');
  assert.match(mail.text, /reset your Fieldnotes password/, 'the mail is in the person’s language (English)');
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: 'Velg nytt passord' }).waitFor();
  await everywhere(page, 'reset-nb');

  // Too short: refused by the server, said in bokmål at the field; what was typed stays.
  const pw = page.getByLabel('Nytt passord');
  await pw.fill('kort-pass');
  await page.getByRole('button', { name: 'Lagre passordet' }).click();
  const err = page.locator('.field-error', { hasText: 'Passordet er for kort: bruk minst 12 tegn.' });
  await err.waitFor();
  assert.equal(await pw.getAttribute('aria-invalid'), 'true');
  assert.ok((await pw.getAttribute('aria-describedby')).split(' ').includes(await err.getAttribute('id')), 'the field names its error');
  assert.equal(await pw.inputValue(), 'kort-pass', 'what was typed is kept');
  await page.getByRole('alert').filter({ hasText: 'Se over de merkede feltene.' }).waitFor();
  assert.doesNotMatch(await page.locator('main').innerText(), /characters|must be/, 'no server words, no English');
  await everywhere(page, 'reset-weak-nb');
  // One character repeated is refused too.
  await pw.fill('aaaaaaaaaaaaaaaa');
  await page.getByRole('button', { name: 'Lagre passordet' }).click();
  await page.locator('.field-error', { hasText: 'Passordet kan ikke være ett og samme tegn gjentatt.' }).waitFor();
  assert.equal(await page.locator('.field-error').count(), 1, 'said once');

  await page.getByLabel('Vis passordet').check();
  assert.equal(await pw.getAttribute('type'), 'text', 'the password can be shown');
  await pw.fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Lagre passordet' }).click();
  await page.getByText('Passordet er endret, og alle enheter er logget ut. Logg inn med det nye passordet.').waitFor();
  await page.getByLabel('E-post').fill(s.email);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  // The person's stored language (English) comes with the sign-in.
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();
  await assert.rejects(Api.login(s.email, PASSWORD), 'the old password no longer works');
  await Api.login(s.email, NEW_PASSWORD);
  await poll(() => mailTo(s.email).some((m) => /password was just reset/.test(m.text)));

  // The link works once.
  const again = await openPhone(t);
  await again.page.goto(link);
  // Said when the page opens, before a password is typed.
  await again.page.getByText('This link does not work: it is incomplete, more than 2 hours old, or was already used.').waitFor();
  assert.equal(await again.page.getByLabel('New password').count(), 0);
  await again.page.getByRole('heading', { level: 2, name: 'Get a new link' }).waitFor();
});

test('a reset link that does not work says so plainly and sends a new one that does', async (t) => {
  const s = await seed('badlink', { interview: false });
  const { page } = await openPhone(t);
  await page.goto(`${BASE}/#/reset?token=this-is-not-a-token`);
  await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
  await page.getByText('This link does not work: it is incomplete, more than 2 hours old, or was already used.').waitFor();
  const form = page.getByRole('form', { name: 'Get a new link' });
  await form.waitFor();
  assert.equal(await page.getByLabel('New password').count(), 0, 'no password form for a link that cannot work');
  await everywhere(page, 'reset-bad-link');

  const seen = mailTo(s.email).map((m) => m.text);
  assert.equal(seen.length, 0);
  await form.getByLabel('Email').fill(s.email);
  await form.getByRole('button', { name: 'Send me a link' }).click();
  await page.getByText(`If ${s.email} belongs to an account, a link is on its way to it.`).waitFor();
  await everywhere(page, 'reset-new-link-sent');
  // An address with no account gets the same answer.
  await form.getByLabel('Email').fill('nobody-here@example.org');
  await form.getByRole('button', { name: 'Send me a link' }).click();
  await page.getByText('If nobody-here@example.org belongs to an account').waitFor();

  const { link } = await mailedLink(s.email, 'reset');
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save the password' }).click();
  await page.getByText('Your password is changed').waitFor();
  await page.getByLabel('Email', { exact: true }).fill(s.email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();

  // Opened while signed in, a reset link says this phone will be signed out.
  const { link: second } = await (async () => {
    await fetch(`${BASE}/api/v1/auth/password-reset`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: s.email }),
    });
    return mailedLink(s.email, 'reset', [link]);
  })();
  await page.goto(second);
  await page.getByText('This phone is signed in to an account now.').waitFor();
  await page.getByLabel('New password').fill('a fourth long passphrase');
  await page.getByRole('button', { name: 'Save the password' }).click();
  await page.getByText('Your password is changed').waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('fieldnotes.tokens')), null, 'signed out on this phone');
  await Api.login(s.email, 'a fourth long passphrase');
});

test('the language chosen in the client is stored on the person: mail and the next sign-in follow it', async (t) => {
  const s = await seed('lang', { interview: false });
  assert.equal((await s.api.get('/me')).language, 'en');
  const one = await openPhone(t);
  await signIn(one.page, s.email, PASSWORD);
  await one.page.getByRole('link', { name: 'More', exact: true }).click();
  await one.page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
  await one.page.getByRole('radio', { name: 'Norsk (bokmål)' }).check();
  await one.page.getByRole('heading', { level: 1, name: 'Mer' }).waitFor();
  await poll(async () => (await s.api.get('/me')).language === 'nb');

  // Mail now comes in bokmål.
  await fetch(`${BASE}/api/v1/auth/password-reset`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: s.email }),
  });
  const { mail } = await mailedLink(s.email, 'reset');
  assert.match(mail.text, /ba om å få nytt passord/, 'the reset mail is in bokmål');

  // A fresh browser in English comes up in bokmål at sign-in.
  const two = await openPhone(t);
  await signIn(two.page, s.email, PASSWORD);
  await two.page.getByRole('heading', { level: 1, name: /^I dag/ }).waitFor();
  assert.equal(await two.page.evaluate(() => document.documentElement.lang), 'nb');

  // Chosen offline: shown at once, stored when the network is back.
  await two.context.setOffline(true);
  await two.page.getByText('Frakoblet', { exact: true }).waitFor();
  await two.page.getByRole('button', { name: 'English' }).click();
  await two.page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();
  await sleep(500);
  assert.equal((await s.api.get('/me')).language, 'nb', 'nothing sent while offline');
  await two.context.setOffline(false);
  await poll(async () => (await s.api.get('/me')).language === 'en');

  // Chosen on the sign-in screen, signed out: stored at the sign-in.
  const three = await openPhone(t);
  await three.page.goto(`${BASE}/`);
  await three.page.getByRole('button', { name: 'Norsk' }).click();
  await three.page.getByRole('heading', { level: 1, name: 'Logg inn' }).waitFor();
  await signIn(three.page, s.email, PASSWORD);
  await three.page.getByRole('heading', { level: 1, name: /^I dag/ }).waitFor();
  await poll(async () => (await s.api.get('/me')).language === 'nb');
});

test('a calendar subscription: made with a QR code and an address to copy, served as iCalendar, revoked', async (t) => {
  const s = await seed('cal');
  const { context, page } = await openPhone(t);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: 'More', exact: true }).click();
  await page.getByRole('link', { name: 'Calendar subscription' }).click();
  await page.getByRole('heading', { level: 1, name: 'Calendar subscription' }).waitFor();
  await page.getByText('You have no calendar address.').waitFor();
  await page.getByText('Anyone who has the address can see the times and places of your interviews and the participants’ pseudonyms').waitFor();
  await everywhere(page, 'calendar');

  await page.getByRole('button', { name: 'Make a calendar address' }).click();
  const qr = page.locator('main svg');
  await qr.waitFor();
  assert.equal(await qr.count(), 1);
  assert.equal(await qr.getAttribute('role'), 'img');
  assert.equal(await qr.getAttribute('aria-label'), 'QR code of your calendar address');
  assert.equal(await page.locator('main svg script, main svg [style], main svg foreignObject, main svg [onload]').count(), 0);
  assert.ok(await page.locator('main svg path').count() >= 1, 'the code is drawn');
  assert.ok((await qr.boundingBox()).width >= 200, 'big enough to scan');
  const url = await page.getByRole('textbox', { name: 'Calendar address' }).inputValue();
  assert.match(url, new RegExp(`^${BASE.replace(/[.]/g, '\\.')}/api/v1/calendar/[A-Za-z0-9_-]+\\.ics$`));
  await page.getByText('It is shown only now.').waitFor();
  await page.getByText(/^My interviews · Made .+ \(the one above\)$/).waitFor();
  await page.getByRole('button', { name: 'Copy the address' }).click();
  await page.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  await everywhere(page, 'calendar-new');

  // The address serves the person's interview, with its time zone.
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/calendar/);
  const ics = (await res.text()).replace(/\r\n[ \t]/g, '');
  assert.match(ics, /^BEGIN:VCALENDAR/);
  assert.match(ics, /BEGIN:VTIMEZONE/);
  assert.match(ics, /TZID:Europe\/Oslo/);
  assert.ok(ics.includes(s.participant.pseudonym), 'the interview is in the feed');
  const { items } = await s.api.get('/calendar-feeds');
  assert.equal(items.filter((f) => !f.revoked_at).length, 1);

  // Revoked: the address stops working at once.
  await page.getByRole('button', { name: 'Revoke' }).click();
  await page.getByText('Revoked: that address no longer works').waitFor();
  await page.getByText('You have no calendar address.').waitFor();
  assert.equal(await page.locator('main svg').count(), 0, 'the revoked address is no longer shown');
  assert.equal((await fetch(url)).status, 404);
  await everywhere(page, 'calendar-revoked');

  // In bokmål.
  await page.getByRole('button', { name: 'Norsk' }).click();
  await page.getByRole('heading', { level: 1, name: 'Kalenderabonnement' }).waitFor();
  await page.getByRole('button', { name: 'Lag en kalenderadresse' }).click();
  await page.getByRole('img', { name: 'QR-kode for kalenderadressen din' }).waitFor();
  await page.getByText(/^Mine intervjuer · Laget .+ \(den ovenfor\)$/).waitFor();
  await everywhere(page, 'calendar-nb');
});

test('a coordinator subscribes to every interview at their sites', async (t) => {
  const s = await seed('cal-sites');
  const a = await admin();
  const email = `${unique('cal-coord')}@example.org`;
  await a.post('/users', { email, display_name: 'Calendar Coordinator', role: 'coordinator', password: PASSWORD, site_ids: [s.site.id], language: 'en' });
  const { page } = await openPhone(t);
  await signIn(page, email, PASSWORD);
  await page.goto(`${BASE}/#/more/calendar`);
  await page.getByRole('heading', { level: 1, name: 'Calendar subscription' }).waitFor();
  await page.getByLabel('Every interview at my sites').check();
  await everywhere(page, 'calendar-sites');
  await page.getByRole('button', { name: 'Make a calendar address' }).click();
  await page.getByText(/^Every interview at my sites · Made .+ \(the one above\)$/).waitFor();
  const url = await page.getByRole('textbox', { name: 'Calendar address' }).inputValue();
  // Not their interview, but at their site: in the feed.
  const ics = await (await fetch(url)).text();
  assert.ok(ics.includes(s.participant.pseudonym), 'the fieldworker’s interview at the coordinator’s site');
});
