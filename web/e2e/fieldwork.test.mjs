// The phone flows as fieldworkers live them (issue 13): postponing without a
// screening, the no-screen-shopping window, notes that never wait on the
// network, screens that show the state as it is now, one screen at a time
// on a slow link, refusals in plain words, the likely clinic, and
// screening answers kept for a few minutes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from './lib.mjs';
import { BASE, PASSWORD, admin, seed, launch, signIn, poll, screen, axeResults } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = axeResults.reduce((n, r) => n + r.violations.length, 0);
  console.log(`axe-core (field flows): ${axeResults.length} screens checked, ${all} violations of any impact`);
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on the screens of these flows');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);
const osloTime = (ms) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The newest version of an instrument. */
async function instrument(api, key) {
  const { items } = await api.get('/instruments');
  return items.filter((i) => i.key === key).sort((a, b) => b.version - a.version)[0];
}

/** POSS 1, a passing capacity check and written consent, through the API. */
async function consentByApi(s) {
  const poss = await instrument(s.api, 'poss');
  const capacity = await instrument(s.api, 'capacity');
  await s.api.post(`/participants/${s.participant.id}/screenings`, { instrument_id: poss.id, responses: { sedation: '1' } });
  await s.api.post(`/participants/${s.participant.id}/screenings`, {
    instrument_id: capacity.id, responses: Object.fromEntries(capacity.items.map((i) => [i.key, '2'])),
  });
  await s.api.post(`/participants/${s.participant.id}/consents`, { form_version: '1.0', method: 'written' });
}

/** Every request to the API waits `ms` first (a slow link). */
async function slowApi(page, ms) {
  const handler = async (route) => {
    await sleep(ms);
    await route.continue().catch(() => {});
  };
  await page.route('**/api/v1/**', handler);
  return () => page.unroute('**/api/v1/**', handler);
}

test('an absent participant is postponed from the interview without a screening; after READY too, and from the session screen', async (t) => {
  const s = await seed('absent');
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await page.getByRole('heading', { name: 'Screening', exact: true }).waitFor();
  await page.getByText('Participant absent, or not willing today? Postpone without screening.').waitFor();
  await page.getByRole('button', { name: 'Postpone', exact: true }).click();
  const reason = page.getByLabel('Reason');
  const offered = await reason.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(offered.sort(), ['clinic_circumstances', 'interviewer_unavailable', 'other', 'participant_absent', 'participant_unwilling_today'],
    'only the reasons that need no screening');
  assert.equal(await reason.inputValue(), 'participant_absent');
  await screen(page, 'postpone-without-screening');
  await page.getByRole('button', { name: 'Confirm postponement' }).click();
  await page.getByText('Postponed. Everyone affected gets an email.').waitFor();
  // The header says so at once: no reload.
  assert.match(await page.locator('main p.sub').first().innerText(), /To be agreed[\s\S]*Postponed/);
  assert.doesNotMatch(await page.locator('main p.sub').first().innerText(), /Scheduled/);

  const history = await s.api.get(`/interviews/${s.interview.id}/postponements`);
  assert.equal(history.items.length, 1);
  assert.equal(history.items[0].reason, 'participant_absent');
  assert.deepEqual(history.items[0].readiness_reasons, []);
  assert.equal((await s.api.get(`/participants/${s.participant.id}/screenings`)).items.length, 0, 'no screening was stored');

  // READY, but not willing today: Postpone is offered next to Start session.
  const r = await seed('readyunwilling');
  await consentByApi(r);
  const p2 = await openPhone(t);
  await signIn(p2.page, r.email, PASSWORD);
  await p2.page.getByRole('link', { name: new RegExp(r.participant.pseudonym) }).click();
  const verdict = p2.page.locator('#verdict');
  await verdict.getByText('READY', { exact: true }).waitFor();
  await p2.page.getByRole('button', { name: 'Start session' }).waitFor();
  await p2.page.getByRole('button', { name: 'Postpone', exact: true }).click();
  assert.equal(await p2.page.getByLabel('Reason').locator('option[value=participant_not_ready]').count(), 0);
  await p2.page.getByLabel('Reason').selectOption('participant_unwilling_today');
  await p2.page.getByRole('button', { name: 'Confirm postponement' }).click();
  await p2.page.getByText('Postponed. Everyone affected gets an email.').waitFor();
  assert.match(await p2.page.locator('main p.sub').first().innerText(), /Postponed/);
  assert.equal((await r.api.get(`/interviews/${r.interview.id}`)).postponements[0].reason, 'participant_unwilling_today');

  // The session screen of an interview offers it too.
  const u = await seed('sessionpostpone');
  const p3 = await openPhone(t);
  await signIn(p3.page, u.email, PASSWORD);
  await p3.page.goto(`${BASE}/#/session/${u.interview.id}`);
  await p3.page.getByRole('button', { name: 'Postpone', exact: true }).click();
  assert.equal(await p3.page.getByLabel('Reason').locator('option[value=participant_not_ready]').count(), 0);
  await p3.page.getByLabel('Reason').selectOption('clinic_circumstances');
  await screen(p3.page, 'session-postpone');
  await p3.page.getByRole('button', { name: 'Confirm postponement' }).click();
  await p3.page.getByText('Postponed. Everyone affected gets an email.').waitFor();
  assert.match(await p3.page.locator('main p.sub').first().innerText(), /Postponed/);
  assert.equal((await u.api.get(`/interviews/${u.interview.id}`)).status, 'postponed');
});

