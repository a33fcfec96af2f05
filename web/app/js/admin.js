// What the admin's desk screens share (sites, instruments, study, keys,
// audit): the admins-only gate, the desk layout (a list, then the chosen
// item on a phone; side by side from about 1024 px, CSS only), the server's
// field errors in the admin's words, and small form pieces. Loaded with the
// first of those screens, never with the shell.
import { ApiError } from './api.js';
import { t, words } from './i18n.js';
import { h, status, uid } from './ui.js';
import { problemAt, fieldWords } from './errors.js';
import './vocab.js';

words({
  en: {
    'adm.en': 'English',
    'adm.nb': 'Norwegian bokmål',
    'adm.nb_hint': 'Optional: without it, Norwegian screens show the English.',
    'adm.remove': 'Remove',
    'adm.saved': 'Saved.',
    'adm.up': 'Move up',
    'adm.down': 'Move down',
    'adm.err.tz': 'Choose a time zone from the list, e.g. Europe/Oslo.',
    'adm.err.time': 'Type a time, e.g. 08:00.',
    'adm.err.after_start': 'Closing must be after opening.',
    'adm.err.overlap': 'This window overlaps another one.',
    'adm.err.windows_max': 'At most 12 windows a day.',
    'adm.err.length': 'Fill this in (at most {n} characters).',
    'adm.err.code': 'Use only small letters a–z, digits and _.',
    'adm.err.twice': 'This is here twice.',
    'adm.err.score': 'A score is a whole number from -1000 to 1000.',
    'adm.err.items': 'A form has 1 to 50 items.',
    'adm.err.levels': 'An item has 1 to 30 answers.',
    'adm.err.single': '“One item only” needs exactly one item. Remove the others, or add up the scores.',
    'adm.err.min_max': '“To” must not be below “From”.',
    'adm.err.rules': 'A form has 1 to 30 rules.',
    'adm.err.no_ready': 'No rule gives READY, so no screening could ever pass. Add a rule that gives READY.',
    'adm.err.minutes': 'Type {a} to {b} minutes.',
    'adm.err.no_instrument': 'There is no such screening form. Remove it.',
    'adm.err.list': 'Choose 1 to 10 forms: readiness cannot be checked without one.',
    'adm.err.capacity_one': 'At most one capacity check: it counts after the others passed.',
    'adm.err.capacity_first': 'A capacity check needs an intoxication or sedation form before it.',
    'adm.err.closes': 'The wave must close on or after the day it opens (day 3650 at most).',
    'adm.err.days': 'Type a day from 0 to 3650.',
    'adm.err.wave_no': 'A wave number is 1 to 20.',
    'adm.err.waves': 'The study has 1 to 20 waves.',
    'adm.err.scope': 'Tick at least one thing the key may do.',
    'adm.err.admin_scope': 'Only an admin can give a key the admin scope.',
    'adm.err.key_stays': 'A version keeps the key of its form.',
    'adm.err.number': 'Type a whole number.',
    'adm.err.line': 'Keep this to one line.',
  },
  nb: {
    'adm.en': 'engelsk',
    'adm.nb': 'norsk bokmål',
    'adm.nb_hint': 'Valgfritt: uten den viser norske skjermer den engelske teksten.',
    'adm.remove': 'Fjern',
    'adm.saved': 'Lagret.',
    'adm.up': 'Flytt opp',
    'adm.down': 'Flytt ned',
    'adm.err.tz': 'Velg en tidssone fra listen, f.eks. Europe/Oslo.',
    'adm.err.time': 'Skriv et klokkeslett, f.eks. 08:00.',
    'adm.err.after_start': 'Stengetid må være etter åpningstid.',
    'adm.err.overlap': 'Denne åpningstiden overlapper en annen.',
    'adm.err.windows_max': 'Høyst 12 åpningstider om dagen.',
    'adm.err.length': 'Fyll ut dette (høyst {n} tegn).',
    'adm.err.code': 'Bruk bare små bokstaver a–z, sifre og _.',
    'adm.err.twice': 'Dette står her to ganger.',
    'adm.err.score': 'En poengsum er et helt tall fra -1000 til 1000.',
    'adm.err.items': 'Et skjema har 1 til 50 spørsmål.',
    'adm.err.levels': 'Et spørsmål har 1 til 30 svar.',
    'adm.err.single': '«Bare ett spørsmål» krever nøyaktig ett spørsmål. Fjern de andre, eller legg sammen poengene.',
    'adm.err.min_max': '«Til» kan ikke være lavere enn «Fra».',
    'adm.err.rules': 'Et skjema har 1 til 30 regler.',
    'adm.err.no_ready': 'Ingen regel gir KLAR, så ingen screening kan noen gang bli godkjent. Legg til en regel som gir KLAR.',
    'adm.err.minutes': 'Skriv {a} til {b} minutter.',
    'adm.err.no_instrument': 'Dette screeningskjemaet finnes ikke. Fjern det.',
    'adm.err.list': 'Velg 1 til 10 skjemaer: klarhet kan ikke vurderes uten.',
    'adm.err.capacity_one': 'Høyst én vurdering av samtykkekompetanse: den teller først når de andre er bestått.',
    'adm.err.capacity_first': 'En vurdering av samtykkekompetanse krever et rus- eller sedasjonsskjema foran seg.',
    'adm.err.closes': 'Bølgen må stenge samme dag som den åpner eller senere (høyst dag 3650).',
    'adm.err.days': 'Skriv en dag fra 0 til 3650.',
    'adm.err.wave_no': 'Et bølgenummer er fra 1 til 20.',
    'adm.err.waves': 'Studien har 1 til 20 bølger.',
    'adm.err.scope': 'Kryss av for minst én ting nøkkelen kan gjøre.',
    'adm.err.admin_scope': 'Bare en administrator kan gi en nøkkel administratortilgang.',
    'adm.err.key_stays': 'En versjon beholder nøkkelen til skjemaet sitt.',
    'adm.err.number': 'Skriv et helt tall.',
    'adm.err.line': 'Hold dette på én linje.',
  },
});

