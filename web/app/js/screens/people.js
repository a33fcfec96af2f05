// Participants (coordinators and admins): the list with each one's status and
// the wave they are due for with its window, filtered by site and status,
// searched by the start of the pseudonym, a page at a time; and one
// participant's timeline, newest first: registration, screenings with their
// verdict, consents and withdrawals, interviews with their postponements and
// sessions, and the notes about them. The list beside the participant from
// 1024 px (CSS only); on a phone the list, or the participant.
import { get, qs } from '../api.js';
import { t, text, words } from '../i18n.js';
import { h, clear, field, busy, status } from '../ui.js';
import { fmtDateTime, dateToZoned } from '../time.js';
import { load } from '../store.js';
import { problem } from '../errors.js';
import { statusBadge } from './today.js';
import { interviewActions, participantActions } from './corrections.js';
import { deskTitle, reasonWords, addDays, dayWords } from '../desk.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'people.title': 'Participants',
    'people.search': 'Pseudonym starts with',
    'people.status': 'Status',
    'people.any_status': 'Any status',
    'people.show': 'Show',
    'people.list': 'The list',
    'people.shown': '{n} shown',
    'people.none': 'No participant matches.',
    'people.more': 'Show more',
    'people.wave': 'Wave {n}',
    'people.window': '{from} – {to}',
    'people.opens': 'Wave {n} opens {date}',
    'people.not_booked': 'not booked',
    'people.booked': 'booked {when}',
    'people.next_booked': 'Wave {n}: booked {when}',
    'people.next_tba': 'Wave {n}: postponed, time to be agreed',
    'people.tba': 'postponed, time to be agreed',
    'people.pick': 'Choose a participant to see their timeline.',
    'people.back': 'All participants',
    'people.started': 'Treatment started {date}',
    'people.age_band': 'Age {band}',
    'people.actions': 'Screening, consent and sessions',
    'people.book': 'Book wave {n}',
    'people.timeline': 'Timeline',
    'people.newest': 'Newest first.',
    'people.nothing': 'Nothing yet.',
    'people.more_notes': 'Older notes about them are on the Notes screen.',
    'people.ev.registered': 'Registered',
    'people.ev.registered_at': 'At {site}.',
    'people.ev.screening': 'Screening: {name}',
    'people.ev.total': 'Score {n}.',
    'people.ev.consent': 'Consent given',
    'people.ev.consent_how': '{method}, form version {version}.',
    'people.ev.withdrawn': 'Consent withdrawn',
    'people.ev.data.keep': 'Their data is kept.',
    'people.ev.data.delete': 'Their screenings were deleted.',
    'people.ev.booked': 'Interview booked (wave {n})',
    'people.ev.booked_for': 'For {when}.',
    'people.ev.now': 'Now:',
    'people.ev.postponed': 'Interview postponed (wave {n})',
    'people.ev.rescheduled': 'Interview rescheduled (wave {n})',
    'people.ev.agreed': 'Interview time agreed (wave {n})',
    'people.ev.set_for': 'For {when}.',
    'people.ev.moved': 'From {from} to {to}.',
    'people.ev.session': 'Session {s} (wave {n})',
    'people.ev.running': 'Still running.',
    'people.ev.minutes': '{m} minutes.',
    'people.ev.recorded': 'Recorded ({label}).',
    'people.ev.not_recorded': 'Not recorded.',
    'people.ev.completed': 'Interview completed (wave {n})',
    'people.ev.completed_how': '{m} minutes in {s} sessions.',
    'people.ev.cancelled': 'Interview cancelled (wave {n})',
    'people.ev.note': 'Note ({where})',
    'people.ev.open_interview': 'Open the interview',
    'people.ev.transcripts': 'Transcripts and coding',
    'people.ev.open_note': 'Open the note',
    'people.in_wave': 'Wave',
    'people.wave_state': 'Standing in that wave',
    'people.ws.any': 'Any',
    'people.ws.due': 'Due in wave {n}',
    'people.ws.missed': 'Missed wave {n}',
    'people.ws.interviewed': 'Interviewed in wave {n}',
    'people.ws.withdrawn': 'Withdrew without wave {n}',
    'people.waves': 'Waves',
    'people.w.due': 'Due',
    'people.w.missed': 'Missed',
    'people.w.later': 'Not yet open',
    'people.w.opens': 'opens {date}',
    'people.w.none': 'Not held',
    'people.earlier': 'Enter an earlier interview',
    'people.ev.earlier': 'Interview (wave {n})',
    'people.ev.entered_later': 'Entered later',
    'people.ev.readiness': 'Readiness then: {note}',
  },
  nb: {
    'people.title': 'Deltakere',
    'people.search': 'Pseudonymet begynner med',
    'people.status': 'Status',
    'people.any_status': 'Alle',
    'people.show': 'Vis',
    'people.list': 'Listen',
    'people.shown': '{n} vist',
    'people.none': 'Ingen deltakere passer.',
    'people.more': 'Vis flere',
    'people.wave': 'Bølge {n}',
    'people.window': '{from} – {to}',
    'people.opens': 'Bølge {n} åpner {date}',
    'people.not_booked': 'ikke avtalt',
    'people.booked': 'avtalt {when}',
    'people.next_booked': 'Bølge {n}: avtalt {when}',
    'people.next_tba': 'Bølge {n}: utsatt, tid ikke avtalt',
    'people.tba': 'utsatt, tid avtales senere',
    'people.pick': 'Velg en deltaker for å se tidslinjen.',
    'people.back': 'Alle deltakere',
    'people.started': 'Behandlingen startet {date}',
    'people.age_band': 'Alder {band}',
    'people.actions': 'Screening, samtykke og økter',
    'people.book': 'Avtal bølge {n}',
    'people.timeline': 'Tidslinje',
    'people.newest': 'Nyeste først.',
    'people.nothing': 'Ingenting ennå.',
    'people.more_notes': 'Eldre notater om deltakeren finner du under Notater.',
    'people.ev.registered': 'Registrert',
    'people.ev.registered_at': 'Ved {site}.',
    'people.ev.screening': 'Screening: {name}',
    'people.ev.total': 'Poengsum {n}.',
    'people.ev.consent': 'Samtykke gitt',
    'people.ev.consent_how': '{method}, skjemaversjon {version}.',
    'people.ev.withdrawn': 'Samtykke trukket',
    'people.ev.data.keep': 'Dataene beholdes.',
    'people.ev.data.delete': 'Screeningene ble slettet.',
    'people.ev.booked': 'Intervju avtalt (bølge {n})',
    'people.ev.booked_for': 'Til {when}.',
    'people.ev.now': 'Nå:',
    'people.ev.postponed': 'Intervju utsatt (bølge {n})',
    'people.ev.rescheduled': 'Intervju flyttet (bølge {n})',
    'people.ev.agreed': 'Intervjutidspunkt avtalt (bølge {n})',
    'people.ev.set_for': 'Til {when}.',
    'people.ev.moved': 'Fra {from} til {to}.',
    'people.ev.session': 'Økt {s} (bølge {n})',
    'people.ev.running': 'Pågår fortsatt.',
    'people.ev.minutes': '{m} minutter.',
    'people.ev.recorded': 'Tatt opp ({label}).',
    'people.ev.not_recorded': 'Ikke tatt opp.',
    'people.ev.completed': 'Intervju fullført (bølge {n})',
    'people.ev.completed_how': '{m} minutter i {s} økter.',
    'people.ev.cancelled': 'Intervju avlyst (bølge {n})',
    'people.ev.note': 'Notat ({where})',
    'people.ev.open_interview': 'Åpne intervjuet',
    'people.ev.transcripts': 'Transkripsjoner og koding',
    'people.ev.open_note': 'Åpne notatet',
    'people.in_wave': 'Bølge',
    'people.wave_state': 'Status i den bølgen',
    'people.ws.any': 'Alle',
    'people.ws.due': 'Skal intervjues i bølge {n}',
    'people.ws.missed': 'Gikk glipp av bølge {n}',
    'people.ws.interviewed': 'Intervjuet i bølge {n}',
    'people.ws.withdrawn': 'Trakk seg uten bølge {n}',
    'people.waves': 'Bølger',
    'people.w.due': 'Skal intervjues',
    'people.w.missed': 'Gått glipp av',
    'people.w.later': 'Ikke åpnet ennå',
    'people.w.opens': 'åpner {date}',
    'people.w.none': 'Ikke holdt',
    'people.earlier': 'Registrer et tidligere intervju',
    'people.ev.earlier': 'Intervju (bølge {n})',
    'people.ev.entered_later': 'Registrert i etterkant',
    'people.ev.readiness': 'Klarhet den gang: {note}',
  },
});

