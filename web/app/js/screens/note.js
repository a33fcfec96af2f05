// Write a note (saved on the phone first, then synced), fix a queued one,
// or edit a stored one with If-Match and a choice when someone else won.
import { api, ApiError, qs } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy, checkboxes } from '../ui.js';
import { dateToZoned, zonedToDate, fmtDateTime, dayStart } from '../time.js';
import { load, cached, pref, setPref, enqueue, queued, putEntry, sync } from '../store.js';
import { problem } from '../errors.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'note.new': 'New note',
    'note.edit': 'Edit note',
    'note.body': 'What did you observe?',
    'note.site': 'Site',
    'note.location': 'Where',
    'note.observed': 'Observed at ({tz})',
    'note.participants': 'Participants',
    'note.codes': 'Codes',
    'note.save': 'Save note',
    'note.save_edit': 'Save changes',
    'note.code_passages': 'Code passages of this note',
    'conflict.title': 'Someone else changed this note',
    'conflict.intro': 'The note is now at version {v}. Keep your text, keep theirs, or merge the two.',
    'conflict.mine': 'Your version',
    'conflict.theirs': 'Current version ({v})',
    'conflict.keep_mine': 'Keep mine',
    'conflict.keep_theirs': 'Keep theirs',
    'conflict.merge': 'Merge',
    'conflict.merged': 'Merged text',
    'conflict.save_merged': 'Save merged note',
  },
  nb: {
    'note.new': 'Nytt notat',
    'note.edit': 'Endre notat',
    'note.body': 'Hva observerte du?',
    'note.site': 'Sted',
    'note.location': 'Hvor',
    'note.observed': 'Observert ({tz})',
    'note.participants': 'Deltakere',
    'note.codes': 'Koder',
    'note.save': 'Lagre notatet',
    'note.save_edit': 'Lagre endringene',
    'note.code_passages': 'Kod utdrag av dette notatet',
    'conflict.title': 'Noen andre har endret notatet',
    'conflict.intro': 'Notatet er nå i versjon {v}. Behold din tekst, behold deres, eller slå dem sammen.',
    'conflict.mine': 'Din versjon',
    'conflict.theirs': 'Gjeldende versjon ({v})',
    'conflict.keep_mine': 'Behold min',
    'conflict.keep_theirs': 'Behold deres',
    'conflict.merge': 'Slå sammen',
    'conflict.merged': 'Sammenslått tekst',
    'conflict.save_merged': 'Lagre sammenslått notat',
  },
});

const LOCATIONS = LISTS.Location;

/** Codes in tree order with their depth. */
function treeOrder(codes) {
  const kids = new Map();
  for (const c of codes) {
    const k = c.parent_id || '';
    if (!kids.has(k)) kids.set(k, []);
    kids.get(k).push(c);
  }
  const out = [];
  const walk = (pid, depth) => {
    for (const c of kids.get(pid) || []) {
      out.push({ ...c, depth });
      walk(c.id, depth + 1);
    }
  };
  walk('', 0);
  return out;
}

/**
 * The site a new note is most likely about: where today's interview is (the
 * one running, else the one nearest now), else where the last note was
 * written, else the first site. `interviews` are today's, as cached by Today.
 */
function likelySite(app, interviews) {
  const ok = (id) => (id && app.site(id) ? id : null);
  const now = Date.now();
  const from = dayStart(new Date(), app.tz).getTime();
  const to = dayStart(new Date(), app.tz, 1).getTime();
  const todays = (interviews || [])
    .filter((i) => i.status !== 'cancelled' && Date.parse(i.scheduled_at) >= from && Date.parse(i.scheduled_at) < to)
    .map((i) => ({ i, rank: i.sessions?.some((x) => !x.ended_at) ? -1 : Math.abs(Date.parse(i.scheduled_at) - now) }))
    .sort((a, b) => a.rank - b.rank);
  return ok(todays[0]?.i.site_id) || ok(pref('note_site')) || ok(pref('site')) || app.sites[0].id;
}

