// Screening instruments (admins): every version, built-in or the study's
// own, with its items, answers and scores, how they add up, the rules that
// turn a result into READY, POSTPONE or STOP, and how long a screening
// counts. An admin enters the clinic's own form, corrects a version no
// screening has used yet, or makes a new version of any; a version used by
// a screening (or built in) never changes. The list, then the chosen
// version on a phone; side by side on a desk. Loaded only when opened.
import { get, post, api, ApiError } from '../api.js';
import { t, text, words } from '../i18n.js';
import { h, clear, field, choices, busy, uid, status } from '../ui.js';
import { desk, loading, refuse, address, saved, number, whole, textPair } from '../admin.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'instr.title': 'Screening instruments',
    'instr.list': 'Every version',
    'instr.new': 'Enter your clinic’s own form',
    'instr.key_version': '{key}, version {v}',
    'instr.builtin': 'Built in',
    'instr.own': 'The study’s own',
    'instr.in_use': 'In use',
    'instr.unused': 'Not used yet',
    'instr.newest': 'Newest',
    'instr.older': 'Older version',
    'kind.sedation': 'Sedation',
    'kind.intoxication': 'Intoxication',
    'kind.withdrawal': 'Withdrawal',
    'kind.capacity': 'Capacity to consent',
    'combine.sum': 'Add up the scores of all items',
    'combine.single_item': 'One item only: its score is the result',
    'instr.key': 'Key',
    'instr.kind': 'What it screens for',
    'instr.combine': 'How the answers make the result',
    'instr.validity': 'A screening counts for (minutes)',
    'instr.validity_n': { one: 'A screening counts for {n} minute.', other: 'A screening counts for {n} minutes.' },
    'instr.source': 'Where the form comes from',
    'instr.items': 'Items',
    'instr.required': 'Must be answered',
    'instr.optional': 'May be left out',
    'instr.answer': 'Answer',
    'instr.score': 'Score',
    'instr.not_assessed': 'Not assessed (counts as unanswered)',
    'instr.rules': 'Rules: what a result means',
    'instr.result': 'Result',
    'instr.gives': 'Gives',
    'instr.message': 'Message to the screener',
    'instr.immutable_builtin': 'Built-in forms never change. To adapt it, make a new version: it is then used for new screenings.',
    'instr.immutable_used': 'Screenings have used this version, so it can no longer change: they keep the version they used. Make a new version instead.',
    'instr.correct': 'Correct this version',
    'instr.make_version': 'Make a new version',
    'instr.form_new': 'Your clinic’s own form',
    'instr.form_new_intro': 'Type in the form the clinic uses: its items, the answers each allows with their scores, and the rules that say what a result means.',
    'instr.form_correct': 'Correct version {v}',
    'instr.form_correct_intro': 'No screening has used this version yet, so it can still be corrected.',
    'instr.form_version': 'New version {v} of {name}',
    'instr.form_version_intro': 'Starts as a copy of version {from}. Earlier versions stay as they were, with the screenings that used them; new screenings use the newest.',
    'instr.name': 'Name',
    'instr.key_hint': 'A short code for this form, shared by all its versions: small letters a–z, digits and _. It cannot change later.',
    'instr.key_stays': 'Key: {key} (the same in every version).',
    'instr.validity_hint': 'How long after a screening its verdict still counts, 1 to 1440 minutes. Usually 30.',
    'instr.source_hint': 'Optional, e.g. “The clinic’s intoxication score form, 2024. Not validated for consent readiness.”',
    'instr.item': 'Item {n}',
    'instr.question': 'Question',
    'instr.levels': 'Answers and their scores',
    'instr.levels_hint': 'Leave a score empty for an answer such as “not assessed”: it counts as unanswered, never as 0.',
    'instr.level': 'Answer {n}',
    'instr.add_level': 'Add an answer',
    'instr.remove_item': 'Remove this item',
    'instr.add_item': 'Add an item',
    'instr.rules_hint': 'The result is the total score (or the one item’s score). Each rule says what results from “From” to “To” (both included) give. A result no rule covers gives POSTPONE; at least one rule must give READY.',
    'instr.rule': 'Rule {n}',
    'instr.from': 'From',
    'instr.to': 'To',
    'instr.then': 'Then',
    'instr.add_rule': 'Add a rule',
    'instr.save_new': 'Save the form',
    'instr.save_correct': 'Save the correction',
    'instr.save_version': 'Save version {v}',
    'instr.as_version': 'Save what you typed as a new version',
    'instr.cancel': 'Cancel',
    'instr.created': '{name} is saved as version {v}.',
    'instr.corrected': 'Version {v} is corrected.',
    'code.instrument_in_use': 'A screening has used this version since you opened it, so it can no longer change. What you typed is kept: save it as a new version instead.',
    'code.instrument_immutable': 'Built-in forms never change. What you typed is kept: save it as a new version instead.',
    'code.instrument_key_taken': 'Another form already has this key. Choose another, or make a new version of that form.',
    'field.items': 'Items',
    'field.rules': 'Rules',
    'field.combine': 'How the answers make the result',
    'field.validity_minutes': 'Minutes a screening counts',
  },
  nb: {
    'instr.title': 'Screeningskjemaer',
    'instr.list': 'Alle versjoner',
    'instr.new': 'Legg inn klinikkens eget skjema',
    'instr.key_version': '{key}, versjon {v}',
    'instr.builtin': 'Innebygd',
    'instr.own': 'Studiens eget',
    'instr.in_use': 'I bruk',
    'instr.unused': 'Ikke brukt ennå',
    'instr.newest': 'Nyeste',
    'instr.older': 'Eldre versjon',
    'kind.sedation': 'Sedasjon',
    'kind.intoxication': 'Rus',
    'kind.withdrawal': 'Abstinens',
    'kind.capacity': 'Samtykkekompetanse',
    'combine.sum': 'Legg sammen poengene for alle spørsmålene',
    'combine.single_item': 'Bare ett spørsmål: poengene er resultatet',
    'instr.key': 'Nøkkel',
    'instr.kind': 'Hva det screener for',
    'instr.combine': 'Hvordan svarene gir resultatet',
    'instr.validity': 'En screening gjelder i (minutter)',
    'instr.validity_n': { one: 'En screening gjelder i {n} minutt.', other: 'En screening gjelder i {n} minutter.' },
    'instr.source': 'Hvor skjemaet kommer fra',
    'instr.items': 'Spørsmål',
    'instr.required': 'Må besvares',
    'instr.optional': 'Kan utelates',
    'instr.answer': 'Svar',
    'instr.score': 'Poeng',
    'instr.not_assessed': 'Ikke vurdert (telles som ubesvart)',
    'instr.rules': 'Regler: hva et resultat betyr',
    'instr.result': 'Resultat',
    'instr.gives': 'Gir',
    'instr.message': 'Melding til den som screener',
    'instr.immutable_builtin': 'Innebygde skjemaer endres aldri. Lag en ny versjon for å tilpasse det: den brukes da i nye screeninger.',
    'instr.immutable_used': 'Screeninger har brukt denne versjonen, så den kan ikke lenger endres: de beholder versjonen de brukte. Lag en ny versjon i stedet.',
    'instr.correct': 'Rett denne versjonen',
    'instr.make_version': 'Lag en ny versjon',
    'instr.form_new': 'Klinikkens eget skjema',
    'instr.form_new_intro': 'Skriv inn skjemaet klinikken bruker: spørsmålene, svarene hvert spørsmål tillater med poeng, og reglene som sier hva et resultat betyr.',
    'instr.form_correct': 'Rett versjon {v}',
    'instr.form_correct_intro': 'Ingen screening har brukt denne versjonen ennå, så den kan fortsatt rettes.',
    'instr.form_version': 'Ny versjon {v} av {name}',
    'instr.form_version_intro': 'Starter som en kopi av versjon {from}. Tidligere versjoner forblir som de var, sammen med screeningene som brukte dem; nye screeninger bruker den nyeste.',
    'instr.name': 'Navn',
    'instr.key_hint': 'En kort kode for skjemaet, felles for alle versjonene: små bokstaver a–z, sifre og _. Den kan ikke endres senere.',
    'instr.key_stays': 'Nøkkel: {key} (den samme i alle versjoner).',
    'instr.validity_hint': 'Hvor lenge etter en screening resultatet fortsatt gjelder, 1 til 1440 minutter. Vanligvis 30.',
    'instr.source_hint': 'Valgfritt, f.eks. «Klinikkens skåringsskjema for rus, 2024. Ikke validert for samtykkekompetanse.»',
    'instr.item': 'Spørsmål {n}',
    'instr.question': 'Spørsmål',
    'instr.levels': 'Svar og poeng',
    'instr.levels_hint': 'La poengene stå tomme for et svar som «ikke vurdert»: det telles som ubesvart, aldri som 0.',
    'instr.level': 'Svar {n}',
    'instr.add_level': 'Legg til et svar',
    'instr.remove_item': 'Fjern dette spørsmålet',
    'instr.add_item': 'Legg til et spørsmål',
    'instr.rules_hint': 'Resultatet er summen av poengene (eller poengene for det ene spørsmålet). Hver regel sier hva resultater fra «Fra» til «Til» (begge med) gir. Et resultat ingen regel dekker, gir UTSETT; minst én regel må gi KLAR.',
    'instr.rule': 'Regel {n}',
    'instr.from': 'Fra',
    'instr.to': 'Til',
    'instr.then': 'Da',
    'instr.add_rule': 'Legg til en regel',
    'instr.save_new': 'Lagre skjemaet',
    'instr.save_correct': 'Lagre rettelsen',
    'instr.save_version': 'Lagre versjon {v}',
    'instr.as_version': 'Lagre det du skrev som en ny versjon',
    'instr.cancel': 'Avbryt',
    'instr.created': '{name} er lagret som versjon {v}.',
    'instr.corrected': 'Versjon {v} er rettet.',
    'code.instrument_in_use': 'En screening har brukt denne versjonen etter at du åpnet den, så den kan ikke lenger endres. Det du skrev, er tatt vare på: lagre det som en ny versjon i stedet.',
    'code.instrument_immutable': 'Innebygde skjemaer endres aldri. Det du skrev, er tatt vare på: lagre det som en ny versjon i stedet.',
    'code.instrument_key_taken': 'Et annet skjema har allerede denne nøkkelen. Velg en annen, eller lag en ny versjon av det skjemaet.',
    'field.items': 'Spørsmål',
    'field.rules': 'Regler',
    'field.combine': 'Hvordan svarene gir resultatet',
    'field.validity_minutes': 'Minutter en screening gjelder',
  },
});

