// Webhooks (admins): other apps told of changes as they happen. The list
// (with which are failing or off), then the chosen webhook: its events, its
// delivery log, a test event, turn off or on, delete; and a form to make
// one, whose signing secret is shown once, to copy. Loaded only when opened.
import { get, post, del, api } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, checkboxes, busy, status, uid } from '../ui.js';
import { fmtDateTime } from '../time.js';
import { problem } from '../errors.js';
import { desk, loading, refuse, address, saved } from '../admin.js';
import { LISTS } from '../lists.js';

const EVENTS = LISTS.ChangeType;

words({
  en: {
    'hooks.title': 'Webhooks',
    'hooks.intro': 'A webhook tells another app (the clinic’s booking system, a dashboard) the moment something changes: which note, interview or participant, never what it says. The app then reads it with its own API key. Each delivery is signed; the app checks the signature with the secret.',
    'hooks.list': 'Webhooks',
    'hooks.count': { one: '{n} webhook', other: '{n} webhooks' },
    'hooks.none': 'No webhooks.',
    'hooks.new': 'Make a webhook',
    'hooks.url': 'Address of the receiving app',
    'hooks.url_hint': 'Starts with https://, e.g. https://booking.example.org/fieldnotes.',
    'hooks.description': 'What it is for',
    'hooks.description_hint': 'e.g. The clinic’s booking system.',
    'hooks.events': 'Send when',
    'hooks.create': 'Make the webhook',
    'hooks.secret_title': 'The signing secret of {url}',
    'hooks.once': 'You will not see it again. Give it to the receiving app now; it checks each delivery with it. Lost, it cannot be shown again: make a new webhook and delete this one.',
    'hooks.secret': 'Signing secret',
    'hooks.copy': 'Copy the secret',
    'hooks.copied': 'Copied.',
    'hooks.selected': 'The secret is selected: copy it with the phone’s Copy.',
    'hooks.done': 'I have copied it',
    'hooks.on': 'On',
    'hooks.off': 'Off',
    'hooks.off_since': 'Turned off {when} after a day of failed deliveries',
    'hooks.failing': 'Failing since {when}',
    'hooks.deliveries': 'Deliveries',
    'hooks.no_deliveries': 'Nothing sent yet.',
    'hooks.attempts': { one: '{n} attempt', other: '{n} attempts' },
    'hooks.answered': 'answered {status}',
    'hooks.next': 'next try {when}',
    'hooks.test': 'Send a test event',
    'hooks.test_sent': 'A test event is on its way. Its delivery shows below.',
    'hooks.refresh': 'Show the latest deliveries',
    'hooks.turn_off': 'Turn it off',
    'hooks.turn_on': 'Turn it on again',
    'hooks.turned_off': 'It is off: nothing is sent to it.',
    'hooks.turned_on': 'It is on again.',
    'hooks.delete': 'Delete this webhook',
    'hooks.confirm': 'Delete the webhook to {url}? The app is told of nothing more, and its delivery log goes too. This cannot be undone.',
    'hooks.confirm_yes': 'Yes, delete it',
    'hooks.confirm_no': 'Keep it',
    'hooks.deleted': 'The webhook to {url} is deleted.',
    'dstatus.pending': 'Waiting',
    'dstatus.delivered': 'Delivered',
    'dstatus.given_up': 'Not sent (turned off)',
    'change.note.created': 'A field note is written',
    'change.note.updated': 'A field note is changed',
    'change.note.deleted': 'A field note is deleted',
    'change.note.restored': 'A field note is restored',
    'change.note.redacted': 'A field note is redacted',
    'change.participant.created': 'A participant is registered',
    'change.participant.updated': 'A participant is changed',
    'change.screening.recorded': 'A screening is recorded',
    'change.consent.given': 'Consent is given',
    'change.consent.withdrawn': 'Consent is withdrawn',
    'change.interview.created': 'An interview is booked',
    'change.interview.updated': 'An interview is changed or moved',
    'change.interview.postponed': 'An interview is postponed',
    'change.interview.cancelled': 'An interview is cancelled',
    'change.interview.completed': 'An interview is completed',
    'change.session.started': 'An interview session starts',
    'change.session.ended': 'An interview session ends',
    'change.transcript.created': 'A transcript is added',
    'change.transcript.updated': 'A transcript is changed',
    'change.coding.created': 'A passage is coded',
    'change.coding.updated': 'A coded passage is moved',
    'change.coding.deleted': 'A coding is removed',
    'change.webhook.test': 'Test event',
    'field.url': 'Address',
    'field.events': 'Send when',
  },
  nb: {
    'hooks.title': 'Webhooks',
    'hooks.intro': 'En webhook sier fra til en annen app (klinikkens bookingsystem, et dashbord) med en gang noe endres: hvilket notat, intervju eller hvilken deltaker, aldri hva det står. Appen leser det så med sin egen API-nøkkel. Hver leveranse er signert; appen sjekker signaturen med hemmeligheten.',
    'hooks.list': 'Webhooks',
    'hooks.count': { one: '{n} webhook', other: '{n} webhooks' },
    'hooks.none': 'Ingen webhooks.',
    'hooks.new': 'Lag en webhook',
    'hooks.url': 'Adressen til appen som tar imot',
    'hooks.url_hint': 'Begynner med https://, f.eks. https://booking.example.org/fieldnotes.',
    'hooks.description': 'Hva den er til',
    'hooks.description_hint': 'f.eks. Klinikkens bookingsystem.',
    'hooks.events': 'Send når',
    'hooks.create': 'Lag webhooken',
    'hooks.secret_title': 'Signeringshemmeligheten til {url}',
    'hooks.once': 'Du får ikke se den igjen. Gi den til appen som tar imot nå; den sjekker hver leveranse med den. Mistes den, kan den ikke vises igjen: lag en ny webhook og slett denne.',
    'hooks.secret': 'Signeringshemmelighet',
    'hooks.copy': 'Kopier hemmeligheten',
    'hooks.copied': 'Kopiert.',
    'hooks.selected': 'Hemmeligheten er merket: kopier den med telefonens Kopier.',
    'hooks.done': 'Jeg har kopiert den',
    'hooks.on': 'På',
    'hooks.off': 'Av',
    'hooks.off_since': 'Slått av {when} etter et døgn med mislykkede leveranser',
    'hooks.failing': 'Feiler siden {when}',
    'hooks.deliveries': 'Leveranser',
    'hooks.no_deliveries': 'Ingenting sendt ennå.',
    'hooks.attempts': { one: '{n} forsøk', other: '{n} forsøk' },
    'hooks.answered': 'svarte {status}',
    'hooks.next': 'prøver igjen {when}',
    'hooks.test': 'Send en testhendelse',
    'hooks.test_sent': 'En testhendelse er på vei. Leveransen vises nedenfor.',
    'hooks.refresh': 'Vis de siste leveransene',
    'hooks.turn_off': 'Slå den av',
    'hooks.turn_on': 'Slå den på igjen',
    'hooks.turned_off': 'Den er av: ingenting sendes dit.',
    'hooks.turned_on': 'Den er på igjen.',
    'hooks.delete': 'Slett denne webhooken',
    'hooks.confirm': 'Slette webhooken til {url}? Appen får ikke vite om noe mer, og leveranseloggen forsvinner også. Dette kan ikke angres.',
    'hooks.confirm_yes': 'Ja, slett den',
    'hooks.confirm_no': 'Behold den',
    'hooks.deleted': 'Webhooken til {url} er slettet.',
    'dstatus.pending': 'Venter',
    'dstatus.delivered': 'Levert',
    'dstatus.given_up': 'Ikke sendt (slått av)',
    'change.note.created': 'Et feltnotat skrives',
    'change.note.updated': 'Et feltnotat endres',
    'change.note.deleted': 'Et feltnotat slettes',
    'change.note.restored': 'Et feltnotat gjenopprettes',
    'change.note.redacted': 'Et feltnotat sladdes',
    'change.participant.created': 'En deltaker registreres',
    'change.participant.updated': 'En deltaker endres',
    'change.screening.recorded': 'En screening registreres',
    'change.consent.given': 'Samtykke gis',
    'change.consent.withdrawn': 'Samtykke trekkes',
    'change.interview.created': 'Et intervju avtales',
    'change.interview.updated': 'Et intervju endres eller flyttes',
    'change.interview.postponed': 'Et intervju utsettes',
    'change.interview.cancelled': 'Et intervju avlyses',
    'change.interview.completed': 'Et intervju fullføres',
    'change.session.started': 'En intervjuøkt starter',
    'change.session.ended': 'En intervjuøkt slutter',
    'change.transcript.created': 'En transkripsjon legges inn',
    'change.transcript.updated': 'En transkripsjon endres',
    'change.coding.created': 'Et utdrag kodes',
    'change.coding.updated': 'Et kodet utdrag flyttes',
    'change.coding.deleted': 'En koding fjernes',
    'change.webhook.test': 'Testhendelse',
    'field.url': 'Adresse',
    'field.events': 'Send når',
  },
});

