// The fieldwork report (coordinators and admins): the numbers of a methods
// section for a site and a period, with small counts hidden on request
// ("fewer than 5"); charts drawn here as inline SVG (no library), each with
// its table, which is what a screen reader reads; and the draft methods
// paragraph to copy.
import { get, qs } from '../api.js';
import { t, lang, words } from '../i18n.js';
import { h, clear, field, status, busy, uid } from '../ui.js';
import { problem, problemAt } from '../errors.js';
import { deskTitle, reasonWords, countWords, period } from '../desk.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'report.title': 'Fieldwork report',
    'report.intro': 'The numbers for the methods section. Interviews count by when they were first booked, in the site’s time.',
    'report.small': 'Hide small numbers (1 to 4 are shown as “fewer than 5”)',
    'report.show': 'Show the report',
    'report.numbers': 'In numbers',
    'report.what': 'What',
    'report.count': 'Count',
    'report.participants': 'Participants',
    'report.interviews': 'Interviews',
    'report.postponed': 'Interviews postponed at least once',
    'report.postponements': 'Postponements',
    'report.split': 'Interviews in more than one session',
    'report.minutes_mean': 'Minutes per completed interview (mean)',
    'report.minutes_median': 'Minutes per completed interview (median)',
    'report.days_median': 'Days from first booking to completion (median)',
    'report.by_site': 'Participants by site',
    'report.site': 'Site',
    'report.total': 'Total',
    'report.status': 'Status',
    'report.p.active': 'Active',
    'report.p.withdrawn': 'Withdrawn',
    'report.p.ended': 'Ended',
    'report.iv_site': 'Interviews by site and status',
    'report.by_reason': 'Postponements by reason',
    'report.retention': 'Retention by wave: interviewed in each wave, by site',
    'report.wave': 'Wave {n}',
    'report.site_wave': 'Site and wave',
    'report.eligible': 'Eligible',
    'report.interviewed': 'Interviewed',
    'report.in_window': 'In window now',
    'report.missed': 'Missed',
    'report.w_withdrawn': 'Withdrew',
    'report.reason': 'Reason',
    'report.sessions': 'Sessions per interview',
    'report.n_sessions': 'Sessions',
    'report.sessions_n': { one: '{n} session', other: '{n} sessions' },
    'report.sessions_1': '1 session',
    'report.days': 'Days from first booking to completion',
    'report.days_col': 'Days',
    'report.days_range': '{a}–{b} days',
    'report.days_one': '{a} days',
    'report.days_1': '1 day',
    'report.days_open': '{a} days or more',
    'report.none': 'None in this period.',
    'report.hatched': 'Hatched bars: fewer than 5, the exact number hidden.',
    'report.methods': 'For the methods section',
    'report.copy': 'Copy the text',
    'report.copied': 'Copied.',
    'report.selected': 'The text is selected: copy it with your device’s copy command.',
  },
  nb: {
    'report.title': 'Feltarbeidsrapport',
    'report.intro': 'Tallene til metodekapittelet. Intervjuer telles etter når de først ble avtalt, i stedets tid.',
    'report.small': 'Skjul små tall (1 til 4 vises som «færre enn 5»)',
    'report.show': 'Vis rapporten',
    'report.numbers': 'I tall',
    'report.what': 'Hva',
    'report.count': 'Antall',
    'report.participants': 'Deltakere',
    'report.interviews': 'Intervjuer',
    'report.postponed': 'Intervjuer utsatt minst én gang',
    'report.postponements': 'Utsettelser',
    'report.split': 'Intervjuer over mer enn én økt',
    'report.minutes_mean': 'Minutter per fullført intervju (gjennomsnitt)',
    'report.minutes_median': 'Minutter per fullført intervju (median)',
    'report.days_median': 'Dager fra første avtale til fullført (median)',
    'report.by_site': 'Deltakere per sted',
    'report.site': 'Sted',
    'report.total': 'Totalt',
    'report.status': 'Status',
    'report.p.active': 'Aktive',
    'report.p.withdrawn': 'Trukket seg',
    'report.p.ended': 'Avsluttet',
    'report.iv_site': 'Intervjuer per sted og status',
    'report.by_reason': 'Utsettelser etter grunn',
    'report.retention': 'Oppfølging per bølge: intervjuet i hver bølge, per klinikk',
    'report.wave': 'Bølge {n}',
    'report.site_wave': 'Klinikk og bølge',
    'report.eligible': 'Aktuelle',
    'report.interviewed': 'Intervjuet',
    'report.in_window': 'I vinduet nå',
    'report.missed': 'Gikk glipp av',
    'report.w_withdrawn': 'Trakk seg',
    'report.reason': 'Grunn',
    'report.sessions': 'Økter per intervju',
    'report.n_sessions': 'Økter',
    'report.sessions_n': '{n} økter',
    'report.sessions_1': '1 økt',
    'report.days': 'Dager fra første avtale til fullført',
    'report.days_col': 'Dager',
    'report.days_range': '{a}–{b} dager',
    'report.days_one': '{a} dager',
    'report.days_1': '1 dag',
    'report.days_open': '{a} dager eller mer',
    'report.none': 'Ingen i denne perioden.',
    'report.hatched': 'Skraverte søyler: færre enn 5, det nøyaktige tallet er skjult.',
    'report.methods': 'Til metodekapittelet',
    'report.copy': 'Kopier teksten',
    'report.copied': 'Kopiert.',
    'report.selected': 'Teksten er merket: kopier den med enhetens kopieringskommando.',
  },
});

