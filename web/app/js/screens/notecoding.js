// Code passages of a field note: the note's author or a coordinator selects
// words and gives them codes (coding.js); anyone who may read the note sees
// its coded passages. Opened from the note, from the coded passages
// (retrieval) and from a coding to place again.
import { get } from '../api.js';
import { t, words } from '../i18n.js';
import { h, status } from '../ui.js';
import { fmtDateTime } from '../time.js';
import { load } from '../store.js';
import { codingPane } from '../coding.js';
import '../vocab.js';

words({
  en: {
    'nc.title': 'Code passages of a note',
    'nc.back': 'Back to the note',
    'nc.deleted': 'This note is deleted. A coordinator can restore it before it is coded.',
    'nc.read_only': 'Only the note’s author and coordinators code it.',
  },
  nb: {
    'nc.title': 'Kod utdrag av et notat',
    'nc.back': 'Tilbake til notatet',
    'nc.deleted': 'Dette notatet er slettet. En koordinator kan gjenopprette det før det kodes.',
    'nc.read_only': 'Bare den som skrev notatet og koordinatorer koder det.',
  },
});

export async function render(main, { app, params, query, signal, live }) {
  const id = params.id;
  const [note, codings, codes] = await Promise.all([
    get(`/notes/${id}`, { signal }),
    get(`/notes/${id}/codings`, { signal }),
    load('codes', '/codes', signal),
  ]);
  if (!live()) return;
  document.title = `${t('nc.title')} · Fieldnotes`;
  const tz = app.site(note.site_id)?.timezone || app.tz;
  const canCode = !note.deleted_at && (note.author_id === app.me.id || app.coordinator);
  main.append(
    h('p', {}, h('a', { class: 'tap', href: `#/notes/${id}` }, `← ${t('nc.back')}`)),
    h('h1', {}, t('nc.title'), h('small', {}, [app.site(note.site_id)?.name, t(`loc.${note.location}`), fmtDateTime(note.observed_at, tz)].filter(Boolean).join(' · '))),
    note.deleted_at ? status('error', h('p', {}, t('nc.deleted'))) : null,
    !canCode && !note.deleted_at ? h('p', { class: 'hint' }, t('nc.read_only')) : null,
    codingPane({ kind: 'notes', id, text: note.body, codings: codings.items, codes: codes.items, canCode, placing: query.get('place'), live, level: 2 }));
}
