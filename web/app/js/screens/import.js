// Register participants from a spreadsheet (coordinators): choose a CSV file,
// see what the server's dry run says (every problem by line and column, or
// the participants it would register), then confirm. Nothing is written
// until every line is right, and then all of them are, at once.
import { api, get, ApiError } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy } from '../ui.js';
import { fieldWords, problem } from '../errors.js';
import { deskTitle } from '../desk.js';

words({
  en: {
    'imp.title': 'Import participants',
    'imp.intro': 'Register the participants a study already has from a CSV file, as a spreadsheet or REDCap exports it. Pseudonyms only: a column for a name, phone number or national ID number is refused.',
    'imp.columns': 'Columns: pseudonym, site, treatment_started_on (or “treatment start”), and optionally gender and age_band. A site by its name. Dates as 2022-03-01 or 01.03.2022.',
    'imp.file': 'CSV file',
    'imp.checking': 'Checking the file…',
    'imp.problems': { one: 'The file has {n} problem. Nothing was registered. Mend it and choose it again.', other: 'The file has {n} problems. Nothing was registered. Mend it and choose it again.' },
    'imp.where': 'Where',
    'imp.what': 'Problem',
    'imp.line': 'Line {n}',
    'imp.line_col': 'Line {n}, {col}',
    'imp.header': 'Header, column {n}',
    'imp.header_col': 'Header: {col}',
    'imp.file_all': 'The whole file',
    'imp.ready': { one: 'The file is ready: {n} participant would be registered.', other: 'The file is ready: {n} participants would be registered.' },
    'imp.preview': 'Participants in the file',
    'imp.confirm': { one: 'Register {n} participant', other: 'Register {n} participants' },
    'imp.cancel': 'Choose another file',
    'imp.done': { one: '{n} participant registered.', other: '{n} participants registered.' },
    'imp.to_people': 'See the participants',
    'imp.col.pseudonym': 'Pseudonym',
    'imp.col.site': 'Site',
    'imp.col.treatment_started_on': 'Treatment start',
    'imp.col.gender': 'Gender',
    'imp.col.age_band': 'Age band',
  },
  nb: {
    'imp.title': 'Importer deltakere',
    'imp.intro': 'Registrer deltakerne en studie allerede har fra en CSV-fil, slik et regneark eller REDCap eksporterer den. Bare pseudonymer: en kolonne for navn, telefonnummer eller fødselsnummer avvises.',
    'imp.columns': 'Kolonner: pseudonym, site, treatment_started_on (eller «treatment start»), og valgfritt gender og age_band. Et sted ved navnet. Datoer som 2022-03-01 eller 01.03.2022.',
    'imp.file': 'CSV-fil',
    'imp.checking': 'Sjekker filen …',
    'imp.problems': { one: 'Filen har {n} feil. Ingenting ble registrert. Rett den og velg den igjen.', other: 'Filen har {n} feil. Ingenting ble registrert. Rett den og velg den igjen.' },
    'imp.where': 'Hvor',
    'imp.what': 'Feil',
    'imp.line': 'Linje {n}',
    'imp.line_col': 'Linje {n}, {col}',
    'imp.header': 'Overskrift, kolonne {n}',
    'imp.header_col': 'Overskrift: {col}',
    'imp.file_all': 'Hele filen',
    'imp.ready': { one: 'Filen er klar: {n} deltaker vil bli registrert.', other: 'Filen er klar: {n} deltakere vil bli registrert.' },
    'imp.preview': 'Deltakere i filen',
    'imp.confirm': { one: 'Registrer {n} deltaker', other: 'Registrer {n} deltakere' },
    'imp.cancel': 'Velg en annen fil',
    'imp.done': { one: '{n} deltaker registrert.', other: '{n} deltakere registrert.' },
    'imp.to_people': 'Se deltakerne',
    'imp.col.pseudonym': 'Pseudonym',
    'imp.col.site': 'Sted',
    'imp.col.treatment_started_on': 'Behandlingsstart',
    'imp.col.gender': 'Kjønn',
    'imp.col.age_band': 'Aldersgruppe',
  },
});

const send = (file, dry) => api('POST', `/participants/import${dry ? '?dry_run=true' : ''}`, file, { headers: { 'Content-Type': 'text/csv' } });

/** Where in the file a problem is, in words: `/lines/7/site`, `/header/3`. */
function where(pointer = '') {
  const [, part, n, col] = pointer.split('/');
  const column = col && t(`imp.col.${col}`);
  if (part === 'lines' && n) return column ? t('imp.line_col', { n, col: column }) : t('imp.line', { n });
  if (part === 'header' && /^\d+$/.test(n || '')) return t('imp.header', { n: Number(n) + 1 });
  if (part === 'header' && n) return t('imp.header_col', { col: t(`imp.col.${n}`) });
  return t('imp.file_all');
}

function table(caption, head, rows) {
  // A region the keyboard can scroll when the table is wider than the screen.
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption }, h('table', { class: 'num' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((x, i) => (i === 0 ? h('th', { scope: 'row' }, x) : h('td', {}, x))))))));
}

export async function render(main, { app }) {
  if (!deskTitle(main, app, 'imp.title')) return;
  const sites = await get('/sites').then((s) => (Array.isArray(s) ? s : s.items)).catch(() => app.sites || []);
  const siteName = (id) => (sites.find((s) => s.id === id) || {}).name || '';
  const file = h('input', { type: 'file', accept: '.csv,text/csv,text/plain', name: 'file' });
  const out = h('div', { 'aria-live': 'polite' });
  main.append(h('p', {}, t('imp.intro')),
    h('form', { class: 'card', onsubmit: (e) => e.preventDefault() }, field(t('imp.file'), file, t('imp.columns')), out));

  const again = () => {
    file.value = '';
    clear(out);
    file.focus();
  };
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return clear(out);
    // Cleared, so that the same file, mended, can be chosen again.
    file.value = '';
    clear(out, status('info', h('p', {}, t('imp.checking'))));
    let report;
    try {
      report = await send(f, true);
    } catch (e) {
      return clear(out, problem(e));
    }
    if (report.problems.length) {
      return clear(out,
        status('error', h('p', {}, t('imp.problems', { n: report.problems.length }))),
        table(t('imp.problems', { n: report.problems.length }), [t('imp.where'), t('imp.what')],
          report.problems.map((x) => [where(x.pointer), fieldWords(x)])));
    }
    const n = report.participants.length;
    const confirm = h('button', { type: 'button', class: 'primary' }, t('imp.confirm', { n }));
    clear(out,
      status('ok', h('p', {}, t('imp.ready', { n }))),
      table(t('imp.preview'), ['#', t('imp.col.pseudonym'), t('imp.col.site'), t('imp.col.treatment_started_on')],
        report.participants.map((p) => [String(p.line), p.pseudonym, siteName(p.site_id), p.treatment_started_on])),
      h('div', { class: 'actions' }, confirm, h('button', { type: 'button', onclick: again }, t('imp.cancel'))));
    confirm.addEventListener('click', () => busy(confirm, async () => {
      try {
        const done = await send(f, false);
        clear(out, status('ok', h('p', {}, t('imp.done', { n: done.participants.length }))),
          h('a', { class: 'button', href: '#/more/people' }, t('imp.to_people')));
        out.querySelector('a').focus();
      } catch (e) {
        const errs = e instanceof ApiError ? e.problem.errors || [] : [];
        clear(out, problem(e), errs.length
          ? table(t('imp.what'), [t('imp.where'), t('imp.what')], errs.map((x) => [where(x.pointer), fieldWords(x)])) : null);
      }
    }));
    confirm.focus();
  });
}
