// Sites (admins): every clinic with its time zone and daily opening hours;
// add one, or change one's name, zone and opening windows. The list, then
// the chosen site on a phone; side by side on a desk. Loaded only when
// opened (see router.js).
import { get, post, api } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, busy, uid } from '../ui.js';
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
    'sites.hours_hint': 'Each day’s opening windows in the clinic’s local time, e.g. 08:00–12:00 and 14:00–17:00.',
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
    'sites.hours_hint': 'Åpningstidene hver dag i stedets lokale tid, f.eks. 08:00–12:00 og 14:00–17:00.',
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

export const hours = (s) => s.opening_hours.map((w) => `${w.start}–${w.end}`).join(', ');

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
      const fs = h('fieldset', { class: 'group' }, legend,
        h('div', { class: 'row' }, field(t('sites.opens'), start), field(t('sites.closes'), end),
          h('button', { type: 'button', class: 'secondary', 'aria-describedby': legend.id, onclick: () => {
            rows.splice(rows.indexOf(row), 1);
            fs.remove();
            renumber();
            add.focus();
          } }, t('adm.remove'))));
      const row = { fs, legend, start, end };
      rows.push(row);
      rowBox.append(fs);
      renumber();
      return row;
    }
    const add = h('button', { type: 'button', class: 'secondary', onclick: () => addRow().start.focus() }, t('sites.add_window'));
    windows.append(add);
    (site ? site.opening_hours : [{ start: '08:00', end: '12:00' }, { start: '14:00', end: '17:00' }]).forEach(addRow);

    const save = h('button', { type: 'submit', class: 'primary big' }, site ? t('sites.save') : t('sites.create'));
    const out = h('div');
    const form = h('form', { novalidate: true },
      field(t('sites.name'), name),
      field(t('sites.tz'), tz, t('sites.tz_hint')),
      windows, save, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const controls = { name, timezone: tz, opening_hours: windows };
      rows.forEach((r, i) => Object.assign(controls, {
        [`opening_hours/${i}`]: r.fs, [`opening_hours/${i}/start`]: r.start, [`opening_hours/${i}/end`]: r.end,
      }));
      const body = {
        name: name.value.trim(),
        timezone: tz.value.trim(),
        opening_hours: rows.map((r) => ({ start: r.start.value, end: r.end.value })),
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
