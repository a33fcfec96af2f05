import { signIn, signInMfa } from '../api.js';
import { t } from '../i18n.js';
import { h, field, busy, status } from '../ui.js';
import { loadMe, app } from '../session.js';
import { problem } from '../errors.js';
import { sync } from '../store.js';

let handed = '';
/**
 * A password just chosen from an emailed link: filled in once on the next
 * sign-in screen, so only the email is left to type. Kept in memory only.
 */
export const handOver = (pw) => {
  handed = pw;
};

export async function render(main, { go, query }) {
  document.title = `${t('signin.title')} · Fieldnotes`;
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, inputmode: 'email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const saved = query?.get('password');
  if (saved) {
    password.value = handed;
    handed = '';
  }
  const out = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, t('signin.submit'));
  const form = h('form', { class: 'card', novalidate: false },
    field(t('signin.email'), email),
    field(t('signin.password'), password),
    submit, out,
    h('p', {}, h('a', { class: 'tap', href: '#/reset' }, t('signin.forgot'))));
  const done = async () => {
    app.me = null;
    await loadMe({ fresh: true });
    go('#/today');
    // Notes this account left queued on the phone go now.
    if (app.me) sync(app.me.id);
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    await busy(submit, async () => {
      try {
        const challenge = await signIn(email.value.trim(), password.value);
        if (challenge) secondStep(challenge);
        else await done();
      } catch (e) {
        out.append(problem(e));
      }
    });
  });

  /** The account has a second factor: ask for the app's code. */
  function secondStep(challenge) {
    const code = h('input', {
      type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
      maxlength: 64, autocapitalize: 'off', spellcheck: 'false',
    });
    const out2 = h('div');
    const verify = h('button', { type: 'submit', class: 'primary' }, t('signin.verify'));
    const form2 = h('form', { class: 'card', 'aria-labelledby': 'code-h' },
      h('h2', { id: 'code-h' }, t('signin.code_title')),
      field(t('signin.code'), code, t('signin.code_hint')),
      verify, out2);
    form2.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      out2.replaceChildren();
      await busy(verify, async () => {
        try {
          await signInMfa(challenge.challenge, code.value.trim());
          await done();
        } catch (e) {
          // A spent or expired step starts over with the password.
          if (e.code === 'invalid_challenge') {
            form2.replaceWith(form);
            password.value = '';
            out.append(problem(e));
            password.focus();
          } else {
            out2.append(problem(e));
            code.select();
          }
        }
      });
    });
    form.replaceWith(form2);
    code.focus();
  }

  const notices = [];
  if (query?.get('why') === 'revoked') {
    const n = Number(query.get('waiting') || 0);
    notices.push(status('error', h('p', {}, t('signin.revoked')), n ? h('p', {}, t('signin.revoked_waiting', { n })) : null));
  }
  if (saved === 'accept' || saved === 'reset') notices.push(status('ok', h('p', {}, t(`signin.done_${saved}`))));
  main.append(h('h1', {}, t('signin.title')), ...notices, h('p', {}, t('signin.intro')), form);
  email.focus();
}
