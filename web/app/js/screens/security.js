// Two-factor sign-in (set up with a QR code, recovery codes to write down,
// turn off) and the list of devices signed in, each of which can be ended.
import { get, post, del } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy } from '../ui.js';
import { fmtDateTime } from '../time.js';
import { problem, problemAt } from '../errors.js';

words({
  en: {
    'security.title': 'Security',
    'security.required': 'Your study requires two-factor sign-in for your role. Set it up to go on.',
    'security.on': { one: 'Two-factor sign-in is on. {n} recovery code left.', other: 'Two-factor sign-in is on. {n} recovery codes left.' },
    'security.off': 'Two-factor sign-in is off. With it on, signing in needs your password and a code from an app on your phone.',
    'security.setup': 'Set up an authenticator app',
    'security.scan': 'Scan this code with an authenticator app (for example Aegis, Google Authenticator or Microsoft Authenticator), or type this key into it:',
    'security.qr_alt': 'QR code for your authenticator app',
    'security.code': 'Code the app shows now',
    'security.confirm': 'Turn on two-factor sign-in',
    'security.codes_title': 'Your recovery codes',
    'security.codes_intro': 'Write these down and keep them away from your phone. Each signs you in once if the phone is lost. They are shown only now.',
    'security.codes_done': 'Done',
    'security.codes_written': 'I have written them down or stored them safely',
    'security.codes_copy': 'Copy the codes',
    'security.codes_copied': 'Copied.',
    'security.codes_download': 'Download as a text file',
    'security.codes_file': 'Fieldnotes recovery codes for {email}. Each signs in once in place of the app’s code.',
    'security.codes_check': 'Tick the box once they are written down: they are not shown again.',
    'security.renew_title': 'New recovery codes',
    'security.renew_intro': 'Lost the list, or used most of it? New codes replace all the old ones.',
    'security.renew': 'Make new recovery codes',
    'security.turn_off': 'Turn off two-factor sign-in',
    'security.devices': 'Where you are signed in',
    'security.this_device': 'This device',
    'security.signed_in': 'Signed in {when}',
    'security.last_used': 'Last used {when}',
    'security.end': 'Sign out that device',
    'security.unknown_device': 'Unknown browser',
    'security.device': '{browser} on {os}',
    'security.ended': 'That device is signed out.',
  },
  nb: {
    'security.title': 'Sikkerhet',
    'security.required': 'Studien krever totrinnsinnlogging for rollen din. Slå den på for å gå videre.',
    'security.on': { one: 'Totrinnsinnlogging er på. {n} gjenopprettingskode igjen.', other: 'Totrinnsinnlogging er på. {n} gjenopprettingskoder igjen.' },
    'security.off': 'Totrinnsinnlogging er av. Når den er på, trenger du passordet og en kode fra en app på telefonen for å logge inn.',
    'security.setup': 'Sett opp en autentiseringsapp',
    'security.scan': 'Skann denne koden med en autentiseringsapp (for eksempel Aegis, Google Authenticator eller Microsoft Authenticator), eller skriv inn denne nøkkelen:',
    'security.qr_alt': 'QR-kode for autentiseringsappen',
    'security.code': 'Koden appen viser nå',
    'security.confirm': 'Slå på totrinnsinnlogging',
    'security.codes_title': 'Gjenopprettingskodene dine',
    'security.codes_intro': 'Skriv dem ned og oppbevar dem unna telefonen. Hver av dem logger deg inn én gang hvis telefonen blir borte. De vises bare nå.',
    'security.codes_done': 'Ferdig',
    'security.codes_written': 'Jeg har skrevet dem ned eller lagret dem trygt',
    'security.codes_copy': 'Kopier kodene',
    'security.codes_copied': 'Kopiert.',
    'security.codes_download': 'Last ned som tekstfil',
    'security.codes_file': 'Gjenopprettingskoder for Fieldnotes for {email}. Hver av dem logger inn én gang i stedet for appens kode.',
    'security.codes_check': 'Kryss av når de er skrevet ned: de vises ikke igjen.',
    'security.renew_title': 'Nye gjenopprettingskoder',
    'security.renew_intro': 'Mistet listen, eller brukt opp det meste? Nye koder erstatter alle de gamle.',
    'security.renew': 'Lag nye gjenopprettingskoder',
    'security.turn_off': 'Slå av totrinnsinnlogging',
    'security.devices': 'Der du er logget inn',
    'security.this_device': 'Denne enheten',
    'security.signed_in': 'Logget inn {when}',
    'security.last_used': 'Sist brukt {when}',
    'security.end': 'Logg ut den enheten',
    'security.unknown_device': 'Ukjent nettleser',
    'security.device': '{browser} på {os}',
    'security.ended': 'Den enheten er logget ut.',
  },
});

