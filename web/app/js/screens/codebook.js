// The codebook (coordinators and admins): the codes as a tree of nested
// lists; choose a code (or the top level) to add codes under it, rename it,
// describe it, set its dimension, move it, merge it into another code or
// delete it. Typing a codebook is fast: the field to add codes keeps its focus,
// Enter adds a code and stays for the next, Shift+Enter adds one and goes on
// under it, Escape goes up a level. The tree beside the chosen code from
// 1024 px (CSS only); on a phone the tree, then the code. Below, the codebook
// as a REFI-QDA file (.qdc): exported, or imported at the top level or under
// the chosen code after a dry run says what it would add.
import { post, api, del, qs, ApiError } from '../api.js';
import { t, lang, words } from '../i18n.js';
import { h, clear, field, status, busy, uid } from '../ui.js';
import { cache } from '../store.js';
import { problem, problemAt, fieldWords } from '../errors.js';
import { deskTitle } from '../desk.js';
import '../vocab.js';

words({
  en: {
    'codebook.title': 'Codebook',
    'codebook.intro': 'The study’s codes as a tree. Choose a code to add codes under it or to change it.',
    'codebook.codes': 'Codes',
    'codebook.count': { one: '{n} code', other: '{n} codes' },
    'codebook.top': 'Top level',
    'codebook.empty': 'No codes yet.',
    'codebook.under': 'Under {path}',
    'codebook.up': 'Up to {name}',
    'codebook.add_title': 'Add codes',
    'codebook.new_top': 'New top-level code',
    'codebook.new_under': 'New code under “{name}”',
    'codebook.keys': 'Enter adds the code and keeps you here for the next one. Shift+Enter adds it and goes on to codes under it. Escape goes up a level.',
    'codebook.add': 'Add',
    'codebook.added': 'Added “{name}” under “{parent}”.',
    'codebook.added_top': 'Added “{name}” at the top level.',
    'codebook.not_added': 'Not added: “{name}”.',
    'codebook.change_title': 'Name, description and dimension',
    'codebook.name': 'Name',
    'codebook.description': 'Description',
    'codebook.dimension': 'Dimension',
    'codebook.dimension_hint': 'Medical, relational, configurational, or the study’s own word. Leave it empty for none.',
    'codebook.save': 'Save',
    'codebook.saved': 'Saved.',
    'codebook.move_title': 'Move',
    'codebook.order_at': 'Place {n} of {of} at this level.',
    'codebook.earlier': 'Move earlier',
    'codebook.later': 'Move later',
    'codebook.ordered': 'Now place {n} of {of}.',
    'codebook.move_to': 'Move “{name}” under',
    'codebook.move': 'Move',
    'codebook.moved': 'Moved under “{parent}”.',
    'codebook.moved_top': 'Moved to the top level.',
    'codebook.merge_title': 'Merge into another code',
    'codebook.merge_hint': 'Everything coded with “{name}” gets the code you choose, then “{name}” is deleted.',
    'codebook.merge_into': 'Merge “{name}” into',
    'codebook.choose': 'Choose a code…',
    'codebook.merge': 'Merge',
    'codebook.merged': '“{from}” was merged into this code: its codings are now this code’s.',
    'codebook.delete_title': 'Delete',
    'codebook.delete': 'Delete “{name}”',
    'codebook.delete_sure': 'Delete “{name}” for good?',
    'codebook.delete_yes': 'Yes, delete it',
    'codebook.keep': 'Keep it',
    'codebook.in_use': 'Codings with “{name}” in notes or transcripts: {n}. Choose a code to move them to; then “{name}” is deleted.',
    'codebook.move_codings': 'Move its codings to',
    'codebook.move_and_delete': 'Move the codings and delete',
    'codebook.deleted': 'Deleted “{name}”.',
    'codebook.pick': 'Choose a code…',
    'dim.medical': 'medical',
    'dim.relational': 'relational',
    'dim.configurational': 'configurational',
    'code.code_name_taken': 'There is already a code with this name at this place in the tree.',
    'code.code_in_use': 'Notes or transcripts are coded with this code. Move its codings to another code first.',
    'code.code_has_children': 'This code has codes under it. Move or delete them first.',
    'code.code_used_elsewhere': 'Notes at sites you do not work at use this code. An admin, or a coordinator of every site that uses it, can change, merge or delete it.',
    'codebook.err.children': 'Codes under it: {n}. Move or delete them first.',
    'codebook.err.under_itself': 'A code cannot go under itself or under a code below it. Choose another place.',
    'codebook.err.merge_self': 'Choose another code: a code cannot be merged into itself, and the chosen code may have been deleted.',
    'codebook.err.name_length': 'A name has 1 to 120 characters.',
    'codebook.file_title': 'Codebook files (REFI-QDA)',
    'codebook.file_hint': 'Exchange the codebook with NVivo, ATLAS.ti, MAXQDA or QualCoder.',
    'codebook.export': 'Export codebook (.qdc)',
    'codebook.exported': 'Downloaded {file}.',
    'codebook.import_title': 'Import a codebook file',
    'codebook.import_file': 'Codebook file (.qdc)',
    'codebook.import_under': 'Import under',
    'codebook.under_hint': 'To import under a code, choose it in the codebook first.',
    'codebook.would_add': { one: 'To be added: {n} code', other: 'To be added: {n} codes' },
    'codebook.there': 'Already there, not added again: {n}',
    'codebook.problems': 'The file cannot be imported as it is:',
    'codebook.problem_at': 'Code {n} in the file: {text}',
    'codebook.nothing_new': 'Nothing to add: every code in the file is already there.',
    'codebook.import': { one: 'Import {n} code', other: 'Import {n} codes' },
    'codebook.cancel': 'Cancel',
    'codebook.imported': { one: 'Imported {n} code.', other: 'Imported {n} codes.' },
    'code.codebook_empty': 'The codebook has no codes yet, so there is nothing to export.',
    'code.qdc_unreadable': 'This is not a codebook file that can be read. Choose a REFI-QDA codebook (.qdc) saved as UTF-8.',
  },
  nb: {
    'codebook.title': 'Kodebok',
    'codebook.intro': 'Studiens koder som et tre. Velg en kode for å legge til koder under den eller endre den.',
    'codebook.codes': 'Koder',
    'codebook.count': { one: '{n} kode', other: '{n} koder' },
    'codebook.top': 'Øverste nivå',
    'codebook.empty': 'Ingen koder ennå.',
    'codebook.under': 'Under {path}',
    'codebook.up': 'Opp til {name}',
    'codebook.add_title': 'Legg til koder',
    'codebook.new_top': 'Ny kode på øverste nivå',
    'codebook.new_under': 'Ny kode under «{name}»',
    'codebook.keys': 'Enter legger til koden, og du blir her for å skrive den neste. Shift+Enter legger den til og går videre til koder under den. Escape går opp ett nivå.',
    'codebook.add': 'Legg til',
    'codebook.added': 'La til «{name}» under «{parent}».',
    'codebook.added_top': 'La til «{name}» på øverste nivå.',
    'codebook.not_added': 'Ikke lagt til: «{name}».',
    'codebook.change_title': 'Navn, beskrivelse og dimensjon',
    'codebook.name': 'Navn',
    'codebook.description': 'Beskrivelse',
    'codebook.dimension': 'Dimensjon',
    'codebook.dimension_hint': 'Medisinsk, relasjonell, konfigurasjonell, eller studiens eget ord. La feltet stå tomt for ingen.',
    'codebook.save': 'Lagre',
    'codebook.saved': 'Lagret.',
    'codebook.move_title': 'Flytt',
    'codebook.order_at': 'Plass {n} av {of} på dette nivået.',
    'codebook.earlier': 'Flytt tidligere',
    'codebook.later': 'Flytt senere',
    'codebook.ordered': 'Nå plass {n} av {of}.',
    'codebook.move_to': 'Flytt «{name}» under',
    'codebook.move': 'Flytt',
    'codebook.moved': 'Flyttet under «{parent}».',
    'codebook.moved_top': 'Flyttet til øverste nivå.',
    'codebook.merge_title': 'Slå sammen med en annen kode',
    'codebook.merge_hint': 'Alt som er kodet med «{name}», får koden du velger, og så slettes «{name}».',
    'codebook.merge_into': 'Slå «{name}» sammen med',
    'codebook.choose': 'Velg en kode …',
    'codebook.merge': 'Slå sammen',
    'codebook.merged': '«{from}» ble slått sammen med denne koden: kodingene er nå denne kodens.',
    'codebook.delete_title': 'Slett',
    'codebook.delete': 'Slett «{name}»',
    'codebook.delete_sure': 'Slette «{name}» for godt?',
    'codebook.delete_yes': 'Ja, slett den',
    'codebook.keep': 'Behold den',
    'codebook.in_use': 'Kodinger med «{name}» i notater eller transkripsjoner: {n}. Velg en kode å flytte dem til; så slettes «{name}».',
    'codebook.move_codings': 'Flytt kodingene til',
    'codebook.move_and_delete': 'Flytt kodingene og slett',
    'codebook.deleted': 'Slettet «{name}».',
    'codebook.pick': 'Velg en kode …',
    'dim.medical': 'medisinsk',
    'dim.relational': 'relasjonell',
    'dim.configurational': 'konfigurasjonell',
    'code.code_name_taken': 'Det finnes allerede en kode med dette navnet på dette stedet i treet.',
    'code.code_in_use': 'Notater eller transkripsjoner er kodet med denne koden. Flytt kodingene til en annen kode først.',
    'code.code_has_children': 'Denne koden har koder under seg. Flytt eller slett dem først.',
    'code.code_used_elsewhere': 'Notater ved steder du ikke arbeider ved, bruker denne koden. En administrator, eller en koordinator ved alle stedene som bruker den, kan endre, slå sammen eller slette den.',
    'codebook.err.children': 'Koder under den: {n}. Flytt eller slett dem først.',
    'codebook.err.under_itself': 'En kode kan ikke ligge under seg selv eller under en kode som ligger under den. Velg et annet sted.',
    'codebook.err.merge_self': 'Velg en annen kode: en kode kan ikke slås sammen med seg selv, og koden du valgte kan være slettet.',
    'codebook.err.name_length': 'Et navn har 1 til 120 tegn.',
    'codebook.file_title': 'Kodebokfiler (REFI-QDA)',
    'codebook.file_hint': 'Utveksle kodeboken med NVivo, ATLAS.ti, MAXQDA eller QualCoder.',
    'codebook.export': 'Eksporter kodeboken (.qdc)',
    'codebook.exported': 'Lastet ned {file}.',
    'codebook.import_title': 'Importer en kodebokfil',
    'codebook.import_file': 'Kodebokfil (.qdc)',
    'codebook.import_under': 'Importer under',
    'codebook.under_hint': 'For å importere under en kode, velg den i kodeboken først.',
    'codebook.would_add': { one: 'Blir lagt til: {n} kode', other: 'Blir lagt til: {n} koder' },
    'codebook.there': 'Finnes allerede, legges ikke til på nytt: {n}',
    'codebook.problems': 'Filen kan ikke importeres slik den er:',
    'codebook.problem_at': 'Kode {n} i filen: {text}',
    'codebook.nothing_new': 'Ingenting å legge til: alle kodene i filen finnes allerede.',
    'codebook.import': { one: 'Importer {n} kode', other: 'Importer {n} koder' },
    'codebook.cancel': 'Avbryt',
    'codebook.imported': { one: 'Importerte {n} kode.', other: 'Importerte {n} koder.' },
    'code.codebook_empty': 'Kodeboken har ingen koder ennå, så det er ingenting å eksportere.',
    'code.qdc_unreadable': 'Dette er ikke en kodebokfil som kan leses. Velg en REFI-QDA-kodebok (.qdc) lagret som UTF-8.',
  },
});

