// A running session: timer, end with note and recording label, complete.
import { get, post } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy, uid } from '../ui.js';
import { fmtTime, fmtDateTime, duration } from '../time.js';
import { problem } from '../errors.js';
import { statusBadge } from './today.js';
import { postponeForm, UNSCREENED } from './participant.js';

words({
  en: {
    'session.title': 'Session',
    'session.total': '{n} min so far',
    'session.running': 'Session {n} running since {time}',
    'session.note': 'Note about the session',
    'session.recorded': 'Audio recorded',
    'session.label': 'Recording label',
    'session.label_hint': "The recorder's file name, e.g. REC_0042",
    'session.end': 'End session',
    'session.list': 'Sessions',
    'session.n': 'Session {n}',
    'session.minutes': '{n} min',
    'session.rec': 'Recorded',
    'session.another': 'Start another session',
    'session.complete': 'Complete the interview',
    'session.completed': 'The interview is completed.',
    'session.confirm_complete': 'Complete this interview? No more sessions can be started after this; only a coordinator can reopen it.',
    'session.confirm_yes': 'Yes, complete it',
    'session.confirm_no': 'Not yet',
    'session.reopen': 'Reopen the interview',
    'session.reopened': 'The interview is open again: start another session when the participant is ready.',
  },
  nb: {
    'session.title': 'Økt',
    'session.total': '{n} min så langt',
    'session.running': 'Økt {n} har pågått siden {time}',
    'session.note': 'Merknad om økten',
    'session.recorded': 'Lydopptak gjort',
    'session.label': 'Navn på opptaket',
    'session.label_hint': 'Filnavnet på opptakeren, f.eks. REC_0042',
    'session.end': 'Avslutt økten',
    'session.list': 'Økter',
    'session.n': 'Økt {n}',
    'session.minutes': '{n} min',
    'session.rec': 'Tatt opp',
    'session.another': 'Start en ny økt',
    'session.complete': 'Fullfør intervjuet',
    'session.completed': 'Intervjuet er fullført.',
    'session.confirm_complete': 'Fullføre dette intervjuet? Etterpå kan ingen flere økter startes; bare en koordinator kan åpne det igjen.',
    'session.confirm_yes': 'Ja, fullfør',
    'session.confirm_no': 'Ikke ennå',
    'session.reopen': 'Åpne intervjuet igjen',
    'session.reopened': 'Intervjuet er åpent igjen: start en ny økt når deltakeren er klar.',
  },
});