/** The last named segment of a pointer: `/items/3/levels` → `levels`. */
const fieldOf = (x) => (x.pointer || '').split('/').filter((seg) => seg && !/^\d+$/.test(seg)).pop() || '';

/**
 * The desk's own words for field error codes (see FIELD_WORDS in errors.js):
 * by code, and for a list by the field it counts.
 */
const DESK_WORDS = {
  time_zone: () => ['adm.err.tz'],
  time_of_day: () => ['adm.err.time'],
  not_after: (p) => (p.other === 'start' ? ['adm.err.after_start'] : null),
  overlaps: () => ['adm.err.overlap'],
  too_many: (p, x) => (fieldOf(x) === 'opening_hours' ? ['adm.err.windows_max'] : null),
  key_chars: () => ['adm.err.code'],
  length: (p) => ['adm.err.length', { n: p.max }],
  duplicate: () => ['adm.err.twice'],
  range: (p, x) => ({ score: ['adm.err.score'], opens_day: ['adm.err.days'], wave: ['adm.err.wave_no'] }[fieldOf(x)] || null),
  count: (p, x) => ({ items: ['adm.err.items'], levels: ['adm.err.levels'], rules: ['adm.err.rules'], waves: ['adm.err.waves'], consent: ['adm.err.list'], session: ['adm.err.list'] }[fieldOf(x)] || null),
  single_item: () => ['adm.err.single'],
  below: (p) => ({ min: ['adm.err.min_max'], opens_day: ['adm.err.closes'] }[p.other] || null),
  no_ready_rule: () => ['adm.err.no_ready'],
  minutes: (p) => ['adm.err.minutes', { a: p.min, b: p.max }],
  not_found: (p) => (p.thing === 'instrument' ? ['adm.err.no_instrument'] : null),
  capacity_at_most_one: () => ['adm.err.capacity_one'],
  capacity_needs_screen: () => ['adm.err.capacity_first'],
  scope_required: () => ['adm.err.scope'],
  admin_scope_forbidden: () => ['adm.err.admin_scope'],
  key_fixed: () => ['adm.err.key_stays'],
  invalid: () => ['adm.err.number'],
  one_line: () => ['adm.err.line'],
};

