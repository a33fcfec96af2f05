// A refusal as the user reads it: the server's problem+json (ApiError) or no
// network (NetworkError), said in the user's language, by the problem's
// `code` (`code.*` in i18n.js) and, for field errors, by the field (`err.*`),
// once, at the field. Screens use `problem(e)` (a message to append) and
// `problemAt(e, controls, out)` (each field error at its control); the
// admin's desk adds its own field words in admin.js.
import { ApiError, NetworkError } from './api.js';
import { t, has } from './i18n.js';
import { h, clear, status, uid } from './ui.js';

// ---- the server's field errors in the user's words ----------------------
// Each field error carries a stable `code` and typed `params` (listed in the
// OpenAPI document, and in lists.js as FIELD_CODES); its English `detail` is
// for developers and never read here. FIELD_WORDS says, per code, which
// words (an i18n key) and which of the params they show.

const hoursOf = (p) => (p.windows || []).map((w) => `${w.start}–${w.end}`).join(', ');

/** What each field error code is in the user's words: [i18n key, its variables]. */
export const FIELD_WORDS = {
  required: () => ['form.required'],
  invalid: () => ['form.invalid'],
  unknown_field: () => ['form.invalid'],
  not_one_of: () => ['fe.not_one_of'],
  length: (p) => ['fe.length', { min: p.min, max: p.max }],
  too_long: (p) => ['err.too_long', { n: p.max }],
  too_long_bytes: () => ['fe.too_long_bytes'],
  range: (p) => ['fe.range', { min: p.min, max: p.max }],
  minutes: (p) => ['fe.minutes', { min: p.min, max: p.max }],
  at_least: (p) => ['fe.at_least', { min: p.min }],
  at_most: (p) => ['fe.at_most', { max: p.max }],
  count: (p) => ['fe.count', { min: p.min, max: p.max }],
  too_many: (p) => ['fe.too_many', { max: p.max }],
  duplicate: () => ['fe.duplicate'],
  not_found: (p) => [{ participant: 'err.no_participant', code: 'err.no_code', team_member: 'err.interviewer_site' }[p.thing] || 'fe.not_found'],
  in_future: () => ['err.future'],
  not_after: () => ['fe.not_after'],
  below: () => ['fe.below'],
  overlaps: () => ['fe.overlaps'],
  time_of_day: () => ['fe.time_of_day'],
  time_zone: () => ['fe.time_zone'],
  date_range: (p) => ['fe.date_range', { min: p.min, max: p.max }],
  email: () => ['err.email'],
  language_tag: () => ['fe.language_tag'],
  uuid: () => ['form.invalid'],
  cursor: () => ['fe.cursor'],
  key_chars: (p) => ['fe.key_chars', { max: p.max }],
  one_line: () => ['fe.one_line'],
  nul: () => ['fe.nul'],
  no_search_terms: () => ['fe.no_search_terms'],
  outside_opening_hours: (p) => ['err.outside_hours', { hours: hoursOf(p), tz: p.time_zone }],
  note_required: () => ['err.note_other'],
  no_access_to_site: () => ['err.interviewer_site'],
  wrong_code: () => ['err.totp'],
  identifying: () => ['err.identifying'],
  pseudonym_needs_letter: () => ['err.pseudonym_letter'],
  pseudonym_characters: () => ['err.pseudonym_chars'],
  pseudonym_mixed_scripts: () => ['err.pseudonym_mixed'],
  password_too_short: (p) => ['err.password_short', { n: p.min }],
  password_too_long: (p) => ['fe.password_long', { n: p.max }],
  password_repeated: () => ['err.password_repeated'],
  no_such_item: () => ['err.screen_item'],
  not_a_level: () => ['err.screen_item'],
  single_item: () => ['fe.single_item'],
  no_ready_rule: () => ['fe.no_ready_rule'],
  capacity_at_most_one: () => ['fe.capacity_one'],
  capacity_needs_screen: () => ['fe.capacity_first'],
  scope_required: () => ['fe.scope_required'],
  admin_scope_forbidden: () => ['fe.admin_scope'],
  key_fixed: () => ['fe.key_fixed'],
  code_cycle: () => ['fe.code_cycle'],
  no_such_wave: (p) => ['fe.no_such_wave', { waves: (p.waves || []).join(', ') }],
  inside_character: () => ['fe.inside_character'],
  past_end: () => ['fe.past_end'],
  self_lockout: () => ['fe.self_lockout'],
  invalid_link: () => ['code.invalid_token'],
  only_when_disabling: () => ['fe.only_when_disabling'],
  hand_over_to_self: () => ['fe.hand_over_to_self'],
  webhook_url: () => ['fe.webhook_url'],
  unresolvable: () => ['fe.unresolvable'],
  private_target: () => ['fe.private_target'],
  not_before_fieldnotes: (p) => ['fe.not_before_fieldnotes', { at: String(p.at || '').slice(0, 10) }],
  not_a_date: () => ['fe.not_a_date'],
  pseudonym_taken: () => ['code.pseudonym_taken'],
};

/**
 * One field error in the user's words, by its code; `more` (a screen's own
 * table of the same shape, given the error too) may say it better for its
 * fields.
 */
export function fieldWords(x = {}, more = {}) {
  const params = x.params || {};
  const said = more[x.code]?.(params, x) || FIELD_WORDS[x.code]?.(params, x);
  return said ? t(said[0], said[1] || {}) : t('form.invalid');
}

