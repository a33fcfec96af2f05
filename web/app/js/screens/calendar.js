// Calendar subscription: a secret address serving the person's interviews
// to their calendar app. A new address is shown once, as text to copy and
// as the server's QR code; each address can be revoked. Loaded only when
// opened (see router.js).
import { get, post, del } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, status, busy, uid, choices } from '../ui.js';
import { LISTS } from '../lists.js';
import { fmtDateTime } from '../time.js';
import { problem } from '../errors.js';

words({
  en: {
    'cal.title': 'Calendar subscription',
    'cal.intro': 'See your interviews in your calendar app (Google Calendar, Apple Calendar, Outlook…). The app fetches them from a secret address and keeps them up to date: moved, postponed and cancelled interviews change there too.',
    'cal.warn': 'Anyone who has the address can see the times and places of your interviews and the participants’ pseudonyms, without signing in. Keep it to yourself. If it may have got out, revoke it below: it stops working at once.',
    'cal.create': 'Make a calendar address',
    'cal.new_title': 'Your new calendar address',
    'cal.once': 'It is shown only now. Scan the code or copy the address before you leave this screen. Lost it? Make a new one and revoke the old one.',
    'cal.how': 'On another device, scan the code with its camera. On this phone, copy the address, then add a calendar “from URL” or “by subscription” in the calendar app and paste it.',
    'cal.qr_alt': 'QR code of your calendar address',
    'cal.address': 'Calendar address',
    'cal.copy': 'Copy the address',
    'cal.copied': 'Copied. Now paste it in the calendar app, as a calendar “from URL”.',
    'cal.selected': 'The address is selected: copy it with your phone’s Copy, then paste it in the calendar app as a calendar “from URL”.',
    'cal.list_title': 'Your calendar addresses',
    'cal.none': 'You have no calendar address.',
    'cal.made': 'Made {when}',
    'cal.this_one': '(the one above)',
    'cal.revoke': 'Revoke',
    'cal.what': 'What the calendar shows',
    'cal.scope.mine': 'My interviews',
    'cal.scope.sites': 'Every interview at my sites',
    'cal.revoked': 'Revoked: that address no longer works, and calendars subscribed to it stop updating.',
  },
  nb: {
    'cal.title': 'Kalenderabonnement',
    'cal.intro': 'Se intervjuene dine i kalenderappen (Google Kalender, Apple Kalender, Outlook …). Appen henter dem fra en hemmelig adresse og holder dem oppdatert: flyttede, utsatte og avlyste intervjuer endres der også.',
    'cal.warn': 'Alle som har adressen, kan se tid og sted for intervjuene dine og deltakernes pseudonymer, uten å logge inn. Hold den for deg selv. Kan den ha kommet på avveier, trekker du den tilbake nedenfor: da slutter den å virke med en gang.',
    'cal.create': 'Lag en kalenderadresse',
    'cal.new_title': 'Den nye kalenderadressen din',
    'cal.once': 'Den vises bare nå. Skann koden eller kopier adressen før du forlater denne siden. Mistet den? Lag en ny og trekk tilbake den gamle.',
    'cal.how': 'På en annen enhet: skann koden med kameraet. På denne telefonen: kopier adressen, legg til en kalender «fra URL» eller «abonnement» i kalenderappen, og lim den inn.',
    'cal.qr_alt': 'QR-kode for kalenderadressen din',
    'cal.address': 'Kalenderadresse',
    'cal.copy': 'Kopier adressen',
    'cal.copied': 'Kopiert. Lim den inn i kalenderappen som en kalender «fra URL».',
    'cal.selected': 'Adressen er merket: kopier den med telefonens Kopier, og lim den inn i kalenderappen som en kalender «fra URL».',
    'cal.list_title': 'Kalenderadressene dine',
    'cal.none': 'Du har ingen kalenderadresse.',
    'cal.made': 'Laget {when}',
    'cal.this_one': '(den ovenfor)',
    'cal.revoke': 'Trekk tilbake',
    'cal.what': 'Hva kalenderen viser',
    'cal.scope.mine': 'Mine intervjuer',
    'cal.scope.sites': 'Alle intervjuer på stedene mine',
    'cal.revoked': 'Trukket tilbake: adressen virker ikke lenger, og kalendere som abonnerer på den, slutter å oppdateres.',
  },
});

const SVG = 'http://www.w3.org/2000/svg';
/** What a QR code drawn by the server may hold; anything else is dropped. */
const ALLOWED = {
  svg: ['xmlns', 'version', 'width', 'height', 'viewBox', 'shape-rendering'],
  rect: ['x', 'y', 'width', 'height', 'fill'],
  path: ['d', 'fill'],
};

