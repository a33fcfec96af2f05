// Who is signed in, language (stored on the person too), the sub-screens,
// sign out (here or everywhere).
import { signOut } from '../api.js';
import { t, lang } from '../i18n.js';
import { h, choices, status, busy } from '../ui.js';
import { clearCache, queued } from '../store.js';
import { problem, chooseLang } from '../app.js';

/** A titled list of links to the screens under More. */
const links = (id, title, names) => h('nav', { class: 'card', 'aria-labelledby': id },
  h('h2', { id }, title),
  ...names.map((n) => h('p', {}, h('a', { class: 'button secondary big', href: `#/more/${n}` }, t(`${n}.link`)))));

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
    clearCache();
    app.me = null;
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
    h('p', {}, h('a', { class: 'button secondary big', href: '#/more/security' }, t('security.link'))),
    h('p', {}, h('a', { class: 'button secondary big', href: '#/more/calendar' }, t('cal.link'))),
    app.coordinator ? links('coord-h', t('desk.coord'), ['people', 'codebook', 'report', 'export']) : null,
    me.role === 'admin' ? links('admin-h', t('desk.admin'), ['team', 'sites', 'instruments', 'study', 'keys', 'audit']) : null,
    h('section', { class: 'card', 'aria-labelledby': 'out-h' },
      h('h2', { id: 'out-h' }, t('more.signout_title')),
      waiting ? status('error', t('more.waiting', { n: waiting })) : null,
      h('button', { type: 'button', class: 'secondary big', onclick: leave(false) }, t('more.signout')),
      h('button', { type: 'button', class: 'warn big', onclick: leave(true) }, t('more.signout_all')),
      out));
}