const KINDS = LISTS.Kind;
const OUTCOMES = LISTS.Outcome;

/** A code from free text: a–z, 0–9 and _ (æøå spelt out), at most `max` long. */
const slug = (s, max = 40) => s.toLowerCase().replace(/æ/g, 'ae').replace(/ø/g, 'o').replace(/å/g, 'a')
  .normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, max).replace(/_+$/, '');
/** `want`, or `want_2`, `want_3` … not in `taken` (which it joins). */
function fresh(want, taken) {
  let k = want;
  for (let n = 2; taken.has(k); n += 1) k = `${want}_${n}`;
  taken.add(k);
  return k;
}

const blankLevel = (score) => ({ label: { en: '' }, score });
const blankItem = () => ({ label: { en: '' }, required: true, levels: [blankLevel(0), blankLevel(1)] });
const blankDef = () => ({
  key: '', name: { en: '' }, kind: 'intoxication', combine: 'sum', validity_minutes: 30,
  items: [blankItem()],
  rules: OUTCOMES.map((outcome) => ({ min: null, max: null, outcome, message: { en: '' } })),
});

/** Both languages of a text, the Norwegian marked as such. */
const both = (v) => [h('span', { lang: 'en' }, v?.en || ''), v?.nb ? [h('br'), h('span', { lang: 'nb', class: 'sub' }, v.nb)] : null];

