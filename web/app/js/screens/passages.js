// Retrieval by code (coordinators and admins): every passage coded with a
// code, and with the codes under it, across notes and transcripts, each with
// its source, participants, wave and date; filtered by site, source and
// period. What a researcher opens first when writing up a theme. Below, the
// codings that lost their words in an edit, each with a way to place it
// again in its text.
import { get, qs } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, busy } from '../ui.js';
import { fmtDateTime } from '../time.js';
import { load } from '../store.js';
import { problem } from '../errors.js';
import { deskTitle, period } from '../desk.js';
import { withDepth } from '../coding.js';

words({
  en: {
    'passages.title': 'Coded passages',
    'passages.intro': 'Everything coded with a code, in notes and transcripts, in date order.',
    'passages.code': 'Code',
    'passages.pick': 'Choose a code…',
    'passages.children': 'Include the codes under it',
    'passages.source': 'In',
    'passages.any_source': 'Notes and transcripts',
    'passages.site': 'Site',
    'passages.all_sites': 'All my sites',
    'passages.from': 'From',
    'passages.to': 'To',
    'passages.show': 'Show passages',
    'passages.found': { one: '{n} passage', other: '{n} passages' },
    'passages.none': 'No passage is coded with this code here.',
    'passages.more': 'Show more',
    'passages.choose_first': 'Choose a code to see its passages.',
    'passages.note': 'Field note',
    'passages.whole': 'Field note (coded whole)',
    'passages.transcript': 'Transcript, wave {n}',
    'passages.nobody': 'no participant named',
    'passages.as': 'coded “{code}”',
    'passages.open': 'Open the text',
    'passages.lost_title': 'Codings to place again',
    'passages.lost_hint': 'An edit took these words away. Open the text and select where each belongs now.',
    'passages.lost_none': 'None: every coding is on its words.',
    'passages.place': 'Place it again',
    'source.note': 'Notes',
    'source.transcript': 'Transcripts',
  },
  nb: {
    'passages.title': 'Kodede utdrag',
    'passages.intro': 'Alt som er kodet med en kode, i notater og transkripsjoner, etter dato.',
    'passages.code': 'Kode',
    'passages.pick': 'Velg en kode …',
    'passages.children': 'Ta med kodene under den',
    'passages.source': 'I',
    'passages.any_source': 'Notater og transkripsjoner',
    'passages.site': 'Sted',
    'passages.all_sites': 'Alle mine steder',
    'passages.from': 'Fra',
    'passages.to': 'Til',
    'passages.show': 'Vis utdrag',
    'passages.found': { one: '{n} utdrag', other: '{n} utdrag' },
    'passages.none': 'Ingen utdrag er kodet med denne koden her.',
    'passages.more': 'Vis flere',
    'passages.choose_first': 'Velg en kode for å se utdragene.',
    'passages.note': 'Feltnotat',
    'passages.whole': 'Feltnotat (kodet i sin helhet)',
    'passages.transcript': 'Transkripsjon, bølge {n}',
    'passages.nobody': 'ingen deltaker oppgitt',
    'passages.as': 'kodet «{code}»',
    'passages.open': 'Åpne teksten',
    'passages.lost_title': 'Kodinger som må plasseres på nytt',
    'passages.lost_hint': 'En endring fjernet disse ordene. Åpne teksten og merk hvor hver av dem hører hjemme nå.',
    'passages.lost_none': 'Ingen: alle kodinger står på ordene sine.',
    'passages.place': 'Plasser den på nytt',
    'source.note': 'Notater',
    'source.transcript': 'Transkripsjoner',
  },
});

const PAGE = 50;

/** Where a passage is read in full (with `place`, to place a coding again). */
export function textHref(p, place) {
  const q = place ? `?place=${place}` : '';
  return p.transcript_id ? `#/more/transcripts/${p.transcript_id}${q}` : `#/notes/${p.note_id}/passages${q}`;
}

