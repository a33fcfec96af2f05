// The week: for a coordinator, the interviews of a site by day; for a
// fieldworker, their own interviews at all their sites ("My week"). Each can
// be moved or postponed and shows its postponement history.
import { get, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, status } from '../ui.js';
import { fmtTime, fmtDay, fmtDateTime, weekStart, dayStart, fmt } from '../time.js';
import { load, pref, setPref } from '../store.js';
import { problem } from '../app.js';
import { statusBadge } from './today.js';
import { postponeForm } from './participant.js';

export async function render(main, { app, query, go, route }) {
  const mine = !app.coordinator;
  const title = mine ? t('schedule.mine_title') : t('schedule.title');
  document.title = `${title} · Fieldnotes`;
  main.append(h('h1', {}, title));
  if (!app.sites.length) {
    main.append(status('error', t('note.no_sites')));
    return;
  }
  const siteId = query.get('site') || (app.site(pref('site')) ? pref('site') : app.sites[0].id);
  const site = app.site(siteId) || app.sites[0];
  const tz = mine ? app.tz : site.timezone;
  const anchor = query.get('week') ? new Date(query.get('week')) : new Date();
  const from = weekStart(anchor, tz);
  const to = dayStart(from, tz, 7);
  const link = (week) => `#/schedule${qs({ site: mine ? '' : site.id, week })}`;

  if (app.coordinator) {
    main.append(h('div', { class: 'row plan' },
      h('a', { class: 'button', href: '#/schedule/participant' }, t('reg.title')),
      h('a', { class: 'button', href: `#/schedule/book${qs({ site: site.id })}` }, t('book.title'))));
  }
  const sel = h('select', { name: 'site' }, app.sites.map((s) => h('option', { value: s.id, selected: s.id === site.id }, s.name)));
  sel.addEventListener('change', () => { setPref('site', sel.value); go(`#/schedule${qs({ site: sel.value, week: query.get('week') })}`); });
  if (!mine) main.append(field(t('schedule.site'), sel));
  main.append(
    h('nav', { class: 'week', 'aria-label': t('schedule.weeks') },
      h('a', { class: 'button secondary', href: link(dayStart(from, tz, -7).toISOString()) }, t('schedule.prev')),
      h('a', { class: 'button secondary', href: link('') }, t('schedule.this')),
      h('a', { class: 'button secondary', href: link(dayStart(from, tz, 7).toISOString()) }, t('schedule.next'))),
    h('h2', {}, t('schedule.week_of', { date: fmt(from.toISOString(), tz, { day: 'numeric', month: 'long', year: 'numeric' }) })));

  const [list, users] = await Promise.all([
    mine
      ? get(`/me/interviews${qs({ from: from.toISOString(), to: to.toISOString() })}`)
      : get(`/interviews${qs({ from: from.toISOString(), to: to.toISOString(), site_id: site.id, limit: 200 })}`),
    load('users', '/users').then((u) => (Array.isArray(u) ? u : u.items)).catch(() => []),
  ]);
  const name = (id) => users.find((u) => u.id === id)?.display_name || '';
  if (!list.items.length) {
    main.append(h('p', { class: 'empty' }, t('schedule.none')));
    return;
  }
  const days = new Map();
  for (const i of list.items) {
    const key = fmtDay(i.scheduled_at, tz);
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
    const move = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', disabled: !open }, t('schedule.move'));
    move.addEventListener('click', () => toggle(move, () => {
      const form = postponeForm(i, tz, () => route(), 'clinic_circumstances');
      const timeRadio = form.querySelector('input[name=when][value=time]');
      timeRadio.checked = true;
      timeRadio.dispatchEvent(new Event('change', { bubbles: true }));
      panel.append(form);
    }));
    const hist = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false' }, t('schedule.history', { n: i.postponements.length }));
    hist.addEventListener('click', () => toggle(hist, async () => {
      try {
        const { items } = await get(`/interviews/${i.id}/postponements`);
        panel.append(items.length ? h('ol', { class: 'history' }, items.map((p) => h('li', {},
          h('strong', {}, t(`reason.${p.reason}`)), h('br'),
          `${fmtDateTime(p.previous_scheduled_at, tz)} → ${p.new_scheduled_at ? fmtDateTime(p.new_scheduled_at, tz) : t('tba')}`,
          p.readiness_reasons.length ? h('div', { class: 'hint' }, p.readiness_reasons.join(', ')) : null,
          p.note ? h('div', {}, p.note) : null,
          h('div', { class: 'hint' }, t('schedule.by', { who: name(p.created_by), when: fmtDateTime(p.created_at, tz) }))))) : h('p', { class: 'empty' }, t('schedule.no_history')));
      } catch (e) {
        panel.append(problem(e));
      }
    }));
    return h('li', { class: 'card' },
      h('span', { class: 'when' }, i.status === 'postponed' ? t('tba') : `${fmtTime(i.scheduled_at, tz)}–${fmtTime(i.ends_at, tz)}`),
      h('a', { class: 'who', href: `#/participant/${i.participant_id}?interview=${i.id}` }, i.pseudonym),
      h('span', { class: 'where' }, [t('schedule.wave', { n: i.wave }), mine ? app.site(i.site_id)?.name : null, i.location, i.interviewer_ids.map(name).filter(Boolean).join(', ')].filter(Boolean).join(' · ')),
      statusBadge(i.status),
      i.window !== 'open' ? h('span', { class: 'state due-overdue' }, t(`window.${i.window}`)) : null,
      h('div', { class: 'row' }, move, hist), panel);
  }
}
