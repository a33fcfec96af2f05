// Enter an interview held before the study used Fieldnotes (coordinators):
// its wave, interviewers and sittings (dates and times at the site), and how
// readiness was checked then. It is saved as completed and marked "entered
// later" everywhere; no one is emailed. Only times before the participant's
// first interview in Fieldnotes are taken (the server says so at the field).
import { get, post, ApiError } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy, checkboxes } from '../ui.js';
import { zonedToDate, dateToZoned } from '../time.js';
import { problem, problemAt } from '../errors.js';
import { deskTitle } from '../desk.js';

words({
  en: {
    'early.title': 'Enter an earlier interview',
    'early.intro': 'For an interview with {p} held before the study used Fieldnotes, from the team’s records. It is saved as completed and marked “Entered later” in the timeline, the report and the exports. No one is emailed.',
    'early.wave': 'Wave',
    'early.interviewers': 'Interviewers',
    'early.sittings': 'Sittings',
    'early.sitting': 'Sitting {n}',
    'early.date': 'Date',
    'early.from': 'From ({tz})',
    'early.to': 'To ({tz})',
    'early.add': 'Add a sitting',
    'early.remove': 'Remove sitting {n}',
    'early.screening_note': 'How readiness was checked then',
    'early.screening_hint': 'In the team’s words, e.g. “POSS on paper, 1”. No screening is recorded for it in Fieldnotes.',
    'early.location': 'Place (optional)',
    'early.note': 'Note (optional)',
    'early.submit': 'Enter the interview',
    'early.done': 'Wave {n} with {p} is entered, as completed.',
    'early.back': 'Back to {p}',
    'early.another': 'Enter another',
  },
  nb: {
    'early.title': 'Registrer et tidligere intervju',
    'early.intro': 'For et intervju med {p} holdt før studien tok i bruk Fieldnotes, fra teamets egne notater. Det lagres som gjennomført og merkes «Registrert i etterkant» i tidslinjen, rapporten og eksportene. Ingen får e-post.',
    'early.wave': 'Bølge',
    'early.interviewers': 'Intervjuere',
    'early.sittings': 'Økter',
    'early.sitting': 'Økt {n}',
    'early.date': 'Dato',
    'early.from': 'Fra ({tz})',
    'early.to': 'Til ({tz})',
    'early.add': 'Legg til en økt',
    'early.remove': 'Fjern økt {n}',
    'early.screening_note': 'Hvordan klarheten ble vurdert da',
    'early.screening_hint': 'Med teamets ord, f.eks. «POSS på papir, 1». Ingen screening registreres for det i Fieldnotes.',
    'early.location': 'Sted (valgfritt)',
    'early.note': 'Notat (valgfritt)',
    'early.submit': 'Registrer intervjuet',
    'early.done': 'Bølge {n} med {p} er registrert som gjennomført.',
    'early.back': 'Tilbake til {p}',
    'early.another': 'Registrer et til',
  },
});