export async function render(main, { params, query, app, go, signal, live }) {
  const isNew = params.id === 'new';
  const queuedId = query.get('queued');
  let stored = null;
  let etag = null;
  let entry = null;
  if (!isNew) {
    const { body, res } = await api('GET', `/notes/${params.id}`, undefined, { full: true, signal });
    stored = body;
    etag = res.headers.get('ETag') || `"${body.version}"`;
  } else if (queuedId) {
    entry = (await queued(app.me.id)).find((e) => e.id === queuedId);
  }
  if (!live()) return;
  const base = stored || entry?.note;
  const title = stored ? t('note.edit') : t('note.new');
  document.title = `${title} · Fieldnotes`;
  main.append(h('h1', {}, title));
  if (!app.sites.length) {
    main.append(status('error', t('note.no_sites')));
    return;
  }

  // Everything the form needs is on the phone already (kept at sign-in and
  // by Today): it opens at once, and what the network brings later only
  // refreshes the lists.
  const todayKey = `today.${app.me.id}`;
  const siteId = base?.site_id || likelySite(app, cached(todayKey)?.items);
  let siteTouched = !!base;
  const tzOf = (id) => app.site(id)?.timezone || app.tz;
  const body = h('textarea', { name: 'body', rows: 6, required: true, maxlength: 100000, value: base?.body || '' });
  const site = h('select', { name: 'site', disabled: !!stored }, app.sites.map((s) => h('option', { value: s.id, selected: s.id === siteId }, s.name)));
  const loc = h('select', { name: 'location' }, LOCATIONS.map((l) => h('option', { value: l, selected: l === (base?.location || pref('location', 'waiting_room')) }, t(`loc.${l}`))));
  const observedDefault = base ? new Date(base.observed_at) : new Date();
  const when = h('input', { type: 'datetime-local', name: 'observed_at', required: true, value: dateToZoned(observedDefault, tzOf(siteId)) });
  let whenTouched = false;
  when.addEventListener('change', () => { whenTouched = true; });
  const whenField = field(t('note.observed', { tz: tzOf(siteId) }), when);
  const people = h('div');
  const codesBox = h('div');
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary big' }, stored ? t('note.save_edit') : t('note.save'));

  const ticked = (box, name, fallback) => (box.querySelector('fieldset') ? [...box.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value) : fallback);
  const ids = (page) => (page?.items || []).map((x) => `${x.id}:${x.pseudonym || x.name}:${x.parent_id || ''}`).join();

  function showPeople(page, keep) {
    const opts = page.items.map((p) => ({ value: p.id, label: p.pseudonym }));
    const wasOpen = people.querySelector('details')?.open;
    clear(people, h('details', { open: wasOpen ?? opts.length <= 12 }, h('summary', {}, t('note.participants')),
      checkboxes(t('note.participants'), 'participant', opts, keep, true)));
  }
  /** The participants of the chosen site: from the phone at once, then fresh. */
  async function fillPeople() {
    const sid = site.value;
    const key = `participants.${sid}`;
    const had = cached(key);
    if (had) showPeople(had, ticked(people, 'participant', base?.participant_ids || []));
    else clear(people, h('p', { class: 'loading' }, t('loading')));
    try {
      const page = await load(key, `/participants${qs({ site_id: sid, status: 'active', limit: 200 })}`, signal);
      if (!live() || site.value !== sid) return;
      if (!had || ids(had) !== ids(page)) showPeople(page, ticked(people, 'participant', base?.participant_ids || []));
    } catch (e) {
      if (e.name !== 'AbortError' && !had && site.value === sid) clear(people, problem(e));
    }
  }
  function showCodes(list, keep) {
    const codes = treeOrder(list.items);
    const opts = codes.map((c) => ({ value: c.id, label: c.name }));
    const box = checkboxes(t('note.codes'), 'code', opts, keep, true);
    box.querySelectorAll('.choice').forEach((el, i) => el.classList.add(`depth-${Math.min(codes[i].depth, 3)}`));
    const wasOpen = codesBox.querySelector('details')?.open;
    clear(codesBox, h('details', { open: wasOpen || false }, h('summary', {}, t('note.codes')), box));
  }
  async function fillCodes() {
    const had = cached('codes');
    if (had) showCodes(had, base?.code_ids || []);
    else clear(codesBox, h('p', { class: 'loading' }, t('loading')));
    try {
      const list = await load('codes', '/codes', signal);
      if (live() && (!had || ids(had) !== ids(list))) showCodes(list, ticked(codesBox, 'code', base?.code_ids || []));
    } catch (e) {
      if (e.name !== 'AbortError' && !had) clear(codesBox, problem(e));
    }
  }
  const siteChanged = () => {
    if (!whenTouched) when.value = dateToZoned(new Date(), tzOf(site.value));
    whenField.querySelector('label').textContent = t('note.observed', { tz: tzOf(site.value) });
    fillPeople();
  };
  site.addEventListener('change', () => {
    siteTouched = true;
    siteChanged();
  });

  const form = h('form', { class: 'card note-form' },
    field(t('note.body'), body),
    field(t('note.site'), site),
    field(t('note.location'), loc),
    whenField,
    people, codesBox, submit, out);
  main.append(form);
  // Words of a stored note are coded on their own screen.
  if (stored) main.append(h('p', {}, h('a', { class: 'button secondary big', href: `#/notes/${stored.id}/passages` }, t('note.code_passages'))));
  if (!stored) body.focus();
  fillPeople();
  fillCodes();
  // Today's interviews not on the phone yet: when they come, and the site
  // was not chosen by hand, they say where the note is likely from.
  if (!base && !cached(todayKey)) {
    const q = qs({ from: dayStart(new Date(), app.tz).toISOString(), to: dayStart(new Date(), app.tz, 1).toISOString() });
    load(todayKey, `/me/interviews${q}`, signal).then((page) => {
      const likely = likelySite(app, page.items);
      if (live() && !siteTouched && likely !== site.value) {
        site.value = likely;
        siteChanged();
      }
    }).catch(() => {});
  }

  const picked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
  const observedAt = () => {
    if (!whenTouched) return base ? base.observed_at : new Date().toISOString();
    return zonedToDate(when.value, tzOf(site.value)).toISOString();
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(out);
    await busy(submit, async () => {
      if (stored) return saveEdit(etag, edits());
      const note = {
        id: entry?.id || crypto.randomUUID(),
        site_id: site.value,
        observed_at: observedAt(),
        location: loc.value,
        body: body.value,
        participant_ids: picked('participant'),
        code_ids: picked('code'),
      };
      setPref('note_site', note.site_id);
      setPref('site', note.site_id);
      setPref('location', note.location);
      if (entry) await putEntry({ ...entry, note, state: 'pending', problem: null });
      else await enqueue(app.me.id, note);
      // Saved on the phone: said at once, sent in the background.
      sync(app.me.id);
      go(`#/notes${qs({ saved: 'queued', id: note.id })}`);
    });
  });

  const edits = () => ({
    body: body.value,
    location: loc.value,
    observed_at: observedAt(),
    participant_ids: picked('participant'),
    code_ids: picked('code'),
  });

  async function saveEdit(tag, patch) {
    try {
      await api('PATCH', `/notes/${stored.id}`, patch, { headers: { 'If-Match': tag } });
      go('#/notes?saved=synced');
    } catch (e) {
      if (e instanceof ApiError && e.status === 412 && e.problem.current) conflict(patch, e.problem.current);
      else clear(out, problem(e));
    }
  }

  function conflict(mine, current) {
    const tz = tzOf(current.site_id);
    const currentTag = `"${current.version}"`;
    const merged = h('textarea', { name: 'merged', rows: 8, value: mergeTexts(current.body, mine.body) });
    const mergeBox = h('div', { hidden: true },
      field(t('conflict.merged'), merged),
      h('button', { type: 'button', class: 'primary', onclick: (ev) => busy(ev.target, () => saveEdit(currentTag, { ...mine, body: merged.value })) }, t('conflict.save_merged')));
    clear(main,
      h('h1', {}, t('conflict.title')),
      status('error', t('conflict.intro', { v: current.version })),
      h('section', { class: 'versions' },
        h('article', { class: 'card', 'aria-labelledby': 'mine-h' }, h('h2', { id: 'mine-h' }, t('conflict.mine')), h('p', { class: 'body' }, mine.body)),
        h('article', { class: 'card', 'aria-labelledby': 'theirs-h' }, h('h2', { id: 'theirs-h' }, t('conflict.theirs', { v: current.version })),
          h('p', { class: 'hint' }, fmtDateTime(current.updated_at, tz)), h('p', { class: 'body' }, current.body))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: (ev) => busy(ev.target, () => saveEdit(currentTag, mine)) }, t('conflict.keep_mine')),
        h('button', { type: 'button', class: 'secondary', onclick: () => go('#/notes') }, t('conflict.keep_theirs')),
        h('button', { type: 'button', class: 'secondary', onclick: () => { mergeBox.hidden = false; merged.focus(); } }, t('conflict.merge'))),
      mergeBox, out);
    stored = current;
  }
}

/**
 * Their text and mine as one, for the person to finish: the lines both
 * begin and end with once, and between them their lines, then mine. (Not a
 * merge that decides anything: where both changed, both stay.)
 */
export function mergeTexts(theirs, mine) {
  if (theirs === mine) return mine;
  const a = theirs.split('\n');
  const b = mine.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  const middle = (x) => x.slice(head, x.length - tail);
  const parts = [middle(a), middle(b)].filter((m) => m.length).map((m) => m.join('\n'));
  return [...a.slice(0, head), ...(parts.length ? [parts.join('\n\n')] : []), ...a.slice(a.length - tail)].join('\n');
}
