// Export for analysis (coordinators and admins): what to export (the REFI-QDA
// project or one of the CSV files), the period and site, what to add to the
// protective default, then the download. The file is fetched with the
// bearer token and handed to the browser as a blob, so it is never a plain
// link that would go out without the sign-in.
import { api, ApiError, qs } from '../api.js';
import { t, lang, words } from '../i18n.js';
import { h, clear, field, status, busy, uid } from '../ui.js';
import { zonedToDate, dateToZoned } from '../time.js';
import { problemAt } from '../errors.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'export.title': 'Export for analysis',
    'export.intro': 'Download the study’s data for analysis software or a spreadsheet. Every export is logged with who made it and what it covers.',
    'export.what': 'What to export',
    'export.kind.project': 'Project for analysis tools (.qdpx)',
    'export.kind.project_hint': 'Notes and transcripts with their codes, and participants as cases. Opens in NVivo, ATLAS.ti, MAXQDA and QualCoder.',
    'export.kind.notes': 'Field notes (CSV)',
    'export.kind.notes_hint': 'One row per note: when and where it was observed, who wrote it, participants, codes and the text.',
    'export.kind.participants': 'Participants (CSV)',
    'export.kind.participants_hint': 'One row per participant: pseudonym, status, gender and the latest wave completed.',
    'export.kind.screenings': 'Screenings (CSV)',
    'export.kind.screenings_hint': 'One row per screening: the answers, the total and the verdict.',
    'export.kind.interviews': 'Interviews (CSV)',
    'export.kind.interviews_hint': 'One row per interview: wave, status, times, postponements, reschedules and minutes of sessions.',
    'export.kind.postponements': 'Postponements (CSV)',
    'export.kind.postponements_hint': 'One row per postponement: the reason, the old time and the new one.',
    'export.kind.sessions': 'Interview sessions (CSV)',
    'export.kind.sessions_hint': 'One row per session: start, end, minutes and whether it was recorded.',
    'export.kind.consents': 'Consent log (CSV)',
    'export.kind.consents_hint': 'One row per consent: form version, method, when it was given and withdrawn, and what was decided for the data.',
    'export.period': 'Period',
    'export.period_hint': 'Days in {tz} time. Notes count by when they were observed, interviews by when they were scheduled, screenings by when they were done, consents by when they were given. Leave a date empty for no limit.',
    'export.include': 'Also include',
    'export.include_warn': 'These can identify participants and staff. There are few clinics: a clinic plus a date and a small count can identify someone. Tick only what the analysis needs, and keep the file safe.',
    'export.include.site': 'The site (clinic) name',
    'export.include.age_band': 'Participants’ age band',
    'export.include.staff_names': 'Staff names (otherwise “Fieldworker 1”, “Fieldworker 2” …)',
    'export.download': 'Download',
    'export.preparing': 'Preparing the file… Stay on this screen until it is downloaded.',
    'export.done': 'Downloaded {file} ({size}).',
    'export.forbidden': 'Only coordinators and admins can export.',
    'export.err.from': 'This is not a date.',
    'export.err.to': 'The last day must be the same as the first day or after it.',
    'export.err.site_id': 'You cannot export this site.',
    'export.err.include': 'Choose only among these boxes.',
  },
  nb: {
    'export.title': 'Eksport til analyse',
    'export.intro': 'Last ned studiens data til analyseprogrammer eller et regneark. Hver eksport loggføres med hvem som laget den og hva den omfatter.',
    'export.what': 'Hva skal eksporteres',
    'export.kind.project': 'Prosjekt for analyseverktøy (.qdpx)',
    'export.kind.project_hint': 'Notater og transkripsjoner med kodene sine, og deltakerne som case. Åpnes i NVivo, ATLAS.ti, MAXQDA og QualCoder.',
    'export.kind.notes': 'Feltnotater (CSV)',
    'export.kind.notes_hint': 'Én rad per notat: når og hvor det ble observert, hvem som skrev det, deltakere, koder og teksten.',
    'export.kind.participants': 'Deltakere (CSV)',
    'export.kind.participants_hint': 'Én rad per deltaker: pseudonym, status, kjønn og siste fullførte bølge.',
    'export.kind.screenings': 'Screeninger (CSV)',
    'export.kind.screenings_hint': 'Én rad per screening: svarene, summen og resultatet.',
    'export.kind.interviews': 'Intervjuer (CSV)',
    'export.kind.interviews_hint': 'Én rad per intervju: bølge, status, tidspunkter, utsettelser og minutter med økter.',
    'export.kind.postponements': 'Utsettelser (CSV)',
    'export.kind.postponements_hint': 'Én rad per utsettelse: grunnen, det gamle og det nye tidspunktet.',
    'export.kind.sessions': 'Intervjuøkter (CSV)',
    'export.kind.sessions_hint': 'Én rad per økt: start, slutt, minutter og om den ble tatt opp.',
    'export.kind.consents': 'Samtykkelogg (CSV)',
    'export.kind.consents_hint': 'Én rad per samtykke: skjemaversjon, måte, når det ble gitt og trukket, og hva som ble bestemt for dataene.',
    'export.period': 'Periode',
    'export.period_hint': 'Dager i {tz}-tid. Notater telles etter når de ble observert, intervjuer etter når de var avtalt, screeninger etter når de ble gjort, samtykker etter når de ble gitt. La en dato stå tom for ingen grense.',
    'export.include': 'Ta også med',
    'export.include_warn': 'Dette kan identifisere deltakere og ansatte. Det er få klinikker: en klinikk, en dato og et lite antall kan være nok til å kjenne igjen noen. Kryss bare av for det analysen trenger, og oppbevar filen trygt.',
    'export.include.site': 'Navnet på stedet (klinikken)',
    'export.include.age_band': 'Deltakernes aldersgruppe',
    'export.include.staff_names': 'Navn på ansatte (ellers «Fieldworker 1», «Fieldworker 2» … i filen)',
    'export.download': 'Last ned',
    'export.preparing': 'Lager filen … Bli på denne siden til den er lastet ned.',
    'export.done': 'Lastet ned {file} ({size}).',
    'export.forbidden': 'Bare koordinatorer og administratorer kan eksportere.',
    'export.err.from': 'Dette er ikke en dato.',
    'export.err.to': 'Siste dag må være den samme som første dag eller senere.',
    'export.err.site_id': 'Du kan ikke eksportere dette stedet.',
    'export.err.include': 'Velg bare blant disse boksene.',
  },
});

