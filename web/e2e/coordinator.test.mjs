// The coordinator's desk (issue 15): the participants with their status,
// wave and due window, and one participant's timeline (screenings with their
// verdict, consent, an interview with its postponement and session, a note);
// the codebook typed from the keyboard (the source paper's Table 1), changed,
// moved, merged and deleted, with the server's refusals at the field in
// bokmål; the fieldwork report's numbers against the API's, its SVG charts
// with their tables, and small counts hidden. axe-core at a phone's size and
// a desk's on every screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from './lib.mjs';
import { BASE, PASSWORD, admin, seed, launch, signIn, screen, check, axeResults, poll } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = lib.axeSummary('coordinator');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const openPhone = (t, opts) => lib.openPhone(browser, t, opts);
const { unique, everywhere } = lib;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);


/** The newest version of an instrument. */
async function instrument(api, key) {
  const { items } = await api.get('/instruments');
  return items.filter((i) => i.key === key).sort((a, b) => b.version - a.version)[0];
}

/**
 * A site with a coordinator and a participant whose interview was postponed
 * (participant absent), then screened READY, consented, interviewed in one
 * recorded session and screened again (POSTPONE); and a note about them.
 */
async function fieldwork(tag, { language = 'en', complete = false } = {}) {
  const s = await seed(tag);
  const a = await admin();
  const coordinator = `${unique(`coord-${tag}`)}@example.org`;
  await a.post('/users', { email: coordinator, display_name: `Coordinator ${tag}`, role: 'coordinator', password: PASSWORD, site_ids: [s.site.id], language });
  const pid = s.participant.id;
  const iv = s.interview;
  const later = new Date(Math.ceil(Date.now() / 60000) * 60000 + 10 * 60000).toISOString();
  await s.api.post(`/interviews/${iv.id}/postponements`, { reason: 'participant_absent', new_scheduled_at: later, allow_outside_opening_hours: true });
  const poss = await instrument(s.api, 'poss');
  const capacity = await instrument(s.api, 'capacity');
  await s.api.post(`/participants/${pid}/screenings`, { instrument_id: poss.id, responses: { sedation: '1' } });
  await s.api.post(`/participants/${pid}/screenings`, {
    instrument_id: capacity.id, responses: Object.fromEntries(capacity.items.map((i) => [i.key, '2'])),
  });
  await s.api.post(`/participants/${pid}/consents`, { form_version: '1.0', method: 'written' });
  await s.api.post(`/interviews/${iv.id}/sessions`);
  await s.api.post(`/interviews/${iv.id}/sessions/1/end`, { recorded: true, recording_label: 'REC_0815', note: 'Talked through the daily routine.' });
  if (complete) await s.api.post(`/interviews/${iv.id}/complete`);
  await s.api.post(`/participants/${pid}/screenings`, { instrument_id: poss.id, responses: { sedation: '3' } });
  const note = await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: s.site.id, observed_at: new Date(Date.now() - 60e3).toISOString(),
    location: 'waiting_room', body: `In the waiting room, ${s.participant.pseudonym} asks about the next wave.`, participant_ids: [pid],
  });
  return { s, a, coordinator, note };
}

/** Dates as the page writes them (the browser's own Intl). */
const pageDay = (page, iso, year = false) => page.evaluate(([d, y]) => new Intl.DateTimeFormat(document.documentElement.lang === 'nb' ? 'nb-NO' : 'en-GB', {
  timeZone: 'UTC', day: 'numeric', month: 'short', ...(y ? { year: 'numeric' } : {}),
}).format(new Date(`${d}T12:00:00Z`)), [iso, year]);
const plusDays = (iso, n) => isoDay(Date.parse(`${iso}T12:00:00Z`) + n * 864e5);

