// The admin's Team screen (issue 15): inviting a peer researcher in bokmål,
// the invitation pending and sent again, the invitee choosing a password
// from the newest link in the mail and signing in, disabling and enabling
// them, a bad email refused at the field, and no Team for a coordinator.
// axe-core at a phone's size and a desktop's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from './lib.mjs';
import { BASE, PASSWORD, Api, admin, seed, launch, signIn, screen, check, axeResults, mailedLink } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = lib.axeSummary('team');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);
const { unique, everywhere } = lib;
const NEW_PASSWORD = 'seven green kayaks drifting';


test('an admin invites a peer researcher in bokmål, sends the invitation again, and disables and enables them once signed in', async (t) => {
  const s = await seed('team', { interview: false });
  const a = await admin();
  const adminEmail = `${unique('team-admin')}@example.org`;
  await a.post('/users', { email: adminEmail, display_name: 'Team Admin', role: 'admin', password: PASSWORD, language: 'en' });

  const { page } = await openPhone(t);
  await signIn(page, adminEmail, PASSWORD);
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
  await page.getByRole('link', { name: 'Team' }).click();
  await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Invite someone' }).waitFor();
  await everywhere(page, 'team');

  // A bad email: refused by the server, said at the field, what was typed kept.
  const invite = page.locator('.team-invite');
  const email = invite.getByLabel('Email');
  const name = `Peer ${unique('p')}`;
  await email.fill('not-an-address');
  await invite.getByLabel('Name').fill(name);
  await invite.getByRole('button', { name: 'Send the invitation' }).click();
  const err = invite.locator('.field-error', { hasText: 'This is not an email address.' });
  await err.waitFor();
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.ok((await email.getAttribute('aria-describedby')).split(' ').includes(await err.getAttribute('id')), 'the field names its error');
  assert.equal(await email.inputValue(), 'not-an-address', 'what was typed stays');
  assert.equal(await invite.getByLabel('Name').inputValue(), name);
  await everywhere(page, 'team-bad-email');

  // The invitation: a peer researcher at the site, in bokmål, without a password.
  const address = `${unique('peer')}@example.org`;
  await email.fill(address);
  await invite.getByLabel('Peer researcher (a researcher with lived experience)').check();
  await invite.getByLabel(s.site.name).check();
  await invite.getByLabel('Norsk (bokmål)').check();
  await invite.getByRole('button', { name: 'Send the invitation' }).click();
  const person = page.locator('.team-person');
  await person.getByRole('heading', { level: 2, name }).waitFor();
  await person.getByText(`Invitation sent to ${address}.`).waitFor();
  assert.equal(await invite.locator('.field-error').count(), 0, 'the earlier refusal is gone');
  const user = (await a.get('/users')).find((u) => u.email === address);
  assert.ok(user, 'the person is on the team');
  assert.equal(user.has_password, false);
  assert.equal(user.peer_researcher, true);
  assert.equal(user.role, 'fieldworker', 'a peer researcher is a fieldworker with a label, never a lesser role');
  assert.equal(user.language, 'nb');
  assert.deepEqual(user.site_ids, [s.site.id]);

  // In the list: the role, the peer label beside it, the site, pending.
  const row = page.locator(`button.person[data-user="${user.id}"]`);
  assert.equal(await row.getAttribute('aria-current'), 'true', 'the new person is selected');
  const rowText = await row.innerText();
  for (const x of ['Fieldworker', 'Peer researcher', 'Invitation pending', 'Active', s.site.name, address]) {
    assert.ok(rowText.includes(x), `the list shows ${x}: ${rowText}`);
  }
  assert.match(await person.innerText(), /Fieldworker\s+Peer researcher/);
  await everywhere(page, 'team-invited');
  // From 1024 px the list and the person stand side by side.
  await page.setViewportSize({ width: 1280, height: 800 });
  const [listBox, personBox] = [await page.locator('.team-list').boundingBox(), await person.boundingBox()];
  assert.ok(personBox.x > listBox.x + listBox.width - 1, 'desk layout: the person beside the list');
  await page.setViewportSize({ width: 390, height: 844 });
  const [listPhone, personPhone] = [await page.locator('.team-list').boundingBox(), await person.boundingBox()];
  assert.ok(personPhone.y > listPhone.y + listPhone.height - 1, 'phone: the list, then the person');

  // The first mail is in bokmål; sent again, a newer link comes.
  const first = await mailedLink(address, 'accept');
  assert.match(first.mail.text, /har invitert deg/, 'the invitation is in bokmål');
  await person.getByRole('button', { name: 'Send the invitation again' }).click();
  await person.getByText(`A new invitation is on its way to ${address}.`).waitFor();
  const second = await mailedLink(address, 'accept', [first.link]);
  assert.notEqual(second.link, first.link);

  // The invitee chooses a password from the newest link and signs in (in bokmål).
  const invitee = await openPhone(t, { locale: 'nb-NO' });
  await invitee.page.goto(second.link);
  await invitee.page.getByRole('heading', { level: 1, name: 'Velg passord' }).waitFor();
  await invitee.page.getByLabel('Nytt passord').fill(NEW_PASSWORD);
  await invitee.page.getByRole('button', { name: 'Lagre passordet' }).click();
  await invitee.page.getByText('Passordet er lagret.', { exact: false }).waitFor();
  await invitee.page.getByLabel('E-post', { exact: true }).fill(address);
  await invitee.page.getByRole('button', { name: 'Logg inn' }).click();
  await invitee.page.getByRole('heading', { level: 1, name: /^I dag/ }).waitFor();

  // No longer pending; the admin disables them (they cannot sign in) and enables them again.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
  await row.click();
  await person.getByRole('heading', { level: 2, name }).waitFor();
  assert.ok(!(await row.innerText()).includes('Invitation pending'), 'accepted: no longer pending');
  assert.equal(await person.getByRole('button', { name: 'Send the invitation again' }).count(), 0);
  await person.getByRole('button', { name: 'Disable' }).click();
  await person.getByText('Disabled: they are signed out everywhere and cannot sign in.').waitFor();
  assert.ok((await row.innerText()).includes('Disabled'));
  assert.equal((await a.get(`/users/${user.id}`)).active, false);
  await assert.rejects(Api.login(address, NEW_PASSWORD), 'a disabled person cannot sign in');
  await everywhere(page, 'team-disabled');
  await person.getByRole('button', { name: 'Enable' }).click();
  await person.getByText('Enabled: they can sign in again.').waitFor();
  assert.equal((await a.get(`/users/${user.id}`)).active, true);
  await Api.login(address, NEW_PASSWORD);

  // Role and sites changed from the person's form.
  await person.getByLabel('Role').selectOption('coordinator');
  await person.getByRole('button', { name: 'Save the changes' }).click();
  await person.getByText('Saved.').waitFor();
  const changed = await a.get(`/users/${user.id}`);
  assert.equal(changed.role, 'coordinator');
  assert.equal(changed.peer_researcher, true, 'the peer label stays with the new role');
});

