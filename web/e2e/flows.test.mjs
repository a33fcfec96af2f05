// The web client in headless Chromium at a phone's size, against the real
// server: screening, postponement, consent, sessions, notes offline, the
// coordinator's schedule, the export for analysis, axe-core on every screen,
// and screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as lib from './lib.mjs';
import {
  BASE, PASSWORD, DEMO_PASSWORD, ADMIN, Api, admin, seed, launch, signIn, poll, axeResults, screen,
} from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const serious = axeResults.flatMap((r) => r.violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => `${r.screen}: ${v.id}`));
  const minor = axeResults.reduce((n, r) => n + r.violations.length, 0) - serious.length;
  console.log(`axe-core: ${axeResults.length} screens checked, ${serious.length} serious or critical violations, ${minor} minor or moderate`);
  await browser?.close();
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);

const osloTime = (iso) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

test('the demo fieldworker signs in and sees today\'s interview; tokens refresh; sign out everywhere', async (t) => {
  assert.ok(DEMO_PASSWORD, 'FIELDNOTES_DEMO_PASSWORD is set by .ci/e2e');
  const ola = await Api.login('demo-fieldworker@example.org', DEMO_PASSWORD);
  const mine = await ola.get('/me/interviews');
  const today = mine.items.find((i) => i.pseudonym === 'Heron');
  assert.ok(today, 'the demo has an interview today for the fieldworker');

  const { page } = await openPhone(t);
  await page.goto(`${BASE}/`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await screen(page, 'signin');
  await signIn(page, 'demo-fieldworker@example.org', DEMO_PASSWORD);
  const card = page.getByRole('link', { name: /Heron/ });
  await card.waitFor();
  const text = await card.innerText();
  assert.match(text, new RegExp(osloTime(today.scheduled_at)), 'the time is shown in the site\'s time zone');
  assert.match(text, /Oslo HAT clinic · Room 2/);
  assert.match(text, /Scheduled/);
  await screen(page, 'today-fieldworker');

  // An expired or broken access token is refreshed once with the stored
  // refresh token, which rotates.
  const before = await page.evaluate(() => JSON.parse(localStorage.getItem('fieldnotes.tokens')));
  await page.evaluate(() => {
    const tk = JSON.parse(localStorage.getItem('fieldnotes.tokens'));
    localStorage.setItem('fieldnotes.tokens', JSON.stringify({ ...tk, access: 'not-a-valid-token' }));
    localStorage.removeItem(`fieldnotes.cache.${localStorage.getItem('fieldnotes.cache.owner')}.me`);
  });
  await page.reload();
  await page.getByRole('link', { name: /Heron/ }).waitFor();
  const after = await page.evaluate(() => JSON.parse(localStorage.getItem('fieldnotes.tokens')));
  assert.notEqual(after.refresh, before.refresh, 'the refresh token rotated');
  assert.notEqual(after.access, 'not-a-valid-token');

  // When the refresh token is refused too, the app goes to sign-in.
  await page.evaluate(() => localStorage.setItem('fieldnotes.tokens', JSON.stringify({ access: 'bad', refresh: 'bad' })));
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('fieldnotes.tokens')), null);
  await signIn(page, 'demo-fieldworker@example.org', DEMO_PASSWORD);

  await page.getByRole('link', { name: 'More', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
  assert.match(await page.locator('main').innerText(), /Ola Dahl[\s\S]*Fieldworker/);
  await screen(page, 'more');
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('fieldnotes.tokens')), null);
  const res = await fetch(`${BASE}/api/v1/auth/refresh`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: after.refresh }),
  });
  assert.equal(res.status, 401, 'every sign-in of the user is revoked');
});

test('a coordinator sees who is due on Today', async (t) => {
  const { page } = await openPhone(t);
  await signIn(page, 'demo-coordinator@example.org', DEMO_PASSWORD);
  const due = page.getByRole('region', { name: /Due soon/ });
  await due.getByRole('link', { name: /Osprey/ }).waitFor();
  assert.match(await due.getByRole('link', { name: /Osprey/ }).innerText(), /Closing soon/);
  assert.match(await due.getByRole('link', { name: /Willow/ }).innerText(), /Overdue/);
  await screen(page, 'today-coordinator');
});

const sedation = (page, level) => page.locator(`input[name="item-sedation"][value="${level}"]`).check();