test('the participant list shows status, wave and due window, and a participant’s timeline merges screenings, consent, the interview and notes', async (t) => {
  const { s, a, coordinator, note } = await fieldwork('people');
  const tag = s.participant.pseudonym.replace(/^Lark-/, '');
  const started = (days) => isoDay(Date.now() - days * 864e5);
  const due = await a.post('/participants', { pseudonym: `Dunlin-${tag}`, site_id: s.site.id, treatment_started_on: started(30) });
  const soon = await a.post('/participants', { pseudonym: `Egret-${tag}`, site_id: s.site.id, treatment_started_on: started(10) });
  const ended = await a.post('/participants', { pseudonym: `Finch-${tag}`, site_id: s.site.id, treatment_started_on: started(40) });
  await a.call('PATCH', `/participants/${ended.id}`, { status: 'ended' });
  // One who consented and withdrew.
  const gone = await a.post('/participants', { pseudonym: `Grebe-${tag}`, site_id: s.site.id, treatment_started_on: started(32) });
  const poss = await instrument(s.api, 'poss');
  const capacity = await instrument(s.api, 'capacity');
  await s.api.post(`/participants/${gone.id}/screenings`, { instrument_id: poss.id, responses: { sedation: '1' } });
  await s.api.post(`/participants/${gone.id}/screenings`, {
    instrument_id: capacity.id, responses: Object.fromEntries(capacity.items.map((i) => [i.key, '2'])),
  });
  const consent = await s.api.post(`/participants/${gone.id}/consents`, { form_version: '1.0', method: 'oral_recorded' });
  await a.post(`/consents/${consent.id}/withdraw`, { reason: 'Moved to another town.', data_decision: 'keep' });

  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('link', { name: 'Participants', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Participants' }).waitFor();
  const list = page.locator('.desk-list');
  await list.getByText('5 shown').waitFor();

  // Status, the wave due and its window, booked or not; the next wave to open.
  const card = (p) => list.locator(`a[data-participant="${p.id}"]`);
  const waves = (await s.api.get('/settings/waves')).waves;
  const w1 = waves.find((w) => w.wave === 1);
  const dueNow = (await a.get(`/participants/due?wave=1&site_id=${s.site.id}`)).items;
  const dueOf = (p) => dueNow.find((d) => d.participant_id === p.id);
  const window = async (d) => `Wave 1 · ${await pageDay(page, d.opens_on)} – ${await pageDay(page, d.closes_on)}`;
  const mine = await card(s.participant).innerText();
  assert.ok(mine.includes('active'), mine);
  assert.ok(mine.includes(await window(dueOf(s.participant))), `the window of wave 1: ${mine}`);
  assert.match(mine, /Window open|Closing soon/);
  assert.match(mine, /booked /);
  const dunlin = await card(due).innerText();
  assert.ok(dunlin.includes(await window(dueOf(due))), dunlin);
  assert.match(dunlin, /not booked/);
  assert.equal(dueOf(due).opens_on, plusDays(due.treatment_started_on, w1.opens_day), 'the API counts the window from the start of treatment');
  const egret = await card(soon).innerText();
  assert.ok(egret.includes(`Wave 1 opens ${await pageDay(page, plusDays(soon.treatment_started_on, w1.opens_day), true)}`), egret);
  const finch = await card(ended).innerText();
  assert.ok(finch.includes('ended') && !finch.includes('Wave'), `no wave for an ended participant: ${finch}`);
  await everywhere(page, 'people-list');

  // Filters: status, and the start of the pseudonym.
  await list.getByLabel('Status').selectOption('ended');
  await list.getByRole('button', { name: 'Show' }).click();
  await list.getByText('1 shown').waitFor();
  assert.equal(await card(ended).count(), 1);
  await list.getByLabel('Status').selectOption('withdrawn');
  await list.getByRole('button', { name: 'Show' }).click();
  await list.getByText('1 shown').waitFor();
  assert.match(await card(gone).innerText(), /withdrawn/);
  await card(gone).click();
  const withdrawn = page.locator('.desk-item li.ev-withdrawn');
  assert.match(await withdrawn.innerText(), /Consent withdrawn[\s\S]*Moved to another town\.[\s\S]*Their data is kept\./);
  assert.match(await page.locator('.desk-item li.ev-consent').innerText(), /Oral, recorded, form version 1\.0\./);
  const order = await page.locator('.desk-item ol.timeline > li').evaluateAll((lis) => lis.map((li) => li.className));
  assert.ok(order.indexOf('ev ev-withdrawn') < order.indexOf('ev ev-consent'), `the withdrawal above the consent: ${order}`);
  await page.getByRole('link', { name: '← All participants' }).click();
  await list.getByText('1 shown').waitFor();
  await list.getByLabel('Status').selectOption('');
  await list.getByLabel('Pseudonym starts with').fill('dunl');
  await list.getByRole('button', { name: 'Show' }).click();
  // The list before said "1 shown" too (the withdrawn one): wait for the
  // new list's card, then check it is the only one.
  await card(due).waitFor();
  await list.getByText('1 shown').waitFor();
  assert.equal(await list.locator('a[data-participant]').count(), 1);
  await list.getByLabel('Pseudonym starts with').fill('');
  await list.getByRole('button', { name: 'Show' }).click();
  await list.getByText('5 shown').waitFor();

  // The timeline, newest first.
  await card(s.participant).click();
  const item = page.locator('.desk-item');
  await item.getByRole('heading', { level: 2, name: s.participant.pseudonym }).waitFor();
  assert.ok(!(await list.isVisible()), 'a phone shows only the participant');
  await item.getByText('Newest first.').waitFor();
  const events = item.locator('ol.timeline > li');
  const ev = (kind, title) => item.locator(`li.ev-${kind}`, { has: page.getByRole('heading', { level: 4, name: title }) });
  const times = await events.locator('time').evaluateAll((ts) => ts.map((x) => Date.parse(x.getAttribute('datetime'))));
  assert.ok(times.length >= 9, `every event: ${times.length}`);
  assert.deepEqual(times, [...times].sort((x, y) => y - x), 'newest first');

  const screenings = await ev('screening', 'Screening: POSS (sedation)').allInnerTexts();
  assert.ok(screenings.some((x) => x.includes('READY')), 'a READY screening');
  assert.ok(screenings.some((x) => x.includes('POSTPONE') && /frequently drowsy/.test(x)), `a POSTPONE screening with its reason: ${screenings}`);
  assert.match(await ev('screening', /Capacity to consent/).innerText(), /READY/);
  assert.match(await ev('consent', 'Consent given').innerText(), /Written, form version 1\.0\./);
  const postponed = await ev('postponed', 'Interview postponed (wave 1)').innerText();
  assert.match(postponed, /Participant absent/, 'the reason in words');
  assert.doesNotMatch(postponed, /participant_absent/, 'not the code');
  const session = await ev('session', 'Session 1 (wave 1)').innerText();
  assert.match(session, /\d+ minutes\. Recorded \(REC_0815\)\./);
  assert.match(session, /Talked through the daily routine\./);
  const booked = ev('booked', 'Interview booked (wave 1)');
  assert.match(await booked.innerText(), /Now: In progress/);
  assert.equal(await booked.getByRole('link', { name: 'Open the interview' }).getAttribute('href'), `#/participant/${s.participant.id}?interview=${s.interview.id}`);
  const noted = ev('note', 'Note (Waiting room)');
  assert.match(await noted.innerText(), /asks about the next wave/);
  assert.equal(await noted.getByRole('link', { name: 'Open the note' }).getAttribute('href'), `#/notes/${note.id}`);
  await ev('registered', 'Registered').waitFor();
  await everywhere(page, 'people-timeline');

  // From 1024 px the list and the participant stand side by side.
  await page.setViewportSize({ width: 1280, height: 800 });
  const [listBox, itemBox] = [await list.boundingBox(), await item.boundingBox()];
  assert.ok(itemBox.x > listBox.x + listBox.width - 1, 'desk layout: the participant beside the list');
  assert.equal(await card(s.participant).getAttribute('aria-current'), 'page');
  await page.setViewportSize({ width: 390, height: 844 });

  // The actions are on the participant's own screen.
  await item.getByRole('link', { name: 'Screening, consent and sessions' }).click();
  await page.getByRole('heading', { level: 1, name: s.participant.pseudonym }).waitFor();
  assert.match(page.url(), new RegExp(`#/participant/${s.participant.id}$`));

  // A fieldworker has no desk.
  const fw = await openPhone(t);
  await signIn(fw.page, s.email, PASSWORD);
  await fw.page.goto(`${BASE}/#/more/people`);
  await fw.page.getByText('Only coordinators and admins plan here.').waitFor();
});

test('the participant list comes a page at a time', async (t) => {
  const s = await seed('paging', { interview: false });
  const a = await admin();
  const coordinator = `${unique('coord-pg')}@example.org`;
  await a.post('/users', { email: coordinator, display_name: 'Coordinator Paging', role: 'coordinator', password: PASSWORD, site_ids: [s.site.id], language: 'en' });
  const tag = unique('pg').replace(/-/g, '');
  const started = isoDay(Date.now() - 100 * 864e5);
  for (let i = 0; i < 52; i += 1) {
    await a.post('/participants', { pseudonym: `Gull${tag}${String(i).padStart(2, '0')}`, site_id: s.site.id, treatment_started_on: started });
  }
  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  await page.goto(`${BASE}/#/more/people`);
  const list = page.locator('.desk-list');
  await list.getByText('50 shown').waitFor();
  await list.getByRole('button', { name: 'Show more' }).click();
  await list.getByText('53 shown').waitFor();
  assert.ok(await list.getByRole('button', { name: 'Show more' }).isHidden(), 'no more pages');
  const ids = await list.locator('a[data-participant]').evaluateAll((as) => as.map((x) => x.dataset.participant));
  assert.equal(new Set(ids).size, 53, 'every participant once');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.participant), ids[50], 'the first of the new page has the focus');
  // Opening one keeps the pages already shown (the list beside it on a desk).
  await page.setViewportSize({ width: 1280, height: 800 });
  await list.locator(`a[data-participant="${ids[52]}"]`).click();
  await page.locator('.desk-item h2[tabindex]').waitFor();
  await list.getByText('53 shown').waitFor();
  assert.equal(await list.locator(`a[data-participant="${ids[52]}"]`).getAttribute('aria-current'), 'page');
});

