// The week: for a coordinator, the interviews of a site (or of all their
// sites) by day, and those postponed with a time still to be agreed; for a
// fieldworker, their own interviews at all their sites ("My week"). Each can
// be moved or postponed and shows its postponement history in words.
import { get, qs } from '../api.js';
import { t, text, has, words } from '../i18n.js';
import { h, clear, field, status } from '../ui.js';
import { fmtTime, fmtDay, fmtDateTime, weekStart, dayStart, fmt, dateToZoned, windowsOn } from '../time.js';
import { load, pref, setPref } from '../store.js';
import { problem } from '../errors.js';
import { statusBadge } from './today.js';
import { postponeForm, rescheduleForm } from './participant.js';
import '../vocab.js';

words({
  en: {
    'window.before': 'Before its window',
    'window.after': 'After its window',
    'schedule.title': 'Schedule',
    'schedule.mine_title': 'My week',
    'schedule.weeks': 'Weeks',
    'schedule.prev': 'Previous',
    'schedule.this': 'This week',
    'schedule.next': 'Next',
    'schedule.week_of': 'Week of {date}',
    'schedule.none': 'No interviews this week.',
    'schedule.reschedule': 'Reschedule',
    'schedule.agree': 'Agree a time',
    'schedule.postpone': 'Postpone',
    'schedule.history': 'History ({n})',
    'schedule.no_history': 'Never postponed or rescheduled.',
    'schedule.rescheduled': 'Rescheduled',
    'schedule.agreed': 'Time agreed',
    'schedule.by': 'by {who}, {when}',
    'schedule.all_sites': 'All my sites',
    'schedule.grid': 'The week by hour',
    'schedule.grid_hint': 'Shaded: the clinic is open. Choose a free hour to book it.',
    'schedule.free': 'Book {day} {time}',
    'schedule.closed': 'Closed',
    'schedule.time': 'Time',
    'schedule.tba': 'To be agreed ({n})',
    'schedule.tba_none': 'No postponed interview is waiting for a new time.',
    'rr.screening_missing': 'Not screened',
    'rr.screening_stale': 'Screening too old',
    'rr.recent_postpone': 'A screening shortly before said postpone',
    'rr.capacity_not_assessed': 'Capacity to consent not assessed',
    'rr.no_consent': 'No valid consent',
    'rr.other': 'Another readiness reason',
  },
  nb: {
    'window.before': 'Før vinduet',
    'window.after': 'Etter vinduet',
    'schedule.title': 'Timeplan',
    'schedule.mine_title': 'Min uke',
    'schedule.weeks': 'Uker',
    'schedule.prev': 'Forrige',
    'schedule.this': 'Denne uken',
    'schedule.next': 'Neste',
    'schedule.week_of': 'Uken fra {date}',
    'schedule.none': 'Ingen intervjuer denne uken.',
    'schedule.reschedule': 'Flytt',
    'schedule.agree': 'Avtal tidspunkt',
    'schedule.postpone': 'Utsett',
    'schedule.history': 'Historikk ({n})',
    'schedule.no_history': 'Aldri utsatt eller flyttet.',
    'schedule.rescheduled': 'Flyttet',
    'schedule.agreed': 'Tidspunkt avtalt',
    'schedule.by': 'av {who}, {when}',
    'schedule.all_sites': 'Alle stedene mine',
    'schedule.grid': 'Uken time for time',
    'schedule.grid_hint': 'Skyggelagt: klinikken er åpen. Velg en ledig time for å avtale den.',
    'schedule.free': 'Avtal {day} {time}',
    'schedule.closed': 'Stengt',
    'schedule.time': 'Tid',
    'schedule.tba': 'Avtales senere ({n})',
    'schedule.tba_none': 'Ingen utsatte intervjuer venter på nytt tidspunkt.',
    'rr.screening_missing': 'Ikke screenet',
    'rr.screening_stale': 'Screeningen var for gammel',
    'rr.recent_postpone': 'En screening like før sa utsett',
    'rr.capacity_not_assessed': 'Samtykkekompetanse ikke vurdert',
    'rr.no_consent': 'Ikke gyldig samtykke',
    'rr.other': 'En annen grunn fra screeningen',
  },
});

