// The one table of screens. Everything that lists screens reads it: the
// shell's routing, tab bar and warm-up (app.js), the More list
// (screens/more.js) and the first-visit budget test (e2e/budget.test.mjs);
// the service worker's list is written from the files of web/app by
// web/tools/stamp-sw.py. Adding a screen is one row here plus its module in
// screens/ (which carries its own words, see README.md).
//
// This file imports nothing, so node (the tests) can read it too.
//
// A row:
//   name     the screen's name.
//   module   its file, relative to this one. Loaded by import() when first
//            opened, except with `shell: true`: those come with the shell
//            (imported by app.js and modulepreloaded in index.html), so that
//            a first visit downloads only what it shows (sign-in and Today).
//   hash     the hash it answers: literal segments, `:param` (given to the
//            screen in ctx.params; absent when the hash stops short), or
//            `:param(a|b)` (one of these words). Extra segments are ignored,
//            and the longest match wins. A hash no row matches opens Today.
//   public   it works signed out (every other hash shows sign-in then).
//   tab      the tab bar item marked current while it shows.
//   nav      where navigation lists it: 'tabs' (the tab bar), 'more' (the
//            More screen), or a section of the More screen (SECTIONS).
//   roles    who sees it listed (absent: everyone). A fieldworker's phone
//            never loads a row limited to roles in the background.
//   title    the key of the words navigation shows for it (a function of
//            the signed-in state when they differ by role).
//   words    those words, { en: { key: text }, nb: { key: text } },
//            registered at start (the screen's other words are its own).

const COORD = ['coordinator', 'admin'];
const ADMIN = ['admin'];

/** Words for a title key in both languages. */
const titled = (key, en, nb) => ({ title: key, words: { en: { [key]: en }, nb: { [key]: nb } } });

export const ROUTES = [
  // Signed out, every hash lands here (`#/signin` by convention); signed in, `#/signin` opens Today.
  { name: 'signin', module: './screens/signin.js', shell: true, hash: '#/signin', public: true },
  { name: 'today', module: './screens/today.js', shell: true, hash: '#/today', tab: 'today', nav: 'tabs', ...titled('nav.today', 'Today', 'I dag') },
  // ?interview=
  { name: 'participant', module: './screens/participant.js', hash: '#/participant/:id', tab: 'today' },
  { name: 'session', module: './screens/session.js', hash: '#/session/:id', tab: 'today' },
  { name: 'notes', module: './screens/notes.js', hash: '#/notes', tab: 'notes', nav: 'tabs', ...titled('nav.notes', 'Notes', 'Notater') },
  // `new`, a note waiting to sync, or a stored one.
  { name: 'note', module: './screens/note.js', hash: '#/notes/:id', tab: 'notes' },
  // ?place= (a coding to place again)
  { name: 'notecoding', module: './screens/notecoding.js', hash: '#/notes/:id/passages', tab: 'notes' },
  {
    name: 'schedule', module: './screens/schedule.js', hash: '#/schedule', tab: 'schedule', nav: 'tabs',
    // A coordinator's site week; a fieldworker's own.
    title: (app) => (app.coordinator ? 'nav.schedule' : 'nav.my_week'),
    words: { en: { 'nav.schedule': 'Schedule', 'nav.my_week': 'My week' }, nb: { 'nav.schedule': 'Timeplan', 'nav.my_week': 'Min uke' } },
  },
  { name: 'register', module: './screens/register.js', hash: '#/schedule/participant', tab: 'schedule', ...titled('reg.title', 'Register a participant', 'Registrer en deltaker') },
  // ?site=&participant=&wave=
  { name: 'book', module: './screens/book.js', hash: '#/schedule/book', tab: 'schedule', ...titled('book.title', 'Book an interview', 'Avtal et intervju') },
  { name: 'more', module: './screens/more.js', hash: '#/more', tab: 'more', nav: 'tabs', ...titled('nav.more', 'More', 'Mer') },
  { name: 'security', module: './screens/security.js', hash: '#/more/security/:id', tab: 'more', nav: 'more', ...titled('security.link', 'Two-factor sign-in and devices', 'Totrinnsinnlogging og enheter') },
  { name: 'calendar', module: './screens/calendar.js', hash: '#/more/calendar/:id', tab: 'more', nav: 'more', ...titled('cal.link', 'Calendar subscription', 'Kalenderabonnement') },
  // From an emailed link, signed in or not: #/accept?token=, #/reset?token=, #/reset.
  { name: 'password', module: './screens/password.js', hash: '#/:kind(accept|reset)', public: true },
  // The coordinator's desk (issue 15); the analysis first: what a researcher opens first.
  // ?children=0&site=&source=&from=&to=
  { name: 'passages', module: './screens/passages.js', hash: '#/more/passages/:id', tab: 'more', nav: 'coord', roles: COORD, ...titled('passages.link', 'Coded passages', 'Kodede utdrag') },
  // ?interview= (its transcripts); :id one transcript, ?place= (a coding to place again)
  { name: 'transcripts', module: './screens/transcripts.js', hash: '#/more/transcripts/:id', tab: 'more', roles: COORD },
  { name: 'people', module: './screens/people.js', hash: '#/more/people/:id', tab: 'more', nav: 'coord', roles: COORD, ...titled('people.link', 'Participants', 'Deltakere') },
  { name: 'import', module: './screens/import.js', hash: '#/more/import/:id', tab: 'more', nav: 'coord', roles: COORD, ...titled('import.link', 'Import participants', 'Importer deltakere') },
  // :id the participant (linked from their timeline).
  { name: 'earlier', module: './screens/earlier.js', hash: '#/more/earlier/:id', tab: 'more', roles: COORD },
  { name: 'codebook', module: './screens/codebook.js', hash: '#/more/codebook/:id', tab: 'more', nav: 'coord', roles: COORD, ...titled('codebook.link', 'Codebook', 'Kodebok') },
  { name: 'report', module: './screens/report.js', hash: '#/more/report/:id', tab: 'more', nav: 'coord', roles: COORD, ...titled('report.link', 'Fieldwork report', 'Feltarbeidsrapport') },
  { name: 'export', module: './screens/export.js', hash: '#/more/export/:id', tab: 'more', nav: 'coord', roles: COORD, ...titled('export.link', 'Export for analysis', 'Eksport til analyse') },
  // The admin's desk (issue 15).
  { name: 'team', module: './screens/team.js', hash: '#/more/team/:id', tab: 'more', nav: 'admin', roles: ADMIN, ...titled('team.link', 'Team', 'Team') },
  { name: 'sites', module: './screens/sites.js', hash: '#/more/sites/:id', tab: 'more', nav: 'admin', roles: ADMIN, ...titled('sites.link', 'Sites', 'Steder') },
  { name: 'instruments', module: './screens/instruments.js', hash: '#/more/instruments/:id', tab: 'more', nav: 'admin', roles: ADMIN, ...titled('instruments.link', 'Screening instruments', 'Screeningskjemaer') },
  { name: 'study', module: './screens/study.js', hash: '#/more/study/:id', tab: 'more', nav: 'admin', roles: ADMIN, ...titled('study.link', 'Readiness and waves', 'Klarhet og bølger') },
  { name: 'keys', module: './screens/keys.js', hash: '#/more/keys/:id', tab: 'more', nav: 'admin', roles: ADMIN, ...titled('keys.link', 'API keys', 'API-nøkler') },
  { name: 'webhooks', module: './screens/webhooks.js', hash: '#/more/webhooks/:id', tab: 'more', nav: 'admin', roles: ADMIN, ...titled('hooks.link', 'Webhooks', 'Webhooks') },
  { name: 'audit', module: './screens/audit.js', hash: '#/more/audit/:id', tab: 'more', nav: 'admin', roles: ADMIN, ...titled('audit.link', 'Audit log', 'Revisjonslogg') },
];