// The source paper's Table 1: three levels.
const TABLE_1 = [
  ['Benefits', [
    ['Access to medical heroin', ['Reduced stress and financial pressure', 'New routines and hope']],
    ['Patient–clinician relations', ['Respectful engagements', 'Being heard']],
    ['Supporting environment', ['Opportunities for psychosocial assistance', 'Safer usage setting']],
  ]],
  ['Challenges', [
    ['Treatment scheme', ['Lack of medications', 'Too intense']],
    ['Clinic rules', ['Unfounded rules', 'Negative influence on relation with clinicians']],
    ['Downtime and uncertainties', ['Too much downtime', 'Uncertainties about project’s future']],
  ]],
];

/** GET /codes?tree=true as { name: { id, dimension, description, children: {...} } }. */
async function treeOf(api) {
  const walk = (items) => Object.fromEntries(items.map((c) => [c.name, { ...c, children: walk(c.children || []) }]));
  return walk((await api.get('/codes?tree=true')).items);
}

test('a coordinator types the three levels of Table 1 from the keyboard, then renames, describes, sets a dimension and moves codes', async (t) => {
  const s = await seed('codebook', { interview: false });
  const a = await admin();
  const coordinator = `${unique('coord-cb')}@example.org`;
  await a.post('/users', { email: coordinator, display_name: 'Coordinator Codebook', role: 'coordinator', password: PASSWORD, site_ids: [s.site.id], language: 'en' });
  const tag = unique('t1');
  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('link', { name: 'Codebook' }).click();
  await page.getByRole('heading', { level: 1, name: 'Codebook' }).waitFor();
  await page.getByLabel('New top-level code').waitFor();
  await everywhere(page, 'codebook');

  // Typed without a pause on a slow link (every code takes 150 ms to
  // store): Shift+Enter goes under the code just added, Enter adds the next
  // at the same level, Escape goes up; keys never wait for the server.
  const slow = async (route) => {
    if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 150));
    await route.continue().catch(() => {});
  };
  await page.route('**/api/v1/codes', slow);
  const began = Date.now();
  await page.getByLabel('New top-level code').focus();
  await lib.typeCodebook(page.keyboard, TABLE_1, (theme) => `${theme} ${tag}`);
  const item = page.locator('.desk-item');
  await item.getByRole('heading', { level: 2, name: 'Top level' }).waitFor();
  const tree = page.locator('.desk-list');
  await tree.locator('button.code', { hasText: 'Uncertainties about project’s future' }).waitFor();
  console.log(`Table 1 (20 codes) typed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  await page.unroute('**/api/v1/codes', slow);
  const codes = await poll(async () => {
    const all = await treeOf(a);
    const n = (x) => Object.keys(x.children).length;
    const b = all[`Benefits ${tag}`];
    const c = all[`Challenges ${tag}`];
    return b && c && n(b) === 3 && n(c) === 3 && Object.values({ ...b.children, ...c.children }).every((x) => n(x) === 2) ? all : null;
  });
  for (const [theme, categories] of TABLE_1) {
    const root = codes[`${theme} ${tag}`];
    assert.equal(root.parent_id ?? null, null);
    assert.deepEqual(Object.keys(root.children).sort(), categories.map(([c]) => c).sort(), `the categories of ${theme}`);
    for (const [category, subs] of categories) {
      assert.deepEqual(Object.keys(root.children[category].children).sort(), [...subs].sort(), `the subcategories of ${category}`);
    }
  }
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'name', 'the field keeps the focus');
  assert.equal(await page.getByLabel('New top-level code').inputValue(), '', 'nothing left over in the field');

  // The tree is nested lists of buttons, the chosen code marked.
  const benefits = codes[`Benefits ${tag}`];
  const access = benefits.children['Access to medical heroin'];
  assert.equal(await tree.locator(`ul.tree > li > ul > li > button[data-code="${access.id}"]`).count(), 1, 'a category is a list item inside its theme’s list');

  // Dimension, description and a new name.
  await tree.locator(`button[data-code="${access.id}"]`).click();
  await item.getByRole('heading', { level: 2, name: 'Access to medical heroin' }).waitFor();
  assert.equal(await tree.locator(`button[data-code="${access.id}"]`).getAttribute('aria-current'), 'true');
  await item.getByLabel('Dimension').fill('medical');
  await item.getByLabel('Description').fill('Stable access to the medication, with its social and financial effects.');
  await item.getByLabel('Name', { exact: true }).fill('Access to medical heroin (HAT)');
  await item.getByRole('button', { name: 'Save' }).click();
  await item.getByText('Saved.').waitFor();
  await item.getByRole('heading', { level: 2, name: 'Access to medical heroin (HAT)' }).waitFor();
  let code = (await a.get('/codes')).items.find((c) => c.id === access.id);
  assert.equal(code.name, 'Access to medical heroin (HAT)');
  assert.equal(code.dimension, 'medical');
  assert.match(code.description, /Stable access/);
  await tree.locator(`button[data-code="${access.id}"]`, { hasText: 'medical' }).waitFor();
  await everywhere(page, 'codebook-code');

  // The study's own word as a dimension.
  const downtime = codes[`Challenges ${tag}`].children['Downtime and uncertainties'];
  await tree.locator(`button[data-code="${downtime.id}"]`).click();
  await item.getByRole('heading', { level: 2, name: 'Downtime and uncertainties' }).waitFor();
  await item.getByLabel('Dimension').fill('configurational and relational');
  await item.getByRole('button', { name: 'Save' }).click();
  await item.getByText('Saved.').waitFor();
  code = (await a.get('/codes')).items.find((c) => c.id === downtime.id);
  assert.equal(code.dimension, 'configurational and relational');

  // Move "Too intense" under "Clinic rules", then to the top level.
  const challenges = codes[`Challenges ${tag}`];
  const intense = challenges.children['Treatment scheme'].children['Too intense'];
  const rules = challenges.children['Clinic rules'];
  await tree.locator(`button[data-code="${intense.id}"]`).click();
  await item.getByRole('heading', { level: 2, name: 'Too intense' }).waitFor();
  await item.getByLabel('Move “Too intense” under').selectOption({ label: `Challenges ${tag} › Clinic rules` });
  await item.getByRole('button', { name: 'Move', exact: true }).click();
  await item.getByText('Moved under “Clinic rules”.').waitFor();
  assert.equal((await a.get('/codes')).items.find((c) => c.id === intense.id).parent_id, rules.id);
  await tree.locator(`button[data-code="${rules.id}"] + ul button[data-code="${intense.id}"]`).waitFor();
  await item.getByLabel('Move “Too intense” under').selectOption({ label: 'Top level' });
  await item.getByRole('button', { name: 'Move', exact: true }).click();
  await item.getByText('Moved to the top level.').waitFor();
  assert.equal((await a.get('/codes')).items.find((c) => c.id === intense.id).parent_id ?? null, null);

  // From 1024 px the tree and the code stand side by side.
  await page.setViewportSize({ width: 1280, height: 800 });
  const [treeBox, itemBox] = [await tree.boundingBox(), await item.boundingBox()];
  assert.ok(itemBox.x > treeBox.x + treeBox.width - 1, 'desk layout: the code beside the tree');
  await page.setViewportSize({ width: 390, height: 844 });
});

test('in bokmål: refusals at the field with nothing typed lost, merging two codes moves their codings, deleting asks where the codings go', async (t) => {
  const s = await seed('merge', { interview: false });
  const a = await admin();
  const coordinator = `${unique('coord-nb')}@example.org`;
  await a.post('/users', { email: coordinator, display_name: 'Koordinator', role: 'coordinator', password: PASSWORD, site_ids: [s.site.id], language: 'nb' });
  const tag = unique('m');
  const root = await a.post('/codes', { name: `Rot ${tag}` });
  const codeA = await a.post('/codes', { name: 'Ventetid', parent_id: root.id });
  const codeB = await a.post('/codes', { name: 'Nedetid', parent_id: root.id });
  const codeC = await a.post('/codes', { name: 'Dødtid', parent_id: root.id });
  const codeD = await a.post('/codes', { name: 'Mellom dosene', parent_id: codeA.id });
  const body = 'Lang ventetid mellom dosene, ingenting å gjøre.';
  const note = await s.api.post('/notes', {
    id: crypto.randomUUID(), site_id: s.site.id, observed_at: new Date(Date.now() - 60e3).toISOString(),
    location: 'outside', body, code_ids: [codeA.id, codeC.id],
  });
  await s.api.post(`/notes/${note.id}/codings`, { code_id: codeC.id, start: 0, end: 13 });

  const { page } = await openPhone(t, { locale: 'nb-NO' });
  await signIn(page, coordinator, PASSWORD);
  await page.goto(`${BASE}/#/more/codebook`);
  await page.getByRole('heading', { level: 1, name: 'Kodebok' }).waitFor();
  const tree = page.locator('.desk-list');
  const item = page.locator('.desk-item');
  const open = async (c) => {
    await tree.locator(`button[data-code="${c.id}"]`).click();
    await item.getByRole('heading', { level: 2, name: c.name }).waitFor();
  };

  // A name already under the same code: refused at the field, the name kept.
  await open(root);
  const add = item.getByLabel(`Ny kode under «Rot ${tag}»`);
  await add.fill('Nedetid');
  await add.press('Enter');
  const taken = item.locator('.field-error', { hasText: 'Det finnes allerede en kode med dette navnet på dette stedet i treet.' });
  await taken.waitFor();
  assert.equal(await add.inputValue(), 'Nedetid', 'what was typed comes back');
  assert.equal(await add.getAttribute('aria-invalid'), 'true');
  assert.ok((await add.getAttribute('aria-describedby')).split(' ').includes(await taken.getAttribute('id')));
  await everywhere(page, 'codebook-taken-nb');
  await add.fill('Kjedsomhet');
  await add.press('Enter');
  await item.getByText(`La til «Kjedsomhet» under «Rot ${tag}».`).waitFor();
  assert.equal(await item.locator('.field-error').count(), 0, 'the refusal is gone');

  // Under itself or its own code: not offered (the server refuses it too,
  // with code_cycle: the API tests hold that).
  await open(codeA);
  const moveTo = item.getByLabel('Flytt «Ventetid» under');
  const offered = await moveTo.locator('option').allInnerTexts();
  assert.ok(offered.includes(`Rot ${tag} › Nedetid`), `${offered}`);
  assert.ok(!offered.some((o) => o.includes('Ventetid')), `not under itself or its own: ${offered}`);
  assert.equal(codeD.parent_id, codeA.id, 'Mellom dosene is under Ventetid');
  await everywhere(page, 'codebook-move-nb');

  // Merging a code that has codes under it: refused at the field.
  const mergeInto = item.getByLabel('Slå «Ventetid» sammen med');
  await mergeInto.selectOption({ label: `Rot ${tag} › Nedetid` });
  await item.getByRole('button', { name: 'Slå sammen' }).click();
  await item.locator('.field-error', { hasText: 'Koder under den: 1. Flytt eller slett dem først.' }).waitFor();
  assert.equal(await mergeInto.getAttribute('aria-invalid'), 'true');
  assert.ok((await a.get('/codes')).items.some((c) => c.id === codeA.id), 'not merged');

  // Merge "Dødtid" into "Nedetid": the note and its passage now carry "Nedetid".
  await open(codeC);
  await item.getByLabel('Slå «Dødtid» sammen med').selectOption({ label: `Rot ${tag} › Nedetid` });
  await item.getByRole('button', { name: 'Slå sammen' }).click();
  await item.getByRole('heading', { level: 2, name: 'Nedetid' }).waitFor();
  await item.getByText('«Dødtid» ble slått sammen med denne koden: kodingene er nå denne kodens.').waitFor();
  let codes = (await a.get('/codes')).items;
  assert.ok(!codes.some((c) => c.id === codeC.id), 'the merged code is gone');
  let stored = await a.get(`/notes/${note.id}`);
  assert.ok(stored.code_ids.includes(codeB.id) && !stored.code_ids.includes(codeC.id), `the note's codes: ${stored.code_ids}`);
  const codings = await a.get(`/notes/${note.id}/codings`);
  const passages = codings.items || codings;
  assert.deepEqual(passages.map((x) => x.code_id), [codeB.id], 'the passage coding moved too');
  assert.equal(await tree.locator(`button[data-code="${codeC.id}"]`).count(), 0);
  await everywhere(page, 'codebook-merged-nb');

  // Delete "Mellom dosene" (no codings): asked first, then gone.
  await open(codeD);
  await item.getByRole('button', { name: 'Slett «Mellom dosene»' }).click();
  await item.getByText('Slette «Mellom dosene» for godt?').waitFor();
  await item.getByRole('button', { name: 'Ja, slett den' }).click();
  await item.getByText('Slettet «Mellom dosene».').waitFor();
  await item.getByRole('heading', { level: 2, name: 'Ventetid' }).waitFor();
  assert.ok(!(await a.get('/codes')).items.some((c) => c.id === codeD.id));

  // Delete "Ventetid", which the note is coded with: one question, where the codings go (never "for good?" first).
  await item.getByRole('button', { name: 'Slett «Ventetid»' }).click();
  await item.getByText('Kodinger med «Ventetid» i notater eller transkripsjoner: 1.', { exact: false }).waitFor();
  assert.equal(await item.getByRole('button', { name: 'Ja, slett den' }).count(), 0, 'asked once');
  await everywhere(page, 'codebook-in-use-nb');
  await item.getByLabel('Flytt kodingene til').selectOption({ label: `Rot ${tag} › Nedetid` });
  await item.getByRole('button', { name: 'Flytt kodingene og slett' }).click();
  await item.getByText('Slettet «Ventetid».').waitFor();
  codes = (await a.get('/codes')).items;
  assert.ok(!codes.some((c) => c.id === codeA.id));
  stored = await a.get(`/notes/${note.id}`);
  assert.deepEqual(stored.code_ids, [codeB.id], 'the codings of the deleted code went to “Nedetid”');
});

