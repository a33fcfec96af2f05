// The codebook as a REFI-QDA codebook file (.qdc) on the codebook screen: the
// demo study's coordinator exports it (downloaded with the sign-in), then
// imports a small file at the top level: the dry run lists the codes to be
// added and the name already there, the import adds them once, and the same
// file again adds nothing. In bokmål: the section's words, an unreadable
// file and a file's problems by the code's place. axe-core at a phone's size
// and a desk's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as lib from './lib.mjs';
import { BASE, PASSWORD, DEMO_PASSWORD, Api, admin, launch, signIn, unique, everywhere, poll } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = lib.axeSummary('codebook-exchange');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);

/** A codebook file: `codes` is [[name, [child names]], ...]. */
const qdc = (codes) => `<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="e2e">
  <Codes>
${codes.map(([name, kids]) => (kids.length
    ? `    <Code guid="${crypto.randomUUID()}" name="${name}" isCodable="true">
      <Description>Imported from another tool.</Description>
${kids.map((k) => `      <Code name="${k}" isCodable="true"/>`).join('\n')}
    </Code>`
    : `    <Code name="${name}" isCodable="true"/>`)).join('\n')}
  </Codes>
</CodeBook>
`;

/** The file as the file input takes it. */
const upload = (text, name = 'codebook.qdc') => ({ name, mimeType: 'application/xml', buffer: Buffer.from(text, 'utf8') });

/** POST /codes/import with the file as the body. */
async function importFile(api, text, query = '') {
  const res = await fetch(`${BASE}/api/v1/codes/import${query}`, {
    method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/xml' }, body: text,
  });
  return { status: res.status, body: await res.json() };
}

test('the demo coordinator exports the codebook as a .qdc file and imports one: a dry run first, then each code once', async (t) => {
  assert.ok(DEMO_PASSWORD, 'FIELDNOTES_DEMO_PASSWORD is set by .ci/e2e');
  const email = 'demo-coordinator@example.org';
  const api = await Api.login(email, DEMO_PASSWORD);
  const start = (await api.get('/codes')).items;
  assert.ok(start.some((c) => c.name === 'Benefits' && !c.parent_id), 'the demo codebook has “Benefits” at the top level');
  const tag = unique('qdc');
  const [root, kid] = [`Routines ${tag}`, `Mornings ${tag}`];
  const file = qdc([[root, [kid]], ['Benefits', []]]);

  const { page } = await openPhone(t);
  await signIn(page, email, DEMO_PASSWORD);
  await page.goto(`${BASE}/#/more/codebook`);
  await page.getByRole('heading', { level: 1, name: 'Codebook' }).waitFor();
  const sec = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'Codebook files (REFI-QDA)' }) });
  await sec.getByRole('heading', { level: 3, name: 'Import a codebook file' }).waitFor();
  await page.locator('.desk-list button.code', { hasText: 'Benefits' }).first().waitFor();
  await everywhere(page, 'codebook-files');

  // Export: fetched with the sign-in, saved as codebook.qdc.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    sec.getByRole('button', { name: 'Export codebook (.qdc)' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'codebook.qdc');
  const bytes = readFileSync(await download.path()).toString('utf8');
  assert.ok(bytes.startsWith('<?xml'), bytes.slice(0, 60));
  assert.ok(bytes.includes('urn:QDA-XML:codebook:1.0'), 'the codebook namespace');
  assert.ok(bytes.includes('name="Benefits"'), 'the demo codes are in it');
  await sec.getByText('Downloaded codebook.qdc.').waitFor();

  // Import at the top level: the dry run says what would happen, and writes nothing.
  const under = sec.getByLabel('Import under');
  assert.equal(await under.inputValue(), '', 'the top level is chosen');
  await sec.getByLabel('Codebook file (.qdc)').setInputFiles(upload(file));
  await sec.getByText('To be added: 2 codes').waitFor();
  const plan = sec.locator('.msg.info');
  const items = await plan.locator('li').allInnerTexts();
  assert.deepEqual(items, [root, `${root} > ${kid}`, 'Benefits'], `${items}`);
  await plan.getByText('Already there, not added again: 1').waitFor();
  assert.ok(!(await api.get('/codes')).items.some((c) => c.name === root), 'a dry run writes nothing');
  await everywhere(page, 'codebook-import-dry-run');

  await sec.getByRole('button', { name: 'Import 2 codes' }).click();
  await sec.getByText('Imported 2 codes.').waitFor();
  assert.equal(await sec.getByRole('button', { name: /^Import \d/ }).count(), 0, 'the plan is gone');
  await page.locator('.desk-list button.code', { hasText: root }).waitFor();
  let codes = (await api.get('/codes')).items;
  const mine = codes.filter((c) => c.name === root);
  assert.equal(mine.length, 1, `${root} once`);
  assert.equal(mine[0].parent_id ?? null, null, 'at the top level');
  assert.equal(mine[0].description, 'Imported from another tool.');
  const kids = codes.filter((c) => c.name === kid);
  assert.equal(kids.length, 1, `${kid} once`);
  assert.equal(kids[0].parent_id, mine[0].id, 'nested as in the file');
  assert.equal(codes.filter((c) => c.name === 'Benefits' && !c.parent_id).length, 1, '“Benefits” not duplicated');
  assert.equal(codes.length, start.length + 2);
  await everywhere(page, 'codebook-imported');

  // The same file again: all there already, nothing to import.
  await sec.getByLabel('Codebook file (.qdc)').setInputFiles(upload(file));
  await sec.getByText('Nothing to add: every code in the file is already there.').waitFor();
  await sec.getByText('Already there, not added again: 3').waitFor();
  assert.equal(await sec.getByRole('button', { name: /^Import \d/ }).count(), 0, 'nothing to confirm');
  const again = await importFile(api, file);
  assert.equal(again.status, 201);
  assert.deepEqual(again.body.created, []);
  assert.deepEqual(again.body.existing.map((x) => x.path), [root, `${root} > ${kid}`, 'Benefits']);
  assert.equal((await api.get('/codes')).items.length, start.length + 2, 'nothing created');
  await sec.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await sec.locator('.msg.info').count(), 0, 'cancel clears the plan');

  // Under the chosen code: offered once a code is chosen, and the dry run follows it.
  await page.locator('.desk-list button.code', { hasText: root }).click();
  await page.locator('.desk-item').getByRole('heading', { level: 2, name: root }).waitFor();
  assert.deepEqual(await under.locator('option').allInnerTexts(), ['Top level', root]);
  await under.selectOption({ label: root });
  await sec.getByLabel('Codebook file (.qdc)').setInputFiles(upload(qdc([['Benefits', []]])));
  await sec.getByText('To be added: 1 code').waitFor();
  assert.deepEqual(await sec.locator('.msg.info li').allInnerTexts(), [`${root} > Benefits`]);
  await sec.getByRole('button', { name: 'Cancel' }).click();
  await poll(async () => (await sec.locator('.msg.info').count()) === 0 || null);
  assert.equal((await api.get('/codes')).items.length, start.length + 2, 'cancelled: nothing created');
});

