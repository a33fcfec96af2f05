// The participants screen by wave: the list filtered by a participant's
// standing in a wave (interviewed, due, missed, withdrawn), each
// participant's waves as a row (done, booked, due, missed, not yet open),
// and an interview held before Fieldnotes (entered later) in the timeline,
// dated by its sittings, with how readiness was checked then. As the demo
// coordinator; axe-core at a phone's size and a desk's; in bokmål too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lib from './lib.mjs';
import { BASE, DEMO_PASSWORD, Api, admin, launch, signIn, unique, everywhere } from './lib.mjs';

const COORDINATOR = 'demo-coordinator@example.org';
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  const all = lib.axeSummary('people-waves');
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const plusDays = (iso, n) => isoDay(Date.parse(`${iso}T12:00:00Z`) + n * 864e5);
const items = (x) => (Array.isArray(x) ? x : x.items);

test('the list by standing in a wave, a participant’s waves, and an interview entered later in the timeline', async (t) => {
  assert.ok(DEMO_PASSWORD, 'FIELDNOTES_DEMO_PASSWORD is set by .ci/e2e');
  const coord = await Api.login(COORDINATOR, DEMO_PASSWORD);
  const me = await coord.get('/me');
  // The language the demo coordinator had: restored whatever happens.
  t.after(() => coord.call('PATCH', '/me', { language: me.language || 'en' }));
  const a = await admin();
  const siteId = me.site_ids?.[0] || items(await a.get('/sites'))[0].id;
  const site = items(await a.get('/sites')).find((s) => s.id === siteId);
  const interviewer = items(await coord.get('/users'))
    .find((u) => ['fieldworker', 'coordinator'].includes(u.role) && (u.site_ids || []).includes(siteId));
  assert.ok(interviewer, 'someone at the demo coordinator’s site to have held the interview');

  // Treatment started long enough ago that wave 1's window has closed.
  const { waves } = await coord.get('/settings/waves');
  const w1 = waves.find((w) => w.wave === 1);
  const started = isoDay(Date.now() - (w1.closes_day + 5) * 864e5);
  const tag = unique('wv');
  const held = await a.post('/participants', { pseudonym: `${tag}-a`, site_id: siteId, treatment_started_on: started });
  const missed = await a.post('/participants', { pseudonym: `${tag}-b`, site_id: siteId, treatment_started_on: started });
  // Held on paper two days into wave 1's window: two sittings of an hour.
  const day = plusDays(started, w1.opens_day + 2);
  const sessions = [
    { started_at: `${day}T08:00:00Z`, ended_at: `${day}T09:00:00Z` },
    { started_at: `${day}T09:30:00Z`, ended_at: `${day}T10:15:00Z` },
  ];
  const earlier = await coord.post('/interviews/earlier', {
    participant_id: held.id, wave: 1, interviewer_ids: [interviewer.id], sessions, screening_note: 'POSS on paper, 1',
  });
  assert.equal(earlier.entered_later, true);

  const { page } = await lib.openPhone(browser, t);
  await signIn(page, COORDINATOR, DEMO_PASSWORD);
  await page.goto(`${BASE}/#/more/people`);
  await page.getByRole('heading', { level: 1, name: 'Participants' }).waitFor();
  const list = page.locator('.desk-list');
  const card = (p) => list.locator(`a[data-participant="${p.id}"]`);
  const show = async (state) => {
    await list.getByLabel('Pseudonym starts with').fill(tag);
    await list.getByLabel('Wave', { exact: true }).selectOption('1');
    await list.getByLabel('Standing in that wave').selectOption({ label: state });
    await list.getByRole('button', { name: 'Show' }).click();
  };

  // Missed wave 1: the one with nothing done, not the one interviewed.
  await show('Missed wave 1');
  await card(missed).waitFor();
  await list.getByText('1 shown').waitFor();
  assert.equal(await card(held).count(), 0, 'the one interviewed in wave 1 did not miss it');
  assert.match(page.url(), /wave=1&wave_state=missed/);
  await everywhere(page, 'people-waves-missed');

  // Interviewed in wave 1: the other.
  await show('Interviewed in wave 1');
  await card(held).waitFor();
  await list.getByText('1 shown').waitFor();
  assert.equal(await card(missed).count(), 0);
  assert.equal(await list.getByLabel('Standing in that wave').inputValue(), 'interviewed', 'the filter is kept');

  // Their page: wave 1 done on the day of its last sitting, in the site's calendar.
  await card(held).click();
  const item = page.locator('.desk-item');
  await item.getByRole('heading', { level: 2, name: held.pseudonym }).waitFor();
  const row = item.getByRole('list', { name: 'Waves' });
  assert.equal(await row.locator('> li').count(), waves.length, 'one item a wave');
  const doneOn = await page.evaluate(([iso, tz]) => new Intl.DateTimeFormat('en-GB', {
    timeZone: tz, day: 'numeric', month: 'short', year: 'numeric',
  }).format(new Date(iso)), [sessions[1].ended_at, site?.timezone || 'Europe/Oslo']);
  const wave1 = await row.locator('li[data-wave="1"]').innerText();
  assert.ok(wave1.includes('Wave 1') && wave1.includes('Completed') && wave1.includes(doneOn), `wave 1 done on ${doneOn}: ${wave1}`);
  // The timeline: marked entered later, with the readiness then, dated by its first sitting.
  const entry = item.locator('li.ev-earlier');
  const said = await entry.innerText();
  assert.match(said, /Interview \(wave 1\)/);
  assert.match(said, /Entered later/);
  assert.match(said, /Readiness then: POSS on paper, 1/);
  assert.equal(Date.parse(await entry.locator('time').getAttribute('datetime')), Date.parse(sessions[0].started_at));
  assert.equal(await item.locator('li.ev-session').count(), 2, 'both sittings');
  assert.equal(await item.getByRole('link', { name: 'Enter an earlier interview' }).getAttribute('href'), `#/more/earlier/${held.id}`);
  await everywhere(page, 'people-waves-item');

  // The other: wave 1 missed.
  await page.goto(`${BASE}/#/more/people/${missed.id}`);
  await item.getByRole('heading', { level: 2, name: missed.pseudonym }).waitFor();
  assert.match(await item.getByRole('list', { name: 'Waves' }).locator('li[data-wave="1"]').innerText(), /Wave 1\s+Missed/);

  // In bokmål: the filter's words.
  await page.goto(`${BASE}/#/more/people?q=${tag}&wave=1&wave_state=missed`);
  await card(missed).waitFor();
  await page.getByRole('button', { name: 'Norsk' }).click();
  await page.getByRole('heading', { level: 1, name: 'Deltakere' }).waitFor();
  const state = list.getByLabel('Status i den bølgen');
  await state.waitFor();
  assert.equal(await list.getByLabel('Bølge', { exact: true }).inputValue(), '1');
  assert.equal(await state.locator('option:checked').innerText(), 'Gikk glipp av bølge 1');
  await everywhere(page, 'people-waves-nb');
});