test('a participant screened as not ready is postponed in two taps, with the reasons in Norwegian', async (t) => {
  const s = await seed('notready');
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('button', { name: 'Norsk' }).click();
  await page.getByRole('heading', { level: 1, name: /^I dag/ }).waitFor();
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await page.getByRole('heading', { name: 'Screening', exact: true }).waitFor();
  await screen(page, 'screening-poss');
  await sedation(page, '3');
  await page.getByRole('button', { name: /^Lagre og gå videre \(1 av 2\)/ }).click();
  const verdict = page.locator('#verdict');
  await assert.doesNotReject(verdict.getByText('UTSETT', { exact: true }).waitFor());
  assert.match(await verdict.innerText(), /ofte døsig \(3\)/, 'the reason is given in Norwegian');
  await screen(page, 'verdict-postpone-nb');
  await page.getByRole('button', { name: 'Utsett', exact: true }).click();
  assert.equal(await page.getByLabel('Grunn').inputValue(), 'participant_not_ready');
  await screen(page, 'postpone-form-nb');
  await page.getByRole('button', { name: 'Bekreft utsettelsen' }).click();
  await page.getByText('Utsatt. Alle som berøres får e-post.').waitFor();

  const history = await s.api.get(`/interviews/${s.interview.id}/postponements`);
  assert.equal(history.items.length, 1);
  assert.equal(history.items[0].reason, 'participant_not_ready');
  assert.equal(history.items[0].new_scheduled_at ?? null, null, 'to be agreed');
  assert.ok(history.items[0].readiness_reasons.includes('poss_drowsy'), JSON.stringify(history.items[0]));
  assert.equal((await s.api.get(`/interviews/${s.interview.id}`)).status, 'postponed');
});

test('a participant screened as ready gives consent, and a session is started and ended', async (t) => {
  const s = await seed('ready');
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: new RegExp(s.participant.pseudonym) }).click();
  await sedation(page, '1');
  await page.getByRole('button', { name: /Save and go on \(1 of 2\)/ }).click();
  await page.getByRole('heading', { name: /Capacity to consent/ }).waitFor();
  const items = await page.locator('fieldset.choices input[value="2"]').all();
  assert.equal(items.length, 10, 'ten comprehension questions');
  for (const i of items) await i.check();
  await screen(page, 'screening-capacity');
  await page.getByRole('button', { name: 'Save and see the verdict' }).click();
  const verdict = page.locator('#verdict');
  await verdict.getByText('READY', { exact: true }).waitFor();
  assert.match(await verdict.innerText(), /for consent[\s\S]*Valid until \d\d:\d\d/);
  await screen(page, 'verdict-ready-consent');
  // The form's version is picked from the study's list, not typed.
  const version = page.getByRole('combobox', { name: 'Consent form version' });
  assert.ok((await version.locator('option').allTextContents()).includes('1.0'));
  await version.selectOption('1.0');
  await page.getByRole('button', { name: 'Record consent' }).click();
  await page.getByText('Consent recorded (Written, form 1.0).').first().waitFor();
  await verdict.getByText('for an interview session').waitFor();
  await screen(page, 'verdict-ready-session');
  await page.getByRole('button', { name: 'Start session' }).click();
  const timer = page.getByRole('timer');
  await timer.waitFor();
  const first = await timer.innerText();
  await poll(async () => (await timer.innerText()) !== first, { timeout: 4000 });
  await screen(page, 'session-running');
  await page.getByLabel('Note about the session').fill('Tired after intake; we stopped after the treatment questions.');
  await page.getByLabel('Audio recorded').check();
  await page.getByLabel('Recording label').fill('REC_0042');
  await page.getByRole('button', { name: 'End session' }).click();
  await page.getByRole('button', { name: 'Complete the interview' }).waitFor();
  await screen(page, 'session-ended');
  // Completing asks first: "Not yet" leaves the interview open.
  await page.getByRole('button', { name: 'Complete the interview' }).click();
  await page.getByText('Complete this interview? No more sessions can be started').waitFor();
  await screen(page, 'interview-complete-confirm');
  await page.getByRole('button', { name: 'Not yet' }).click();
  await page.getByRole('button', { name: 'Complete the interview' }).waitFor();
  assert.equal((await s.api.get(`/interviews/${s.interview.id}`)).status, 'in_progress');
  await page.getByRole('button', { name: 'Complete the interview' }).click();
  await page.getByRole('button', { name: 'Yes, complete it' }).click();
  await page.getByText('The interview is completed.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Reopen the interview' }).count(), 0, 'a fieldworker cannot reopen');
  await screen(page, 'interview-completed');

  const iv = await s.api.get(`/interviews/${s.interview.id}`);
  assert.equal(iv.status, 'completed');
  assert.equal(iv.sessions.length, 1);
  assert.equal(iv.sessions[0].recorded, true);
  assert.equal(iv.sessions[0].recording_label, 'REC_0042');
  assert.match(iv.sessions[0].note, /treatment questions/);
  const consents = await s.api.get(`/participants/${s.participant.id}/consents`);
  assert.equal(consents.items.length, 1);

  // A coordinator reopens an interview completed by mistake.
  const desk = await openPhone(t);
  await signIn(desk.page, ADMIN.email, ADMIN.password);
  await desk.page.goto(`${BASE}/#/session/${s.interview.id}`);
  await desk.page.getByRole('button', { name: 'Reopen the interview' }).click();
  await desk.page.getByText('The interview is open again').waitFor();
  assert.equal((await s.api.get(`/interviews/${s.interview.id}`)).status, 'in_progress');
  assert.equal(consents.items[0].method, 'written');
});

