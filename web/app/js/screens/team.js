// The team (admins): everyone with their role, peer-researcher label,
// sites and state; invite someone (the server mails the invitation), and for
// one person change role, label and sites, disable or enable them, send
// their invitation again, or end all their credentials (sign-ins, API keys,
// calendar feeds) after asking. A list beside the selected person from about
// 1024 px wide (CSS only), the list then the person on a phone. Loaded only
// when opened (see router.js).
import { get, post, api, ApiError } from '../api.js';
import { fmtDateTime } from '../time.js';
import { t, words } from '../i18n.js';
import { h, clear, field, choices, checkboxes, status, busy, uid } from '../ui.js';
import { problem, problemAt } from '../errors.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'team.title': 'Team',
    'team.list_title': 'Everyone',
    'team.count': { one: '{n} person', other: '{n} people' },
    'team.active': 'Active',
    'team.disabled': 'Disabled',
    'team.pending': 'Invitation pending',
    'team.pending_hint': 'They have not chosen a password yet. The link in the invitation works for 7 days.',
    'team.change_title': 'Role and sites',
    'team.role': 'Role',
    'team.peer_box': 'Peer researcher (a researcher with lived experience)',
    'team.sites': 'Sites',
    'team.save': 'Save the changes',
    'team.saved': 'Saved.',
    'team.disable': 'Disable',
    'team.enable': 'Enable',
    'team.disabled_now': 'Disabled: they are signed out everywhere and cannot sign in.',
    'team.enabled_now': 'Enabled: they can sign in again.',
    'team.open_interviews': { one: '{name} is an interviewer of {n} open interview. Hand it to someone else before disabling {name}, or keep it with {name} to hand over later.', other: '{name} is an interviewer of {n} open interviews. Hand them to someone else before disabling {name}, or keep them with {name} to hand over one by one.' },
    'team.hand_to': 'Hand them to',
    'team.hand_over': 'Hand over and disable',
    'team.keep': 'Disable and keep them',
    'team.not_now': 'Not now',
    'team.handed_now': 'Disabled. Their open interviews are with {name} now; everyone affected gets an email.',
    'team.resend': 'Send the invitation again',
    'team.end_all': 'End all sign-ins, keys and feeds',
    'team.end_all_warn': 'For a lost phone or someone leaving: {name} is signed out on every device, and their API keys and calendar feeds stop working for good. They are told by email and can sign in again with their password.',
    'team.end_all_yes': 'Yes, end them all',
    'team.end_all_no': 'Keep them',
    'team.ended_all': 'Ended: {s} sign-ins, {k} API keys and {f} calendar feeds. {name} has been told by email.',
    'team.resent': 'A new invitation is on its way to {email}. Links sent before no longer work.',
    'team.invite_title': 'Invite someone',
    'team.invite_intro': 'They get an email with a link to choose a password. It works for 7 days.',
    'team.email': 'Email',
    'team.name': 'Name',
    'team.language': 'Language of the app and the mail',
    'team.invite_send': 'Send the invitation',
    'team.invited': 'Invitation sent to {email}.',
  },
  nb: {
    'team.title': 'Team',
    'team.list_title': 'Alle',
    'team.count': { one: '{n} person', other: '{n} personer' },
    'team.active': 'Aktiv',
    'team.disabled': 'Deaktivert',
    'team.pending': 'Invitasjon ikke besvart',
    'team.pending_hint': 'Vedkommende har ikke valgt passord ennå. Lenken i invitasjonen virker i 7 dager.',
    'team.change_title': 'Rolle og steder',
    'team.role': 'Rolle',
    'team.peer_box': 'Likepersonforsker (forsker med egenerfaring)',
    'team.sites': 'Steder',
    'team.save': 'Lagre endringene',
    'team.saved': 'Lagret.',
    'team.disable': 'Deaktiver',
    'team.enable': 'Aktiver',
    'team.disabled_now': 'Deaktivert: vedkommende er logget ut overalt og kan ikke logge inn.',
    'team.enabled_now': 'Aktivert: vedkommende kan logge inn igjen.',
    'team.open_interviews': { one: '{name} er intervjuer i {n} åpent intervju. Gi det til en annen før du deaktiverer {name}, eller la det bli hos {name} og gi det videre senere.', other: '{name} er intervjuer i {n} åpne intervjuer. Gi dem til en annen før du deaktiverer {name}, eller la dem bli hos {name} og gi dem videre ett og ett.' },
    'team.hand_to': 'Gi dem til',
    'team.hand_over': 'Gi videre og deaktiver',
    'team.keep': 'Deaktiver og la dem bli',
    'team.not_now': 'Ikke nå',
    'team.handed_now': 'Deaktivert. De åpne intervjuene er nå hos {name}; alle som berøres får e-post.',
    'team.resend': 'Send invitasjonen på nytt',
    'team.end_all': 'Avslutt alle innlogginger, nøkler og abonnementer',
    'team.end_all_warn': 'Ved en mistet telefon eller når noen slutter: {name} logges ut på alle enheter, og API-nøklene og kalenderabonnementene deres slutter å virke for godt. Vedkommende får beskjed på e-post og kan logge inn igjen med passordet.',
    'team.end_all_yes': 'Ja, avslutt alle',
    'team.end_all_no': 'Behold dem',
    'team.ended_all': 'Avsluttet: {s} innlogginger, {k} API-nøkler og {f} kalenderabonnementer. {name} har fått beskjed på e-post.',
    'team.resent': 'En ny invitasjon er på vei til {email}. Lenker sendt tidligere virker ikke lenger.',
    'team.invite_title': 'Inviter noen',
    'team.invite_intro': 'Vedkommende får en e-post med en lenke for å velge passord. Den virker i 7 dager.',
    'team.email': 'E-post',
    'team.name': 'Navn',
    'team.language': 'Språk i appen og e-postene',
    'team.invite_send': 'Send invitasjonen',
    'team.invited': 'Invitasjonen er sendt til {email}.',
  },
});

