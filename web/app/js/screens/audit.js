// The audit log (admins, read only): who did what to which object at which
// site, and when; every read of participant data is here too. Filter by
// person, action, object, site and period; newest first, older pages on
// request. The filters, then the entries on a phone; side by side on a desk.
import { get, qs, ApiError } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, busy, uid } from '../ui.js';
import { fmt, zonedToDate } from '../time.js';
import { desk, loading, refuse } from '../admin.js';

words({
  en: {
    'audit.title': 'Audit log',
    'audit.intro': 'Every change, sign-in and read of participant data, newest first. Nothing here can be changed or deleted.',
    'audit.filters': 'Filters',
    'audit.person': 'Person',
    'audit.anyone': 'Anyone',
    'audit.action': 'Action',
    'audit.action_hint': 'Exactly as logged, e.g. participant.read or site.update.',
    'audit.object_type': 'Object type',
    'audit.object_id': 'Object id',
    'audit.site': 'Site',
    'audit.any_site': 'Any site',
    'audit.from': 'From (day)',
    'audit.to': 'To (day, included)',
    'audit.period_hint': 'Days in {tz} time.',
    'audit.show': 'Show entries',
    'audit.clear': 'Clear the filters',
    'audit.entries': 'Entries',
    'audit.shown': '{n} shown',
    'audit.none': 'No entries match.',
    'audit.older': 'Older entries',
    'audit.end': 'That is the oldest entry.',
    'audit.by_key': 'API key {name}',
    'audit.nobody': 'No one signed in',
    'audit.when': 'When',
    'audit.who': 'Who',
    'audit.object': 'Object',
    'audit.ip': 'IP address',
    'audit.request': 'Request id',
    'audit.detail': 'Detail',
    'audit.err.to': 'The last day must be the first day or later.',
    'field.actor_user_id': 'Person',
    'field.action': 'Action',
    'field.object_type': 'Object type',
    'field.object_id': 'Object id',
    'field.from': 'From',
    'field.to': 'To',
  },
  nb: {
    'audit.title': 'Revisjonslogg',
    'audit.intro': 'Alle endringer, innlogginger og oppslag i deltakerdata, nyeste først. Ingenting her kan endres eller slettes.',
    'audit.filters': 'Filtre',
    'audit.person': 'Person',
    'audit.anyone': 'Hvem som helst',
    'audit.action': 'Handling',
    'audit.action_hint': 'Nøyaktig slik den er logget, f.eks. participant.read eller site.update.',
    'audit.object_type': 'Objekttype',
    'audit.object_id': 'Objekt-id',
    'audit.site': 'Sted',
    'audit.any_site': 'Alle steder',
    'audit.from': 'Fra (dag)',
    'audit.to': 'Til (dag, tas med)',
    'audit.period_hint': 'Dager i {tz}-tid.',
    'audit.show': 'Vis oppføringer',
    'audit.clear': 'Fjern filtrene',
    'audit.entries': 'Oppføringer',
    'audit.shown': '{n} vist',
    'audit.none': 'Ingen oppføringer passer.',
    'audit.older': 'Eldre oppføringer',
    'audit.end': 'Dette er den eldste oppføringen.',
    'audit.by_key': 'API-nøkkel {name}',
    'audit.nobody': 'Ingen innlogget',
    'audit.when': 'Når',
    'audit.who': 'Hvem',
    'audit.object': 'Objekt',
    'audit.ip': 'IP-adresse',
    'audit.request': 'Forespørsels-id',
    'audit.detail': 'Detaljer',
    'audit.err.to': 'Siste dag må være den samme som første dag eller senere.',
    'field.actor_user_id': 'Person',
    'field.action': 'Handling',
    'field.object_type': 'Objekttype',
    'field.object_id': 'Objekt-id',
    'field.from': 'Fra',
    'field.to': 'Til',
  },
});

