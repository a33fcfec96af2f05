// The admin's desk (issue 15): sites, screening instruments, readiness and
// waves, API keys and the audit log. Each refusal of the server is shown at
// its field in the admin's words with nothing typed lost; one flow runs in
// bokmål; axe-core at a phone's size and a desktop's on every screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from './lib.mjs';
import { BASE, PASSWORD, Api, admin, seed, launch, signIn, screen, check, poll, axeResults } from './lib.mjs';

let browser;
let restore = null;
before(async () => {
  browser = await launch();
  // The study's settings as they were: put back at the end, for the other tests.
  const a = await admin();
  restore = { readiness: await a.get('/settings/readiness'), waves: await a.get('/settings/waves') };
});
after(async () => {
  if (restore) {
    const a = await admin();
    const { consent, session, validity_minutes, no_screen_shopping_minutes, rescreen_between_sessions, consent_form_versions } = restore.readiness;
    await a.call('PATCH', '/settings/readiness', {
      consent, session, validity_minutes, no_screen_shopping_minutes, rescreen_between_sessions, consent_form_versions,
    });
    await a.call('PATCH', '/settings/waves', restore.waves);
  }
  const all = lib.axeSummary('admin');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);
const { unique, everywhere } = lib;
const POSS_ID = '01900000-0000-7000-8000-000000000001';


/** A new admin (in `language`), signed in on a phone at More. */
async function adminPhone(t, { language = 'en', locale } = {}) {
  const a = await admin();
  const email = `${unique('desk-admin')}@example.org`;
  const name = `Desk Admin ${unique('n')}`;
  const user = await a.post('/users', { email, display_name: name, role: 'admin', password: PASSWORD, language });
  const { page } = await openPhone(t, locale ? { locale } : undefined);
  await signIn(page, email, PASSWORD);
  return { page, user, email, name, api: await Api.login(email, PASSWORD) };
}

/** Opens `#/more/<name>` from More's link `link`, and waits for heading `h1`. */
async function open(page, link, h1) {
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: h1 }).waitFor();
}

/** The field error shown for `control`, which names it (aria-describedby). */
async function errorAt(control, text) {
  await assert.doesNotReject(control.evaluate((el) => el), 'the control exists');
  const id = (await control.getAttribute('aria-describedby') || '').split(' ').find((x) => x.endsWith('-err'));
  assert.ok(id, `the control names an error (${text})`);
  assert.equal(await control.getAttribute('aria-invalid'), 'true');
  const err = control.page().locator(`[id="${id}"]`);
  assert.equal((await err.innerText()).trim(), text);
}