export async function render(main, { app, params, query, signal, live }) {
  if (!deskTitle(main, app, 'passages.title')) return;
  main.append(h('p', { class: 'sub' }, t('passages.intro')));
  const codes = withDepth((await load('codes', '/codes', signal)).items);
  if (!live()) return;
  const f = {
    code: params.id || '',
    children: query.get('children') !== '0',
    site: query.get('site') || '',
    source: query.get('source') || '',
    from: query.get('from') || '',
    to: query.get('to') || '',
  };
  const code = h('select', { name: 'code_id', required: true },
    h('option', { value: '' }, t('passages.pick')),
    codes.map((c) => h('option', { value: c.id, selected: c.id === f.code }, `${'\u2003'.repeat(c.depth)}${c.name}`)));
  const children = h('input', { type: 'checkbox', id: 'ps-children', name: 'children', checked: f.children });
  const site = h('select', { name: 'site' }, h('option', { value: '' }, t('passages.all_sites')),
    app.sites.map((s) => h('option', { value: s.id, selected: s.id === f.site }, s.name)));
  const source = h('select', { name: 'source' }, h('option', { value: '' }, t('passages.any_source')),
    ['note', 'transcript'].map((s) => h('option', { value: s, selected: s === f.source }, t(`source.${s}`))));
  const from = h('input', { type: 'date', name: 'from', value: f.from });
  const to = h('input', { type: 'date', name: 'to', value: f.to });
  const form = h('form', { class: 'card filters', role: 'search' },
    field(t('passages.code'), code),
    h('div', { class: 'check' }, children, h('label', { for: 'ps-children' }, t('passages.children'))),
    h('div', { class: 'row' },
      app.sites.length > 1 ? field(t('passages.site'), site) : null,
      field(t('passages.source'), source)),
    h('div', { class: 'row' }, field(t('passages.from'), from), field(t('passages.to'), to)),
    h('button', { type: 'submit', class: 'primary' }, t('passages.show')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!code.value) return code.focus();
    location.hash = `#/more/passages/${code.value}${qs({
      children: children.checked ? '' : '0', site: site.value, source: source.value, from: from.value, to: to.value,
    })}`;
  });
  const results = h('section', { class: 'passages-found', 'aria-labelledby': 'ps-h' });
  const lost = h('section', { class: 'card', 'aria-labelledby': 'lost-h' });
  main.append(h('div', { class: 'desk report' }, form, lost, h('div', { class: 'wide' }, results)));

  const codeName = (id) => codes.find((c) => c.id === id)?.name || '—';
  const tzOf = (siteId) => app.site(siteId)?.timezone || app.tz;
  function item(p) {
    const what = p.source === 'transcript' ? t('passages.transcript', { n: p.wave })
      : p.coding_id ? t('passages.note') : t('passages.whole');
    const who = p.participants.map((x) => x.pseudonym).join(', ') || t('passages.nobody');
    return h('li', { class: 'card' },
      h('blockquote', {}, p.quote),
      h('p', { class: 'meta' }, [what, who, fmtDateTime(p.date, tzOf(p.site_id)), app.sites.length > 1 ? app.site(p.site_id)?.name : null]
        .filter(Boolean).join(' · ')),
      p.code_id !== f.code ? h('p', { class: 'meta' }, t('passages.as', { code: codeName(p.code_id) })) : null,
      h('p', {}, h('a', { class: 'tap', href: textHref(p) }, t('passages.open'))));
  }

  // The codings to place again: few, and the first thing to fix.
  get(`/codings${qs({ anchored: 'false', limit: 200 })}`, { signal }).then((page) => {
    if (!live()) return;
    clear(lost, h('h2', { id: 'lost-h' }, t('passages.lost_title')),
      page.items.length ? [
        h('p', { class: 'hint' }, t('passages.lost_hint')),
        h('ul', { class: 'cards' }, page.items.map((c) => h('li', { class: 'card' },
          h('blockquote', {}, c.quote),
          h('p', { class: 'meta' }, h('span', { class: 'chip' }, codeName(c.code_id))),
          h('p', {}, h('a', { class: 'tap', href: textHref(c, c.id) }, t('passages.place')))))),
      ] : h('p', { class: 'empty' }, t('passages.lost_none')));
  }).catch((e) => live() && clear(lost, problem(e)));

  if (!f.code) {
    results.append(h('h2', { id: 'ps-h', class: 'vh' }, t('passages.title')), h('p', { class: 'hint' }, t('passages.choose_first')));
    return;
  }
  const span = period(f.from, f.to, f.site ? tzOf(f.site) : app.tz);
  const page = (cursor) => get(`/passages${qs({
    code_id: f.code, children: f.children ? '' : 'false', site_id: f.site, source: f.source,
    from: span.from, to: span.to, limit: PAGE, cursor,
  })}`, { signal });
  const count = h('small', {});
  const list = h('ol', { class: 'cards' });
  const more = h('button', { type: 'button', class: 'secondary big', hidden: true }, t('passages.more'));
  const moreOut = h('div');
  clear(results, h('h2', { id: 'ps-h' }, codeName(f.code), ' ', count), list, more, moreOut);
  let next = null;
  const show = (p) => {
    list.append(...p.items.map(item));
    count.textContent = t('passages.found', { n: p.total });
    next = p.next_cursor;
    more.hidden = !next;
    if (!p.total) list.replaceWith(h('p', { class: 'empty' }, t('passages.none')));
  };
  more.addEventListener('click', () => busy(more, async () => {
    clear(moreOut);
    try {
      const from = list.children.length;
      const p = await page(next);
      if (!live()) return;
      show(p);
      list.children[from]?.querySelector('a')?.focus();
    } catch (e) {
      if (live()) moreOut.append(problem(e));
    }
  }));
  try {
    const first = await page();
    if (live()) show(first);
  } catch (e) {
    if (live()) results.append(problem(e));
  }
}
