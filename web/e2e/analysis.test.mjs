// The analysis inside the client (issue 30): a transcript added to an
// interview from a Word document (written by python-docx, read by the
// server), read, coded by keyboard and with the mouse, a coding removed; the
// coded passages retrieved by code (with the codes under it); an edit that
// takes a coded passage's words away, and the coding placed again; the
// codebook put in the team's order; in bokmål, a fieldworker codes a passage
// of their own note on a phone by touch. axe-core at both sizes on each
// screen, in both languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as lib from './lib.mjs';
import { BASE, PASSWORD, WEB, admin, seed, launch, signIn, everywhere, poll, unique } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = lib.axeSummary('analysis');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** A Word document written by python-docx (the test tools' venv), not by Fieldnotes. */
function wordDocument(paragraphs) {
  const root = join(WEB, '..');
  const venv = execFileSync('bash', ['.ci/venv'], { cwd: root, encoding: 'utf8' }).trim();
  const json = join(lib.ARTIFACTS, `${unique('docx')}.json`);
  execFileSync('mkdir', ['-p', lib.ARTIFACTS]);
  execFileSync('python3', ['-c', 'import sys; open(sys.argv[1], "w", encoding="utf-8").write(sys.argv[2])', json, JSON.stringify({ paragraphs })]);
  const out = execFileSync(join(root, venv, 'bin', 'python'), [join(root, 'tests', 'readers', 'make_docx.py'), json], { encoding: 'utf8' });
  return Buffer.from(JSON.parse(out).base64, 'base64');
}

/** A site with a fieldworker, a participant and an interview; a coordinator; a codebook. */
async function study(tag, { language = 'en' } = {}) {
  const s = await seed(tag);
  const a = await admin();
  const coordinator = `${unique(`coord-${tag}`)}@example.org`;
  await a.post('/users', { email: coordinator, display_name: `Coordinator ${tag}`, role: 'coordinator', password: PASSWORD, site_ids: [s.site.id], language });
  const mark = unique(tag);
  const waiting = await a.post('/codes', { name: `Waiting ${mark}` });
  const queue = await a.post('/codes', { name: `Queue ${mark}`, parent_id: waiting.id });
  const staff = await a.post('/codes', { name: `Staff ${mark}` });
  return { s, a, coordinator, codes: { waiting, queue, staff } };
}

/** Selects `words` (the first time they occur) in the coding pane's text with the keyboard: Ctrl+Home, arrows, Shift+arrows. */
async function selectByKeyboard(page, text, words) {
  const area = page.locator('textarea.passage-text');
  await area.focus();
  await page.keyboard.press('Control+Home');
  const at = text.indexOf(words);
  for (let i = 0; i < at; i += 1) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < words.length; i += 1) await page.keyboard.press('Shift+ArrowRight');
}

/** Where `word` is drawn: the middle of its box in the highlight layer, which is laid out like the text. */
const wordAt = (page, word) => page.evaluate((w) => {
  const layer = document.querySelector('.passage-marks');
  const walker = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const i = n.data.indexOf(w);
    if (i < 0) continue;
    const r = document.createRange();
    r.setStart(n, i);
    r.setEnd(n, i + w.length);
    const box = r.getBoundingClientRect();
    return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
  }
  return null;
}, word);