test('notes written offline are kept on the phone, survive a reload, and sync once when online', async (t) => {
  const s = await seed('offline', { interview: false });
  const { page, context } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: 'Notes', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Notes' }).waitFor();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await screen(page, 'notes-empty');

  await context.setOffline(true);
  await page.getByText('Offline', { exact: true }).waitFor();
  const bodies = ['juggler', 'singing', 'drizzle'].map((w) => `Offline note about a ${w}, ${s.participant.pseudonym}; waiting room quiet`);
  for (const [i, body] of bodies.entries()) {
    await page.getByRole('link', { name: 'Write a note', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'New note' }).waitFor();
    await page.getByLabel('What did you observe?').fill(body);
    if (i === 0) {
      await page.getByLabel(s.participant.pseudonym).check();
      await page.getByLabel('Where').selectOption('outside');
      await screen(page, 'note-new-offline');
    }
    await page.getByRole('button', { name: 'Save note' }).click();
    await page.getByText('Note saved on this phone. It is sent when the network is back.').waitFor();
    await page.getByRole('link', { name: `${i + 1} waiting to sync` }).waitFor();
  }
  await screen(page, 'notes-queued-offline');

  const reload = await page.reload();
  assert.ok(reload.fromServiceWorker(), 'the app opened from the service worker');
  await page.getByRole('heading', { level: 2, name: '3 waiting to sync' }).waitFor();
  for (const body of bodies) await page.getByText(body).waitFor();
  assert.equal((await s.api.get(`/notes?author_id=${s.user.id}`)).items.length, 0, 'nothing reached the server while offline');

  await context.setOffline(false);
  const notes = await poll(async () => {
    const page = await s.api.get(`/notes?author_id=${s.user.id}`);
    return page.items.length >= 3 && page.items;
  });
  await page.getByRole('link', { name: /waiting to sync/ }).waitFor({ state: 'hidden' });
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Notes' }).waitFor();
  await page.getByText(bodies[2]).waitFor();
  const stored = (await s.api.get(`/notes?author_id=${s.user.id}`)).items;
  assert.equal(stored.length, 3, 'exactly three notes exist');
  assert.deepEqual(stored.map((n) => n.body).sort(), [...bodies].sort());
  const first = stored.find((n) => n.body === bodies[0]);
  assert.deepEqual(first.participant_ids, [s.participant.id]);
  assert.equal(first.location, 'outside');
  assert.equal(notes.length, 3);
  await screen(page, 'notes-synced');

  await page.getByLabel('Search my notes').fill('jugg');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('heading', { level: 2, name: /Notes matching/ }).waitFor();
  await page.getByText(bodies[0]).waitFor();
  assert.equal(await page.locator('main ul.cards > li').count(), 1, 'only the note with the word matches');
  await screen(page, 'notes-search');
});

