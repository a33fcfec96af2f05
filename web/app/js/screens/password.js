// Choosing a password from an emailed link, signed in or not: an invitation
// (#/accept?token=) or a reset (#/reset?token=); #/reset alone asks for a
// reset link. A link that no longer works says so plainly and offers the
// way on: a new reset link by email, or a new invitation from the inviter.
// Loaded only when opened (see router.js).
import { post, signedIn, ApiError } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy, uid } from '../ui.js';
import { go, signOut } from '../session.js';
import { problemAt } from '../errors.js';
import { handOver } from './signin.js';

words({
  en: {
    'pw.accept_title': 'Choose your password',
    'pw.accept_intro': 'You are invited to the study’s Fieldnotes team. Choose a password: you sign in with it and your email address.',
    'pw.reset_title': 'Choose a new password',
    'pw.reset_intro': 'Choose a new password for your account. When it is saved, every device signed in to your account is signed out, and your calendar addresses and API keys stop working.',
    'pw.forgot_title': 'Forgot your password?',
    'pw.forgot_intro': 'Type the email address of your account. A link is sent to it: open it within 2 hours to choose a new password.',
    'pw.bad_title': 'This link does not work',
    'pw.new': 'New password',
    'pw.hint': 'At least 12 characters. A few words you will remember make a good password.',
    'pw.show': 'Show the password',
    'pw.save': 'Save the password',
    'pw.signed_in': 'This phone is signed in to an account now. Saving the password signs it out here, so you can sign in with the new one.',
    'pw.bad_accept': 'This invitation link does not work: it is incomplete, more than 7 days old, or was already used.',
    'pw.ask_inviter': 'Ask the person who invited you to send a new invitation. If you already chose a password, sign in with it.',
    'pw.bad_reset': 'This link does not work: it is incomplete, more than 2 hours old, or was already used.',
    'pw.new_link_title': 'Get a new link',
    'pw.new_link_intro': 'Type the email address of your account, and a new link is sent to it. It works for 2 hours.',
    'pw.email': 'Email',
    'pw.not_email': 'This is not an email address.',
    'pw.send': 'Send me a link',
    'pw.sent': 'If {email} belongs to an account, a link is on its way to it. Open it within 2 hours. No email after a few minutes? Look in the spam folder.',
    'pw.to_signin': 'Go to sign-in',
  },
  nb: {
    'pw.accept_title': 'Velg passord',
    'pw.accept_intro': 'Du er invitert til studiens team i Fieldnotes. Velg et passord: du logger inn med det og e-postadressen din.',
    'pw.reset_title': 'Velg nytt passord',
    'pw.reset_intro': 'Velg et nytt passord for kontoen din. Når det er lagret, blir alle enheter som er logget inn på kontoen, logget ut, og kalenderadressene og API-nøklene dine slutter å virke.',
    'pw.forgot_title': 'Glemt passordet?',
    'pw.forgot_intro': 'Skriv e-postadressen til kontoen din. Vi sender en lenke dit: åpne den innen 2 timer for å velge nytt passord.',
    'pw.bad_title': 'Denne lenken virker ikke',
    'pw.new': 'Nytt passord',
    'pw.hint': 'Minst 12 tegn. Noen ord du husker, gir et godt passord.',
    'pw.show': 'Vis passordet',
    'pw.save': 'Lagre passordet',
    'pw.signed_in': 'Denne telefonen er logget inn på en konto nå. Når passordet lagres, logges den ut her, slik at du kan logge inn med det nye.',
    'pw.bad_accept': 'Denne invitasjonslenken virker ikke: den er ufullstendig, eldre enn 7 dager eller allerede brukt.',
    'pw.ask_inviter': 'Be den som inviterte deg, om å sende en ny invitasjon. Har du allerede valgt passord, logger du inn med det.',
    'pw.bad_reset': 'Denne lenken virker ikke: den er ufullstendig, eldre enn 2 timer eller allerede brukt.',
    'pw.new_link_title': 'Få en ny lenke',
    'pw.new_link_intro': 'Skriv e-postadressen til kontoen din, så sendes en ny lenke dit. Den virker i 2 timer.',
    'pw.email': 'E-post',
    'pw.not_email': 'Dette er ikke en e-postadresse.',
    'pw.send': 'Send meg en lenke',
    'pw.sent': 'Hvis {email} hører til en konto, er en lenke på vei dit. Åpne den innen 2 timer. Ingen e-post etter noen minutter? Se i søppelpostmappen.',
    'pw.to_signin': 'Gå til innlogging',
  },
});

const PATHS = { accept: '/auth/invitations/accept', reset: '/auth/password-reset/confirm' };
/** Whether a link works, asked when its page opens (nothing is used up). */
const CHECKS = { accept: '/auth/invitations/check', reset: '/auth/password-reset/check' };

/** A refusal of the client's own, shown at the field like the server's. */
const refused = (pointer, text) => new ApiError(422, { code: 'validation_failed', errors: [{ pointer, text }] });

export async function render(main, { params, query, live }) {
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

  // A dead link is said before anyone types a password for it. Offline,
  // the form shows anyway: saving says whether the link works.
  clear(body, h('p', { class: 'loading', role: 'status' }, t('loading')));
  try {
    await post(CHECKS[kind], { token });
  } catch (e) {
    if (!live()) return;
    if (e instanceof ApiError && e.code === 'invalid_token') return badLink(false);
  }
  if (!live()) return;

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