// What the service logs (suggestions only: any text may be typed).
const ACTIONS = `
  api_key.create api_key.revoke auth.invitation_accepted auth.login auth.login_failed auth.logout
  auth.mfa_challenge auth.mfa_failed auth.password_reset auth.password_reset_requested
  auth.refresh_reuse_detected auth.session_ended calendar_feed.create calendar_feed.read calendar_feed.revoke
  code.create code.delete code.update coding.create coding.delete coding.list coding.place consent.create
  consent.list consent.refused consent.withdraw export.download instrument.create instrument.replace
  interview.cancel interview.complete interview.create interview.list interview.postpone
  interview.postponements interview.read interview.reopen interview.update mfa.disabled mfa.enabled
  mfa.enrol_started note.create note.delete note.history note.list note.read note.redact note.restore
  note.update participant.create participant.due participant.list participant.read participant.update
  readiness.read readiness.refused report.fieldwork screening.create screening.list session.end
  session.refused session.start settings.security_update settings.update site.create site.update
  transcript.create transcript.list transcript.read transcript.update user.create user.invitation_resent
  user.credentials_ended user.mfa_reset user.sessions_ended user.update user.update_self`.trim().split(/\s+/);
const TYPES = `
  api_key calendar_feed code coding consent export instrument interview note participant report screening
  session settings site study transcript user`.trim().split(/\s+/);

const dayAfter = (day) => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
};

