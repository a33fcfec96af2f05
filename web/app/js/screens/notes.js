// My notes: the queue waiting to sync, search, and the list. The queue, the
// network hint and the list follow the phone's state while the screen is
// open (a sync in the background, the network coming and going).
import { get, qs } from '../api.js';
import { t, has, words } from '../i18n.js';
import { h, clear, field, status, busy } from '../ui.js';
import { fmtDateTime, zonedToDate, dayStart } from '../time.js';
import { queued, sync, putEntry, dropEntry, notifyQueue, load, cached, onQueueChange, persisted } from '../store.js';
import { problem } from '../errors.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'storage.warn': 'This browser may delete notes waiting to sync if the phone runs short of space. Sync soon, or add Fieldnotes to the home screen.',
    'notes.title': 'Notes',
    'notes.saved': 'Note saved.',
    'notes.saved_queued': 'Note saved on this phone. It is sent when the network is back.',
    'notes.search': 'Search my notes',
    'notes.search_go': 'Search',
    'notes.mine': 'My notes',
    'notes.results': 'Notes matching “{q}”',
    'notes.none': 'No notes.',
    'sync.hint': 'These notes are on this phone and are sent automatically.',
    'sync.offline': 'No network: these notes are safe on this phone and are sent when the network is back.',
    'sync.now': 'Sync now',
    'sync.state.pending': 'Waiting',
    'sync.state.conflict': 'Conflict',
    'sync.state.invalid': 'Needs a fix',
    'sync.resend_new': 'Send as a new note',
    'sync.fix': 'Fix',
    'sync.discard': 'Discard',
    'notes.saved_sending': 'Note saved on this phone. Sending it now…',
    'sync.err.conflict': 'Another note already has this one’s id. Send it as a new note.',
    'sync.err.fields': 'The server refused it. Fix: {fields}.',
    'sync.err.other': 'The server refused this note. Fix it, or discard it.',
    'sync.field.body': 'the text',
    'sync.field.observed_at': 'the time (it is in the future)',
    'sync.field.site_id': 'the site',
    'sync.field.location': 'where',
    'sync.field.participant_ids': 'the participants (one is not at this site)',
    'sync.field.code_ids': 'the codes (one is no longer in the codebook)',
    'notes.search_team': 'Search the team’s notes',
    'notes.team': 'The team’s notes',
    'notes.team_filtered': 'The team’s notes (filtered)',
    'notes.f.title': 'Filters',
    'notes.f.author': 'Written by',
    'notes.f.anyone': 'Anyone in the team',
    'notes.f.me': 'Me',
    'notes.f.participant': 'About',
    'notes.f.anybody': 'Any participant',
    'notes.f.code': 'Code',
    'notes.f.any_code': 'Any code',
    'notes.f.location': 'Where',
    'notes.f.anywhere': 'Anywhere',
    'notes.f.apply': 'Show notes',
    'notes.f.clear': 'Clear filters',
  },
  nb: {
    'storage.warn': 'Nettleseren kan slette notater som venter på synkronisering hvis telefonen får lite plass. Synkroniser snart, eller legg Fieldnotes til på startskjermen.',
    'notes.title': 'Notater',
    'notes.saved': 'Notatet er lagret.',
    'notes.saved_queued': 'Notatet er lagret på telefonen. Det sendes når nettet er tilbake.',
    'notes.search': 'Søk i notatene mine',
    'notes.search_go': 'Søk',
    'notes.mine': 'Mine notater',
    'notes.results': 'Notater som passer «{q}»',
    'notes.none': 'Ingen notater.',
    'sync.hint': 'Disse notatene ligger på telefonen og sendes automatisk.',
    'sync.offline': 'Ikke nett: notatene er trygge på telefonen og sendes når nettet er tilbake.',
    'sync.now': 'Synkroniser nå',
    'sync.state.pending': 'Venter',
    'sync.state.conflict': 'Konflikt',
    'sync.state.invalid': 'Må rettes',
    'sync.resend_new': 'Send som nytt notat',
    'sync.fix': 'Rett',
    'sync.discard': 'Forkast',
    'notes.saved_sending': 'Notatet er lagret på telefonen. Sender det nå …',
    'sync.err.conflict': 'Et annet notat har allerede dette notatets id. Send det som et nytt notat.',
    'sync.err.fields': 'Serveren avviste det. Rett: {fields}.',
    'sync.err.other': 'Serveren avviste notatet. Rett det, eller forkast det.',
    'sync.field.body': 'teksten',
    'sync.field.observed_at': 'tidspunktet (det er fram i tid)',
    'sync.field.site_id': 'stedet',
    'sync.field.location': 'hvor',
    'sync.field.participant_ids': 'deltakerne (en hører ikke til dette stedet)',
    'sync.field.code_ids': 'kodene (en finnes ikke lenger i kodeboken)',
    'notes.search_team': 'Søk i teamets notater',
    'notes.team': 'Teamets notater',
    'notes.team_filtered': 'Teamets notater (filtrert)',
    'notes.f.title': 'Filtre',
    'notes.f.author': 'Skrevet av',
    'notes.f.anyone': 'Hvem som helst i teamet',
    'notes.f.me': 'Meg',
    'notes.f.participant': 'Om',
    'notes.f.anybody': 'Alle deltakere',
    'notes.f.code': 'Kode',
    'notes.f.any_code': 'Alle koder',
    'notes.f.location': 'Hvor',
    'notes.f.anywhere': 'Alle steder',
    'notes.f.apply': 'Vis notater',
    'notes.f.clear': 'Fjern filtrene',
  },
});

