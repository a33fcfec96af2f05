// Screening, the readiness verdict, consent, starting a session, postponing.
import { get, post, api, ApiError } from '../api.js';
import { t, text, words } from '../i18n.js';
import { h, clear, field, choices, status, busy, uid } from '../ui.js';
import { fmtTime, fmtDay, fmtDateTime, dateToZoned, zonedToDate, nextOpening } from '../time.js';
import { load, loadKept, cached, savedAt, pref, setPref } from '../store.js';
import { problem, problemAt } from '../errors.js';
import { statusBadge } from './today.js';
import '../vocab.js';
import { LISTS } from '../lists.js';

words({
  en: {
    'offline.saved_at': 'Offline: as kept on this phone at {when}.',
    'offline.needs_network': 'Screening, consent and sessions need the network; postponing too.',
    'back.today': 'Back to today',
    'screen.title': 'Screening',
    'screen.for': 'Screen for',
    'purpose.consent': 'Consent',
    'purpose.session': 'Interview session',
    'screen.step': '({i} of {n})',
    'screen.next': 'Save and go on ({i} of {n})',
    'screen.verdict': 'Save and see the verdict',
    'screen.again': 'Screen again',
    'screen.no_instrument': 'The study has no instrument set up for this.',
    'verdict.title': 'Verdict',
    'verdict.for.consent': 'for consent',
    'verdict.for.session': 'for an interview session',
    'verdict.valid': 'Valid until {time}',
    'next.postpone': 'Postpone the interview, or screen again later.',
    'next.stop_for_today': 'Stop for today and tell the clinic staff.',
    'verdict.no_interview': 'Open the interview from Today or the schedule to start a session.',
    'session.start': 'Start session',
    'session.other_day': 'This interview is planned for {day}, not today. Start the session today anyway? Its real time is kept.',
    'session.start_anyway': 'Start today anyway',
    'postpone.open': 'Postpone',
    'postpone.title': 'Postpone the interview',
    'postpone.reason': 'Reason',
    'postpone.new_time': 'New time',
    'postpone.pick': 'Pick a time',
    'postpone.time': 'Date and time ({tz})',
    'postpone.outside': 'Allow a time outside opening hours',
    'postpone.note': 'Note (optional)',
    'postpone.confirm': 'Confirm postponement',
    'postpone.done': 'Postponed. Everyone affected gets an email.',
    'reschedule.title': 'A new time',
    'reschedule.agree_title': 'Agree a time',
    'reschedule.hint': 'A new time with no reason to report. If the interview could not happen as planned, postpone it instead: postponements and their reasons are counted in the report.',
    'reschedule.save': 'Save the new time',
    'reschedule.agree': 'Agree this time',
    'reschedule.conflict': 'Someone else changed this interview while you had it open. It is now {status}: {theirs}. You chose {mine}.',
    'reschedule.keep_mine': 'Use my time, {mine}',
    'reschedule.keep_theirs': 'Keep theirs ({theirs})',
    'postpone.no_screening': 'Participant absent, or not willing today? Postpone without screening.',
    'postpone.note_other': 'Say why (needed for “Other”)',
    'screen.kept': 'The answers you gave a moment ago are filled in again.',
    'screen.again_at': 'Screen again at {time}',
    'screen.wait': 'A new screening cannot count before {time}: until then it would not change the verdict. Screen again at {time}.',
    'screen.now': 'Now: {outcome} {what}.',
  },
  nb: {
    'offline.saved_at': 'Frakoblet: slik den ble lagret på denne telefonen {when}.',
    'offline.needs_network': 'Screening, samtykke og økter trenger nettet; utsettelse også.',
    'back.today': 'Tilbake til i dag',
    'screen.title': 'Screening',
    'screen.for': 'Screening før',
    'purpose.consent': 'Samtykke',
    'purpose.session': 'Intervjuøkt',
    'screen.step': '({i} av {n})',
    'screen.next': 'Lagre og gå videre ({i} av {n})',
    'screen.verdict': 'Lagre og se resultatet',
    'screen.again': 'Screen på nytt',
    'screen.no_instrument': 'Studien har ikke satt opp noe skjema for dette.',
    'verdict.title': 'Resultat',
    'verdict.for.consent': 'for samtykke',
    'verdict.for.session': 'for en intervjuøkt',
    'verdict.valid': 'Gyldig til {time}',
    'next.postpone': 'Utsett intervjuet, eller screen på nytt senere.',
    'next.stop_for_today': 'Avslutt for i dag og si fra til klinikkpersonalet.',
    'verdict.no_interview': 'Åpne intervjuet fra I dag eller timeplanen for å starte en økt.',
    'session.start': 'Start økten',
    'session.other_day': 'Dette intervjuet er planlagt {day}, ikke i dag. Vil du likevel starte økten i dag? Det virkelige tidspunktet lagres.',
    'session.start_anyway': 'Start likevel i dag',
    'postpone.open': 'Utsett',
    'postpone.title': 'Utsett intervjuet',
    'postpone.reason': 'Grunn',
    'postpone.new_time': 'Nytt tidspunkt',
    'postpone.pick': 'Velg tidspunkt',
    'postpone.time': 'Dato og klokkeslett ({tz})',
    'postpone.outside': 'Tillat tid utenfor åpningstiden',
    'postpone.note': 'Merknad (valgfritt)',
    'postpone.confirm': 'Bekreft utsettelsen',
    'postpone.done': 'Utsatt. Alle som berøres får e-post.',
    'reschedule.title': 'Nytt tidspunkt',
    'reschedule.agree_title': 'Avtal tidspunkt',
    'reschedule.hint': 'Et nytt tidspunkt uten noen grunn å rapportere. Kunne intervjuet ikke skje som planlagt, utsett det i stedet: utsettelser og grunnene til dem telles i rapporten.',
    'reschedule.save': 'Lagre det nye tidspunktet',
    'reschedule.agree': 'Avtal dette tidspunktet',
    'reschedule.conflict': 'Noen andre endret dette intervjuet mens du hadde det åpent. Det er nå {status}: {theirs}. Du valgte {mine}.',
    'reschedule.keep_mine': 'Bruk mitt tidspunkt, {mine}',
    'reschedule.keep_theirs': 'Behold deres ({theirs})',
    'postpone.no_screening': 'Kom ikke deltakeren, eller vil ikke i dag? Utsett uten screening.',
    'postpone.note_other': 'Skriv hvorfor (må fylles ut ved «Annet»)',
    'screen.kept': 'Svarene du ga for litt siden, er fylt inn igjen.',
    'screen.again_at': 'Screen på nytt kl. {time}',
    'screen.wait': 'En ny screening kan ikke telle før kl. {time}: før det endrer den ikke resultatet. Screen på nytt kl. {time}.',
    'screen.now': 'Nå: {outcome} {what}.',
  },
});

