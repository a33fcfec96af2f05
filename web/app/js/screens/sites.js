// Sites (admins): every clinic with its time zone and daily opening hours;
// add one, or change one's name, zone and opening windows. The list, then
// the chosen site on a phone; side by side on a desk. Loaded only when
// opened (see router.js).
import { get, post, api } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, busy, uid, checkboxes } from '../ui.js';
import { fmt } from '../time.js';
import { cache } from '../store.js';
import { desk, loading, refuse, address, savedUntilEdited } from '../admin.js';

words({
  en: {
    'sites.title': 'Sites',
    'sites.list': 'All sites',
    'sites.count': { one: '{n} site', other: '{n} sites' },
    'sites.none': 'No sites yet.',
    'sites.no_hours': 'No opening hours set',
    'sites.new': 'Add a site',
    'sites.new_intro': 'A clinic where fieldwork happens. Interviews are booked inside its opening hours, in its local time.',
    'sites.edit': 'Change this site',
    'sites.name': 'Name',
    'sites.tz': 'Time zone',
    'sites.tz_hint': 'The clinic’s local time. Type to search, e.g. Europe/Oslo.',
    'sites.hours': 'Opening hours',
    'sites.hours_hint': 'Opening windows in the clinic’s local time, e.g. 08:00–12:00 and 14:00–17:00, on the weekdays ticked.',
    'sites.days': 'Open on',
    'sites.closed': 'Closed days',
    'sites.closed_hint': 'Holidays and other days the clinic is closed: nothing is booked on them.',
    'sites.closed_add_day': 'Day',
    'sites.closed_add': 'Add the closed day',
    'sites.closed_remove': 'Remove the closed day {day}',
    'sites.closed_none': 'No closed days.',
    'sites.closed_n': { one: '{n} closed day', other: '{n} closed days' },
    'day.mon': 'Mon', 'day.tue': 'Tue', 'day.wed': 'Wed', 'day.thu': 'Thu', 'day.fri': 'Fri', 'day.sat': 'Sat', 'day.sun': 'Sun',
    'sites.window': 'Window {n}',
    'sites.opens': 'Opens',
    'sites.closes': 'Closes',
    'sites.add_window': 'Add an opening window',
    'sites.create': 'Add the site',
    'sites.save': 'Save the changes',
    'sites.created': '{name} is added.',
    'code.site_name_taken': 'Another site already has this name.',
    'field.timezone': 'Time zone',
    'field.opening_hours': 'Opening hours',
  },
  nb: {
    'sites.title': 'Steder',
    'sites.list': 'Alle steder',
    'sites.count': { one: '{n} sted', other: '{n} steder' },
    'sites.none': 'Ingen steder ennå.',
    'sites.no_hours': 'Ingen åpningstider satt',
    'sites.new': 'Legg til et sted',
    'sites.new_intro': 'Et sted der feltarbeidet foregår, som regel en klinikk. Intervjuer avtales innenfor åpningstidene, i stedets lokale tid.',
    'sites.edit': 'Endre stedet',
    'sites.name': 'Navn',
    'sites.tz': 'Tidssone',
    'sites.tz_hint': 'Stedets lokale tid. Skriv for å søke, f.eks. Europe/Oslo.',
    'sites.hours': 'Åpningstider',
    'sites.hours_hint': 'Åpningstider i stedets lokale tid, f.eks. 08:00–12:00 og 14:00–17:00, på ukedagene som er krysset av.',
    'sites.days': 'Åpent',
    'sites.closed': 'Stengte dager',
    'sites.closed_hint': 'Helligdager og andre dager klinikken er stengt: ingenting avtales da.',
    'sites.closed_add_day': 'Dag',
    'sites.closed_add': 'Legg til den stengte dagen',
    'sites.closed_remove': 'Fjern den stengte dagen {day}',
    'sites.closed_none': 'Ingen stengte dager.',
    'sites.closed_n': { one: '{n} stengt dag', other: '{n} stengte dager' },
    'day.mon': 'man', 'day.tue': 'tir', 'day.wed': 'ons', 'day.thu': 'tor', 'day.fri': 'fre', 'day.sat': 'lør', 'day.sun': 'søn',
    'sites.window': 'Åpningstid {n}',
    'sites.opens': 'Åpner',
    'sites.closes': 'Stenger',
    'sites.add_window': 'Legg til en åpningstid',
    'sites.create': 'Legg til stedet',
    'sites.save': 'Lagre endringene',
    'sites.created': '{name} er lagt til.',
    'code.site_name_taken': 'Et annet sted har allerede dette navnet.',
    'field.timezone': 'Tidssone',
    'field.opening_hours': 'Åpningstider',
  },
});