const STATUS_ORDER = LISTS.InterviewStatus;
const REASONS = LISTS.PostponeReason;
const known = (c) => typeof c === 'number';
const byOrder = (order) => (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b);

// ---- charts -------------------------------------------------------------
const NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, v);
  el.append(...kids.filter((k) => k !== null && k !== undefined));
  return el;
}

/**
 * Horizontal bars, measured in per cent of the width so the words stay their
 * size on a phone and on a desk. `groups`: [{ label, bars: [{ label, value,
 * cls }] }]; a value "fewer than 5" is a hatched bar over 1 to 4.
 */
function barChart(groups) {
  const values = groups.flatMap((g) => g.bars.map((b) => b.value));
  const hidden = values.some((v) => !known(v));
  const max = Math.max(1, hidden ? 4 : 0, ...values.filter(known));
  const hatch = uid('hatch');
  const kids = [svg('defs', {}, svg('pattern', { id: hatch, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    svg('rect', { width: 8, height: 8, fill: '#ffffff' }),
    svg('line', { x1: 0, y1: 0, x2: 0, y2: 8, stroke: '#4d5560', 'stroke-width': 3 })))];
  let y = 0;
  for (const g of groups) {
    if (g.label) {
      kids.push(svg('text', { x: 0, y: y + 16, class: 'group' }, g.label));
      y += 24;
    }
    for (const b of g.bars) {
      const pct = ((known(b.value) ? b.value : 4) / max) * 68;
      kids.push(svg('text', { x: 0, y: y + 14 }, b.label));
      y += 19;
      // A site without interviews says 0 beside no bar (`bar: false`).
      if (b.bar !== false) kids.push(known(b.value)
        ? svg('rect', { x: 0, y, width: `${pct}%`, height: 20, class: `bar ${b.cls || ''}` })
        : svg('rect', { x: 0.5, y: y + 0.5, width: `${pct}%`, height: 19, fill: `url(#${hatch})`, stroke: '#4d5560', 'stroke-dasharray': '4 3', class: 'hidden' }));
      kids.push(svg('text', { x: `${pct + 1.5}%`, y: y + 15, class: 'value' }, countWords(b.value)));
      y += 28;
    }
  }
  return svg('svg', { class: 'bars', width: '100%', height: y + 2, 'aria-hidden': 'true', focusable: 'false' }, ...kids);
}

/** A table: `head` the column names, `rows` [[row name, ...cells]]; numbers right-aligned. */
function table(labelledby, head, rows) {
  return h('div', { class: 'table-wrap', dataset: { label: labelledby } }, h('table', { class: 'num', 'aria-labelledby': labelledby },
    h('thead', {}, h('tr', {}, head.map((x, i) => h('th', { scope: 'col', class: i ? 'n' : null }, x)))),
    h('tbody', {}, rows.map(([name, ...cells]) => h('tr', {},
      h('th', { scope: 'row' }, name),
      cells.map((c) => h('td', { class: 'n' }, c)))))));
}

/**
 * A table of groups (a site and its counts), narrow enough for a phone: the
 * group's name heads its rows. `groups`: [{ name, rows: [[row name, cell]] }].
 */
function groupedTable(labelledby, head, groups) {
  return h('div', { class: 'table-wrap', dataset: { label: labelledby } }, h('table', { class: 'num grouped', 'aria-labelledby': labelledby },
    h('thead', {}, h('tr', {}, head.map((x, i) => h('th', { scope: 'col', class: i > 1 ? 'n' : null }, x)))),
    groups.map((g) => h('tbody', {}, g.rows.map(([name, cell], i) => h('tr', {},
      i ? null : h('th', { scope: 'rowgroup', rowspan: g.rows.length }, g.name),
      h('th', { scope: 'row' }, name),
      h('td', { class: 'n' }, cell)))))));
}

/** A table wider than the screen scrolls sideways: then it is a named group the keyboard can scroll. */
function scrollable(root) {
  for (const w of root.querySelectorAll('.table-wrap')) {
    if (w.scrollWidth > w.clientWidth + 1) {
      Object.assign(w, { tabIndex: 0 });
      w.setAttribute('role', 'group');
      w.setAttribute('aria-labelledby', w.dataset.label);
    } else {
      for (const a of ['tabindex', 'role', 'aria-labelledby']) w.removeAttribute(a);
    }
  }
}

/** A chart and its table under one heading: `head` and `rows`, or a function of the heading's id making the table. */
function chart(title, groups, head, rows = null) {
  const id = uid('ch');
  const any = groups.some((g) => g.bars.length);
  const hidden = groups.some((g) => g.bars.some((b) => !known(b.value)));
  return h('section', { class: 'card chart', 'aria-labelledby': id },
    h('h2', { id }, title),
    any ? h('figure', {}, barChart(groups), hidden ? h('figcaption', { class: 'hint' }, t('report.hatched')) : null) : null,
    !any ? h('p', { class: 'empty' }, t('report.none')) : rows ? table(id, head, rows) : head(id));
}

const daysLabel = (b) => {
  if (b.max_days === null || b.max_days === undefined) return t('report.days_open', { a: b.min_days });
  if (b.min_days === b.max_days) return b.min_days === 1 ? t('report.days_1') : t('report.days_one', { a: b.min_days });
  return t('report.days_range', { a: b.min_days, b: b.max_days });
};

// ---- the screen ---------------------------------------------------------
export async function render(main, { app, signal, live, onLeave }) {
  if (!deskTitle(main, app, 'report.title')) return;
  const fits = new ResizeObserver(() => scrollable(main));
  fits.observe(main);
  onLeave(() => fits.disconnect());
  const nf = new Intl.NumberFormat(lang() === 'nb' ? 'nb-NO' : 'en-GB', { maximumFractionDigits: 1 });
  const num = (x) => (x === null || x === undefined ? '—' : nf.format(x));

  const c = {
    site_id: h('select', { name: 'site_id' },
      h('option', { value: '' }, t('export.all_sites')),
      app.sites.map((s) => h('option', { value: s.id }, s.name))),
    from: h('input', { type: 'date', name: 'from' }),
    to: h('input', { type: 'date', name: 'to' }),
    small: h('input', { type: 'checkbox', name: 'suppress_small', id: uid('small') }),
  };
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('report.show'));
  const form = h('form', { class: 'card filters', novalidate: true },
    h('p', { class: 'hint' }, t('report.intro')),
    app.sites.length > 1 ? field(t('export.site'), c.site_id) : null,
    h('div', { class: 'row' }, field(t('export.from'), c.from), field(t('export.to'), c.to)),
    h('div', { class: 'check' }, c.small, h('label', { for: c.small.id }, t('report.small'))),
    submit);
  const results = h('div', { class: 'desk report' });
  const fields = { site_id: c.site_id, from: c.from, to: c.to, suppress_small: c.small };
  main.append(form, results);

  async function show(focus) {
    const tz = app.site(c.site_id.value)?.timezone || app.tz;
    const r = await get(`/reports/fieldwork${qs({
      site_id: c.site_id.value, ...period(c.from.value, c.to.value, tz), suppress_small: c.small.checked ? 'true' : '',
    })}`, { signal });
    if (!live()) return;
    const statuses = [...new Set([...Object.keys(r.interviews_by_status || {}),
      ...(r.interviews_by_site || []).flatMap((s) => Object.keys(s.by_status))])].sort(byOrder(STATUS_ORDER));
    const reasons = Object.keys(r.postponements_by_reason || {}).sort(byOrder(REASONS));
    const sessions = Object.keys(r.sessions_per_interview || {}).sort((a, b) => a - b);
    const buckets = r.days_to_completion || [];
    const sessionsLabel = (n) => (n === '1' ? t('report.sessions_1') : t('report.sessions_n', { n }));

    const numbersId = uid('n');
    const methodsId = uid('m');
    const methods = h('p', { class: 'methods', id: `${methodsId}-text`, lang: lang() }, r.methods_text);
    const copied = h('div', { role: 'status' });
    const copy = h('button', { type: 'button', class: 'secondary' }, t('report.copy'));
    copy.addEventListener('click', async () => {
      clear(copied);
      try {
        await navigator.clipboard.writeText(r.methods_text);
        copied.append(status('ok', h('p', {}, t('report.copied'))));
      } catch {
        // No clipboard for this page: the text is selected for the device's own copy.
        getSelection().selectAllChildren(methods);
        copied.append(status('info', h('p', {}, t('report.selected'))));
      }
    });

    clear(results,
      h('section', { class: 'card', 'aria-labelledby': numbersId },
        h('h2', { id: numbersId, tabindex: -1 }, t('report.numbers')),
        table(numbersId, [t('report.what'), t('report.count')], [
          [t('report.participants'), countWords(r.participants_total)],
          [t('report.interviews'), countWords(r.interviews_total)],
          ...statuses.filter((s) => s in (r.interviews_by_status || {}))
            .map((s) => [h('span', { class: 'indent' }, t(`status.${s}`)), countWords(r.interviews_by_status[s])]),
          [t('report.postponed'), countWords(r.interviews_postponed)],
          [t('report.postponements'), countWords(r.postponements_total)],
          [t('report.split'), countWords(r.interviews_split)],
          [t('report.minutes_mean'), num(r.minutes_mean)],
          [t('report.minutes_median'), num(r.minutes_median)],
          [t('report.days_median'), num(r.days_to_completion_median)],
        ])),
      h('section', { class: 'card', 'aria-labelledby': `${numbersId}-s` },
        h('h2', { id: `${numbersId}-s` }, t('report.by_site')),
        groupedTable(`${numbersId}-s`, [t('report.site'), t('report.status'), t('report.participants')],
          (r.participants_by_site || []).map((s) => ({
            name: s.site_name,
            rows: [...['active', 'withdrawn', 'ended'].map((x) => [t(`report.p.${x}`), countWords(s[x])]), [t('report.total'), countWords(s.total)]],
          })))),
      chart(t('report.iv_site'),
        (r.interviews_by_site || []).map((s) => ({
          label: s.site_name,
          bars: statuses.some((x) => x in s.by_status)
            ? statuses.filter((x) => x in s.by_status).map((x) => ({ label: t(`status.${x}`), value: s.by_status[x], cls: `st-${x}` }))
            : [{ label: t('report.total'), value: s.total ?? 0, bar: false }],
        })),
        (id) => groupedTable(id, [t('report.site'), t('report.status'), t('report.interviews')],
          (r.interviews_by_site || []).map((s) => ({
            name: s.site_name,
            rows: [...statuses.filter((x) => x in s.by_status).map((x) => [t(`status.${x}`), countWords(s.by_status[x])]),
              [t('report.total'), countWords(s.total)]],
          })))),
      chart(t('report.retention'),
        (r.waves_by_site || []).map((site) => ({
          label: site.site_name,
          bars: site.waves.map((w) => ({ label: t('report.wave', { n: w.wave }), value: w.interviewed, cls: 'st-completed' })),
        })),
        [t('report.site_wave'), t('report.eligible'), t('report.interviewed'), t('report.in_window'), t('report.missed'), t('report.w_withdrawn')],
        (r.waves_by_site || []).flatMap((site) => site.waves.map((w) => [
          `${site.site_name}, ${t('report.wave', { n: w.wave })}`,
          countWords(w.eligible), countWords(w.interviewed), countWords(w.in_window_now), countWords(w.missed), countWords(w.withdrawn)]))),
      chart(t('report.by_reason'),
        [{ bars: reasons.map((x) => ({ label: reasonWords(x), value: r.postponements_by_reason[x] })) }],
        [t('report.reason'), t('report.postponements')],
        [...reasons.map((x) => [reasonWords(x), countWords(r.postponements_by_reason[x])]),
          [t('report.total'), countWords(r.postponements_total)]]),
      chart(t('report.sessions'),
        [{ bars: sessions.map((n) => ({ label: sessionsLabel(n), value: r.sessions_per_interview[n] })) }],
        [t('report.n_sessions'), t('report.interviews')],
        sessions.map((n) => [sessionsLabel(n), countWords(r.sessions_per_interview[n])])),
      chart(t('report.days'),
        [{ bars: buckets.map((b) => ({ label: daysLabel(b), value: b.interviews, cls: 'st-completed' })) }],
        [t('report.days_col'), t('report.interviews')],
        buckets.map((b) => [daysLabel(b), countWords(b.interviews)])),
      h('section', { class: 'card wide', 'aria-labelledby': methodsId },
        h('h2', { id: methodsId }, t('report.methods')),
        methods, copy, copied));
    scrollable(results);
    if (focus) results.querySelector('h2').focus();
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, async () => {
      try {
        await show(true);
        problemAt(null, fields, results.querySelector('.refused') || h('div'));
      } catch (e) {
        if (!live() || e?.name === 'AbortError') return;
        clear(results, h('div', { class: 'refused' }));
        problemAt(e, fields, results.firstChild);
      }
    });
  });

  results.append(h('p', { class: 'loading', role: 'status' }, t('loading')));
  try {
    await show(false);
  } catch (e) {
    if (live() && e?.name !== 'AbortError') clear(results, problem(e));
  }
}