export async function render(main, { app, query, go, route }) {
  document.title = `${t('security.title')} · Fieldnotes`;
  const mfaSec = h('section', { class: 'card', 'aria-labelledby': 'mfa-h' });
  const devSec = h('section', { class: 'card', 'aria-labelledby': 'dev-h' });
  main.append(h('h1', {}, t('security.title')));
  if (query?.get('required')) main.append(status('error', t('security.required')));
  main.append(mfaSec, devSec);

  const codeInput = () => h('input', {
    type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
    maxlength: 64, autocapitalize: 'off', spellcheck: 'false',
  });

  async function showMfa() {
    const st = await get('/me/mfa');
    const title = h('h2', { id: 'mfa-h' }, t('security.link'));
    if (st.enabled) {
      const code = codeInput();
      const out = h('div');
      const off = h('button', { type: 'submit', class: 'warn' }, t('security.turn_off'));
      const form = h('form', {}, field(t('security.code'), code), off, out);
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        busy(off, async () => {
          try {
            await del('/me/mfa', { code: code.value.trim() });
            await showMfa();
          } catch (e) {
            problemAt(e, { code }, out);
          }
        });
      });
      // New recovery codes, with a code from the app.
      const renewCode = codeInput();
      const renewOut = h('div');
      const renew = h('button', { type: 'submit', class: 'secondary' }, t('security.renew'));
      const renewForm = h('form', { 'aria-labelledby': 'renew-h' },
        h('h3', { id: 'renew-h' }, t('security.renew_title')), h('p', { class: 'hint' }, t('security.renew_intro')),
        field(t('security.code'), renewCode), renew, renewOut);
      renewForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        busy(renew, async () => {
          try {
            const r = await post('/me/mfa/recovery-codes', { code: renewCode.value.trim() });
            showCodes(r.recovery_codes);
          } catch (e) {
            problemAt(e, { code: renewCode }, renewOut);
          }
        });
      });
      clear(mfaSec, title, status('ok', t('security.on', { n: st.recovery_codes_left })), form, renewForm);
      return;
    }
    const start = h('button', { type: 'button', class: 'primary big' }, t('security.setup'));
    const out = h('div');
    start.addEventListener('click', () => busy(start, async () => {
      try {
        setup(await post('/me/mfa/totp'));
      } catch (e) {
        out.replaceChildren(problem(e));
      }
    }));
    clear(mfaSec, title, h('p', {}, t('security.off')), start, out);
  }

  function setup(enrol) {
    const code = codeInput();
    const out = h('div');
    const confirm = h('button', { type: 'submit', class: 'primary big' }, t('security.confirm'));
    const qr = h('img', {
      class: 'qr', width: 200, height: 200, alt: t('security.qr_alt'),
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrol.qr_svg)}`,
    });
    const key = h('p', { class: 'secret', 'data-secret': enrol.secret },
      h('code', {}, enrol.secret.match(/.{1,4}/g).join(' ')));
    const form = h('form', {}, field(t('security.code'), code), confirm, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(confirm, async () => {
        try {
          const r = await post('/me/mfa/totp/confirm', { code: code.value.trim() });
          showCodes(r.recovery_codes);
        } catch (e) {
          problemAt(e, { code }, out);
        }
      });
    });
    clear(mfaSec, h('h2', { id: 'mfa-h' }, t('security.setup')), h('p', {}, t('security.scan')), qr, key, form);
    code.focus();
  }

  /** The recovery codes, shown once: copy, download, and "written down?" before going back. */
  function showCodes(codes) {
    const text = `${t('security.codes_file', { email: app.me?.email || '' })}\n\n${codes.join('\n')}\n`;
    const said = h('div', { 'aria-live': 'polite' });
    const copy = h('button', { type: 'button', class: 'secondary' }, t('security.codes_copy'));
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(text);
        clear(said, status('ok', h('p', {}, t('security.codes_copied'))));
      } catch (e) {
        // No clipboard (an old browser, or none allowed): the list is selected to copy by hand.
        const range = document.createRange();
        range.selectNodeContents(list);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
    });
    const download = h('a', {
      class: 'button secondary', download: 'fieldnotes-recovery-codes.txt',
      href: `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`,
    }, t('security.codes_download'));
    const written = h('input', { type: 'checkbox', id: 'codes-written' });
    const done = h('button', { type: 'button', class: 'primary big', disabled: true }, t('security.codes_done'));
    written.addEventListener('change', () => { done.disabled = !written.checked; });
    done.addEventListener('click', () => {
      // Enrolled: a required role may now use the whole app; back to this screen, its state fresh.
      app.me = null;
      if (location.hash.startsWith('#/more/security') && !location.hash.includes('?')) route();
      else go('#/more/security');
    });
    const list = h('ol', { class: 'recovery' }, codes.map((c) => h('li', {}, h('code', {}, c))));
    clear(mfaSec,
      h('h2', { id: 'mfa-h', tabindex: -1 }, t('security.codes_title')),
      h('p', {}, t('security.codes_intro')),
      list,
      h('div', { class: 'row' }, copy, download), said,
      h('p', { class: 'hint' }, t('security.codes_check')),
      h('div', { class: 'check' }, written, h('label', { for: written.id }, t('security.codes_written'))),
      done);
    mfaSec.querySelector('h2').focus();
  }

  async function showDevices(note) {
    const list = await get('/me/sessions');
    clear(devSec,
      h('h2', { id: 'dev-h' }, t('security.devices')),
      note ? status('ok', note) : null,
      h('ul', { class: 'cards' }, list.map((s) => {
        const end = s.current ? null : h('button', { type: 'button', class: 'secondary' }, t('security.end'));
        end?.addEventListener('click', () => busy(end, async () => {
          try {
            await del(`/me/sessions/${s.id}`);
            await showDevices(t('security.ended'));
          } catch (e) {
            devSec.append(problem(e));
          }
        }));
        // Named from its user agent by the server ("Chrome on Android"); the raw string only when it could not be.
        const named = s.browser && s.os ? t('security.device', { browser: s.browser, os: s.os })
          : s.browser || s.os || s.user_agent || t('security.unknown_device');
        return h('li', { class: 'card device' },
          h('strong', {}, s.current ? t('security.this_device') : named),
          s.current ? h('p', { class: 'hint' }, named) : null,
          h('p', {}, t('security.signed_in', { when: fmtDateTime(s.created_at, app.tz) })),
          s.last_used_at ? h('p', {}, t('security.last_used', { when: fmtDateTime(s.last_used_at, app.tz) })) : null,
          end);
      })));
  }

  await Promise.all([showMfa(), showDevices()]);
}