test('an edit that lost the race shows both versions and can be merged', async (t) => {
  const s = await seed('conflict', { interview: false });
  const id = crypto.randomUUID();
  await s.api.post('/notes', {
    id, site_id: s.site.id, observed_at: new Date(Date.now() - 600e3).toISOString(), location: 'waiting_room',
    body: 'First draft from the waiting room.',
  });
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.goto(`${BASE}/#/notes/${id}`);
  await page.getByRole('heading', { level: 1, name: 'Edit note' }).waitFor();
  await page.getByLabel('What did you observe?').fill('Waiting room, ten o’clock.\nMine: two patients talked about the rules.');
  await s.api.call('PATCH', `/notes/${id}`, { body: 'Waiting room, ten o’clock.\nTheirs: a nurse explained the new rules.' }, { 'if-match': '"1"' });
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { level: 1, name: 'Someone else changed this note' }).waitFor();
  await page.getByText('Mine: two patients talked about the rules.').waitFor();
  await page.getByText('Theirs: a nurse explained the new rules.').waitFor();
  await screen(page, 'note-conflict');
  await page.getByRole('button', { name: 'Merge' }).click();
  const merged = page.getByLabel('Merged text');
  assert.match(await merged.inputValue(), /Theirs[\s\S]*Mine/);
  assert.equal((await merged.inputValue()).split('Waiting room, ten o’clock.').length, 2, 'the line both share, once');
  await merged.fill('Theirs: a nurse explained the new rules. Mine: two patients talked about the rules.');
  await page.getByRole('button', { name: 'Save merged note' }).click();
  await page.getByText('Note saved.').waitFor();
  const note = await s.api.get(`/notes/${id}`);
  assert.equal(note.version, 3);
  assert.equal(note.body, 'Theirs: a nurse explained the new rules. Mine: two patients talked about the rules.');
});

