// Transcripts (coordinators and admins), opened from an interview on the
// participant's page: an interview's transcripts and a form to add one
// (pasted, or read from a .txt or a Word .docx file, which the server reads
// and the form shows to check before saving); one transcript to read, to
// edit (each save is a new version; the old one is kept), and to code
// passages of (coding.js).
import { api, get, post, ApiError } from '../api.js';
import { t, words } from '../i18n.js';
import { h, clear, field, status, busy } from '../ui.js';
import { fmtDateTime } from '../time.js';
import { load } from '../store.js';
import { problem, problemAt } from '../errors.js';
import { deskTitle, countWords } from '../desk.js';
import { codingPane } from '../coding.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

words({
  en: {
    'tr.title': 'Transcripts',
    'tr.of': 'Wave {n} interview with {who}',
    'tr.when': 'Interview on {when}',
    'tr.pick': 'Open an interview on a participant’s page to see or add its transcripts.',
    'tr.to_people': 'Participants',
    'tr.list': 'This interview’s transcripts',
    'tr.none': 'No transcript yet.',
    'tr.whole': 'Whole interview',
    'tr.session': 'Session {n}',
    'tr.meta': '{what} · {lang} · version {v} · {n} characters',
    'tr.add': 'Add a transcript',
    'tr.add_hint': 'Paste the de-identified text, or read it from a file: plain text (.txt) or Word (.docx). Check it, then save.',
    'tr.file': 'Read from a file (.txt or .docx)',
    'tr.read_file': 'Read “{name}”: {n} characters. Check the text below before you save it.',
    'tr.body': 'Text',
    'tr.language': 'Language spoken',
    'tr.lang.nb': 'Norwegian (bokmål)',
    'tr.lang.nn': 'Norwegian (nynorsk)',
    'tr.lang.en': 'English',
    'tr.for_session': 'Transcribes',
    'tr.save': 'Save the transcript',
    'tr.saved': 'Saved.',
    'tr.back': 'Back to the interview’s transcripts',
    'tr.participant': 'Back to {who}',
    'tr.edit': 'Edit the text',
    'tr.save_edit': 'Save as a new version',
    'tr.cancel': 'Cancel',
    'tr.saved_version': 'Saved as version {v}.',
    'tr.lost': { one: '{n} coding lost its words in this edit: place it again below.', other: '{n} codings lost their words in this edit: place them again below.' },
    'tr.stale': 'Someone saved a newer version while you edited. Your text is still in the box: copy it, reload, and edit again.',
    'tr.reload': 'Reload',
    'tr.read_only': 'Only coordinators code transcripts.',
    'code.docx_unreadable': 'This file could not be read as a Word document. Save it as .docx or as plain text (.txt) and try again.',
    'code.docx_empty': 'This Word document has no text.',
  },
  nb: {
    'tr.title': 'Transkripsjoner',
    'tr.of': 'Intervju i bølge {n} med {who}',
    'tr.when': 'Intervju {when}',
    'tr.pick': 'Åpne et intervju på en deltakers side for å se eller legge til transkripsjonene.',
    'tr.to_people': 'Deltakere',
    'tr.list': 'Intervjuets transkripsjoner',
    'tr.none': 'Ingen transkripsjon ennå.',
    'tr.whole': 'Hele intervjuet',
    'tr.session': 'Økt {n}',
    'tr.meta': '{what} · {lang} · versjon {v} · {n} tegn',
    'tr.add': 'Legg til en transkripsjon',
    'tr.add_hint': 'Lim inn den avidentifiserte teksten, eller les den fra en fil: ren tekst (.txt) eller Word (.docx). Se over, og lagre.',
    'tr.file': 'Les fra en fil (.txt eller .docx)',
    'tr.read_file': 'Leste «{name}»: {n} tegn. Se over teksten nedenfor før du lagrer.',
    'tr.body': 'Tekst',
    'tr.language': 'Språk i intervjuet',
    'tr.lang.nb': 'Norsk (bokmål)',
    'tr.lang.nn': 'Norsk (nynorsk)',
    'tr.lang.en': 'Engelsk',
    'tr.for_session': 'Transkriberer',
    'tr.save': 'Lagre transkripsjonen',
    'tr.saved': 'Lagret.',
    'tr.back': 'Tilbake til intervjuets transkripsjoner',
    'tr.participant': 'Tilbake til {who}',
    'tr.edit': 'Endre teksten',
    'tr.save_edit': 'Lagre som ny versjon',
    'tr.cancel': 'Avbryt',
    'tr.saved_version': 'Lagret som versjon {v}.',
    'tr.lost': { one: '{n} koding mistet ordene sine i denne endringen: plasser den på nytt nedenfor.', other: '{n} kodinger mistet ordene sine i denne endringen: plasser dem på nytt nedenfor.' },
    'tr.stale': 'Noen lagret en nyere versjon mens du endret. Teksten din står fortsatt i feltet: kopier den, last inn på nytt og endre igjen.',
    'tr.reload': 'Last inn på nytt',
    'tr.read_only': 'Bare koordinatorer koder transkripsjoner.',
    'code.docx_unreadable': 'Filen kunne ikke leses som et Word-dokument. Lagre den som .docx eller som ren tekst (.txt), og prøv igjen.',
    'code.docx_empty': 'Dette Word-dokumentet har ingen tekst.',
  },
});