const DIMENSIONS = ['medical', 'relational', 'configurational'];

/** A dimension in words: the three of the source paper translated, the study's own words as they are. */
const dimWords = (d) => (DIMENSIONS.includes(d) ? t(`dim.${d}`) : d);

/** The server's refusals of codebook changes in the user's words, at the field they concern. */
function explain(p) {
  const x = p.errors?.[0];
  if (p.code === 'code_has_children') return { at: 'move_to', text: t('codebook.err.children', { n: p.children ?? '' }) };
  if (p.code === 'code_name_taken') return { at: 'name', text: t('code.code_name_taken') };
  if (x?.code === 'code_cycle') return { at: 'parent_id', text: t('codebook.err.under_itself') };
  if (x?.pointer === '/move_to') return { at: 'move_to', text: t('codebook.err.merge_self') };
  if (x?.pointer === '/name' && ['length', 'required'].includes(x.code)) return { at: 'name', text: t('codebook.err.name_length') };
  return null;
}

export async function render(main, { app, signal, live }) {
  if (!deskTitle(main, app, 'codebook.title')) return;
  main.append(h('p', { class: 'hint' }, t('codebook.intro')));
  const treeSec = h('section', { class: 'card desk-list', 'aria-labelledby': 'cb-h' });
  const itemSec = h('section', { class: 'card desk-item', 'aria-labelledby': 'cb-item-h' });
  const fileSec = h('section', { class: 'card', 'aria-labelledby': 'cb-file-h' });
  main.append(h('div', { class: 'desk codebook' }, treeSec, itemSec), fileSec);

  /** Every code by id: { id, name, parent_id, description, dimension }. */
  const codes = new Map();
  /** The chosen place: a code's id, or null for the top level. */
  let place = null;
  const collator = new Intl.Collator(lang() === 'nb' ? 'nb' : 'en');
  // Siblings in the team's order (Table 1's, not the alphabet's).
  const kids = (pid) => [...codes.values()].filter((c) => (c.parent_id || null) === pid)
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || collator.compare(a.name, b.name));
  const path = (id) => {
    const names = [];
    for (let c = codes.get(id); c; c = codes.get(c.parent_id)) names.unshift(c.name);
    return names.join(' › ');
  };
  /** The codes in tree order, for the choices of where to move or merge. */
  const ordered = (pid = null) => kids(pid).flatMap((c) => [c, ...ordered(c.id)]);
  // The note form on the phones reads the codebook kept at sign-in: keep it current.
  const keep = () => cache('codes', { items: ordered() });

  function put(c) {
    const { children, ...code } = c;
    codes.set(code.id, code);
    for (const k of children || []) put({ ...k, parent_id: k.parent_id ?? code.id });
  }

  // ---- the tree -------------------------------------------------------
  const count = h('small', {});
  const top = h('button', { type: 'button', class: 'code top', onclick: () => open(null, { focus: 'head' }) }, t('codebook.top'));
  const tree = h('div', {});
  clear(treeSec, h('h2', { id: 'cb-h' }, t('codebook.codes'), ' ', count), top, tree);

  function branch(pid) {
    const list = kids(pid);
    if (!list.length) return null;
    return h('ul', { class: pid ? null : 'tree' }, list.map((c) => h('li', {},
      h('button', {
        type: 'button', class: 'code', 'data-code': c.id, 'aria-current': c.id === place ? 'true' : false,
        onclick: () => open(c.id, { focus: 'head' }),
      }, h('span', { class: 'name' }, c.name), c.dimension ? h('span', { class: 'dim' }, dimWords(c.dimension)) : null),
      branch(c.id))));
  }

  function showTree() {
    count.textContent = t('codebook.count', { n: codes.size });
    top.setAttribute('aria-current', place === null ? 'true' : 'false');
    clear(tree, branch(null) || h('p', { class: 'empty' }, t('codebook.empty')));
    showUnder();
  }

  // ---- the chosen place -----------------------------------------------
  /** Adding codes is sequential: each waits for the one before, so typing never waits. */
  let adding = Promise.resolve();
  /** While a code added with Shift+Enter is on its way, the keys pressed meanwhile wait for its place. */
  let deep = null;
  let view = null;

  /**
   * A key of the field that adds codes: `kind` 'enter', 'deeper' or 'up'; `name`
   * what was typed when it was pressed. Waits for a code added with
   * Shift+Enter, so that what follows goes under it.
   */
  function press(kind, name) {
    if (!deep) return view.act(kind, name);
    deep.then((ok) => {
      if (!live()) return;
      if (ok) press(kind, name);
      // Its place was refused: what was typed for it is named, not lost.
      else if (name.trim()) view.out.append(h('p', { class: 'field-error' }, t('codebook.not_added', { name: name.trim() })));
    });
  }

  /**
   * Shows the top level (`id` null) or a code. `carry`: text typed in the
   * field to add codes, taken along; `focus`: 'head' or 'add'; `say`: a
   * message to show.
   */
  function open(id, { carry = '', focus = null, say = null } = {}) {
    place = id && codes.has(id) ? id : null;
    showTree();
    view = place ? codeView(codes.get(place)) : topView();
    clear(itemSec, ...view.nodes);
    if (say) itemSec.querySelector('h2').after(status('ok', h('p', {}, say)));
    view.input.value = carry;
    if (focus === 'add') view.input.focus();
    if (focus === 'head') itemSec.querySelector('h2').focus();
  }

  /** The field that adds codes under `pid`, and its messages. */
  function adder(pid) {
    const parent = pid && codes.get(pid);
    const input = h('input', { type: 'text', name: 'name', autocomplete: 'off', maxlength: 120, enterkeyhint: 'enter' });
    const keys = h('p', { class: 'hint', id: uid('keys') }, t('codebook.keys'));
    const btn = h('button', { type: 'submit', class: 'primary' }, t('codebook.add'));
    const said = h('div', { role: 'status', class: 'added' });
    const out = h('div');
    const form = h('form', { class: 'inline add', novalidate: true },
      field(parent ? t('codebook.new_under', { name: parent.name }) : t('codebook.new_top'), input), btn);
    input.setAttribute('aria-describedby', keys.id);

    /** Adds `typed` under `pid`; `deeper`: then goes on under the new code. */
    function add(typed, deeper) {
      const name = typed.trim();
      if (!name) return;
      const job = adding.then(async () => {
        const c = await post('/codes', { name, parent_id: pid || null });
        codes.set(c.id, c);
        keep();
        if (live()) showTree();
        return c;
      });
      adding = job.catch(() => {});
      const done = job.then((c) => {
        if (!live()) return false;
        if (deeper) {
          open(c.id, { carry: view.input.value, focus: view.input === document.activeElement ? 'add' : null });
        } else if (view.input === input) {
          problemAt(null, { name: input }, out);
          clear(said, pid ? t('codebook.added', { name: c.name, parent: codes.get(pid)?.name || '' }) : t('codebook.added_top', { name: c.name }));
        }
        return true;
      }, (e) => {
        if (!live() || e?.name === 'AbortError') return false;
        // Nothing typed is lost: the name comes back into the field, or is
        // named in the message when something else was typed since.
        const v = view.input;
        const typedSince = v.value.trim() !== '';
        if (!typedSince) v.value = typed;
        clear(view.said);
        problemAt(e, { name: v }, view.out, explain);
        if (typedSince) view.out.append(h('p', { class: 'field-error' }, t('codebook.not_added', { name })));
        return false;
      });
      if (deeper) {
        deep = done;
        done.then(() => { if (deep === done) deep = null; });
      }
    }

    function act(kind, name) {
      if (kind === 'up') {
        if (pid) open(codes.get(pid)?.parent_id || null, { carry: view.input.value, focus: 'add' });
      } else {
        add(name, kind === 'deeper');
      }
    }

    input.addEventListener('keydown', (ev) => {
      const kind = ev.key === 'Enter' && !ev.isComposing ? (ev.shiftKey ? 'deeper' : 'enter') : ev.key === 'Escape' ? 'up' : null;
      if (!kind) return;
      ev.preventDefault();
      const name = kind === 'up' ? '' : input.value;
      if (kind !== 'up') input.value = '';
      press(kind, name);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const name = input.value;
      input.value = '';
      press('enter', name);
      input.focus();
    });
    return { nodes: [h('h3', {}, t('codebook.add_title')), keys, form, said, out], input, said, out, act };
  }

  function topView() {
    const a = adder(null);
    return {
      ...a,
      nodes: [h('h2', { id: 'cb-item-h', tabindex: -1 }, t('codebook.top')), ...a.nodes],
    };
  }

  /** The choices of codes, each by its path; `skip` left out; `first` the empty choice. */
  function targets(select, skip, first) {
    const was = select.value;
    clear(select, first ? h('option', { value: '' }, first) : null,
      ordered().filter((c) => !skip.includes(c.id)).map((c) => h('option', { value: c.id, selected: c.id === was }, path(c.id))));
  }

  function codeView(c) {
    const a = adder(c.id);
    const head = h('h2', { id: 'cb-item-h', tabindex: -1 }, c.name);
    const where = h('p', { class: 'sub' });
    const up = h('button', { type: 'button', class: 'secondary' });
    const showWhere = () => {
      const me = codes.get(c.id);
      head.textContent = me.name;
      const parent = codes.get(me.parent_id);
      where.textContent = parent ? t('codebook.under', { path: path(parent.id) }) : t('codebook.top');
      up.textContent = t('codebook.up', { name: parent ? parent.name : t('codebook.top') });
    };
    showWhere();
    up.addEventListener('click', () => open(codes.get(c.id).parent_id || null, { focus: 'head' }));

    /** After a change: the tree, the place, the choices of codes. */
    const changed = (code) => {
      codes.set(code.id, code);
      keep();
      showTree();
      showWhere();
      targets(moveTo, [c.id], t('codebook.top'));
      targets(mergeTo, [c.id], t('codebook.choose'));
    };

    // Name, description, dimension.
    const name = h('input', { type: 'text', name: 'name', value: c.name, maxlength: 120, autocomplete: 'off', required: true });
    const description = h('textarea', { name: 'description', rows: 3, maxlength: 2000 }, c.description || '');
    const listId = uid('dims');
    const dimension = h('input', { type: 'text', name: 'dimension', value: c.dimension || '', maxlength: 60, list: listId, autocomplete: 'off' });
    const inUse = [...new Set([...codes.values()].map((x) => x.dimension).filter((d) => d && !DIMENSIONS.includes(d)))];
    const dims = h('datalist', { id: listId }, [...DIMENSIONS, ...inUse].map((d) => h('option', { value: d }, dimWords(d))));
    const save = h('button', { type: 'submit', class: 'primary' }, t('codebook.save'));
    const saveOut = h('div');
    const edit = h('form', { novalidate: true },
      h('h3', {}, t('codebook.change_title')),
      field(t('codebook.name'), name),
      field(t('codebook.description'), description),
      field(t('codebook.dimension'), dimension, t('codebook.dimension_hint')), dims,
      save, saveOut);
    edit.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(save, async () => {
        try {
          const code = await api('PATCH', `/codes/${c.id}`, {
            name: name.value.trim(), description: description.value.trim() || null, dimension: dimension.value.trim() || null,
          });
          if (!live()) return;
          changed(code);
          problemAt(null, { name, description, dimension }, saveOut);
          saveOut.append(status('ok', h('p', {}, t('codebook.saved'))));
        } catch (e) {
          if (live()) problemAt(e, { name, description, dimension }, saveOut, explain);
        }
      });
    });

    // Move under another code, or to the top level.
    const moveTo = h('select', { name: 'parent_id' });
    // Never under itself or its own children (a circle the server refuses).
    const below = (id) => kids(id).flatMap((k) => [k.id, ...below(k.id)]);
    targets(moveTo, [c.id, ...below(c.id)], t('codebook.top'));
    moveTo.value = c.parent_id || '';
    const moveBtn = h('button', { type: 'submit', class: 'secondary' }, t('codebook.move'));
    const moveOut = h('div');
    // Its place among its siblings: earlier or later, as Table 1 lists them.
    const orderOut = h('div', { 'aria-live': 'polite' });
    const step = (by) => async (ev) => {
      const btn = ev.currentTarget;
      const me = codes.get(c.id);
      const row = kids(me.parent_id || null);
      const at = row.findIndex((x) => x.id === c.id) + by;
      if (at < 0 || at >= row.length) return;
      await busy(btn, async () => {
        try {
          await api('PATCH', `/codes/${c.id}`, { position: at });
          // The siblings moved too: read the order back.
          const { items } = await api('GET', '/codes', undefined, { signal });
          if (!live()) return;
          for (const x of items) codes.set(x.id, { ...x, parent_id: x.parent_id || null });
          keep();
          showTree();
          showOrder();
          clear(orderOut, status('ok', h('p', {}, t('codebook.ordered', { n: at + 1, of: row.length }))));
          btn.focus();
        } catch (e) {
          if (live()) clear(orderOut, problem(e));
        }
      });
    };
    const earlier = h('button', { type: 'button', class: 'secondary', onclick: step(-1) }, t('codebook.earlier'));
    const later = h('button', { type: 'button', class: 'secondary', onclick: step(1) }, t('codebook.later'));
    const orderAt = h('p', { class: 'hint' });
    const showOrder = () => {
      const me = codes.get(c.id);
      const row = kids(me.parent_id || null);
      const i = row.findIndex((x) => x.id === c.id);
      orderAt.textContent = t('codebook.order_at', { n: i + 1, of: row.length });
      earlier.disabled = i <= 0;
      later.disabled = i >= row.length - 1;
    };
    showOrder();
    const move = h('form', { novalidate: true },
      h('h3', {}, t('codebook.move_title')),
      orderAt, h('div', { class: 'row' }, earlier, later), orderOut,
      field(t('codebook.move_to', { name: c.name }), moveTo), moveBtn, moveOut);
    move.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(moveBtn, async () => {
        try {
          const code = await api('PATCH', `/codes/${c.id}`, { parent_id: moveTo.value || null });
          if (!live()) return;
          changed(code);
          showOrder();
          problemAt(null, { parent_id: moveTo }, moveOut);
          const parent = codes.get(code.parent_id);
          moveOut.append(status('ok', h('p', {}, parent ? t('codebook.moved', { parent: parent.name }) : t('codebook.moved_top'))));
        } catch (e) {
          if (live()) problemAt(e, { parent_id: moveTo }, moveOut, explain);
        }
      });
    });

    // Merge: delete this code with its codings moved to the other.
    const mergeTo = h('select', { name: 'move_to' });
    targets(mergeTo, [c.id], t('codebook.choose'));
    const mergeBtn = h('button', { type: 'submit', class: 'secondary' }, t('codebook.merge'));
    const mergeOut = h('div');
    const merge = h('form', { novalidate: true },
      h('h3', {}, t('codebook.merge_title')),
      field(t('codebook.merge_into', { name: c.name }), mergeTo, t('codebook.merge_hint', { name: c.name })), mergeBtn, mergeOut);
    merge.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!mergeTo.value) {
        problemAt(new ApiError(422, { errors: [{ pointer: '/move_to', text: t('form.required') }] }), { move_to: mergeTo }, mergeOut);
        return;
      }
      busy(mergeBtn, () => remove(mergeTo.value, { move_to: mergeTo }, mergeOut, true));
    });

    // Delete; the server says when its codings must go to another code first.
    const delOut = h('div');
    const delBtn = h('button', { type: 'button', class: 'warn' }, t('codebook.delete', { name: c.name }));
    const delSec = h('div', {}, h('h3', {}, t('codebook.delete_title')), delBtn, delOut);
    // One question: the server says first how much the code is used.
    delBtn.addEventListener('click', () => busy(delBtn, async () => {
      let use;
      try {
        use = await api('GET', `/codes/${c.id}/usage`);
      } catch (e) {
        if (live()) clear(delOut, problem(e));
        return;
      }
      if (!live()) return;
      const name = codes.get(c.id).name;
      if (use.children) return clear(delOut, status('error', h('p', {}, t('codebook.err.children', { n: use.children }))));
      if (use.used_elsewhere) return clear(delOut, status('error', h('p', {}, t('code.code_used_elsewhere'))));
      if (use.codings) return askWhere(use.codings);
      const yes = h('button', { type: 'button', class: 'warn' }, t('codebook.delete_yes'));
      const no = h('button', { type: 'button', class: 'secondary' }, t('codebook.keep'));
      clear(delOut, h('p', { id: uid('sure') }, t('codebook.delete_sure', { name })), h('div', { class: 'row' }, yes, no));
      delBtn.hidden = true;
      yes.focus();
      no.addEventListener('click', () => {
        clear(delOut);
        delBtn.hidden = false;
        delBtn.focus();
      });
      yes.addEventListener('click', () => busy(yes, () => remove(null, {}, delOut)));
    }));

    /**
     * Deletes this code, its codings moved to `into` first (null: none).
     * A code still in use asks where its codings go.
     */
    async function remove(into, controls, out, merging = false) {
      const gone = codes.get(c.id);
      try {
        await del(`/codes/${c.id}${into ? `?move_to=${encodeURIComponent(into)}` : ''}`);
        if (!live()) return;
        codes.delete(c.id);
        keep();
        if (merging) open(into, { focus: 'head', say: t('codebook.merged', { from: gone.name }) });
        else open(gone.parent_id || null, { focus: 'head', say: t('codebook.deleted', { name: gone.name }) });
      } catch (e) {
        if (!live()) return;
        if (!merging && e instanceof ApiError && e.code === 'code_in_use') return askWhere(e.problem.count);
        problemAt(e, controls, out, explain);
        delBtn.hidden = false;
      }
    }

    function askWhere(n) {
      const to = h('select', { name: 'move_to' });
      targets(to, [c.id], t('codebook.pick'));
      const go = h('button', { type: 'submit', class: 'warn' }, t('codebook.move_and_delete'));
      const out = h('div');
      const keepIt = h('button', { type: 'button', class: 'secondary', onclick: () => { clear(delOut); delBtn.hidden = false; delBtn.focus(); } }, t('codebook.keep'));
      const form = h('form', { novalidate: true },
        status('info', h('p', {}, t('codebook.in_use', { name: codes.get(c.id).name, n: n ?? '' }))),
        field(t('codebook.move_codings'), to), h('div', { class: 'row' }, go, keepIt), out);
      delBtn.hidden = true;
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        if (!to.value) {
          problemAt(new ApiError(422, { errors: [{ pointer: '/move_to', text: t('form.required') }] }), { move_to: to }, out);
          return;
        }
        busy(go, () => remove(to.value, { move_to: to }, out, false));
      });
      clear(delOut, form);
      to.focus();
    }

    return {
      ...a,
      nodes: [head, where, up, ...a.nodes, edit, move, merge, delSec],
    };
  }

  // ---- the codebook as a file (REFI-QDA .qdc) -----------------------
  const said = h('div', { 'aria-live': 'polite' });
  const exportBtn = h('button', { type: 'button', class: 'secondary' }, t('codebook.export'));
  exportBtn.addEventListener('click', () => busy(exportBtn, async () => {
    clear(said);
    try {
      const { blob } = await api('GET', '/exports/codebook.qdc', undefined, {
        blob: true, signal, headers: { Accept: 'application/xml, application/problem+json' },
      });
      if (!live()) return;
      // Fetched with the sign-in, handed to the browser as a file.
      const a = h('a', { href: URL.createObjectURL(blob), download: 'codebook.qdc', hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 30000);
      said.append(status('ok', h('p', {}, t('codebook.exported', { file: 'codebook.qdc' }))));
    } catch (e) {
      if (live()) said.append(problem(e));
    }
  }));
  const file = h('input', { type: 'file', name: 'file', accept: '.qdc,.xml,application/xml,text/xml' });
  const under = h('select', { name: 'under' });
  const plan = h('div');
  const result = h('div', { 'aria-live': 'polite' });
  clear(fileSec, h('h2', { id: 'cb-file-h' }, t('codebook.file_title')), h('p', { class: 'hint' }, t('codebook.file_hint')),
    exportBtn, said, h('h3', {}, t('codebook.import_title')),
    field(t('codebook.import_file'), file), field(t('codebook.import_under'), under, t('codebook.under_hint')), plan, result);

  /** The choices of where to import: the top level, or the chosen code (kept as the choice while codes are chosen). */
  function showUnder() {
    const was = under.value;
    clear(under, h('option', { value: '' }, t('codebook.top')), place ? h('option', { value: place }, path(place)) : null);
    under.value = was && place ? place : '';
    if (under.value !== was) check();
  }

  /** Sends the file to the server: a dry run, or (`real`) the import. */
  const send = (real) => api('POST', `/codes/import${qs({ dry_run: !real || null, under: under.value })}`, file.files[0], {
    signal, headers: { 'Content-Type': 'application/xml' },
  });
  const paths = (items) => h('ul', {}, items.map((x) => h('li', {}, x.path)));
  /** A problem of the file by the code's place in it (`/codes/2/name`: the third). */
  const problemLine = (x) => {
    const n = /^\/codes\/(\d+)/.exec(x.pointer || '')?.[1];
    return h('li', {}, n ? t('codebook.problem_at', { n: Number(n) + 1, text: fieldWords(x) }) : fieldWords(x));
  };
  const reset = () => {
    file.value = '';
    problemAt(null, { under }, plan);
  };
  let asked = 0;

  /** What importing the chosen file would do, with the button to do it. */
  async function check() {
    const n = ++asked;
    problemAt(null, { under }, plan);
    if (!file.files?.length) return;
    clear(result);
    try {
      show(await send(false));
    } catch (e) {
      if (live() && n === asked) fail(e);
    }

    function show(r) {
      if (!live() || n !== asked) return;
      const go = h('button', { type: 'button', class: 'primary' }, t('codebook.import', { n: r.created.length }));
      const no = h('button', { type: 'button', class: 'secondary', onclick: () => { reset(); file.focus(); } }, t('codebook.cancel'));
      const ok = !r.problems.length;
      clear(plan, ok ? status('info',
        r.created.length ? [h('p', {}, t('codebook.would_add', { n: r.created.length })), paths(r.created)] : h('p', {}, t('codebook.nothing_new')),
        r.existing.length ? [h('p', {}, t('codebook.there', { n: r.existing.length })), paths(r.existing)] : null)
        : status('error', h('p', {}, t('codebook.problems')), h('ul', {}, r.problems.map(problemLine))),
      h('div', { class: 'row' }, ok && r.created.length ? go : null, no));
      go.addEventListener('click', () => busy(go, async () => {
        try {
          const done = await send(true);
          if (!live()) return;
          reset();
          clear(result, status('ok', h('p', {}, t('codebook.imported', { n: done.created.length })),
            done.existing.length ? h('p', {}, t('codebook.there', { n: done.existing.length })) : null));
          file.focus();
          await load();
          if (live()) open(place);
        } catch (e) {
          if (live()) fail(e);
        }
      }));
    }

    function fail(e) {
      const errs = (e instanceof ApiError && e.problem.errors) || [];
      if (errs.length && errs.every((x) => x.pointer?.startsWith('/codes'))) show({ created: [], existing: [], problems: errs });
      else problemAt(e, { under }, plan);
    }
  }
  file.addEventListener('change', check);
  under.addEventListener('change', check);

  /** The codebook from the server, as a tree. */
  async function load() {
    const { items } = await api('GET', '/codes?tree=true', undefined, { signal });
    if (!live()) return;
    codes.clear();
    for (const c of items) put({ ...c, parent_id: c.parent_id || null });
    keep();
  }

  // ---- start ----------------------------------------------------------
  const loading = h('p', { class: 'loading', role: 'status' }, t('loading'));
  tree.append(loading);
  try {
    await load();
  } catch (e) {
    if (live()) clear(tree, problem(e));
    return;
  }
  if (!live()) return;
  open(null);
}