export async function render(main, { app, params, route }) {
  if (!deskTitle(main, app, 'early.title')) return;
  const out = h('div', { 'aria-live': 'polite' });
  let p;
  let waves;
  let users;
  try {
    [p, waves, users] = await Promise.all([
      get(`/participants/${params.id}`),
      get('/settings/waves').then((w) => w.waves),
      get('/users').then((u) => (Array.isArray(u) ? u : u.items)),
    ]);
  } catch (e) {
    main.append(problem(e));
    return;
  }
  const site = app.site(p.site_id) || { timezone: 'Europe/Oslo' };
  const tz = site.timezone;
  const people = users.filter((u) => u.active && u.site_ids.includes(p.site_id));
  const c = {
    wave: h('select', { name: 'wave', required: true }, waves.map((w) => h('option', { value: w.wave }, t('schedule.wave', { n: w.wave })))),
    interviewer_ids: checkboxes(t('early.interviewers'), 'interviewers', people.map((u) => ({ value: u.id, label: u.display_name })),
      people.some((u) => u.id === app.me.id) ? [app.me.id] : []),
    sessions: h('fieldset', { class: 'sittings' }, h('legend', {}, t('early.sittings'))),
    screening_note: h('textarea', { name: 'screening_note', rows: 2, maxlength: 500, required: true }),
    location: h('input', { type: 'text', name: 'location', maxlength: 200 }),
    note: h('textarea', { name: 'note', rows: 2, maxlength: 2000 }),
  };
  const rows = [];
  const list = h('div');
  const add = h('button', { type: 'button' }, t('early.add'));
  const today = dateToZoned(new Date(), tz).slice(0, 10);
  function renumber() {
    rows.forEach((r, i) => {
      r.legend.textContent = t('early.sitting', { n: i + 1 });
      r.remove.textContent = t('early.remove', { n: i + 1 });
      r.remove.hidden = rows.length === 1;
      c[`sessions/${i}/started_at`] = r.from;
      c[`sessions/${i}/ended_at`] = r.to;
      delete c[`sessions/${rows.length}/started_at`];
      delete c[`sessions/${rows.length}/ended_at`];
    });
    add.hidden = rows.length >= 10;
  }
  function sitting() {
    const r = {
      legend: h('legend'),
      date: h('input', { type: 'date', required: true, max: today }),
      from: h('input', { type: 'time', required: true, step: 300 }),
      to: h('input', { type: 'time', required: true, step: 300 }),
      remove: h('button', { type: 'button', class: 'link' }),
    };
    r.el = h('div', {}, h('fieldset', { class: 'compact' }, r.legend,
      field(t('early.date'), r.date), field(t('early.from', { tz }), r.from), field(t('early.to', { tz }), r.to), r.remove));
    r.remove.addEventListener('click', () => {
      rows.splice(rows.indexOf(r), 1);
      r.el.remove();
      renumber();
      rows[0].date.focus();
    });
    rows.push(r);
    list.append(r.el);
    renumber();
    return r;
  }
  add.addEventListener('click', () => sitting().date.focus());
  c.sessions.append(list, add);
  sitting();

  const submit = h('button', { type: 'submit', class: 'primary big' }, t('early.submit'));
  const form = h('form', { class: 'card', novalidate: true },
    h('p', {}, t('early.intro', { p: p.pseudonym })),
    field(t('early.wave'), c.wave), c.interviewer_ids, c.sessions,
    field(t('early.screening_note'), c.screening_note, t('early.screening_hint')),
    field(t('early.location'), c.location), field(t('early.note'), c.note), submit, out);
  main.append(form);

  const at = (date, time) => (date && time ? zonedToDate(`${date}T${time}`, tz).toISOString() : null);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const sessions = rows.map((r) => ({ started_at: at(r.date.value, r.from.value), ended_at: at(r.date.value, r.to.value) }));
    const missing = [];
    sessions.forEach((s, i) => {
      if (!s.started_at) missing.push({ pointer: `/sessions/${i}/started_at`, code: 'required' });
      if (!s.ended_at) missing.push({ pointer: `/sessions/${i}/ended_at`, code: 'required' });
    });
    if (!c.screening_note.value.trim()) missing.push({ pointer: '/screening_note', code: 'required' });
    if (missing.length) return problemAt(new ApiError(422, { errors: missing }), c, out);
    busy(submit, async () => {
      try {
        const iv = await post('/interviews/earlier', {
          participant_id: p.id,
          wave: Number(c.wave.value),
          interviewer_ids: [...c.interviewer_ids.querySelectorAll('input:checked')].map((x) => x.value),
          sessions,
          screening_note: c.screening_note.value.trim(),
          location: c.location.value.trim() || null,
          note: c.note.value.trim() || null,
        });
        problemAt(null, c, out);
        clear(form, status('ok', h('p', {}, t('early.done', { n: iv.wave, p: p.pseudonym }))),
          h('div', { class: 'actions' },
            h('a', { class: 'button primary', href: `#/more/people/${p.id}` }, t('early.back', { p: p.pseudonym })),
            h('a', { class: 'button', href: `#/more/earlier/${p.id}`, onclick: (e) => { e.preventDefault(); route(); } }, t('early.another'))));
        form.querySelector('a').focus();
      } catch (e) {
        problemAt(e, c, out);
      }
    });
  });
}