export async function render(main, { app, query, go, signal, live, onLeave }) {
  document.title = `${t('notes.title')} · Fieldnotes`;
  const q = query.get('q') || '';
  const team = app.coordinator;
  // A coordinator reads the team's notes at their sites, filtered.
  const filter = Object.fromEntries(FILTERS.map((k) => [k, team ? query.get(k) || '' : '']));
  const filtered = FILTERS.some((k) => filter[k]);
  const saved = query.get('saved');
  const savedId = query.get('id');
  main.append(h('h1', {}, t('notes.title')));
  const said = h('div');
  if (saved) {
    main.append(said);
    // Said once: a reload shows the queue as it is then.
    history.replaceState(null, '', `#/notes${qs({ q, ...filter })}`);
  }
  main.append(h('a', { class: 'button primary big', href: '#/notes/new' }, t('notes.write')));

  const queueSec = h('section', { 'aria-labelledby': 'q-h', class: 'queue' });
  main.append(queueSec);
  let codes = cached('codes')?.items;
  if (!codes) codes = await load('codes', '/codes', signal).then((c) => c.items).catch(() => []);
  const codeName = (id) => codes.find((c) => c.id === id)?.name || '';

  /** What the message after saving says now: on the phone, or stored. */
  function sayStored(list) {
    if (!saved) return;
    const entry = savedId && list.find((e) => e.id === savedId);
    let key = 'notes.saved';
    if (saved === 'queued' && (!savedId || entry)) {
      key = entry && entry.state !== 'pending' ? 'notes.saved_queued' : navigator.onLine === false ? 'notes.saved_queued' : 'notes.saved_sending';
    }
    if (said.dataset.key === key) return;
    said.dataset.key = key;
    clear(said, status('ok', t(key)));
  }

  let inQueue = new Set();
  async function showQueue(list) {
    sayStored(list);
    const gone = [...inQueue].some((id) => !list.some((e) => e.id === id));
    inQueue = new Set(list.map((e) => e.id));
    if (gone) showList();
    if (!list.length) {
      clear(queueSec);
      return;
    }
    const syncBtn = h('button', { type: 'button', class: 'secondary' }, t('sync.now'));
    syncBtn.addEventListener('click', () => busy(syncBtn, async () => sync(app.me.id)));
    // A browser may evict a site's data under storage pressure unless it
    // granted persistent storage: say so while notes wait.
    const kept = await persisted;
    if (!live()) return;
    clear(queueSec,
      h('h2', { id: 'q-h' }, t('sync.waiting', { n: list.length })),
      kept ? null : status('warn', t('storage.warn')),
      h('p', { class: 'hint' }, navigator.onLine === false ? t('sync.offline') : t('sync.hint')),
      h('ul', { class: 'cards' }, list.map((e) => queuedCard(e))),
      syncBtn);
  }

  function queuedCard(e) {
    const tz = app.site(e.note.site_id)?.timezone || app.tz;
    const fixes = [];
    if (e.state === 'conflict') {
      fixes.push(h('button', { type: 'button', class: 'secondary', onclick: async () => {
        await dropEntry(e.id);
        const note = { ...e.note, id: crypto.randomUUID() };
        await putEntry({ ...e, id: note.id, note, state: 'pending', problem: null });
        sync(app.me.id);
      } }, t('sync.resend_new')));
    }
    if (e.state === 'invalid') {
      fixes.push(h('a', { class: 'button secondary', href: `#/notes/new?queued=${e.id}` }, t('sync.fix')));
      fixes.push(h('button', { type: 'button', class: 'secondary', onclick: async () => {
        await dropEntry(e.id);
        notifyQueue(app.me.id);
      } }, t('sync.discard')));
    }
    return h('li', { class: 'card queued' },
      h('span', { class: 'when' }, fmtDateTime(e.note.observed_at, tz)),
      h('span', { class: `state q-${e.state}` }, t(`sync.state.${e.state}`)),
      h('p', { class: 'body' }, e.note.body.slice(0, 200)),
      e.problem ? status('error', syncProblem(e.problem)) : null,
      fixes);
  }

  // Every change of the queue (a sync from anywhere) and of the network is
  // shown at once.
  onLeave(onQueueChange((list) => live() && showQueue(list)));
  const net = () => live() && queued(app.me.id).then(showQueue);
  window.addEventListener('online', net);
  window.addEventListener('offline', net);
  onLeave(() => {
    window.removeEventListener('online', net);
    window.removeEventListener('offline', net);
  });

  const search = h('input', { type: 'search', name: 'q', value: q, enterkeyhint: 'search' });
  const form = h('form', { class: 'search', role: 'search' }, field(team ? t('notes.search_team') : t('notes.search'), search),
    h('button', { type: 'submit', class: 'secondary' }, t('notes.search_go')));
  const filters = team ? filterForm(app, filter, signal) : null;
  const apply = () => go(`#/notes${qs({ q: search.value.trim(), ...(filters ? filters.values() : {}) })}`);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  filters?.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply();
  });
  const heading = () => (q ? t('notes.results', { q }) : team ? t(filtered ? 'notes.team_filtered' : 'notes.team') : t('notes.mine'));
  const listSec = h('section', { 'aria-labelledby': 'l-h' }, h('h2', { id: 'l-h' }, heading()));
  main.append(...[form, filters?.box, listSec].filter(Boolean));
  const members = (u) => (Array.isArray(u) ? u : u?.items || []);
  const author = (id) => members(cached('users')).find((u) => u.id === id)?.display_name;

  let listing = 0;
  async function showList() {
    const n = ++listing;
    try {
      const tz = app.site(filter.site)?.timezone || app.tz;
      const page = await get(`/notes${qs({
        author_id: team ? filter.author : app.me.id,
        site_id: filter.site,
        participant_id: filter.participant,
        code_id: filter.code,
        location: filter.location,
        from: filter.from ? zonedToDate(filter.from, tz).toISOString() : '',
        to: filter.to ? dayStart(zonedToDate(filter.to, tz), tz, 1).toISOString() : '',
        q,
        limit: 50,
      })}`, { signal });
      if (n !== listing || !live()) return;
      clear(listSec, h('h2', { id: 'l-h' }, heading()));
      if (!page.items.length) listSec.append(h('p', { class: 'empty' }, t('notes.none')));
      else {
        listSec.append(h('ul', { class: 'cards' }, page.items.map((n) => {
          const tz = app.site(n.site_id)?.timezone || app.tz;
          return h('li', {}, h('a', { class: 'card link', href: `#/notes/${n.id}` },
            h('span', { class: 'when' }, fmtDateTime(n.observed_at, tz)),
            h('span', { class: 'where' }, [app.site(n.site_id)?.name, t(`loc.${n.location}`), team ? author(n.author_id) : null].filter(Boolean).join(' · ')),
            h('p', { class: 'body' }, n.body.length > 200 ? `${n.body.slice(0, 200)}…` : n.body),
            n.code_ids.length ? h('p', { class: 'codes' }, n.code_ids.map(codeName).filter(Boolean).join(', ')) : null));
        })));
      }
    } catch (e) {
      if (n !== listing || !live() || e.name === 'AbortError') return;
      clear(listSec, h('h2', { id: 'l-h' }, heading()), problem(e));
    }
  }

  await showQueue(await queued(app.me.id));
  await showList();
}

