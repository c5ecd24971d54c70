// 巡查检查移动端 service worker: caches the app shell (styles, script, icons,
// the offline page) at install; pages are fetched from the network first and
// the last copy of a page opened before is shown when there is no network.
// Form posts are not touched: the page's offline queue (outbox.js) owns them.
// The copies of pages are dropped when anyone logs in or out or the login page
// is shown (a session that ended): on a shared phone the next user never sees them.
'use strict';
// The server names SHELL after the shell's content (web.ServiceWorker).
var SHELL = 'chemguard-m-shell-v1', PAGES = 'chemguard-m-pages';
var ASSETS = ['/m/static/m.css', '/m/static/outbox.js', '/m/static/m.js', '/m/static/icon-192.png', '/m/static/icon-512.png',
  '/m/manifest.webmanifest', '/m/offline'];

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL && k !== PAGES; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// forget drops the copies of pages: they belong to whoever was logged in.
function forget() { return caches.delete(PAGES); }

self.addEventListener('fetch', function (ev) {
  var req = ev.request, url = new URL(req.url);
  if (url.origin !== location.origin || !url.pathname.startsWith('/m/')) return;
  // Logging in or out on a shared phone: the next user must not see the
  // previous one's pages offline.
  if (req.method === 'POST' && (url.pathname === '/m/logout' || url.pathname === '/m/login')) {
    ev.waitUntil(forget());
    return;
  }
  if (req.method !== 'GET') return;
  if (url.pathname.startsWith('/m/static/') || url.pathname === '/m/manifest.webmanifest') {
    ev.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
    return;
  }
  // The login page is shown (a session that ended — expired or revoked — is
  // sent there too; navigations follow redirects as new requests).
  if (req.mode === 'navigate' && url.pathname === '/m/login') {
    ev.respondWith(fetch(req).then(function (resp) {
      return forget().then(function () { return resp; });
    }, function () { return caches.match('/m/offline'); }));
    return;
  }
  if (req.mode === 'navigate') {
    ev.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected) {
        var copy = resp.clone();
        caches.open(PAGES).then(function (c) { c.put(req, copy); });
      }
      return resp;
    }, function () {
      return caches.open(PAGES).then(function (c) { return c.match(req); }).then(function (hit) {
        return hit || caches.match('/m/offline');
      });
    }));
  }
});