/**
 * Shows an API refusal at its fields (see problemAt), each field error in
 * the admin's words where this desk has its own for the code.
 */
export function refuse(e, controls, out, explain) {
  if (e instanceof ApiError) {
    for (const x of e.problem.errors || []) x.text ||= fieldWords(x, DESK_WORDS);
  }
  problemAt(e, controls, out, explain);
}

/**
 * The admins-only gate and the desk: the page heading, then a list column
 * and an item column. Returns null (having said so) for anyone else.
 */
export function desk(main, app, title, cls) {
  document.title = `${title} · Fieldnotes`;
  main.append(h('h1', {}, title));
  if (app.me.role !== 'admin') {
    main.append(status('error', h('p', {}, t('code.forbidden'))));
    return null;
  }
  const list = h('div', { class: 'desk-main' });
  const side = h('div', { class: 'desk-side' });
  main.append(h('div', { class: `desk ${cls}` }, list, side));
  return { list, side };
}

/** Runs `fn` (the screen's first load) with "Loading…" shown meanwhile. */
export async function loading(main, fn) {
  const note = h('p', { class: 'loading', role: 'status' }, t('loading'));
  main.append(note);
  try {
    return await fn();
  } finally {
    note.remove();
  }
}

/** Points the address at the chosen item without opening the screen again. */
export function address(name, id) {
  history.replaceState(history.state, '', `#/more/${name}${id ? `/${id}` : ''}`);
}

/** A saved note, announced. */
export const saved = (text = t('adm.saved')) => status('ok', h('p', {}, text));

/**
 * A saved note that goes as soon as `form` is edited again (typing, or a
 * button that adds, removes or moves a row), so "Saved." never stands beside
 * changes that are not saved.
 */
export function savedUntilEdited(form, text) {
  if (!text) return null;
  const note = saved(text);
  const drop = (ev) => {
    if (ev.type === 'input' || ev.target.closest?.('button[type=button]')) note.remove();
  };
  form.addEventListener('input', drop);
  form.addEventListener('click', drop);
  return note;
}

/** A number input; `value` null/undefined leaves it empty. */
export function number(name, value, attrs = {}) {
  return h('input', { type: 'number', name, inputmode: 'numeric', step: 1, value: value ?? '', ...attrs });
}

/**
 * What a number input holds, for the server: a whole number, or null when
 * empty, or else the text as typed (so the server names the field).
 */
export function whole(input) {
  const v = input.value.trim();
  if (v === '') return null;
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

/** A `{en, nb}` text's two inputs (or textareas), labelled `label` + language. */
export function textPair(label, value, { multiline = false, max = 500, hint } = {}) {
  const make = (l) => h(multiline ? 'textarea' : 'input', {
    ...(multiline ? { rows: 2 } : { type: 'text' }), lang: l, maxlength: max, value: value?.[l] ?? '',
  });
  const en = make('en');
  const nb = make('nb');
  const wrap = (c, l, extra) => {
    const id = c.id || (c.id = uid(l));
    const hintEl = extra ? h('p', { class: 'hint', id: `${id}-hint` }, extra) : null;
    if (hintEl) c.setAttribute('aria-describedby', hintEl.id);
    return h('div', { class: 'field' }, h('label', { for: id }, `${label} (${t(`adm.${l}`)})`), hintEl, c);
  };
  return {
    en, nb,
    els: [wrap(en, 'en', hint), wrap(nb, 'nb', t('adm.nb_hint'))],
    /** The text for the server: `en` always, `nb` only when given. */
    read: () => {
      const out = { en: en.value.trim() };
      if (nb.value.trim()) out.nb = nb.value.trim();
      return out;
    },
  };
}
