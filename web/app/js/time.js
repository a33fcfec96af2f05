// Dates and times in a site's time zone with Intl only.
import { lang } from './i18n.js';

const locale = () => (lang() === 'nb' ? 'nb-NO' : 'en-GB');

export function fmt(iso, tz, opts) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: tz || 'UTC', ...opts }).format(new Date(iso));
}
export const fmtTime = (iso, tz) => fmt(iso, tz, { hour: '2-digit', minute: '2-digit' });
export const fmtDay = (iso, tz) => fmt(iso, tz, { weekday: 'long', day: 'numeric', month: 'long' });
export const fmtDateTime = (iso, tz) =>
  fmt(iso, tz, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

function parts(date, tz) {
  const p = {};
  for (const { type, value } of new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(date)) p[type] = value;
  return p;
}

/** Minutes the zone is ahead of UTC at `date`. */
function offset(date, tz) {
  const p = parts(date, tz);
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  return (wall - Math.floor(date.getTime() / 1000) * 1000) / 60000;
}

/** 'YYYY-MM-DDTHH:MM' wall time in `tz` → Date. */
export function zonedToDate(local, tz) {
  const [d, t = '00:00'] = local.split('T');
  const [y, m, day] = d.split('-').map(Number);
  const [hh, mm] = t.split(':').map(Number);
  const guess = Date.UTC(y, m - 1, day, hh, mm);
  let ms = guess - offset(new Date(guess), tz) * 60000;
  ms = guess - offset(new Date(ms), tz) * 60000;
  return new Date(ms);
}

/** Date → 'YYYY-MM-DDTHH:MM' wall time in `tz` (for datetime-local inputs). */
export function dateToZoned(date, tz) {
  const p = parts(date, tz);
  return `${p.year}-${p.month}-${p.day}T${String(+p.hour % 24).padStart(2, '0')}:${p.minute}`;
}

/** The start of the day that contains `date` in `tz`, plus `days`. */
export function dayStart(date, tz, days = 0) {
  const p = parts(date, tz);
  const d = new Date(Date.UTC(+p.year, +p.month - 1, +p.day + days));
  return zonedToDate(d.toISOString().slice(0, 10), tz);
}

/** Monday 00:00 of the week containing `date`, in `tz`. */
export function weekStart(date, tz) {
  const p = parts(date, tz);
  const wd = (new Date(Date.UTC(+p.year, +p.month - 1, +p.day)).getUTCDay() + 6) % 7;
  return dayStart(date, tz, -wd);
}

export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The opening windows of `site` on local day `day` ('YYYY-MM-DD'): none on a closed day, else those open that weekday. */
export function windowsOn(site, day) {
  if ((site?.closed_days || []).includes(day)) return [];
  const weekday = WEEKDAYS[new Date(`${day}T12:00:00Z`).getUTCDay()];
  return (site?.opening_hours || []).filter((w) => !w.days || w.days.includes(weekday));
}

/**
 * The start of the next opening window of `site` after `after` in which
 * `minutes` fit (windows in the site's zone, every day or on the weekdays
 * they name; none on its closed days), or null when none opens within a
 * few weeks.
 */
export function nextOpening(site, after, minutes = 0) {
  const tz = site?.timezone || 'UTC';
  const any = (site?.opening_hours || []).length > 0;
  for (let d = 0; d < 40 && any; d += 1) {
    const day = dateToZoned(dayStart(after, tz, d), tz).slice(0, 10);
    const windows = windowsOn(site, day).sort((a, b) => a.start.localeCompare(b.start));
    for (const w of windows) {
      const start = zonedToDate(`${day}T${w.start}`, tz);
      const end = zonedToDate(`${day}T${w.end}`, tz);
      if (start > after && start.getTime() + minutes * 60e3 <= end.getTime()) return start;
    }
  }
  return null;
}