test('a coordinator adds a transcript from a Word document, codes passages by keyboard and mouse, retrieves them by code, and places a coding an edit unanchored', async (t) => {
  const { s, a, coordinator, codes } = await study('an');
  const lines = ['I: How has the week been?', 'P: Long queue at the hatch again. The staff were kind.'];
  const text = lines.join('\n');
  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);

  // From the participant's page to the interview's transcripts.
  await page.goto(`${BASE}/#/more/people/${s.participant.id}`);
  await page.locator('.desk-item').getByRole('link', { name: 'Transcripts and coding' }).first().click();
  await page.getByRole('heading', { level: 3, name: 'Add a transcript' }).waitFor();
  await page.getByText('No transcript yet.').waitFor();
  await everywhere(page, 'transcripts-interview');

  // A Word document: read by the server, shown to check, then saved.
  await page.getByLabel('Read from a file (.txt or .docx)').setInputFiles({ name: 'interview 1.docx', mimeType: DOCX, buffer: wordDocument(lines) });
  await page.getByText('Read “interview 1.docx”').waitFor();
  assert.equal(await page.getByLabel('Text', { exact: true }).inputValue(), text);
  await page.getByRole('button', { name: 'Save the transcript' }).click();
  await page.getByRole('heading', { level: 3, name: 'Whole interview' }).waitFor();
  const [tr] = (await a.get(`/interviews/${s.interview.id}/transcripts`)).items;
  assert.equal((await a.get(`/transcripts/${tr.id}`)).body, text);
  await page.getByText('Nothing in this text is coded yet.').waitFor();
  await everywhere(page, 'transcript-uncoded');

  // By keyboard: Shift+arrows, then the button and the code's checkbox from the keyboard.
  await selectByKeyboard(page, text, 'Long queue at the hatch');
  await page.getByText('Selected: “Long queue at the hatch”').waitFor();
  // The text takes no typing, pasting or deleting: it is the transcript's.
  for (const key of ['x', 'Backspace', 'Delete', 'Enter', 'Control+x']) await page.keyboard.press(key);
  assert.equal(await page.locator('textarea.passage-text').inputValue(), text);
  await selectByKeyboard(page, text, 'Long queue at the hatch');
  await page.getByRole('button', { name: 'Code the selected words' }).press('Enter');
  await page.getByLabel(codes.queue.name).press('Space');
  await page.getByRole('button', { name: 'Code them' }).press('Enter');
  await page.getByText('Coded with 1 code.').waitFor();
  await everywhere(page, 'transcript-coded');

  // With the mouse: a double-click selects a word; two codes at once.
  await page.locator('textarea.passage-text').scrollIntoViewIfNeeded();
  // Where the word is once the page has stopped moving.
  let kind = null;
  await poll(async () => {
    const was = kind;
    kind = await wordAt(page, 'kind');
    return kind && was && kind.x === was.x && kind.y === was.y;
  });
  await page.mouse.dblclick(kind.x, kind.y);
  await page.getByText('Selected: “kind”').waitFor();
  await page.getByRole('button', { name: 'Code the selected words' }).click();
  await page.getByLabel(codes.staff.name).check();
  await page.getByLabel(codes.waiting.name).check();
  await page.getByRole('button', { name: 'Code them' }).click();
  await page.getByText('Coded with 2 codes.').waitFor();
  let codings = (await a.get(`/transcripts/${tr.id}/codings`)).items;
  assert.deepEqual(codings.map((c) => c.quote).sort(), ['Long queue at the hatch', 'kind', 'kind']);
  // Highlighted in the text, with their codes beside them.
  assert.deepEqual(await page.locator('.passage-marks mark').allTextContents(), ['Long queue at the hatch', 'kind']);
  assert.equal(await page.locator('.passage-marks mark.many').count(), 1, 'two codes on one passage are marked so');
  await page.getByText('2 coded passages').waitFor();

  // A coding removed.
  await page.getByRole('button', { name: `Remove “${codes.waiting.name}” from “kind”` }).click();
  await page.getByText(`Removed “${codes.waiting.name}”.`).waitFor();
  codings = (await a.get(`/transcripts/${tr.id}/codings`)).items;
  assert.deepEqual(codings.map((c) => c.code_id).sort(), [codes.queue.id, codes.staff.id].sort());

  // Retrieval by code, with the codes under it: the queue passage, with its source.
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('link', { name: 'Coded passages' }).click();
  await page.getByText('Choose a code to see its passages.').waitFor();
  await page.getByLabel('Code', { exact: true }).selectOption(codes.waiting.id);
  await page.getByRole('button', { name: 'Show passages' }).click();
  const found = page.locator('.passages-found li');
  await found.first().waitFor();
  assert.equal(await found.count(), 1);
  assert.equal(await found.first().locator('blockquote').textContent(), 'Long queue at the hatch');
  const meta = await found.first().locator('.meta').allTextContents();
  assert.match(meta[0], new RegExp(`^Transcript, wave 1 · ${s.participant.pseudonym} · `));
  assert.equal(meta[1], `coded “${codes.queue.name}”`);
  await everywhere(page, 'passages');
  // Without the codes under it: nothing.
  await page.getByLabel('Include the codes under it').uncheck();
  await page.getByRole('button', { name: 'Show passages' }).click();
  await page.getByText('No passage is coded with this code here.').waitFor();

  // An edit takes the queue passage's words away: the coding waits to be placed again.
  await page.goto(`${BASE}/#/more/transcripts/${tr.id}`);
  await page.getByRole('button', { name: 'Edit the text' }).click();
  const edited = text.replace('Long queue at the hatch', 'A long wait by the window');
  await page.getByLabel('Text', { exact: true }).fill(edited);
  await page.getByRole('button', { name: 'Save as a new version' }).click();
  await page.getByText('Saved as version 2.').waitFor();
  await page.getByText('1 coding lost its words in this edit: place it again below.').waitFor();
  await page.getByRole('heading', { level: 3, name: 'Codings that lost their words' }).waitFor();
  await everywhere(page, 'transcript-unanchored');
  // It is listed to place again on the retrieval screen too, and opens its text.
  await page.goto(`${BASE}/#/more/passages`);
  await page.getByRole('link', { name: 'Place it again' }).first().click();
  await page.getByText(/^Placing “Queue/).waitFor();
  await selectByKeyboard(page, edited, 'A long wait by the window');
  await page.getByRole('button', { name: 'Place here' }).click();
  await page.getByText('Placed.').waitFor();
  const placed = (await a.get(`/transcripts/${tr.id}/codings`)).items.find((c) => c.code_id === codes.queue.id);
  assert.equal(placed.anchored, true);
  assert.equal(placed.quote, 'A long wait by the window');

  // A note's passages, in English, at both sizes.
  const n = await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: s.site.id, observed_at: new Date(Date.now() - 60e3).toISOString(),
    location: 'waiting_room', body: 'Long queue at the hatch before the dose.', participant_ids: [s.participant.id],
  });
  await page.goto(`${BASE}/#/notes/${n.id}/passages`);
  await page.getByRole('heading', { level: 1, name: /^Code passages of a note/ }).waitFor();
  await page.getByText('Nothing in this text is coded yet.').waitFor();
  await everywhere(page, 'note-coding-en');

  // The codebook in the team's order: Staff before Waiting.
  await page.goto(`${BASE}/#/more/codebook`);
  await page.getByRole('button', { name: codes.staff.name }).click();
  await page.getByRole('button', { name: 'Move earlier' }).click();
  await page.getByText(/^Now place \d+ of \d+\.$/).waitFor();
  const order = (await a.get('/codes')).items.map((c) => c.id);
  assert.ok(order.indexOf(codes.staff.id) < order.indexOf(codes.waiting.id), 'Staff moved before Waiting');
  await everywhere(page, 'codebook-order');
});

