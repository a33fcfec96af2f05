// Readiness and waves (admins): which screening forms the study requires
// before consent and before each interview session, in order; how long a
// screening counts; how long a POSTPONE or STOP holds against a quick
// re-screen ("no screen shopping"); and the interview waves' due windows.
// Readiness, then the waves on a phone; side by side on a desk.
import { get, api } from '../api.js';
import { t, text, words } from '../i18n.js';
import { h, clear, field, busy, uid } from '../ui.js';
import { desk, loading, refuse, savedUntilEdited, number, whole } from '../admin.js';

words({
  en: {
    'study.title': 'Readiness and waves',
    'study.readiness': 'Readiness to consent and to interview',
    'study.readiness_intro': 'Before consent and before each interview session, the participant is screened with these forms, in this order. A capacity check counts only after the others passed.',
    'study.consent': 'Required before consent',
    'study.session': 'Required before each interview session',
    'study.none': 'None yet: readiness cannot be checked without one.',
    'study.add': 'Add a form',
    'study.add_button': 'Add',
    'study.choose': 'Choose…',
    'study.validity': 'How long a screening counts (minutes)',
    'study.validity_hint': 'Empty: the form’s own {n} minutes.',
    'study.shopping': 'No screen shopping (minutes)',
    'study.shopping_hint': 'A POSTPONE or STOP holds this long, even if a new screening passes. 0 to 1440.',
    'study.save_readiness': 'Save readiness',
    'study.rescreen': 'Each new session of a split interview needs a new screening',
    'study.rescreen_hint': 'Taken after the previous session ended: interviews are split because a participant’s state changes.',
    'study.versions': 'Consent form versions in use',
    'study.versions_hint': 'One a line, newest last, as the ethics committee approved them. Whoever records consent picks one.',
    'field.consent_form_versions': 'Consent form versions',
    'study.waves': 'Interview waves',
    'study.waves_intro': 'Each wave’s due window, in days after the participant’s treatment start. In the study, wave 1 was 4 to 8 weeks in: day 28 to day 56.',
    'study.wave': 'Wave {n}',
    'study.wave_new': 'New wave',
    'study.wave_no': 'Wave number',
    'study.opens': 'Opens on day',
    'study.closes': 'Closes on day',
    'study.add_wave': 'Add a wave',
    'study.save_waves': 'Save the waves',
    'field.consent': 'Required before consent',
    'field.session': 'Required before each session',
    'field.no_screen_shopping_minutes': 'No screen shopping',
    'field.waves': 'Waves',
    'field.opens_day': 'Opens on day',
    'field.closes_day': 'Closes on day',
  },
  nb: {
    'study.title': 'Klarhet og bølger',
    'study.readiness': 'Klar for samtykke og intervju',
    'study.readiness_intro': 'Før samtykke og før hver intervjuøkt screenes deltakeren med disse skjemaene, i denne rekkefølgen. En vurdering av samtykkekompetanse teller først når de andre er bestått.',
    'study.consent': 'Kreves før samtykke',
    'study.session': 'Kreves før hver intervjuøkt',
    'study.none': 'Ingen ennå: klarhet kan ikke vurderes uten.',
    'study.add': 'Legg til et skjema',
    'study.add_button': 'Legg til',
    'study.choose': 'Velg …',
    'study.validity': 'Hvor lenge en screening gjelder (minutter)',
    'study.validity_hint': 'Tomt: skjemaets egne {n} minutter.',
    'study.shopping': 'Ingen «screening-shopping» (minutter)',
    'study.shopping_hint': 'En UTSETT eller STOPP gjelder så lenge, selv om en ny screening blir godkjent. 0 til 1440.',
    'study.save_readiness': 'Lagre klarhet',
    'study.rescreen': 'Hver nye økt i et oppdelt intervju krever en ny screening',
    'study.rescreen_hint': 'Tatt etter at forrige økt ble avsluttet: intervjuer deles fordi deltakerens tilstand endrer seg.',
    'study.versions': 'Versjoner av samtykkeskjemaet i bruk',
    'study.versions_hint': 'Én per linje, nyeste sist, slik etisk komité godkjente dem. Den som registrerer samtykke, velger én.',
    'field.consent_form_versions': 'Versjoner av samtykkeskjemaet',
    'study.waves': 'Intervjubølger',
    'study.waves_intro': 'Hver bølges tidsvindu, i dager etter at deltakeren startet behandlingen. I studien var bølge 1 etter 4 til 8 uker: dag 28 til dag 56.',
    'study.wave': 'Bølge {n}',
    'study.wave_new': 'Ny bølge',
    'study.wave_no': 'Bølgenummer',
    'study.opens': 'Åpner på dag',
    'study.closes': 'Stenger på dag',
    'study.add_wave': 'Legg til en bølge',
    'study.save_waves': 'Lagre bølgene',
    'field.consent': 'Kreves før samtykke',
    'field.session': 'Kreves før hver økt',
    'field.no_screen_shopping_minutes': 'Ingen «screening-shopping»',
    'field.waves': 'Bølger',
    'field.opens_day': 'Åpner på dag',
    'field.closes_day': 'Stenger på dag',
  },
});