test('a coordinator sees the week, an interview\'s postponement history, and reschedules it', async (t) => {
  const s = await seed('schedule', { interview: false });
  const a = await admin();
  const oslo = (d) => Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(d).map((p) => [p.type, p.value]));
  const d = oslo(new Date());
  const day = `${d.year}-${d.month}-${d.day}`;
  // Wall-clock times of today in Oslo, as UTC: 00:10, 00:20, 00:30 and 00:40.
  const offsetMin = (() => {
    const probe = new Date(`${day}T12:00:00Z`);
    const h = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hour: '2-digit', hourCycle: 'h23' }).format(probe));
    return (h - 12) * 60;
  })();
  const local = (mm) => new Date(Date.parse(`${day}T00:${mm}:00Z`) - offsetMin * 60e3).toISOString().replace('.000Z', 'Z');
  const iv = await a.post('/interviews', {
    participant_id: s.participant.id, wave: 1, scheduled_at: local('10'), duration_minutes: 5,
    interviewer_ids: [s.user.id], location: 'Room 3', allow_outside_opening_hours: true,
  });
  await a.post(`/interviews/${iv.id}/postponements`, { reason: 'participant_absent', new_scheduled_at: local('20'), allow_outside_opening_hours: true });
  await a.post(`/interviews/${iv.id}/postponements`, { reason: 'interviewer_unavailable', new_scheduled_at: local('30'), allow_outside_opening_hours: true });

  const { page } = await openPhone(t);
  await signIn(page, process.env.FIELDNOTES_E2E_ADMIN_EMAIL || 'admin@example.org', process.env.FIELDNOTES_E2E_ADMIN_PASSWORD || 'e2e-admin-password');
  await page.getByRole('link', { name: 'Schedule', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Schedule' }).waitFor();
  await page.getByLabel('Site').selectOption(s.site.id);
  const card = page.locator('li.card', { hasText: s.participant.pseudonym });
  await card.waitFor();
  assert.match(await card.innerText(), /00:30–00:35/);
  await card.getByRole('button', { name: 'History (2)' }).click();
  const history = card.locator('ol.history > li');
  await history.nth(1).waitFor();
  assert.equal(await history.count(), 2);
  assert.match(await history.nth(0).innerText(), /Participant absent[\s\S]*00:10 → .*00:20/);
  assert.match(await history.nth(1).innerText(), /Interviewer unavailable[\s\S]*00:20 → .*00:30/);
  await screen(page, 'schedule-history');

  // A changed plan is a reschedule: a new time, no reason, no postponement.
  await card.getByRole('button', { name: 'Reschedule', exact: true }).click();
  await card.getByLabel(/Date and time/).fill(`${day}T00:40`);
  await card.getByLabel('Allow a time outside opening hours').check();
  await screen(page, 'schedule-reschedule');
  await card.getByRole('button', { name: 'Save the new time' }).click();
  await page.locator('li.card', { hasText: s.participant.pseudonym }).getByRole('button', { name: 'History (3)' }).waitFor();
  let after = await a.get(`/interviews/${iv.id}`);
  assert.equal(after.scheduled_at, local('40'));
  assert.equal(after.postponements.length, 2, 'a reschedule is no postponement');
  assert.equal(after.reschedules.length, 1);

  // Another coordinator changes the interview while this form is open: the
  // save is refused with both versions in words, and nothing is overwritten.
  const fresh = page.waitForResponse((r) => r.url().endsWith(`/interviews/${iv.id}`) && r.request().method() === 'GET');
  await page.locator('li.card', { hasText: s.participant.pseudonym }).getByRole('button', { name: 'Reschedule', exact: true }).click();
  await fresh;
  await a.call('PATCH', `/interviews/${iv.id}`, { location: 'Room 9' });
  await card.getByLabel(/Date and time/).fill(`${day}T00:45`);
  await card.getByLabel('Allow a time outside opening hours').check();
  await card.getByRole('button', { name: 'Save the new time' }).click();
  const clash = card.getByRole('alert').filter({ hasText: 'Someone else changed this interview' });
  await clash.waitFor();
  assert.match(await clash.innerText(), /It is now scheduled: .*00:40\. You chose .*00:45\./);
  await screen(page, 'schedule-conflict');
  await clash.getByRole('button', { name: /Keep theirs/ }).click();
  await clash.waitFor({ state: 'detached' });
  after = await a.get(`/interviews/${iv.id}`);
  assert.equal(after.scheduled_at, local('40'), 'their version stands');
  assert.equal(after.location, 'Room 9');
  assert.equal(after.reschedules.length, 1);

  // It could not happen: postponed, the time to be agreed, and then agreed.
  await page.locator('li.card', { hasText: s.participant.pseudonym }).getByRole('button', { name: 'Postpone', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm postponement' }).click();
  const waiting = page.locator('section[aria-labelledby=tba-h] li.card', { hasText: s.participant.pseudonym });
  await waiting.getByRole('button', { name: 'Agree a time' }).click();
  await waiting.getByLabel(/Date and time/).fill(`${day}T00:50`);
  await waiting.getByLabel('Allow a time outside opening hours').check();
  await screen(page, 'schedule-agree');
  await waiting.getByRole('button', { name: 'Agree this time' }).click();
  await page.locator('li.card', { hasText: s.participant.pseudonym }).getByRole('button', { name: 'History (5)' }).waitFor();
  after = await a.get(`/interviews/${iv.id}`);
  assert.equal(after.status, 'scheduled');
  assert.equal(after.scheduled_at, local('50'));
  assert.deepEqual(after.postponements.map((p) => p.reason), ['participant_absent', 'interviewer_unavailable', 'clinic_circumstances']);
  assert.equal(after.reschedules.length, 2);
  assert.equal(after.reschedules[1].previous_scheduled_at, null, 'agreed from “to be agreed”');
  await page.locator('li.card', { hasText: s.participant.pseudonym }).getByRole('button', { name: 'History (5)' }).click();
  await history.nth(4).waitFor();
  assert.match(await history.nth(4).innerText(), /Time agreed/);
});

test('a coordinator registers a participant and books an interview for it, with refusals shown at the fields', async (t) => {
  const s = await seed('plan', { interview: false });
  const a = await admin();
  const tag = s.site.name.replace(/^Clinic /, '');
  const coordinator = `co-${tag}@example.org`;
  await a.post('/users', { email: coordinator, display_name: `Coordinator ${tag}`, role: 'coordinator', password: PASSWORD, site_ids: [s.site.id] });
  const isoDay = (d) => d.toISOString().slice(0, 10);
  const started = isoDay(new Date(Date.now() - 35 * 864e5));
  const day = isoDay(new Date(Date.parse(`${started}T12:00:00Z`) + 40 * 864e5)); // inside wave 1 (day 28 to 56)
  const oslo = (hhmm) => {
    const guess = Date.parse(`${day}T${hhmm}:00Z`);
    const h = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hour: '2-digit', hourCycle: 'h23' }).format(new Date(guess)));
    return new Date(guess - ((h - Number(hhmm.slice(0, 2)) + 24) % 24) * 3600e3).toISOString().replace('.000Z', 'Z');
  };
  // The fieldworker is already booked at 14:30 that day with another participant.
  await a.post('/interviews', {
    participant_id: s.participant.id, wave: 1, scheduled_at: oslo('14:30'), duration_minutes: 45,
    interviewer_ids: [s.user.id], allow_outside_opening_hours: true,
  });

  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  await page.getByRole('link', { name: 'Schedule', exact: true }).click();
  await page.getByRole('link', { name: 'Register a participant' }).click();
  await page.getByRole('heading', { level: 1, name: 'Register a participant' }).waitFor();
  assert.match(await page.locator('main').innerText(), /pseudonymous: never enter a name, phone number/);
  assert.equal(await page.getByLabel(/name|phone/i).count(), 0, 'no field for names or phone numbers');

  // A pseudonym in use is refused (409) and said at the field.
  const pseudonym = `Wren-${tag}`;
  await page.getByLabel('Pseudonym', { exact: true }).fill(s.participant.pseudonym.toUpperCase());
  await page.getByLabel('Site').selectOption(s.site.id);
  await page.getByLabel('Treatment started on').fill(started);
  await page.getByLabel('Gender (optional)').fill('female');
  await page.getByLabel('Age band (optional)').fill('30-39');
  await page.getByRole('button', { name: 'Register participant' }).click();
  const pseudoField = page.getByLabel('Pseudonym', { exact: true });
  await page.locator('.field-error', { hasText: 'Another participant at this site already has this pseudonym' }).waitFor();
  assert.equal(await pseudoField.getAttribute('aria-invalid'), 'true');
  assert.match(await pseudoField.getAttribute('aria-describedby'), /-err/);
  await screen(page, 'register-participant-taken');
  await pseudoField.fill(pseudonym);
  await page.getByRole('button', { name: 'Register participant' }).click();
  await page.getByText(`${pseudonym} is registered at ${s.site.name}.`).waitFor();
  await screen(page, 'register-participant-done');

  const registered = (await a.get(`/participants?site_id=${s.site.id}&pseudonym_prefix=Wren-`)).items;
  assert.equal(registered.length, 1);
  const p = registered[0];
  assert.equal(p.pseudonym, pseudonym);
  assert.equal(p.site_id, s.site.id);
  assert.equal(p.treatment_started_on, started);
  assert.equal(p.gender, 'female');
  assert.equal(p.age_band, '30-39');
  assert.equal(p.status, 'active');

  await page.getByRole('link', { name: `Book an interview for ${pseudonym}` }).click();
  await page.getByRole('heading', { level: 1, name: 'Book an interview' }).waitFor();
  // The participant list arrives from the API after the heading: wait for it.
  await page.waitForFunction(
    (id) => [...document.querySelectorAll('select')].some((el) => el.value === id),
    p.id,
    { timeout: 10000 },
  );
  assert.equal(await page.getByLabel('Participant').inputValue(), p.id, 'the new participant is chosen');
  await page.getByText(/Due window: /).first().waitFor();
  await page.getByLabel('Wave').selectOption('1');
  await page.getByLabel('Date (Europe/Oslo)').fill(day);
  await page.getByLabel('Time (Europe/Oslo)').fill('13:00');
  await page.getByLabel('Length in minutes').fill('45');
  await page.getByLabel(`Fieldworker ${tag} (Fieldworker)`).check();
  await page.getByLabel('Where (optional)').fill('Room 4');
  await page.getByLabel('Note (optional)').fill('Bring the consent form.');

  // 13:00 is in the lunch break: the opening-hours refusal (422), in words, at the time.
  await page.getByRole('button', { name: 'Book the interview' }).click();
  await page.locator('.field-error', { hasText: 'outside the clinic’s opening hours (08:00–12:00, 14:00–17:00' }).waitFor();
  assert.equal(await page.getByLabel('Time (Europe/Oslo)').getAttribute('aria-invalid'), 'true');
  await screen(page, 'book-interview-outside-hours');

  // 14:30: the fieldworker is busy (409), said at the interviewers.
  await page.getByLabel('Time (Europe/Oslo)').fill('14:30');
  await page.getByRole('button', { name: 'Book the interview' }).click();
  await page.locator('.field-error', { hasText: `Fieldworker ${tag} is already booked at that time` }).waitFor();
  assert.equal(await page.getByLabel('Time (Europe/Oslo)').getAttribute('aria-invalid'), null, 'the earlier error is gone');

  await page.getByLabel('Time (Europe/Oslo)').fill('15:30');
  await page.getByRole('button', { name: 'Book the interview' }).click();
  await page.getByText(`Booked: ${pseudonym}, wave 1,`).waitFor();
  await page.getByText('The time is within the wave’s due window.').waitFor();
  await screen(page, 'book-interview-done');

  const { items } = await a.get(`/interviews?participant_id=${p.id}`);
  assert.equal(items.length, 1);
  const iv = items[0];
  assert.equal(iv.scheduled_at, oslo('15:30'));
  assert.equal(iv.wave, 1);
  assert.equal(iv.duration_minutes, 45);
  assert.deepEqual(iv.interviewer_ids, [s.user.id]);
  assert.equal(iv.location, 'Room 4');
  assert.equal(iv.note, 'Bring the consent form.');
  assert.equal(iv.status, 'scheduled');
  assert.equal(iv.window, 'open');

  // The same participant and wave again: refused, with what to do instead.
  await page.getByRole('link', { name: 'Book another' }).click();
  await page.getByLabel('Participant').selectOption(p.id);
  await page.getByLabel('Date (Europe/Oslo)').fill(day);
  await page.getByLabel('Time (Europe/Oslo)').fill('09:00');
  await page.getByLabel(`Fieldworker ${tag} (Fieldworker)`).check();
  await page.getByRole('button', { name: 'Book the interview' }).click();
  await page.locator('.field-error', { hasText: `${pseudonym} already has an open interview for wave 1` }).waitFor();
});