test('in bokmål: a fieldworker codes a passage of their own note by touch, and the coordinator finds it by code', async (t) => {
  const { s, a, coordinator, codes } = await study('anb', { language: 'nb' });
  await s.api.call('PATCH', '/me', { language: 'nb' });
  const body = `${s.participant.pseudonym} venter ved luka. Køen er lang i dag.`;
  const note = await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: s.site.id, observed_at: new Date(Date.now() - 60e3).toISOString(),
    location: 'waiting_room', body, participant_ids: [s.participant.id],
  });
  const { page } = await openPhone(t, { locale: 'nb-NO' });
  await signIn(page, s.email, PASSWORD);
  await page.goto(`${BASE}/#/notes/${note.id}`);
  await page.getByRole('link', { name: 'Kod utdrag av dette notatet' }).tap();
  await page.getByRole('heading', { level: 1, name: /^Kod utdrag av et notat/ }).waitFor();
  await everywhere(page, 'note-coding-nb');
  // Touch: the phone's own selection handles, as the textarea gives them (set here as the handles would).
  await page.locator('textarea.passage-text').tap();
  await page.locator('textarea.passage-text').evaluate((el, w) => {
    const i = el.value.indexOf(w);
    el.setSelectionRange(i, i + w.length);
    el.dispatchEvent(new Event('select'));
  }, 'Køen er lang');
  await page.getByText('Merket: «Køen er lang»').waitFor();
  await page.getByRole('button', { name: 'Kod de merkede ordene' }).tap();
  await page.getByLabel(codes.queue.name).tap();
  await page.getByRole('button', { name: 'Kod dem' }).tap();
  await page.getByText('Kodet med 1 kode.').waitFor();
  await everywhere(page, 'note-coded-nb');
  const [c] = (await s.api.get(`/notes/${note.id}/codings`)).items;
  assert.equal(c.quote, 'Køen er lang');

  // The coordinator, in bokmål, finds it under the parent code.
  const { page: desk } = await openPhone(t, { locale: 'nb-NO', desk: true });
  await signIn(desk, coordinator, PASSWORD);
  await desk.goto(`${BASE}/#/more/passages/${codes.waiting.id}`);
  const found = desk.locator('.passages-found li');
  await found.first().waitFor();
  assert.equal(await found.first().locator('blockquote').textContent(), 'Køen er lang');
  assert.match((await found.first().locator('.meta').allTextContents())[0], new RegExp(`^Feltnotat · ${s.participant.pseudonym} · `));
  await desk.getByText('1 utdrag').waitFor();
  await everywhere(desk, 'passages-nb');
  await desk.getByRole('link', { name: 'Åpne teksten' }).click();
  await desk.getByRole('heading', { level: 1, name: /^Kod utdrag av et notat/ }).waitFor();
  await poll(async () => (await desk.locator('.passage-marks mark').allTextContents()).join() === 'Køen er lang');
});