const LANGS = ['nb', 'nn', 'en'];
const langWords = (l) => (LANGS.includes(l) ? t(`tr.lang.${l}`) : l);
const what = (n) => (n ? t('tr.session', { n }) : t('tr.whole'));

export async function render(main, ctx) {
  const { app, params, query } = ctx;
  if (!deskTitle(main, app, 'tr.title')) return;
  if (params.id) return showTranscript(main, params.id, ctx);
  const interview = query.get('interview');
  if (!interview) {
    main.append(h('p', {}, t('tr.pick')), h('p', {}, h('a', { class: 'button secondary', href: '#/more/people' }, t('tr.to_people'))));
    return;
  }
  return showInterview(main, interview, ctx);
}

/** The interview's heading lines and the way back to the participant. */
function about(iv, app) {
  const tz = app.site(iv.site_id)?.timezone || app.tz;
  const first = iv.sessions[0]?.started_at || iv.scheduled_at;
  return [
    h('p', { class: 'desk-back' }, h('a', { class: 'tap', href: `#/more/people/${iv.participant_id}` }, `← ${t('tr.participant', { who: iv.pseudonym })}`)),
    h('h2', {}, t('tr.of', { n: iv.wave, who: iv.pseudonym })),
    h('p', { class: 'sub' }, t('tr.when', { when: fmtDateTime(first, tz) })),
  ];
}

async function showInterview(main, id, { app, signal, live, go }) {
  const [iv, list] = await Promise.all([
    get(`/interviews/${id}`, { signal }),
    get(`/interviews/${id}/transcripts`, { signal }),
  ]);
  if (!live()) return;
  document.title = `${t('tr.title')} · ${iv.pseudonym} · Fieldnotes`;
  const body = h('textarea', { name: 'body', rows: 12, required: true, maxlength: 2097152, spellcheck: 'false' });
  const language = h('select', { name: 'language' }, LANGS.map((l) => h('option', { value: l, selected: l === 'nb' }, langWords(l))));
  const session = h('select', { name: 'session_number' },
    h('option', { value: '' }, t('tr.whole')),
    iv.sessions.map((s) => h('option', { value: s.n }, t('tr.session', { n: s.n }))));
  const file = h('input', { type: 'file', name: 'file', accept: `.txt,.docx,text/plain,${DOCX}` });
  const fileSaid = h('div', { 'aria-live': 'polite' });
  const out = h('div', { 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary big' }, t('tr.save'));
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    clear(fileSaid);
    if (!f) return;
    try {
      const docx = /\.docx$/i.test(f.name) || f.type === DOCX;
      const text = docx
        ? (await api('POST', '/transcripts/docx-text', f, { headers: { 'Content-Type': DOCX } })).body
        : (await f.text()).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
      if (!live()) return;
      body.value = text;
      clear(fileSaid, status('ok', h('p', {}, t('tr.read_file', { name: f.name, n: [...text].length }))));
    } catch (e) {
      if (live()) clear(fileSaid, problem(e));
    }
  });
  const form = h('form', { class: 'card', 'aria-labelledby': 'tr-add-h' },
    h('h3', { id: 'tr-add-h' }, t('tr.add')),
    h('p', { class: 'hint' }, t('tr.add_hint')),
    field(t('tr.file'), file), fileSaid,
    field(t('tr.body'), body),
    h('div', { class: 'row' }, field(t('tr.language'), language), iv.sessions.length > 1 ? field(t('tr.for_session'), session) : null),
    save, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(save, async () => {
      clear(out);
      try {
        const made = await post(`/interviews/${id}/transcripts`, {
          language: language.value,
          session_number: session.value ? Number(session.value) : null,
          body: body.value,
        });
        go(`#/more/transcripts/${made.id}`);
      } catch (e) {
        problemAt(e, { body, language, session_number: session }, out);
      }
    });
  });
  main.append(h('div', { class: 'desk-wide' },
    about(iv, app),
    h('section', { class: 'card', 'aria-labelledby': 'tr-list-h' },
      h('h3', { id: 'tr-list-h' }, t('tr.list')),
      list.items.length
        ? h('ul', { class: 'cards' }, list.items.map((x) => h('li', {}, h('a', { class: 'card link', href: `#/more/transcripts/${x.id}` },
          h('strong', { class: 'who' }, what(x.session_number)),
          h('span', { class: 'where' }, t('tr.meta', { what: fmtDateTime(x.updated_at, app.tz), lang: langWords(x.language), v: x.version, n: countWords(x.characters) }))))))
        : h('p', { class: 'empty' }, t('tr.none'))),
    form));
}