test('a fieldworker opens their own week from the menu', async (t) => {
  const s = await seed('week');
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('link', { name: 'My week', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'My week' }).waitFor();
  await page.getByRole('link', { name: s.participant.pseudonym }).waitFor();
  const text = await page.locator('main').innerText();
  assert.match(text, new RegExp(s.site.name), 'the site is named on each interview');
  assert.doesNotMatch(text, /\bnull\b|undefined/);
  await screen(page, 'my-week');
});

test('a coordinator exports the notes of a period as CSV and the project for analysis tools; a fieldworker cannot', async (t) => {
  const s = await seed('export', { interview: false });
  const a = await admin();
  const tag = s.site.name.replace(/^Clinic /, '');
  const coordinator = `co-${tag}@example.org`;
  await a.post('/users', { email: coordinator, display_name: `Coordinator ${tag}`, role: 'coordinator', password: PASSWORD, site_ids: [s.site.id] });
  const body = 'Export check: a quiet morning in the waiting room';
  await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: s.site.id, observed_at: new Date(Date.now() - 60e3).toISOString(),
    location: 'waiting_room', body,
  });
  const osloDay = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  const today = osloDay(new Date());
  const yesterday = osloDay(new Date(Date.parse(`${today}T12:00:00Z`) - 864e5));

  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  await page.getByRole('link', { name: 'More', exact: true }).click();
  await page.getByRole('link', { name: 'Export for analysis' }).click();
  await page.getByRole('heading', { level: 1, name: 'Export for analysis' }).waitFor();
  assert.equal(await page.getByRole('radio').count(), 8, 'the project and seven CSV files (the consent log too)');
  assert.equal(await page.getByRole('checkbox', { checked: true }).count(), 0, 'nothing identifying is included by default');
  await page.getByText('a clinic plus a date and a small count can identify someone').waitFor();
  await screen(page, 'export');
  assert.deepEqual(axeResults.at(-1).violations, [], 'axe-core: no violations at all on the export screen');

  // The notes of yesterday and today at the site, as CSV: UTF-8 with a BOM,
  // a header row, the note, and staff without their names.
  await page.getByRole('radio', { name: 'Field notes (CSV)' }).check();
  await page.getByLabel('Site', { exact: true }).selectOption(s.site.id);
  await page.getByLabel('First day').fill(yesterday);
  await page.getByLabel('Last day (included)').fill(today);
  // The progress is said while the file is prepared.
  await page.evaluate(() => {
    window.seenPreparing = false;
    new MutationObserver(() => {
      if (document.querySelector('main')?.textContent.includes('Preparing the file…')) window.seenPreparing = true;
    }).observe(document.querySelector('main'), { childList: true, subtree: true, characterData: true });
  });
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download', exact: true }).click(),
  ]);
  assert.match(csv.suggestedFilename(), /^fieldnotes-notes-\d{4}-\d\d-\d\d\.csv$/);
  const bytes = readFileSync(await csv.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte-order mark');
  const text = bytes.subarray(3).toString('utf8');
  assert.match(text, /^note_id,/, 'the header row comes first');
  const lines = text.trim().split(/\r?\n/);
  assert.ok(lines.length >= 2, `a header and at least one note: ${text}`);
  assert.ok(lines.some((l) => l.includes(body)), 'the note of the period is in the file');
  assert.doesNotMatch(lines[0], /(^|,)site(,|$)/, 'no site column by default');
  assert.ok(!text.includes(s.user.display_name), 'staff are not named by default');
  await page.getByText(`Downloaded ${csv.suggestedFilename()}`).waitFor();
  assert.equal(await page.evaluate(() => window.seenPreparing), true, '"Preparing the file…" was shown');
  await screen(page, 'export-downloaded');

  // The REFI-QDA project, with staff names: a zip.
  await page.getByRole('radio', { name: 'Project for analysis tools (.qdpx)' }).check();
  await page.getByLabel(/^Staff names/).check();
  const [qdpx] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download', exact: true }).click(),
  ]);
  assert.match(qdpx.suggestedFilename(), /^fieldnotes-\d{4}-\d\d-\d\d\.qdpx$/);
  const zip = readFileSync(await qdpx.path());
  assert.equal(zip.subarray(0, 2).toString('latin1'), 'PK', 'the project is a zip');

  // A period that ends before it starts: refused, said in plain words at the last day.
  let downloads = 0;
  page.on('download', () => { downloads += 1; });
  await page.getByLabel('First day').fill(today);
  await page.getByLabel('Last day (included)').fill(yesterday);
  await page.getByRole('button', { name: 'Download', exact: true }).click();
  await page.locator('.field-error', { hasText: 'The last day must be the same as the first day or after it.' }).waitFor();
  assert.equal(await page.getByLabel('Last day (included)').getAttribute('aria-invalid'), 'true');
  await page.getByRole('alert').filter({ hasText: 'Check the marked fields.' }).waitFor();
  await screen(page, 'export-refused');
  assert.deepEqual(axeResults.at(-1).violations, [], 'axe-core: no violations with the refusal shown');

  // The same in Norwegian.
  await page.getByRole('button', { name: 'Norsk' }).click();
  await page.getByRole('heading', { level: 1, name: 'Eksport til analyse' }).waitFor();
  await page.getByLabel('Første dag').fill(today);
  await page.getByLabel('Siste dag (tas med)').fill(yesterday);
  await page.getByRole('button', { name: 'Last ned', exact: true }).click();
  await page.locator('.field-error', { hasText: 'Siste dag må være den samme som første dag eller senere.' }).waitFor();
  assert.equal(downloads, 0, 'nothing was downloaded for a refused export');

  // A fieldworker has no Export in the menu, and the screen says why.
  const fw = await openPhone(t);
  await signIn(fw.page, s.email, PASSWORD);
  await fw.page.getByRole('link', { name: 'More', exact: true }).click();
  await fw.page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
  assert.equal(await fw.page.getByRole('link', { name: /Export/ }).count(), 0, 'no Export entry for a fieldworker');
  await fw.page.goto(`${BASE}/#/more/export`);
  await fw.page.getByText('Only coordinators and admins can export.').waitFor();
  assert.equal(await fw.page.getByRole('button', { name: 'Download' }).count(), 0);
});

