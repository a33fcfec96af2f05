// Passage coding of one text, a note or a transcript: the text with its
// coded passages highlighted, the codes of each passage beside it, and a way
// to code selected words with one or more codes, to remove a coding, and to
// place again a coding whose words an edit took away.
//
// The text is a textarea that refuses every edit, over a layer of highlights laid out
// exactly like it: the textarea gives selection as every browser does it,
// with a mouse, by touch (press and drag the handles) and by keyboard
// (Shift and the arrow keys), and its selection offsets are exact. The API
// counts Unicode code points; the textarea counts UTF-16 units; `offsets`
// converts. Loaded by the analysis screens only, never with the shell.
import { api, del, post } from './api.js';
import { t, words } from './i18n.js';
import { h, clear, status, busy, checkboxes, uid } from './ui.js';
import { problem } from './errors.js';

words({
  en: {
    'coding.text': 'The text. Select words in it to code them.',
    'coding.keys': 'Select words with the mouse, by pressing and dragging, or with Shift and the arrow keys; then choose “Code the selected words”.',
    'coding.none_selected': 'No words selected.',
    'coding.selected': 'Selected: “{quote}”',
    'coding.code_them': 'Code the selected words',
    'coding.pick': 'Codes for “{quote}”',
    'coding.apply': 'Code them',
    'coding.cancel': 'Cancel',
    'coding.pick_one': 'Choose at least one code.',
    'coding.coded': { one: 'Coded with {n} code.', other: 'Coded with {n} codes.' },
    'coding.passages': 'Coded passages',
    'coding.passages_n': { one: '{n} coded passage', other: '{n} coded passages' },
    'coding.no_passages': 'Nothing in this text is coded yet.',
    'coding.show': 'Show in the text',
    'coding.remove': 'Remove',
    'coding.remove_label': 'Remove “{code}” from “{quote}”',
    'coding.removed': 'Removed “{code}”.',
    'coding.lost': 'Codings that lost their words',
    'coding.lost_hint': 'An edit took these words away or made them appear twice. Select the words where the coding belongs now, then place it.',
    'coding.place': 'Place again',
    'coding.placing': 'Placing “{code}” (was “{quote}”): select the words, then choose “Place here”.',
    'coding.place_here': 'Place here',
    'coding.placed': 'Placed.',
    'coding.no_codes': 'The codebook has no codes yet.',
    'coding.whole': 'whole text',
  },
  nb: {
    'coding.text': 'Teksten. Merk ord i den for å kode dem.',
    'coding.keys': 'Merk ord med musen, ved å trykke og dra, eller med Shift og piltastene; velg så «Kod de merkede ordene».',
    'coding.none_selected': 'Ingen ord er merket.',
    'coding.selected': 'Merket: «{quote}»',
    'coding.code_them': 'Kod de merkede ordene',
    'coding.pick': 'Koder for «{quote}»',
    'coding.apply': 'Kod dem',
    'coding.cancel': 'Avbryt',
    'coding.pick_one': 'Velg minst én kode.',
    'coding.coded': { one: 'Kodet med {n} kode.', other: 'Kodet med {n} koder.' },
    'coding.passages': 'Kodede utdrag',
    'coding.passages_n': { one: '{n} kodet utdrag', other: '{n} kodede utdrag' },
    'coding.no_passages': 'Ingenting i denne teksten er kodet ennå.',
    'coding.show': 'Vis i teksten',
    'coding.remove': 'Fjern',
    'coding.remove_label': 'Fjern «{code}» fra «{quote}»',
    'coding.removed': 'Fjernet «{code}».',
    'coding.lost': 'Kodinger som har mistet ordene sine',
    'coding.lost_hint': 'En endring fjernet disse ordene eller fikk dem til å stå to ganger. Merk ordene der kodingen hører hjemme nå, og plasser den.',
    'coding.place': 'Plasser på nytt',
    'coding.placing': 'Plasserer «{code}» (var «{quote}»): merk ordene, og velg «Plasser her».',
    'coding.place_here': 'Plasser her',
    'coding.placed': 'Plassert.',
    'coding.no_codes': 'Kodeboken har ingen koder ennå.',
    'coding.whole': 'hele teksten',
  },
});