export async function render(main, { app, signal, live }) {
  const d = desk(main, app, t('study.title'), 'study');
  if (!d) return;
  const readySec = h('section', { class: 'card readiness', 'aria-labelledby': 'ready-h' });
  const wavesSec = h('section', { class: 'card waves', 'aria-labelledby': 'waves-h' });
  d.list.append(readySec);
  d.side.append(wavesSec);

  let settings;
  let waves;
  const forms = {};
  await loading(main, async () => {
    const [s, list, w] = await Promise.all([
      get('/settings/readiness', { signal }), get('/instruments', { signal }), get('/settings/waves', { signal }),
    ]);
    settings = s;
    waves = w.waves;
    // The newest version of each form.
    for (const i of list.items) if (!forms[i.key] || forms[i.key].version < i.version) forms[i.key] = i;
  });
  if (!live()) return;
  const nameOf = (k) => (forms[k] ? text(forms[k].name) : k);

  function showReadiness(note) {
    const lists = { consent: [...settings.consent], session: [...settings.session] };
    const typed = { ...settings.validity_minutes };
    const validityBox = h('div');
    const validityFs = h('fieldset', {}, h('legend', {}, t('study.validity')), validityBox);
    const inputs = {};

    /** One input per form in either list; what was typed stays when the lists change. */
    function showValidity() {
      for (const [k, input] of Object.entries(inputs)) typed[k] = input.value;
      for (const k of Object.keys(inputs)) delete inputs[k];
      const keys = [...new Set([...lists.consent, ...lists.session])];
      clear(validityBox, keys.map((k) => {
        inputs[k] = number('validity', typed[k], { min: 1, max: 1440, 'data-key': k });
        return field(nameOf(k), inputs[k], t('study.validity_hint', { n: forms[k]?.validity_minutes ?? 30 }));
      }));
    }

    /** An ordered list of required forms: move up, down, remove, add. */
    function orderList(which) {
      const box = h('div');
      const fs = h('fieldset', { class: `order ${which}` }, h('legend', {}, t(`study.${which}`)), box);
      function show(focus) {
        const keys = lists[which];
        const move = (i, by) => {
          [keys[i], keys[i + by]] = [keys[i + by], keys[i]];
          show(`${i + by}-${by < 0 ? 'up' : 'down'}`);
        };
        const items = keys.map((k, i) => {
          const id = uid('req');
          const btn = (label, fn, tag, disabled) => h('button', {
            type: 'button', class: 'secondary', 'aria-describedby': id, disabled, 'data-act': `${i}-${tag}`, onclick: fn,
          }, label);
          return h('li', { class: 'group' },
            h('span', { id, class: 'who' }, nameOf(k)),
            h('span', { class: 'sub' }, ` (${k})`),
            h('div', { class: 'row' },
              btn(t('adm.up'), () => move(i, -1), 'up', i === 0),
              btn(t('adm.down'), () => move(i, 1), 'down', i === keys.length - 1),
              btn(t('adm.remove'), () => {
                keys.splice(i, 1);
                show('add');
                showValidity();
              }, 'remove', false)));
        });
        const pick = h('select', { name: `add-${which}` },
          h('option', { value: '' }, t('study.choose')),
          Object.values(forms).filter((f) => !keys.includes(f.key))
            .map((f) => h('option', { value: f.key }, `${text(f.name)} (${f.key})`)));
        const add = h('button', { type: 'button', class: 'secondary', 'data-act': 'add', onclick: () => {
          if (!pick.value) return pick.focus();
          keys.push(pick.value);
          show('add');
          showValidity();
        } }, t('study.add_button'));
        clear(box,
          keys.length ? h('ol', { class: 'cards' }, items) : h('p', { class: 'empty' }, t('study.none')),
          h('div', { class: 'row add' }, field(t('study.add'), pick), add));
        if (focus) {
          const target = box.querySelector(`[data-act="${focus}"]`);
          (target && !target.disabled ? target : add).focus();
        }
      }
      show();
      return fs;
    }

    const consent = orderList('consent');
    const session = orderList('session');
    showValidity();
    const shopping = number('no_screen_shopping_minutes', settings.no_screen_shopping_minutes, { min: 0, max: 1440 });
    const rescreen = h('input', { type: 'checkbox', id: uid('rs'), name: 'rescreen_between_sessions', checked: settings.rescreen_between_sessions !== false });
    // The consent form versions the committee approved: one a line, newest last; fieldworkers pick from them.
    const versions = h('textarea', { name: 'consent_form_versions', rows: 3, value: (settings.consent_form_versions || []).join('\n') });
    const save = h('button', { type: 'submit', class: 'primary big' }, t('study.save_readiness'));
    const out = h('div');
    const form = h('form', { novalidate: true },
      consent, session, validityFs,
      field(t('study.shopping'), shopping, t('study.shopping_hint')),
      h('div', { class: 'check' }, rescreen, h('label', { for: rescreen.id }, t('study.rescreen'))),
      h('p', { class: 'hint' }, t('study.rescreen_hint')),
      field(t('study.versions'), versions, t('study.versions_hint')),
      save, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const validity = {};
      for (const [k, input] of Object.entries(inputs)) {
        const v = whole(input);
        if (v !== null) validity[k] = v;
      }
      const controls = {
        consent, session, validity_minutes: validityFs, no_screen_shopping_minutes: shopping,
        consent_form_versions: versions, rescreen_between_sessions: rescreen,
        ...Object.fromEntries(Object.entries(inputs).map(([k, input]) => [`validity_minutes/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, input])),
      };
      busy(save, async () => {
        try {
          settings = await api('PATCH', '/settings/readiness', {
            consent: lists.consent, session: lists.session, validity_minutes: validity, no_screen_shopping_minutes: whole(shopping),
            rescreen_between_sessions: rescreen.checked,
            consent_form_versions: versions.value.split('\n').map((v) => v.trim()).filter(Boolean),
          });
          if (live()) showReadiness(t('adm.saved'));
        } catch (e) {
          if (live()) refuse(e, controls, out);
        }
      });
    });
    clear(readySec,
      h('h2', { id: 'ready-h', tabindex: -1 }, t('study.readiness')),
      savedUntilEdited(form, note),
      h('p', { class: 'hint' }, t('study.readiness_intro')),
      form);
    if (note) readySec.querySelector('h2').focus();
  }

  function showWaves(note) {
    const rows = [];
    const box = h('div');
    const fs = h('fieldset', {}, h('legend', { class: 'vh' }, t('study.waves')), box);
    const named = (r) => { r.legend.textContent = r.wave.value ? t('study.wave', { n: r.wave.value }) : t('study.wave_new'); };
    function addRow(w) {
      const legend = h('legend', { id: uid('wave') });
      const wave = number('wave', w.wave, { min: 1, max: 20 });
      const opens = number('opens_day', w.opens_day, { min: 0, max: 3650 });
      const closes = number('closes_day', w.closes_day, { min: 0, max: 3650 });
      const el = h('fieldset', { class: 'group' }, legend,
        h('div', { class: 'row' }, field(t('study.wave_no'), wave), field(t('study.opens'), opens), field(t('study.closes'), closes)),
        h('button', { type: 'button', class: 'secondary', 'aria-describedby': legend.id, onclick: () => {
          rows.splice(rows.indexOf(r), 1);
          el.remove();
          add.focus();
        } }, t('adm.remove')));
      const r = { el, legend, wave, opens, closes };
      wave.addEventListener('input', () => named(r));
      named(r);
      rows.push(r);
      box.append(el);
      return r;
    }
    const add = h('button', { type: 'button', class: 'secondary', onclick: () => {
      const next = Math.max(0, ...rows.map((r) => Number(r.wave.value) || 0)) + 1;
      addRow({ wave: next }).opens.focus();
    } }, t('study.add_wave'));
    waves.forEach(addRow);
    const save = h('button', { type: 'submit', class: 'primary big' }, t('study.save_waves'));
    const out = h('div');
    const form = h('form', { novalidate: true }, fs, add, save, out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const controls = { waves: fs };
      rows.forEach((r, i) => Object.assign(controls, {
        [`waves/${i}`]: r.el, [`waves/${i}/wave`]: r.wave, [`waves/${i}/opens_day`]: r.opens, [`waves/${i}/closes_day`]: r.closes,
      }));
      busy(save, async () => {
        try {
          const res = await api('PATCH', '/settings/waves', {
            waves: rows.map((r) => ({ wave: whole(r.wave), opens_day: whole(r.opens), closes_day: whole(r.closes) })),
          });
          waves = res.waves;
          if (live()) showWaves(t('adm.saved'));
        } catch (e) {
          if (live()) refuse(e, controls, out);
        }
      });
    });
    clear(wavesSec,
      h('h2', { id: 'waves-h', tabindex: -1 }, t('study.waves')),
      savedUntilEdited(form, note),
      h('p', { class: 'hint' }, t('study.waves_intro')),
      form);
    if (note) wavesSec.querySelector('h2').focus();
  }

  showReadiness();
  showWaves();
}