const KINDS = ['project', ...LISTS.CsvKind];
const INCLUDE = ['site', 'age_band', 'staff_names'];

/** 'YYYY-MM-DD' plus `days`. */
const addDays = (iso, days) => {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
};

/** The file name the server gave (Content-Disposition), else our own. */
function fileName(res, kind, tz) {
  const cd = res.headers.get('content-disposition') || '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i) || cd.match(/filename="?([^";]+)"?/i);
  let name = '';
  try {
    name = m ? decodeURIComponent(m[1].trim()) : '';
  } catch {
    name = m[1].trim();
  }
  name = name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '').replace(/^\.+/, '');
  if (name) return name;
  const day = dateToZoned(new Date(), tz).slice(0, 10);
  return kind === 'project' ? `fieldnotes-${day}.qdpx` : `fieldnotes-${kind}-${day}.csv`;
}

const size = (n) => {
  const kb = n / 1024;
  const nf = new Intl.NumberFormat(lang() === 'nb' ? 'nb-NO' : 'en-GB', { maximumFractionDigits: kb < 10 ? 1 : 0 });
  return kb < 1024 ? `${nf.format(Math.max(kb, 0.1))} KB` : `${nf.format(kb / 1024)} MB`;
};

/** Hands a downloaded blob to the browser as a file. */
function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click is handled; give it a
  // moment before the blob is released.
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