/**
 * A list of rows the admin adds to and removes from: `make(value, ctx)`
 * builds one (`{ el, legend, focus }`), `ctx.remove()` takes it out.
 * Legends are numbered with `legendKey`.
 */
function rows(legendKey, make, values) {
  const list = [];
  const box = h('div');
  const renumber = () => list.forEach((r, i) => { r.legend.textContent = t(legendKey, { n: i + 1 }); });
  const self = {
    box, list,
    add(v) {
      const r = make(v, { remove: () => { list.splice(list.indexOf(r), 1); r.el.remove(); renumber(); } });
      list.push(r);
      box.append(r.el);
      renumber();
      return r;
    },
  };
  values.forEach((v) => self.add(v));
  return self;
}

/** A Remove button described by the legend of its row. */
const removeBtn = (legend, label, fn, focusAfter) => h('button', {
  type: 'button', class: 'secondary', 'aria-describedby': legend.id,
  onclick: () => { fn(); focusAfter()?.focus(); },
}, label);

export async function render(main, { app, params, signal, live }) {
  const d = desk(main, app, t('instr.title'), 'instruments');
  if (!d) return;
  const listSec = h('section', { class: 'card desk-list', 'aria-labelledby': 'instr-h' });
  const showSec = h('section', { class: 'card instr-one', 'aria-labelledby': 'version-h', hidden: true });
  const formSec = h('section', { class: 'card instr-form', 'aria-labelledby': 'iform-h', hidden: true });
  const toNew = h('button', { type: 'button', class: 'secondary big' }, t('instr.new'));
  d.list.append(toNew, listSec);
  d.side.append(showSec, formSec);

  let all = [];
  let selected = null;
  const newest = (key) => Math.max(...all.filter((i) => i.key === key).map((i) => i.version));

  async function load() {
    const list = await get('/instruments', { signal });
    all = list.items;
  }

  const badges = (i, tag = 'span') => h(tag, { class: 'labels' },
    h('span', { class: 'state' }, t(`kind.${i.kind}`)), ' ',
    i.builtin ? h('span', { class: 'state peer' }, t('instr.builtin')) : h('span', { class: 'state peer' }, t('instr.own')), ' ',
    i.in_use ? h('span', { class: 'state st-completed' }, t('instr.in_use')) : h('span', { class: 'state q-pending' }, t('instr.unused')), ' ',
    i.version === newest(i.key) ? h('span', { class: 'state' }, t('instr.newest')) : h('span', { class: 'state st-cancelled' }, t('instr.older')));

  function showList() {
    clear(listSec,
      h('h2', { id: 'instr-h' }, t('instr.list')),
      h('ul', { class: 'cards' }, all.map((i) => h('li', {},
        h('button', {
          type: 'button', class: 'pick', 'aria-current': selected === i.id ? 'true' : false,
          'data-instrument': i.id, onclick: () => select(i.id),
        },
        h('strong', { class: 'who' }, text(i.name)),
        h('span', { class: 'sub' }, t('instr.key_version', { key: i.key, v: i.version })),
        badges(i))))));
  }

  function select(id, note) {
    selected = id;
    address('instruments', id);
    formSec.hidden = true;
    showList();
    showVersion(note);
    showSec.querySelector('h2')?.focus();
  }

  function showVersion(note) {
    const i = all.find((x) => x.id === selected);
    showSec.hidden = !i;
    if (!i) return;
    const editable = !i.builtin && !i.in_use;
    const correct = editable ? h('button', { type: 'button', class: 'secondary big', onclick: () => edit('correct', i) }, t('instr.correct')) : null;
    const version = h('button', { type: 'button', class: editable ? 'secondary big' : 'primary big', onclick: () => edit('version', i) }, t('instr.make_version'));
    clear(showSec,
      h('h2', { id: 'version-h', tabindex: -1 }, text(i.name)),
      note ? saved(note) : null,
      h('p', { class: 'sub' }, t('instr.key_version', { key: i.key, v: i.version })),
      badges(i, 'p'),
      editable ? null : status('info', h('p', {}, t(i.builtin ? 'instr.immutable_builtin' : 'instr.immutable_used'))),
      h('p', {}, t(`combine.${i.combine}`), '. ', t('instr.validity_n', { n: i.validity_minutes })),
      i.source ? h('p', { class: 'sub' }, text(i.source)) : null,
      h('h3', {}, t('instr.items')),
      i.items.map((it, n) => [
        h('h4', {}, `${n + 1}. `, both(it.label)),
        h('p', { class: 'sub' }, t(it.required === false ? 'instr.optional' : 'instr.required')),
        h('table', {},
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('instr.answer')), h('th', { scope: 'col' }, t('instr.score')))),
          h('tbody', {}, it.levels.map((l) => h('tr', {},
            h('th', { scope: 'row' }, both(l.label)),
            h('td', {}, l.score ?? t('instr.not_assessed'))))))]),
      h('h3', {}, t('instr.rules')),
      h('table', {},
        h('thead', {}, h('tr', {}, ['result', 'gives', 'message'].map((k) => h('th', { scope: 'col' }, t(`instr.${k}`))))),
        h('tbody', {}, i.rules.map((r) => h('tr', {},
          h('th', { scope: 'row' }, r.min === r.max ? String(r.min) : `${r.min} – ${r.max}`),
          h('td', {}, h('span', { class: `state o-${r.outcome}` }, t(`outcome.${r.outcome}`))),
          h('td', {}, both(r.message)))))),
      correct, version);
  }

  /**
   * The form: `mode` new (the clinic's own form), correct (version `base`
   * in place) or version (a new version from `base`).
   */
  function edit(mode, base) {
    const def = base ? structuredClone(base) : blankDef();
    const v = mode === 'version' ? newest(base.key) + 1 : base?.version;
    const name = textPair(t('instr.name'), def.name, { max: 500 });
    const key = mode === 'new' ? h('input', {
      type: 'text', name: 'key', maxlength: 40, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
      oninput: () => { key.dataset.typed = '1'; },
    }) : null;
    name.en.addEventListener('input', () => {
      if (key && !key.dataset.typed) key.value = slug(name.en.value);
    });
    const kind = h('select', { name: 'kind' }, KINDS.map((k) => h('option', { value: k, selected: def.kind === k }, t(`kind.${k}`))));
    const combine = choices(t('instr.combine'), uid('combine'), ['sum', 'single_item'].map((c) => ({ value: c, label: t(`combine.${c}`) })), def.combine);
    const validity = number('validity_minutes', def.validity_minutes ?? 30, { min: 1, max: 1440 });
    const source = textPair(t('instr.source'), def.source, { multiline: true, hint: t('instr.source_hint') });

    const itemRows = rows('instr.item', (it, ctx) => {
      const legend = h('legend', { id: uid('item') });
      const label = textPair(t('instr.question'), it.label);
      const reqId = uid('req');
      const req = h('input', { type: 'checkbox', id: reqId, name: 'required', checked: it.required !== false });
      const levelsLegend = h('legend', { id: uid('lv') }, t('instr.levels'));
      const levelRows = rows('instr.level', (l, lctx) => {
        const ll = h('legend', { id: uid('level') });
        const lt = textPair(t('instr.answer'), l.label);
        const score = number('score', l.score, { min: -1000, max: 1000 });
        const el = h('fieldset', { class: 'group' }, ll, lt.els, field(t('instr.score'), score),
          removeBtn(ll, t('adm.remove'), lctx.remove, () => addLevel));
        return { el, legend: ll, focus: lt.en, key: l.key, text: lt, score };
      }, it.levels);
      const addLevel = h('button', { type: 'button', class: 'secondary', 'aria-describedby': legend.id, onclick: () => levelRows.add(blankLevel(null)).focus.focus() }, t('instr.add_level'));
      const levels = h('fieldset', { class: 'levels' }, levelsLegend, h('p', { class: 'hint' }, t('instr.levels_hint')), levelRows.box, addLevel);
      const el = h('fieldset', { class: 'group item' }, legend, label.els,
        h('div', { class: 'check' }, req, h('label', { for: reqId }, t('instr.required'))),
        levels,
        removeBtn(legend, t('instr.remove_item'), ctx.remove, () => addItem));
      return { el, legend, focus: label.en, key: it.key, text: label, req, levels, levelRows };
    }, def.items);
    const addItem = h('button', { type: 'button', class: 'secondary', onclick: () => itemRows.add(blankItem()).focus.focus() }, t('instr.add_item'));
    const itemsFs = h('fieldset', { class: 'items' }, h('legend', {}, t('instr.items')), itemRows.box, addItem);

    const ruleRows = rows('instr.rule', (r, ctx) => {
      const legend = h('legend', { id: uid('rule') });
      const min = number('min', r.min);
      const max = number('max', r.max);
      const outcome = h('select', { name: 'outcome' }, OUTCOMES.map((o) => h('option', { value: o, selected: r.outcome === o }, t(`outcome.${o}`))));
      const msg = textPair(t('instr.message'), r.message);
      const el = h('fieldset', { class: 'group' }, legend,
        h('div', { class: 'row' }, field(t('instr.from'), min), field(t('instr.to'), max), field(t('instr.then'), outcome)),
        msg.els,
        removeBtn(legend, t('adm.remove'), ctx.remove, () => addRule));
      return { el, legend, focus: min, code: r.reason_code, min, max, outcome, msg };
    }, def.rules);
    const addRule = h('button', { type: 'button', class: 'secondary', onclick: () => ruleRows.add({ outcome: 'postpone' }).focus.focus() }, t('instr.add_rule'));
    const rulesFs = h('fieldset', { class: 'rules' }, h('legend', {}, t('instr.rules')),
      h('p', { class: 'hint' }, t('instr.rules_hint')), ruleRows.box, addRule);

    /** What the admin typed, as an InstrumentDef; new keys made from the words. */
    function read() {
      const k = key ? key.value.trim() : base.key;
      const itemKeys = new Set(itemRows.list.map((r) => r.key).filter(Boolean));
      const codes = new Set(ruleRows.list.map((r) => r.code).filter(Boolean));
      const out = {
        key: k,
        name: name.read(),
        kind: kind.value,
        combine: combine.querySelector('input:checked')?.value || 'sum',
        validity_minutes: whole(validity),
        items: itemRows.list.map((r, i) => {
          const levelKeys = new Set(r.levelRows.list.map((l) => l.key).filter(Boolean));
          return {
            key: r.key || fresh(slug(r.text.en.value) || `item_${i + 1}`, itemKeys),
            label: r.text.read(),
            required: r.req.checked,
            levels: r.levelRows.list.map((l) => {
              const score = whole(l.score);
              return { key: l.key || fresh(score === null ? 'not_assessed' : String(score), levelKeys), label: l.text.read(), score };
            }),
          };
        }),
        rules: ruleRows.list.map((r) => ({
          min: whole(r.min), max: whole(r.max), outcome: r.outcome.value,
          reason_code: r.code || fresh(slug(`${k}_${r.outcome.value}`, 50) || r.outcome.value, codes),
          message: r.msg.read(),
        })),
      };
      if (out.validity_minutes === null) delete out.validity_minutes;
      const src = source.read();
      if (src.en || src.nb) out.source = src;
      return out;
    }

    function controls() {
      const c = {
        name: name.en, 'name/en': name.en, 'name/nb': name.nb, ...(key ? { key } : {}), kind, combine, validity_minutes: validity,
        source: source.en, 'source/en': source.en, 'source/nb': source.nb, items: itemsFs, rules: rulesFs,
      };
      itemRows.list.forEach((r, i) => {
        const p = `items/${i}`;
        Object.assign(c, { [p]: r.el, [`${p}/label/en`]: r.text.en, [`${p}/label/nb`]: r.text.nb, [`${p}/levels`]: r.levels });
        r.levelRows.list.forEach((l, j) => Object.assign(c, {
          [`${p}/levels/${j}`]: l.el, [`${p}/levels/${j}/label/en`]: l.text.en, [`${p}/levels/${j}/label/nb`]: l.text.nb,
          [`${p}/levels/${j}/score`]: l.score,
        }));
      });
      ruleRows.list.forEach((r, i) => Object.assign(c, {
        [`rules/${i}`]: r.el, [`rules/${i}/min`]: r.min, [`rules/${i}/max`]: r.max, [`rules/${i}/outcome`]: r.outcome,
        [`rules/${i}/message/en`]: r.msg.en, [`rules/${i}/message/nb`]: r.msg.nb,
      }));
      return c;
    }

    const saveLabel = mode === 'new' ? t('instr.save_new') : mode === 'correct' ? t('instr.save_correct') : t('instr.save_version', { v });
    const save = h('button', { type: 'submit', class: 'primary big' }, saveLabel);
    const cancel = h('button', { type: 'button', class: 'secondary big', onclick: () => {
      formSec.hidden = true;
      (selected ? showSec.querySelector('h2') : toNew).focus();
    } }, t('instr.cancel'));
    const out = h('div');

    /** Saves `body` as a new version of `base`'s form. */
    const asVersion = (btn) => busy(btn, async () => {
      try {
        await done(await post(`/instruments/${base.id}/versions`, read()), 'instr.created');
      } catch (e) {
        if (live()) refuse(e, controls(), out);
      }
    });

    async function done(res, note) {
      await load();
      if (!live()) return;
      select(res.id, t(note, { name: text(res.name), v: res.version }));
    }

    const form = h('form', { novalidate: true },
      ...name.els,
      key ? field(t('instr.key'), key, t('instr.key_hint')) : h('p', {}, t('instr.key_stays', { key: base.key })),
      field(t('instr.kind'), kind),
      combine,
      field(t('instr.validity'), validity, t('instr.validity_hint')),
      ...source.els,
      itemsFs, rulesFs, out, save, cancel);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(save, async () => {
        try {
          if (mode === 'new') await done(await post('/instruments', read()), 'instr.created');
          else if (mode === 'correct') await done(await api('PUT', `/instruments/${base.id}`, read()), 'instr.corrected');
          else await done(await post(`/instruments/${base.id}/versions`, read()), 'instr.created');
        } catch (e) {
          if (!live()) return;
          refuse(e, controls(), out);
          // Changed under the admin's hands: what they typed becomes a new version.
          if (e instanceof ApiError && ['instrument_in_use', 'instrument_immutable'].includes(e.code)) {
            const again = h('button', { type: 'button', class: 'primary big' }, t('instr.as_version'));
            again.addEventListener('click', () => asVersion(again));
            out.append(again);
            save.hidden = true;
          }
        }
      });
    });

    const [title, intro] = mode === 'new' ? [t('instr.form_new'), t('instr.form_new_intro')]
      : mode === 'correct' ? [t('instr.form_correct', { v }), t('instr.form_correct_intro')]
        : [t('instr.form_version', { v, name: text(base.name) }), t('instr.form_version_intro', { from: base.version })];
    formSec.hidden = false;
    clear(formSec, h('h2', { id: 'iform-h', tabindex: -1 }, title), h('p', { class: 'hint' }, intro), form);
    formSec.querySelector('h2').focus();
  }

  toNew.addEventListener('click', () => {
    edit('new', null);
  });

  await loading(main, load);
  if (!live()) return;
  selected = all.some((i) => i.id === params.id) ? params.id : null;
  showList();
  showVersion();
}