/**
 * The server's QR code as an <svg> element: parsed as SVG (never as HTML),
 * and only shapes and their geometry kept: no scripts, styles, links or
 * event handlers, so nothing in it can run or break the content policy.
 */
export function qrSvg(text, label) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.namespaceURI !== SVG || root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  const svg = document.importNode(root, true);
  for (const el of [svg, ...svg.querySelectorAll('*')]) {
    const allowed = el.namespaceURI === SVG && ALLOWED[el.localName];
    if (!allowed) {
      el.remove();
      continue;
    }
    for (const a of [...el.attributes]) if (!allowed.includes(a.name)) el.removeAttribute(a.name);
  }
  svg.setAttribute('class', 'qr');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('focusable', 'false');
  return svg;
}

export async function render(main, { app, signal, live }) {
  document.title = `${t('cal.title')} · Fieldnotes`;
  const created = h('div');
  const create = h('button', { type: 'button', class: 'primary big' }, t('cal.create'));
  // A coordinator may follow every interview at their sites, not only their own.
  const scope = app.coordinator
    ? choices(t('cal.what'), 'scope', LISTS.FeedScope.map((s) => ({ value: s, label: t(`cal.scope.${s}`) })), 'mine')
    : null;
  const createOut = h('div');
  const listSec = h('section', { class: 'card', 'aria-labelledby': 'feeds-h' });
  main.append(
    h('h1', {}, t('cal.title')),
    h('p', {}, t('cal.intro')),
    h('div', { class: 'msg warn' }, h('p', {}, t('cal.warn'))),
    created,
    scope, create, createOut,
    listSec);

  let fresh = null;
  create.addEventListener('click', () => busy(create, async () => {
    createOut.replaceChildren();
    try {
      const feed = await post('/calendar-feeds', { scope: scope?.querySelector('input:checked')?.value || 'mine' });
      if (!live()) return;
      fresh = feed.id;
      showNew(feed);
      await showList();
    } catch (e) {
      if (live()) createOut.append(problem(e));
    }
  }));

  /** The new address, once: the QR code, the text and Copy. */
  function showNew(feed) {
    const address = h('textarea', {
      id: uid('a'), class: 'address', readonly: true, rows: 3, autocapitalize: 'off', spellcheck: 'false',
    });
    address.value = feed.url;
    const copied = h('div', { 'aria-live': 'polite' });
    const copy = h('button', { type: 'button', class: 'secondary big' }, t('cal.copy'));
    copy.addEventListener('click', async () => {
      copied.replaceChildren();
      try {
        await navigator.clipboard.writeText(feed.url);
        copied.append(status('ok', h('p', {}, t('cal.copied'))));
      } catch {
        // No clipboard (an older browser, or not allowed): the text is
        // selected, for the phone's own Copy.
        address.focus();
        address.select();
        address.setSelectionRange(0, feed.url.length);
        copied.append(status('info', h('p', {}, t('cal.selected'))));
      }
    });
    const qr = qrSvg(feed.qr_svg, t('cal.qr_alt'));
    clear(created, h('section', { class: 'card', 'aria-labelledby': 'new-h' },
      h('h2', { id: 'new-h', tabindex: -1 }, t('cal.new_title')),
      status('warn', h('p', {}, t('cal.once'))),
      h('p', {}, t('cal.how')),
      qr,
      h('div', { class: 'field' }, h('label', { for: address.id }, t('cal.address')), address),
      copy, copied));
    created.querySelector('h2').focus();
  }

  async function showList(note) {
    const { items } = await get('/calendar-feeds', { signal });
    if (!live()) return;
    const active = items.filter((f) => !f.revoked_at).sort((a, b) => b.created_at.localeCompare(a.created_at));
    clear(listSec,
      h('h2', { id: 'feeds-h' }, t('cal.list_title')),
      note ? status('ok', h('p', {}, note)) : null,
      active.length ? h('ul', { class: 'cards' }, active.map((f) => {
        const id = uid('feed');
        const revoke = h('button', { type: 'button', class: 'warn', 'aria-describedby': id }, t('cal.revoke'));
        revoke.addEventListener('click', () => busy(revoke, async () => {
          try {
            await del(`/calendar-feeds/${f.id}`);
            if (f.id === fresh) created.replaceChildren();
            await showList(t('cal.revoked'));
          } catch (e) {
            if (live()) listSec.append(problem(e));
          }
        }));
        return h('li', { class: 'card device' },
          h('p', { id }, h('strong', {}, t(`cal.scope.${f.scope}`)), ' · ', t('cal.made', { when: fmtDateTime(f.created_at, app.tz) }),
            f.id === fresh ? ` ${t('cal.this_one')}` : ''),
          revoke);
      })) : h('p', { class: 'empty' }, t('cal.none')));
  }

  await showList();
}
