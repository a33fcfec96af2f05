// Book an interview (coordinators): participant, wave, a time in the site's
// zone, interviewers of that site. Refusals are shown at the field they concern.
import { get, post, ApiError, qs } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy, checkboxes, uid } from '../ui.js';
import { zonedToDate, dateToZoned, fmt, fmtDateTime } from '../time.js';
import { pref } from '../store.js';
import { problemAt } from '../errors.js';
import '../vocab.js';

words({
  en: {
    'book.participant': 'Participant',
    'book.choose': 'Choose…',
    'book.wave': 'Wave',
    'book.window_hint': 'Due window: {from} to {to}',
    'book.date': 'Date ({tz})',
    'book.time': 'Time ({tz})',
    'book.duration': 'Length in minutes',
    'book.interviewers': 'Interviewers',
    'book.no_team': 'Nobody is assigned to this site.',
    'book.location': 'Where (optional)',
    'book.location_hint': 'e.g. Room 2',
    'book.note': 'Note (optional)',
    'book.outside': 'Book outside opening hours',
    'book.submit': 'Book the interview',
    'book.done': 'Booked: {pseudonym}, wave {n}, {when}.',
    'book.window.open': 'The time is within the wave’s due window.',
    'book.window.before': 'Note: the time is before the wave’s due window opens.',
    'book.window.after': 'Note: the time is after the wave’s due window has closed.',
    'book.another': 'Book another',
    'book.someone': 'An interviewer',
  },
  nb: {
    'book.participant': 'Deltaker',
    'book.choose': 'Velg …',
    'book.wave': 'Bølge',
    'book.window_hint': 'Tidsvindu: {from} til {to}',
    'book.date': 'Dato ({tz})',
    'book.time': 'Klokkeslett ({tz})',
    'book.duration': 'Lengde i minutter',
    'book.interviewers': 'Intervjuere',
    'book.no_team': 'Ingen er knyttet til dette stedet.',
    'book.location': 'Hvor (valgfritt)',
    'book.location_hint': 'f.eks. Rom 2',
    'book.note': 'Merknad (valgfritt)',
    'book.outside': 'Avtal utenfor åpningstiden',
    'book.submit': 'Avtal intervjuet',
    'book.done': 'Avtalt: {pseudonym}, bølge {n}, {when}.',
    'book.window.open': 'Tidspunktet er innenfor bølgens tidsvindu.',
    'book.window.before': 'Merk: tidspunktet er før bølgens tidsvindu åpner.',
    'book.window.after': 'Merk: tidspunktet er etter at bølgens tidsvindu har stengt.',
    'book.another': 'Avtal et til',
    'book.someone': 'En intervjuer',
  },
});

const day = (iso, days = 0) => {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
};
const fmtDate = (iso) => fmt(`${iso}T12:00:00Z`, 'UTC', { day: 'numeric', month: 'short', year: 'numeric' });

