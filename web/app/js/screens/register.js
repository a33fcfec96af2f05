// Register a participant (coordinators): a pseudonym, a site and a treatment
// start; nothing that identifies a person.
import { get, post, ApiError, qs } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy } from '../ui.js';
import { pref } from '../store.js';
import { prefetch } from '../session.js';
import { problemAt } from '../errors.js';
import '../vocab.js';

words({
  en: {
    'reg.pseudonymous': 'Participants are pseudonymous: never enter a name, phone number, address or national ID number. Use the study pseudonym only.',
    'reg.pseudonym': 'Pseudonym',
    'reg.pseudonym_hint': 'Unique in the study, e.g. P07',
    'reg.started': 'Treatment started on',
    'reg.gender': 'Gender (optional)',
    'reg.age_band': 'Age band (optional)',
    'reg.optional': 'A coarse category only, e.g. female',
    'reg.age_hint': 'A band, not an age, e.g. 30-39',
    'reg.submit': 'Register participant',
    'reg.done': '{pseudonym} is registered at {site}.',
    'reg.book': 'Book an interview for {pseudonym}',
    'reg.another': 'Register another',
  },
  nb: {
    'reg.pseudonymous': 'Deltakerne er pseudonyme: skriv aldri navn, telefonnummer, adresse eller fødselsnummer. Bruk bare studiens pseudonym.',
    'reg.pseudonym': 'Pseudonym',
    'reg.pseudonym_hint': 'Unikt i studien, f.eks. P07',
    'reg.started': 'Behandlingen startet',
    'reg.gender': 'Kjønn (valgfritt)',
    'reg.age_band': 'Aldersgruppe (valgfritt)',
    'reg.optional': 'Bare en grov kategori, f.eks. kvinne',
    'reg.age_hint': 'En gruppe, ikke en alder, f.eks. 30-39',
    'reg.submit': 'Registrer deltakeren',
    'reg.done': '{pseudonym} er registrert ved {site}.',
    'reg.book': 'Avtal et intervju med {pseudonym}',
    'reg.another': 'Registrer en til',
  },
});

export async function render(main, { app, route }) {
  document.title = `${t('reg.title')} · Fieldnotes`;
  main.append(h('h1', {}, t('reg.title')),
    h('p', { class: 'hint', id: 'reg-pseudo' }, t('reg.pseudonymous')));
  const sites = await get('/sites').then((s) => (Array.isArray(s) ? s : s.items)).catch(() => app.sites);
  if (!sites.length) {
    main.append(status('error', t('note.no_sites')));
    return;
  }
  const siteId = sites.some((s) => s.id === pref('site')) ? pref('site') : sites[0].id;
  const today = new Date().toISOString().slice(0, 10);
  const c = {
    pseudonym: h('input', { type: 'text', name: 'pseudonym', required: true, maxlength: 40, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }),
    site_id: h('select', { name: 'site_id', required: true }, sites.map((s) => h('option', { value: s.id, selected: s.id === siteId }, s.name))),
    treatment_started_on: h('input', { type: 'date', name: 'treatment_started_on', required: true, max: today }),
    gender: h('input', { type: 'text', name: 'gender', maxlength: 40, list: 'reg-genders', autocomplete: 'off' }),
    age_band: h('input', { type: 'text', name: 'age_band', maxlength: 40, list: 'reg-ages', autocomplete: 'off' }),
  };
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('reg.submit'));
  const form = h('form', { class: 'card', novalidate: true },
    field(t('reg.pseudonym'), c.pseudonym, t('reg.pseudonym_hint')),
    field(t('schedule.site'), c.site_id),
    field(t('reg.started'), c.treatment_started_on),
    field(t('reg.gender'), c.gender, t('reg.optional')),
    h('datalist', { id: 'reg-genders' }, ['female', 'male', 'non-binary'].map((v) => h('option', { value: v }))),
    field(t('reg.age_band'), c.age_band, t('reg.age_hint')),
    h('datalist', { id: 'reg-ages' }, ['18-29', '30-39', '40-49', '50-59', '60+'].map((v) => h('option', { value: v }))),
    submit, out);
  c.pseudonym.setAttribute('aria-describedby', `${c.pseudonym.getAttribute('aria-describedby')} reg-pseudo`);
  main.append(form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const missing = Object.entries(c).filter(([, el]) => el.required && !el.value.trim());
    if (missing.length) {
      const e = new ApiError(422, { errors: missing.map(([k]) => ({ pointer: `/${k}`, code: 'required' })) });
      return problemAt(e, c, out);
    }
    busy(submit, async () => {
      try {
        const p = await post('/participants', {
          pseudonym: c.pseudonym.value.trim(),
          site_id: c.site_id.value,
          treatment_started_on: c.treatment_started_on.value,
          gender: c.gender.value.trim() || null,
          age_band: c.age_band.value.trim() || null,
        });
        problemAt(null, c, out);
        prefetch(); // the notes' "About" lists know them now
        const site = sites.find((s) => s.id === p.site_id);
        clear(form,
          status('ok', h('p', {}, t('reg.done', { pseudonym: p.pseudonym, site: site?.name || '' }))),
          h('div', { class: 'actions' },
            h('a', { class: 'button primary', href: `#/schedule/book${qs({ site: p.site_id, participant: p.id })}` }, t('reg.book', { pseudonym: p.pseudonym })),
            h('a', { class: 'button', href: '#/schedule/participant', onclick: (e) => { e.preventDefault(); route(); } }, t('reg.another')),
            h('a', { class: 'button', href: `#/schedule${qs({ site: p.site_id })}` }, t('book.back'))));
        form.querySelector('a').focus();
      } catch (e) {
        problemAt(e, c, out, (pr) => (pr.code === 'pseudonym_taken' ? { at: 'pseudonym', text: t('code.pseudonym_taken') } : null));
      }
    });
  });
}
