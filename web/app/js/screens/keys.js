// API keys (admins): the keys other tools use (a transcription pipeline, a
// calendar), what each may do, when it was made and last used; make one
// (its secret is shown once, to copy) and revoke one. The list, then the
// chosen key on a phone; side by side on a desk. Loaded only when opened.
import { get, post, del } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, checkboxes, busy, status, uid } from '../ui.js';
import { fmtDateTime } from '../time.js';
import { problem } from '../errors.js';
import { desk, loading, refuse, address, saved } from '../admin.js';
import { LISTS } from '../lists.js';

const SCOPES = LISTS.Scope;

words({
  en: {
    'keys.title': 'API keys',
    'keys.intro': 'A key lets another tool (a transcription pipeline, a calendar) use Fieldnotes for you, on your sites, limited to what you tick. It never has more rights than the person who made it.',
    'keys.list': 'Keys',
    'keys.count': { one: '{n} key', other: '{n} keys' },
    'keys.none': 'No API keys.',
    'keys.new': 'Make a key',
    'keys.name': 'Name',
    'keys.name_hint': 'What uses it, e.g. transcription pipeline.',
    'keys.scopes': 'What it may do',
    'keys.create': 'Make the key',
    'keys.secret_title': 'The new key: {name}',
    'keys.once': 'You will not see it again. Copy it now and keep it where the tool reads it; lost, it cannot be shown again: make a new key and revoke this one.',
    'keys.secret': 'Secret key',
    'keys.how': 'The tool sends it in each request as: Authorization: Bearer <the key>.',
    'keys.copy': 'Copy the key',
    'keys.copied': 'Copied.',
    'keys.selected': 'The key is selected: copy it with the phone’s Copy.',
    'keys.done': 'I have copied it',
    'keys.prefix': 'Starts with {prefix}',
    'keys.created': 'Made {when}',
    'keys.last_used': 'Last used {when}',
    'keys.never_used': 'Never used',
    'keys.owner': 'Acts for {name}',
    'keys.owner_you': 'Acts for you',
    'keys.revoke': 'Revoke this key',
    'keys.confirm': 'Revoke “{name}”? Tools using it stop working at once. This cannot be undone.',
    'keys.confirm_yes': 'Yes, revoke it',
    'keys.confirm_no': 'Keep it',
    'keys.revoked': '“{name}” is revoked: it no longer works.',
    'scope.sites:read': 'Read the sites',
    'scope.notes:read': 'Read field notes',
    'scope.notes:write': 'Write field notes',
    'scope.participants:read': 'Read participants',
    'scope.participants:write': 'Register and change participants',
    'scope.schedule:read': 'Read the interview schedule',
    'scope.schedule:write': 'Book and move interviews',
    'scope.reports:read': 'Read reports',
    'scope.transcripts:write': 'Add interview transcripts',
    'scope.exports:read': 'Download exports',
    'scope.changes:read': 'Follow the change feed',
    'scope.admin': 'Everything an admin may do',
    'field.scopes': 'What it may do',
  },
  nb: {
    'keys.title': 'API-nøkler',
    'keys.intro': 'En nøkkel lar et annet verktøy (en transkripsjonsløsning, en kalender) bruke Fieldnotes på dine vegne, på stedene dine, begrenset til det du krysser av for. Den har aldri flere rettigheter enn den som laget den.',
    'keys.list': 'Nøkler',
    'keys.count': { one: '{n} nøkkel', other: '{n} nøkler' },
    'keys.none': 'Ingen API-nøkler.',
    'keys.new': 'Lag en nøkkel',
    'keys.name': 'Navn',
    'keys.name_hint': 'Hva som bruker den, f.eks. transkripsjon.',
    'keys.scopes': 'Hva den kan gjøre',
    'keys.create': 'Lag nøkkelen',
    'keys.secret_title': 'Den nye nøkkelen: {name}',
    'keys.once': 'Du får ikke se den igjen. Kopier den nå og legg den der verktøyet leser den; mistes den, kan den ikke vises igjen: lag en ny nøkkel og trekk tilbake denne.',
    'keys.secret': 'Hemmelig nøkkel',
    'keys.how': 'Verktøyet sender den med hver forespørsel slik: Authorization: Bearer <nøkkelen>.',
    'keys.copy': 'Kopier nøkkelen',
    'keys.copied': 'Kopiert.',
    'keys.selected': 'Nøkkelen er merket: kopier den med telefonens Kopier.',
    'keys.done': 'Jeg har kopiert den',
    'keys.prefix': 'Begynner med {prefix}',
    'keys.created': 'Laget {when}',
    'keys.last_used': 'Sist brukt {when}',
    'keys.never_used': 'Aldri brukt',
    'keys.owner': 'På vegne av {name}',
    'keys.owner_you': 'På dine vegne',
    'keys.revoke': 'Trekk tilbake nøkkelen',
    'keys.confirm': 'Trekke tilbake «{name}»? Verktøy som bruker den, slutter å virke med en gang. Dette kan ikke angres.',
    'keys.confirm_yes': 'Ja, trekk den tilbake',
    'keys.confirm_no': 'Behold den',
    'keys.revoked': '«{name}» er trukket tilbake: den virker ikke lenger.',
    'scope.sites:read': 'Lese stedene',
    'scope.notes:read': 'Lese feltnotater',
    'scope.notes:write': 'Skrive feltnotater',
    'scope.participants:read': 'Lese deltakere',
    'scope.participants:write': 'Registrere og endre deltakere',
    'scope.schedule:read': 'Lese intervjuplanen',
    'scope.schedule:write': 'Avtale og flytte intervjuer',
    'scope.reports:read': 'Lese rapporter',
    'scope.transcripts:write': 'Legge inn transkripsjoner av intervjuer',
    'scope.exports:read': 'Laste ned eksporter',
    'scope.changes:read': 'Følge endringsstrømmen',
    'scope.admin': 'Alt en administrator kan gjøre',
    'field.scopes': 'Hva den kan gjøre',
  },
});

