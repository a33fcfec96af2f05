import { get, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear } from '../ui.js';
import { fmtTime, fmtDay, dayStart, fmt } from '../time.js';
import { load, onQueueChange } from '../store.js';
import { problem } from '../errors.js';

export function statusBadge(s) {
  return h('span', { class: `state st-${s}` }, t(`status.${s}`));
}

// While Today is shown, its list is fetched again this often, and whenever
// the phone comes back to it (focus, the tab tapped, a sync).
const REFRESH_MS = 3 * 60e3;

export async function render(main, { app, signal }) {
  document.title = `${t('today.title')} · Fieldnotes`;
  const now = new Date();
  const tz = app.tz;
  main.append(h('h1', {}, t('today.title'), h('small', {}, fmtDay(now.toISOString(), tz))));

  const mine = h('section', { 'aria-labelledby': 'mine-h' }, h('h2', { id: 'mine-h' }, t('today.mine')));
  const list = h('div');
  mine.append(list);
  main.append(mine, h('a', { class: 'button primary big', href: '#/notes/new' }, t('notes.write')));
  let busy = null;
  let last = 0;
  // A burst of triggers (focus and visibility together, the queue's first
  // notice) makes one request.
  const refresh = () => {
    if (signal.aborted || document.visibilityState === 'hidden' || Date.now() - last < 2e3) return busy;
    last = Date.now();
    busy ||= (async () => {
      const day = new Date();
      try {
        const q = qs({ from: dayStart(day, tz).toISOString(), to: dayStart(day, tz, 1).toISOString() });
        const { items } = await load(`today.${app.me.id}`, `/me/interviews${q}`, signal);
        if (signal.aborted) return;
        clear(list, items.length
          ? h('ul', { class: 'cards' }, items.map((i) => interviewCard(i, app)))
          : h('p', { class: 'empty' }, t('today.none')));
      } catch (e) {
        if (!signal.aborted && e?.name !== 'AbortError') clear(list, problem(e));
      } finally {
        busy = null;
      }
    })();
    return busy;
  };
  await refresh();
  const opts = { signal };
  document.addEventListener('visibilitychange', refresh, opts);
  window.addEventListener('focus', refresh, opts);
  window.addEventListener('online', refresh, opts);
  // Tapping the Today tab while on Today changes no address: refresh then.
  document.querySelector('nav a[href="#/today"]')?.addEventListener('click', refresh, opts);
  const stop = onQueueChange(() => refresh());
  const every = setInterval(refresh, REFRESH_MS);
  signal.addEventListener('abort', () => {
    stop();
    clearInterval(every);
  }, { once: true });

  if (app.coordinator) {
    const due = h('section', { 'aria-labelledby': 'due-h' }, h('h2', { id: 'due-h' }, t('today.due')));
    main.append(due);
    try {
      const { items } = await get('/participants/due?wave=1', { signal });
      if (!items.length) due.append(h('p', { class: 'empty' }, t('today.none_due')));
      else due.append(h('ul', { class: 'cards' }, items.map((d) => dueCard(d, app))));
    } catch (e) {
      due.append(problem(e));
    }
  }
}

function interviewCard(i, app) {
  const site = app.site(i.site_id);
  const tz = site?.timezone;
  const running = i.sessions.some((s) => !s.ended_at);
  const href = running ? `#/session/${i.id}` : `#/participant/${i.participant_id}?interview=${i.id}`;
  return h('li', {}, h('a', { class: 'card link iv', href },
    h('span', { class: 'when' }, i.status === 'postponed' ? t('tba') : fmtTime(i.scheduled_at, tz)),
    h('strong', { class: 'who' }, i.pseudonym),
    h('span', { class: 'where' }, [site?.name, i.location].filter(Boolean).join(' · ')),
    statusBadge(i.status)));
}

function dueCard(d, app) {
  const site = app.site(d.site_id);
  const tz = site?.timezone;
  // Not booked yet: the card books the interview; booked: it opens it.
  const href = d.interview
    ? `#/participant/${d.participant_id}?interview=${d.interview.id}`
    : `#/schedule/book${qs({ site: d.site_id, participant: d.participant_id, wave: d.wave })}`;
  const booked = !d.interview ? t('due.not_booked')
    : d.interview.status === 'postponed' ? t('due.postponed')
      : `${t('due.booked')} ${fmt(d.interview.scheduled_at, tz, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })}`;
  return h('li', {}, h('a', { class: 'card link', href },
    h('strong', { class: 'who' }, d.pseudonym),
    site ? h('span', { class: 'where' }, site.name) : null,
    h('span', { class: 'where' }, t(d.days_left < 0 ? 'due.closed' : 'due.closes', { date: fmt(`${d.closes_on}T12:00:00Z`, 'UTC', { day: 'numeric', month: 'short' }), n: Math.abs(d.days_left) })),
    h('span', { class: 'where' }, booked),
    h('span', { class: `state due-${d.state}` }, t(`due.${d.state}`)),
    d.interview?.status === 'postponed' ? [' ', statusBadge('postponed')] : null));
}