export async function render(main, { app, query, route }) {
  document.title = `${t('book.title')} · Fieldnotes`;
  main.append(h('h1', {}, t('book.title')));
  if (!app.sites.length) {
    main.append(status('error', t('note.no_sites')));
    return;
  }
  const want = query.get('site') || pref('site');
  const siteId = app.site(want) ? want : app.sites[0].id;
  const [waves, users] = await Promise.all([
    get('/settings/waves').then((w) => w.waves),
    get('/users').then((u) => (Array.isArray(u) ? u : u.items)), // GET /users answers a bare array
  ]);
  let participants = [];
  let wantParticipant = query.get('participant');
  const wantWave = query.get('wave');

  const outside = h('input', { type: 'checkbox', name: 'outside', id: uid() });
  const c = {
    site: h('select', { name: 'site' }, app.sites.map((s) => h('option', { value: s.id, selected: s.id === siteId }, s.name))),
    participant_id: h('select', { name: 'participant', required: true }),
    wave: h('select', { name: 'wave', required: true }, waves.map((w) => h('option', { value: w.wave, selected: String(w.wave) === wantWave }, t('schedule.wave', { n: w.wave })))),
    date: h('input', { type: 'date', name: 'date', required: true }),
    scheduled_at: h('input', { type: 'time', name: 'time', required: true, step: 300 }),
    duration_minutes: h('input', { type: 'number', name: 'duration', required: true, min: 5, max: 480, step: 5, value: 60, inputmode: 'numeric' }),
    interviewer_ids: h('fieldset'),
    location: h('input', { type: 'text', name: 'location', maxlength: 200 }),
    note: h('textarea', { name: 'note', rows: 2, maxlength: 2000 }),
    allow_outside_opening_hours: outside,
  };
  // A free slot picked on the week grid (schedule.js): its day and time.
  if (/^\d{4}-\d{2}-\d{2}$/.test(query.get('date') || '')) c.date.value = query.get('date');
  if (/^\d{2}:\d{2}$/.test(query.get('time') || '')) c.scheduled_at.value = query.get('time');
  const windowHint = h('p', { class: 'hint', id: uid('w'), 'aria-live': 'polite' });
  c.wave.setAttribute('aria-describedby', windowHint.id);
  const dateField = field('', c.date);
  const timeField = field('', c.scheduled_at);
  const team = h('div');
  let dateTouched = !!c.date.value;
  c.date.addEventListener('change', () => { dateTouched = true; });

  const site = () => app.site(c.site.value);
  const participant = () => participants.find((p) => p.id === c.participant_id.value);
  const wave = () => waves.find((w) => String(w.wave) === c.wave.value);
  const name = (id) => users.find((u) => u.id === id)?.display_name;

  /** The wave's due window for the chosen participant, and a date in it. */
  function suggest() {
    const p = participant();
    const w = wave();
    if (!p || !w) {
      windowHint.textContent = '';
      return;
    }
    const opens = day(p.treatment_started_on, w.opens_day);
    const closes = day(p.treatment_started_on, w.closes_day);
    windowHint.textContent = t('book.window_hint', { from: fmtDate(opens), to: fmtDate(closes) });
    if (!dateTouched) {
      const today = dateToZoned(new Date(), site().timezone).slice(0, 10);
      c.date.value = opens > today ? opens : today;
    }
  }

  async function fillSite() {
    const s = site();
    dateField.querySelector('label').textContent = t('book.date', { tz: s.timezone });
    timeField.querySelector('label').textContent = t('book.time', { tz: s.timezone });
    if (!c.scheduled_at.value) c.scheduled_at.value = s.opening_hours?.[0]?.start || '10:00';
    const hours = (s.opening_hours || []).map((w) => `${w.start}–${w.end}`).join(', ');
    outsideHint.textContent = hours ? t('book.hours', { hours }) : '';
    participants = (await get(`/participants${qs({ site_id: s.id, limit: 200 })}`)).items;
    clear(c.participant_id, h('option', { value: '' }, t('book.choose')),
      participants.map((p) => h('option', { value: p.id, selected: p.id === wantParticipant },
        p.status === 'active' ? p.pseudonym : `${p.pseudonym} (${t(`pstatus.${p.status}`)})`)));
    wantParticipant = null;
    const people = users.filter((u) => u.active && u.site_ids.includes(s.id))
      // The role, and the peer-researcher label beside it as on Team (never a lesser role).
      .map((u) => ({ value: u.id, label: h('span', {}, `${u.display_name} (${t(`role.${u.role}`)})`,
        u.peer_researcher ? [' ', h('span', { class: 'state peer' }, t('role.peer'))] : null) }));
    c.interviewer_ids = checkboxes(t('book.interviewers'), 'interviewer', people, []);
    clear(team, c.interviewer_ids);
    if (!people.length) c.interviewer_ids.append(h('p', { class: 'hint' }, t('book.no_team')));
    suggest();
  }

  const outsideHint = h('p', { class: 'hint', id: uid('o') });
  outside.setAttribute('aria-describedby', outsideHint.id);
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('book.submit'));
  const form = h('form', { class: 'card', novalidate: true },
    field(t('schedule.site'), c.site),
    field(t('book.participant'), c.participant_id),
    h('div', { class: 'field' }, h('label', { for: c.wave.id = uid() }, t('book.wave')), c.wave, windowHint),
    dateField, timeField,
    field(t('book.duration'), c.duration_minutes),
    team,
    field(t('book.location'), c.location, t('book.location_hint')),
    field(t('book.note'), c.note),
    h('div', { class: 'check' }, outside, h('label', { for: outside.id }, t('book.outside'))),
    outsideHint,
    submit, out);
  main.append(form);
  c.site.addEventListener('change', () => { dateTouched = false; fillSite(); });
  c.participant_id.addEventListener('change', suggest);
  c.wave.addEventListener('change', suggest);
  await fillSite();

  const picked = () => [...c.interviewer_ids.querySelectorAll('input:checked')].map((i) => i.value);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const missing = ['participant_id', 'date', 'scheduled_at', 'duration_minutes'].filter((k) => !c[k].value);
    if (!picked().length) missing.push('interviewer_ids');
    if (missing.length) {
      return problemAt(new ApiError(422, { errors: missing.map((k) => ({ pointer: `/${k}`, code: 'required' })) }), c, out);
    }
    const s = site();
    busy(submit, async () => {
      try {
        const iv = await post('/interviews', {
          participant_id: c.participant_id.value,
          wave: Number(c.wave.value),
          scheduled_at: zonedToDate(`${c.date.value}T${c.scheduled_at.value}`, s.timezone).toISOString(),
          duration_minutes: Number(c.duration_minutes.value),
          interviewer_ids: picked(),
          location: c.location.value.trim() || null,
          note: c.note.value.trim() || null,
          allow_outside_opening_hours: outside.checked,
        });
        problemAt(null, c, out);
        clear(form,
          status(iv.window === 'open' ? 'ok' : 'warn',
            h('p', {}, t('book.done', { pseudonym: iv.pseudonym, n: iv.wave, when: fmtDateTime(iv.scheduled_at, s.timezone) })),
            h('p', {}, h('strong', {}, t(`book.window.${iv.window}`)))),
          h('div', { class: 'actions' },
            h('a', { class: 'button primary', href: `#/schedule${qs({ site: s.id, week: iv.scheduled_at })}` }, t('book.back')),
            h('a', { class: 'button', href: `#/schedule/book${qs({ site: s.id })}`, onclick: (e) => { e.preventDefault(); route(); } }, t('book.another'))));
        form.querySelector('a').focus();
      } catch (e) {
        problemAt(e, c, out, (pr) => explain(pr, s));
      }
    });
  });

  function explain(pr, s) {
    const p = participant();
    switch (pr.code) {
      case 'interviewer_busy':
        return { at: 'interviewer_ids', text: t('code.interviewer_busy', { who: name(pr.interviewer_id) || t('book.someone') }) };
      case 'interview_exists':
        return { at: 'participant_id', text: t('code.interview_exists', { pseudonym: p?.pseudonym || '', n: c.wave.value }) };
      case 'participant_withdrawn':
        return { at: 'participant_id', text: t('code.participant_withdrawn', { pseudonym: p?.pseudonym || '' }) };
      default: {
        const errs = pr.errors || [];
        if (errs.length === 1 && errs[0].code === 'outside_opening_hours') {
          const { windows = [], time_zone: tz } = errs[0].params || {};
          const hours = windows.map((w) => `${w.start}–${w.end}`).join(', ');
          return { at: 'scheduled_at', text: t('code.outside_hours', { hours, tz }) };
        }
        return null;
      }
    }
  }
}
