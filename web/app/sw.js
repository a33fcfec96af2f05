// The service worker: keeps the app shell on the phone so Fieldnotes opens
// with no network. API calls are never cached here (they carry study data).
// VERSION (a digest of every other file in web/app) and SHELL (their paths)
// are written by web/tools/stamp-sw.py; the e2e tests fail when they are
// stale. Neither is edited by hand.
const VERSION = '7ea7f5018f5f';
const CACHE = `fieldnotes-shell-${VERSION}`;
const SHELL = [
  '/',
  '/app.css',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon.svg',
  '/js/admin.js',
  '/js/api.js',
  '/js/app.js',
  '/js/coding.js',
  '/js/desk.js',
  '/js/errors.js',
  '/js/i18n.js',
  '/js/lists.js',
  '/js/router.js',
  '/js/screens/audit.js',
  '/js/screens/book.js',
  '/js/screens/calendar.js',
  '/js/screens/codebook.js',
  '/js/screens/corrections.js',
  '/js/screens/earlier.js',
  '/js/screens/export.js',
  '/js/screens/import.js',
  '/js/screens/instruments.js',
  '/js/screens/keys.js',
  '/js/screens/more.js',
  '/js/screens/note.js',
  '/js/screens/notecoding.js',
  '/js/screens/notes.js',
  '/js/screens/participant.js',
  '/js/screens/passages.js',
  '/js/screens/password.js',
  '/js/screens/people.js',
  '/js/screens/register.js',
  '/js/screens/report.js',
  '/js/screens/schedule.js',
  '/js/screens/security.js',
  '/js/screens/session.js',
  '/js/screens/signin.js',
  '/js/screens/sites.js',
  '/js/screens/study.js',
  '/js/screens/team.js',
  '/js/screens/today.js',
  '/js/screens/transcripts.js',
  '/js/screens/webhooks.js',
  '/js/session.js',
  '/js/store.js',
  '/js/time.js',
  '/js/ui.js',
  '/js/vocab.js',
  '/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // The server sends every file with an ETag and no-cache, so what the
    // page has just loaded is revalidated (a 304), not downloaded again.
    await cache.addAll(SHELL);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs') || url.pathname === '/health') return;
  const key = req.mode === 'navigate' ? '/' : url.pathname === '/index.html' ? '/' : url.pathname;
  if (!SHELL.includes(key)) return;
  event.respondWith((async () => {
    const hit = await caches.match(key, { cacheName: CACHE });
    return hit || fetch(req);
  })());
});