export async function render(main, { app, onLeave }) {
  document.title = `${t('export.title')} · Fieldnotes`;
  main.append(h('h1', {}, t('export.title')));
  if (!app.coordinator) {
    main.append(status('error', t('export.forbidden')));
    return;
  }
  // Leaving the screen abandons a download under way, and nothing is
  // written into the screen that replaced this one.
  let left = false;
  let running = null;
  onLeave(() => {
    left = true;
    running?.abort();
  });

  const kindName = (k) => `${k}-name`;
  const kinds = h('fieldset', { class: 'choices' },
    h('legend', {}, t('export.what')),
    KINDS.map((k, i) => {
      const id = uid('x');
      return h('div', { class: 'choice' },
        h('input', {
          type: 'radio', id, name: 'kind', value: k, checked: i === 0,
          'aria-labelledby': `${id}-${kindName(k)}`, 'aria-describedby': `${id}-hint`,
        }),
        h('label', { for: id, class: 'described' },
          h('span', { id: `${id}-${kindName(k)}`, class: 'name' }, t(`export.kind.${k}`)),
          h('span', { id: `${id}-hint`, class: 'hint' }, t(`export.kind.${k}_hint`))));
    }));

  const c = {
    site_id: h('select', { name: 'site_id' },
      h('option', { value: '' }, t('export.all_sites')),
      app.sites.map((s) => h('option', { value: s.id }, s.name))),
    from: h('input', { type: 'date', name: 'from' }),
    to: h('input', { type: 'date', name: 'to' }),
    include: null,
  };
  const tz = () => app.site(c.site_id.value)?.timezone || app.tz;
  const periodHint = h('p', { class: 'hint', id: uid('p') });
  const showZone = () => { periodHint.textContent = t('export.period_hint', { tz: tz() }); };
  showZone();
  c.site_id.addEventListener('change', showZone);
  const period = h('fieldset', { 'aria-describedby': periodHint.id },
    h('legend', {}, t('export.period')),
    periodHint,
    field(t('export.from'), c.from),
    field(t('export.to'), c.to));

  const warn = h('p', { class: 'msg warn', id: uid('w') }, t('export.include_warn'));
  c.include = h('fieldset', { 'aria-describedby': warn.id },
    h('legend', {}, t('export.include')),
    warn,
    INCLUDE.map((k) => {
      const box = h('input', { type: 'checkbox', name: 'include', value: k, id: uid('i') });
      return h('div', { class: 'check' }, box, h('label', { for: box.id }, t(`export.include.${k}`)));
    }));

  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('export.download'));
  const form = h('form', { class: 'card', novalidate: true },
    kinds,
    field(t('export.site'), c.site_id),
    period,
    c.include,
    submit, out);
  main.append(h('p', {}, t('export.intro')), form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (running) return;
    const kind = form.elements.kind.value || KINDS[0];
    const zone = tz();
    const include = [...c.include.querySelectorAll('input:checked')].map((i) => i.value);
    const query = qs({
      site_id: c.site_id.value,
      // Local days, as the UTC instants the API wants: from the start of
      // the first day to the start of the day after the last (exclusive).
      from: c.from.value ? zonedToDate(`${c.from.value}T00:00`, zone).toISOString() : '',
      to: c.to.value ? zonedToDate(`${addDays(c.to.value, 1)}T00:00`, zone).toISOString() : '',
      include: include.join(','),
    });
    const path = kind === 'project' ? `/exports/project.qdpx${query}` : `/exports/${kind}.csv${query}`;
    const accept = kind === 'project' ? 'application/zip' : 'text/csv';
    problemAt(null, c, out);
    out.append(status('info', h('p', {}, t('export.preparing'))));
    running = new AbortController();
    busy(submit, async () => {
      try {
        const { blob, res } = await api('GET', path, undefined, {
          blob: true, signal: running.signal, headers: { Accept: `${accept}, application/problem+json` },
        });
        if (left) return;
        const name = fileName(res, kind, zone);
        save(blob, name);
        clear(out, status('ok', h('p', {}, t('export.done', { file: name, size: size(blob.size) }))));
      } catch (e) {
        if (left) return;
        if (e instanceof ApiError && e.status === 403) {
          problemAt(null, c, out);
          out.append(status('error', h('p', {}, t('export.forbidden'))));
        } else {
          problemAt(translated(e), c, out);
        }
      } finally {
        running = null;
      }
    }).then(() => {
      if (!left && !form.querySelector('[aria-invalid=true]')) submit.focus({ preventScroll: true });
    });
  });
}

/** A refusal with each known field error in the user's language. */
function translated(e) {
  if (!(e instanceof ApiError) || !e.problem.errors?.length) return e;
  const errors = e.problem.errors.map((x) => {
    const key = `export.err.${(x.pointer || '').split('/')[1] || ''}`;
    const text = t(key);
    return text === key ? x : { ...x, text };
  });
  return new ApiError(e.status, { ...e.problem, errors });
}
