// What the phone downloads: the compressed size budget, the service
// worker's list and version, the first visit's bytes over the wire, and the
// load time on an emulated slow 4G and slow 3G.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { BASE, WEB, launch, phone } from './lib.mjs';

const APP = join(WEB, 'app');
const files = (dir) => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : [p];
});
const all = files(APP).map((p) => relative(APP, p).split('\\').join('/')).sort();

// The whole app: what the service worker keeps after the first visit (the
// first visit itself has its own budget below). Raised from 150 to 170 KB
// with the analysis screens of issue 30 (transcripts, passage coding,
// retrieval: about 9 KB), and to 185 KB with the longitudinal desk of issue
// 32 (importing participants, entering earlier interviews, codebook files,
// the waves on the participants screen: about 10 KB), screens a coordinator
// opens on a desk. The first visit's budget below is unchanged.
test('the whole app is under 185 KB compressed', () => {
  let raw = 0;
  let gz = 0;
  for (const f of all) {
    const bytes = readFileSync(join(APP, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 6 }).length;
  }
  console.log(`app size: ${all.length} files, ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzip (budget 185 KB)`);
  assert.ok(gz < 185 * 1024, `${gz} bytes gzip`);
});

test('the service worker caches every file of the app and its version matches their content', () => {
  // Both are written by web/tools/stamp-sw.py.
  const sw = readFileSync(join(APP, 'sw.js'), 'utf8');
  const shell = JSON.parse(sw.match(/const SHELL = (\[[\s\S]*?\]);/)[1].replace(/'/g, '"').replace(/,\s*\]/, ']'));
  const expected = all.filter((f) => f !== 'sw.js').map((f) => (f === 'index.html' ? '/' : `/${f}`)).sort();
  assert.deepEqual([...shell].sort(), expected, 'SHELL in sw.js lists exactly the files of web/app: run python3 web/tools/stamp-sw.py');
  const h = createHash('sha256');
  for (const f of all.filter((x) => x !== 'sw.js')) {
    h.update(Buffer.concat([Buffer.from(f), Buffer.from([0]), readFileSync(join(APP, f)), Buffer.from([0])]));
  }
  const version = sw.match(/const VERSION = '([0-9a-f]+)';/)[1];
  assert.equal(version, h.digest('hex').slice(0, 12), 'sw.js VERSION is stale: run python3 web/tools/stamp-sw.py');
});

/**
 * What a fieldworker does not need on the first visit: every screen of the
 * table in router.js that does not come with the shell (loaded when first
 * opened), and the helpers and shared words only those screens import.
 */
const { ROUTES } = await import(pathToFileURL(join(APP, 'js', 'router.js')).href);
const LATER = ROUTES.filter((r) => !r.shell).map((r) => new URL(r.module, 'http://x/js/').pathname)
  .concat(['/js/admin.js', '/js/desk.js', '/js/vocab.js']);
/**
 * Bytes over the wire of a first visit, until sign-in is usable: 51 KB
 * before the coordinators' and admins' desk (issue 15), which may add at
 * most 10 KB to it.
 */
const FIRST_VISIT_KB = 61;

/**
 * A first visit (a fresh phone: no service worker, nothing cached) on an
 * emulated network and a 4x slower CPU: when the sign-in screen is usable,
 * the bytes over the wire until then (headers included), and the paths
 * downloaded from the server until then.
 */
async function firstVisit(context, page, network) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...network });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  const paths = [];
  const pathOf = new Map();
  // Over the network, not from the service worker (which, once installed
  // after the page's load, hands the page the screens not yet opened).
  cdp.on('Network.responseReceived', (e) => {
    const path = new URL(e.response.url).pathname;
    pathOf.set(e.requestId, path);
    if (!e.response.fromServiceWorker) paths.push(path);
  });
  // The icon (fetched by the browser at low priority for the tab) and the
  // service worker's script (fetched after the load event) are off the path
  // to the first screen: whether they land before the sign-in form shows is
  // a matter of timing (the 832-byte icon did on slow 4G, not on 3G), so the
  // budget counts what the page needs to show it, not them.
  const offPath = (path) => path === '/sw.js' || path?.startsWith('/icons/');
  cdp.on('Network.loadingFinished', (e) => {
    if (!offPath(pathOf.get(e.requestId))) bytes += e.encodedDataLength;
  });
  const start = Date.now();
  await page.goto(`${BASE}/`);
  await page.getByLabel('Email').waitFor();
  const usable = Date.now() - start;
  return { cdp, usable, bytes, paths: [...paths] };
}