const STATUSES = LISTS.ParticipantStatus;
const WAVE_STATES = ['due', 'missed', 'interviewed', 'withdrawn'];
const PAGE = 50;

// The list as last shown, so that opening a participant keeps the pages
// already loaded (each opens at its own address). Fresh for a minute.
let kept = null;
const FRESH_MS = 60e3;

export async function render(main, { app, params, query, signal, live }) {
  if (!deskTitle(main, app, 'people.title')) return;
  const f = { q: query.get('q') || '', site: query.get('site') || '', status: query.get('status') || '' };
  // A wave filter is both or neither (the API refuses one alone).
  if (query.get('wave') && query.get('wave_state')) Object.assign(f, { wave: query.get('wave'), wave_state: query.get('wave_state') });
  const here = qs(f);
  const id = params.id;
  const listSec = h('section', { class: 'card desk-list', 'aria-labelledby': 'pl-h' });
  const itemSec = h('section', { class: 'desk-item', 'aria-labelledby': 'pp-h' });
  main.append(h('div', { class: `desk people${id ? ' open' : ''}` }, listSec, itemSec));

  const tzOf = (siteId) => app.site(siteId)?.timezone || app.tz;
  let waves = [];

  // ---- the list -------------------------------------------------------
  const search = h('input', { type: 'search', name: 'q', value: f.q, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', maxlength: 60 });
  const site = h('select', { name: 'site' },
    h('option', { value: '' }, t('export.all_sites')),
    app.sites.map((s) => h('option', { value: s.id, selected: s.id === f.site }, s.name)));
  const state = h('select', { name: 'status' },
    h('option', { value: '' }, t('people.any_status')),
    STATUSES.map((s) => h('option', { value: s, selected: s === f.status }, t(`pstatus.${s}`))));
  const wave = h('select', { name: 'wave' });
  const waveState = h('select', { name: 'wave_state' });
  // The standings name the wave chosen.
  const stateWords = () => {
    const was = waveState.options.length ? waveState.value : f.wave_state || '';
    clear(waveState, ['', ...WAVE_STATES].map((s) => h('option', { value: s, selected: s === was }, t(`people.ws.${s || 'any'}`, { n: wave.value }))));
  };
  wave.addEventListener('change', stateWords);
  const waveRow = h('div', { class: 'row', hidden: true }, field(t('people.in_wave'), wave), field(t('people.wave_state'), waveState));
  const filters = h('form', { class: 'filters', role: 'search' },
    field(t('people.search'), search),
    h('div', { class: 'row' },
      app.sites.length > 1 ? field(t('export.site'), site) : null,
      field(t('people.status'), state)),
    waveRow,
    h('button', { type: 'submit', class: 'primary' }, t('people.show')));
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ws = waveState.value;
    location.hash = `#/more/people${qs({ q: search.value.trim(), site: site.value, status: state.value, wave: ws && wave.value, wave_state: ws })}`;
  });
  const count = h('small', {});
  const list = h('ul', { class: 'cards' });
  const moreOut = h('div');
  const more = h('button', { type: 'button', class: 'secondary big', hidden: true }, t('people.more'));
  clear(listSec, filters, h('h2', { id: 'pl-h' }, t('people.list'), ' ', count), list, more, moreOut);

  /** What the participant is due for: the open waves, else the next to open. */
  function dueLine(p, due) {
    if (p.status !== 'active') return null;
    const tz = tzOf(p.site_id);
    if (due.length) {
      return due.map((d) => h('span', { class: 'due' },
        `${t('people.wave', { n: d.wave })} · ${t('people.window', { from: dayWords(d.opens_on), to: dayWords(d.closes_on) })} `,
        h('span', { class: `state due-${d.state}` }, t(`due.${d.state}`)), ' ',
        !d.interview ? t('people.not_booked')
          : d.interview.status === 'postponed' ? t('people.tba')
            : t('people.booked', { when: fmtDateTime(d.interview.scheduled_at, tz) })));
    }
    const today = dateToZoned(new Date(), tz).slice(0, 10);
    const next = waves.map((w) => ({ n: w.wave, opens: addDays(p.treatment_started_on, w.opens_day) }))
      .find((w) => w.opens > today);
    return next ? h('span', { class: 'due' }, t('people.opens', { n: next.n, date: dayWords(next.opens, true) })) : null;
  }

  function card(p, dues) {
    const s = app.site(p.site_id);
    return h('li', {}, h('a', {
      class: 'card link person', href: `#/more/people/${p.id}${here}`,
      'aria-current': p.id === id ? 'page' : false, 'data-participant': p.id,
    },
    h('strong', { class: 'who' }, p.pseudonym),
    h('span', { class: 'where' }, [s?.name, t(`pstatus.${p.status}`)].filter(Boolean).join(' · ')),
    dueLine(p, dues[p.id] || []),
    bookingLine(p, dues[p.id] || [])));
  }

  /** Their next open interview, unless the due line already names it (a booking outside a due window). */
  function bookingLine(p, due) {
    const b = p.next_interview;
    if (!b || due.some((d) => d.interview?.id === b.id)) return null;
    return h('span', { class: 'due booked' }, b.status === 'postponed'
      ? t('people.next_tba', { n: b.wave })
      : t('people.next_booked', { n: b.wave, when: fmtDateTime(b.scheduled_at, tzOf(p.site_id)) }));
  }

  function showList() {
    clear(list, kept.items.length ? kept.items.map((p) => card(p, kept.due)) : h('li', { class: 'empty' }, t('people.none')));
    count.textContent = t('people.shown', { n: kept.items.length });
    more.hidden = !kept.next;
  }

  async function dueByParticipant() {
    const by = {};
    if (f.status && f.status !== 'active') return by;
    const lists = await Promise.all(waves.map((w) => get(`/participants/due${qs({ wave: w.wave, site_id: f.site })}`, { signal })));
    for (const d of lists.flatMap((l) => l.items)) (by[d.participant_id] ||= []).push(d);
    for (const k of Object.keys(by)) by[k].sort((a, b) => a.wave - b.wave);
    return by;
  }

  const page = (cursor) => get(`/participants${qs({
    site_id: f.site, status: f.status, pseudonym_prefix: f.q, wave: f.wave, wave_state: f.wave_state, limit: PAGE, cursor,
  })}`, { signal });

  more.addEventListener('click', () => busy(more, async () => {
    clear(moreOut);
    try {
      const p = await page(kept.next);
      if (!live()) return;
      const from = kept.items.length;
      kept.items.push(...p.items);
      kept.next = p.next_cursor;
      showList();
      list.children[from]?.querySelector('a')?.focus();
    } catch (e) {
      if (live()) moreOut.append(problem(e));
    }
  }));

  const loading = h('p', { class: 'loading', role: 'status' }, t('loading'));
  list.before(loading);
  try {
    waves = (await load('waves', '/settings/waves', signal)).waves || [];
    if (waves.length) {
      clear(wave, waves.map((w) => h('option', { value: w.wave, selected: String(w.wave) === f.wave }, t('people.wave', { n: w.wave }))));
      stateWords();
      waveRow.hidden = false;
    }
    if (!kept || kept.key !== here || Date.now() - kept.at > FRESH_MS || kept.user !== app.me.id) {
      const [first, due] = await Promise.all([page(), dueByParticipant()]);
      kept = { key: here, user: app.me.id, at: Date.now(), items: first.items, next: first.next_cursor, due };
    }
  } catch (e) {
    if (!live()) return;
    loading.replaceWith(problem(e));
    return;
  }
  if (!live()) return;
  loading.remove();
  showList();

  // ---- one participant ------------------------------------------------
  if (!id) {
    itemSec.classList.add('hint-only');
    itemSec.append(h('h2', { id: 'pp-h', class: 'vh' }, t('people.timeline')), h('p', { class: 'hint' }, t('people.pick')));
    return;
  }
  itemSec.classList.add('card');
  itemSec.append(h('p', { class: 'loading', role: 'status' }, t('loading')));
  try {
    await showParticipant(itemSec, id, { app, signal, live, here, waves, dueLine });
  } catch (e) {
    if (live() && e?.name !== 'AbortError') clear(itemSec, h('h2', { id: 'pp-h' }, t('people.title')), problem(e));
  }
}

