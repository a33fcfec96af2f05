// The whole study, from an empty database (issue 15): on its own server,
// with nobody but the admin, everything a team does to start a study goes
// through the client. The admin signs in and adds two sites with their
// opening hours, invites a coordinator and a peer researcher (each opens the
// link in the real mail and chooses a password on #/accept), enters the
// clinic's own screening form and requires it for readiness. The coordinator
// types a three-level codebook, registers a participant, books an interview,
// finds it on the report's chart and subscribes to the calendar (the feed's
// address is read from the screen and fetched). The peer researcher resets a
// forgotten password through the mailed link. On the way, refusals (a bad
// time zone and email, a weak password, a used link, a rule upside down, a
// code twice, a time outside opening hours) are said at their fields in the
// user's language with nothing typed lost. Run at 390x844 and at 1280x800,
// each in English and in bokmål (two here, two in study-crossed.test.mjs),
// each on a fresh server, with
// axe-core on every screen on the way. The API is only asked to check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import * as lib from './lib.mjs';
import { Api, launch, signIn, screen, check, axeResults, mailedLink, poll } from './lib.mjs';

const BIN = process.env.FIELDNOTES_E2E_BIN;
// Each size in each language: this file runs two of the four, and
// study-crossed.test.mjs the other two (each file stays inside the test
// timeout).
const ALL_RUNS = [
  { name: 'en-390', lang: 'en', desk: false, locale: 'en-GB' },
  { name: 'nb-1280', lang: 'nb', desk: true, locale: 'nb-NO' },
  { name: 'nb-390', lang: 'nb', desk: false, locale: 'nb-NO' },
  { name: 'en-1280', lang: 'en', desk: true, locale: 'en-GB' },
];
const PICKED = (globalThis.FIELDNOTES_STUDY_RUNS || ['en-390', 'nb-1280']);
const RUNS = ALL_RUNS.filter((r) => PICKED.includes(r.name));