test('the table of screens names modules that exist, and the shell imports only its own', () => {
  assert.ok(LATER.length > 0);
  for (const r of ROUTES) assert.ok(all.includes(`js/${r.module.replace(/^\.\//, '')}`), `${r.name}: ${r.module} exists`);
  const html = readFileSync(join(APP, 'index.html'), 'utf8');
  const preloaded = [...html.matchAll(/rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]);
  for (const r of ROUTES.filter((x) => x.shell)) assert.ok(preloaded.includes(new URL(r.module, 'http://x/js/').pathname), `${r.name} is modulepreloaded`);
  assert.deepEqual(preloaded.filter((p) => LATER.includes(p)), [], 'nothing loaded later is modulepreloaded');
});

test('the sign-in screen is usable quickly on an emulated slow 4G phone, within the first-visit byte budget', async () => {
  const browser = await launch();
  try {
    const { context, page, foreign } = await phone(browser);
    // Lighthouse's "slow 4G": 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up; and a 4x slower CPU.
    const { usable, bytes, paths } = await firstVisit(context, page, {
      latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8,
    });
    const nav = await page.evaluate(() => JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0])));
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    // Wait for the service worker's own download, then count only the next load.
    await page.waitForLoadState('networkidle');
    const start2 = Date.now();
    await page.reload();
    await page.getByLabel('Email').waitFor();
    const repeat = Date.now() - start2;
    console.log(`slow 4G (150 ms RTT, 1.6 Mbit/s, CPU 4x slower): sign-in usable after ${usable} ms on the first visit `
      + `(load event ${Math.round(nav.loadEventEnd)} ms, ${(bytes / 1024).toFixed(1)} KB over the wire, budget ${FIRST_VISIT_KB} KB), `
      + `${repeat} ms on a repeat visit from the service worker`);
    assert.ok(usable < 5000, `first visit took ${usable} ms`);
    assert.ok(bytes <= FIRST_VISIT_KB * 1024, `the first visit downloaded ${(bytes / 1024).toFixed(1)} KB before sign-in was usable (budget ${FIRST_VISIT_KB} KB)`);
    assert.deepEqual(paths.filter((p) => LATER.includes(p)), [], 'screens not needed first are not downloaded before sign-in is usable');
    assert.ok(repeat < usable, 'a repeat visit is faster than the first');
    assert.deepEqual(foreign, []);
    await context.close();
  } finally {
    await browser.close();
  }
});

test('the sign-in screen is usable within 10 s on an emulated slow 3G phone', async () => {
  const browser = await launch();
  try {
    const { context, page, foreign } = await phone(browser);
    page.setDefaultTimeout(30000);
    // "Slow 3G": 400 ms round trip, 400 kbit/s down and up; and a 4x slower CPU.
    const { usable, bytes } = await firstVisit(context, page, {
      latency: 400, downloadThroughput: (400 * 1024) / 8, uploadThroughput: (400 * 1024) / 8,
    });
    const nav = await page.evaluate(() => JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0])));
    console.log(`slow 3G (400 ms RTT, 400 kbit/s, CPU 4x slower): sign-in usable after ${usable} ms on the first visit `
      + `(load event ${Math.round(nav.loadEventEnd)} ms, ${(bytes / 1024).toFixed(1)} KB over the wire)`);
    assert.ok(usable < 10000, `first visit took ${usable} ms`);
    assert.deepEqual(foreign, []);
    await context.close();
  } finally {
    await browser.close();
  }
});