export async function render(main, ctx) {
  const { params, app } = ctx;
  let i = await get(`/interviews/${params.id}`, { signal: ctx.signal });
  if (!ctx.live()) return;
  const tz = app.site(i.site_id)?.timezone || app.tz;
  document.title = `${t('session.title')} · ${i.pseudonym} · Fieldnotes`;
  const open = i.sessions.find((s) => !s.ended_at);
  const sub = h('p', { class: 'sub' });
  const renderSub = () => clear(sub, statusBadge(i.status), ' ', t('session.total', { n: i.total_minutes }),
    i.status === 'postponed' ? [' · ', t('tba')] : i.status === 'scheduled' ? [' · ', fmtDateTime(i.scheduled_at, tz)] : null);
  renderSub();
  main.append(h('h1', {}, t('session.title'), h('small', {}, i.pseudonym)), sub);

  if (open) {
    const timer = h('p', { class: 'timer', role: 'timer', 'aria-live': 'off' }, duration(Date.now() - Date.parse(open.started_at)));
    const tick = setInterval(() => { timer.textContent = duration(Date.now() - Date.parse(open.started_at)); }, 1000);
    ctx.onLeave(() => clearInterval(tick));
    const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000 });
    const recorded = h('input', { type: 'checkbox', name: 'recorded', id: uid() });
    const label = h('input', { type: 'text', name: 'recording_label', maxlength: 200 });
    const out = h('div');
    const submit = h('button', { type: 'submit', class: 'primary big' }, t('session.end'));
    const form = h('form', { class: 'card' },
      h('h2', {}, t('session.running', { n: open.n, time: fmtTime(open.started_at, tz) })),
      timer,
      field(t('session.note'), note),
      h('div', { class: 'check' }, recorded, h('label', { for: recorded.id }, t('session.recorded'))),
      field(t('session.label'), label, t('session.label_hint')),
      submit, out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      await busy(submit, async () => {
        try {
          await post(`/interviews/${i.id}/sessions/${open.n}/end`, {
            note: note.value.trim() || null, recorded: recorded.checked, recording_label: label.value.trim() || null,
          });
          ctx.route();
        } catch (e) {
          clear(out, problem(e));
        }
      });
    });
    main.append(form);
    return;
  }

  if (i.sessions.length) {
    main.append(h('h2', {}, t('session.list')), h('ul', { class: 'cards' }, i.sessions.map((s) => h('li', { class: 'card' },
      h('strong', {}, t('session.n', { n: s.n })), ' ',
      `${fmtTime(s.started_at, tz)}–${s.ended_at ? fmtTime(s.ended_at, tz) : ''}`, ' · ',
      t('session.minutes', { n: s.minutes ?? 0 }),
      s.recorded ? h('span', { class: 'state' }, t('session.rec'), s.recording_label ? `: ${s.recording_label}` : '') : null,
      s.note ? h('p', {}, s.note) : null))));
  }
  if (i.status === 'completed') {
    main.append(completed());
    return;
  }
  const out = h('div');
  const again = h('a', { class: 'button secondary', href: `#/participant/${i.participant_id}?interview=${i.id}` }, t('session.another'));
  const done = h('button', { type: 'button', class: 'primary big', disabled: i.status !== 'in_progress' }, t('session.complete'));
  // Completing closes the interview for good (only a coordinator reopens
  // it): ask first.
  done.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'primary' }, t('session.confirm_yes'));
    const no = h('button', { type: 'button', class: 'secondary' }, t('session.confirm_no'));
    const ask = h('div', { class: 'msg warn', role: 'alertdialog', 'aria-labelledby': 'confirm-q' },
      h('p', { id: 'confirm-q' }, t('session.confirm_complete')), h('div', { class: 'row' }, yes, no));
    no.addEventListener('click', () => {
      ask.remove();
      done.hidden = false;
      done.focus();
    });
    yes.addEventListener('click', () => busy(yes, async () => {
      try {
        await post(`/interviews/${i.id}/complete`);
        clear(main, h('h1', {}, t('session.title'), h('small', {}, i.pseudonym)), completed());
      } catch (e) {
        clear(out, problem(e));
      }
    }));
    done.hidden = true;
    done.after(ask);
    no.focus();
  });
  main.append(h('div', { class: 'actions' }, done, again, out));

  // Postponing needs no screening: the participant is absent, or would
  // rather not go on today.
  if (['scheduled', 'postponed', 'in_progress'].includes(i.status)) {
    const wrap = h('div', { class: 'postpone actions' });
    const ask = h('button', { type: 'button', class: 'warn big', 'aria-expanded': 'false' }, t('postpone.open'));
    ask.addEventListener('click', () => {
      ask.setAttribute('aria-expanded', 'true');
      ask.hidden = true;
      wrap.append(postponeForm(i, app.site(i.site_id), (updated) => {
        i = { ...i, ...updated };
        renderSub();
        clear(wrap, status('ok', t('postpone.done')), h('a', { href: '#/today', class: 'button' }, t('back.today')));
        wrap.querySelector('a').focus();
      }, 'participant_unwilling_today', UNSCREENED));
      wrap.querySelector('select')?.focus();
    });
    wrap.append(ask);
    main.append(wrap);
  }

  /** A completed interview: back to today, and for coordinators, reopen. */
  function completed() {
    const box = h('div', {}, status('ok', t('session.completed')), h('a', { href: '#/today', class: 'button' }, t('back.today')));
    if (app.coordinator) {
      const reopen = h('button', { type: 'button', class: 'secondary' }, t('session.reopen'));
      const said = h('div');
      reopen.addEventListener('click', () => busy(reopen, async () => {
        try {
          await post(`/interviews/${i.id}/reopen`, {});
          clear(box, status('ok', t('session.reopened')),
            h('a', { class: 'button primary', href: `#/participant/${i.participant_id}?interview=${i.id}` }, t('session.another')));
        } catch (e) {
          clear(said, problem(e));
        }
      }));
      box.append(reopen, said);
    }
    return box;
  }
}