test('after a POSTPONE, "Screen again at HH:MM" replaces the form while a passing screening cannot count', async (t) => {
  const s = await seed('shopping');
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await page.locator('input[name="item-sedation"][value="3"]').check();
  await page.getByRole('button', { name: /^Save and go on \(1 of 2\)/ }).click();
  const verdict = page.locator('#verdict');
  await verdict.getByText('POSTPONE', { exact: true }).waitFor();
  const [poss3] = (await s.api.get(`/participants/${s.participant.id}/screenings`)).items;
  const at = osloTime(Date.parse(poss3.performed_at) + 60 * 60e3);
  await verdict.getByText(`Screen again at ${at}`).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Screen again' }).count(), 0, 'no way into a screening that cannot count');
  await page.getByText(`A new screening cannot count before ${at}`).waitFor();
  await screen(page, 'screen-again-at');

  // Opened again later: the same, never the form or the capacity questions.
  await page.reload();
  await verdict.getByText(`Screen again at ${at}`).waitFor();
  assert.equal(await page.locator('input[name^="item-"]').count(), 0, 'no screening questions are asked');
  assert.equal(await page.getByRole('heading', { name: /Capacity to consent/ }).count(), 0);
  // Postponing stays at hand, with the screening's reasons.
  await page.getByRole('button', { name: 'Postpone', exact: true }).click();
  assert.equal(await page.getByLabel('Reason').inputValue(), 'participant_not_ready');
});

