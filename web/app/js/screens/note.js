// Write a note (saved on the phone first, then synced), fix a queued one,
// or edit a stored one with If-Match and a choice when someone else won.
import { api, ApiError, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, status, busy, checkboxes } from '../ui.js';
import { dateToZoned, zonedToDate, fmtDateTime } from '../time.js';
import { load, pref, setPref, enqueue, queued, putEntry, sync } from '../store.js';
import { problem } from '../app.js';

const LOCATIONS = ['waiting_room', 'screening_room', 'injection_room', 'observation_room', 'outside', 'other'];

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

export async function render(main, { params, query, app, go }) {
  const isNew = params.id === 'new';
  const queuedId = query.get('queued');
  let stored = null;
  let etag = null;
  let entry = null;
  if (!isNew) {
    const { body, res } = await api('GET', `/notes/${params.id}`, undefined, { full: true });
    stored = body;
    etag = res.headers.get('ETag') || `"${body.version}"`;
  } else if (queuedId) {
    entry = (await queued(app.me.id)).find((e) => e.id === queuedId);
  }
  const base = stored || entry?.note;
  const title = stored ? t('note.edit') : t('note.new');
  document.title = `${title} · Fieldnotes`;
  main.append(h('h1', {}, title));
  if (!app.sites.length) {
    main.append(status('error', t('note.no_sites')));
    return;
  }

  const siteId = base?.site_id || (app.site(pref('site')) ? pref('site') : app.sites[0].id);
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

  async function fillPeople() {
    const sid = site.value;
    try {
      const page = await load(`participants.${sid}`, `/participants${qs({ site_id: sid, status: 'active', limit: 200 })}`);
      const opts = page.items.map((p) => ({ value: p.id, label: p.pseudonym }));
      clear(people, h('details', { open: opts.length <= 12 }, h('summary', {}, t('note.participants')),
        checkboxes(t('note.participants'), 'participant', opts, base?.participant_ids || [], true)));
    } catch (e) {
      clear(people, problem(e));
    }
  }
  try {
    const codes = treeOrder((await load('codes', '/codes')).items);
    const opts = codes.map((c) => ({ value: c.id, label: c.name }));
    const box = checkboxes(t('note.codes'), 'code', opts, base?.code_ids || [], true);
    box.querySelectorAll('.choice').forEach((el, i) => el.classList.add(`depth-${Math.min(codes[i].depth, 3)}`));
    clear(codesBox, h('details', {}, h('summary', {}, t('note.codes')), box));
  } catch (e) {
    clear(codesBox, problem(e));
  }
  site.addEventListener('change', () => {
    if (!whenTouched) when.value = dateToZoned(new Date(), tzOf(site.value));
    whenField.querySelector('label').textContent = t('note.observed', { tz: tzOf(site.value) });
    fillPeople();
  });
  await fillPeople();

  const form = h('form', { class: 'card note-form' },
    field(t('note.body'), body),
    field(t('note.site'), site),
    field(t('note.location'), loc),
    whenField,
    people, codesBox, submit, out);
  main.append(form);
  if (!stored) body.focus();

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
      setPref('site', note.site_id);
      setPref('location', note.location);
      if (entry) await putEntry({ ...entry, note, state: 'pending', problem: null });
      else await enqueue(app.me.id, note);
      const left = await sync(app.me.id);
      go(`#/notes?saved=${left.some((e) => e.id === note.id) ? 'queued' : 'synced'}`);
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
    const merged = h('textarea', { name: 'merged', rows: 8, value: `${current.body}\n\n${mine.body}` });
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