export async function render(main, { app, signal, live }) {
  const d = desk(main, app, t('audit.title'), 'audit');
  if (!d) return;
  const filterSec = h('section', { class: 'card audit-filters', 'aria-labelledby': 'filters-h' });
  const logSec = h('section', { class: 'card desk-list audit-log', 'aria-labelledby': 'log-h' });
  d.list.append(h('p', {}, t('audit.intro')), filterSec);
  d.side.append(logSec);
  const tz = app.tz;

  let users = [];
  let sites = [];
  let keys = [];
  await loading(main, async () => {
    const [u, s, k] = await Promise.all([
      get('/users', { signal }), get('/sites', { signal }), get('/api-keys', { signal }).catch(() => []),
    ]);
    users = u.sort((a, b) => a.display_name.localeCompare(b.display_name));
    sites = Array.isArray(s) ? s : s.items || [];
    keys = k;
  });
  if (!live()) return;
  const userName = (id) => users.find((u) => u.id === id)?.display_name;
  const siteName = (id) => sites.find((s) => s.id === id)?.name;
  const who = (e) => (e.actor_user_id ? userName(e.actor_user_id) || e.actor_user_id
    : e.actor_api_key_id ? t('audit.by_key', { name: keys.find((k) => k.id === e.actor_api_key_id)?.name || e.actor_api_key_id.slice(0, 8) })
      : t('audit.nobody'));
  const object = (e) => `${e.object_type}${e.object_id ? ` ${(e.object_type === 'user' && userName(e.object_id)) || e.object_id}` : ''}`;
  const when = (iso) => fmt(iso, tz, { year: 'numeric', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });

  // The filters.
  const listOf = (id, values) => h('datalist', { id }, values.map((v) => h('option', { value: v })));
  const person = h('select', { name: 'actor_user_id' }, h('option', { value: '' }, t('audit.anyone')),
    users.map((u) => h('option', { value: u.id }, `${u.display_name} (${u.email})`)));
  const actionsId = uid('actions');
  const typesId = uid('types');
  const text = (name, list) => h('input', { type: 'text', name, list, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', maxlength: 200 });
  const action = text('action', actionsId);
  const objectType = text('object_type', typesId);
  const objectId = text('object_id');
  const site = h('select', { name: 'site_id' }, h('option', { value: '' }, t('audit.any_site')),
    sites.map((s) => h('option', { value: s.id }, s.name)));
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const show = h('button', { type: 'submit', class: 'primary big' }, t('audit.show'));
  const reset = h('button', { type: 'reset', class: 'secondary big' }, t('audit.clear'));
  const out = h('div');
  const controls = { actor_user_id: person, action, object_type: objectType, object_id: objectId, site_id: site, from, to };
  const form = h('form', { novalidate: true, class: 'filters' },
    field(t('audit.person'), person),
    field(t('audit.action'), action, t('audit.action_hint')),
    listOf(actionsId, ACTIONS),
    h('div', { class: 'row' }, field(t('audit.object_type'), objectType), field(t('audit.object_id'), objectId)),
    listOf(typesId, TYPES),
    field(t('audit.site'), site),
    h('div', { class: 'row' }, field(t('audit.from'), from), field(t('audit.to'), to)),
    h('p', { class: 'hint' }, t('audit.period_hint', { tz })),
    show, reset, out);
  clear(filterSec, h('h2', { id: 'filters-h' }, t('audit.filters')), form);

  // The entries: what the filters asked for, page after page.
  let query = {};
  let entries = [];
  let next = null;
  const list = h('ol', { class: 'cards entries' });
  const more = h('button', { type: 'button', class: 'secondary big' }, t('audit.older'));
  const count = h('small');
  const end = h('p', { class: 'empty' });
  clear(logSec, h('h2', { id: 'log-h', tabindex: -1 }, t('audit.entries'), ' ', count), list, end, more);

  const row = (e) => h('li', { class: 'entry', 'data-action': e.action },
    h('details', {},
      h('summary', {}, h('span', {},
        h('strong', { class: 'when' }, when(e.at)),
        h('span', { class: 'who' }, who(e)),
        h('code', {}, e.action),
        h('span', { class: 'obj' }, object(e)),
        e.site_id ? h('span', { class: 'sub' }, siteName(e.site_id) || e.site_id) : null)),
      h('dl', {},
        [[t('audit.when'), when(e.at)], [t('audit.who'), who(e)], [t('audit.action'), e.action],
          [t('audit.object'), `${e.object_type} ${e.object_id || ''}`], [t('audit.site'), e.site_id ? siteName(e.site_id) || e.site_id : '—'],
          [t('audit.ip'), e.ip || '—'], [t('audit.request'), e.request_id || '—']]
          .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        e.detail ? [h('dt', {}, t('audit.detail')), h('dd', {}, h('pre', {}, JSON.stringify(e.detail, null, 2)))] : null)));

  async function page(cursor) {
    const res = await get(`/audit${qs({ ...query, cursor, limit: 50 })}`, { signal });
    if (!live()) return;
    entries = cursor ? [...entries, ...res.items] : res.items;
    next = res.next_cursor || null;
    if (cursor) list.append(...res.items.map(row));
    else list.replaceChildren(...res.items.map(row));
    count.textContent = t('audit.shown', { n: entries.length });
    more.hidden = !next;
    end.textContent = entries.length === 0 ? t('audit.none') : next ? '' : t('audit.end');
    end.hidden = !end.textContent;
  }

  more.addEventListener('click', () => busy(more, async () => {
    const first = entries.length;
    try {
      await page(next);
      list.children[first]?.querySelector('summary')?.focus();
    } catch (e) {
      if (live()) refuse(e, controls, out);
    }
  }));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(show, async () => {
      try {
        if (from.value && to.value && to.value < from.value) {
          throw new ApiError(422, { code: 'validation_failed', errors: [{ pointer: '/to', detail: '', text: t('audit.err.to') }] });
        }
        query = {
          actor_user_id: person.value,
          action: action.value.trim(),
          object_type: objectType.value.trim(),
          object_id: objectId.value.trim(),
          site_id: site.value,
          from: from.value ? zonedToDate(from.value, tz).toISOString() : '',
          to: to.value ? zonedToDate(dayAfter(to.value), tz).toISOString() : '',
        };
        await page();
        refuse(null, controls, out);
        logSec.querySelector('h2').focus();
      } catch (e) {
        if (live()) refuse(e, controls, out);
      }
    });
  });
  form.addEventListener('reset', () => setTimeout(() => form.requestSubmit(), 0));

  await page();
}
