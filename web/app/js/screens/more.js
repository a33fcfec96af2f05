// Who is signed in, language (stored on the person too), the screens listed
// under More and its sections (router.js), sign out (here or everywhere).
import { t, lang, words } from '../i18n.js';
import { h, choices, status, busy } from '../ui.js';
import { queued } from '../store.js';
import { chooseLang, signOut } from '../session.js';
import { problem } from '../errors.js';
import { SECTIONS, listed, titleKey, href } from '../router.js';
import '../vocab.js';

words({
  en: {
    'more.title': 'More',
    'more.language': 'Language',
    'more.signout_title': 'Sign out',
    'more.signout': 'Sign out on this phone',
    'more.signout_desk': 'Sign out',
    'more.signout_all': 'Sign out everywhere',
    'more.waiting': { one: '{n} note is not synced yet. It stays on this phone and is sent when you sign in again.', other: '{n} notes are not synced yet. They stay on this phone and are sent when you sign in again.' },
  },
  nb: {
    'more.title': 'Mer',
    'more.language': 'Språk',
    'more.signout_title': 'Logg ut',
    'more.signout': 'Logg ut på denne telefonen',
    'more.signout_desk': 'Logg ut',
    'more.signout_all': 'Logg ut overalt',
    'more.waiting': { one: '{n} notat er ikke synkronisert ennå. Det blir liggende på telefonen og sendes når du logger inn igjen.', other: '{n} notater er ikke synkronisert ennå. De blir liggende på telefonen og sendes når du logger inn igjen.' },
  },
});

/** A link to a screen listed under More (router.js). */
const link = (row, app) => h('p', {}, h('a', { class: 'button secondary big', href: href(row) }, t(titleKey(row, app))));

/** A section of More with the screens it lists for `role`: a titled list of links, or nothing. */
function section(s, app) {
  const rows = listed(s.name, app.me.role);
  // From 1024 px the side navigation lists these (app.css hides them here).
  return rows.length ? h('nav', { class: 'card desk-links', 'aria-labelledby': s.id },
    h('h2', { id: s.id }, t(titleKey(s, app))),
    ...rows.map((r) => link(r, app))) : null;
}

export async function render(main, { app, go, route }) {
  document.title = `${t('more.title')} · Fieldnotes`;
  const me = app.me;
  const waiting = (await queued(me.id)).length;
  const langChoice = choices(t('more.language'), 'lang', [
    { value: 'nb', label: 'Norsk (bokmål)' },
    { value: 'en', label: 'English' },
  ], lang(), (ev) => { chooseLang(ev.target.value); route(); });
  langChoice.querySelectorAll('label').forEach((l, i) => l.setAttribute('lang', i === 0 ? 'nb' : 'en'));
  const out = h('div');
  const leave = (everywhere) => async (ev) => busy(ev.target, async () => {
    try {
      await signOut(everywhere);
    } catch (e) {
      out.append(problem(e));
    }
    go('#/signin');
  });
  main.append(
    h('h1', {}, t('more.title')),
    h('section', { class: 'card', 'aria-labelledby': 'me-h' },
      h('h2', { id: 'me-h' }, me.display_name),
      h('p', {}, me.email),
      h('p', {}, t(`role.${me.role}`), me.peer_researcher ? ` · ${t('role.peer')}` : ''),
      h('p', {}, t('more.sites'), ' ', app.sites.map((s) => s.name).join(', ') || '—')),
    langChoice,
    ...listed('more', me.role).map((r) => link(r, app)).filter(Boolean),
    ...SECTIONS.map((s) => section(s, app)).filter(Boolean),
    h('section', { class: 'card', 'aria-labelledby': 'out-h' },
      h('h2', { id: 'out-h' }, t('more.signout_title')),
      waiting ? status('error', t('more.waiting', { n: waiting })) : null,
      h('button', { type: 'button', class: 'secondary big', onclick: leave(false) },
        // At a desk it is no phone.
        t(matchMedia('(min-width: 1024px)').matches ? 'more.signout_desk' : 'more.signout')),
      h('button', { type: 'button', class: 'warn big', onclick: leave(true) }, t('more.signout_all')),
      out));
}