// ---- its own server on an empty database ---------------------------------
const servers = new Map();

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** A fresh data directory with only an admin, and `fieldnotes serve` on it. */
async function startServer(name) {
  const dataDir = mkdtempSync(join(tmpdir(), `fn-study-${name}-`));
  const port = await freePort();
  // What .ci/e2e exported for its own server must not leak into this one.
  const env = { ...process.env, FIELDNOTES_DATA_DIR: dataDir, FIELDNOTES_BIND: `127.0.0.1:${port}` };
  for (const k of ['FIELDNOTES_DATABASE_URL', 'FIELDNOTES_SMTP_URL', 'FIELDNOTES_PUBLIC_URL', 'FIELDNOTES_JWT_SECRET',
    'FIELDNOTES_METRICS_BIND', 'FIELDNOTES_ADMIN_PASSWORD']) delete env[k];
  const admin = { email: `admin-${name}@example.org`, password: `study-admin-${Math.random().toString(36).slice(2)}` };
  await promisify(execFile)(BIN, ['create-admin', '--email', admin.email, '--name', 'Study Admin'], {
    env: { ...env, FIELDNOTES_ADMIN_PASSWORD: admin.password },
  });
  const logFile = join(dataDir, 'server.log');
  const fd = openSync(logFile, 'w');
  const proc = spawn(BIN, ['serve'], { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const server = { name, url, dataDir, admin, proc, exited, logFile };
  servers.set(name, server);
  await poll(async () => (await fetch(`${url}/health`).catch(() => null))?.ok, { timeout: 30000, interval: 100 })
    .catch(() => assert.fail(`the server did not start:\n${readFileSync(logFile, 'utf8')}`));
  return server;
}

let browser;
before(async () => {
  assert.ok(BIN, 'FIELDNOTES_E2E_BIN names the server binary (.ci/e2e exports it)');
  browser = await launch();
  await Promise.all(RUNS.map((r) => startServer(r.name)));
});
after(async () => {
  for (const s of servers.values()) {
    s.proc.kill('SIGTERM');
    await Promise.race([s.exited, new Promise((r) => setTimeout(r, 5000))]);
    const log = readFileSync(s.logFile, 'utf8');
    rmSync(s.dataDir, { recursive: true, force: true });
    assert.ok(!log.includes('panicked'), `the server of ${s.name} panicked:\n${log.slice(-3000)}`);
  }
  const all = axeResults.reduce((n, r) => n + r.violations.length, 0);
  console.log(`axe-core (study): ${axeResults.length} screens checked, ${all} violations of any impact`);
  await browser?.close();
  assert.equal(all, 0, 'axe-core: no violations at all on these screens');
});

// ---- the words the user reads -------------------------------------------
const W = {
  en: {
    today: 'Today', more: 'More', schedule: 'Schedule', check: 'Check the marked fields.', saved: 'Saved.',
    english: 'English', bokmal: 'Norwegian bokmål',
    sites: 'Sites', noSites: 'No sites yet.', name: 'Name', tz: 'Time zone', opens: 'Opens', closes: 'Closes', remove: 'Remove',
    addSite: 'Add the site', siteAdded: (n) => `${n} is added.`, tzErr: 'Choose a time zone from the list, e.g. Europe/Oslo.',
    team: 'Team', email: 'Email', coordinator: 'Coordinator', fieldworker: 'Fieldworker',
    peerBox: 'Peer researcher (a researcher with lived experience)', peer: 'Peer researcher', pending: 'Invitation pending',
    language: 'English', send: 'Send the invitation', invited: (e) => `Invitation sent to ${e}.`, badEmail: 'This is not an email address.',
    inviteMail: /has invited you/, resetMail: /reset your Fieldnotes password/,
    acceptTitle: 'Choose your password', newPw: 'New password', savePw: 'Save the password',
    short: 'The password is too short: use at least 12 characters.',
    repeated: 'The password must not be one character repeated.',
    pwSaved: 'Your password is saved. Sign in with your email address and the new password.',
    usedLink: 'This invitation link does not work: it is incomplete, more than 7 days old, or was already used.',
    askInviter: 'Ask the person who invited you to send a new invitation.',
    signInBtn: 'Sign in',
    instruments: 'Screening instruments', newForm: 'Enter your clinic’s own form', formTitle: 'Your clinic’s own form', key: 'Key',
    question: 'Question', answer: 'Answer', score: 'Score', addItem: 'Add an item', from: 'From', to: 'To', then: 'Then',
    message: 'Message to the screener', saveForm: 'Save the form', minMax: '“To” must not be below “From”.',
    formSaved: (n) => `${n} is saved as version 1.`, own: 'The study’s own',
    form: {
      name: ['Clinic intoxication score', 'Klinikkens russkår'],
      items: [
        [['Pupils', 'Pupiller'], [['Normal', 'Normale', '0'], ['Pinpoint', 'Knappenålsstore', '2']]],
        [['Speech', 'Tale'], [['Clear', 'Klar', '0'], ['Slurred', 'Snøvlete', '1']]],
      ],
      rules: [
        ['0', '0', 'ready', 'no signs of intoxication.', 'ingen tegn på rus.'],
        ['1', '2', 'postpone', 'some signs; screen again later.', 'noen tegn; screen på nytt senere.'],
        ['3', '4', 'stop', 'clearly intoxicated; stop for today.', 'tydelig ruset; avslutt for i dag.'],
      ],
    },
    study: 'Readiness and waves', addForm: 'Add a form', add: 'Add', moveUp: 'Move up', saveReadiness: 'Save readiness',
    codebook: 'Codebook', newTop: 'New top-level code', top: 'Top level',
    nameTaken: 'There is already a code with this name at this place in the tree.',
    codes: [
      ['Benefits', [
        ['Access to medical heroin', ['Reduced stress and financial pressure', 'New routines and hope']],
        ['Patient–clinician relations', ['Respectful engagements', 'Being heard']],
      ]],
      ['Challenges', [
        ['Treatment scheme', ['Lack of medications', 'Too intense']],
        ['Downtime and uncertainties', ['Too much downtime', 'Uncertainties about project’s future']],
      ]],
    ],
    register: 'Register a participant', pseudonym: 'Pseudonym', site: 'Site', started: 'Treatment started on',
    registerBtn: 'Register participant', registered: (p, s) => `${p} is registered at ${s}.`, bookFor: (p) => `Book an interview for ${p}`,
    book: 'Book an interview', participant: 'Participant', date: 'Date (Europe/Oslo)', time: 'Time (Europe/Oslo)', where: 'Where (optional)', room: 'Room 2',
    bookBtn: 'Book the interview',
    outside: 'This is outside the clinic’s opening hours (08:00–12:00, 14:00–17:00, Europe/Oslo time). Choose another time, or tick “Book outside opening hours”.',
    booked: (p) => `Booked: ${p}, wave 1, `, inWindow: 'The time is within the wave’s due window.',
    people: 'Participants', bookedWord: 'booked ',
    transcripts: 'Transcripts and coding', addTranscript: 'Add a transcript', text: 'Text', saveTranscript: 'Save the transcript',
    transcript: 'I: What has helped you here?\nP: Being met with respect by the nurses, every day.', coded: 'Being met with respect',
    codeWords: 'Code the selected words', codeThem: 'Code them', codedOne: 'Coded with 1 code.',
    passages: 'Coded passages', code: 'Code', showPassages: 'Show passages', wave1: 'Transcript, wave 1',
    report: 'Fieldwork report', bySite: 'Interviews by site and status', scheduled: 'Scheduled', total: 'Total',
    calendar: 'Calendar subscription', makeFeed: 'Make a calendar address', feedAddress: 'Calendar address',
    forgot: 'Forgot your password?', sendLink: 'Send me a link',
    linkSent: (e) => `If ${e} belongs to an account, a link is on its way to it.`,
    resetTitle: 'Choose a new password',
    pwChanged: 'Your password is changed, and every device was signed out. Sign in with the new password.',
  },
  nb: {
    today: 'I dag', more: 'Mer', schedule: 'Timeplan', check: 'Se over de merkede feltene.', saved: 'Lagret.',
    english: 'engelsk', bokmal: 'norsk bokmål',
    sites: 'Steder', noSites: 'Ingen steder ennå.', name: 'Navn', tz: 'Tidssone', opens: 'Åpner', closes: 'Stenger', remove: 'Fjern',
    addSite: 'Legg til stedet', siteAdded: (n) => `${n} er lagt til.`, tzErr: 'Velg en tidssone fra listen, f.eks. Europe/Oslo.',
    team: 'Team', email: 'E-post', coordinator: 'Koordinator', fieldworker: 'Feltarbeider',
    peerBox: 'Likepersonforsker (forsker med egenerfaring)', peer: 'Likepersonforsker', pending: 'Invitasjon ikke besvart',
    language: 'Norsk (bokmål)', send: 'Send invitasjonen', invited: (e) => `Invitasjonen er sendt til ${e}.`, badEmail: 'Dette er ikke en e-postadresse.',
    inviteMail: /har invitert deg/, resetMail: /ba om å få nytt passord/,
    acceptTitle: 'Velg passord', newPw: 'Nytt passord', savePw: 'Lagre passordet',
    short: 'Passordet er for kort: bruk minst 12 tegn.',
    repeated: 'Passordet kan ikke være ett og samme tegn gjentatt.',
    pwSaved: 'Passordet er lagret. Logg inn med e-postadressen din og det nye passordet.',
    usedLink: 'Denne invitasjonslenken virker ikke: den er ufullstendig, eldre enn 7 dager eller allerede brukt.',
    askInviter: 'Be den som inviterte deg, om å sende en ny invitasjon.',
    signInBtn: 'Logg inn',
    instruments: 'Screeningskjemaer', newForm: 'Legg inn klinikkens eget skjema', formTitle: 'Klinikkens eget skjema', key: 'Nøkkel',
    question: 'Spørsmål', answer: 'Svar', score: 'Poeng', addItem: 'Legg til et spørsmål', from: 'Fra', to: 'Til', then: 'Da',
    message: 'Melding til den som screener', saveForm: 'Lagre skjemaet', minMax: '«Til» kan ikke være lavere enn «Fra».',
    formSaved: (n) => `${n} er lagret som versjon 1.`, own: 'Studiens eget',
    form: null, // the English run's form, shown with its Norwegian words
    study: 'Klarhet og bølger', addForm: 'Legg til et skjema', add: 'Legg til', moveUp: 'Flytt opp', saveReadiness: 'Lagre klarhet',
    codebook: 'Kodebok', newTop: 'Ny kode på øverste nivå', top: 'Øverste nivå',
    nameTaken: 'Det finnes allerede en kode med dette navnet på dette stedet i treet.',
    codes: [
      ['Fordeler', [
        ['Tilgang til medisinsk heroin', ['Mindre stress og økonomisk press', 'Nye rutiner og håp']],
        ['Forholdet til behandlerne', ['Respektfulle møter', 'Å bli hørt']],
      ]],
      ['Utfordringer', [
        ['Behandlingsopplegget', ['Mangel på medisiner', 'For intensivt']],
        ['Dødtid og usikkerhet', ['For mye dødtid', 'Usikkerhet om prosjektets framtid']],
      ]],
    ],
    register: 'Registrer en deltaker', pseudonym: 'Pseudonym', site: 'Sted', started: 'Behandlingen startet',
    registerBtn: 'Registrer deltakeren', registered: (p, s) => `${p} er registrert ved ${s}.`, bookFor: (p) => `Avtal et intervju med ${p}`,
    book: 'Avtal et intervju', participant: 'Deltaker', date: 'Dato (Europe/Oslo)', time: 'Klokkeslett (Europe/Oslo)', where: 'Hvor (valgfritt)', room: 'Rom 2',
    bookBtn: 'Avtal intervjuet',
    outside: 'Dette er utenfor klinikkens åpningstid (08:00–12:00, 14:00–17:00, Europe/Oslo-tid). Velg et annet tidspunkt, eller kryss av for «Avtal utenfor åpningstiden».',
    booked: (p) => `Avtalt: ${p}, bølge 1, `, inWindow: 'Tidspunktet er innenfor bølgens tidsvindu.',
    people: 'Deltakere', bookedWord: 'avtalt ',
    transcripts: 'Transkripsjoner og koding', addTranscript: 'Legg til en transkripsjon', text: 'Tekst', saveTranscript: 'Lagre transkripsjonen',
    transcript: 'I: Hva har hjulpet deg her?\nP: Å bli møtt med respekt av sykepleierne, hver dag.', coded: 'bli møtt med respekt',
    codeWords: 'Kod de merkede ordene', codeThem: 'Kod dem', codedOne: 'Kodet med 1 kode.',
    passages: 'Kodede utdrag', code: 'Kode', showPassages: 'Vis utdrag', wave1: 'Transkripsjon, bølge 1',
    report: 'Feltarbeidsrapport', bySite: 'Intervjuer per sted og status', scheduled: 'Planlagt', total: 'Totalt',
    calendar: 'Kalenderabonnement', makeFeed: 'Lag en kalenderadresse', feedAddress: 'Kalenderadresse',
    forgot: 'Glemt passordet?', sendLink: 'Send meg en lenke',
    linkSent: (e) => `Hvis ${e} hører til en konto, er en lenke på vei dit.`,
    resetTitle: 'Velg nytt passord',
    pwChanged: 'Passordet er endret, og alle enheter er logget ut. Logg inn med det nye passordet.',
  },
};
W.nb.form = W.en.form;

/** 'YYYY-MM-DD' and 'HH:MM' of an instant in Oslo. */
const oslo = (ms) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Oslo', dateStyle: 'short', timeStyle: 'short' })
  .format(new Date(ms)).split(' ');

/** The field error shown for `control`, which names it (aria-describedby) and is marked invalid. */
async function errorAt(control, text) {
  const named = async () => ((await control.getAttribute('aria-describedby')) || '').split(' ').find((x) => x.endsWith('-err'));
  const id = await poll(named).catch(() => null);
  assert.ok(id, `the control names its error (${text})`);
  assert.equal(await control.getAttribute('aria-invalid'), 'true');
  assert.equal((await control.page().locator(`[id="${id}"]`).innerText()).trim(), text);
}

for (const run of RUNS) {
  test(`the whole study from an empty database, ${run.desk ? 'at 1280x800' : 'at 390x844'} in ${run.lang === 'nb' ? 'bokmål' : 'English'}`, { timeout: 240000 }, async (t) => {
    const began = Date.now();
    const server = servers.get(run.name);
    lib.useServer(server);
    const w = W[run.lang];
    const BASE = server.url;
    const a = await Api.login(server.admin.email, server.admin.password);

    // Empty: the admin and nothing else.
    assert.deepEqual((await a.get('/users')).map((u) => u.email), [server.admin.email], 'only the admin');
    assert.deepEqual(await a.get('/sites'), []);
    assert.deepEqual((await a.get('/codes')).items, []);
    assert.deepEqual((await a.get('/participants')).items, []);
    assert.equal((await a.get('/instruments')).items.filter((i) => !i.builtin).length, 0, 'built-in forms only');

    const open = (opts) => lib.openPhone(browser, t, { locale: run.locale, desk: run.desk, ...opts });
    /** axe-core (no violation of any impact) and, on a phone, touch targets; `looking` its time. */
    let looking = 0;
    const look = async (page, name) => {
      const t0 = Date.now();
      if (run.desk) await check(page, `study-${run.name}-${name}`);
      else await screen(page, `study-${run.name}-${name}`);
      looking += Date.now() - t0;
      assert.deepEqual(axeResults.at(-1).violations, [], `axe-core: violations on ${name} (${run.name})`);
    };
    /** More, then one of its links, then that screen's heading. */
    const via = async (page, link, h1) => {
      await page.locator('nav').getByRole('link', { name: w.more, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: w.more, exact: true }).waitFor();
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: h1, exact: true }).waitFor();
    };

    // ---- the admin signs in ----------------------------------------------
    const { page } = await open();
    await signIn(page, server.admin.email, server.admin.password);
    // The admin's stored language (English) comes with the sign-in.
    await page.getByRole('heading', { level: 1, name: /^Today/ }).waitFor();
    await look(page, 'today-admin');
    await page.locator('nav').getByRole('link', { name: 'More', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'More' }).waitFor();
    if (run.lang === 'nb') {
      await page.getByRole('radio', { name: 'Norsk (bokmål)' }).check();
      await page.getByRole('heading', { level: 1, name: 'Mer' }).waitFor();
      await poll(async () => (await a.get('/me')).language === 'nb');
    }
    await look(page, 'more-admin');

    // ---- two sites -------------------------------------------------------
    const site1 = run.lang === 'nb' ? 'Klinikk Nord' : 'North Clinic';
    const site2 = run.lang === 'nb' ? 'Klinikk Sør' : 'South Clinic';
    await page.getByRole('link', { name: w.sites, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: w.sites }).waitFor();
    await page.getByText(w.noSites).waitFor();
    await look(page, 'sites-empty');
    const add = page.locator('.site-new');
    await add.getByLabel(w.name, { exact: true }).fill(site1);
    const tz = add.getByLabel(w.tz, { exact: true });
    await tz.fill('Europe/Olso');
    await add.getByRole('button', { name: w.addSite }).click();
    await add.getByText(w.check).waitFor();
    await errorAt(tz, w.tzErr);
    assert.equal(await tz.inputValue(), 'Europe/Olso', 'what was typed stays');
    assert.equal(await add.getByLabel(w.name, { exact: true }).inputValue(), site1);
    await look(page, 'sites-refused');
    await tz.fill('Europe/Oslo');
    await add.getByRole('button', { name: w.addSite }).click();
    const one = page.locator('.site-one');
    await one.getByText(w.siteAdded(site1)).waitFor();
    // The second: one window, 09:00 to 15:00.
    await add.getByLabel(w.name, { exact: true }).fill(site2);
    const windows = add.locator('fieldset.windows fieldset.group');
    await windows.nth(1).getByRole('button', { name: w.remove }).click();
    assert.equal(await windows.count(), 1);
    await windows.nth(0).getByLabel(w.opens).fill('09:00');
    await windows.nth(0).getByLabel(w.closes).fill('15:00');
    await add.getByRole('button', { name: w.addSite }).click();
    await one.getByText(w.siteAdded(site2)).waitFor();
    await one.getByRole('heading', { level: 2, name: site2 }).waitFor();
    const sites = await a.get('/sites');
    const s1 = sites.find((s) => s.name === site1);
    const s2 = sites.find((s) => s.name === site2);
    assert.equal(sites.length, 2);
    assert.deepEqual([s1.timezone, s1.opening_hours], ['Europe/Oslo', [{ start: '08:00', end: '12:00' }, { start: '14:00', end: '17:00' }]]);
    assert.deepEqual([s2.timezone, s2.opening_hours], ['Europe/Oslo', [{ start: '09:00', end: '15:00' }]]);
    assert.match(await page.locator(`button.pick[data-site="${s2.id}"]`).innerText(), /09:00–15:00/);
    const [listBox, oneBox] = [await page.locator('.desk-main').boundingBox(), await one.boundingBox()];
    if (run.desk) assert.ok(oneBox.x > listBox.x + listBox.width - 1, 'a desk: the site beside the list');
    else assert.ok(oneBox.y > listBox.y + listBox.height - 1, 'a phone: the list, then the site');
    await look(page, 'sites-added');

    // ---- the team: a coordinator and a peer researcher ---------------------
    const coordinator = { email: `coordinator-${run.name}@example.org`, name: run.lang === 'nb' ? 'Kari Koordinator' : 'Cora Coordinator', password: 'seven green kayaks drifting' };
    const peer = { email: `peer-${run.name}@example.org`, name: run.lang === 'nb' ? 'Per Likeperson' : 'Pat Peer', password: 'three quiet harbour lamps' };
    await via(page, w.team, w.team);
    const invite = page.locator('.team-invite');
    const person = page.locator('.team-person');
    await look(page, 'team');
    // A slip in the address: refused at the field, what was typed kept.
    await invite.getByLabel(w.email, { exact: true }).fill('cora.example.org');
    await invite.getByLabel(w.name, { exact: true }).fill(coordinator.name);
    await invite.getByRole('radio', { name: w.coordinator, exact: true }).check();
    await invite.getByRole('checkbox', { name: site1, exact: true }).check();
    await invite.getByRole('checkbox', { name: site2, exact: true }).check();
    await invite.getByRole('radio', { name: w.language, exact: true }).check();
    await invite.getByRole('button', { name: w.send }).click();
    await errorAt(invite.getByLabel(w.email, { exact: true }), w.badEmail);
    assert.equal(await invite.getByLabel(w.email, { exact: true }).inputValue(), 'cora.example.org');
    assert.equal(await invite.getByLabel(w.name, { exact: true }).inputValue(), coordinator.name);
    assert.ok(await invite.getByRole('radio', { name: w.coordinator, exact: true }).isChecked(), 'the role stays');
    assert.ok(await invite.getByRole('checkbox', { name: site2, exact: true }).isChecked(), 'the sites stay');
    await look(page, 'team-refused');
    await invite.getByLabel(w.email, { exact: true }).fill(coordinator.email);
    await invite.getByRole('button', { name: w.send }).click();
    await person.getByText(w.invited(coordinator.email)).waitFor();
    // The peer researcher: a fieldworker with the label, at the first site.
    await invite.getByLabel(w.email, { exact: true }).fill(peer.email);
    await invite.getByLabel(w.name, { exact: true }).fill(peer.name);
    await invite.getByRole('checkbox', { name: w.peerBox }).check();
    await invite.getByRole('checkbox', { name: site1, exact: true }).check();
    await invite.getByRole('radio', { name: w.language, exact: true }).check();
    await invite.getByRole('button', { name: w.send }).click();
    await person.getByText(w.invited(peer.email)).waitFor();
    const users = await a.get('/users');
    const cu = users.find((u) => u.email === coordinator.email);
    const pu = users.find((u) => u.email === peer.email);
    assert.deepEqual([cu.role, cu.peer_researcher, [...cu.site_ids].sort(), cu.language, cu.has_password],
      ['coordinator', false, [s1.id, s2.id].sort(), run.lang, false]);
    assert.deepEqual([pu.role, pu.peer_researcher, pu.site_ids, pu.language, pu.has_password],
      ['fieldworker', true, [s1.id], run.lang, false]);
    const peerRow = await page.locator(`button.person[data-user="${pu.id}"]`).innerText();
    for (const x of [w.fieldworker, w.peer, w.pending, site1]) assert.ok(peerRow.includes(x), `the list shows ${x}: ${peerRow}`);
    await look(page, 'team-invited');

    // ---- each opens the link in the mail and chooses a password ----------
    const coordInvite = await mailedLink(coordinator.email, 'accept');
    assert.ok(coordInvite.link.startsWith(`${BASE}/#/accept?token=`), coordInvite.link);
    assert.match(coordInvite.mail.text, w.inviteMail, 'the invitation is in the invitee’s language');
    const coord = await open();
    await coord.page.goto(coordInvite.link);
    await coord.page.getByRole('heading', { level: 1, name: w.acceptTitle }).waitFor();
    await look(coord.page, 'accept');
    // Too short: refused at the field in the invitee's words, kept.
    const pw = coord.page.getByLabel(w.newPw);
    await pw.fill('kayaks2024');
    await coord.page.getByRole('button', { name: w.savePw }).click();
    await errorAt(pw, w.short);
    assert.equal(await pw.inputValue(), 'kayaks2024', 'what was typed stays');
    if (run.lang === 'nb') assert.doesNotMatch(await coord.page.locator('main').innerText(), /characters|must be|password/i, 'no English');
    await look(coord.page, 'accept-weak');
    await pw.fill(coordinator.password);
    await coord.page.getByRole('button', { name: w.savePw }).click();
    await coord.page.getByText(w.pwSaved).waitFor();
    assert.equal(await coord.page.getByLabel(run.lang === 'nb' ? 'Passord' : 'Password', { exact: true }).inputValue(), coordinator.password);
    await look(coord.page, 'signin-accepted');
    await coord.page.getByLabel(w.email, { exact: true }).fill(coordinator.email);
    await coord.page.getByRole('button', { name: w.signInBtn }).click();
    await coord.page.getByRole('heading', { level: 1, name: new RegExp(`^${w.today}`) }).waitFor();
    await look(coord.page, 'today-coordinator');

    const peerInvite = await mailedLink(peer.email, 'accept');
    const peerPage = (await open()).page;
    await peerPage.goto(peerInvite.link);
    await peerPage.getByLabel(w.newPw).fill(peer.password);
    await peerPage.getByRole('button', { name: w.savePw }).click();
    await peerPage.getByText(w.pwSaved).waitFor();
    // The same link again: it says plainly, as the page opens, that it no longer works, and whom to ask.
    const again = (await open()).page;
    await again.goto(peerInvite.link);
    await again.getByText(w.usedLink).waitFor();
    assert.equal(await again.getByLabel(w.newPw).count(), 0, 'no password asked for a dead link');
    await again.getByText(w.askInviter, { exact: false }).waitFor();
    await look(again, 'accept-used');
    await Api.login(peer.email, peer.password);
    assert.equal((await a.get(`/users/${cu.id}`)).has_password, true);

    // ---- the clinic's own screening form ----------------------------------
    const f = w.form;
    await via(page, w.instruments, w.instruments);
    await look(page, 'instruments');
    await page.getByRole('button', { name: w.newForm }).click();
    const form = page.locator('.instr-form');
    await form.getByRole('heading', { level: 2, name: w.formTitle }).waitFor();
    const pair = (label, l) => `${label} (${l === 'en' ? w.english : w.bokmal})`;
    await form.getByLabel(pair(w.name, 'en'), { exact: true }).fill(f.name[0]);
    await form.getByLabel(pair(w.name, 'nb'), { exact: true }).fill(f.name[1]);
    const key = await form.getByLabel(w.key, { exact: true }).inputValue();
    assert.equal(key, 'clinic_intoxication_score', 'a key made from the name');
    const items = form.locator('fieldset.item');
    for (const [i, [[qEn, qNb], levels]] of f.items.entries()) {
      if (i) await form.getByRole('button', { name: w.addItem }).click();
      const item = items.nth(i);
      await item.getByLabel(pair(w.question, 'en'), { exact: true }).fill(qEn);
      await item.getByLabel(pair(w.question, 'nb'), { exact: true }).fill(qNb);
      for (const [j, [en, nb, score]] of levels.entries()) {
        const level = item.locator('fieldset.levels fieldset.group').nth(j);
        await level.getByLabel(pair(w.answer, 'en'), { exact: true }).fill(en);
        await level.getByLabel(pair(w.answer, 'nb'), { exact: true }).fill(nb);
        await level.getByLabel(w.score, { exact: true }).fill(score);
      }
    }
    const rules = form.locator('fieldset.rules fieldset.group');
    assert.equal(await rules.count(), 3);
    for (const [i, [min, max, outcome, en, nb]] of f.rules.entries()) {
      const r = rules.nth(i);
      // The last rule typed upside down first: 4 to 3.
      await r.getByLabel(w.from, { exact: true }).fill(i === 2 ? '4' : min);
      await r.getByLabel(w.to, { exact: true }).fill(i === 2 ? '3' : max);
      await r.getByLabel(w.then, { exact: true }).selectOption(outcome);
      await r.getByLabel(pair(w.message, 'en'), { exact: true }).fill(en);
      await r.getByLabel(pair(w.message, 'nb'), { exact: true }).fill(nb);
    }
    await form.getByRole('button', { name: w.saveForm }).click();
    await errorAt(rules.nth(2).getByLabel(w.to, { exact: true }), w.minMax);
    assert.equal(await rules.nth(2).getByLabel(w.from, { exact: true }).inputValue(), '4', 'what was typed stays');
    assert.equal(await items.nth(1).getByLabel(pair(w.question, 'nb'), { exact: true }).inputValue(), 'Tale');
    await look(page, 'instruments-refused');
    await rules.nth(2).getByLabel(w.from, { exact: true }).fill('3');
    await rules.nth(2).getByLabel(w.to, { exact: true }).fill('4');
    await form.getByRole('button', { name: w.saveForm }).click();
    await page.locator('.instr-one').getByText(w.formSaved(run.lang === 'nb' ? f.name[1] : f.name[0])).waitFor();
    const [own] = (await a.get(`/instruments?key=${key}`)).items;
    assert.deepEqual([own.version, own.kind, own.combine, own.builtin, own.name], [1, 'intoxication', 'sum', false, { en: f.name[0], nb: f.name[1] }]);
    assert.deepEqual(own.items.map((i) => [i.label.en, i.label.nb, i.levels.map((l) => [l.label.en, l.label.nb, String(l.score)])]),
      f.items.map(([[en, nb], levels]) => [en, nb, levels]));
    assert.deepEqual(own.rules.map((r) => [String(r.min), String(r.max), r.outcome, r.message.en, r.message.nb]), f.rules);
    assert.ok((await page.locator(`button.pick[data-instrument="${own.id}"]`).innerText()).includes(w.own));
    await look(page, 'instruments-saved');

    // ---- readiness uses it --------------------------------------------------
    await via(page, w.study, w.study);
    const ready = page.locator('.readiness');
    await look(page, 'study');
    const consent = ready.locator('fieldset.consent');
    await consent.getByLabel(w.addForm).selectOption(key);
    await consent.getByRole('button', { name: w.add, exact: true }).click();
    const entry = consent.locator('li', { hasText: `(${key})` });
    await entry.waitFor();
    for (let n = await consent.locator('li').count(); n > 1; n -= 1) await entry.getByRole('button', { name: w.moveUp }).click();
    assert.ok((await consent.locator('li').first().innerText()).includes(key), 'the clinic’s form first');
    const session = ready.locator('fieldset.session');
    await session.getByLabel(w.addForm).selectOption(key);
    await session.getByRole('button', { name: w.add, exact: true }).click();
    await session.locator('li', { hasText: `(${key})` }).waitFor();
    await ready.getByRole('button', { name: w.saveReadiness }).click();
    await ready.getByText(w.saved).waitFor();
    const readiness = await a.get('/settings/readiness');
    assert.equal(readiness.consent[0], key, 'required first before consent');
    assert.ok(readiness.session.includes(key), 'and before each session');
    await look(page, 'study-saved');

    // ---- the coordinator types a three-level codebook ---------------------
    const cp = coord.page;
    await via(cp, w.codebook, w.codebook);
    const top = cp.getByLabel(w.newTop);
    await top.waitFor();
    await look(cp, 'codebook');
    await top.focus();
    await lib.typeCodebook(cp.keyboard, w.codes);
    const tree = cp.locator('.desk-list');
    const item = cp.locator('.desk-item');
    await item.getByRole('heading', { level: 2, name: w.top }).waitFor();
    const last = w.codes.at(-1)[1].at(-1)[1].at(-1);
    await tree.locator('button.code', { hasText: last }).waitFor();
    const walk = (list) => list.map((c) => [c.name, walk(c.children || [])]);
    const want = w.codes.map(([theme, cats]) => [theme, cats.map(([c, subs]) => [c, subs.map((s) => [s, []])])]);
    // In the order typed (Table 1's), not the alphabet's.
    await poll(async () => JSON.stringify(walk((await a.get('/codes?tree=true')).items)) === JSON.stringify(want))
      .catch(async () => assert.deepEqual(walk((await a.get('/codes?tree=true')).items), want, 'the three levels as typed, in that order'));
    // A theme typed twice at the top: refused at the field, the name back in it.
    const theme = w.codes[0][0];
    await top.fill(theme);
    await top.press('Enter');
    await item.locator('.field-error', { hasText: w.nameTaken }).waitFor();
    await errorAt(top, w.nameTaken);
    assert.equal(await top.inputValue(), theme, 'what was typed comes back');
    assert.equal((await a.get('/codes')).items.length, 14, 'nothing added');
    await look(cp, 'codebook-typed');

    // ---- registers a participant ---------------------------------------------
    const pseudonym = run.lang === 'nb' ? 'Hegre-07' : 'Heron-07';
    await cp.locator('nav').getByRole('link', { name: w.schedule, exact: true }).click();
    await cp.getByRole('heading', { level: 1, name: w.schedule }).waitFor();
    await look(cp, 'schedule');
    await cp.getByRole('link', { name: w.register }).click();
    await cp.getByRole('heading', { level: 1, name: w.register }).waitFor();
    await look(cp, 'register');
    const started = new Date(Date.now() - 35 * 864e5).toISOString().slice(0, 10);
    await cp.getByLabel(w.pseudonym, { exact: true }).fill(pseudonym);
    await cp.getByLabel(w.site, { exact: true }).selectOption({ label: site1 });
    await cp.getByLabel(w.started).fill(started);
    await cp.getByRole('button', { name: w.registerBtn }).click();
    await cp.getByText(w.registered(pseudonym, site1)).waitFor();
    const [participant] = (await a.get(`/participants?pseudonym_prefix=${pseudonym}`)).items;
    assert.deepEqual([participant.pseudonym, participant.site_id, participant.treatment_started_on], [pseudonym, s1.id, started]);
    await look(cp, 'registered');

    // ---- books an interview: first before the clinic opens -------------------
    await cp.getByRole('link', { name: w.bookFor(pseudonym) }).click();
    await cp.getByRole('heading', { level: 1, name: w.book }).waitFor();
    const chosenOne = cp.getByLabel(w.participant, { exact: true });
    await poll(async () => (await chosenOne.inputValue()) === participant.id).catch(() => {});
    assert.equal(await chosenOne.inputValue(), participant.id, 'the participant just registered');
    const [day] = oslo(Date.now() + 864e5);
    const date = cp.getByLabel(w.date, { exact: true });
    const time = cp.getByLabel(w.time, { exact: true });
    await date.fill(day);
    await time.fill('07:00');
    await cp.getByRole('checkbox', { name: new RegExp(`^${coordinator.name} `) }).check();
    await cp.getByRole('checkbox', { name: new RegExp(`^${peer.name} `) }).check();
    // The peer researcher's label beside the role, as on Team; the coordinator has none.
    const interviewer = async (who) => (await cp.locator('fieldset label', { hasText: who.name }).innerText()).replace(/\s+/g, ' ').trim();
    assert.equal(await interviewer(peer), `${peer.name} (${w.fieldworker}) ${w.peer}`);
    assert.equal(await interviewer(coordinator), `${coordinator.name} (${w.coordinator})`);
    assert.equal(await cp.locator('fieldset label .state.peer').count(), 1, 'one peer researcher among the interviewers');
    await cp.getByLabel(w.where).fill(w.room);
    await look(cp, 'book');
    await cp.getByRole('button', { name: w.bookBtn }).click();
    await errorAt(time, w.outside);
    assert.deepEqual([await date.inputValue(), await time.inputValue(), await cp.getByLabel(w.where).inputValue()], [day, '07:00', w.room], 'what was typed stays');
    assert.ok(await cp.getByRole('checkbox', { name: new RegExp(`^${peer.name} `) }).isChecked(), 'the interviewers stay');
    assert.equal((await a.get(`/interviews?participant_id=${participant.id}`)).items.length, 0, 'nothing booked');
    await look(cp, 'book-refused');
    await time.fill('10:00');
    await cp.getByRole('button', { name: w.bookBtn }).click();
    await cp.getByText(w.booked(pseudonym)).waitFor();
    await cp.getByText(w.inWindow).waitFor();
    const [iv] = (await a.get(`/interviews?participant_id=${participant.id}`)).items;
    assert.deepEqual(oslo(Date.parse(iv.scheduled_at)), [day, '10:00'], 'at 10:00 the clinic’s time');
    assert.deepEqual([iv.wave, iv.status, iv.location, [...iv.interviewer_ids].sort()], [1, 'scheduled', w.room, [cu.id, pu.id].sort()]);
    await look(cp, 'booked');

    // ---- the participants, with the booking -------------------------------
    await via(cp, w.people, w.people);
    const card = cp.locator(`a[data-participant="${participant.id}"]`);
    await card.waitFor();
    const cardText = await card.innerText();
    assert.ok(cardText.includes(pseudonym) && cardText.includes(w.bookedWord) && cardText.includes('10:00'), `booked, at 10:00: ${cardText}`);
    await look(cp, 'people');

    // ---- the report's chart --------------------------------------------------
    await via(cp, w.report, w.report);
    const chart = cp.locator('section.chart', { has: cp.getByRole('heading', { level: 2, name: w.bySite }) });
    await chart.waitFor();
    assert.equal(await chart.locator('svg rect.bar.st-scheduled').count(), 1, 'a bar: the interview scheduled');
    assert.deepEqual(await chart.locator('svg text').allTextContents(), [site1, w.scheduled, '1', site2, w.total, '0'],
      'the site, its status and the count on the chart; the other site an explicit 0 (and no bar)');
    const groups = await chart.locator('table tbody').evaluateAll((tbs) => tbs.map((tb) => [
      tb.querySelector('th[scope=rowgroup]').textContent.trim(),
      [...tb.rows].map((tr) => [tr.querySelector('th[scope=row]').textContent.trim(), tr.querySelector('td').textContent.trim()]),
    ]));
    assert.deepEqual(groups, [[site1, [[w.scheduled, '1'], [w.total, '1']]], [site2, [[w.total, '0']]]], 'and in its table');
    await chart.screenshot({ path: join(lib.ARTIFACTS, `study-${run.name}-report-chart.png`) });
    await look(cp, 'report');

    // ---- subscribes to the calendar ----------------------------------------
    await via(cp, w.calendar, w.calendar);
    await cp.getByRole('button', { name: w.makeFeed }).click();
    const address = cp.getByRole('textbox', { name: w.feedAddress });
    await address.waitFor();
    const url = await address.inputValue();
    assert.match(url, new RegExp(`^${BASE.replace(/[.]/g, '\\.')}/api/v1/calendar/[A-Za-z0-9_-]+\\.ics$`));
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/calendar/);
    const ics = (await res.text()).replace(/\r\n[ \t]/g, '');
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics, /\r\nEND:VCALENDAR\r\n?$/);
    assert.match(ics, /\r\nPRODID:-\/\/Fieldnotes\/\//);
    assert.match(ics, /\r\nBEGIN:VTIMEZONE\r\nTZID:Europe\/Oslo\r\n/);
    assert.equal(ics.match(/BEGIN:VEVENT/g)?.length, 1, 'one interview');
    assert.ok(ics.includes(`SUMMARY:Interview ${pseudonym} (wave 1)`), 'the interview booked');
    assert.ok(ics.includes(`DTSTART;TZID=Europe/Oslo:${day.replace(/-/g, '')}T100000`), 'at its local time');
    await look(cp, 'calendar-new');

    // ---- a transcript: pasted, a passage coded by keyboard, found by its theme
    await via(cp, w.people, w.people);
    await cp.locator(`a[data-participant="${participant.id}"]`).click();
    await cp.getByRole('link', { name: w.transcripts }).first().click();
    await cp.getByRole('heading', { level: 3, name: w.addTranscript }).waitFor();
    await cp.getByLabel(w.text, { exact: true }).fill(w.transcript);
    await look(cp, 'transcript-new');
    await cp.getByRole('button', { name: w.saveTranscript }).click();
    const pane = cp.locator('textarea.passage-text');
    await pane.waitFor();
    await pane.focus();
    await cp.keyboard.press('Control+Home');
    for (let i = 0; i < w.transcript.indexOf(w.coded); i += 1) await cp.keyboard.press('ArrowRight');
    for (let i = 0; i < w.coded.length; i += 1) await cp.keyboard.press('Shift+ArrowRight');
    await cp.getByRole('button', { name: w.codeWords }).press('Enter');
    // A code of the third level: Respectful engagements.
    const leaf = w.codes[0][1][1][1][0];
    await cp.getByLabel(leaf, { exact: true }).press('Space');
    await cp.getByRole('button', { name: w.codeThem }).press('Enter');
    await cp.getByText(w.codedOne).waitFor();
    await look(cp, 'transcript-coded');
    const [tr] = (await a.get(`/interviews/${iv.id}/transcripts`)).items;
    assert.deepEqual((await a.get(`/transcripts/${tr.id}/codings`)).items.map((c) => c.quote), [w.coded]);
    // Retrieved by its theme (two levels up), with where it comes from.
    await via(cp, w.passages, w.passages);
    const themeCode = (await a.get('/codes')).items.find((c) => c.name === w.codes[0][0]);
    await cp.getByLabel(w.code, { exact: true }).selectOption(themeCode.id);
    await cp.getByRole('button', { name: w.showPassages }).click();
    const hit = cp.locator('.passages-found li').first();
    await hit.waitFor();
    assert.equal(await hit.locator('blockquote').textContent(), w.coded);
    assert.ok((await hit.locator('.meta').first().textContent()).startsWith(`${w.wave1} · ${pseudonym} · `));
    await look(cp, 'passages');

    // ---- the peer researcher resets a forgotten password ---------------------
    const rp = (await open()).page;
    await rp.goto(`${BASE}/`);
    await rp.getByRole('link', { name: w.forgot }).click();
    await rp.getByRole('heading', { level: 1, name: w.forgot }).waitFor();
    await look(rp, 'forgot');
    await rp.getByLabel(w.email, { exact: true }).fill(peer.email);
    await rp.getByRole('button', { name: w.sendLink }).click();
    await rp.getByText(w.linkSent(peer.email), { exact: false }).waitFor();
    const reset = await mailedLink(peer.email, 'reset');
    assert.match(reset.mail.text, w.resetMail, 'the mail in their language');
    await rp.goto(reset.link);
    await rp.getByRole('heading', { level: 1, name: w.resetTitle }).waitFor();
    await look(rp, 'reset');
    const newPw = rp.getByLabel(w.newPw);
    await newPw.fill('zzzzzzzzzzzzzzzz');
    await rp.getByRole('button', { name: w.savePw }).click();
    await errorAt(newPw, w.repeated);
    assert.equal(await newPw.inputValue(), 'zzzzzzzzzzzzzzzz', 'what was typed stays');
    await look(rp, 'reset-weak');
    const chosen = 'a lantern over the fjord';
    await newPw.fill(chosen);
    await rp.getByRole('button', { name: w.savePw }).click();
    await rp.getByText(w.pwChanged).waitFor();
    await rp.getByLabel(w.email, { exact: true }).fill(peer.email);
    await rp.getByRole('button', { name: w.signInBtn }).click();
    await rp.getByRole('heading', { level: 1, name: new RegExp(`^${w.today}`) }).waitFor();
    await look(rp, 'today-peer');
    await assert.rejects(Api.login(peer.email, peer.password), 'the old password no longer works');
    await Api.login(peer.email, chosen);

    console.log(`the whole study (${run.name}): ${((Date.now() - began) / 1000).toFixed(1)} s, axe ${(looking / 1000).toFixed(1)} s`);
  });
}