/** The groups of a grouped table: [{ name, rows: [[row name, cell]] }]. */
const groupsOf = (table) => table.locator('tbody').evaluateAll((tbs) => tbs.map((tb) => ({
  name: tb.querySelector('th[scope=rowgroup]').textContent.trim(),
  rows: [...tb.rows].map((tr) => [tr.querySelector('th[scope=row]').textContent.trim(), tr.querySelector('td').textContent.trim()]),
})));

/** The cells of a table's rows: [[row header, ...cells]]. */
const rowsOf = (table) => table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));

test('the fieldwork report: numbers equal to the API’s, SVG charts with their tables, small counts hidden; in bokmål “færre enn 5”', async (t) => {
  const { coordinator } = await fieldwork('report', { complete: true });
  const api = await lib.Api.login(coordinator, PASSWORD);
  const { page } = await openPhone(t);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await signIn(page, coordinator, PASSWORD);
  await page.goto(`${BASE}/#/more`);
  await page.getByRole('link', { name: 'Fieldwork report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Fieldwork report' }).waitFor();
  const numbers = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'In numbers' }) });
  await numbers.waitFor();

  const r = await api.get('/reports/fieldwork');
  const n = (x) => (typeof x === 'number' ? new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }).format(x) : x);
  const numberRows = Object.fromEntries(await rowsOf(numbers.locator('table')));
  assert.equal(numberRows.Participants, n(r.participants_total));
  assert.equal(numberRows.Interviews, n(r.interviews_total));
  assert.equal(numberRows['Interviews postponed at least once'], n(r.interviews_postponed));
  assert.equal(numberRows.Postponements, n(r.postponements_total));
  assert.equal(numberRows['Interviews in more than one session'], n(r.interviews_split));
  assert.equal(numberRows['Minutes per completed interview (mean)'], n(r.minutes_mean));
  assert.equal(numberRows.Completed, n(r.interviews_by_status.completed));
  assert.equal(r.interviews_by_status.completed, 1);

  const chart = (name) => page.locator('section.chart', { has: page.getByRole('heading', { level: 2, name }) });
  // Interviews by site and status: a bar per status, the table the same.
  const bySite = chart('Interviews by site and status');
  assert.equal(await bySite.locator('svg[aria-hidden=true] rect.bar').count(),
    r.interviews_by_site.reduce((k, x) => k + Object.keys(x.by_status).length, 0), 'a bar per site and status');
  const groups = await groupsOf(bySite.locator('table'));
  assert.equal(groups.length, r.interviews_by_site.length, 'a group of rows per site');
  const STATUS = { completed: 'Completed', scheduled: 'Scheduled', postponed: 'Postponed', in_progress: 'In progress', cancelled: 'Cancelled' };
  for (const x of r.interviews_by_site) {
    const g = groups.find((y) => y.name === x.site_name);
    assert.ok(g, `rows for ${x.site_name}`);
    assert.deepEqual(g.rows, [...Object.entries(x.by_status).sort(([p], [q]) => Object.keys(STATUS).indexOf(p) - Object.keys(STATUS).indexOf(q))
      .map(([st, c]) => [STATUS[st], n(c)]), ['Total', n(x.total)]], x.site_name);
  }
  const people = await groupsOf(page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'Participants by site' }) }).locator('table'));
  for (const x of r.participants_by_site) {
    assert.deepEqual(people.find((y) => y.name === x.site_name)?.rows,
      [['Active', n(x.active)], ['Withdrawn', n(x.withdrawn)], ['Ended', n(x.ended)], ['Total', n(x.total)]], x.site_name);
  }
  assert.equal(await bySite.locator('table').getAttribute('aria-labelledby'), await bySite.locator('h2').getAttribute('id'), 'the table is named by the chart’s heading');
  // Postponements by reason, in words.
  const byReason = chart('Postponements by reason');
  const reasonRows = Object.fromEntries(await rowsOf(byReason.locator('table')));
  assert.equal(reasonRows['Participant absent'], n(r.postponements_by_reason.participant_absent));
  assert.equal(reasonRows.Total, n(r.postponements_total));
  assert.ok(!(await byReason.innerText()).includes('participant_absent'), 'reasons in words, not codes');
  assert.equal(await byReason.locator('svg rect.bar').count(), Object.keys(r.postponements_by_reason).length);
  assert.ok((await byReason.locator('svg text').allTextContents()).includes('Participant absent'));
  // Sessions per interview.
  const sessions = Object.fromEntries(await rowsOf(chart('Sessions per interview').locator('table')));
  for (const [k, c] of Object.entries(r.sessions_per_interview)) assert.equal(sessions[k === '1' ? '1 session' : `${k} sessions`], n(c));
  // Days from first booking to completion: every bucket.
  const days = await rowsOf(chart('Days from first booking to completion').locator('table'));
  assert.equal(days.length, r.days_to_completion.length);
  assert.deepEqual(days.map((x) => x[1]), r.days_to_completion.map((b) => n(b.interviews)));
  assert.equal(days.at(-1)[0], `${r.days_to_completion.at(-1).min_days} days or more`);
  assert.equal(await chart('Days from first booking to completion').locator('svg rect.bar').count(), r.days_to_completion.length);
  // Retention by wave: a bar per site and wave (those interviewed), and a
  // row per site and wave with every count.
  const retention = chart('Retention by wave: interviewed in each wave, by site');
  const waveRows = await rowsOf(retention.locator('table'));
  const wantWaves = r.waves_by_site.flatMap((x) => x.waves.map((w) => [`${x.site_name}, Wave ${w.wave}`,
    n(w.eligible), n(w.interviewed), n(w.in_window_now), n(w.missed), n(w.withdrawn)]));
  assert.deepEqual(waveRows.map((row) => row.slice(0, 6)), wantWaves);
  assert.equal(await retention.locator('svg rect').count() - 1, wantWaves.length, 'a bar per site and wave');
  assert.ok(r.waves.some((w) => w.interviewed >= 1), `someone interviewed in a wave: ${JSON.stringify(r.waves)}`);
  // The methods paragraph, copied.
  const methods = page.locator('.methods');
  assert.equal(await methods.innerText(), r.methods_text);
  await page.getByRole('button', { name: 'Copy the text' }).click();
  await page.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), r.methods_text);
  await everywhere(page, 'report');

  // One site, small counts hidden.
  await page.getByLabel('Hide small numbers (1 to 4 are shown as “fewer than 5”)').check();
  await page.getByRole('button', { name: 'Show the report' }).click();
  await page.locator('.report').getByText('fewer than 5').first().waitFor();
  const hidden = await api.get('/reports/fieldwork?suppress_small=true');
  const hiddenRows = Object.fromEntries(await rowsOf(numbers.locator('table')));
  assert.equal(hidden.postponements_total, 'fewer than 5');
  assert.equal(hiddenRows.Postponements, 'fewer than 5');
  assert.equal(hiddenRows['Interviews postponed at least once'], hidden.interviews_postponed === 'fewer than 5' ? 'fewer than 5' : n(hidden.interviews_postponed));
  assert.ok(await chart('Postponements by reason').locator('svg rect.hidden').count() >= 1, 'a hatched bar for a hidden count');
  await chart('Postponements by reason').getByText('Hatched bars: fewer than 5, the exact number hidden.').waitFor();
  assert.equal(Object.fromEntries(await rowsOf(chart('Postponements by reason').locator('table')))['Participant absent'], 'fewer than 5');
  await everywhere(page, 'report-small');

  // In bokmål: the words, and the server's paragraph in bokmål.
  await page.getByRole('button', { name: 'Norsk' }).click();
  await page.getByRole('heading', { level: 1, name: 'Feltarbeidsrapport' }).waitFor();
  await page.getByLabel('Skjul små tall (1 til 4 vises som «færre enn 5»)').check();
  await page.getByRole('button', { name: 'Vis rapporten' }).click();
  const utsatt = page.locator('section.chart', { has: page.getByRole('heading', { level: 2, name: 'Utsettelser etter grunn' }) });
  await utsatt.getByText('færre enn 5').first().waitFor();
  assert.equal(Object.fromEntries(await rowsOf(utsatt.locator('table')))['Deltakeren kom ikke'], 'færre enn 5');
  await page.locator('.methods', { hasText: 'færre enn 5' }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Oppfølging per bølge: intervjuet i hver bølge, per klinikk' }).waitFor();
  await everywhere(page, 'report-small-nb');
});