test('in bokmål: the section’s words, an unreadable file and a file’s problems by the code’s place', async (t) => {
  const a = await admin();
  const sites = await a.get('/sites');
  const site = (sites.items || sites)[0];
  const email = `${unique('coord-qdc-nb')}@example.org`;
  await a.post('/users', { email, display_name: 'Koordinator QDC', role: 'coordinator', password: PASSWORD, site_ids: [site.id], language: 'nb' });
  const { page } = await openPhone(t, { locale: 'nb-NO' });
  await signIn(page, email, PASSWORD);
  await page.goto(`${BASE}/#/more/codebook`);
  await page.getByRole('heading', { level: 1, name: 'Kodebok' }).waitFor();
  const sec = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'Kodebokfiler (REFI-QDA)' }) });
  await sec.getByRole('heading', { level: 3, name: 'Importer en kodebokfil' }).waitFor();
  await sec.getByRole('button', { name: 'Eksporter kodeboken (.qdc)' }).waitFor();
  await everywhere(page, 'codebook-files-nb');

  const input = sec.getByLabel('Kodebokfil (.qdc)');
  await input.setInputFiles(upload('<html><body>Ikke en kodebok</body></html>', 'side.xml'));
  await sec.getByText('Dette er ikke en kodebokfil som kan leses.', { exact: false }).waitFor();

  await input.setInputFiles(upload(qdc([[unique('Rutiner'), []], ['', []]])));
  await sec.getByText('Filen kan ikke importeres slik den er:').waitFor();
  const line = await sec.locator('.msg.error li').allInnerTexts();
  assert.equal(line.length, 1, `${line}`);
  assert.match(line[0], /^Kode 2 i filen: /);
  assert.equal(await sec.getByRole('button', { name: /^Importer \d/ }).count(), 0, 'nothing to confirm');
  await everywhere(page, 'codebook-import-problems-nb');
});
