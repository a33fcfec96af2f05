// Screening, the readiness verdict, consent, starting a session, postponing.
import { get, post, api, ApiError } from '../api.js';
import { t, text } from '../i18n.js';
import { h, clear, field, choices, status, busy, uid } from '../ui.js';
import { fmtTime, fmtDateTime, dateToZoned, zonedToDate } from '../time.js';
import { load, pref, setPref } from '../store.js';
import { problem } from '../app.js';
import { statusBadge } from './today.js';

/** The newest version of each instrument key. */
function newest(items) {
  const by = {};
  for (const i of items) if (!by[i.key] || by[i.key].version < i.version) by[i.key] = i;
  return by;
}

export async function render(main, { params, query, app, go }) {
  const iid = query.get('interview');
  const [participant, interview, consents, settings, instruments] = await Promise.all([
    get(`/participants/${params.id}`),
    iid ? get(`/interviews/${iid}`) : null,
    get(`/participants/${params.id}/consents`),
    load('readiness', '/settings/readiness'),
    load('instruments', '/instruments'),
  ]);
  const site = app.site(participant.site_id);
  const tz = site?.timezone || app.tz;
  const byKey = newest(instruments.items);
  const consented = consents.items.some((c) => !c.withdrawn_at);
  document.title = `${participant.pseudonym} · Fieldnotes`;

  const s = { purpose: consented ? 'session' : 'consent', step: 0 };
  const screenSec = h('section', { 'aria-labelledby': 'scr-h', class: 'screening' });
  const verdictSec = h('section', { 'aria-live': 'polite', class: 'verdict-sec' });
  const actionSec = h('section', { class: 'actions' });

  main.append(
    h('h1', {}, participant.pseudonym),
    h('p', { class: 'sub' },
      [site?.name, interview?.location].filter(Boolean).join(' · '),
      interview ? [' · ', interview.status === 'postponed' ? t('tba') : fmtDateTime(interview.scheduled_at, tz), ' ', statusBadge(interview.status)] : null),
    h('p', { class: 'sub' }, consented ? t('consent.has') : t('consent.none')),
    screenSec, verdictSec, actionSec);

  const instrumentsFor = (purpose) => settings[purpose].map((k) => byKey[k]).filter(Boolean);

  function renderForm() {
    clear(verdictSec);
    clear(actionSec);
    const list = instrumentsFor(s.purpose);
    const inst = list[s.step];
    const purposeChoice = choices(t('screen.for'), 'purpose', [
      { value: 'consent', label: t('purpose.consent') },
      { value: 'session', label: t('purpose.session') },
    ], s.purpose, (ev) => {
      s.purpose = ev.target.value;
      s.step = 0;
      renderForm();
    });
    purposeChoice.classList.add('inline');
    if (!inst) {
      clear(screenSec, h('h2', { id: 'scr-h' }, t('screen.title')), purposeChoice, status('error', t('screen.no_instrument')));
      return;
    }
    const out = h('div');
    const submit = h('button', { type: 'submit', class: 'primary' },
      s.step + 1 < list.length ? t('screen.next', { i: s.step + 1, n: list.length }) : t('screen.verdict'));
    const form = h('form', { class: 'card' },
      h('h3', {}, text(inst.name), list.length > 1 ? h('small', {}, ` ${t('screen.step', { i: s.step + 1, n: list.length })}`) : null),
      inst.items.map((item) => choices(text(item.label), `item-${item.key}`,
        item.levels.map((l) => ({ value: l.key, label: text(l.label) })), null)),
      submit, out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const responses = {};
      for (const item of inst.items) responses[item.key] = data.get(`item-${item.key}`);
      await busy(submit, async () => {
        try {
          const r = await post(`/participants/${participant.id}/screenings`, { instrument_id: inst.id, responses });
          if (r.outcome === 'ready' && s.step + 1 < list.length) {
            s.step += 1;
            renderForm();
            screenSec.scrollIntoView({ block: 'start' });
          } else {
            await verdict();
          }
        } catch (e) {
          clear(out, problem(e));
        }
      });
    });
    clear(screenSec, h('h2', { id: 'scr-h' }, t('screen.title')), purposeChoice, form);
  }

  async function verdict(purpose = s.purpose) {
    const r = await get(`/participants/${participant.id}/readiness?for=${purpose}`);
    showVerdict(r);
  }

  function showVerdict(r) {
    clear(screenSec);
    const reasons = r.reasons.filter((x) => r.outcome === 'ready' || x.outcome !== 'ready');
    const box = h('div', { class: `verdict v-${r.outcome}`, tabindex: '-1', id: 'verdict' },
      h('p', { class: 'big' }, t(`outcome.${r.outcome}`)),
      h('p', {}, t(`verdict.for.${r.for}`)),
      r.outcome === 'ready' && r.valid_until ? h('p', { class: 'valid' }, t('verdict.valid', { time: fmtTime(r.valid_until, tz) })) : null,
      r.outcome !== 'ready' && reasons.length ? h('ul', { class: 'reasons' }, reasons.map((x) => h('li', {}, x.message))) : null,
      r.outcome !== 'ready' && r.next_step ? h('p', { class: 'next' }, t(`next.${r.next_step}`)) : null);
    clear(verdictSec, h('h2', {}, t('verdict.title')), box);
    box.focus();
    clear(actionSec);
    if (r.outcome === 'ready' && r.for === 'consent') actionSec.append(consentForm());
    else if (r.outcome === 'ready' && interview) actionSec.append(startButton());
    else if (r.outcome === 'ready') actionSec.append(h('p', {}, t('verdict.no_interview')));
    else if (interview) actionSec.append(postponePanel());
    actionSec.append(h('button', { type: 'button', class: 'secondary', onclick: () => { s.step = 0; renderForm(); } }, t('screen.again')));
  }

  function consentForm() {
    const version = h('input', { type: 'text', name: 'form_version', required: true, maxlength: 40, value: pref('form_version', '1.0') });
    const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
    const out = h('div');
    const submit = h('button', { type: 'submit', class: 'primary' }, t('consent.record'));
    const form = h('form', { class: 'card' },
      h('h2', {}, t('consent.title')),
      field(t('consent.form_version'), version),
      choices(t('consent.method'), 'method', [
        { value: 'written', label: t('consent.written') },
        { value: 'oral_recorded', label: t('consent.oral_recorded') },
      ], 'written'),
      field(t('consent.note'), note),
      submit, out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      await busy(submit, async () => {
        try {
          const method = new FormData(form).get('method');
          const c = await post(`/participants/${participant.id}/consents`, {
            form_version: version.value.trim(), method, note: note.value.trim() || null,
          });
          setPref('form_version', version.value.trim());
          clear(form, status('ok', t('consent.recorded', { version: c.form_version, method: t(`consent.${c.method}`) })));
          if (interview) {
            s.purpose = 'session';
            const r = await get(`/participants/${participant.id}/readiness?for=session`);
            showVerdict(r);
            actionSec.prepend(status('ok', t('consent.recorded', { version: c.form_version, method: t(`consent.${c.method}`) })));
          }
        } catch (e) {
          clear(out, problem(e));
        }
      });
    });
    return form;
  }

  function startButton() {
    const out = h('div');
    const b = h('button', { type: 'button', class: 'primary big' }, t('session.start'));
    b.addEventListener('click', () => busy(b, async () => {
      try {
        await api('POST', `/interviews/${interview.id}/sessions`);
        go(`#/session/${interview.id}`);
      } catch (e) {
        clear(out, problem(e));
        if (e instanceof ApiError && e.status === 409 && Array.isArray(e.problem.reasons)) {
          out.append(h('ul', { class: 'reasons' }, e.problem.reasons.filter((x) => x.outcome !== 'ready').map((x) => h('li', {}, x.message))));
        }
        if (e instanceof ApiError && e.problem.postpone_reason) out.append(postponePanel());
      }
    }));
    return h('div', {}, b, out);
  }

  function postponePanel() {
    const wrap = h('div', { class: 'postpone' });
    const open = h('button', { type: 'button', class: 'warn big', 'aria-expanded': 'false' }, t('postpone.open'));
    open.addEventListener('click', () => {
      open.setAttribute('aria-expanded', 'true');
      open.hidden = true;
      wrap.append(postponeForm(interview, tz, () => {
        clear(wrap, status('ok', t('postpone.done')), h('a', { href: '#/today', class: 'button' }, t('back.today')));
      }));
      wrap.querySelector('button[type=submit]')?.focus();
    });
    wrap.append(open);
    return wrap;
  }

  renderForm();
}