export async function render(main, { app, query, go, route, signal, live }) {
  const mine = !app.coordinator;
  const title = mine ? t('schedule.mine_title') : t('schedule.title');
  document.title = `${title} · Fieldnotes`;
  main.append(h('h1', {}, title));
  if (!app.sites.length) {
    main.append(status('error', t('note.no_sites')));
    return;
  }
  // A coordinator with several sites starts on all of them, like Participants.
  const want = query.get('site') || pref('schedule_site') || 'all';
  // "All my sites": every interview of the coordinator's sites at once.
  const all = !mine && want === 'all' && app.sites.length > 1;
  const site = all ? null : app.site(want) || app.sites[0];
  const tz = mine || all ? app.tz : site.timezone;
  const anchor = query.get('week') ? new Date(query.get('week')) : new Date();
  const from = weekStart(anchor, tz);
  const to = dayStart(from, tz, 7);
  const link = (week) => `#/schedule${qs({ site: mine ? '' : all ? 'all' : site.id, week })}`;
  const tzOf = (i) => app.site(i.site_id)?.timezone || tz;

  if (app.coordinator) {
    main.append(h('div', { class: 'row plan' },
      h('a', { class: 'button', href: '#/schedule/participant' }, t('reg.title')),
      h('a', { class: 'button', href: `#/schedule/book${qs({ site: site?.id })}` }, t('book.title'))));
  }
  const sel = h('select', { name: 'site' },
    app.sites.length > 1 ? h('option', { value: 'all', selected: all }, t('schedule.all_sites')) : null,
    app.sites.map((s) => h('option', { value: s.id, selected: s.id === site?.id }, s.name)));
  sel.addEventListener('change', () => {
    setPref('schedule_site', sel.value);
    if (app.site(sel.value)) setPref('site', sel.value);
    go(`#/schedule${qs({ site: sel.value, week: query.get('week') })}`);
  });
  if (!mine) main.append(field(t('schedule.site'), sel));
  // Postponed with the time to be agreed: a list of their own, whatever the
  // week, until someone agrees a new time.
  const tbaSec = h('section', { 'aria-labelledby': 'tba-h' });
  if (!mine) main.append(tbaSec);
  main.append(
    h('nav', { class: 'week', 'aria-label': t('schedule.weeks') },
      h('a', { class: 'button secondary', href: link(dayStart(from, tz, -7).toISOString()) }, t('schedule.prev')),
      h('a', { class: 'button secondary', href: link('') }, t('schedule.this')),
      h('a', { class: 'button secondary', href: link(dayStart(from, tz, 7).toISOString()) }, t('schedule.next'))),
    h('h2', {}, t('schedule.week_of', { date: fmt(from.toISOString(), tz, { day: 'numeric', month: 'long', year: 'numeric' }) })));

  const [list, users, tba, instruments] = await Promise.all([
    mine
      ? get(`/me/interviews${qs({ from: from.toISOString(), to: to.toISOString() })}`, { signal })
      : get(`/interviews${qs({ from: from.toISOString(), to: to.toISOString(), site_id: site?.id, limit: 200 })}`, { signal }),
    load('users', '/users', signal).then((u) => (Array.isArray(u) ? u : u.items)).catch(() => []),
    mine ? null : get(`/interviews${qs({ status: 'postponed', site_id: site?.id, limit: 200 })}`, { signal }),
    load('instruments', '/instruments', signal).then((x) => x.items).catch(() => []),
  ]);
  if (!live()) return;
  const name = (id) => users.find((u) => u.id === id)?.display_name || '';
  const said = readinessWords(instruments);
  if (tba) {
    const items = tba.items.filter((i) => i.status === 'postponed');
    tbaSec.append(h('h2', { id: 'tba-h' }, t('schedule.tba', { n: items.length })),
      items.length ? h('ul', { class: 'cards' }, items.map((i) => card(i))) : h('p', { class: 'empty' }, t('schedule.tba_none')));
  }
  // Shown once: in the list to be agreed, not at their old time.
  if (!mine) list.items = list.items.filter((i) => i.status !== 'postponed');
  // A desk (CSS shows it from 1024 px): one site's week by hour, opening
  // hours shaded, each booking with its interviewers, a free hour a link
  // to book it.
  if (site && app.coordinator) main.append(weekGrid(site, from, list.items.filter((i) => i.status !== 'cancelled'), name));
  if (!list.items.length) {
    main.append(h('p', { class: 'empty' }, t('schedule.none')));
    return;
  }
  const days = new Map();
  for (const i of list.items) {
    const key = fmtDay(i.scheduled_at, tzOf(i));
    if (!days.has(key)) days.set(key, []);
    days.get(key).push(i);
  }
  for (const [day, items] of days) {
    main.append(h('section', { class: 'day' }, h('h3', {}, day), h('ul', { class: 'cards' }, items.map((i) => card(i)))));
  }

  function card(i) {
    const panel = h('div');
    const open = ['scheduled', 'postponed'].includes(i.status);
    const toggle = (btn, fn) => {
      const expanded = btn.getAttribute('aria-expanded') === 'true';
      for (const b of btn.parentElement.querySelectorAll('button[aria-expanded]')) b.setAttribute('aria-expanded', 'false');
      clear(panel);
      if (!expanded) {
        btn.setAttribute('aria-expanded', 'true');
        fn();
      }
    };
    const where = app.site(i.site_id) || site || app.sites[0];
    // A new time with no reason (agreeing one, or a changed plan) is a
    // reschedule; "it could not happen as planned, because…" a postponement.
    const move = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', disabled: !open },
      t(i.status === 'postponed' ? 'schedule.agree' : 'schedule.reschedule'));
    move.addEventListener('click', () => toggle(move, () => panel.append(rescheduleForm(i, where, () => route()))));
    const postpone = i.status === 'scheduled'
      ? h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false' }, t('schedule.postpone'))
      : null;
    postpone?.addEventListener('click', () => toggle(postpone, () => panel.append(postponeForm(i, where, () => route(), 'clinic_circumstances'))));
    const history = [
      ...i.postponements.map((p) => ({ ...p, kind: 'postponement' })),
      ...(i.reschedules || []).map((r) => ({ ...r, kind: 'reschedule' })),
    ].sort((a, b) => a.created_at.localeCompare(b.created_at));
    const hist = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false' }, t('schedule.history', { n: history.length }));
    hist.addEventListener('click', () => toggle(hist, () => {
      const time = (x) => (x ? fmtDateTime(x, tzOf(i)) : t('tba'));
      panel.append(history.length ? h('ol', { class: 'history' }, history.map((p) => h('li', {},
        h('strong', {}, p.kind === 'postponement' ? t(`reason.${p.reason}`) : t(p.previous_scheduled_at ? 'schedule.rescheduled' : 'schedule.agreed')), h('br'),
        p.kind === 'reschedule' && !p.previous_scheduled_at ? time(p.new_scheduled_at) : `${time(p.previous_scheduled_at)} → ${time(p.new_scheduled_at)}`,
        p.readiness_reasons?.length ? h('ul', { class: 'hint reasons' }, p.readiness_reasons.map((c) => h('li', {}, said(c)))) : null,
        p.note ? h('div', {}, p.note) : null,
        h('div', { class: 'hint' }, t('schedule.by', { who: name(p.created_by), when: fmtDateTime(p.created_at, tzOf(i)) }))))) : h('p', { class: 'empty' }, t('schedule.no_history')));
    }));
    return h('li', { class: 'card' },
      h('span', { class: 'when' }, i.status === 'postponed' ? t('tba') : `${fmtTime(i.scheduled_at, tzOf(i))}–${fmtTime(i.ends_at, tzOf(i))}`),
      h('a', { class: 'who', href: `#/participant/${i.participant_id}?interview=${i.id}` }, i.pseudonym),
      h('span', { class: 'where' }, [t('schedule.wave', { n: i.wave }), mine || !site || site.id !== i.site_id ? app.site(i.site_id)?.name : null, i.location, i.interviewer_ids.map(name).filter(Boolean).join(', ')].filter(Boolean).join(' · ')),
      statusBadge(i.status),
      i.window !== 'open' ? h('span', { class: 'state due-overdue' }, t(`window.${i.window}`)) : null,
      h('div', { class: 'row' }, move, postpone, hist), panel);
  }
}

