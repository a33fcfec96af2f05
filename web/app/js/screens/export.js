// Export for analysis (coordinators and admins): what to export (the REFI-QDA
// project or one of the CSV files), the period and site, what to add to the
// protective default, then the download. The file is fetched with the
// bearer token and handed to the browser as a blob, so it is never a plain
// link that would go out without the sign-in.
import { api, ApiError, qs } from '../api.js';
import { t, lang } from '../i18n.js';
import { h, clear, field, status, busy, uid } from '../ui.js';
import { zonedToDate, dateToZoned } from '../time.js';
import { problemAt } from '../app.js';

const KINDS = ['project', 'notes', 'participants', 'screenings', 'interviews', 'postponements', 'sessions'];
const INCLUDE = ['site', 'age_band', 'staff_names'];

/** 'YYYY-MM-DD' plus `days`. */
const addDays = (iso, days) => {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
};

/** The file name the server gave (Content-Disposition), else our own. */
function fileName(res, kind, tz) {
  const cd = res.headers.get('content-disposition') || '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i) || cd.match(/filename="?([^";]+)"?/i);
  let name = '';
  try {
    name = m ? decodeURIComponent(m[1].trim()) : '';
  } catch {
    name = m[1].trim();
  }
  name = name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '').replace(/^\.+/, '');
  if (name) return name;
  const day = dateToZoned(new Date(), tz).slice(0, 10);
  return kind === 'project' ? `fieldnotes-${day}.qdpx` : `fieldnotes-${kind}-${day}.csv`;
}

const size = (n) => {
  const kb = n / 1024;
  const nf = new Intl.NumberFormat(lang() === 'nb' ? 'nb-NO' : 'en-GB', { maximumFractionDigits: kb < 10 ? 1 : 0 });
  return kb < 1024 ? `${nf.format(Math.max(kb, 0.1))} KB` : `${nf.format(kb / 1024)} MB`;
};

/** Hands a downloaded blob to the browser as a file. */
function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click is handled; give it a
  // moment before the blob is released.
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

export async function render(main, { app }) {
  document.title = `${t('export.title')} · Fieldnotes`;
  main.append(h('h1', {}, t('export.title')));
  if (!app.coordinator) {
    main.append(status('error', t('export.forbidden')));
    return;
  }
  // Leaving the screen abandons a download under way, and nothing is
  // written into the screen that replaced this one.
  let left = false;
  let running = null;
  app.cleanup.push(() => {
    left = true;
    running?.abort();
  });

  const kindName = (k) => `${k}-name`;
  const kinds = h('fieldset', { class: 'choices' },
    h('legend', {}, t('export.what')),
    KINDS.map((k, i) => {
      const id = uid('x');
      return h('div', { class: 'choice' },
        h('input', {
          type: 'radio', id, name: 'kind', value: k, checked: i === 0,
          'aria-labelledby': `${id}-${kindName(k)}`, 'aria-describedby': `${id}-hint`,
        }),
        h('label', { for: id, class: 'described' },
          h('span', { id: `${id}-${kindName(k)}`, class: 'name' }, t(`export.kind.${k}`)),
          h('span', { id: `${id}-hint`, class: 'hint' }, t(`export.kind.${k}_hint`))));
    }));

  const c = {
    site_id: h('select', { name: 'site_id' },
      h('option', { value: '' }, t('export.all_sites')),
      app.sites.map((s) => h('option', { value: s.id }, s.name))),
    from: h('input', { type: 'date', name: 'from' }),
    to: h('input', { type: 'date', name: 'to' }),
    include: null,
  };
  const tz = () => app.site(c.site_id.value)?.timezone || app.tz;
  const periodHint = h('p', { class: 'hint', id: uid('p') });
  const showZone = () => { periodHint.textContent = t('export.period_hint', { tz: tz() }); };
  showZone();
  c.site_id.addEventListener('change', showZone);
  const period = h('fieldset', { 'aria-describedby': periodHint.id },
    h('legend', {}, t('export.period')),
    periodHint,
    field(t('export.from'), c.from),
    field(t('export.to'), c.to));

  const warn = h('p', { class: 'msg warn', id: uid('w') }, t('export.include_warn'));
  c.include = h('fieldset', { 'aria-describedby': warn.id },
    h('legend', {}, t('export.include')),
    warn,
    INCLUDE.map((k) => {
      const box = h('input', { type: 'checkbox', name: 'include', value: k, id: uid('i') });
      return h('div', { class: 'check' }, box, h('label', { for: box.id }, t(`export.include.${k}`)));
    }));

  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('export.download'));
  const form = h('form', { class: 'card', novalidate: true },
    kinds,
    field(t('export.site'), c.site_id),
    period,
    c.include,
    submit, out);
  main.append(h('p', {}, t('export.intro')), form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (running) return;
    const kind = form.elements.kind.value || KINDS[0];
    const zone = tz();
    const include = [...c.include.querySelectorAll('input:checked')].map((i) => i.value);
    const query = qs({
      site_id: c.site_id.value,
      // Local days, as the UTC instants the API wants: from the start of
      // the first day to the start of the day after the last (exclusive).
      from: c.from.value ? zonedToDate(`${c.from.value}T00:00`, zone).toISOString() : '',
      to: c.to.value ? zonedToDate(`${addDays(c.to.value, 1)}T00:00`, zone).toISOString() : '',
      include: include.join(','),
    });
    const path = kind === 'project' ? `/exports/project.qdpx${query}` : `/exports/${kind}.csv${query}`;
    const accept = kind === 'project' ? 'application/zip' : 'text/csv';
    problemAt(null, c, out);
    out.append(status('info', h('p', {}, t('export.preparing'))));
    running = new AbortController();
    busy(submit, async () => {
      try {
        const { blob, res } = await api('GET', path, undefined, {
          blob: true, signal: running.signal, headers: { Accept: `${accept}, application/problem+json` },
        });
        if (left) return;
        const name = fileName(res, kind, zone);
        save(blob, name);
        clear(out, status('ok', h('p', {}, t('export.done', { file: name, size: size(blob.size) }))));
      } catch (e) {
        if (left) return;
        if (e instanceof ApiError && e.status === 403) {
          problemAt(null, c, out);
          out.append(status('error', h('p', {}, t('export.forbidden'))));
        } else {
          problemAt(translated(e), c, out);
        }
      } finally {
        running = null;
      }
    }).then(() => {
      if (!left && !form.querySelector('[aria-invalid=true]')) submit.focus({ preventScroll: true });
    });
  });
}

/** A refusal with each known field error in the user's language. */
function translated(e) {
  if (!(e instanceof ApiError) || !e.problem.errors?.length) return e;
  const errors = e.problem.errors.map((x) => {
    const key = `export.err.${(x.pointer || '').split('/')[1] || ''}`;
    const text = t(key);
    return text === key ? x : { ...x, text };
  });
  return new ApiError(e.status, { ...e.problem, errors });
}