test('a coordinator’s More has no Team entry', async (t) => {
  const s = await seed('team-coord', { interview: false });
  const a = await admin();
  const coordinator = `${unique('coord')}@example.org`;
  await a.post('/users', { email: coordinator, display_name: 'Coordinator Team', role: 'coordinator', password: PASSWORD, site_ids: [s.site.id] });
  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
  await page.getByRole('link', { name: 'Export for analysis' }).or(page.getByRole('link', { name: /Export/ })).first().waitFor();
  assert.equal(await page.getByRole('link', { name: 'Team', exact: true }).count(), 0, 'no Team entry for a coordinator');
  await everywhere(page, 'more-coordinator');
});

test('a lost phone: the admin ends all of a person’s sign-ins, keys and feeds after being asked', async (t) => {
  const s = await seed('team-lost', { interview: false });
  const a = await admin();
  const adminEmail = `${unique('team-lost-admin')}@example.org`;
  await a.post('/users', { email: adminEmail, display_name: 'Lost Phone Admin', role: 'admin', password: PASSWORD, language: 'en' });
  // The fieldworker's phone sign-in, an API key and a calendar feed.
  const phone = s.api;
  const key = await phone.post('/api-keys', { name: 'transcription tool', scopes: ['sites:read'] });
  const feed = await phone.post('/calendar-feeds', {});
  const feedPath = new URL(feed.url).pathname;
  assert.equal((await fetch(`${BASE}${feedPath}`)).status, 200);

  const { page } = await openPhone(t);
  await signIn(page, adminEmail, PASSWORD);
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
  await page.getByRole('link', { name: 'Team' }).click();
  await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
  await page.locator(`button.person[data-user="${s.user.id}"]`).click();
  const person = page.locator('.team-person');
  await person.getByRole('button', { name: 'End all sign-ins, keys and feeds' }).click();
  // Asked first; "Keep them" changes nothing.
  await person.getByText('is signed out on every device', { exact: false }).waitFor();
  await everywhere(page, 'team-end-all-asked');
  await person.getByRole('button', { name: 'Keep them' }).click();
  assert.equal((await phone.get('/me')).id, s.user.id, 'kept: the phone is still signed in');
  await person.getByRole('button', { name: 'End all sign-ins, keys and feeds' }).click();
  await person.getByRole('button', { name: 'Yes, end them all' }).click();
  await person.getByText(/Ended: \d+ sign-ins, 1 API keys and 1 calendar feeds\./).waitFor();
  await assert.rejects(phone.get('/me'), /401/, 'the phone is signed out');
  await assert.rejects(new Api(key.secret).get('/sites'), /401/, 'the key is revoked');
  assert.equal((await fetch(`${BASE}${feedPath}`)).status, 404, 'the feed is revoked');
  const audit = await a.get('/audit?action=user.credentials_ended');
  assert.ok(audit.items.some((e) => e.object_id === s.user.id), 'audited');
  await everywhere(page, 'team-end-all-done');
});

