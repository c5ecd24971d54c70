// 企业安全生产基础系统 phone pages' service worker (scope /e/m/): caches the
// shell (styles, scripts, icons, the offline page) at install; pages come from
// the network first, and the last copy of a page opened before is shown when
// there is no network. Form posts are not touched: the page's offline queue
// (IndexedDB, the shared outbox.js) owns them. Copies of pages belong to whoever was logged
// in: they are dropped at every login, logout and showing of the login page,
// so on a shared phone the next person never sees them.
'use strict';
// The server names SHELL after the shell's content (web.ServiceWorker).
var SHELL = 'chemguard-e-shell-v1', PAGES = 'chemguard-e-pages';
var ASSETS = ['/e/static/e.css', '/e/static/e.js', '/e/static/outbox.js', '/e/static/icon-192.png', '/e/static/icon-512.png',
  '/e/m/manifest.webmanifest', '/e/m/offline'];

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('chemguard-e-') === 0 && k !== SHELL && k !== PAGES; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function forget() { return caches.delete(PAGES); }

self.addEventListener('fetch', function (ev) {
  var req = ev.request, url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (req.method === 'POST' && (url.pathname === '/e/logout' || url.pathname === '/e/login')) {
    ev.waitUntil(forget());
    return;
  }
  if (req.method !== 'GET') return;
  if (ASSETS.indexOf(url.pathname) >= 0 && url.pathname !== '/e/m/offline') {
    ev.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
    return;
  }
  if (req.mode !== 'navigate') return;
  if (url.pathname === '/e/login') {
    ev.respondWith(fetch(req).then(function (resp) { return forget().then(function () { return resp; }); },
      function () { return caches.match('/e/m/offline'); }));
    return;
  }
  if (!url.pathname.startsWith('/e/m/')) return;
  ev.respondWith(fetch(req).then(function (resp) {
    if (resp.ok && !resp.redirected) {
      var copy = resp.clone();
      caches.open(PAGES).then(function (c) { c.put(req, copy); });
    }
    return resp;
  }, function () {
    return caches.open(PAGES).then(function (c) { return c.match(req); }).then(function (hit) {
      return hit || caches.match('/e/m/offline');
    });
  }));
});
