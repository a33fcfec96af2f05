// The audit log (admins, read only): who did what to which object at which
// site, and when; every read of participant data is here too. Filter by
// person, action, object, site and period; newest first, older pages on
// request. The filters, then the entries on a phone; side by side on a desk.
import { get, qs, ApiError } from '../api.js';
import { t, words, has } from '../i18n.js';
import { LISTS } from '../lists.js';
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
    'audit.any_action': 'Any action',
    'act.api_key.create': 'API key created',
    'act.api_key.revoke': 'API key revoked',
    'act.auth.invitation_accepted': 'Invitation accepted',
    'act.auth.login': 'Signed in',
    'act.auth.login_failed': 'Sign-in failed',
    'act.auth.logout': 'Signed out',
    'act.auth.mfa_challenge': 'Asked for a second factor',
    'act.auth.mfa_failed': 'Wrong second-factor code',
    'act.auth.password_reset': 'Password reset',
    'act.auth.password_reset_requested': 'Password reset asked for',
    'act.auth.refresh_reuse_detected': 'A used sign-in token came back (sign-in ended)',
    'act.auth.session_ended': 'A device signed out',
    'act.calendar_feed.create': 'Calendar address made',
    'act.calendar_feed.read': 'Calendar read by a calendar app',
    'act.calendar_feed.revoke': 'Calendar address stopped',
    'act.code.create': 'Code added',
    'act.code.import': 'Codebook file imported',
    'act.code.delete': 'Code deleted or merged',
    'act.code.update': 'Code changed',
    'act.coding.create': 'Passage coded',
    'act.coding.delete': 'Passage coding removed',
    'act.coding.list': 'Passage codings read',
    'act.coding.place': 'Passage coding placed again',
    'act.consent.create': 'Consent recorded',
    'act.consent.list': 'Consents read',
    'act.consent.refused': 'Consent refused: not ready',
    'act.consent.withdraw': 'Consent withdrawn',
    'act.demo.load': 'Demo data loaded',
    'act.export.download': 'Export downloaded',
    'act.instrument.create': 'Screening form added',
    'act.instrument.replace': 'Screening form changed',
    'act.interview.cancel': 'Interview cancelled',
    'act.interview.complete': 'Interview completed',
    'act.interview.create': 'Interview booked',
    'act.interview.enter_earlier': 'Earlier interview entered',
    'act.interview.hand_over': 'Interviews handed over',
    'act.interview.list': 'Interviews read',
    'act.interview.postpone': 'Interview postponed',
    'act.interview.postponements': 'Postponements read',
    'act.interview.read': 'Interview read',
    'act.interview.reopen': 'Interview reopened',
    'act.interview.reschedule': 'Interview time agreed or changed',
    'act.interview.update': 'Interview changed',
    'act.mfa.disabled': 'Two-factor sign-in turned off',
    'act.mfa.enabled': 'Two-factor sign-in turned on',
    'act.mfa.enrol_started': 'Two-factor set-up begun',
    'act.mfa.recovery_codes_renewed': 'New recovery codes made',
    'act.note.create': 'Note written',
    'act.note.delete': 'Note deleted',
    'act.note.history': 'Note history read',
    'act.note.list': 'Notes read',
    'act.note.read': 'Note read',
    'act.note.redact': 'Note redacted',
    'act.note.restore': 'Note restored',
    'act.note.update': 'Note changed',
    'act.participant.create': 'Participant registered',
    'act.participant.import': 'Participants imported from a file',
    'act.participant.due': 'Due list read',
    'act.participant.list': 'Participants read',
    'act.participant.read': 'Participant read',
    'act.participant.update': 'Participant changed',
    'act.passage.list': 'Coded passages read',
    'act.readiness.read': 'Readiness checked',
    'act.readiness.refused': 'Not ready: refused',
    'act.report.fieldwork': 'Fieldwork report read',
    'act.screening.create': 'Screening recorded',
    'act.screening.list': 'Screenings read',
    'act.session.end': 'Session ended',
    'act.session.refused': 'Session refused: not ready',
    'act.session.start': 'Session started',
    'act.settings.security_update': 'Security settings changed',
    'act.settings.update': 'Study settings changed',
    'act.site.create': 'Site added',
    'act.site.update': 'Site changed',
    'act.transcript.create': 'Transcript added',
    'act.transcript.list': 'Transcripts listed',
    'act.transcript.read': 'Transcript read',
    'act.transcript.update': 'Transcript changed',
    'act.user.create': 'Team member invited',
    'act.user.create_admin': 'First admin made',
    'act.user.credentials_ended': 'Password and keys ended by an admin',
    'act.user.invitation_resent': 'Invitation sent again',
    'act.user.mfa_reset': 'Two-factor reset by an admin',
    'act.user.sessions_ended': 'All devices signed out by an admin',
    'act.user.update': 'Team member changed',
    'act.user.update_self': 'Own settings changed',
    'act.webhook.create': 'Webhook made',
    'act.webhook.delete': 'Webhook deleted',
    'act.webhook.test': 'Webhook test event sent',
    'act.webhook.turned_off': 'Webhook turned off after failing',
    'act.webhook.update': 'Webhook changed',
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
    'audit.any_action': 'Alle handlinger',
    'act.api_key.create': 'API-nøkkel laget',
    'act.api_key.revoke': 'API-nøkkel trukket tilbake',
    'act.auth.invitation_accepted': 'Invitasjon godtatt',
    'act.auth.login': 'Logget inn',
    'act.auth.login_failed': 'Mislykket innlogging',
    'act.auth.logout': 'Logget ut',
    'act.auth.mfa_challenge': 'Bedt om andre faktor',
    'act.auth.mfa_failed': 'Feil kode for andre faktor',
    'act.auth.password_reset': 'Passord tilbakestilt',
    'act.auth.password_reset_requested': 'Tilbakestilling av passord bedt om',
    'act.auth.refresh_reuse_detected': 'Et brukt innloggingstoken kom tilbake (innlogging avsluttet)',
    'act.auth.session_ended': 'En enhet logget ut',
    'act.calendar_feed.create': 'Kalenderadresse laget',
    'act.calendar_feed.read': 'Kalender lest av en kalenderapp',
    'act.calendar_feed.revoke': 'Kalenderadresse stoppet',
    'act.code.create': 'Kode lagt til',
    'act.code.import': 'Kodebokfil importert',
    'act.code.delete': 'Kode slettet eller slått sammen',
    'act.code.update': 'Kode endret',
    'act.coding.create': 'Utdrag kodet',
    'act.coding.delete': 'Koding av utdrag fjernet',
    'act.coding.list': 'Kodinger av utdrag lest',
    'act.coding.place': 'Koding av utdrag plassert på nytt',
    'act.consent.create': 'Samtykke registrert',
    'act.consent.list': 'Samtykker lest',
    'act.consent.refused': 'Samtykke avvist: ikke klar',
    'act.consent.withdraw': 'Samtykke trukket',
    'act.demo.load': 'Demodata lastet inn',
    'act.export.download': 'Eksport lastet ned',
    'act.instrument.create': 'Screeningskjema lagt til',
    'act.instrument.replace': 'Screeningskjema endret',
    'act.interview.cancel': 'Intervju avlyst',
    'act.interview.complete': 'Intervju fullført',
    'act.interview.create': 'Intervju avtalt',
    'act.interview.enter_earlier': 'Tidligere intervju registrert',
    'act.interview.hand_over': 'Intervjuer overført',
    'act.interview.list': 'Intervjuer lest',
    'act.interview.postpone': 'Intervju utsatt',
    'act.interview.postponements': 'Utsettelser lest',
    'act.interview.read': 'Intervju lest',
    'act.interview.reopen': 'Intervju gjenåpnet',
    'act.interview.reschedule': 'Intervjutid avtalt eller endret',
    'act.interview.update': 'Intervju endret',
    'act.mfa.disabled': 'Totrinnsinnlogging slått av',
    'act.mfa.enabled': 'Totrinnsinnlogging slått på',
    'act.mfa.enrol_started': 'Oppsett av totrinn påbegynt',
    'act.mfa.recovery_codes_renewed': 'Nye gjenopprettingskoder laget',
    'act.note.create': 'Notat skrevet',
    'act.note.delete': 'Notat slettet',
    'act.note.history': 'Notathistorikk lest',
    'act.note.list': 'Notater lest',
    'act.note.read': 'Notat lest',
    'act.note.redact': 'Notat sladdet',
    'act.note.restore': 'Notat gjenopprettet',
    'act.note.update': 'Notat endret',
    'act.participant.create': 'Deltaker registrert',
    'act.participant.import': 'Deltakere importert fra fil',
    'act.participant.due': 'Forfallsliste lest',
    'act.participant.list': 'Deltakere lest',
    'act.participant.read': 'Deltaker lest',
    'act.participant.update': 'Deltaker endret',
    'act.passage.list': 'Kodede utdrag lest',
    'act.readiness.read': 'Klarhet sjekket',
    'act.readiness.refused': 'Ikke klar: avvist',
    'act.report.fieldwork': 'Feltarbeidsrapport lest',
    'act.screening.create': 'Screening registrert',
    'act.screening.list': 'Screeninger lest',
    'act.session.end': 'Økt avsluttet',
    'act.session.refused': 'Økt avvist: ikke klar',
    'act.session.start': 'Økt startet',
    'act.settings.security_update': 'Sikkerhetsinnstillinger endret',
    'act.settings.update': 'Studieinnstillinger endret',
    'act.site.create': 'Sted lagt til',
    'act.site.update': 'Sted endret',
    'act.transcript.create': 'Transkripsjon lagt til',
    'act.transcript.list': 'Transkripsjoner listet',
    'act.transcript.read': 'Transkripsjon lest',
    'act.transcript.update': 'Transkripsjon endret',
    'act.user.create': 'Teammedlem invitert',
    'act.user.create_admin': 'Første administrator laget',
    'act.user.credentials_ended': 'Passord og nøkler avsluttet av en administrator',
    'act.user.invitation_resent': 'Invitasjon sendt på nytt',
    'act.user.mfa_reset': 'Totrinn tilbakestilt av en administrator',
    'act.user.sessions_ended': 'Alle enheter logget ut av en administrator',
    'act.user.update': 'Teammedlem endret',
    'act.user.update_self': 'Egne innstillinger endret',
    'act.webhook.create': 'Webhook laget',
    'act.webhook.delete': 'Webhook slettet',
    'act.webhook.test': 'Testhendelse sendt til webhook',
    'act.webhook.turned_off': 'Webhook slått av etter feil',
    'act.webhook.update': 'Webhook endret',
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
  const typesId = uid('types');
  const text = (name, list) => h('input', { type: 'text', name, list, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', maxlength: 200 });
  // Every action the service logs (the server's one list), in words, in the order of those words.
  const actionWords = (a) => (has(`act.${a}`) ? t(`act.${a}`) : a);
  const action = h('select', { name: 'action' }, h('option', { value: '' }, t('audit.any_action')),
    [...LISTS.AuditAction].sort((x, y) => actionWords(x).localeCompare(actionWords(y)))
      .map((a) => h('option', { value: a }, actionWords(a))));
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
    field(t('audit.action'), action),
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
        h('span', { class: 'act' }, actionWords(e.action)),
        h('span', { class: 'obj' }, object(e)),
        e.site_id ? h('span', { class: 'sub' }, siteName(e.site_id) || e.site_id) : null)),
      h('dl', {},
        [[t('audit.when'), when(e.at)], [t('audit.who'), who(e)], [t('audit.action'), [actionWords(e.action), ' ', h('code', {}, e.action)]],
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
          action: action.value,
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
