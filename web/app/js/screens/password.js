// Choosing a password from an emailed link, signed in or not: an invitation
// (#/accept?token=) or a reset (#/reset?token=); #/reset alone asks for a
// reset link. A link that no longer works says so plainly and offers the
// way on: a new reset link by email, or a new invitation from the inviter.
// Loaded only when opened (see `later` in app.js).
import { post, signedIn, signOut, ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, status, busy, uid } from '../ui.js';
import { clearCache } from '../store.js';
import { problemAt, go } from '../app.js';
import { handOver } from './signin.js';

const PATHS = { accept: '/auth/invitations/accept', reset: '/auth/password-reset/confirm' };

/** A refusal of the client's own, shown at the field like the server's. */
const refused = (pointer, text) => new ApiError(422, { code: 'validation_failed', errors: [{ pointer, text }] });

export async function render(main, { params, query, app, live }) {
  const kind = params.kind === 'accept' ? 'accept' : 'reset';
  const token = query.get('token') || '';
  const title = token ? t(`pw.${kind}_title`) : kind === 'reset' ? t('pw.forgot_title') : t('pw.bad_title');
  document.title = `${title} · Fieldnotes`;
  const body = h('div');
  const toSignin = signedIn() ? null : h('p', {}, h('a', { class: 'tap', href: '#/signin' }, t('pw.to_signin')));
  main.append(h('h1', {}, title), body, toSignin);

  if (!token) {
    if (kind === 'reset') clear(body, h('p', {}, t('pw.forgot_intro')), requestForm());
    else badLink(false);
    return;
  }

  const password = h('input', {
    type: 'password', name: 'password', autocomplete: 'new-password', maxlength: 256,
    autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false',
  });
  const show = h('input', { type: 'checkbox', id: uid('s') });
  show.addEventListener('change', () => { password.type = show.checked ? 'text' : 'password'; });
  const out = h('div');
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('pw.save'));
  const form = h('form', { class: 'card', novalidate: true },
    field(t('pw.new'), password, t('pw.hint')),
    h('div', { class: 'check' }, show, h('label', { for: show.id }, t('pw.show'))),
    submit, out);
  clear(body,
    h('p', {}, t(`pw.${kind}_intro`)),
    signedIn() ? status('info', h('p', {}, t('pw.signed_in'))) : null,
    form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, async () => {
      try {
        await post(PATHS[kind], { token, password: password.value });
      } catch (e) {
        if (!live()) return;
        // What was typed stays; the refusal is said at the field.
        if (e instanceof ApiError && e.code === 'invalid_token') badLink(true);
        else problemAt(e, { password }, out);
        return;
      }
      if (!live()) return;
      // The new password signs in on the sign-in screen, already filled in.
      // A sign-in on this phone ends first (a reset has already ended the
      // person's own: that is no news to announce).
      handOver(password.value);
      if (signedIn()) {
        await signOut(false, { quiet: true }).catch(() => {});
        clearCache();
        app.me = null;
      }
      go(`#/signin?password=${kind}`);
    });
  });
  password.focus();

  /** The link does not work (unknown, expired or used): say so, and the way on. */
  function badLink(tried) {
    const lead = h('p', { tabindex: -1 }, t(`pw.bad_${kind}`));
    if (kind === 'accept') {
      clear(body, status('error', lead, h('p', {}, t('pw.ask_inviter'))));
    } else {
      clear(body, status('error', lead), requestForm(t('pw.new_link_title')));
    }
    if (tried) lead.focus();
  }

  /** Asks for a reset link by email; the server always answers 202. */
  function requestForm(heading) {
    const email = h('input', {
      type: 'email', name: 'email', autocomplete: 'username', inputmode: 'email', maxlength: 320,
      autocapitalize: 'off', spellcheck: 'false',
    });
    const out2 = h('div', { 'aria-live': 'polite' });
    const send = h('button', { type: 'submit', class: 'primary big' }, t('pw.send'));
    const id = uid('h');
    const form2 = h('form', { class: 'card', novalidate: true, 'aria-labelledby': heading ? id : null },
      heading ? h('h2', { id }, heading) : null,
      heading ? h('p', {}, t('pw.new_link_intro')) : null,
      field(t('pw.email'), email), send, out2);
    form2.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const address = email.value.trim();
      if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
        problemAt(refused('/email', t(address ? 'pw.not_email' : 'form.required')), { email }, out2);
        return;
      }
      busy(send, async () => {
        try {
          await post('/auth/password-reset', { email: address });
          if (!live()) return;
          problemAt(null, { email }, out2);
          out2.append(status('ok', h('p', {}, t('pw.sent', { email: address }))));
        } catch (e) {
          if (live()) problemAt(e, { email }, out2);
        }
      });
    });
    return form2;
  }
}
