// Small DOM helpers: elements are built with h(), never from HTML strings,
// so nothing a user or the server typed can run as code.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let seq = 0;
/** A unique id for label/aria wiring. */
export const uid = (p = 'f') => `${p}${++seq}`;

/** A labelled form field; `control` is an input, select or textarea. */
export function field(label, control, hint) {
  const id = control.id || (control.id = uid());
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, control);
}

/** A group of large radio choices. */
export function choices(legend, name, options, selected, onchange) {
  return h('fieldset', { class: 'choices' },
    h('legend', {}, legend),
    options.map((o) => {
      const id = uid('c');
      return h('div', { class: 'choice' },
        h('input', { type: 'radio', id, name, value: o.value, checked: o.value === selected, required: true, onchange }),
        h('label', { for: id }, o.label));
    }));
}

export function checkboxes(legend, name, options, selected, hideLegend = false) {
  return h('fieldset', { class: 'choices compact' },
    h('legend', { class: hideLegend ? 'vh' : false }, legend),
    options.length === 0 ? h('p', { class: 'hint' }, '—') : null,
    options.map((o) => {
      const id = uid('k');
      return h('div', { class: 'choice' },
        h('input', { type: 'checkbox', id, name, value: o.value, checked: selected.includes(o.value) }),
        h('label', { for: id }, o.label));
    }));
}

/** A message region that screen readers announce. */
export function status(kind, ...children) {
  return h('div', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function button(label, onclick, cls = '') {
  return h('button', { type: 'button', class: cls, onclick }, label);
}

/** Runs an async action with the button disabled; shows errors in `out`. */
export async function busy(btn, fn) {
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
  }
}