export async function render(main, { app, params, signal, live }) {
  const d = desk(main, app, t('hooks.title'), 'hooks');
  if (!d) return;
  const listSec = h('section', { class: 'card desk-list', 'aria-labelledby': 'hooks-h' });
  const secretSec = h('section', { class: 'card key-secret', 'aria-labelledby': 'hook-secret-h', hidden: true });
  const oneSec = h('section', { class: 'card hook-one', 'aria-labelledby': 'hook-h', hidden: true });
  const newSec = h('section', { class: 'card hook-new', 'aria-labelledby': 'new-hook-h' });
  const toNew = h('button', { type: 'button', class: 'secondary big' }, t('hooks.new'));
  d.list.append(h('p', {}, t('hooks.intro')), toNew, listSec);
  d.side.append(secretSec, oneSec, newSec);

  let hooks = [];
  let selected = null;
  const when = (iso) => fmtDateTime(iso, app.tz);
  /** On, off, or failing: in words. */
  const state = (w) => {
    if (!w.active) return w.disabled_at ? t('hooks.off_since', { when: when(w.disabled_at) }) : t('hooks.off');
    return w.failing_since ? t('hooks.failing', { when: when(w.failing_since) }) : t('hooks.on');
  };

  function showList(note) {
    clear(listSec,
      h('h2', { id: 'hooks-h' }, t('hooks.list'), ' ', h('small', {}, t('hooks.count', { n: hooks.length }))),
      note ? saved(note) : null,
      hooks.length ? h('ul', { class: 'cards' }, hooks.map((w) => h('li', {},
        h('button', {
          type: 'button', class: 'pick', 'aria-current': selected === w.id ? 'true' : false,
          'data-hook': w.id, onclick: () => select(w.id),
        },
        h('strong', { class: 'who' }, w.description || w.url),
        w.description ? h('span', { class: 'sub' }, w.url) : null,
        h('span', { class: w.active && !w.failing_since ? 'sub' : 'sub warn' }, state(w)),
        h('span', { class: 'sub' }, w.events.map((e) => t(`change.${e}`)).join(', ')))))) : h('p', { class: 'empty' }, t('hooks.none')));
  }

  function select(id) {
    selected = id;
    address('webhooks', id);
    showList();
    showOne();
    oneSec.querySelector('h2')?.focus();
  }

  function deliveryItem(x) {
    const bits = [t(`dstatus.${x.status}`), t('hooks.attempts', { n: x.attempts })];
    if (x.last_status) bits.push(t('hooks.answered', { status: x.last_status }));
    if (x.next_attempt_at && x.attempts > 0) bits.push(t('hooks.next', { when: when(x.next_attempt_at) }));
    return h('li', { 'data-delivery': x.id, 'data-status': x.status },
      h('strong', {}, t(`change.${x.type}`)), ' · ', h('span', {}, when(x.created_at)),
      h('span', { class: 'sub' }, bits.join(' · ')),
      x.last_error && x.status !== 'delivered' ? h('span', { class: 'sub warn' }, x.last_error) : null);
  }

  async function showDeliveries(w, box) {
    try {
      const page = await get(`/webhooks/${w.id}/deliveries?limit=20`, { signal });
      if (!live()) return;
      clear(box, page.items.length ? h('ul', { class: 'deliveries' }, page.items.map(deliveryItem)) : h('p', { class: 'empty' }, t('hooks.no_deliveries')));
    } catch (e) {
      if (live()) box.replaceChildren(problem(e));
    }
  }

  function replace(w) {
    hooks = hooks.map((x) => (x.id === w.id ? w : x));
  }

  function showOne(note) {
    const w = hooks.find((x) => x.id === selected);
    oneSec.hidden = !w;
    if (!w) return;
    const out = h('div', { 'aria-live': 'polite' });
    const log = h('div', { class: 'delivery-log' }, h('p', { class: 'loading' }, t('loading')));
    const test = h('button', { type: 'button', class: 'primary big' }, t('hooks.test'));
    test.addEventListener('click', () => busy(test, async () => {
      try {
        await post(`/webhooks/${w.id}/test`);
        if (!live()) return;
        out.replaceChildren(saved(t('hooks.test_sent')));
        setTimeout(() => live() && showDeliveries(w, log), 1500);
      } catch (e) {
        if (live()) out.replaceChildren(problem(e));
      }
    }));
    const refresh = h('button', { type: 'button', class: 'secondary' }, t('hooks.refresh'));
    refresh.addEventListener('click', () => busy(refresh, () => showDeliveries(w, log)));
    const toggle = h('button', { type: 'button', class: 'secondary big' }, w.active ? t('hooks.turn_off') : t('hooks.turn_on'));
    toggle.addEventListener('click', () => busy(toggle, async () => {
      try {
        const changed = await api('PATCH', `/webhooks/${w.id}`, { active: !w.active });
        if (!live()) return;
        replace(changed);
        showList();
        showOne(changed.active ? t('hooks.turned_on') : t('hooks.turned_off'));
        oneSec.querySelector('h2')?.focus();
      } catch (e) {
        if (live()) out.replaceChildren(problem(e));
      }
    }));
    const remove = h('button', { type: 'button', class: 'warn big' }, t('hooks.delete'));
    remove.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'warn big' }, t('hooks.confirm_yes'));
      const no = h('button', { type: 'button', class: 'secondary big' }, t('hooks.confirm_no'));
      const askId = uid('ask');
      const ask = h('div', { class: 'msg warn', role: 'group', 'aria-labelledby': askId },
        h('p', { id: askId }, t('hooks.confirm', { url: w.url })), yes, no);
      no.addEventListener('click', () => {
        ask.remove();
        remove.hidden = false;
        remove.focus();
      });
      yes.addEventListener('click', () => busy(yes, async () => {
        try {
          await del(`/webhooks/${w.id}`);
          if (!live()) return;
          hooks = hooks.filter((x) => x.id !== w.id);
          selected = null;
          address('webhooks');
          if (secretSec.dataset.hook === w.id) secretSec.hidden = true;
          showOne();
          showList(t('hooks.deleted', { url: w.url }));
          listSec.querySelector('h2').setAttribute('tabindex', -1);
          listSec.querySelector('h2').focus();
        } catch (e) {
          if (live()) out.replaceChildren(problem(e));
        }
      }));
      remove.hidden = true;
      remove.after(ask);
      no.focus();
    });
    clear(oneSec,
      h('h2', { id: 'hook-h', tabindex: -1 }, w.description || w.url),
      note ? saved(note) : null,
      h('p', { class: 'address' }, w.url),
      h('p', { class: w.active && !w.failing_since ? '' : 'warn' }, state(w)),
      h('h3', {}, t('hooks.events')),
      h('ul', {}, w.events.map((e) => h('li', {}, t(`change.${e}`)))),
      test, out,
      h('h3', {}, t('hooks.deliveries')), refresh, log,
      toggle, remove);
    showDeliveries(w, log);
  }

  /** The new webhook's secret, this once, with Copy. */
  function showSecret(w) {
    const secret = h('textarea', { id: uid('s'), readonly: true, rows: 2, class: 'address', autocapitalize: 'off', spellcheck: 'false', value: w.secret });
    const copied = h('div', { 'aria-live': 'polite' });
    const copy = h('button', { type: 'button', class: 'primary big' }, t('hooks.copy'));
    copy.addEventListener('click', async () => {
      copied.replaceChildren();
      try {
        await navigator.clipboard.writeText(w.secret);
        copied.append(status('ok', h('p', {}, t('hooks.copied'))));
      } catch {
        secret.focus();
        secret.select();
        copied.append(status('info', h('p', {}, t('hooks.selected'))));
      }
    });
    const done = h('button', { type: 'button', class: 'secondary big', onclick: () => {
      secretSec.hidden = true;
      secretSec.replaceChildren();
      select(w.id);
    } }, t('hooks.done'));
    secretSec.dataset.hook = w.id;
    secretSec.hidden = false;
    clear(secretSec,
      h('h2', { id: 'hook-secret-h', tabindex: -1 }, t('hooks.secret_title', { url: w.url })),
      status('warn', h('p', {}, h('strong', {}, t('hooks.once')))),
      h('div', { class: 'field' }, h('label', { for: secret.id }, t('hooks.secret')), secret),
      copy, copied, done);
    secretSec.querySelector('h2').focus();
  }

  function showNew() {
    const url = h('input', { type: 'url', name: 'url', maxlength: 2000, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', inputmode: 'url' });
    const description = h('input', { type: 'text', name: 'description', maxlength: 200, autocomplete: 'off' });
    const events = checkboxes(t('hooks.events'), 'events', EVENTS.map((e) => ({ value: e, label: t(`change.${e}`) })), []);
    const create = h('button', { type: 'submit', class: 'primary big' }, t('hooks.create'));
    const out = h('div');
    const form = h('form', { novalidate: true },
      field(t('hooks.url'), url, t('hooks.url_hint')),
      field(t('hooks.description'), description, t('hooks.description_hint')),
      events, create, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(create, async () => {
        try {
          const w = await post('/webhooks', {
            url: url.value.trim(),
            description: description.value.trim(),
            events: [...events.querySelectorAll('input:checked')].map((x) => x.value),
          });
          if (!live()) return;
          const { secret: _secret, ...listed } = w;
          hooks = [...hooks.filter((x) => x.id !== w.id), listed];
          selected = w.id;
          address('webhooks', w.id);
          showList();
          oneSec.hidden = true;
          showNew();
          showSecret(w);
        } catch (e) {
          if (live()) refuse(e, { url, description, events }, out);
        }
      });
    });
    clear(newSec, h('h2', { id: 'new-hook-h', tabindex: -1 }, t('hooks.new')), form);
  }

  toNew.addEventListener('click', () => {
    newSec.scrollIntoView({ block: 'start' });
    newSec.querySelector('input')?.focus({ preventScroll: true });
  });

  await loading(main, async () => {
    hooks = await get('/webhooks', { signal });
  });
  if (!live()) return;
  selected = hooks.some((w) => w.id === params.id) ? params.id : null;
  showList();
  showOne();
  showNew();
}