/** The newest version of each instrument key. */
function newest(items) {
  const by = {};
  for (const i of items) if (!by[i.key] || by[i.key].version < i.version) by[i.key] = i;
  return by;
}

/** Interviews that can still be postponed (no session may be running). */
const postponable = (i) => i && ['scheduled', 'postponed', 'in_progress'].includes(i.status) && !i.sessions?.some((s) => !s.ended_at);

// Answers given so far are kept this long on the phone (this tab only).
const KEEP_MS = 10 * 60e3;
const keptKey = (pid) => `fieldnotes.screening.${pid}`;
function kept(pid) {
  try {
    const k = JSON.parse(sessionStorage.getItem(keptKey(pid)));
    return k && Date.now() - k.at < KEEP_MS ? k : null;
  } catch {
    return null;
  }
}
const keep = (pid, k) => sessionStorage.setItem(keptKey(pid), JSON.stringify({ ...k, at: Date.now() }));
const forget = (pid) => sessionStorage.removeItem(keptKey(pid));

export async function render(main, { params, query, app, go, signal, live, onLeave }) {
  const iid = query.get('interview');
  // Kept on the phone as they load (and ahead, for this week's interviews:
  // session.js), so that the page opens offline too, saying when it was kept.
  const inLists = (find) => {
    for (const s of app.sites) {
      const key = `participants.${s.id}`;
      const hit = cached(key)?.items?.find(find);
      if (hit) return { data: hit, savedAt: savedAt(key) };
    }
    return null;
  };
  const inWeek = () => {
    for (const key of [`week.${app.me.id}`, `today.${app.me.id}`]) {
      const hit = cached(key)?.items?.find((i) => i.id === iid);
      if (hit) return { data: hit, savedAt: savedAt(key) };
    }
    return null;
  };
  const [keptPerson, keptInterview, keptConsents, settings, instruments] = await Promise.all([
    loadKept(`participant.${params.id}`, `/participants/${params.id}`, signal, () => inLists((p) => p.id === params.id)),
    iid ? loadKept(`interview.${iid}`, `/interviews/${iid}`, signal, inWeek) : { data: null, savedAt: null },
    loadKept(`consents.${params.id}`, `/participants/${params.id}/consents`, signal),
    load('readiness', '/settings/readiness', signal),
    load('instruments', '/instruments', signal),
  ]);
  if (!live()) return;
  const participant = keptPerson.data;
  const first = keptInterview.data;
  const consents = keptConsents.data;
  // The oldest of what came from the phone instead of the server.
  const offlineSince = [keptPerson.savedAt, keptInterview.savedAt, keptConsents.savedAt].filter(Boolean).sort()[0] || null;
  let interview = first;
  const site = app.site(participant.site_id);
  const tz = site?.timezone || app.tz;
  const byKey = newest(instruments.items);
  let consented = consents.items.some((c) => !c.withdrawn_at);
  document.title = `${participant.pseudonym} · Fieldnotes`;

  const s = { purpose: consented ? 'session' : 'consent', step: 0 };
  const head = h('p', { class: 'sub' });
  const consentLine = h('p', { class: 'sub', id: 'consent-state' });
  const nowLine = h('div');
  const quickSec = h('section', { class: 'quick' });
  const screenSec = h('section', { 'aria-labelledby': 'scr-h', class: 'screening' });
  const verdictSec = h('section', { 'aria-live': 'polite', class: 'verdict-sec' });
  const actionSec = h('section', { class: 'actions' });

  /** The interview's time and status and the consent, as they are now. */
  function renderHead() {
    clear(head,
      [site?.name, interview?.location].filter(Boolean).join(' · '),
      interview ? [' · ', interview.status === 'postponed' ? t('tba') : fmtDateTime(interview.scheduled_at, tz), ' ', statusBadge(interview.status)] : null);
    clear(consentLine, consented ? t('consent.has') : t('consent.none'));
  }
  renderHead();
  const offlineNote = offlineSince
    ? status('info', h('p', {}, t('offline.saved_at', { when: fmtDateTime(offlineSince, tz) })), h('p', {}, t('offline.needs_network')))
    : null;
  main.append(...[h('h1', {}, participant.pseudonym), offlineNote, head, consentLine, nowLine, quickSec, screenSec, verdictSec, actionSec].filter(Boolean));

  const instrumentsFor = (purpose) => settings[purpose].map((k) => byKey[k]).filter(Boolean);
  // For a session, the verdict its start would meet: after an earlier
  // session of the interview, only a screening since counts.
  const readiness = (purpose) => get(`/participants/${participant.id}/readiness?for=${purpose}${
    purpose === 'session' && interview ? `&interview_id=${interview.id}` : ''}`, { signal });

  /**
   * Until when a passing screening cannot count (no screen shopping), as the
   * server's readiness decision says (`screen_again_at`); null when a new
   * screening can count now.
   */
  const blockedUntil = (r) => (r && r.outcome !== 'ready' && r.screen_again_at ? new Date(r.screen_again_at) : null);

  /** The quick way out: postponing needs no screening (absent, unwilling…). */
  function renderQuick() {
    clear(quickSec);
    if (!postponable(interview)) return;
    quickSec.append(h('p', { class: 'hint', id: 'quick-hint' }, t('postpone.no_screening')), postponePanel(false));
    quickSec.querySelector('button').setAttribute('aria-describedby', 'quick-hint');
  }

  function renderForm() {
    clear(verdictSec);
    clear(actionSec);
    renderQuick();
    const list = instrumentsFor(s.purpose);
    const inst = list[s.step];
    const purposeChoice = choices(t('screen.for'), 'purpose', [
      { value: 'consent', label: t('purpose.consent') },
      { value: 'session', label: t('purpose.session') },
    ], s.purpose, (ev) => {
      s.purpose = ev.target.value;
      s.step = 0;
      forget(participant.id);
      start();
    });
    purposeChoice.classList.add('inline');
    if (!inst) {
      clear(screenSec, h('h2', { id: 'scr-h' }, t('screen.title')), purposeChoice, status('error', t('screen.no_instrument')));
      return;
    }
    const k = kept(participant.id);
    const given = k && k.purpose === s.purpose && k.step === s.step && k.instrument === inst.id ? k.answers : {};
    const out = h('div');
    const submit = h('button', { type: 'submit', class: 'primary' },
      s.step + 1 < list.length ? t('screen.next', { i: s.step + 1, n: list.length }) : t('screen.verdict'));
    const form = h('form', { class: 'card' },
      h('h3', {}, text(inst.name), list.length > 1 ? h('small', {}, ` ${t('screen.step', { i: s.step + 1, n: list.length })}`) : null),
      Object.keys(given).length ? status('info', t('screen.kept')) : null,
      inst.items.map((item) => choices(text(item.label), `item-${item.key}`,
        item.levels.map((l) => ({ value: l.key, label: text(l.label) })), given[item.key] ?? null)),
      submit, out);
    const answers = () => {
      const data = new FormData(form);
      const responses = {};
      for (const item of inst.items) if (data.get(`item-${item.key}`) !== null) responses[item.key] = data.get(`item-${item.key}`);
      return responses;
    };
    // Every answer is kept at once: a call, a reload or a look at another
    // screen does not lose it.
    form.addEventListener('change', () => keep(participant.id, { purpose: s.purpose, step: s.step, instrument: inst.id, answers: answers() }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const responses = {};
      const data = new FormData(form);
      for (const item of inst.items) responses[item.key] = data.get(`item-${item.key}`);
      await busy(submit, async () => {
        try {
          const r = await post(`/participants/${participant.id}/screenings`, { instrument_id: inst.id, responses });
          if (!live()) return;
          const next = list[s.step + 1];
          if (r.outcome === 'ready' && next) {
            // A capacity check counts only while the screenings before it
            // pass: never ask questions whose answers cannot count.
            if (next.kind === 'capacity') {
              const now = await readiness(s.purpose);
              if (now.reasons.some((x) => x.code !== 'capacity_not_assessed')) {
                forget(participant.id);
                return showVerdict(now, blockedUntil(now));
              }
            }
            s.step += 1;
            keep(participant.id, { purpose: s.purpose, step: s.step, instrument: next.id, answers: {} });
            renderForm();
            screenSec.scrollIntoView({ block: 'start' });
          } else {
            forget(participant.id);
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
    const r = await readiness(purpose);
    showVerdict(r, blockedUntil(r));
  }

  let reopen = null;
  onLeave(() => clearTimeout(reopen));

  function showVerdict(r, until = null) {
    if (!live()) return;
    clear(screenSec);
    clear(quickSec);
    clear(nowLine);
    const reasons = r.reasons.filter((x) => r.outcome === 'ready' || x.outcome !== 'ready');
    const box = h('div', { class: `verdict v-${r.outcome}`, tabindex: '-1', id: 'verdict' },
      h('p', { class: 'big' }, t(`outcome.${r.outcome}`)),
      h('p', {}, t(`verdict.for.${r.for}`)),
      r.outcome === 'ready' && r.valid_until ? h('p', { class: 'valid' }, t('verdict.valid', { time: fmtTime(r.valid_until, tz) })) : null,
      r.outcome !== 'ready' && reasons.length ? h('ul', { class: 'reasons' }, reasons.map((x) => h('li', {}, x.message))) : null,
      r.outcome !== 'ready' && r.next_step ? h('p', { class: 'next' }, t(`next.${r.next_step}`)) : null,
      until ? h('p', { class: 'valid', id: 'screen-again-at' }, t('screen.again_at', { time: fmtTime(until.toISOString(), tz) })) : null);
    clear(verdictSec, h('h2', {}, t('verdict.title')), box);
    box.focus();
    clear(actionSec);
    if (r.outcome === 'ready' && r.for === 'consent') actionSec.append(consentForm());
    else if (r.outcome === 'ready' && interview && postponable(interview)) actionSec.append(startButton());
    else if (r.outcome === 'ready' && !interview) actionSec.append(h('p', {}, t('verdict.no_interview')));
    // Not ready: postpone with the screening's reasons. Ready, but the
    // participant would rather not today: postpone without them.
    if (postponable(interview)) actionSec.append(postponePanel(r.outcome !== 'ready'));
    const again = h('button', { type: 'button', class: 'secondary', onclick: () => { s.step = 0; renderForm(); } }, t('screen.again'));
    if (until) {
      // Until then a passing screening would not count: no form to fill in.
      const wait = h('p', { class: 'hint' }, t('screen.wait', { time: fmtTime(until.toISOString(), tz) }));
      actionSec.append(wait);
      clearTimeout(reopen);
      reopen = setTimeout(() => live() && wait.replaceWith(again), Math.min(until - Date.now() + 1000, 2 ** 31 - 1));
    } else {
      actionSec.append(again);
    }
  }

  function consentForm() {
    // The versions the study uses (its settings), picked, never typed: the last one used here, else the newest.
    const inUse = settings.consent_form_versions?.length ? settings.consent_form_versions : ['1.0'];
    const last = pref('form_version', '');
    const chosen = inUse.includes(last) ? last : inUse[inUse.length - 1];
    const version = h('select', { name: 'form_version', required: true },
      inUse.map((v) => h('option', { value: v, selected: v === chosen }, v)));
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
          consented = true;
          renderHead();
          clear(form, status('ok', t('consent.recorded', { version: c.form_version, method: t(`consent.${c.method}`) })));
          if (interview) {
            s.purpose = 'session';
            const r = await readiness('session');
            showVerdict(r, blockedUntil(r));
            actionSec.prepend(status('ok', t('consent.recorded', { version: c.form_version, method: t(`consent.${c.method}`) })));
          }
        } catch (e) {
          if (e instanceof ApiError && e.problem.errors?.length) problemAt(e, { form_version: version, note }, out);
          else clear(out, problem(e));
        }
      });
    });
    return form;
  }

  function startButton() {
    const out = h('div');
    const b = h('button', { type: 'button', class: 'primary big' }, t('session.start'));
    const start = async (anyway) => {
      try {
        await api('POST', `/interviews/${interview.id}/sessions`, anyway ? { allow_other_day: true } : undefined);
        go(`#/session/${interview.id}`);
      } catch (e) {
        if (!anyway && e instanceof ApiError && e.problem.code === 'session_on_other_day') {
          // Asked first: another day than the interview's.
          const yes = h('button', { type: 'button', class: 'warn big' }, t('session.start_anyway'));
          yes.addEventListener('click', () => busy(yes, () => start(true)));
          clear(out, status('warn', h('p', {}, t('session.other_day', { day: fmtDay(interview.scheduled_at, tz) }))), yes);
          yes.focus();
          return;
        }
        clear(out, problem(e));
        if (e instanceof ApiError && e.problem.postpone_reason && !actionSec.querySelector('.postpone form')) {
          actionSec.querySelector('.postpone')?.remove();
          out.append(postponePanel(true));
        }
      }
    };
    b.addEventListener('click', () => busy(b, () => start(false)));
    return h('div', {}, b, out);
  }

  /** A Postpone button that opens the form; `screened`: for the reasons of
   * a screening that said not ready (else only reasons that need none). */
  function postponePanel(screened) {
    const wrap = h('div', { class: 'postpone' });
    const open = h('button', { type: 'button', class: 'warn big', 'aria-expanded': 'false' }, t('postpone.open'));
    open.addEventListener('click', () => {
      open.setAttribute('aria-expanded', 'true');
      open.hidden = true;
      wrap.append(postponeForm(interview, site, (updated) => {
        interview = { ...interview, ...updated };
        renderHead();
        clear(wrap, status('ok', t('postpone.done')), h('a', { href: '#/today', class: 'button' }, t('back.today')));
        wrap.querySelector('a').focus();
      }, screened ? 'participant_not_ready' : 'participant_absent', screened ? REASONS : UNSCREENED));
      wrap.querySelector('button[type=submit]')?.focus();
    });
    wrap.append(open);
    return wrap;
  }

  /** The screen as the participant's state is now: a READY that holds, a
   * POSTPONE that a new screening cannot undo yet, or the form (with the
   * answers given so far). */
  async function start() {
    const k = kept(participant.id);
    if (k && k.purpose !== s.purpose) s.purpose = k.purpose;
    const r = await readiness(s.purpose).catch((e) => { if (e.name === 'AbortError') throw e; return null; });
    const until = blockedUntil(r);
    if (!live()) return;
    if (r && (r.outcome === 'ready' || until)) return showVerdict(r, until);
    // Resume where the screening was left, while the steps before still hold.
    s.step = 0;
    if (k && k.purpose === s.purpose && k.step > 0 && r && r.reasons.every((x) => x.code === 'capacity_not_assessed')) s.step = k.step;
    clear(nowLine);
    if (r && r.screening_ids.length && r.outcome !== 'ready') {
      nowLine.append(status('info', h('p', {}, t('screen.now', { outcome: t(`outcome.${r.outcome}`), what: t(`verdict.for.${r.for}`) })),
        h('ul', { class: 'reasons' }, r.reasons.map((x) => h('li', {}, x.message)))));
    }
    renderForm();
  }

  await start();
}

const REASONS = LISTS.PostponeReason;
/** Reasons that need no screening. */
export const UNSCREENED = REASONS.filter((r) => r !== 'participant_not_ready');

/**
 * The postponement form: reason preselected, "to be agreed" by default, a
 * picked time starting at the site's next opening. Refusals are said in
 * plain words at the field they concern.
 */
/**
 * A new time with no reason (`PATCH /interviews/{id}`): agreeing the time of
 * an interview whose time is to be agreed, or changing a plan. Never a
 * postponement, so never counted as one.
 */
export function rescheduleForm(interview, site, done) {
  const tz = site?.timezone || 'UTC';
  const agree = interview.status === 'postponed';
  const { when, outside, fields } = newTime(interview, site, 'scheduled_at');
  const out = h('div');
  const submit = h('button', { type: 'submit', class: 'primary big' }, t(agree ? 'reschedule.agree' : 'reschedule.save'));
  const form = h('form', { class: 'card reschedule', novalidate: true },
    h('h2', {}, t(agree ? 'reschedule.agree_title' : 'reschedule.title')),
    h('p', { class: 'hint' }, t('reschedule.hint')),
    fields, submit, out);
  const controls = { scheduled_at: when, allow_outside_opening_hours: outside };
  const explain = (p) => (p.code === 'interviewer_busy' ? { at: 'scheduled_at', text: t('code.interviewer_busy_time') } : null);
  // The interview's tag as the form opens: a change by someone else before
  // this one is saved is shown, never overwritten.
  let tag = null;
  api('GET', `/interviews/${interview.id}`, undefined, { full: true, quiet: true })
    .then(({ res }) => { tag = res.headers.get('ETag'); })
    .catch(() => {});
  async function save(at, outsideHours) {
    try {
      const updated = await api('PATCH', `/interviews/${interview.id}`, {
        scheduled_at: at,
        allow_outside_opening_hours: outsideHours,
      }, tag ? { headers: { 'If-Match': tag } } : {});
      problemAt(null, controls, out);
      done(updated);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412 && e.problem.current) conflict(at, outsideHours, e.problem);
      else problemAt(e, controls, out, explain);
    }
  }
  function conflict(at, outsideHours, p) {
    const current = p.current;
    const mine = fmtDateTime(at, tz);
    const theirs = current.status === 'postponed' ? t('tba') : fmtDateTime(current.scheduled_at, tz);
    clear(out, status('error',
      h('p', {}, t('reschedule.conflict', { status: t(`status.${current.status}`).toLowerCase(), theirs, mine })),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: (ev) => busy(ev.target, () => { tag = p.etag; return save(at, outsideHours); }) }, t('reschedule.keep_mine', { mine })),
        h('button', { type: 'button', class: 'secondary', onclick: () => done(current) }, t('reschedule.keep_theirs', { theirs })))));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!when.value) {
      return problemAt(new ApiError(422, { code: 'validation_failed', errors: [{ pointer: '/scheduled_at', text: t('form.required') }] }), controls, out);
    }
    await busy(submit, () => save(zonedToDate(when.value, tz).toISOString(), outside.checked));
  });
  return form;
}

