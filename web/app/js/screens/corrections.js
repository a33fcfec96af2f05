// The corrections a coordinator makes every week, where they already look (a
// participant on the desk's Participants screen): for an interview, a new
// time (reschedule or agree one), a postponement, other interviewers, a
// cancellation with its reason, or reopening it; for the participant, gender
// and age band, ending their participation, and withdrawing consent with its
// data decision. Each form refuses at its fields and keeps what was typed.
import { api, post } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, choices, checkboxes, busy } from '../ui.js';
import { problem, problemAt } from '../errors.js';
import { postponeForm, rescheduleForm } from './participant.js';
import '../vocab.js';

words({
  en: {
    'fix.reschedule': 'Reschedule',
    'fix.agree': 'Agree a time',
    'fix.postpone': 'Postpone',
    'fix.interviewers': 'Change interviewers',
    'fix.interviewers_title': 'Interviewers',
    'fix.interviewers_save': 'Save the interviewers',
    'fix.cancel': 'Cancel the interview',
    'fix.cancel_reason': 'Why is it cancelled?',
    'fix.cancel_yes': 'Cancel it',
    'fix.reopen': 'Reopen',
    'fix.reopen_hint_completed': 'It goes back to its sessions, to add one or to correct them.',
    'fix.reopen_hint_cancelled': 'It opens again with its time to be agreed; give it a time afterwards.',
    'fix.reopen_yes': 'Reopen it',
    'fix.done': 'Saved. Everyone affected gets an email.',
    'fix.edit': 'Gender and age band',
    'fix.gender': 'Gender (as the participant says it)',
    'fix.age_band': 'Age band',
    'fix.save': 'Save',
    'fix.saved': 'Saved.',
    'fix.end': 'End participation',
    'fix.end_hint': 'The participant took part to the end of the study: nothing more is recorded for them, and what was recorded stays.',
    'fix.end_yes': 'End their participation',
    'fix.withdraw': 'Withdraw consent',
    'fix.withdraw_reason': 'What the participant said',
    'fix.data': 'What happens to what was collected',
    'fix.data_keep': 'Keep it (what the consent allows)',
    'fix.data_delete': 'Delete their screenings and unlink them from notes',
    'fix.withdraw_yes': 'Record the withdrawal',
    'fix.withdrawn': 'Withdrawn: {screenings} screenings deleted, {links} note links removed. Their open interviews are cancelled.',
  },
  nb: {
    'fix.reschedule': 'Flytt',
    'fix.agree': 'Avtal tidspunkt',
    'fix.postpone': 'Utsett',
    'fix.interviewers': 'Bytt intervjuere',
    'fix.interviewers_title': 'Intervjuere',
    'fix.interviewers_save': 'Lagre intervjuerne',
    'fix.cancel': 'Avlys intervjuet',
    'fix.cancel_reason': 'Hvorfor avlyses det?',
    'fix.cancel_yes': 'Avlys det',
    'fix.reopen': 'Åpne igjen',
    'fix.reopen_hint_completed': 'Det går tilbake til øktene sine, for å legge til en eller rette dem.',
    'fix.reopen_hint_cancelled': 'Det åpnes igjen med tidspunkt som avtales senere; gi det et tidspunkt etterpå.',
    'fix.reopen_yes': 'Åpne det igjen',
    'fix.done': 'Lagret. Alle som berøres får e-post.',
    'fix.edit': 'Kjønn og aldersgruppe',
    'fix.gender': 'Kjønn (slik deltakeren sier det)',
    'fix.age_band': 'Aldersgruppe',
    'fix.save': 'Lagre',
    'fix.saved': 'Lagret.',
    'fix.end': 'Avslutt deltakelsen',
    'fix.end_hint': 'Deltakeren var med til studien var slutt: ingenting mer registreres, og det som er registrert blir.',
    'fix.end_yes': 'Avslutt deltakelsen',
    'fix.withdraw': 'Trekk samtykket',
    'fix.withdraw_reason': 'Hva deltakeren sa',
    'fix.data': 'Hva skjer med det som er samlet inn',
    'fix.data_keep': 'Behold det (det samtykket tillater)',
    'fix.data_delete': 'Slett screeningene og fjern koblingen fra notater',
    'fix.withdraw_yes': 'Registrer tilbaketrekkingen',
    'fix.withdrawn': 'Trukket: {screenings} screeninger slettet, {links} koblinger fra notater fjernet. Åpne intervjuer er avlyst.',
  },
});

/** A row of buttons, each opening its form in one panel below (one at a time). */
function actions(items) {
  const panel = h('div', { class: 'fix-panel' });
  const row = h('div', { class: 'row fix' });
  for (const [label, open, cls = 'secondary'] of items.filter(Boolean)) {
    const b = h('button', { type: 'button', class: cls, 'aria-expanded': 'false' }, label);
    b.addEventListener('click', () => {
      const was = b.getAttribute('aria-expanded') === 'true';
      for (const x of row.querySelectorAll('button')) x.setAttribute('aria-expanded', 'false');
      clear(panel);
      if (was) return;
      b.setAttribute('aria-expanded', 'true');
      panel.append(open());
      panel.querySelector('input, select, textarea, button[type=submit]')?.focus();
    });
    row.append(b);
  }
  return h('div', {}, row, panel);
}

