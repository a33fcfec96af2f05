// My notes: the queue waiting to sync, search, and the list.
import { get, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, status, busy } from '../ui.js';
import { fmtDateTime } from '../time.js';
import { queued, sync, putEntry, dropEntry, notifyQueue, load } from '../store.js';
import { problem, persisted } from '../app.js';

export async function render(main, { app, query, go }) {
  document.title = `${t('notes.title')} · Fieldnotes`;
  const q = query.get('q') || '';
  const saved = query.get('saved');
  main.append(h('h1', {}, t('notes.title')));
  if (saved) {
    main.append(status('ok', t(saved === 'queued' ? 'notes.saved_queued' : 'notes.saved')));
    // Said once: a reload shows the queue as it is then.
    history.replaceState(null, '', `#/notes${qs({ q })}`);
  }
  main.append(h('a', { class: 'button primary big', href: '#/notes/new' }, t('notes.write')));

  const queueSec = h('section', { 'aria-labelledby': 'q-h', class: 'queue' });
  main.append(queueSec);
  const codes = await load('codes', '/codes').then((c) => c.items).catch(() => []);
  const codeName = (id) => codes.find((c) => c.id === id)?.name || '';

  async function showQueue(list) {
    if (!list.length) {
      clear(queueSec);
      return;
    }
    const syncBtn = h('button', { type: 'button', class: 'secondary' }, t('sync.now'));
    syncBtn.addEventListener('click', () => busy(syncBtn, async () => showQueue(await sync(app.me.id))));
    // A browser may evict a site's data under storage pressure unless it
    // granted persistent storage: say so while notes wait.
    const kept = await persisted;
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
        showQueue(await sync(app.me.id));
      } }, t('sync.resend_new')));
    }
    if (e.state === 'invalid') {
      fixes.push(h('a', { class: 'button secondary', href: `#/notes/new?queued=${e.id}` }, t('sync.fix')));
      fixes.push(h('button', { type: 'button', class: 'secondary', onclick: async () => {
        await dropEntry(e.id);
        showQueue(await notifyQueue(app.me.id));
      } }, t('sync.discard')));
    }
    return h('li', { class: 'card queued' },
      h('span', { class: 'when' }, fmtDateTime(e.note.observed_at, tz)),
      h('span', { class: `state q-${e.state}` }, t(`sync.state.${e.state}`)),
      h('p', { class: 'body' }, e.note.body.slice(0, 200)),
      e.problem ? status('error', e.problem.detail || '', (e.problem.errors || []).map((x) => h('div', {}, x.detail))) : null,
      fixes);
  }

  await showQueue(await queued(app.me.id));

  const search = h('input', { type: 'search', name: 'q', value: q, enterkeyhint: 'search' });
  const form = h('form', { class: 'search', role: 'search' }, field(t('notes.search'), search),
    h('button', { type: 'submit', class: 'secondary' }, t('notes.search_go')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(`#/notes${qs({ q: search.value.trim() })}`);
  });
  const listSec = h('section', { 'aria-labelledby': 'l-h' }, h('h2', { id: 'l-h' }, q ? t('notes.results', { q }) : t('notes.mine')));
  main.append(form, listSec);
  try {
    const page = await get(`/notes${qs({ author_id: app.me.id, q, limit: 50 })}`);
    if (!page.items.length) listSec.append(h('p', { class: 'empty' }, t('notes.none')));
    else {
      listSec.append(h('ul', { class: 'cards' }, page.items.map((n) => {
        const tz = app.site(n.site_id)?.timezone || app.tz;
        return h('li', {}, h('a', { class: 'card link', href: `#/notes/${n.id}` },
          h('span', { class: 'when' }, fmtDateTime(n.observed_at, tz)),
          h('span', { class: 'where' }, [app.site(n.site_id)?.name, t(`loc.${n.location}`)].filter(Boolean).join(' · ')),
          h('p', { class: 'body' }, n.body.length > 200 ? `${n.body.slice(0, 200)}…` : n.body),
          n.code_ids.length ? h('p', { class: 'codes' }, n.code_ids.map(codeName).filter(Boolean).join(', ')) : null));
      })));
    }
  } catch (e) {
    listSec.append(problem(e));
  }
}