test('Today shows an interview booked while it is open, on focus and on the tab, without leaving it', async (t) => {
  const s = await seed('today-fresh', { interview: false });
  const a = await admin();
  const { page } = await openPhone(t);
  await signIn(page, s.email, PASSWORD);
  await page.getByRole('heading', { level: 1, name: /Today/ }).waitFor();
  await page.getByText('No interviews for you today.').waitFor();
  const book = (at) => a.post('/interviews', {
    participant_id: s.participant.id, wave: 1, scheduled_at: at, duration_minutes: 15,
    interviewer_ids: [s.user.id], allow_outside_opening_hours: true,
  });
  // Booked by the coordinator meanwhile; the phone comes back to the page.
  const first = await book(new Date(Math.floor(Date.now() / 60000) * 60000).toISOString());
  await page.waitForTimeout(2100);
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await page.locator('li', { hasText: s.participant.pseudonym }).waitFor();
  // Cancelled meanwhile; the Today tab tapped again.
  await a.post(`/interviews/${first.id}/cancel`, { reason: 'Booked by mistake.' });
  await page.waitForTimeout(2100);
  await page.getByRole('navigation').getByRole('link', { name: 'Today' }).click();
  await page.locator('li', { hasText: s.participant.pseudonym }).getByText('Cancelled').waitFor();
  await screen(page, 'today-refreshed');
});