/** The sections of the More screen, in order, each a titled list of its rows. */
export const SECTIONS = [
  { name: 'coord', id: 'coord-h', ...titled('desk.coord', 'Running the study', 'Drift av studien') },
  { name: 'admin', id: 'admin-h', ...titled('desk.admin', 'Study set-up', 'Oppsett av studien') },
];

/** Where every hash lands signed out, and where a hash no row matches lands signed in. */
export const SIGNED_OUT = 'signin';
export const HOME = 'today';

const byName = new Map(ROUTES.map((r) => [r.name, r]));
/** The row of a screen. */
export const screen = (name) => byName.get(name);

/** The words of every row and section, for i18n's `words()`. */
export function titleWords() {
  const all = { en: {}, nb: {} };
  for (const r of [...ROUTES, ...SECTIONS]) {
    if (!r.words) continue;
    Object.assign(all.en, r.words.en);
    Object.assign(all.nb, r.words.nb);
  }
  return all;
}

/** The title key of a row for the signed-in state `app`. */
export const titleKey = (row, app) => (typeof row.title === 'function' ? row.title(app) : row.title);

/** The hash navigation links a row with: its own, without params (`#/more/team`). */
export const href = (row) => row.hash.split('/:')[0];

/** Whether someone with `role` sees `row` listed. */
export const sees = (row, role) => !row.roles || row.roles.includes(role);

/** The rows navigation lists at `nav` ('tabs', 'more' or a section's name) for `role`, in order. */
export const listed = (nav, role) => ROUTES.filter((r) => r.nav === nav && sees(r, role));

/** One segment of a row's hash against one part of the location's: the params it gives, or null. */
function segment(pattern, part) {
  const m = pattern.match(/^:(\w+)(?:\(([^)]*)\))?$/);
  if (!m) return pattern === part ? {} : null;
  if (m[2] && !m[2].split('|').includes(part)) return null;
  return { [m[1]]: part };
}

/**
 * The row a hash's path (`['more', 'team', 'id']`) opens, with its params:
 * the row matching the most parts (a param may be left out at the end), and
 * of those the one with the shortest hash. Null when none matches.
 */
export function match(parts) {
  let best = null;
  for (const row of ROUTES) {
    const pattern = row.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    const params = {};
    let used = 0;
    let ok = true;
    for (const [i, p] of pattern.entries()) {
      if (i >= parts.length) {
        // A hash that stops short still opens the row if only params are left.
        if (!p.startsWith(':') || p.includes('(')) ok = false;
        if (!ok) break;
        continue;
      }
      const got = segment(p, parts[i]);
      if (!got) {
        ok = false;
        break;
      }
      Object.assign(params, got);
      used += 1;
    }
    if (!ok || used === 0) continue;
    if (!best || used > best.used || (used === best.used && pattern.length < best.length)) {
      best = { row, params, used, length: pattern.length };
    }
  }
  return best && { row: best.row, params: best.params };
}

/** Loads a screen's module (the ones with the shell are app.js's). */
export const load = (row) => import(row.module);