test('notes open and save at once on a slow link, and sync in the background', async (t) => {
  const s = await seed('slownote', { interview: false });
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  // What the form needs was kept on the phone at sign-in, in the cache of the person signed in.
  await page.waitForFunction(([uid, sid]) => localStorage.getItem('fieldnotes.cache.owner') === uid
    && localStorage.getItem(`fieldnotes.cache.${uid}.codes`) && localStorage.getItem(`fieldnotes.cache.${uid}.participants.${sid}`), [s.user.id, s.site.id]);
  await page.getByRole('link', { name: 'Notes', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Notes' }).waitFor();
  await page.waitForLoadState('networkidle');

  const fast = await slowApi(page, 4000);
  await page.getByRole('link', { name: 'Write a note', exact: true }).click();
  await page.getByLabel('What did you observe?').waitFor({ timeout: 1500 });
  await page.getByLabel(s.participant.pseudonym).waitFor({ timeout: 1500 });
  const body = `Slow link note, ${s.participant.pseudonym}: the nurse brought tea`;
  await page.getByLabel('What did you observe?').fill(body);
  await page.getByLabel(s.participant.pseudonym).check();
  const saved = Date.now();
  await page.getByRole('button', { name: 'Save note' }).click();
  await page.getByText(/saved on this phone/i).waitFor({ timeout: 1500 });
  assert.ok(Date.now() - saved < 2000, 'said at once, while the sync is still under way');
  await fast();
  const stored = await poll(async () => (await s.api.get(`/notes?author_id=${s.user.id}`)).items.find((n) => n.body === body), { timeout: 15000 });
  assert.deepEqual(stored.participant_ids, [s.participant.id]);
  await page.getByText('Note saved.', { exact: true }).waitFor();
  await page.getByRole('region', { name: 'My notes' }).getByText(body).waitFor();
});

test('every screen shows the state as it is now: the queue after a sync, consent, a postponement', async (t) => {
  const s = await seed('fresh');
  const { page, context } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: 'Notes', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Notes' }).waitFor();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  // Offline: the queue, the network hint and the state show; once synced,
  // all of it goes from the open screen.
  await context.setOffline(true);
  await page.getByText('Offline', { exact: true }).waitFor();
  const offline = `Offline note, ${s.participant.pseudonym}: a quiet afternoon`;
  await page.getByRole('link', { name: 'Write a note', exact: true }).click();
  await page.getByLabel('What did you observe?').fill(offline);
  await page.getByRole('button', { name: 'Save note' }).click();
  await page.getByText('Note saved on this phone. It is sent when the network is back.').waitFor();
  const main = page.locator('main');
  await page.getByRole('heading', { level: 2, name: '1 waiting to sync' }).waitFor();
  await main.getByText('No network: these notes are safe on this phone').waitFor();
  await main.getByText('Waiting', { exact: true }).waitFor();
  await context.setOffline(false);
  await page.getByRole('link', { name: /waiting to sync/ }).waitFor({ state: 'hidden', timeout: 15000 });
  await page.getByRole('region', { name: 'My notes' }).getByText(offline).waitFor();
  const text = await main.innerText();
  assert.doesNotMatch(text, /waiting to sync/, 'the queue heading is gone');
  assert.doesNotMatch(text, /No network/, 'the network hint is gone');
  assert.equal(await main.locator('.state', { hasText: /^Waiting$/ }).count(), 0, 'no note is shown as waiting');
  await screen(page, 'notes-after-sync');

  // Consent shows as soon as it is recorded.
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await page.locator('input[name="item-sedation"][value="1"]').check();
  await page.getByRole('button', { name: /Save and go on \(1 of 2\)/ }).click();
  await page.getByRole('heading', { name: /Capacity to consent/ }).waitFor();
  for (const i of await page.locator('fieldset.choices input[value="2"]').all()) await i.check();
  await page.getByRole('button', { name: 'Save and see the verdict' }).click();
  const verdict = page.locator('#verdict');
  await verdict.getByText('READY', { exact: true }).waitFor();
  const consentState = page.locator('main p.sub').nth(1);
  assert.equal(await consentState.innerText(), 'No consent yet.');
  await page.getByRole('button', { name: 'Record consent' }).click();
  await verdict.getByText('for an interview session').waitFor();
  assert.equal(await consentState.innerText(), 'Consent recorded.', 'the consent shows without a reload');

  // A postponement shows as soon as it is made.
  const n = await seed('freshpostpone');
  const p2 = await openPhone(t);
  await signIn(p2.page, n.email, PASSWORD);
  await p2.page.getByRole('link', { name: new RegExp(n.participant.pseudonym) }).click();
  await p2.page.locator('input[name="item-sedation"][value="3"]').check();
  await p2.page.getByRole('button', { name: /^Save and go on \(1 of 2\)/ }).click();
  await p2.page.locator('#verdict').getByText('POSTPONE', { exact: true }).waitFor();
  const head = p2.page.locator('main p.sub').first();
  assert.match(await head.innerText(), /Scheduled/);
  await p2.page.getByRole('button', { name: 'Postpone', exact: true }).click();
  await p2.page.getByRole('button', { name: 'Confirm postponement' }).click();
  await p2.page.getByText('Postponed. Everyone affected gets an email.').waitFor();
  assert.match(await head.innerText(), /To be agreed[\s\S]*Postponed/);
  assert.doesNotMatch(await head.innerText(), /Scheduled/);
});

test('a screen still loading on a slow link never writes into the next one', async (t) => {
  const s = await seed('mixed', { interview: false });
  await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: s.site.id, observed_at: new Date(Date.now() - 60e3).toISOString(),
    location: 'waiting_room', body: 'A note that must stay on the Notes screen',
  });
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.waitForLoadState('networkidle');
  const fast = await slowApi(page, 1200);
  await page.getByRole('link', { name: 'Notes', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Notes' }).waitFor();
  await sleep(300);
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();
  await sleep(3500); // every answer the Notes screen asked for has come
  await fast();
  const main = page.locator('main');
  assert.equal(await main.locator('h1').count(), 1, 'one screen');
  assert.equal(await main.getByRole('heading', { name: 'My notes' }).count(), 0);
  assert.equal(await main.getByLabel('Search my notes').count(), 0);
  assert.equal(await main.getByText('A note that must stay on the Notes screen').count(), 0);
  await main.getByRole('heading', { name: 'My interviews' }).waitFor();
});

test('refusals are said once, in plain Norwegian, at the field; a picked time starts at the next opening', async (t) => {
  const s = await seed('words');
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('button', { name: 'Norsk' }).click();
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await page.locator('input[name="item-sedation"][value="3"]').check();
  await page.getByRole('button', { name: /^Lagre og gå videre \(1 av 2\)/ }).click();
  await page.locator('#verdict').getByText('UTSETT', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Utsett', exact: true }).click();
  await page.getByText('Velg tidspunkt').click();
  const when = page.getByLabel(/Dato og klokkeslett/);
  const picked = await when.inputValue();
  // The next opening of the site (08:00–12:00, 14:00–17:00 in Oslo) after now
  // that fits the interview's 45 minutes.
  const oslo = (d) => Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d).map((p) => [p.type, p.value]));
  const now = oslo(new Date());
  const hhmm = `${now.hour}:${now.minute}`;
  const today = `${now.year}-${now.month}-${now.day}`;
  const tomorrow = (() => { const x = oslo(new Date(Date.now() + 864e5)); return `${x.year}-${x.month}-${x.day}`; })();
  const expected = hhmm < '08:00' ? `${today}T08:00` : hhmm < '14:00' ? `${today}T14:00` : `${tomorrow}T08:00`;
  assert.equal(picked, expected, 'the next opening slot, not now + 24 h');
  await page.getByText(/Åpningstid: 08:00–12:00, 14:00–17:00/).waitFor();

  // Outside opening hours: once, in Norwegian, at the time.
  await when.fill(`${tomorrow}T20:00`);
  await page.getByRole('button', { name: 'Bekreft utsettelsen' }).click();
  const err = page.locator('.field-error', { hasText: 'utenfor klinikkens åpningstid (08:00–12:00, 14:00–17:00, Europe/Oslo-tid)' });
  await err.waitFor();
  assert.equal(await when.getAttribute('aria-invalid'), 'true');
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /allow_outside_opening_hours|new_scheduled_at|opening hours/, 'no developer language, no English');
  assert.equal(text.split('utenfor klinikkens åpningstid').length - 1, 1, 'said once');
  await page.getByRole('alert').filter({ hasText: 'Se over de merkede feltene.' }).waitFor();
  await screen(page, 'postpone-refused-nb');

  // "Other" needs a why: said at the note.
  await page.getByLabel('Grunn').selectOption('other');
  await when.fill(expected);
  await page.getByRole('button', { name: 'Bekreft utsettelsen' }).click();
  await page.locator('.field-error', { hasText: 'Skriv hvorfor når grunnen er «Annet».' }).waitFor();
  assert.equal(await page.locator('.field-error').count(), 1, 'the earlier refusal is gone');
  await page.getByLabel(/Skriv hvorfor/).fill('The room is needed for an emergency.');
  await page.getByRole('button', { name: 'Bekreft utsettelsen' }).click();
  await page.getByText('Utsatt. Alle som berøres får e-post.').waitFor();
  const iv = await s.api.get(`/interviews/${s.interview.id}`);
  assert.equal(iv.status, 'scheduled');
  assert.equal(osloTime(iv.scheduled_at), expected.slice(11));
  assert.match(await page.locator('main p.sub').first().innerText(), /Planlagt/);
});