// ---- refusals -----------------------------------------------------------

/** A field error's words: the client's own as they are, else by its code. */
const said = (p, x) => x.text || fieldWords(x);

/** The lead of a refusal in the user's words: by its code, else its status. */
export function refusal(e) {
  if (e instanceof NetworkError) return t('err.offline');
  if (!(e instanceof ApiError)) return t('err.unexpected');
  const code = e.problem.code || e.code;
  if (code === 'validation_failed') return t('form.check');
  // Codes whose own words name someone: said without the name here.
  const general = { interviewer_busy: 'code.interviewer_busy_time', interview_exists: 'code.interview_exists_any', participant_withdrawn: 'code.participant_withdrawn_any' };
  if (general[code]) return t(general[code]);
  if (code && has(`code.${code}`)) return t(`code.${code}`);
  const s = e.status;
  if (s === 401) return t('code.unauthorized');
  if (s === 403) return t('code.forbidden');
  if (s === 404) return t('code.not_found');
  if (s === 409 || s === 412 || s === 428) return t('err.conflict');
  if (s === 422) return t('form.check');
  if (s === 429) return t('code.too_many_requests');
  if (s >= 500) return t('err.server');
  return t('err.unexpected');
}

/** An error as the user should read it: plain words, in their language. */
export function problem(e) {
  if (e?.name === 'AbortError') return document.createTextNode('');
  if (!(e instanceof ApiError) && !(e instanceof NetworkError)) console.error(e);
  const errors = e instanceof ApiError ? e.problem.errors || [] : [];
  const list = errors.map((x) => h('li', {}, fieldLabel(x.pointer), said(e.problem, x)));
  const reasons = e instanceof ApiError && Array.isArray(e.problem.reasons)
    ? e.problem.reasons.filter((x) => x.outcome !== 'ready').map((x) => h('li', {}, x.message)) : [];
  return status('error', h('p', {}, refusal(e)),
    list.length ? h('ul', {}, list) : null,
    reasons.length ? h('ul', { class: 'reasons' }, reasons) : null);
}

/** "Field: " for a pointer whose field has a name in the user's language. */
function fieldLabel(pointer = '') {
  const name = pointer.split('/').filter((x) => x && !/^\d+$/.test(x)).pop();
  return name && has(`field.${name}`) ? `${t(`field.${name}`)}: ` : '';
}

/** The control named for `pointer`: its longest prefix in `controls` (`items/0/label/en`, then `items/0/label`, ... `items`). */
function controlAt(controls, pointer = '') {
  const segs = pointer.split('/').slice(1);
  for (let i = segs.length; i > 0; i -= 1) {
    const c = controls[segs.slice(0, i).join('/')];
    if (c) return c;
  }
  return null;
}

/**
 * An API refusal shown where it belongs, once: each field error
 * (`errors[].pointer`, or a conflict's `pointer`) next to the control named
 * by `controls` (field name, or a pointer path such as `items/0/key`, →
 * control or fieldset; the longest match wins), the rest in
 * `out`, all in the user's words. `explain(problem)` may turn a known code
 * into `{ at, text }`.
 */
export function problemAt(e, controls, out, explain = () => null) {
  for (const el of document.querySelectorAll('[data-err-for]')) el.remove();
  for (const c of Object.values(controls)) {
    c.removeAttribute('aria-invalid');
    c.setAttribute('aria-describedby', (c.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-err')).join(' '));
    if (!c.getAttribute('aria-describedby')) c.removeAttribute('aria-describedby');
  }
  clear(out);
  if (!e || e.name === 'AbortError') return;
  if (!(e instanceof ApiError)) return out.append(problem(e));
  const p = e.problem;
  const known = explain(p);
  const errors = known ? [{ pointer: `/${known.at}`, text: known.text }]
    : (p.errors?.length ? p.errors : p.pointer ? [{ pointer: p.pointer, text: refusal(e) }] : [])
      .map((x) => ({ pointer: x.pointer, text: said(p, x) }));
  const rest = [];
  let first = null;
  const placed = new Set();
  for (const x of errors) {
    const c = controlAt(controls, x.pointer);
    if (!c) {
      rest.push(x);
      continue;
    }
    // One message per control, even when several items of it are refused.
    if (placed.has(c)) continue;
    placed.add(c);
    const id = `${c.id || (c.id = uid())}-err`;
    const msg = h('p', { class: 'field-error', id, 'data-err-for': c.id }, x.text);
    if (c.tagName === 'FIELDSET') c.append(msg);
    else c.closest('.field, .check')?.append(msg);
    c.setAttribute('aria-invalid', 'true');
    c.setAttribute('aria-describedby', `${c.getAttribute('aria-describedby') || ''} ${id}`.trim());
    first ||= c;
  }
  const lead = first ? t('form.check') : known ? known.text : refusal(e);
  const others = first || !known ? [...new Set(rest.map((x) => `${fieldLabel(x.pointer)}${x.text}`))] : [];
  out.append(status('error', h('p', {}, lead), others.length ? h('ul', {}, others.map((x) => h('li', {}, x))) : null));
  const target = first?.tagName === 'FIELDSET' ? first.querySelector('input') : first;
  target?.focus({ preventScroll: true });
  (first || out).scrollIntoView({ block: 'center' });
}
