// What the coordinator's desk screens share (participants, codebook, report):
// a few words, the coordinators-only gate, the reasons of postponements in
// words, and days as the instants the API filters on. Loaded with the first
// of those screens, never with the shell.
import { t, lang, words } from './i18n.js';
import { h, status } from './ui.js';
import { fmt, zonedToDate } from './time.js';
import './vocab.js';

words({
  en: {
    'desk.only': 'Only coordinators and admins plan here.',
    'desk.reason.other': 'Other reason',
    'desk.fewer': 'fewer than 5',
  },
  nb: {
    'desk.only': 'Bare koordinatorer og administratorer planlegger her.',
    'desk.reason.other': 'Annen grunn',
    'desk.fewer': 'færre enn 5',
  },
});

/** Shows the title; for anyone but a coordinator or admin also a refusal, and returns false. */
export function deskTitle(main, app, key) {
  document.title = `${t(key)} · Fieldnotes`;
  main.append(h('h1', {}, t(key)));
  if (app.coordinator) return true;
  main.append(status('error', h('p', {}, t('desk.only'))));
  return false;
}

/** Why an interview was postponed, in words (the same as the postponing form's). */
export const reasonWords = (r) => t(r === 'other' ? 'desk.reason.other' : `reason.${r}`);

/** A count as the report gives it: a number, or "fewer than 5" (small cells suppressed). */
export const countWords = (c) => (typeof c === 'number' ? c.toLocaleString(lang() === 'nb' ? 'nb-NO' : 'en-GB') : t('desk.fewer'));

/** 'YYYY-MM-DD' plus `days`. */
export function addDays(iso, days) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A calendar day ('YYYY-MM-DD') in words. */
export const dayWords = (iso, year = false) =>
  fmt(`${iso}T12:00:00Z`, 'UTC', { day: 'numeric', month: 'short', ...(year ? { year: 'numeric' } : {}) });

/** Local days in `tz`, from the start of the first to the start of the day after the last, as API instants. */
export const period = (from, to, tz) => ({
  from: from ? zonedToDate(`${from}T00:00`, tz).toISOString() : '',
  to: to ? zonedToDate(`${addDays(to, 1)}T00:00`, tz).toISOString() : '',
});