for (const [language, locale, words] of [
  ['en', 'en-GB', { participants: 'Participants', passages: 'Coded passages', grid: 'The week by hour', book: 'Book an interview', schedule: 'Schedule', closed: 'Closed' }],
  ['nb', 'nb-NO', { participants: 'Deltakere', passages: 'Kodede utdrag', grid: 'Uken time for time', book: 'Avtal et intervju', schedule: 'Timeplan', closed: 'Stengt' }],
]) {
  test(`at a desk (${language}): a side navigation lists the desk's screens, and the week grid shades opening hours and books a free hour`, async (t) => {
    const { s, a, coordinator } = await study(`desk-${language}`, { language });
    // Tomorrow closed (a holiday): shown so on the grid.
    const tomorrow = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Oslo' }).format(new Date(Date.now() + 864e5));
    await a.call('PATCH', `/sites/${s.site.id}`, { closed_days: [tomorrow] });
    const { page } = await openPhone(t, { locale, desk: true });
    await signIn(page, coordinator, PASSWORD);
    const side = page.locator('body > nav .side');
    await side.waitFor();
    await side.getByRole('link', { name: words.participants, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: words.participants }).waitFor();
    assert.equal(await side.getByRole('link', { name: words.participants, exact: true }).getAttribute('aria-current'), 'page');
    assert.ok(await side.getByRole('link', { name: words.passages, exact: true }).isVisible());
    // The tab bar's items are in it too, one above the other.
    const tabs = page.locator('body > nav ul.tabs a');
    const [first, second] = [await tabs.nth(0).boundingBox(), await tabs.nth(1).boundingBox()];
    assert.ok(second.y > first.y, 'vertical at a desk');
    await lib.check(page, `desk-nav-${language}`);
    assert.deepEqual(lib.axeResults.at(-1).violations, []);

    await page.goto(`${BASE}/#/schedule?site=${s.site.id}`);
    const grid = page.locator('section.week-grid');
    await grid.getByRole('heading', { level: 2, name: words.grid }).waitFor();
    const booking = grid.locator('a.booking', { hasText: s.participant.pseudonym });
    await booking.waitFor();
    assert.ok((await booking.innerText()).includes(s.user.display_name), 'the interviewer beside the booking');
    assert.ok((await grid.locator('td.open').count()) > 0, 'opening hours shaded');
    assert.ok((await grid.locator('thead th', { hasText: words.closed }).count()) === 1, 'the closed day named');
    await lib.check(page, `week-grid-${language}`);
    assert.deepEqual(lib.axeResults.at(-1).violations, []);
    // A free hour books that day and time.
    const free = grid.locator('a.free').last();
    const href = await free.getAttribute('href');
    const want = new URLSearchParams(href.split('?')[1]);
    await free.click();
    await page.getByRole('heading', { level: 1, name: words.book }).waitFor();
    assert.equal(await page.locator('input[name=date]').inputValue(), want.get('date'));
    assert.equal(await page.locator('input[name=time]').inputValue(), want.get('time'));
  });
}