/** A new time for `interview` at `site`: the site's next opening, and
 * "allow a time outside opening hours". */
function newTime(interview, site, name) {
  const tz = site?.timezone || 'UTC';
  const from = new Date(Math.max(Date.now(), Date.parse(interview.scheduled_at)));
  const slot = nextOpening(site, from, interview.duration_minutes) || new Date(from.getTime() + 24 * 3600e3);
  const when = h('input', { type: 'datetime-local', name, value: dateToZoned(slot, tz) });
  const outside = h('input', { type: 'checkbox', name: 'outside', id: uid() });
  const hours = (site?.opening_hours || []).map((w) => `${w.start}–${w.end}`).join(', ');
  return {
    when,
    outside,
    fields: [
      field(t('postpone.time', { tz }), when, hours ? t('book.hours', { hours }) : null),
      h('div', { class: 'check' }, outside, h('label', { for: outside.id }, t('postpone.outside'))),
    ],
  };
}

export function postponeForm(interview, site, done, reason = 'participant_not_ready', reasons = REASONS) {
  const tz = site?.timezone || 'UTC';
  const sel = h('select', { name: 'reason' }, reasons.map((r) => h('option', { value: r, selected: r === reason }, t(`reason.${r}`))));
  const { when, outside, fields } = newTime(interview, site, 'new_time');
  when.disabled = true;
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
  const timed = h('div', { hidden: true }, fields);
  const noteField = field(t('postpone.note'), note);
  const form = h('form', { class: 'card', novalidate: true },
    h('h2', {}, t('postpone.title')),
    field(t('postpone.reason'), sel),
    timeChoice,
    timed,
    noteField,
    submit, out);
  const sayNote = () => {
    noteField.querySelector('label').textContent = sel.value === 'other' ? t('postpone.note_other') : t('postpone.note');
  };
  sel.addEventListener('change', sayNote);
  sayNote();
  const controls = { reason: sel, new_scheduled_at: when, note, allow_outside_opening_hours: outside };
  const explain = (p) => (p.code === 'interviewer_busy' && !when.disabled ? { at: 'new_scheduled_at', text: t('code.interviewer_busy_time') } : null);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (sel.value === 'other' && !note.value.trim()) {
      return problemAt(new ApiError(422, { code: 'validation_failed', errors: [{ pointer: '/note', text: t('err.note_other') }] }), controls, out);
    }
    const picked = !when.disabled;
    if (picked && !when.value) {
      return problemAt(new ApiError(422, { code: 'validation_failed', errors: [{ pointer: '/new_scheduled_at', text: t('form.required') }] }), controls, out);
    }
    await busy(submit, async () => {
      try {
        const updated = await post(`/interviews/${interview.id}/postponements`, {
          reason: sel.value,
          new_scheduled_at: picked ? zonedToDate(when.value, tz).toISOString() : null,
          note: note.value.trim() || null,
          allow_outside_opening_hours: outside.checked,
        });
        problemAt(null, controls, out);
        done(updated);
      } catch (e) {
        problemAt(e, controls, out, explain);
      }
    });
  });
  return form;
}