/** All pages of a cursor-paged list, up to `max` items; `more` tells whether some were left. */
async function all(path, signal, max = 400) {
  const items = [];
  let cursor;
  do {
    const p = await get(`${path}${path.includes('?') ? '&' : '?'}${qs({ limit: 200, cursor }).slice(1)}`, { signal });
    items.push(...p.items);
    cursor = p.next_cursor;
  } while (cursor && items.length < max);
  return { items, more: !!cursor };
}

async function showParticipant(sec, id, ctx) {
  const { app, signal, live, here, waves, dueLine, note } = ctx;
  const p = await get(`/participants/${id}`, { signal });
  const [dues, screenings, consents, interviews, notes, instruments, codes, team] = await Promise.all([
    // What they are due for, whatever the list's filters.
    p.status !== 'active' ? [] : Promise.all(waves.map((w) => get(`/participants/due${qs({ wave: w.wave, site_id: p.site_id })}`, { signal })))
      .then((lists) => lists.flatMap((l) => l.items).filter((d) => d.participant_id === id)),
    all(`/participants/${id}/screenings`, signal),
    get(`/participants/${id}/consents`, { signal }),
    get(`/interviews${qs({ participant_id: id, limit: 200 })}`, { signal }),
    all(`/notes${qs({ participant_id: id })}`, signal, 200),
    load('instruments', '/instruments', signal).catch(() => ({ items: [] })),
    load('codes', '/codes', signal).catch(() => ({ items: [] })),
    load('users', '/users', signal).then((u) => (Array.isArray(u) ? u : u.items)).catch(() => []),
  ]);
  if (!live()) return;
  document.title = `${p.pseudonym} · Fieldnotes`;
  const site = app.site(p.site_id);
  const tz = site?.timezone || app.tz;
  const when = (iso) => fmtDateTime(iso, tz);
  const instrument = (s) => text(instruments.items.find((i) => i.id === s.instrument_id)?.name) || s.instrument_key;
  const codeName = (cid) => codes.items.find((c) => c.id === cid)?.name;
  const para = (...c) => h('p', {}, ...c);

  // Every event: when, what, the details, and where to act on it.
  const events = [];
  const add = (at, kind, title, body, link) => at && events.push({ at, ms: Date.parse(at), kind, title, body, link });
  add(p.created_at, 'registered', t('people.ev.registered'), [site ? para(t('people.ev.registered_at', { site: site.name })) : null]);
  for (const s of screenings.items) {
    const shown = s.reasons.filter((r) => s.outcome === 'ready' || r.outcome !== 'ready');
    add(s.performed_at, 'screening', t('people.ev.screening', { name: instrument(s) }), [
      para(h('span', { class: `state v-${s.outcome}` }, t(`outcome.${s.outcome}`)),
        s.total !== null && s.total !== undefined ? [' ', t('people.ev.total', { n: s.total })] : null),
      shown.length ? h('ul', { class: 'reasons' }, shown.map((r) => h('li', {}, r.message))) : null,
      s.note ? h('p', { class: 'body' }, s.note) : null,
    ]);
  }
  for (const c of consents.items) {
    add(c.obtained_at, 'consent', t('people.ev.consent'), [
      para(t('people.ev.consent_how', { method: t(`consent.${c.method}`), version: c.form_version })),
      c.note ? h('p', { class: 'body' }, c.note) : null,
    ]);
    add(c.withdrawn_at, 'withdrawn', t('people.ev.withdrawn'), [
      c.withdraw_reason ? h('p', { class: 'body' }, c.withdraw_reason) : null,
      c.data_decision ? para(t(`people.ev.data.${c.data_decision}`)) : null,
    ]);
  }
  // A correction reloads the participant, saying what was done.
  const done = (said) => live() && showParticipant(sec, id, { ...ctx, note: said }).catch((e) => sec.prepend(problem(e)));
  for (const i of interviews.items) {
    const n = i.wave;
    const link = { href: `#/participant/${p.id}?interview=${i.id}`, label: t('people.ev.open_interview') };
    // One held before Fieldnotes: dated by its first sitting, not by its entry.
    const later = i.entered_later;
    add(later ? i.first_scheduled_at : i.created_at, later ? 'earlier' : 'booked', t(later ? 'people.ev.earlier' : 'people.ev.booked', { n }), [
      later
        ? para(h('span', { class: 'state' }, t('people.ev.entered_later')), ' ', i.screening_note ? t('people.ev.readiness', { note: i.screening_note }) : null)
        : para(t('people.ev.booked_for', { when: when(i.first_scheduled_at) })),
      para(t('people.ev.now'), ' ', statusBadge(i.status), ' ', i.status === 'postponed' ? t('tba') : when(i.scheduled_at)),
      i.status === 'cancelled' ? null : para(h('a', { class: 'tap', href: `#/more/transcripts?interview=${i.id}` }, t('people.ev.transcripts'))),
      interviewActions(i, { site, team, done }),
    ], link);
    for (const x of i.postponements) {
      add(x.created_at, 'postponed', t('people.ev.postponed', { n }), [
        para(h('strong', { class: 'reason' }, reasonWords(x.reason))),
        para(t('people.ev.moved', { from: when(x.previous_scheduled_at), to: x.new_scheduled_at ? when(x.new_scheduled_at) : t('tba') })),
        x.note ? h('p', { class: 'body' }, x.note) : null,
      ]);
    }
    // A new time with no reason: history, never a postponement.
    for (const x of i.reschedules || []) {
      add(x.created_at, 'rescheduled', t(x.previous_scheduled_at ? 'people.ev.rescheduled' : 'people.ev.agreed', { n }), [
        para(x.previous_scheduled_at
          ? t('people.ev.moved', { from: when(x.previous_scheduled_at), to: when(x.new_scheduled_at) })
          : t('people.ev.set_for', { when: when(x.new_scheduled_at) })),
      ]);
    }
    for (const s of i.sessions) {
      add(s.started_at, 'session', t('people.ev.session', { s: s.n, n }), [
        para(s.ended_at ? t('people.ev.minutes', { m: s.minutes ?? 0 }) : t('people.ev.running'), ' ',
          s.recorded ? t('people.ev.recorded', { label: s.recording_label || '—' }) : t('people.ev.not_recorded')),
        s.note ? h('p', { class: 'body' }, s.note) : null,
      ]);
    }
    add(i.completed_at, 'completed', t('people.ev.completed', { n }),
      [para(t('people.ev.completed_how', { m: i.total_minutes, s: i.sessions.length }))]);
    // The API keeps no time of its own for a cancellation: its last change is it.
    if (i.status === 'cancelled') add(i.updated_at, 'cancelled', t('people.ev.cancelled', { n }), [i.cancel_reason ? h('p', { class: 'body' }, i.cancel_reason) : null]);
  }
  for (const x of notes.items) {
    add(x.observed_at, 'note', t('people.ev.note', { where: t(`loc.${x.location}`) }), [
      h('p', { class: 'body' }, x.body),
      x.code_ids.length ? h('p', { class: 'codes' }, x.code_ids.map(codeName).filter(Boolean).join(', ')) : null,
    ], { href: `#/notes/${x.id}`, label: t('people.ev.open_note') });
  }
  events.sort((a, b) => b.ms - a.ms);

  const headId = 'pp-h';
  const bookable = dues.filter((d) => !d.interview);
  // Each wave: done, booked, due, missed or not yet open (days in the site's calendar).
  const today = dateToZoned(new Date(), tz).slice(0, 10);
  const day = (iso) => dayWords(dateToZoned(new Date(iso), tz).slice(0, 10), true);
  const waveItem = (w) => {
    const ivs = interviews.items.filter((i) => i.wave === w.wave && i.status !== 'cancelled');
    const held = ivs.find((i) => i.status === 'completed');
    const booked = ivs.find((i) => i.status !== 'completed');
    const opens = addDays(p.treatment_started_on, w.opens_day);
    const closes = addDays(p.treatment_started_on, w.closes_day);
    const span = t('people.window', { from: dayWords(opens, true), to: dayWords(closes, true) });
    const [cls, word, what] = held ? ['st-completed', t('status.completed'), day(held.completed_at)]
      : booked ? ['', t('due.booked'), booked.status === 'postponed' ? t('people.tba') : when(booked.scheduled_at)]
        : p.status !== 'active' ? ['', t('people.w.none'), '']
          : today < opens ? ['', t('people.w.later'), t('people.w.opens', { date: dayWords(opens, true) })]
            : today <= closes ? ['due-open', t('people.w.due'), span] : ['st-cancelled', t('people.w.missed'), span];
    return h('li', { class: 'card', 'data-wave': w.wave }, h('strong', {}, t('people.wave', { n: w.wave })), ' ',
      h('span', { class: `state ${cls}` }, word), ' ', what);
  };
  clear(sec,
    h('p', { class: 'desk-back' }, h('a', { class: 'tap', href: `#/more/people${here}` }, `← ${t('people.back')}`)),
    h('h2', { id: headId, tabindex: -1 }, p.pseudonym),
    h('p', { class: 'sub' }, [site?.name, t(`pstatus.${p.status}`)].filter(Boolean).join(' · ')),
    note ? status('ok', h('p', {}, note)) : null,
    h('p', {}, t('people.started', { date: dayWords(p.treatment_started_on, true) }),
      p.age_band ? ` · ${t('people.age_band', { band: p.age_band })}` : ''),
    p.status === 'active' ? h('p', {}, dueLine(p, dues)) : null,
    waves.length ? [h('h3', { id: 'pw-h' }, t('people.waves')),
      h('ol', { class: 'cards row', 'aria-labelledby': 'pw-h' }, waves.map(waveItem))] : null,
    h('p', {}, h('a', { class: 'button primary big', href: `#/participant/${p.id}` }, t('people.actions'))),
    participantActions(p, consents.items.find((c) => !c.withdrawn_at), { done }),
    bookable.map((d) => h('p', {}, h('a', {
      class: 'button secondary big', href: `#/schedule/book${qs({ site: p.site_id, participant: p.id, wave: d.wave })}`,
    }, t('people.book', { n: d.wave })))),
    p.status === 'active' ? h('p', {}, h('a', { class: 'button secondary big', href: `#/more/earlier/${p.id}` }, t('people.earlier'))) : null,
    h('h3', { id: 'tl-h' }, t('people.timeline')),
    h('p', { class: 'hint', id: 'tl-order' }, t('people.newest')),
    events.length
      ? h('ol', { class: 'timeline', 'aria-labelledby': 'tl-h', 'aria-describedby': 'tl-order' }, events.map((e) => h('li', { class: `ev ev-${e.kind}` },
        h('p', { class: 'ev-when' }, h('time', { datetime: e.at }, when(e.at))),
        h('h4', {}, e.title),
        e.body,
        e.link ? h('p', {}, h('a', { class: 'tap', href: e.link.href }, e.link.label)) : null)))
      : h('p', { class: 'empty' }, t('people.nothing')),
    notes.more ? h('p', { class: 'hint' }, t('people.more_notes')) : null);
  sec.querySelector(`#${headId}`).focus({ preventScroll: true });
}