/** Converts between code points (the API's positions) and UTF-16 units (the browser's). */
export function offsets(text) {
  const units = [0];
  let u = 0;
  for (const ch of text) {
    u += ch.length;
    units.push(u);
  }
  const points = units.length - 1;
  return {
    points,
    toUnits: (cp) => units[Math.max(0, Math.min(cp, points))],
    /** The code point at or before UTF-16 offset `i`. */
    toPoints: (i) => {
      let lo = 0;
      let hi = points;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (units[mid] <= i) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}

/** Codes in the codebook's order (the API lists them depth first) with their depth. */
export function withDepth(codes) {
  const by = new Map(codes.map((c) => [c.id, c]));
  const depth = (c) => {
    let d = 0;
    for (let p = c.parent_id; p && by.has(p) && d < 10; p = by.get(p).parent_id) d += 1;
    return d;
  };
  return codes.map((c) => ({ ...c, depth: depth(c) }));
}

const short = (s, n = 80) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);

/**
 * The coding pane of a text. `kind` is 'notes' or 'transcripts' and `id`
 * the text's id; `canCode` says whether this person may code it;
 * `codes` is the codebook; `placing` a coding id to place again at once;
 * `level` the level of the pane's headings.
 * Returns the pane's element.
 */
export function codingPane({ kind, id, text, codings, codes, canCode, placing, live, level = 3 }) {
  const off = offsets(text);
  const ordered = withDepth(codes);
  const codeName = (cid) => codes.find((c) => c.id === cid)?.name || '—';
  const hintId = uid('ch');
  const marks = h('div', { class: 'passage-marks', 'aria-hidden': 'true' });
  // Not `readonly`: Chromium gives a read-only textarea no caret, so the
  // keyboard could not select in it. Every edit is refused instead, and
  // `inputmode=none` keeps a phone's keyboard away.
  const area = h('textarea', {
    class: 'passage-text', spellcheck: 'false', rows: 2, inputmode: 'none', autocomplete: 'off', 'aria-readonly': 'true',
    'aria-label': t('coding.text'), 'aria-describedby': canCode ? hintId : false,
  });
  area.value = text;
  area.addEventListener('beforeinput', (ev) => ev.preventDefault());
  area.addEventListener('input', () => {
    // An edit no browser let us refuse (some input methods): undone.
    if (area.value !== text) area.value = text;
  });
  // Setting the value puts the caret at the end: a keyboard starts at the beginning.
  area.setSelectionRange(0, 0);
  const box = h('div', { class: 'passage' }, marks, area);
  const said = h('div', { 'aria-live': 'polite' });
  const chosen = h('p', { class: 'selected', 'aria-live': 'polite' }, t('coding.none_selected'));
  const codeBtn = h('button', { type: 'button', class: 'primary big', disabled: true }, t('coding.code_them'));
  const picker = h('div', { class: 'code-picker' });
  const tools = canCode ? h('div', { class: 'coding-tools' }, h('p', { class: 'hint', id: hintId }, t('coding.keys')), chosen, codeBtn, picker) : null;
  const list = h('section', { class: 'coded', 'aria-labelledby': `${hintId}-h` });
  const lost = h('section', { class: 'lost' });
  const el = h('div', { class: 'coding' }, box, tools, said, list, lost);
  let current = codings;
  let placingNow = placing ? codings.find((c) => c.id === placing && !c.anchored) : null;

  // ---- the highlights, laid out like the text --------------------------
  function paint() {
    const spans = current.filter((c) => c.anchored && c.end > c.start);
    const cuts = new Set([0, off.points]);
    for (const c of spans) {
      cuts.add(Math.min(c.start, off.points));
      cuts.add(Math.min(c.end, off.points));
    }
    const at = [...cuts].sort((a, b) => a - b);
    const parts = [];
    for (let i = 0; i + 1 < at.length; i += 1) {
      const [a, b] = [at[i], at[i + 1]];
      const words = text.slice(off.toUnits(a), off.toUnits(b));
      const n = spans.filter((c) => c.start <= a && c.end >= b).length;
      parts.push(n ? h('mark', { class: n > 1 ? 'many' : false }, words) : words);
    }
    // A last empty line is kept by the textarea: keep it here too.
    clear(marks, parts, '\u00a0');
  }
  function fit() {
    area.style.height = 'auto';
    // scrollHeight has the padding; the borders come on top (border-box).
    area.style.height = `${area.scrollHeight + area.offsetHeight - area.clientHeight}px`;
  }
  if (typeof ResizeObserver === 'function') new ResizeObserver(() => fit()).observe(box);

  // ---- selection ---------------------------------------------------------
  /** The selection in code points, without the spaces at its ends; null if none. */
  function selection() {
    let [a, b] = [area.selectionStart, area.selectionEnd];
    while (a < b && /\s/.test(area.value[a])) a += 1;
    while (b > a && /\s/.test(area.value[b - 1])) b -= 1;
    if (b <= a) return null;
    const [start, end] = [off.toPoints(a), off.toPoints(b)];
    return end > start ? { start, end, quote: text.slice(off.toUnits(start), off.toUnits(end)) } : null;
  }
  function selected() {
    if (!canCode) return;
    const s = selection();
    chosen.textContent = s ? t('coding.selected', { quote: short(s.quote) }) : t('coding.none_selected');
    codeBtn.disabled = !s;
  }
  for (const ev of ['select', 'keyup', 'pointerup', 'touchend', 'focus']) area.addEventListener(ev, selected);
  document.addEventListener('selectionchange', () => document.activeElement === area && selected());

  function show(c) {
    area.focus();
    area.setSelectionRange(off.toUnits(c.start), off.toUnits(c.end));
    selected();
  }

  // ---- coding the selected words ---------------------------------------
  function openPicker() {
    const s = selection();
    if (!s) return;
    if (placingNow) return place(s);
    if (!ordered.length) {
      clear(picker, status('error', h('p', {}, t('coding.no_codes'))));
      return;
    }
    const boxes = checkboxes(t('coding.pick', { quote: short(s.quote, 60) }), 'code', ordered.map((c) => ({ value: c.id, label: c.name })), []);
    boxes.querySelectorAll('.choice').forEach((row, i) => row.classList.add(`depth-${Math.min(ordered[i].depth, 3)}`));
    const out = h('div');
    const apply = h('button', { type: 'submit', class: 'primary' }, t('coding.apply'));
    const form = h('form', { class: 'card' }, boxes, h('div', { class: 'row' }, apply,
      h('button', { type: 'button', class: 'secondary', onclick: () => { clear(picker); area.focus(); } }, t('coding.cancel'))), out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const ids = [...form.querySelectorAll('input[name=code]:checked')].map((i) => i.value);
      if (!ids.length) {
        clear(out, status('error', h('p', {}, t('coding.pick_one'))));
        return;
      }
      busy(apply, async () => {
        clear(out);
        let done = 0;
        for (const code of ids) {
          try {
            await post(`/${kind}/${id}/codings`, { code_id: code, start: s.start, end: s.end });
            done += 1;
          } catch (e) {
            out.append(problem(e));
          }
        }
        if (done) await reload(t('coding.coded', { n: done }));
        if (done === ids.length) clear(picker);
      });
    });
    clear(picker, form);
    boxes.querySelector('input')?.focus();
  }
  codeBtn.addEventListener('click', openPicker);

  async function place(s) {
    const c = placingNow;
    await busy(codeBtn, async () => {
      try {
        await api('PATCH', `/codings/${c.id}`, { start: s.start, end: s.end });
        placingNow = null;
        await reload(t('coding.placed'));
      } catch (e) {
        clear(said, problem(e));
      }
    });
  }

  async function reload(note) {
    const fresh = await api('GET', `/${kind}/${id}/codings`);
    if (live && !live()) return;
    current = fresh.items;
    draw();
    clear(said, note ? status('ok', h('p', {}, note)) : null);
  }

  // ---- the passages and the lost codings --------------------------------
  function draw() {
    paint();
    requestAnimationFrame(fit);
    const anchored = current.filter((c) => c.anchored);
    const groups = new Map();
    for (const c of anchored) {
      const k = `${c.start}:${c.end}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(c);
    }
    const headId = `${hintId}-h`;
    clear(list, h(`h${level}`, { id: headId }, t('coding.passages'), ' ', h('small', {}, t('coding.passages_n', { n: groups.size }))),
      groups.size
        ? h('ol', { class: 'cards passages' }, [...groups.values()].map((cs) => h('li', { class: 'card' },
          h('blockquote', {}, cs[0].quote),
          h('ul', { class: 'codes-of' }, cs.map((c) => h('li', {},
            h('span', { class: 'chip' }, codeName(c.code_id)),
            canCode ? h('button', {
              type: 'button', class: 'link',
              'aria-label': t('coding.remove_label', { code: codeName(c.code_id), quote: short(c.quote, 40) }),
              onclick: (ev) => busy(ev.currentTarget, async () => {
                try {
                  await del(`/codings/${c.id}`);
                  await reload(t('coding.removed', { code: codeName(c.code_id) }));
                } catch (e) {
                  clear(said, problem(e));
                }
              }),
            }, t('coding.remove')) : null))),
          h('button', { type: 'button', class: 'link', onclick: () => show(cs[0]) }, t('coding.show')))))
        : h('p', { class: 'empty' }, t('coding.no_passages')));
    const loose = current.filter((c) => !c.anchored);
    clear(lost, loose.length ? [
      h(`h${level}`, {}, t('coding.lost')),
      h('p', { class: 'hint' }, t('coding.lost_hint')),
      h('ul', { class: 'cards' }, loose.map((c) => h('li', { class: `card${placingNow?.id === c.id ? ' placing' : ''}`, 'data-coding': c.id },
        h('blockquote', {}, c.quote),
        h('p', {}, h('span', { class: 'chip' }, codeName(c.code_id))),
        canCode ? h('button', { type: 'button', class: 'secondary', onclick: () => startPlacing(c) }, t('coding.place')) : null))),
    ] : null);
    if (canCode) {
      codeBtn.textContent = placingNow ? t('coding.place_here') : t('coding.code_them');
      chosen.previousSibling.textContent = placingNow
        ? t('coding.placing', { code: codeName(placingNow.code_id), quote: short(placingNow.quote, 40) })
        : t('coding.keys');
    }
  }
  function startPlacing(c) {
    placingNow = c;
    clear(picker);
    draw();
    area.focus();
  }

  draw();
  return el;
}