async function showTranscript(main, id, { app, query, signal, live, route }) {
  const { body: tr, res } = await api('GET', `/transcripts/${id}`, undefined, { full: true, signal });
  const [iv, codings, codes] = await Promise.all([
    get(`/interviews/${tr.interview_id}`, { signal }),
    get(`/transcripts/${id}/codings`, { signal }),
    load('codes', '/codes', signal),
  ]);
  if (!live()) return;
  let etag = res.headers.get('ETag') || `"${tr.version}"`;
  document.title = `${what(tr.session_number)} · ${iv.pseudonym} · Fieldnotes`;
  const said = h('div', { 'aria-live': 'polite' });
  const note = query.get('saved');
  if (note) said.append(status('ok', h('p', {}, t('tr.saved_version', { v: tr.version })),
    tr.unanchored_codings ? h('p', {}, t('tr.lost', { n: tr.unanchored_codings })) : null));
  const head = h('p', { class: 'sub' }, t('tr.meta', { what: what(tr.session_number), lang: langWords(tr.language), v: tr.version, n: countWords(tr.characters) }));
  const textBox = h('div');
  const edit = h('button', { type: 'button', class: 'secondary' }, t('tr.edit'));
  const showPane = () => clear(textBox, codingPane({
    kind: 'transcripts', id, text: tr.body, codings: codings.items, codes: codes.items,
    canCode: app.coordinator, placing: query.get('place'), live,
  }));
  edit.addEventListener('click', () => {
    edit.hidden = true;
    const text = h('textarea', { name: 'body', rows: 16, required: true, maxlength: 2097152, spellcheck: 'false', value: tr.body });
    const out = h('div', { 'aria-live': 'polite' });
    const save = h('button', { type: 'submit', class: 'primary' }, t('tr.save_edit'));
    const form = h('form', { class: 'card' }, field(t('tr.body'), text),
      h('div', { class: 'row' }, save, h('button', { type: 'button', class: 'secondary', onclick: () => { edit.hidden = false; showPane(); } }, t('tr.cancel'))), out);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(save, async () => {
        clear(out);
        try {
          const { res: r } = await api('PUT', `/transcripts/${id}`,
            { language: tr.language, session_number: tr.session_number, body: text.value },
            { headers: { 'If-Match': etag }, full: true });
          etag = r.headers.get('ETag') || etag;
          // The new version, with its codings where the edit left them.
          if (location.hash.includes('saved=1')) route();
          else location.hash = `#/more/transcripts/${id}?saved=1`;
        } catch (e) {
          if (e instanceof ApiError && e.status === 412) {
            clear(out, status('error', h('p', {}, t('tr.stale'))), h('button', { type: 'button', class: 'secondary', onclick: () => route() }, t('tr.reload')));
          } else problemAt(e, { body: text }, out);
        }
      });
    });
    clear(textBox, form);
    text.focus();
  });
  main.append(h('div', { class: 'desk-wide' },
    about(iv, app),
    h('p', {}, h('a', { class: 'tap', href: `#/more/transcripts?interview=${iv.id}` }, `← ${t('tr.back')}`)),
    h('h3', {}, what(tr.session_number)), head, said,
    app.coordinator ? h('p', {}, edit) : h('p', { class: 'hint' }, t('tr.read_only')),
    textBox));
  showPane();
}