test('a coordinator corrects at the desk: interviewers, a cancellation with its reason, reopening, gender and age band, a consent withdrawn with its data decision', async (t) => {
  const { s, a, coordinator } = await fieldwork('fix', { complete: true });
  const pid = s.participant.id;
  const other = await a.post('/users', {
    email: `${unique('fix-other')}@example.org`, display_name: `Other ${s.site.name}`, role: 'fieldworker', password: PASSWORD, site_ids: [s.site.id],
  });
  // Wave 2, booked early (flagged, allowed) for the day after tomorrow.
  const later = new Date(Math.ceil(Date.now() / 3600e3) * 3600e3 + 2 * 864e5).toISOString();
  const next = await a.post('/interviews', {
    participant_id: pid, wave: 2, scheduled_at: later, duration_minutes: 45, interviewer_ids: [s.user.id], allow_outside_opening_hours: true,
  });

  const { page } = await openPhone(t);
  await signIn(page, coordinator, PASSWORD);
  await page.goto(`${BASE}/#/more/people/${pid}`);
  const item = page.locator('.desk-item');
  await item.getByRole('heading', { level: 2, name: s.participant.pseudonym }).waitFor();
  const booked = (n) => item.locator('li.ev-booked', { has: page.getByRole('heading', { level: 4, name: `Interview booked (wave ${n})` }) });
  // The list names the booking, though wave 2's window has not opened.
  const card = page.locator(`a[data-participant="${pid}"]`);
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.match(await card.innerText(), /Wave 2: booked /);
  await page.setViewportSize({ width: 390, height: 844 });

  // Other interviewers for wave 2.
  await booked(2).getByRole('button', { name: 'Change interviewers' }).click();
  await booked(2).getByLabel(other.display_name).check();
  await booked(2).getByLabel(s.user.display_name).uncheck();
  await booked(2).getByRole('button', { name: 'Save the interviewers' }).click();
  await item.getByText('Saved. Everyone affected gets an email.').waitFor();
  assert.deepEqual((await a.get(`/interviews/${next.id}`)).interviewer_ids, [other.id]);
  // Each correction says "Saved." anew: wait for the server's state, not the words.
  const state = (id, want) => poll(async () => (await a.get(`/interviews/${id}`)).status === want);

  // Cancelled with a reason; refused at the field without one, nothing lost.
  await booked(2).getByRole('button', { name: 'Cancel the interview' }).click();
  await booked(2).getByRole('button', { name: 'Cancel it' }).click();
  await booked(2).locator('[aria-invalid=true]').first().waitFor();
  await everywhere(page, 'fix-cancel-refused');
  await booked(2).getByLabel('Why is it cancelled?').fill('The participant moved to another clinic for now.');
  await booked(2).getByRole('button', { name: 'Cancel it' }).click();
  await state(next.id, 'cancelled');
  // The page shows it anew: a cancelled interview can be reopened.
  await booked(2).getByRole('button', { name: 'Reopen' }).waitFor();
  let iv = await a.get(`/interviews/${next.id}`);
  assert.equal(iv.status, 'cancelled');
  assert.equal(iv.cancel_reason, 'The participant moved to another clinic for now.');

  // The completed wave-1 interview reopened (back to its sessions).
  await booked(1).getByRole('button', { name: 'Reopen' }).click();
  await booked(1).getByRole('button', { name: 'Reopen it' }).click();
  await state(s.interview.id, 'in_progress');
  await booked(1).getByRole('button', { name: 'Cancel the interview' }).waitFor();

  // Gender and age band.
  await item.getByRole('button', { name: 'Gender and age band' }).click();
  await item.getByLabel('Age band').fill('40–49');
  await item.getByRole('button', { name: 'Save', exact: true }).click();
  await poll(async () => (await a.get(`/participants/${pid}`)).age_band === '40–49');
  await item.getByText('Saved.', { exact: true }).waitFor();

  // Consent withdrawn, keeping the data.
  await item.getByRole('button', { name: 'Withdraw consent' }).click();
  await everywhere(page, 'fix-withdraw');
  await item.getByLabel('What the participant said').fill('Does not want to go on with the study.');
  await item.getByLabel('Keep it (what the consent allows)').check();
  await item.getByRole('button', { name: 'Record the withdrawal' }).click();
  await item.getByText('Withdrawn: 0 screenings deleted', { exact: false }).waitFor();
  const consents = await a.get(`/participants/${pid}/consents`);
  assert.ok(consents.items.every((c) => c.withdrawn_at), 'withdrawn');
  assert.equal((await a.get(`/participants/${pid}`)).status, 'withdrawn');
  await everywhere(page, 'fix-done');
});