/** The postponement form: reason preselected, "to be agreed" by default. */
export function postponeForm(interview, tz, done, reason = 'participant_not_ready') {
  const reasons = ['participant_not_ready', 'participant_unwilling_today', 'participant_absent', 'clinic_circumstances', 'interviewer_unavailable', 'other'];
  const sel = h('select', { name: 'reason' }, reasons.map((r) => h('option', { value: r, selected: r === reason }, t(`reason.${r}`))));
  const when = h('input', { type: 'datetime-local', name: 'new_time', disabled: true,
    value: dateToZoned(new Date(Math.max(Date.now(), Date.parse(interview.scheduled_at)) + 24 * 3600e3), tz) });
  const outside = h('input', { type: 'checkbox', name: 'outside', id: uid() });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
  const out = h('div');
  const submit = h('button', { type: 'submit', class: 'warn big' }, t('postpone.confirm'));
  const timeChoice = choices(t('postpone.new_time'), 'when', [
    { value: 'tba', label: t('tba') },
    { value: 'time', label: t('postpone.pick') },
  ], 'tba', (ev) => {
    when.disabled = ev.target.value !== 'time';
    timed.hidden = when.disabled;
  });
  const timed = h('div', { hidden: true },
    field(t('postpone.time', { tz }), when),
    h('div', { class: 'check' }, outside, h('label', { for: outside.id }, t('postpone.outside'))));
  const form = h('form', { class: 'card' },
    h('h2', {}, t('postpone.title')),
    field(t('postpone.reason'), sel),
    timeChoice,
    timed,
    field(t('postpone.note'), note),
    submit, out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await busy(submit, async () => {
      try {
        const timed = !when.disabled && when.value;
        const updated = await post(`/interviews/${interview.id}/postponements`, {
          reason: sel.value,
          new_scheduled_at: timed ? zonedToDate(when.value, tz).toISOString() : null,
          note: note.value.trim() || null,
          allow_outside_opening_hours: outside.checked,
        });
        done(updated);
      } catch (e) {
        clear(out, problem(e));
      }
    });
  });
  return form;
}