export async function render(main, { app, params, signal, live }) {
  const d = desk(main, app, t('keys.title'), 'keys');
  if (!d) return;
  const listSec = h('section', { class: 'card desk-list', 'aria-labelledby': 'keys-h' });
  const secretSec = h('section', { class: 'card key-secret', 'aria-labelledby': 'secret-h', hidden: true });
  const keySec = h('section', { class: 'card key-one', 'aria-labelledby': 'key-h', hidden: true });
  const newSec = h('section', { class: 'card key-new', 'aria-labelledby': 'new-key-h' });
  const toNew = h('button', { type: 'button', class: 'secondary big' }, t('keys.new'));
  d.list.append(h('p', {}, t('keys.intro')), toNew, listSec);
  d.side.append(secretSec, keySec, newSec);

  let keys = [];
  let people = [];
  let selected = null;
  const when = (iso) => fmtDateTime(iso, app.tz);
  const scopeLine = (k, tag = 'span') => h(tag, { class: 'sub' }, k.scopes.map((s) => t(`scope.${s}`)).join(', '));
  /** Whom a key acts for: an admin sees everyone's keys; anyone else only their own (nothing to say). */
  const owner = (k, tag = 'span') => {
    if (app.me.role !== 'admin' || !k.user_id) return null;
    if (k.user_id === app.me.id) return h(tag, { class: 'owner' }, t('keys.owner_you'));
    const name = people.find((u) => u.id === k.user_id)?.display_name;
    return name ? h(tag, { class: 'owner' }, t('keys.owner', { name })) : null;
  };

  async function load() {
    const [list, users] = await Promise.all([
      get('/api-keys', { signal }),
      app.me.role === 'admin' ? get('/users', { signal }) : [],
    ]);
    keys = list.sort((a, b) => b.created_at.localeCompare(a.created_at));
    people = Array.isArray(users) ? users : users.items; // GET /users answers a bare array
  }

  function showList(note) {
    clear(listSec,
      h('h2', { id: 'keys-h' }, t('keys.list'), ' ', h('small', {}, t('keys.count', { n: keys.length }))),
      note ? saved(note) : null,
      keys.length ? h('ul', { class: 'cards' }, keys.map((k) => h('li', {},
        h('button', {
          type: 'button', class: 'pick', 'aria-current': selected === k.id ? 'true' : false,
          'data-key': k.id, onclick: () => select(k.id),
        },
        h('strong', { class: 'who' }, k.name),
        owner(k),
        h('span', {}, t('keys.prefix', { prefix: k.prefix })),
        scopeLine(k),
        h('span', { class: 'sub' }, t('keys.created', { when: when(k.created_at) }), ' · ',
          k.last_used_at ? t('keys.last_used', { when: when(k.last_used_at) }) : t('keys.never_used')))))) : h('p', { class: 'empty' }, t('keys.none')));
  }

  function select(id) {
    selected = id;
    address('keys', id);
    showList();
    showKey();
    keySec.querySelector('h2')?.focus();
  }

  function showKey() {
    const k = keys.find((x) => x.id === selected);
    keySec.hidden = !k;
    if (!k) return;
    const out = h('div');
    const revoke = h('button', { type: 'button', class: 'warn big' }, t('keys.revoke'));
    revoke.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'warn big' }, t('keys.confirm_yes'));
      const no = h('button', { type: 'button', class: 'secondary big' }, t('keys.confirm_no'));
      const askId = uid('ask');
      const ask = h('div', { class: 'msg warn', role: 'group', 'aria-labelledby': askId },
        h('p', { id: askId }, t('keys.confirm', { name: k.name })), yes, no);
      no.addEventListener('click', () => {
        ask.remove();
        revoke.hidden = false;
        revoke.focus();
      });
      yes.addEventListener('click', () => busy(yes, async () => {
        try {
          await del(`/api-keys/${k.id}`);
          if (!live()) return;
          keys = keys.filter((x) => x.id !== k.id);
          selected = null;
          address('keys');
          if (secretSec.dataset.key === k.id) secretSec.hidden = true;
          showKey();
          showList(t('keys.revoked', { name: k.name }));
          listSec.querySelector('h2').setAttribute('tabindex', -1);
          listSec.querySelector('h2').focus();
        } catch (e) {
          if (live()) out.replaceChildren(problem(e));
        }
      }));
      revoke.hidden = true;
      revoke.after(ask);
      no.focus();
    });
    clear(keySec,
      h('h2', { id: 'key-h', tabindex: -1 }, k.name),
      owner(k, 'p'),
      h('p', {}, t('keys.prefix', { prefix: k.prefix })),
      h('h3', {}, t('keys.scopes')),
      h('ul', {}, k.scopes.map((s) => h('li', {}, t(`scope.${s}`)))),
      h('p', {}, t('keys.created', { when: when(k.created_at) })),
      h('p', {}, k.last_used_at ? t('keys.last_used', { when: when(k.last_used_at) }) : t('keys.never_used')),
      revoke, out);
  }

  /** The new key's secret, this once, with Copy. */
  function showSecret(k) {
    const secret = h('textarea', { id: uid('s'), readonly: true, rows: 2, class: 'address', autocapitalize: 'off', spellcheck: 'false', value: k.secret });
    const copied = h('div', { 'aria-live': 'polite' });
    const copy = h('button', { type: 'button', class: 'primary big' }, t('keys.copy'));
    copy.addEventListener('click', async () => {
      copied.replaceChildren();
      try {
        await navigator.clipboard.writeText(k.secret);
        copied.append(status('ok', h('p', {}, t('keys.copied'))));
      } catch {
        secret.focus();
        secret.select();
        copied.append(status('info', h('p', {}, t('keys.selected'))));
      }
    });
    const done = h('button', { type: 'button', class: 'secondary big', onclick: () => {
      secretSec.hidden = true;
      secretSec.replaceChildren();
      select(k.id);
    } }, t('keys.done'));
    secretSec.dataset.key = k.id;
    secretSec.hidden = false;
    clear(secretSec,
      h('h2', { id: 'secret-h', tabindex: -1 }, t('keys.secret_title', { name: k.name })),
      status('warn', h('p', {}, h('strong', {}, t('keys.once')))),
      h('div', { class: 'field' }, h('label', { for: secret.id }, t('keys.secret')), secret),
      h('p', { class: 'hint' }, t('keys.how')),
      copy, copied, done);
    secretSec.querySelector('h2').focus();
  }

  function showNew() {
    const name = h('input', { type: 'text', name: 'name', maxlength: 120, autocomplete: 'off' });
    const scopes = checkboxes(t('keys.scopes'), 'scopes', SCOPES.map((s) => ({ value: s, label: t(`scope.${s}`) })), []);
    const create = h('button', { type: 'submit', class: 'primary big' }, t('keys.create'));
    const out = h('div');
    const form = h('form', { novalidate: true }, field(t('keys.name'), name, t('keys.name_hint')), scopes, create, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(create, async () => {
        try {
          const k = await post('/api-keys', {
            name: name.value.trim(),
            scopes: [...scopes.querySelectorAll('input:checked')].map((x) => x.value),
          });
          if (!live()) return;
          keys = [k, ...keys.filter((x) => x.id !== k.id)];
          selected = k.id;
          address('keys', k.id);
          showList();
          keySec.hidden = true;
          showNew();
          showSecret(k);
        } catch (e) {
          if (live()) refuse(e, { name, scopes }, out);
        }
      });
    });
    clear(newSec, h('h2', { id: 'new-key-h', tabindex: -1 }, t('keys.new')), form);
  }

  toNew.addEventListener('click', () => {
    newSec.scrollIntoView({ block: 'start' });
    newSec.querySelector('input')?.focus({ preventScroll: true });
  });

  await loading(main, load);
  if (!live()) return;
  selected = keys.some((k) => k.id === params.id) ? params.id : null;
  showList();
  showKey();
  showNew();
}