test('disabling someone with open interviews asks first, lists them, and hands them over in one step', async (t) => {
  const s = await seed('team-hand');
  const a = await admin();
  const adminEmail = `${unique('team-hand-admin')}@example.org`;
  await a.post('/users', { email: adminEmail, display_name: 'Hand-over Admin', role: 'admin', password: PASSWORD, language: 'en' });
  const taker = await a.post('/users', {
    email: `${unique('team-taker')}@example.org`, display_name: `Taker ${s.site.name}`, role: 'fieldworker', password: PASSWORD, site_ids: [s.site.id],
  });

  const { page } = await openPhone(t);
  await signIn(page, adminEmail, PASSWORD);
  await page.goto(`${BASE}/#/more/team`);
  await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
  await page.locator(`button.person[data-user="${s.user.id}"]`).click();
  const person = page.locator('.team-person');
  await person.getByRole('button', { name: 'Disable' }).click();
  // Asked first, the interview listed; nothing changed yet.
  await person.getByText('is an interviewer of 1 open interview.', { exact: false }).waitFor();
  assert.ok((await person.locator('ul.stranded').innerText()).includes(s.participant.pseudonym));
  assert.equal((await a.get(`/users/${s.user.id}`)).active, true, 'not disabled before the answer');
  await everywhere(page, 'team-hand-over-asked');
  await person.getByLabel('Hand them to').selectOption(taker.id);
  await person.getByRole('button', { name: 'Hand over and disable' }).click();
  await person.getByText(`Their open interviews are with ${taker.display_name} now`, { exact: false }).waitFor();
  assert.equal((await a.get(`/users/${s.user.id}`)).active, false);
  assert.deepEqual((await a.get(`/interviews/${s.interview.id}`)).interviewer_ids, [taker.id]);
  const audit = await a.get('/audit?action=interview.hand_over');
  assert.ok(audit.items.some((e) => e.object_id === s.interview.id), 'audited');
  await everywhere(page, 'team-hand-over-done');
});
