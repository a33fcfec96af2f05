// Every code and every list value the server can send has words in both
// languages. The lists and the field error codes come from lists.js, which
// `cargo run -p openapi` writes from the Rust enums (and a Rust test keeps
// it current): so a new postponement reason, status, role, scope or field
// error code fails here until it has its words, and needs nothing else in
// the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone } from './lib.mjs';

// Which words each list's values are said with (`prefix + value`), and the
// module that carries them (loaded so that their words are registered).
const LIST_WORDS = {
  PostponeReason: ['reason.', '/js/vocab.js'],
  InterviewStatus: ['status.', '/js/i18n.js'],
  ParticipantStatus: ['pstatus.', '/js/vocab.js'],
  Location: ['loc.', '/js/vocab.js'],
  Role: ['role.', '/js/vocab.js'],
  Outcome: ['outcome.', '/js/vocab.js'],
  Kind: ['kind.', '/js/screens/instruments.js'],
  Scope: ['scope.', '/js/screens/keys.js'],
  CsvKind: ['export.kind.', '/js/screens/export.js'],
  ConsentMethod: ['consent.', '/js/vocab.js'],
  FeedScope: ['cal.scope.', '/js/screens/calendar.js'],
  SourceKind: ['source.', '/js/screens/passages.js'],
  AuditAction: ['act.', '/js/screens/audit.js'],
  ChangeType: ['change.', '/js/screens/webhooks.js'],
  DeliveryStatus: ['dstatus.', '/js/screens/webhooks.js'],
};

test('every list value and every field error code has words in English and bokmål', async () => {
  const browser = await launch();
  try {
    const { context, page } = await phone(browser);
    await page.goto(`${BASE}/`);
    const missing = await page.evaluate(async (listWords) => {
      const i18n = await import('/js/i18n.js');
      const { LISTS, FIELD_CODES } = await import('/js/lists.js');
      const { FIELD_WORDS } = await import('/js/errors.js');
      for (const [, module] of Object.values(listWords)) await import(module);
      const out = [];
      const need = (key, what) => {
        for (const l of ['en', 'nb']) if (!i18n.hasIn(l, key)) out.push(`${what}: no ${l} words (${key})`);
      };
      for (const [list, [prefix]] of Object.entries(listWords)) {
        if (!LISTS[list]) out.push(`${list}: not in lists.js`);
        for (const v of LISTS[list] || []) need(prefix + v, `${list} ${v}`);
      }
      if (FIELD_CODES.length < 50) out.push(`only ${FIELD_CODES.length} field codes in lists.js`);
      for (const code of FIELD_CODES) {
        const words = FIELD_WORDS[code];
        if (!words) {
          out.push(`field code ${code}: not in FIELD_WORDS`);
          continue;
        }
        // Every branch a code can take: the params it may carry.
        const samples = code === 'not_found'
          ? ['participant', 'code', 'team_member', 'site', 'instrument', 'wave', 'session'].map((thing) => ({ thing }))
          : [{}];
        for (const params of samples) need(words(params, { code, params })[0], `field code ${code}`);
      }
      for (const code of Object.keys(FIELD_WORDS)) {
        if (!FIELD_CODES.includes(code)) out.push(`FIELD_WORDS has ${code}, which the server never sends`);
      }
      return out;
    }, LIST_WORDS);
    assert.deepEqual(missing, []);
    await context.close();
  } finally {
    await browser.close();
  }
});

test('a field error is worded by its code and params, whatever its English detail says', async () => {
  const browser = await launch();
  try {
    const { context, page } = await phone(browser);
    await page.goto(`${BASE}/`);
    const said = await page.evaluate(async () => {
      const i18n = await import('/js/i18n.js');
      const { fieldWords } = await import('/js/errors.js');
      const e = {
        pointer: '/scheduled_at',
        code: 'outside_opening_hours',
        params: { site: 'Klinikk', windows: [{ start: '08:00', end: '12:00' }], time_zone: 'Europe/Oslo' },
        detail: 'reworded by the server, never read',
      };
      i18n.setLang('nb');
      const nb = fieldWords(e);
      i18n.setLang('en');
      return { nb, en: fieldWords(e), long: fieldWords({ code: 'too_long', params: { max: 2000 }, detail: 'x' }) };
    });
    assert.equal(said.en, 'This is outside the clinic’s opening hours (08:00–12:00, Europe/Oslo time). Choose another time, or allow a time outside opening hours.');
    assert.match(said.nb, /utenfor klinikkens åpningstid \(08:00–12:00, Europe\/Oslo-tid\)/);
    assert.equal(said.long, 'This is too long: at most 2000 characters.');
    await context.close();
  } finally {
    await browser.close();
  }
});
