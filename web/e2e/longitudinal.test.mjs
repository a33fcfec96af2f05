// A study over years (issue 32): participants registered from a CSV file
// (the server's dry run shown line by line, then confirmed), and an
// interview held before the study used Fieldnotes entered afterwards. At a
// phone's size and a desk's, axe-core finds nothing; both in bokmål too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from './lib.mjs';
import { PASSWORD, admin, seed, launch, signIn, Api } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = lib.axeSummary('longitudinal');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** A site with a fieldworker (from `seed`) and a coordinator signed in through the API. */
async function desk(tag, language = 'en') {
  const s = await seed(tag, { interview: false });
  const email = `${lib.unique(`co-${tag}`)}@example.org`;
  const me = await (await admin()).post('/users', { email, display_name: `Coordinator ${tag}`, role: 'coordinator', password: PASSWORD, site_ids: [s.site.id], language });
  return { ...s, coordinator: email, me, co: await Api.login(email, PASSWORD) };
}

const file = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

test('a coordinator registers participants from a CSV file after seeing the dry run', async (t) => {
  const d = await desk('import');
  const { page } = await openPhone(t);
  await signIn(page, d.coordinator, PASSWORD);
  await page.goto(`${lib.BASE}/#/more/import`);
  await page.getByRole('heading', { level: 1, name: 'Import participants' }).waitFor();
  const site = d.site.name;
  const n = Date.now().toString(36);

  // A file with problems: each said by its line and column; nothing written.
  await page.getByLabel('CSV file').setInputFiles(file('bad.csv',
    `pseudonym,site,treatment_started_on\nImp-A-${n},${site},2022-03-01\nImp-B-${n},No such clinic,2022-03-01\nImp-C-${n},${site},yesterday\n`));
  await page.getByText('The file has 2 problems. Nothing was registered.', { exact: false }).first().waitFor();
  const rows = await page.locator('table tbody tr').allInnerTexts();
  assert.equal(rows.length, 2, rows.join('\n'));
  assert.match(rows[0], /^Line 3, Site/);
  assert.match(rows[1], /^Line 4, Treatment start/);
  await lib.everywhere(page, 'import-problems');
  const none = await d.co.get(`/participants?pseudonym_prefix=Imp-A-${n}`);
  assert.equal(none.items.length, 0, 'a dry run writes nothing');

  // The mended file, as a Norwegian spreadsheet saves it: the preview, then
  // the confirmation.
  await page.getByLabel('CSV file').setInputFiles(file('good.csv',
    `\uFEFFpseudonym;site;treatment start\r\nImp-A-${n};${site};01.03.2022\r\nImp-B-${n};${site};2022-04-15\r\n`));
  const confirm = page.getByRole('button', { name: 'Register 2 participants' });
  await confirm.waitFor();
  const preview = await page.locator('table tbody tr').allInnerTexts();
  assert.deepEqual(preview.map((r) => r.split('\t').slice(0, 4)), [
    ['2', `Imp-A-${n}`, site, '2022-03-01'],
    ['3', `Imp-B-${n}`, site, '2022-04-15'],
  ]);
  await lib.everywhere(page, 'import-preview');
  await confirm.click();
  await page.getByText('2 participants registered.').waitFor();
  const got = await d.co.get(`/participants?pseudonym_prefix=Imp-`);
  assert.deepEqual(got.items.map((p) => p.pseudonym).filter((p) => p.endsWith(n)).sort(), [`Imp-A-${n}`, `Imp-B-${n}`]);
  await lib.everywhere(page, 'import-done');
});

test('the import screen speaks bokmål', async (t) => {
  const d = await desk('import-nb', 'nb');
  const { page } = await openPhone(t, { locale: 'nb-NO' });
  await signIn(page, d.coordinator, PASSWORD);
  await page.goto(`${lib.BASE}/#/more/import`);
  await page.getByRole('heading', { level: 1, name: 'Importer deltakere' }).waitFor();
  // A column for a phone number refuses the whole file.
  await page.getByLabel('CSV-fil').setInputFiles(file('x.csv', 'pseudonym,site,treatment_started_on,phone\nX,Y,2022-01-01,1\n'));
  await page.getByText('Filen har 1 feil', { exact: false }).first().waitFor();
  assert.match((await page.locator('table tbody tr').allInnerTexts())[0], /^Overskrift, kolonne 4/);
  await lib.everywhere(page, 'import-nb');
});

