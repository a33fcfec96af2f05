import { signIn } from '../api.js';
import { t } from '../i18n.js';
import { h, field, busy } from '../ui.js';
import { problem, loadMe, app } from '../app.js';

export async function render(main, { go }) {
  document.title = `${t('signin.title')} · Fieldnotes`;
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const out = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, t('signin.submit'));
  const form = h('form', { class: 'card', novalidate: false },
    field(t('signin.email'), email),
    field(t('signin.password'), password),
    submit, out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    await busy(submit, async () => {
      try {
        await signIn(email.value.trim(), password.value);
        app.me = null;
        await loadMe();
        go('#/today');
      } catch (e) {
        out.append(problem(e));
      }
    });
  });
  main.append(h('h1', {}, t('signin.title')), h('p', {}, t('signin.intro')), form);
  email.focus();
}