/** A sync refusal of one note, in the user's words. */
function syncProblem(p) {
  const fields = (p.errors || []).map((x) => (x.pointer || '').split('/').filter((s) => s && !/^\d+$/.test(s)).pop())
    .filter((f) => f && has(`sync.field.${f}`));
  if (p.code === 'note_id_conflict') return t('sync.err.conflict');
  if (fields.length) return t('sync.err.fields', { fields: [...new Set(fields)].map((f) => t(`sync.field.${f}`)).join(', ') });
  return t('sync.err.other');
}

const FILTERS = ['author', 'participant', 'code', 'location', 'site', 'from', 'to'];
const LOCATIONS = LISTS.Location;

/**
 * The coordinator's filters: who wrote, about whom, which code, where, at
 * which site and in which period. Lists come from the phone (kept at sign-in)
 * and the team is refreshed in the background.
 */
function filterForm(app, filter, signal) {
  const select = (name, first, options) => h('select', { name },
    h('option', { value: '' }, first),
    options.map((o) => h('option', { value: o.value, selected: o.value === filter[name] }, o.label)));
  const people = app.sites.flatMap((s) => cached(`participants.${s.id}`)?.items || [])
    .map((p) => ({ value: p.id, label: app.sites.length > 1 ? `${p.pseudonym} (${app.site(p.site_id)?.name || ''})` : p.pseudonym }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const c = {
    author: select('author', t('notes.f.anyone'), [{ value: app.me.id, label: t('notes.f.me') }]),
    participant: select('participant', t('notes.f.anybody'), people),
    code: select('code', t('notes.f.any_code'), (cached('codes')?.items || []).map((x) => ({ value: x.id, label: x.name }))),
    location: select('location', t('notes.f.anywhere'), LOCATIONS.map((l) => ({ value: l, label: t(`loc.${l}`) }))),
    site: select('site', t('export.all_sites'), app.sites.map((s) => ({ value: s.id, label: s.name }))),
    from: h('input', { type: 'date', name: 'from', value: filter.from }),
    to: h('input', { type: 'date', name: 'to', value: filter.to }),
  };
  // The participants as the server knows them now (one registered since
  // sign-in is in the list too).
  Promise.all(app.sites.slice(0, 10).map((s) => load(`participants.${s.id}`, `/participants?site_id=${s.id}&status=active&limit=200`, signal)))
    .then((pages) => {
      const fresh = pages.flatMap((p) => p.items)
        .map((p) => ({ value: p.id, label: app.sites.length > 1 ? `${p.pseudonym} (${app.site(p.site_id)?.name || ''})` : p.pseudonym }))
        .sort((a, b) => a.label.localeCompare(b.label));
      const chosen = c.participant.value;
      clear(c.participant, h('option', { value: '' }, t('notes.f.anybody')),
        fresh.map((o) => h('option', { value: o.value, selected: o.value === chosen }, o.label)));
    }).catch(() => {});
  // The team as the server knows it now.
  load('users', '/users', signal).then((u) => {
    const list = (Array.isArray(u) ? u : u.items).filter((x) => x.id !== app.me.id);
    c.author.append(...list.map((x) => h('option', { value: x.id, selected: x.id === filter.author }, x.display_name)));
  }).catch(() => {});
  const form = h('form', { class: 'card filters' },
    field(t('notes.f.author'), c.author),
    field(t('notes.f.participant'), c.participant),
    field(t('notes.f.code'), c.code),
    field(t('notes.f.location'), c.location),
    app.sites.length > 1 ? field(t('schedule.site'), c.site) : null,
    h('div', { class: 'row' }, field(t('export.from'), c.from), field(t('export.to'), c.to)),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, t('notes.f.apply')),
      h('a', { class: 'button secondary', href: '#/notes' }, t('notes.f.clear'))));
  const box = h('details', { class: 'filters', open: Object.values(filter).some(Boolean) }, h('summary', {}, t('notes.f.title')), form);
  const values = () => Object.fromEntries(Object.entries(c).map(([k, el]) => [k, el.value]));
  return { box, form, values };
}