test('the note form defaults to the clinic of today\'s interview, else to the last note\'s', async (t) => {
  const s = await seed('clinic');
  const a = await admin();
  // A site whose name sorts first, where the fieldworker also works.
  const other = await a.post('/sites', {
    name: `Aardvark ${s.site.name}`, timezone: 'Europe/Oslo', opening_hours: [{ start: '08:00', end: '16:00' }],
  });
  await a.call('PATCH', `/users/${s.user.id}`, { site_ids: [s.site.id, other.id] });
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).waitFor();
  await page.getByRole('link', { name: 'Write a note', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'New note' }).waitFor();
  assert.equal(await page.getByLabel('Site').inputValue(), s.site.id, 'the site of today\'s interview');

  // No interview today: the site of the last note written here.
  const n = await seed('clinicnone', { interview: false });
  const b = await a.post('/sites', { name: `Aardvark ${n.site.name}`, timezone: 'Europe/Oslo', opening_hours: [] });
  await a.call('PATCH', `/users/${n.user.id}`, { site_ids: [n.site.id, b.id] });
  const p2 = await openPhone(t);
  await signIn(p2.page, n.email, PASSWORD);
  await p2.page.getByRole('link', { name: 'Write a note', exact: true }).click();
  assert.equal(await p2.page.getByLabel('Site').inputValue(), b.id, 'the first site when nothing else is known');
  await p2.page.getByLabel('Site').selectOption(n.site.id);
  await p2.page.getByLabel('What did you observe?').fill('A note at the second clinic.');
  await p2.page.getByRole('button', { name: 'Save note' }).click();
  await p2.page.getByText(/saved/i).first().waitFor();
  await p2.page.getByRole('link', { name: 'Write a note', exact: true }).click();
  await p2.page.getByRole('heading', { level: 1, name: 'New note' }).waitFor();
  assert.equal(await p2.page.getByLabel('Site').inputValue(), n.site.id, 'the site of the last note');
});