/** The roles, least first (the document lists them most first). */
const ROLES = [...LISTS.Role].reverse();

export async function render(main, { app, signal, live }) {
  document.title = `${t('team.title')} · Fieldnotes`;
  if (app.me.role !== 'admin') {
    main.append(h('h1', {}, t('team.title')), status('error', h('p', {}, t('code.forbidden'))));
    return;
  }
  const listSec = h('section', { class: 'card team-list', 'aria-labelledby': 'team-h' });
  const personSec = h('section', { class: 'card team-person', 'aria-labelledby': 'person-h', hidden: true });
  const inviteSec = h('section', { class: 'card team-invite', 'aria-labelledby': 'invite-h' });
  const toInvite = h('button', { type: 'button', class: 'secondary big' }, t('team.invite_title'));
  main.append(
    h('h1', {}, t('team.title')),
    h('div', { class: 'team' },
      h('div', { class: 'team-main' }, toInvite, listSec),
      h('div', { class: 'team-side' }, personSec, inviteSec)));

  let users = [];
  let sites = [];
  let selected = null;
  const siteName = (id) => sites.find((s) => s.id === id)?.name;

  /** Role, the peer label beside it (never a lesser role), and the state. */
  const labels = (u, tag = 'p') => h(tag, { class: 'labels' },
    h('span', { class: 'role' }, t(`role.${u.role}`)),
    u.peer_researcher ? [' ', h('span', { class: 'state peer' }, t('role.peer'))] : null,
    ' ', u.active ? h('span', { class: 'state st-completed' }, t('team.active')) : h('span', { class: 'state st-cancelled' }, t('team.disabled')),
    u.has_password ? null : [' ', h('span', { class: 'state q-pending' }, t('team.pending'))]);
  const siteLine = (u, tag = 'p') => h(tag, { class: 'sites' }, t('more.sites'), ' ',
    u.site_ids.map(siteName).filter(Boolean).join(', ') || '—');

  async function load() {
    const [us, ss] = await Promise.all([get('/users', { signal }), get('/sites', { signal })]);
    users = us || [];
    sites = Array.isArray(ss) ? ss : ss?.items || [];
    users.sort((a, b) => a.display_name.localeCompare(b.display_name));
  }

  function showList() {
    clear(listSec,
      h('h2', { id: 'team-h' }, t('team.list_title'), ' ', h('small', {}, t('team.count', { n: users.length }))),
      h('ul', { class: 'cards' }, users.map((u) => h('li', {},
        h('button', {
          type: 'button', class: 'person', 'aria-current': selected === u.id ? 'true' : false,
          'data-user': u.id, onclick: () => select(u.id),
        },
        h('strong', { class: 'who' }, u.display_name),
        h('span', { class: 'email' }, u.email),
        labels(u, 'span'),
        siteLine(u, 'span'))))));
  }

  function select(id, note) {
    selected = id;
    showList();
    showPerson(note);
    personSec.querySelector('h2')?.focus();
  }

  function roleSelect(value) {
    return h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, selected: r === value }, t(`role.${r}`))));
  }
  function peerBox(checked) {
    const id = uid('peer');
    const box = h('input', { type: 'checkbox', id, name: 'peer_researcher', checked });
    return [box, h('div', { class: 'check' }, box, h('label', { for: id }, t('team.peer_box')))];
  }
  const siteBoxes = (ids) => checkboxes(t('team.sites'), 'site_ids', sites.map((s) => ({ value: s.id, label: s.name })), ids);
  const checked = (fs) => [...fs.querySelectorAll('input:checked')].map((x) => x.value);

  function showPerson(note) {
    const u = users.find((x) => x.id === selected);
    if (!u) {
      personSec.hidden = true;
      return;
    }
    personSec.hidden = false;
    const role = roleSelect(u.role);
    const [peer, peerRow] = peerBox(u.peer_researcher);
    const siteSet = siteBoxes(u.site_ids);
    const save = h('button', { type: 'submit', class: 'primary big' }, t('team.save'));
    const out = h('div');
    const form = h('form', { novalidate: true },
      h('h3', {}, t('team.change_title')),
      field(t('team.role'), role), peerRow, siteSet, save, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(save, async () => {
        try {
          await change(u, { role: role.value, peer_researcher: peer.checked, site_ids: checked(siteSet) }, t('team.saved'));
        } catch (e) {
          if (live()) problemAt(e, { role, peer_researcher: peer, site_ids: siteSet }, out);
        }
      });
    });
    const self = u.id === app.me.id;
    const toggle = self ? null : h('button', { type: 'button', class: u.active ? 'warn big' : 'secondary big' },
      u.active ? t('team.disable') : t('team.enable'));
    const stateOut = h('div');
    toggle?.addEventListener('click', () => busy(toggle, async () => {
      try {
        await change(u, { active: !u.active }, u.active ? t('team.disabled_now') : t('team.enabled_now'));
      } catch (e) {
        if (!live()) return;
        if (e instanceof ApiError && e.problem.code === 'has_open_interviews') askHandOver(u, e.problem.interviews || [], stateOut, toggle);
        else stateOut.replaceChildren(problem(e));
      }
    }));
    const resend = u.has_password || !u.active ? null
      : h('button', { type: 'button', class: 'secondary big' }, t('team.resend'));
    resend?.addEventListener('click', () => busy(resend, async () => {
      stateOut.replaceChildren();
      try {
        await post(`/users/${u.id}/invitation`);
        if (live()) stateOut.replaceChildren(status('ok', h('p', {}, t('team.resent', { email: u.email }))));
      } catch (e) {
        if (live()) stateOut.replaceChildren(problem(e));
      }
    }));
    // Every credential at once, asked first: a lost phone, someone leaving.
    const endAll = self ? null : h('button', { type: 'button', class: 'warn big', 'data-action': 'end-credentials' }, t('team.end_all'));
    endAll?.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'warn big', 'data-action': 'end-credentials-yes' }, t('team.end_all_yes'));
      const no = h('button', { type: 'button', class: 'secondary big' }, t('team.end_all_no'));
      no.addEventListener('click', () => {
        stateOut.replaceChildren();
        endAll.focus();
      });
      yes.addEventListener('click', () => busy(yes, async () => {
        try {
          const r = await api('DELETE', `/users/${u.id}/credentials`);
          if (live()) {
            stateOut.replaceChildren(status('ok', h('p', {}, t('team.ended_all', {
              s: r.sessions, k: r.api_keys, f: r.calendar_feeds, name: u.display_name,
            }))));
          }
        } catch (e) {
          if (live()) stateOut.replaceChildren(problem(e));
        }
      }));
      stateOut.replaceChildren(status('warn', h('p', {}, t('team.end_all_warn', { name: u.display_name })), yes, ' ', no));
      yes.focus();
    });
    clear(personSec,
      h('h2', { id: 'person-h', tabindex: -1 }, u.display_name),
      note ? status('ok', h('p', {}, note)) : null,
      h('p', { class: 'email' }, u.email),
      labels(u),
      siteLine(u),
      u.has_password ? null : h('p', { class: 'hint' }, t('team.pending_hint')),
      resend, toggle, endAll, stateOut,
      form);
  }

  /** Disabling someone with open interviews: asked first, the interviews
   * listed, and handed to someone else (or kept) in the same step. */
  function askHandOver(u, open, out, back) {
    const tzOf = (id) => sites.find((s) => s.id === id)?.timezone || app.tz;
    const to = h('select', { name: 'hand_interviews_to' },
      users.filter((x) => x.active && x.id !== u.id).map((x) => h('option', { value: x.id }, x.display_name)));
    const msg = h('div');
    const hand = h('button', { type: 'button', class: 'warn big' }, t('team.hand_over'));
    const keep = h('button', { type: 'button', class: 'secondary big' }, t('team.keep'));
    const no = h('button', { type: 'button', class: 'secondary big' }, t('team.not_now'));
    hand.addEventListener('click', () => busy(hand, async () => {
      try {
        const name = users.find((x) => x.id === to.value)?.display_name || '';
        await change(u, { active: false, hand_interviews_to: to.value }, t('team.handed_now', { name }));
      } catch (e) {
        if (live()) problemAt(e, { hand_interviews_to: to }, msg);
      }
    }));
    keep.addEventListener('click', () => busy(keep, async () => {
      try {
        await change(u, { active: false, keep_interviews: true }, t('team.disabled_now'));
      } catch (e) {
        if (live()) msg.replaceChildren(problem(e));
      }
    }));
    no.addEventListener('click', () => {
      out.replaceChildren();
      back.focus();
    });
    out.replaceChildren(status('warn',
      h('p', {}, t('team.open_interviews', { name: u.display_name, n: open.length })),
      h('ul', { class: 'stranded' }, open.map((i) => h('li', {},
        h('strong', {}, i.pseudonym), ' · ',
        i.status === 'postponed' ? t('tba') : fmtDateTime(i.scheduled_at, tzOf(i.site_id)))))),
    field(t('team.hand_to'), to), hand, ' ', keep, ' ', no, msg);
    to.focus();
  }

  /** PATCH a person, then the list and the person again, with `note`. */
  async function change(u, body, note) {
    const changed = await api('PATCH', `/users/${u.id}`, body);
    if (!live()) return;
    users = users.map((x) => (x.id === changed.id ? changed : x));
    select(changed.id, note);
  }

  function showInvite() {
    const email = h('input', {
      type: 'email', name: 'email', autocomplete: 'off', inputmode: 'email', maxlength: 254,
      autocapitalize: 'off', spellcheck: 'false', required: true,
    });
    const name = h('input', { type: 'text', name: 'display_name', autocomplete: 'off', maxlength: 120, required: true });
    const role = choices(t('team.role'), 'invite-role', ROLES.map((r) => ({ value: r, label: t(`role.${r}`) })), 'fieldworker');
    role.classList.add('inline');
    const [peer, peerRow] = peerBox(false);
    const siteSet = siteBoxes([]);
    const language = choices(t('team.language'), 'invite-lang', [
      { value: 'en', label: 'English' },
      { value: 'nb', label: 'Norsk (bokmål)' },
    ], app.me.language || 'en');
    language.classList.add('inline');
    language.querySelectorAll('label').forEach((l, i) => l.setAttribute('lang', i === 0 ? 'en' : 'nb'));
    const send = h('button', { type: 'submit', class: 'primary big' }, t('team.invite_send'));
    const out = h('div');
    const form = h('form', { novalidate: true },
      field(t('team.email'), email), field(t('team.name'), name),
      role, peerRow, siteSet, language, send, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const controls = { email, display_name: name, role, peer_researcher: peer, site_ids: siteSet, language };
      busy(send, async () => {
        try {
          const created = await post('/users', {
            email: email.value.trim(),
            display_name: name.value.trim(),
            role: role.querySelector('input:checked')?.value || 'fieldworker',
            peer_researcher: peer.checked,
            site_ids: checked(siteSet),
            language: language.querySelector('input:checked')?.value || 'en',
          });
          if (!live()) return;
          users = [...users, created].sort((a, b) => a.display_name.localeCompare(b.display_name));
          showInvite();
          select(created.id, t('team.invited', { email: created.email }));
        } catch (e) {
          if (live()) problemAt(e, controls, out);
        }
      });
    });
    clear(inviteSec,
      h('h2', { id: 'invite-h', tabindex: -1 }, t('team.invite_title')),
      h('p', { class: 'hint' }, t('team.invite_intro')),
      form);
  }

  toInvite.addEventListener('click', () => {
    inviteSec.scrollIntoView({ block: 'start' });
    inviteSec.querySelector('input')?.focus({ preventScroll: true });
  });

  main.append(h('p', { class: 'loading', role: 'status' }, t('loading')));
  try {
    await load();
  } finally {
    main.querySelector('.loading')?.remove();
  }
  if (!live()) return;
  showList();
  showInvite();
}