test('an admin adds a site with two opening windows, refused at the fields first, and changes it', async (t) => {
  const { page } = await adminPhone(t);
  await open(page, 'Sites', 'Sites');
  const add = page.locator('.site-new');
  await add.getByRole('heading', { level: 2, name: 'Add a site' }).waitFor();
  await everywhere(page, 'sites');

  // A bad time zone and an overlapping window: said at each field, nothing lost.
  const name = `Clinic ${unique('desk')}`;
  await add.getByLabel('Name').fill(name);
  const tz = add.getByLabel('Time zone');
  assert.equal(await tz.inputValue(), 'Europe/Oslo', 'Oslo by default');
  await tz.fill('Mars/Olympus');
  const windows = add.locator('fieldset.windows fieldset.group');
  assert.equal(await windows.count(), 2, 'two opening windows to start with');
  await windows.nth(1).getByLabel('Opens').fill('11:00');
  await add.getByRole('button', { name: 'Add the site' }).click();
  await add.getByText('Check the marked fields.').waitFor();
  await errorAt(tz, 'Choose a time zone from the list, e.g. Europe/Oslo.');
  await windows.nth(1).locator('.field-error', { hasText: 'This window overlaps another one.' }).waitFor();
  assert.equal(await tz.inputValue(), 'Mars/Olympus', 'what was typed stays');
  assert.equal(await add.getByLabel('Name').inputValue(), name);
  assert.equal(await windows.nth(1).getByLabel('Opens').inputValue(), '11:00');
  await everywhere(page, 'sites-refused');

  // Put right, the site is added and shown.
  await tz.fill('Europe/Oslo');
  await windows.nth(1).getByLabel('Opens').fill('13:00');
  await add.getByRole('button', { name: 'Add the site' }).click();
  const one = page.locator('.site-one');
  await one.getByRole('heading', { level: 2, name }).waitFor();
  await one.getByText(`${name} is added.`).waitFor();
  const a = await admin();
  let site = (await a.get('/sites')).find((s) => s.name === name);
  assert.ok(site, 'the site exists');
  assert.equal(site.timezone, 'Europe/Oslo');
  assert.deepEqual(site.opening_hours, [{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }]);
  const row = page.locator(`button.pick[data-site="${site.id}"]`);
  assert.equal(await row.getAttribute('aria-current'), 'true');
  assert.match(await row.innerText(), /08:00–12:00; 13:00–17:00/);
  assert.match(page.url(), new RegExp(`#/more/sites/${site.id}$`), 'the address names the site');
  await everywhere(page, 'sites-added');

  // From 1024 px the list and the site stand side by side; on a phone, one under the other.
  await page.setViewportSize({ width: 1280, height: 800 });
  const [listBox, oneBox] = [await page.locator('.desk-main').boundingBox(), await one.boundingBox()];
  assert.ok(oneBox.x > listBox.x + listBox.width - 1, 'desk layout: the site beside the list');
  await page.setViewportSize({ width: 390, height: 844 });
  const [listPhone, onePhone] = [await page.locator('.desk-main').boundingBox(), await one.boundingBox()];
  assert.ok(onePhone.y > listPhone.y + listPhone.height - 1, 'phone: the list, then the site');

  // Changed: a closing time before its opening is refused at that field; then a new name, one window less.
  const edit = one.locator('form');
  const editWindows = edit.locator('fieldset.windows fieldset.group');
  await editWindows.nth(0).getByLabel('Closes').fill('07:30');
  await edit.getByLabel('Name').fill(`${name} North`);
  await edit.getByRole('button', { name: 'Save the changes' }).click();
  await errorAt(editWindows.nth(0).getByLabel('Closes'), 'Closing must be after opening.');
  assert.equal(await edit.getByLabel('Name').inputValue(), `${name} North`);
  await editWindows.nth(0).getByLabel('Closes').fill('11:30');
  await editWindows.nth(1).getByRole('button', { name: 'Remove' }).click();
  await edit.getByRole('button', { name: 'Add an opening window' }).click();
  await editWindows.nth(1).getByLabel('Opens').fill('14:00');
  await editWindows.nth(1).getByLabel('Closes').fill('16:00');
  // The afternoon only on weekdays; Christmas Eve closed.
  await editWindows.nth(1).getByLabel('Sat').uncheck();
  await editWindows.nth(1).getByLabel('Sun').uncheck();
  await edit.getByLabel('Day', { exact: true }).fill('2026-12-24');
  await edit.getByRole('button', { name: 'Add the closed day' }).click();
  await edit.locator('ul.closed-days li', { hasText: '2026' }).waitFor();
  await everywhere(page, 'sites-weekdays-closed');
  await edit.getByRole('button', { name: 'Save the changes' }).click();
  await one.getByRole('heading', { level: 2, name: `${name} North` }).waitFor();
  await one.getByText('Saved.').waitFor();
  site = await a.get(`/sites/${site.id}`);
  assert.equal(site.name, `${name} North`);
  assert.deepEqual(site.opening_hours, [
    { start: '08:00', end: '11:30' },
    { start: '14:00', end: '16:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
  ]);
  assert.deepEqual(site.closed_days, ['2026-12-24']);
  assert.match(await one.locator('p.sub').first().innerText(), /Mon–Fri 14:00–16:00 · 1 closed day/);

  // Opened from its address, the site is chosen.
  await page.goto(`${BASE}/#/more/sites/${site.id}`);
  await page.reload();
  await one.getByRole('heading', { level: 2, name: `${name} North` }).waitFor();
});

test('an admin enters the clinic’s own form, corrects it while unused, and makes new versions once a screening used it', async (t) => {
  const s = await seed('instr', { interview: false });
  const { page } = await adminPhone(t);
  await open(page, 'Screening instruments', 'Screening instruments');
  const one = page.locator('.instr-one');

  // A built-in: shown with its items and rules, never edited.
  await page.locator(`button.pick[data-instrument="${POSS_ID}"]`).click();
  await one.getByRole('heading', { level: 2, name: 'POSS (sedation)' }).waitFor();
  await one.getByText('Built-in forms never change.', { exact: false }).waitFor();
  assert.ok((await one.innerText()).includes('1: awake and alert'), 'the answers are shown');
  assert.ok((await one.innerText()).includes('våken og oppmerksom'), 'in both languages');
  assert.equal(await one.getByRole('button', { name: 'Correct this version' }).count(), 0, 'a built-in cannot be corrected');
  await one.getByRole('button', { name: 'Make a new version' }).waitFor();
  await everywhere(page, 'instruments');

  // The clinic's own form: two items with answers and scores, rules to READY, POSTPONE and STOP.
  const tag = unique('cf').replace(/-/g, '_');
  const nameEn = `Clinic score ${tag}`;
  const key = `clinic_${tag}`;
  await page.getByRole('button', { name: 'Enter your clinic’s own form' }).click();
  const form = page.locator('.instr-form');
  await form.getByRole('heading', { level: 2, name: 'Your clinic’s own form' }).waitFor();
  await form.getByLabel('Name (English)').fill(nameEn);
  assert.equal(await form.getByLabel('Key', { exact: true }).inputValue(), `clinic_score_${tag}`, 'a key is made from the name');
  await form.getByLabel('Key', { exact: true }).fill(key);
  await form.getByLabel('Name (Norwegian bokmål)').fill(`Klinikkskår ${tag}`);
  await form.getByLabel('What it screens for').selectOption('intoxication');
  const items = form.locator('fieldset.item');
  const fillLevel = async (item, j, en, nb, score) => {
    const level = item.locator('fieldset.levels fieldset.group').nth(j);
    await level.getByLabel('Answer (English)').fill(en);
    await level.getByLabel('Answer (Norwegian bokmål)').fill(nb);
    await level.getByLabel('Score', { exact: true }).fill(score);
  };
  await items.nth(0).getByLabel('Question (English)').fill('Pupils');
  await items.nth(0).getByLabel('Question (Norwegian bokmål)').fill('Pupiller');
  await fillLevel(items.nth(0), 0, 'Normal', 'Normale', '0');
  await fillLevel(items.nth(0), 1, 'Pinpoint', 'Knappenålsstore', '2');
  await form.getByRole('button', { name: 'Add an item' }).click();
  await items.nth(1).getByLabel('Question (English)').fill('Speech');
  await items.nth(1).getByLabel('Question (Norwegian bokmål)').fill('Tale');
  await fillLevel(items.nth(1), 0, 'Clear', 'Klar', '0');
  await fillLevel(items.nth(1), 1, 'Slurred', 'Snøvlete', '1');
  await items.nth(1).getByRole('button', { name: 'Add an answer' }).click();
  await fillLevel(items.nth(1), 2, 'Not assessed', 'Ikke vurdert', '');
  const rules = form.locator('fieldset.rules fieldset.group');
  const fillRule = async (i, min, max, outcome, en, nb) => {
    const r = rules.nth(i);
    await r.getByLabel('From').fill(min);
    await r.getByLabel('To', { exact: true }).fill(max);
    await r.getByLabel('Then').selectOption(outcome);
    await r.getByLabel('Message to the screener (English)').fill(en);
    await r.getByLabel('Message to the screener (Norwegian bokmål)').fill(nb);
  };
  assert.equal(await rules.count(), 3, 'a rule for each verdict to start with');
  await fillRule(0, '0', '0', 'ready', 'no signs of intoxication.', 'ingen tegn på rus.');
  await fillRule(1, '1', '2', 'postpone', 'some signs; screen again later.', 'noen tegn; screen på nytt senere.');
  // A rule from 4 to 3: refused at its field, in words, all typed kept.
  await fillRule(2, '4', '3', 'stop', 'clearly intoxicated; stop for today.', 'tydelig ruset; avslutt for i dag.');
  await form.getByRole('button', { name: 'Save the form' }).click();
  await errorAt(rules.nth(2).getByLabel('To', { exact: true }), '“To” must not be below “From”.');
  assert.equal(await rules.nth(2).getByLabel('From').inputValue(), '4');
  assert.equal(await items.nth(1).getByLabel('Question (English)').inputValue(), 'Speech');
  await everywhere(page, 'instruments-refused');
  await rules.nth(2).getByLabel('From').fill('3');
  await form.getByRole('button', { name: 'Save the form' }).click();
  await one.getByText(`${nameEn} is saved as version 1.`).waitFor();
  const a = await admin();
  let versions = (await a.get(`/instruments?key=${key}`)).items;
  assert.equal(versions.length, 1);
  const v1 = versions[0];
  assert.equal(v1.version, 1);
  assert.equal(v1.kind, 'intoxication');
  assert.equal(v1.combine, 'sum');
  assert.deepEqual(v1.name, { en: nameEn, nb: `Klinikkskår ${tag}` });
  assert.deepEqual(v1.items.map((i) => [i.label.en, i.levels.map((l) => [l.label.en, l.label.nb, l.score])]), [
    ['Pupils', [['Normal', 'Normale', 0], ['Pinpoint', 'Knappenålsstore', 2]]],
    ['Speech', [['Clear', 'Klar', 0], ['Slurred', 'Snøvlete', 1], ['Not assessed', 'Ikke vurdert', null]]],
  ]);
  assert.deepEqual(v1.rules.map((r) => [r.min, r.max, r.outcome]), [[0, 0, 'ready'], [1, 2, 'postpone'], [3, 3, 'stop']]);
  assert.equal(v1.in_use, false);
  const listed = page.locator(`button.pick[data-instrument="${v1.id}"]`);
  assert.equal(await listed.getAttribute('aria-current'), 'true', 'listed and chosen');
  for (const x of [nameEn, 'The study’s own', 'Not used yet', 'Newest']) assert.ok((await listed.innerText()).includes(x), x);
  assert.ok((await one.innerText()).includes('Knappenålsstore'));
  await everywhere(page, 'instruments-own');

  // Unused, it can be corrected in place.
  await one.getByRole('button', { name: 'Correct this version' }).click();
  await form.getByRole('heading', { level: 2, name: 'Correct version 1' }).waitFor();
  assert.equal(await form.getByLabel('Name (English)').inputValue(), nameEn, 'the form holds the version');
  await rules.nth(1).getByLabel('Message to the screener (English)').fill('some signs of intoxication; screen again later.');
  await form.getByRole('button', { name: 'Save the correction' }).click();
  await one.getByText('Version 1 is corrected.').waitFor();
  versions = (await a.get(`/instruments?key=${key}`)).items;
  assert.equal(versions.length, 1, 'still one version');
  assert.equal(versions[0].rules[1].message.en, 'some signs of intoxication; screen again later.');

  // A screening uses it while the admin corrects it again: the refusal at the form, the typing kept, saved as version 2.
  await one.getByRole('button', { name: 'Correct this version' }).click();
  await form.getByRole('heading', { level: 2, name: 'Correct version 1' }).waitFor();
  await items.nth(0).getByLabel('Question (English)').fill('Pupil size');
  const [pupils, speech] = versions[0].items;
  await s.api.post(`/participants/${s.participant.id}/screenings`, {
    instrument_id: v1.id, responses: { [pupils.key]: pupils.levels[0].key, [speech.key]: speech.levels[0].key },
  });
  await form.getByRole('button', { name: 'Save the correction' }).click();
  await form.getByText('A screening has used this version since you opened it', { exact: false }).waitFor();
  assert.equal(await items.nth(0).getByLabel('Question (English)').inputValue(), 'Pupil size', 'what was typed stays');
  assert.equal(await form.locator('[role=alert]').count(), 1);
  await everywhere(page, 'instruments-in-use-refused');
  await form.getByRole('button', { name: 'Save what you typed as a new version' }).click();
  await one.getByText(`${nameEn} is saved as version 2.`).waitFor();
  versions = (await a.get(`/instruments?key=${key}`)).items;
  assert.deepEqual(versions.map((v) => [v.version, v.items[0].label.en, v.in_use]), [[1, 'Pupils', true], [2, 'Pupil size', false]]);
  assert.deepEqual(versions[1].items.map((i) => i.key), versions[0].items.map((i) => i.key), 'a new version keeps the item keys');

  // Version 1 is now in use: marked so, not editable, and a new version is offered.
  await page.locator(`button.pick[data-instrument="${v1.id}"]`).click();
  await one.getByRole('heading', { level: 2, name: nameEn }).waitFor();
  const v1Text = await page.locator(`button.pick[data-instrument="${v1.id}"]`).innerText();
  assert.ok(v1Text.includes('In use') && v1Text.includes('Older version'), v1Text);
  await one.getByText('Screenings have used this version, so it can no longer change', { exact: false }).waitFor();
  assert.equal(await one.getByRole('button', { name: 'Correct this version' }).count(), 0, 'in use: no correcting');
  await everywhere(page, 'instruments-in-use');
  await one.getByRole('button', { name: 'Make a new version' }).click();
  await form.getByRole('heading', { level: 2, name: `New version 3 of ${nameEn}` }).waitFor();
  assert.equal(await items.nth(0).getByLabel('Question (English)').inputValue(), 'Pupils', 'prefilled from the version shown');
  await form.getByLabel('A screening counts for (minutes)').fill('20');
  await form.getByRole('button', { name: 'Save version 3' }).click();
  await one.getByText(`${nameEn} is saved as version 3.`).waitFor();
  versions = (await a.get(`/instruments?key=${key}`)).items;
  assert.deepEqual(versions.map((v) => [v.version, v.validity_minutes]), [[1, 30], [2, 30], [3, 20]]);
});

test('an admin requires the clinic’s form before consent, edits the waves, and is refused at the fields', async (t) => {
  const a = await admin();
  const tag = unique('rf').replace(/-/g, '_');
  const form = {
    key: `ready_${tag}`, name: { en: `Ready form ${tag}`, nb: `Klarskjema ${tag}` }, kind: 'intoxication', combine: 'sum',
    items: [{ key: 'q', label: { en: 'Question' }, levels: [{ key: 'ok', label: { en: 'OK' }, score: 0 }] }],
    rules: [{ min: 0, max: 0, outcome: 'ready', reason_code: 'ok', message: { en: 'fine.' } }],
  };
  await a.post('/instruments', form);
  const { page } = await adminPhone(t);
  await open(page, 'Readiness and waves', 'Readiness and waves');
  const ready = page.locator('.readiness');
  await ready.getByRole('heading', { level: 2, name: 'Readiness to consent and to interview' }).waitFor();
  await everywhere(page, 'study');

  // Required before consent: the clinic's form, added and moved to the front.
  const consent = ready.locator('fieldset.consent');
  await consent.getByLabel('Add a form').selectOption(form.key);
  await consent.getByRole('button', { name: 'Add', exact: true }).click();
  const entry = consent.locator('li', { hasText: form.name.en });
  await entry.waitFor();
  const before = await consent.locator('li').count();
  for (let i = 1; i < before; i += 1) await entry.getByRole('button', { name: 'Move up' }).click();
  assert.ok((await consent.locator('li').first().innerText()).includes(form.name.en), 'moved to the front');
  // A validity too long: refused at its field, all else kept.
  const validity = ready.getByLabel(form.name.en, { exact: true });
  await validity.fill('2000');
  await ready.getByLabel('No screen shopping (minutes)').fill('45');
  // The consent form versions in use: one twice is refused at the field.
  const versions = ready.getByLabel('Consent form versions in use');
  await versions.fill('1.0\n1.0');
  await ready.getByRole('button', { name: 'Save readiness' }).click();
  await errorAt(validity, 'Type 1 to 1440 minutes.');
  assert.equal(await versions.getAttribute('aria-invalid'), 'true');
  assert.equal(await ready.getByLabel('No screen shopping (minutes)').inputValue(), '45');
  assert.ok((await consent.locator('li').first().innerText()).includes(form.name.en), 'the order stays');
  await everywhere(page, 'study-refused');
  await validity.fill('20');
  await versions.fill('1.0\n2026-11 v2');
  await ready.getByLabel('Each new session of a split interview needs a new screening').uncheck();
  await ready.getByRole('button', { name: 'Save readiness' }).click();
  await ready.getByText('Saved.').waitFor();
  const settings = await a.get('/settings/readiness');
  assert.deepEqual(settings.consent_form_versions, ['1.0', '2026-11 v2']);
  assert.equal(settings.rescreen_between_sessions, false);
  assert.equal(settings.consent[0], form.key, 'the clinic’s form comes first before consent');
  assert.deepEqual(settings.consent.slice(1), restore.readiness.consent.filter((k) => k !== form.key));
  assert.equal(settings.validity_minutes[form.key], 20);
  assert.equal(settings.no_screen_shopping_minutes, 45);

  // The waves: closing before opening is refused at the field; then a third wave added and saved.
  const waves = page.locator('.waves');
  const rows = waves.locator('fieldset.group');
  const first = rows.nth(0);
  await first.getByLabel('Closes on day').fill('10');
  await waves.getByRole('button', { name: 'Save the waves' }).click();
  await errorAt(first.getByLabel('Closes on day'), 'The wave must close on or after the day it opens (day 3650 at most).');
  assert.equal(await first.getByLabel('Closes on day').inputValue(), '10', 'what was typed stays');
  await everywhere(page, 'study-waves-refused');
  await first.getByLabel('Closes on day').fill('60');
  const count = await rows.count();
  await waves.getByRole('button', { name: 'Add a wave' }).click();
  const added = rows.nth(count);
  const no = Number(await added.getByLabel('Wave number').inputValue());
  assert.equal(no, Math.max(...restore.waves.waves.map((w) => w.wave)) + 1, 'the next wave number');
  await added.getByLabel('Opens on day').fill('700');
  await added.getByLabel('Closes on day').fill('760');
  await waves.getByRole('button', { name: 'Save the waves' }).click();
  await waves.getByText('Saved.').waitFor();
  let saved = (await a.get('/settings/waves')).waves;
  assert.deepEqual(saved.find((w) => w.wave === 1), { wave: 1, opens_day: 28, closes_day: 60 });
  assert.deepEqual(saved.find((w) => w.wave === no), { wave: no, opens_day: 700, closes_day: 760 });
  await waves.getByRole('group', { name: `Wave ${no}` }).getByRole('button', { name: 'Remove' }).click();
  assert.equal(await waves.getByText('Saved.').count(), 0, '“Saved.” goes once the waves are edited again');
  await waves.getByRole('button', { name: 'Save the waves' }).click();
  await waves.getByText('Saved.').waitFor();
  saved = (await a.get('/settings/waves')).waves;
  assert.equal(saved.some((w) => w.wave === no), false, 'the wave is removed');
});

test('an admin makes an API key with scopes, sees its secret once, and revokes it', async (t) => {
  const { page, api } = await adminPhone(t);
  await open(page, 'API keys', 'API keys');
  const add = page.locator('.key-new');
  await add.getByRole('heading', { level: 2, name: 'Make a key' }).waitFor();
  await everywhere(page, 'keys');

  // No scope ticked: refused at the scopes, the name kept.
  const keyName = `Transcripts ${unique('k')}`;
  await add.getByLabel('Name').fill(keyName);
  await add.getByRole('button', { name: 'Make the key' }).click();
  await add.locator('fieldset .field-error', { hasText: 'Tick at least one thing the key may do.' }).waitFor();
  assert.equal(await add.getByLabel('Name').inputValue(), keyName);
  await add.getByLabel('Read field notes').check();
  await add.getByLabel('Add interview transcripts').check();
  await add.getByRole('button', { name: 'Make the key' }).click();

  // The secret, once, with Copy.
  const secretSec = page.locator('.key-secret');
  await secretSec.getByRole('heading', { level: 2, name: `The new key: ${keyName}` }).waitFor();
  await secretSec.getByText('You will not see it again.', { exact: false }).waitFor();
  const secret = await secretSec.getByLabel('Secret key').inputValue();
  assert.ok(secret.length > 20, 'a secret is shown');
  const notes = await fetch(`${BASE}/api/v1/notes`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(notes.status, 200, 'the key works for what it may do');
  const sites = await fetch(`${BASE}/api/v1/participants`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(sites.status, 403, 'and for nothing else');
  await secretSec.getByRole('button', { name: 'Copy the key' }).click();
  await secretSec.getByText(/^(Copied\.|The key is selected)/).waitFor();
  await everywhere(page, 'keys-secret');
  await secretSec.getByRole('button', { name: 'I have copied it' }).click();
  assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');

  // A coordinator's own key: the admin sees every key, each with the person it acts for.
  const ownerName = `Key Owner ${unique('o')}`;
  const ownerEmail = `${unique('key-owner')}@example.org`;
  const owner = await (await admin()).post('/users', { email: ownerEmail, display_name: ownerName, role: 'coordinator', password: PASSWORD });
  const otherName = `Calendar ${unique('k')}`;
  const other = await (await Api.login(ownerEmail, PASSWORD)).post('/api-keys', { name: otherName, scopes: ['schedule:read'] });
  assert.equal(other.user_id, owner.id, 'the API names the person a key acts for');

  // Listed, with its prefix, scopes, and when it was made and last used; never the secret again.
  await poll(async () => (await api.get('/api-keys')).find((k) => k.name === keyName)?.last_used_at);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
  const listed = page.locator('button.pick', { hasText: keyName });
  const text = await listed.innerText();
  for (const x of ['Acts for you', 'Read field notes', 'Add interview transcripts', 'Made ', 'Last used ', `Starts with ${secret.slice(0, 10)}`]) {
    assert.ok(text.includes(x), `${x} in ${text}`);
  }
  assert.ok(!text.includes('Acts for Key Owner'), `the admin's own key: ${text}`);
  assert.ok(!(await page.content()).includes(secret), 'the secret is never shown again');
  const otherText = await page.locator(`button.pick[data-key="${other.id}"]`).innerText();
  assert.ok(otherText.includes(`Acts for ${ownerName}`) && !otherText.includes('Acts for you'), `the coordinator's key names them: ${otherText}`);
  await page.locator(`button.pick[data-key="${other.id}"]`).click();
  await page.locator('.key-one').getByRole('heading', { level: 2, name: otherName }).waitFor();
  await page.locator('.key-one').getByText(`Acts for ${ownerName}`, { exact: true }).waitFor();
  await everywhere(page, 'keys-owner');
  await (await admin()).call('DELETE', `/api-keys/${other.id}`);

  // Revoked after a confirmation (and not on "Keep it").
  await listed.click();
  const one = page.locator('.key-one');
  await one.getByRole('heading', { level: 2, name: keyName }).waitFor();
  await one.getByRole('button', { name: 'Revoke this key' }).click();
  await one.getByText(`Revoke “${keyName}”?`, { exact: false }).waitFor();
  await everywhere(page, 'keys-confirm');
  await one.getByRole('button', { name: 'Keep it' }).click();
  assert.equal((await fetch(`${BASE}/api/v1/notes`, { headers: { authorization: `Bearer ${secret}` } })).status, 200, 'kept');
  await one.getByRole('button', { name: 'Revoke this key' }).click();
  await one.getByRole('button', { name: 'Yes, revoke it' }).click();
  await page.getByText(`“${keyName}” is revoked: it no longer works.`).waitFor();
  assert.equal(await page.locator('button.pick', { hasText: keyName }).count(), 0, 'no longer listed');
  assert.equal((await fetch(`${BASE}/api/v1/notes`, { headers: { authorization: `Bearer ${secret}` } })).status, 401, 'revoked at once');
});

test('an admin makes a webhook, sees its secret once, sends a test event and sees it delivered', async (t) => {
  // The receiving app: records what it gets (the server runs with
  // FIELDNOTES_WEBHOOKS_ALLOW_PRIVATE=true, as for an on-premise receiver).
  const { createServer } = await import('node:http');
  const got = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
  t.after(() => receiver.close());
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/fieldnotes`;

  const { page, api } = await adminPhone(t);
  await open(page, 'Webhooks', 'Webhooks');
  const add = page.locator('.hook-new');
  await add.getByRole('heading', { level: 2, name: 'Make a webhook' }).waitFor();
  await everywhere(page, 'webhooks');

  // Not a web address and nothing ticked: refused at both fields, the words kept.
  const what = `Booking ${unique('w')}`;
  await add.getByLabel('Address of the receiving app').fill('ftp://booking.example.org');
  await add.getByLabel('What it is for').fill(what);
  await add.getByRole('button', { name: 'Make the webhook' }).click();
  await add.locator('.field-error', { hasText: 'Give an address that starts with https://' }).waitFor();
  await add.locator('fieldset .field-error').waitFor();
  assert.equal(await add.getByLabel('What it is for').inputValue(), what);
  await everywhere(page, 'webhooks-refused');
  await add.getByLabel('Address of the receiving app').fill(hookUrl);
  await add.getByLabel('A field note is written').check();
  await add.getByLabel('An interview is postponed').check();
  await add.getByRole('button', { name: 'Make the webhook' }).click();

  // The signing secret, once.
  const secretSec = page.locator('.key-secret');
  await secretSec.getByRole('heading', { level: 2, name: `The signing secret of ${hookUrl}` }).waitFor();
  const secret = await secretSec.getByLabel('Signing secret').inputValue();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  await everywhere(page, 'webhooks-secret');
  await secretSec.getByRole('button', { name: 'I have copied it' }).click();
  assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');

  // The webhook, with its events; a test event goes out and shows as delivered.
  const one = page.locator('.hook-one');
  await one.getByRole('heading', { level: 2, name: what }).waitFor();
  await one.getByText('An interview is postponed').waitFor();
  await one.getByText('Nothing sent yet.').waitFor();
  await one.getByRole('button', { name: 'Send a test event' }).click();
  await one.getByText('A test event is on its way.', { exact: false }).waitFor();
  await poll(async () => got.length > 0);
  assert.match(got[0].headers['webhook-id'], /^msg_[0-9a-f]{32}$/);
  assert.match(got[0].headers['webhook-signature'], /^v1,/);
  assert.equal(JSON.parse(got[0].body).type, 'webhook.test');
  await poll(async () => {
    await one.getByRole('button', { name: 'Show the latest deliveries' }).click();
    return (await one.locator('li[data-status="delivered"]').count()) === 1;
  });
  const item = await one.locator('li[data-status="delivered"]').innerText();
  for (const x of ['Test event', 'Delivered', '1 attempt', 'answered 204']) assert.ok(item.includes(x), `${x} in ${item}`);
  await everywhere(page, 'webhooks-one');

  // Turned off, then deleted after a confirmation.
  await one.getByRole('button', { name: 'Turn it off' }).click();
  await one.getByText('It is off: nothing is sent to it.').waitFor();
  const hook = (await api.get('/webhooks')).find((w) => w.description === what);
  assert.equal(hook.active, false);
  await one.getByRole('button', { name: 'Delete this webhook' }).click();
  await one.getByText(`Delete the webhook to ${hookUrl}?`, { exact: false }).waitFor();
  await everywhere(page, 'webhooks-confirm');
  await one.getByRole('button', { name: 'Yes, delete it' }).click();
  await page.getByText(`The webhook to ${hookUrl} is deleted.`).waitFor();
  assert.equal((await api.get('/webhooks')).some((w) => w.id === hook.id), false);
});

test('an admin filters the audit log by person and action and pages to older entries', async (t) => {
  const { page, user, name, api } = await adminPhone(t);
  const s = await seed('audit', { interview: false });
  // 55 changes of one site by this admin: more than one page of 50.
  for (let i = 0; i < 55; i += 1) await api.call('PATCH', `/sites/${s.site.id}`, { opening_hours: [{ start: '08:00', end: `${10 + (i % 5)}:00` }] });
  await open(page, 'Audit log', 'Audit log');
  const filters = page.locator('.audit-filters');
  const log = page.locator('.audit-log');
  await log.locator('li.entry').first().waitFor();
  await everywhere(page, 'audit');

  await filters.getByLabel('Person').selectOption(user.id);
  // The actions are a pick list, in words.
  await filters.getByLabel('Action').selectOption({ label: 'Site changed' });
  await filters.getByRole('button', { name: 'Show entries' }).click();
  await log.getByText('50 shown').waitFor();
  const entries = log.locator('li.entry');
  assert.equal(await entries.count(), 50);
  assert.deepEqual([...new Set(await entries.evaluateAll((els) => els.map((e) => e.dataset.action)))], ['site.update']);
  const firstText = await entries.first().innerText();
  for (const x of [name, 'Site changed', `site ${s.site.id}`, s.site.name]) assert.ok(firstText.includes(x), `${x} in ${firstText}`);
  await entries.first().locator('summary').click();
  await entries.first().getByText('IP address').waitFor();
  // The code as logged, beside its words, for whoever reads the raw log.
  await entries.first().locator('dd code', { hasText: 'site.update' }).waitFor();
  await everywhere(page, 'audit-filtered');

  const all = (await (await admin()).get(`/audit?actor_user_id=${user.id}&action=site.update&limit=200`)).items;
  assert.ok(all.length >= 55 && all.length < 100, `${all.length} entries`);
  await log.getByRole('button', { name: 'Older entries' }).click();
  await log.getByText(`${all.length} shown`).waitFor();
  await log.getByText('That is the oldest entry.').waitFor();
  assert.equal(await log.getByRole('button', { name: 'Older entries' }).isVisible(), false, 'no more pages');
  const shown = await entries.evaluateAll((els) => els.length);
  assert.equal(shown, all.length);

  // A period after today has nothing; a period that ends before it starts is refused at its field.
  const day = (d) => new Date(Date.now() + d * 864e5).toISOString().slice(0, 10);
  await filters.getByLabel('From (day)').fill(day(2));
  await filters.getByRole('button', { name: 'Show entries' }).click();
  await log.getByText('No entries match.').waitFor();
  await filters.getByLabel('To (day, included)').fill(day(1));
  await filters.getByRole('button', { name: 'Show entries' }).click();
  await errorAt(filters.getByLabel('To (day, included)'), 'The last day must be the first day or later.');
  assert.equal(await filters.getByLabel('Action').inputValue(), 'site.update', 'the filters stay');
  await everywhere(page, 'audit-refused');
});

test('in bokmål: a site refused and added, and the other desk screens in Norwegian', async (t) => {
  const { page } = await adminPhone(t, { language: 'nb', locale: 'nb-NO' });
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('heading', { level: 1, name: 'Mer' }).waitFor();
  await page.getByRole('link', { name: 'Steder', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Steder' }).waitFor();
  const add = page.locator('.site-new');
  const name = `Klinikk ${unique('nb')}`;
  await add.getByLabel('Navn').fill(name);
  await add.getByLabel('Tidssone').fill('Oslo');
  await add.getByRole('button', { name: 'Legg til stedet' }).click();
  await add.getByText('Se over de merkede feltene.').waitFor();
  await errorAt(add.getByLabel('Tidssone'), 'Velg en tidssone fra listen, f.eks. Europe/Oslo.');
  assert.equal(await add.getByLabel('Navn').inputValue(), name);
  await everywhere(page, 'sites-nb');
  await add.getByLabel('Tidssone').fill('Europe/Oslo');
  await add.getByRole('button', { name: 'Legg til stedet' }).click();
  await page.getByText(`${name} er lagt til.`).waitFor();

  await open(page, 'Screeningskjemaer', 'Screeningskjemaer');
  await page.locator(`button.pick[data-instrument="${POSS_ID}"]`).click();
  const one = page.locator('.instr-one');
  await one.getByRole('heading', { level: 2, name: 'POSS (sedasjon)' }).waitFor();
  await one.getByText('Innebygde skjemaer endres aldri.', { exact: false }).waitFor();
  await one.getByRole('button', { name: 'Lag en ny versjon' }).click();
  await page.locator('.instr-form').getByLabel('Navn (norsk bokmål)').waitFor();
  await everywhere(page, 'instruments-nb');

  await open(page, 'Klarhet og bølger', 'Klarhet og bølger');
  await page.getByText('Kreves før samtykke').first().waitFor();
  await page.getByRole('button', { name: 'Lagre bølgene' }).waitFor();
  await everywhere(page, 'study-nb');

  await open(page, 'API-nøkler', 'API-nøkler');
  await page.getByLabel('Skrive feltnotater').waitFor();
  await everywhere(page, 'keys-nb');

  await open(page, 'Webhooks', 'Webhooks');
  await page.getByLabel('Et feltnotat skrives').waitFor();
  await everywhere(page, 'webhooks-nb');

  await open(page, 'Revisjonslogg', 'Revisjonslogg');
  await page.getByRole('button', { name: 'Vis oppføringer' }).waitFor();
  await page.locator('.audit-log li.entry').first().waitFor();
  // Actions in Norwegian words, in the pick list and in the entries.
  await page.getByLabel('Handling').selectOption({ label: 'Sted lagt til' });
  await page.getByRole('button', { name: 'Vis oppføringer' }).click();
  await poll(async () => {
    const acts = await page.locator('.audit-log li.entry .act').allTextContents();
    return acts.length > 0 && acts.every((a) => a === 'Sted lagt til');
  });
  assert.ok((await page.getByLabel('Handling').locator('option').allTextContents()).includes('Logget inn'));
  await everywhere(page, 'audit-nb');
});

test('a coordinator cannot open the admin’s desk', async (t) => {
  const s = await seed('desk-coord', { interview: false });
  const a = await admin();
  const email = `${unique('coord')}@example.org`;
  await a.post('/users', { email, display_name: 'Coordinator Desk', role: 'coordinator', password: PASSWORD, site_ids: [s.site.id] });
  const { page } = await openPhone(t);
  await signIn(page, email, PASSWORD);
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
  for (const link of ['Sites', 'Screening instruments', 'Readiness and waves', 'API keys', 'Webhooks', 'Audit log']) {
    assert.equal(await page.getByRole('link', { name: link, exact: true }).count(), 0, `no ${link} for a coordinator`);
  }
  for (const [path, h1] of [['sites', 'Sites'], ['instruments', 'Screening instruments'], ['study', 'Readiness and waves'], ['keys', 'API keys'], ['webhooks', 'Webhooks'], ['audit', 'Audit log']]) {
    await page.goto(`${BASE}/#/more/${path}`);
    await page.getByRole('heading', { level: 1, name: h1 }).waitFor();
    await page.getByText('Your role cannot do this.').waitFor();
    assert.equal(await page.locator('form').count(), 0, `nothing to change on ${path}`);
  }
  await everywhere(page, 'admin-desk-coordinator');
});