/** A small form: its heading (`level`, under the page's outline), fields, a
 * submit button and where refusals go. */
function form(level, title, fields, label, cls, send) {
  const out = h('div');
  const submit = h('button', { type: 'submit', class: `${cls} big` }, label);
  const f = h('form', { class: 'card', novalidate: true }, h(level, {}, title), ...fields, submit, out);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(submit, () => send(out));
  });
  return f;
}

const OPEN = ['scheduled', 'postponed', 'in_progress'];

/**
 * The corrections of one interview. `site` its site, `team` the people who
 * could interview (active, with their sites), `done(note)` reloads the page.
 */
export function interviewActions(i, { site, team, done }) {
  const open = OPEN.includes(i.status);
  const running = i.sessions?.some((s) => !s.ended_at);
  const moved = () => done(t('fix.done'));
  return actions([
    open && !running && [t(i.status === 'postponed' ? 'fix.agree' : 'fix.reschedule'), () => rescheduleForm(i, site, moved)],
    i.status === 'scheduled' && [t('fix.postpone'), () => postponeForm(i, site, moved, 'clinic_circumstances')],
    open && [t('fix.interviewers'), () => {
      const here = team.filter((u) => u.active && (u.role === 'admin' || u.site_ids.includes(i.site_id)));
      const boxes = checkboxes(t('fix.interviewers_title'), 'interviewer_ids',
        here.map((u) => ({ value: u.id, label: u.display_name })), i.interviewer_ids);
      return form('h5', t('fix.interviewers'), [boxes], t('fix.interviewers_save'), 'primary', async (out) => {
        const ids = [...boxes.querySelectorAll('input:checked')].map((x) => x.value);
        try {
          await api('PATCH', `/interviews/${i.id}`, { interviewer_ids: ids });
          moved();
        } catch (e) {
          problemAt(e, { interviewer_ids: boxes }, out);
        }
      });
    }],
    open && !running && [t('fix.cancel'), () => {
      const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 500 });
      return form('h5', t('fix.cancel'), [field(t('fix.cancel_reason'), reason)], t('fix.cancel_yes'), 'warn', async (out) => {
        try {
          await post(`/interviews/${i.id}/cancel`, { reason: reason.value.trim() });
          moved();
        } catch (e) {
          problemAt(e, { reason }, out);
        }
      });
    }, 'warn'],
    !open && [t('fix.reopen'), () => form('h5', t('fix.reopen'),
      [h('p', { class: 'hint' }, t(i.status === 'completed' ? 'fix.reopen_hint_completed' : 'fix.reopen_hint_cancelled'))],
      t('fix.reopen_yes'), 'primary', async (out) => {
        try {
          await post(`/interviews/${i.id}/reopen`, {});
          moved();
        } catch (e) {
          clear(out, problem(e));
        }
      })],
  ]);
}

/** The corrections of a participant; `consent` the one in force, if any. */
export function participantActions(p, consent, { done }) {
  const active = p.status === 'active';
  return actions([
    [t('fix.edit'), () => {
      const gender = h('input', { type: 'text', name: 'gender', maxlength: 40, autocomplete: 'off', value: p.gender || '' });
      const age = h('input', { type: 'text', name: 'age_band', maxlength: 40, autocomplete: 'off', value: p.age_band || '' });
      return form('h3', t('fix.edit'), [field(t('fix.gender'), gender), field(t('fix.age_band'), age)], t('fix.save'), 'primary', async (out) => {
        try {
          await api('PATCH', `/participants/${p.id}`, { gender: gender.value.trim(), age_band: age.value.trim() });
          done(t('fix.saved'));
        } catch (e) {
          problemAt(e, { gender, age_band: age }, out);
        }
      });
    }],
    active && consent && [t('fix.withdraw'), () => {
      const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 500 });
      const data = choices(t('fix.data'), 'data_decision', [
        { value: 'keep', label: t('fix.data_keep') },
        { value: 'delete', label: t('fix.data_delete') },
      ], 'keep');
      return form('h3', t('fix.withdraw'), [field(t('fix.withdraw_reason'), reason), data], t('fix.withdraw_yes'), 'warn', async (out) => {
        try {
          const r = await post(`/consents/${consent.id}/withdraw`, {
            reason: reason.value.trim(), data_decision: data.querySelector('input:checked')?.value || 'keep',
          });
          done(t('fix.withdrawn', { screenings: r.deleted.screenings, links: r.deleted.note_links }));
        } catch (e) {
          problemAt(e, { reason, data_decision: data }, out);
        }
      });
    }, 'warn'],
    active && [t('fix.end'), () => form('h3', t('fix.end'), [h('p', { class: 'hint' }, t('fix.end_hint'))],
      t('fix.end_yes'), 'warn', async (out) => {
        try {
          await api('PATCH', `/participants/${p.id}`, { status: 'ended' });
          done(t('fix.saved'));
        } catch (e) {
          clear(out, problem(e));
        }
      }), 'warn'],
  ]);
}