test('screening answers are kept for a few minutes, and a READY that holds is shown with its time', async (t) => {
  const s = await seed('kept');
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await page.locator('input[name="item-sedation"][value="1"]').check();
  await page.getByRole('button', { name: /Save and go on \(1 of 2\)/ }).click();
  await page.getByRole('heading', { name: /Capacity to consent/ }).waitFor();
  const items = await page.locator('fieldset.choices input[value="2"]').all();
  assert.equal(items.length, 10);
  for (const i of items.slice(0, 3)) await i.check();

  // A call comes in; the phone reloads the page later.
  await page.reload();
  await page.getByRole('heading', { name: /Capacity to consent/ }).waitFor();
  await page.getByText('The answers you gave a moment ago are filled in again.').waitFor();
  const again = await page.locator('fieldset.choices input[value="2"]').all();
  assert.deepEqual(await Promise.all(again.map((i) => i.isChecked())), [true, true, true, false, false, false, false, false, false, false]);
  await page.getByText(/Now: POSTPONE for consent/).waitFor();
  for (const i of again.slice(3)) await i.check();
  await page.getByRole('button', { name: 'Save and see the verdict' }).click();
  const verdict = page.locator('#verdict');
  await verdict.getByText('READY', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Record consent' }).click();
  await verdict.getByText('for an interview session').waitFor();

  // Back later: the READY that still holds, and until when; no new screening.
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await verdict.getByText('READY', { exact: true }).waitFor();
  const ready = await s.api.get(`/participants/${s.participant.id}/readiness?for=session`);
  await verdict.getByText(`Valid until ${osloTime(Date.parse(ready.valid_until))}`).waitFor();
  await page.getByRole('button', { name: 'Start session' }).waitFor();
  assert.equal(await page.locator('input[name^="item-"]').count(), 0);
  await screen(page, 'ready-holds');
});

test('a coordinator on the phone: due cards name the site and book, all sites at once, the list to be agreed, history in words, the team\'s notes filtered', async (t) => {
  const s = await seed('coord', { interview: false });
  const a = await admin();
  const tag = s.site.name.replace(/^Clinic /, '');
  const siteB = await a.post('/sites', { name: `Bay ${tag}`, timezone: 'Europe/Oslo', opening_hours: [{ start: '08:00', end: '16:00' }] });
  await a.call('PATCH', `/users/${s.user.id}`, { site_ids: [s.site.id, siteB.id] });
  const coordinator = `co-${tag}@example.org`;
  await a.post('/users', { email: coordinator, display_name: `Coordinator ${tag}`, role: 'coordinator', password: PASSWORD, site_ids: [s.site.id, siteB.id] });
  const started = new Date(Date.now() - 35 * 864e5).toISOString().slice(0, 10);
  const q = await a.post('/participants', { pseudonym: `Quail-${tag}`, site_id: siteB.id, treatment_started_on: started });
  const r = await a.post('/participants', { pseudonym: `Robin-${tag}`, site_id: s.site.id, treatment_started_on: started });
  const soon = new Date(Math.floor(Date.now() / 60000) * 60000 + 5 * 60e3).toISOString();
  // P: screened POSS 3 and postponed, the time to be agreed.
  const p1 = await a.post('/interviews', {
    participant_id: s.participant.id, wave: 1, scheduled_at: soon, duration_minutes: 30, interviewer_ids: [s.user.id], allow_outside_opening_hours: true,
  });
  const poss = await instrument(s.api, 'poss');
  await s.api.post(`/participants/${s.participant.id}/screenings`, { instrument_id: poss.id, responses: { sedation: '3' } });
  await s.api.post(`/interviews/${p1.id}/postponements`, { reason: 'participant_not_ready', new_scheduled_at: null });
  // Q: booked at the other site.
  await a.post('/interviews', {
    participant_id: q.id, wave: 1, scheduled_at: soon, duration_minutes: 30, interviewer_ids: [s.user.id], allow_outside_opening_hours: true,
  });
  // Notes of the fieldworker at both sites.
  await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: s.site.id, observed_at: new Date(Date.now() - 120e3).toISOString(), location: 'waiting_room',
    body: `About ${s.participant.pseudonym} in the waiting room`, participant_ids: [s.participant.id],
  });
  await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: siteB.id, observed_at: new Date(Date.now() - 60e3).toISOString(), location: 'outside',
    body: 'Smokers outside the bay clinic',
  });

  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  const due = page.getByRole('region', { name: /Due soon/ });
  const robin = due.getByRole('link', { name: new RegExp(r.pseudonym) });
  await robin.waitFor();
  assert.match(await robin.innerText(), new RegExp(`${s.site.name}[\\s\\S]*Not booked yet`), 'the card names the site');
  const lark = due.getByRole('link', { name: new RegExp(s.participant.pseudonym) });
  assert.match(await lark.innerText(), /Postponed: time to be agreed/);
  assert.doesNotMatch(await lark.innerText(), /Booked/);
  assert.match(await due.getByRole('link', { name: new RegExp(q.pseudonym) }).innerText(), new RegExp(siteB.name));
  await screen(page, 'due-with-sites');
  await robin.click();
  await page.getByRole('heading', { level: 1, name: 'Book an interview' }).waitFor();
  await page.waitForFunction((id) => [...document.querySelectorAll('select')].some((el) => el.value === id), r.id);
  assert.equal(await page.getByLabel('Participant').inputValue(), r.id, 'booking opens for the participant');
  assert.equal(await page.getByLabel('Site').inputValue(), s.site.id);

  // The schedule of all sites, and what is to be agreed.
  await page.getByRole('link', { name: 'Schedule', exact: true }).click();
  await page.getByLabel('Site').selectOption('all');
  const tba = page.getByRole('region', { name: 'To be agreed (1)' });
  const card = tba.locator('li.card', { hasText: s.participant.pseudonym });
  await card.waitFor();
  assert.match(await card.innerText(), /To be agreed[\s\S]*Postponed/);
  const week = page.locator('section.day li.card', { hasText: q.pseudonym });
  await week.waitFor();
  assert.match(await week.innerText(), new RegExp(siteB.name), 'all sites, each named');
  assert.equal(await page.locator('section.day li.card', { hasText: s.participant.pseudonym }).count(), 0, 'postponed ones are not shown at their old time');
  await card.getByRole('button', { name: 'History (1)' }).click();
  const history = card.locator('ol.history > li');
  await history.first().waitFor();
  const said = await history.first().innerText();
  assert.match(said, /Participant not ready \(screening\)[\s\S]*POSS[^\n]*: frequently drowsy \(3\)/);
  assert.doesNotMatch(said, /poss_drowsy/, 'words, not codes');
  await screen(page, 'schedule-all-sites');

  // The team's notes, filtered.
  await page.waitForFunction((ids) => {
    const uid = localStorage.getItem('fieldnotes.cache.owner');
    return uid && ids.every((id) => localStorage.getItem(`fieldnotes.cache.${uid}.participants.${id}`));
  }, [s.site.id, siteB.id]);
  await page.getByRole('link', { name: 'Notes', exact: true }).click();
  const list = page.getByRole('region', { name: 'The team’s notes' });
  await list.getByText('Smokers outside the bay clinic').waitFor();
  await list.getByText(`About ${s.participant.pseudonym} in the waiting room`).waitFor();
  assert.match(await list.innerText(), new RegExp(s.user.display_name), 'the author is named');
  await page.getByText('Filters', { exact: true }).click();
  await page.getByLabel('Where', { exact: true }).selectOption('outside');
  await screen(page, 'notes-team-filters');
  await page.getByRole('button', { name: 'Show notes' }).click();
  const filtered = page.getByRole('region', { name: 'The team’s notes (filtered)' });
  await filtered.getByText('Smokers outside the bay clinic').waitFor();
  assert.equal(await filtered.getByText('in the waiting room').count(), 0);
  await page.getByLabel('Where', { exact: true }).selectOption('');
  await page.getByLabel('About').selectOption(s.participant.id);
  await page.getByLabel('Written by').selectOption(s.user.id);
  await page.getByRole('button', { name: 'Show notes' }).click();
  await page.waitForURL(/participant=/);
  await filtered.getByText(`About ${s.participant.pseudonym} in the waiting room`).waitFor();
  assert.equal(await filtered.getByText('Smokers outside').count(), 0);
});

test('this week’s participants open offline with the time their page was kept; one never kept has a way back', async (t) => {
  const s = await seed('offline-page');
  await consentByApi(s);
  const { page, context } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  const keys = () => page.evaluate(() => Object.keys(localStorage));
  // Kept ahead at sign-in: the people of this week's interviews, their consent.
  await poll(async () => (await keys()).some((k) => k.endsWith(`.consents.${s.participant.id}`)));
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  await page.getByText('Offline', { exact: true }).waitFor();
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await page.getByRole('heading', { level: 1, name: s.participant.pseudonym }).waitFor();
  await page.getByText(/^Offline: as kept on this phone at /).waitFor();
  await page.getByText('Consent recorded.').waitFor();
  await screen(page, 'participant-offline');
  // Someone never opened nor booked this week: said plainly, with the way back.
  await page.goto(`${BASE}/#/participant/${crypto.randomUUID()}`);
  await page.getByRole('link', { name: 'Back to Today' }).click();
  await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();
  await context.setOffline(false);
});