/**
 * Readiness reason codes (kept with a postponement) in words: the rule's own
 * message from the instruments, else the engine's reasons by name.
 */
export function readinessWords(instruments) {
  const words = new Map();
  for (const i of instruments) {
    for (const r of i.rules || []) {
      // "frequently drowsy (3). Postpone and screen again later." → "POSS: frequently drowsy (3)"
      words.set(r.reason_code, `${text(i.name)}: ${text(r.message).split(/\.\s/)[0].replace(/\.$/, '')}`);
    }
  }
  return (code) => (has(`rr.${code}`) ? t(`rr.${code}`) : words.get(code) || t('rr.other'));
}

/** Whether `site` is open on local day `day` ('YYYY-MM-DD') at minute `m` of it. */
function openAt(site, day, m) {
  const min = (s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  return windowsOn(site, day).some((w) => min(w.start) <= m && m < min(w.end));
}

/** One site's week as a table: hours down, days across. */
function weekGrid(site, from, items, name) {
  const tz = site.timezone;
  const days = [...Array(7)].map((_, d) => dateToZoned(dayStart(from, tz, d), tz).slice(0, 10));
  const hourOf = (iso) => Number(dateToZoned(new Date(iso), tz).slice(11, 13));
  const dayOf = (iso) => dateToZoned(new Date(iso), tz).slice(0, 10);
  const starts = (site.opening_hours || []).map((w) => Number(w.start.slice(0, 2)));
  const ends = (site.opening_hours || []).map((w) => Math.ceil(Number(w.end.slice(0, 2)) + Number(w.end.slice(3, 5)) / 60));
  const booked = items.map((i) => hourOf(i.scheduled_at));
  const first = Math.min(8, ...starts, ...booked);
  const last = Math.max(17, ...ends, ...booked.map((x) => x + 1));
  const hours = [...Array(last - first)].map((_, k) => first + k);
  const dayName = (d) => fmt(`${d}T12:00:00Z`, 'UTC', { weekday: 'short', day: 'numeric', month: 'short' });
  const now = Date.now();
  const cell = (d, hr) => {
    const here = items.filter((i) => dayOf(i.scheduled_at) === d && hourOf(i.scheduled_at) === hr);
    const open = openAt(site, d, hr * 60);
    const time = `${String(hr).padStart(2, '0')}:00`;
    const future = new Date(`${d}T${time}:00Z`).getTime() > now - 864e5;
    return h('td', { class: open ? 'open' : (site.closed_days || []).includes(d) ? 'shut' : false },
      here.map((i) => h('a', { class: `booking st-${i.status}`, href: `#/participant/${i.participant_id}?interview=${i.id}` },
        h('strong', {}, `${fmtTime(i.scheduled_at, tz)} ${i.pseudonym}`),
        h('span', {}, i.interviewer_ids.map(name).filter(Boolean).join(', ')))),
      !here.length && open && future
        ? h('a', { class: 'free', href: `#/schedule/book${qs({ site: site.id, date: d, time })}`, 'aria-label': t('schedule.free', { day: dayName(d), time }) }, '+')
        : null);
  };
  return h('section', { class: 'week-grid', 'aria-labelledby': 'grid-h' },
    h('h2', { id: 'grid-h' }, t('schedule.grid')),
    h('p', { class: 'hint' }, t('schedule.grid_hint')),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('schedule.time')),
        days.map((d) => h('th', { scope: 'col' }, dayName(d), (site.closed_days || []).includes(d) ? [h('br'), h('small', {}, t('schedule.closed'))] : null)))),
      h('tbody', {}, hours.map((hr) => h('tr', {},
        h('th', { scope: 'row' }, `${String(hr).padStart(2, '0')}:00`),
        days.map((d) => cell(d, hr)))))));
}