test('a coordinator enters an interview held before the study used Fieldnotes', async (t) => {
  const d = await desk('earlier');
  const a = await admin();
  const p = await a.post('/participants', { pseudonym: lib.unique('Early'), site_id: d.site.id, treatment_started_on: isoDay(Date.now() - 500 * 864e5) });
  const { page } = await openPhone(t);
  await signIn(page, d.coordinator, PASSWORD);
  await page.goto(`${lib.BASE}/#/more/earlier/${p.id}`);
  await page.getByRole('heading', { level: 1, name: 'Enter an earlier interview' }).waitFor();
  await lib.everywhere(page, 'earlier-form');

  const held = isoDay(Date.now() - 420 * 864e5);
  await page.getByLabel('Wave').selectOption('1');
  await page.getByLabel('Date').fill(held);
  await page.getByLabel(/^From/).fill('10:00');
  await page.getByLabel(/^To/).fill('10:50');
  // The note on readiness is required: said at its field.
  await page.getByRole('button', { name: 'Enter the interview' }).click();
  const note = page.getByLabel('How readiness was checked then');
  assert.equal(await note.getAttribute('aria-invalid'), 'true');
  await note.fill('POSS on paper, 1');
  // A second sitting, the next day.
  await page.getByRole('button', { name: 'Add a sitting' }).click();
  const second = page.getByRole('group', { name: 'Sitting 2' });
  await second.getByLabel('Date').fill(isoDay(Date.now() - 419 * 864e5));
  await second.getByLabel(/^From/).fill('10:00');
  await second.getByLabel(/^To/).fill('10:30');
  await page.getByRole('button', { name: 'Enter the interview' }).click();
  await page.getByText(`Wave 1 with ${p.pseudonym} is entered, as completed.`).waitFor();
  await lib.everywhere(page, 'earlier-done');

  const { items } = await d.co.get(`/interviews?participant_id=${p.id}`);
  assert.equal(items.length, 1);
  const iv = items[0];
  assert.equal(iv.entered_later, true);
  assert.equal(iv.status, 'completed');
  assert.equal(iv.screening_note, 'POSS on paper, 1');
  assert.equal(iv.sessions.length, 2);
  assert.equal(iv.total_minutes, 80);
  assert.deepEqual(iv.interviewer_ids, [d.me.id]);

  // The same wave again: refused, in words.
  await page.getByRole('link', { name: 'Enter another' }).click();
  await page.getByLabel('Date').fill(held);
  await page.getByLabel(/^From/).fill('11:00');
  await page.getByLabel(/^To/).fill('11:30');
  await page.getByLabel('How readiness was checked then').fill('POSS on paper, 1');
  await page.getByRole('button', { name: 'Enter the interview' }).click();
  await page.getByRole('alert').filter({ hasText: /wave/i }).waitFor();
  assert.equal((await d.co.get(`/interviews?participant_id=${p.id}`)).items.length, 1);
});

test('the earlier-interview form speaks bokmål', async (t) => {
  const d = await desk('earlier-nb', 'nb');
  const a = await admin();
  const p = await a.post('/participants', { pseudonym: lib.unique('Tidlig'), site_id: d.site.id, treatment_started_on: isoDay(Date.now() - 500 * 864e5) });
  const { page } = await openPhone(t, { locale: 'nb-NO' });
  await signIn(page, d.coordinator, PASSWORD);
  await page.goto(`${lib.BASE}/#/more/earlier/${p.id}`);
  await page.getByRole('heading', { level: 1, name: 'Registrer et tidligere intervju' }).waitFor();
  await page.getByLabel('Hvordan klarheten ble vurdert da').waitFor();
  await lib.everywhere(page, 'earlier-nb');
});