const COMMON = ['Europe/Oslo', 'Europe/Stockholm', 'Europe/Copenhagen', 'Europe/Helsinki', 'Europe/Berlin', 'Europe/London', 'UTC'];
let zones;
/** Every IANA zone the browser knows (for the time zone's suggestions). */
function zoneList() {
  if (!document.getElementById('tz-list')) {
    try {
      zones ||= Intl.supportedValuesOf('timeZone');
    } catch {
      zones = COMMON;
    }
    document.body.append(h('datalist', { id: 'tz-list' }, [...new Set([...COMMON, ...zones])].map((z) => h('option', { value: z }))));
  }
  return 'tz-list';
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** A window's days in words: nothing for every day, else "Mon–Fri" or "Sat, Sun". */
const daysWords = (days) => {
  if (!days || days.length === 7) return '';
  const idx = days.map((d) => DAYS.indexOf(d)).sort((a, b) => a - b);
  const run = idx.length > 2 && idx.every((d, i) => i === 0 || d === idx[i - 1] + 1);
  return run ? `${t(`day.${DAYS[idx[0]]}`)}–${t(`day.${DAYS[idx.at(-1)]}`)} ` : `${idx.map((d) => t(`day.${DAYS[d]}`)).join(', ')} `;
};
export const hours = (s) => s.opening_hours.map((w) => `${daysWords(w.days)}${w.start}–${w.end}`).join('; ')
  + (s.closed_days?.length ? ` · ${t('sites.closed_n', { n: s.closed_days.length })}` : '');

export async function render(main, { app, params, signal, live, onLeave }) {
  const d = desk(main, app, t('sites.title'), 'sites');
  if (!d) return;
  onLeave(() => document.getElementById('tz-list')?.remove());
  const listSec = h('section', { class: 'card desk-list', 'aria-labelledby': 'sites-h' });
  const siteSec = h('section', { class: 'card site-one', 'aria-labelledby': 'site-h', hidden: true });
  const newSec = h('section', { class: 'card site-new', 'aria-labelledby': 'new-site-h' });
  const toNew = h('button', { type: 'button', class: 'secondary big' }, t('sites.new'));
  d.list.append(toNew, listSec);
  d.side.append(siteSec, newSec);

  let sites = [];
  let selected = null;

  function showList() {
    clear(listSec,
      h('h2', { id: 'sites-h' }, t('sites.list'), ' ', h('small', {}, t('sites.count', { n: sites.length }))),
      sites.length ? h('ul', { class: 'cards' }, sites.map((s) => h('li', {},
        h('button', {
          type: 'button', class: 'pick', 'aria-current': selected === s.id ? 'true' : false,
          'data-site': s.id, onclick: () => select(s.id),
        },
        h('strong', { class: 'who' }, s.name),
        h('span', {}, s.timezone),
        h('span', { class: 'sub' }, hours(s) || t('sites.no_hours')))))) : h('p', { class: 'empty' }, t('sites.none')));
  }

  function select(id, note) {
    selected = id;
    address('sites', id);
    showList();
    showSite(note);
    siteSec.querySelector('h2')?.focus();
  }

  /** Updates the list, and the sites the rest of the app knows. */
  function keep(site) {
    sites = [...sites.filter((s) => s.id !== site.id), site].sort((a, b) => a.name.localeCompare(b.name));
    app.sites = cache('sites', sites);
  }

  /** The form of a site (`site` null: a new one); `done(site)` after saving. */
  function siteForm(site, done) {
    const name = h('input', { type: 'text', name: 'name', maxlength: 120, autocomplete: 'off', required: true, value: site?.name || '' });
    const tz = h('input', {
      type: 'text', name: 'timezone', list: zoneList(), autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
      value: site?.timezone || 'Europe/Oslo',
    });
    const rows = [];
    const rowBox = h('div');
    const windows = h('fieldset', { class: 'windows' },
      h('legend', {}, t('sites.hours')),
      h('p', { class: 'hint' }, t('sites.hours_hint')),
      rowBox);
    const renumber = () => rows.forEach((r, i) => { r.legend.textContent = t('sites.window', { n: i + 1 }); });
    function addRow(w) {
      const start = h('input', { type: 'time', name: 'start', value: w?.start || '' });
      const end = h('input', { type: 'time', name: 'end', value: w?.end || '' });
      const legend = h('legend', { id: uid('win') });
      // Its weekdays: all ticked is every day.
      const days = checkboxes(t('sites.days'), 'days', DAYS.map((d) => ({ value: d, label: t(`day.${d}`) })), w?.days || DAYS);
      days.classList.add('inline', 'days');
      const fs = h('fieldset', { class: 'group' }, legend,
        days,
        h('div', { class: 'row' }, field(t('sites.opens'), start), field(t('sites.closes'), end),
          h('button', { type: 'button', class: 'secondary', 'aria-describedby': legend.id, onclick: () => {
            rows.splice(rows.indexOf(row), 1);
            fs.remove();
            renumber();
            add.focus();
          } }, t('adm.remove'))));
      const row = { fs, legend, start, end, days };
      rows.push(row);
      rowBox.append(fs);
      renumber();
      return row;
    }
    const add = h('button', { type: 'button', class: 'secondary', onclick: () => addRow().start.focus() }, t('sites.add_window'));
    windows.append(add);
    (site ? site.opening_hours : [{ start: '08:00', end: '12:00' }, { start: '14:00', end: '17:00' }]).forEach(addRow);

    // Closed days (holidays): a date to add, and the list with a way to remove each.
    const closed = [...(site?.closed_days || [])];
    const closedList = h('ul', { class: 'cards closed-days' });
    const newDay = h('input', { type: 'date', name: 'closed_day' });
    const closedBox = h('fieldset', { class: 'closed' },
      h('legend', {}, t('sites.closed')),
      h('p', { class: 'hint' }, t('sites.closed_hint')),
      closedList,
      h('div', { class: 'row' }, field(t('sites.closed_add_day'), newDay),
        h('button', { type: 'button', class: 'secondary', onclick: () => {
          if (!newDay.value) return newDay.focus();
          if (!closed.includes(newDay.value)) closed.push(newDay.value);
          closed.sort();
          newDay.value = '';
          showClosed();
          newDay.focus();
        } }, t('sites.closed_add'))));
    function showClosed() {
      clear(closedList, closed.length ? closed.map((d) => h('li', { class: 'row' },
        h('span', {}, fmt(`${d}T12:00:00Z`, 'UTC', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })),
        h('button', { type: 'button', class: 'secondary', 'aria-label': t('sites.closed_remove', { day: d }), onclick: () => {
          closed.splice(closed.indexOf(d), 1);
          showClosed();
          newDay.focus();
        } }, t('adm.remove')))) : h('li', { class: 'empty' }, t('sites.closed_none')));
    }
    showClosed();

    const save = h('button', { type: 'submit', class: 'primary big' }, site ? t('sites.save') : t('sites.create'));
    const out = h('div');
    const form = h('form', { novalidate: true },
      field(t('sites.name'), name),
      field(t('sites.tz'), tz, t('sites.tz_hint')),
      windows, closedBox, save, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const controls = { name, timezone: tz, opening_hours: windows, closed_days: closedBox };
      rows.forEach((r, i) => Object.assign(controls, {
        [`opening_hours/${i}`]: r.fs, [`opening_hours/${i}/start`]: r.start, [`opening_hours/${i}/end`]: r.end,
        [`opening_hours/${i}/days`]: r.days,
      }));
      const daysOf = (r) => {
        const ticked = [...r.days.querySelectorAll('input:checked')].map((i) => i.value);
        return ticked.length === 7 ? undefined : ticked;
      };
      const body = {
        name: name.value.trim(),
        timezone: tz.value.trim(),
        opening_hours: rows.map((r) => ({ start: r.start.value, end: r.end.value, days: daysOf(r) })),
        closed_days: closed,
      };
      busy(save, async () => {
        try {
          const res = site ? await api('PATCH', `/sites/${site.id}`, body) : await post('/sites', body);
          if (!live()) return;
          keep(res);
          done(res);
        } catch (e) {
          if (live()) refuse(e, controls, out, (p) => (p.code === 'site_name_taken' ? { at: 'name', text: t('code.site_name_taken') } : null));
        }
      });
    });
    return form;
  }

  function showSite(note) {
    const s = sites.find((x) => x.id === selected);
    siteSec.hidden = !s;
    if (!s) return;
    const form = siteForm(s, (changed) => select(changed.id, t('adm.saved')));
    clear(siteSec,
      h('h2', { id: 'site-h', tabindex: -1 }, s.name),
      savedUntilEdited(form, note),
      h('p', {}, s.timezone),
      h('p', { class: 'sub' }, hours(s) || t('sites.no_hours')),
      h('h3', {}, t('sites.edit')),
      form);
  }

  function showNew() {
    clear(newSec,
      h('h2', { id: 'new-site-h', tabindex: -1 }, t('sites.new')),
      h('p', { class: 'hint' }, t('sites.new_intro')),
      siteForm(null, (created) => {
        showNew();
        select(created.id, t('sites.created', { name: created.name }));
      }));
  }

  toNew.addEventListener('click', () => {
    newSec.scrollIntoView({ block: 'start' });
    newSec.querySelector('input')?.focus({ preventScroll: true });
  });

  await loading(main, async () => {
    const list = await get('/sites', { signal });
    sites = (Array.isArray(list) ? list : list?.items || []).sort((a, b) => a.name.localeCompare(b.name));
  });
  if (!live()) return;
  selected = sites.some((s) => s.id === params.id) ? params.id : null;
  showList();
  showSite();
  showNew();
}
