// The phone apps' offline queue (the inspector app at /m/ and the base
// system's phone pages at /e/m/): a form marked data-queue is stored in
// IndexedDB first and then sent, online or not, one path; queued posts are
// replayed in order when the network returns. Each carries a client_id (a
// UUID made when the form is filled in) that the server deduplicates, so a
// replay whose answer was lost records nothing twice. The queue is per
// account: a shared phone shows and sends only the logged-in person's items.
// Every form also works without this script (a plain POST).
//
// The page loads it with its settings on the script tag:
//   data-db     the IndexedDB database of the app's queue
//   data-sw     the app's service worker, registered with scope data-scope
// and the layout carries #net (status line), #outbox with #outbox-summary,
// #outbox-list and #outbox-send, and #main (where the last sent record's
// link goes). A page's own script reaches the helpers as window.chemguardOutbox.
'use strict';
(function () {
  var script = document.currentScript || {};
  var cfg = script.dataset || {};
  var DB = cfg.db || 'chemguard-outbox', STORE = 'outbox';
  var user = '';

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: 'id' }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  var put = function (item) { return tx('readwrite', function (s) { return s.put(item); }); };
  var del = function (id) { return tx('readwrite', function (s) { return s.delete(id); }); };
  var all = function () { return tx('readonly', function (s) { return s.getAll(); }); };

  // beijing shows an ISO time as the pages do: Beijing time, 2006-01-02 15:04:05.
  function beijing(iso) {
    return new Date(Date.parse(iso) + 8 * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
  }

  function status(text) {
    var el = document.getElementById('net');
    if (el) el.textContent = text;
  }

  // csrfToken is this page's form token: bound to the current session, so a
  // form queued under an earlier login is sent with today's token, not its own.
  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }

  // The queue shows what is waiting, what failed and why.
  function render() {
    var box = document.getElementById('outbox');
    if (!box || !window.indexedDB) return Promise.resolve();
    return all().then(function (items) {
      items = items.filter(function (i) { return i.user === user; });
      box.hidden = items.length === 0;
      document.getElementById('outbox-summary').textContent = items.length ? '本机有 ' + items.length + ' 条记录待发送' : '';
      var ul = document.getElementById('outbox-list');
      if (!ul) { ul = document.createElement('ul'); ul.id = 'outbox-list'; box.appendChild(ul); }
      ul.textContent = '';
      items.forEach(function (i) {
        var li = document.createElement('li');
        li.textContent = i.title + (i.queuedAt ? '（' + beijing(i.queuedAt) + '）' : '') + (i.error ? '：' + i.error : '：等待网络');
        li.setAttribute('data-outbox-id', i.id);
        if (i.error) {
          var b = document.createElement('button');
          b.type = 'button'; b.className = 'secondary'; b.textContent = '放弃该条';
          b.addEventListener('click', function () { del(i.id).then(render); });
          li.appendChild(b);
        }
        ul.appendChild(li);
      });
    });
  }

  // formData rebuilds a queued form with the current page's token: the one
  // stored with it may belong to a session that has ended.
  function formData(item) {
    var fd = new FormData();
    item.fields.forEach(function (f) {
      if (f[0] === 'csrf_token' || f[0] === '_csrf') return;
      if (f[1] instanceof Blob) fd.append(f[0], f[1], f[2] || 'photo.jpg'); else fd.append(f[0], f[1]);
    });
    fd.append('csrf_token', csrfToken());
    return fd;
  }

  // sent says an item went through and links to the record it made (the
  // server answers {url, duplicate[, id]} to the queue's JSON requests).
  function sent(item, reply) {
    status('已发送：' + item.title + (reply.duplicate ? '（服务器已有，未重复保存）' : ''));
    var main = document.getElementById('main');
    if (!reply.url || !main) return;
    var link = document.getElementById('last-sent');
    if (!link) {
      link = document.createElement('a');
      link.id = 'last-sent';
      main.insertBefore(link, main.firstChild);
    }
    link.href = reply.url;
    link.textContent = '查看已发送的记录' + (reply.id ? ' #' + reply.id : '');
    if (reply.id) link.setAttribute('data-record-id', reply.id);
  }

  // later tells the answers that mean "try again at the next chance" from a
  // refusal: the server is down or busy, or (409 with Retry-After) still
  // working on an earlier copy of the same submission.
  function later(resp) {
    var s = resp.status;
    return s >= 500 || s === 429 || s === 408 || (s === 409 && resp.headers.has('Retry-After'));
  }

  var flushing = false, again = false;
  // flush sends the queue in order. 2xx (a replay too: the server answers
  // duplicate) removes an item; a refusal (4xx) keeps it with the reason; a
  // network error or a later() answer stops until the next chance. Called
  // while sending (a form saved meanwhile), it runs again once the current
  // round is done.
  function flush() {
    if (flushing) { again = true; return Promise.resolve(); }
    if (!navigator.onLine || !window.indexedDB) return Promise.resolve();
    flushing = true; again = false;
    return all().then(function (items) {
      items = items.filter(function (i) { return i.user === user && !i.error; });
      var chain = Promise.resolve(true);
      items.forEach(function (item) {
        chain = chain.then(function (go) {
          if (!go) return false;
          return fetch(item.action, { method: 'POST', body: formData(item), credentials: 'same-origin',
            headers: { Accept: 'application/json', 'X-CSRF-Token': csrfToken(), 'X-Client-ID': item.id } }).then(function (resp) {
            if (resp.ok) {
              return resp.json().catch(function () { return {}; }).then(function (r) {
                return del(item.id).then(function () { sent(item, r || {}); return true; });
              });
            }
            if (resp.status === 401) { status('登录已过期，请重新登录后自动发送'); return false; }
            if (later(resp)) return false;
            return resp.json().catch(function () { return {}; }).then(function (body) {
              var e = (body && body.error) || {}, msg = e.message_zh || ('HTTP ' + resp.status);
              if (Array.isArray(e.details)) msg += '：' + e.details.map(function (d) { return d.message_zh; }).join('；');
              item.error = msg;
              return put(item).then(function () { return true; });
            });
          }, function () { return false; });
        });
      });
      return chain;
    }).then(function (go) {
      flushing = false;
      // Again for a form saved meanwhile, not after a network error (the next chance).
      return render().then(function () { if (again && go) return flush(); });
    }, function () { flushing = false; });
  }

  function netState() {
    var el = document.getElementById('net');
    if (!el) return;
    el.classList.toggle('offline', !navigator.onLine);
    if (!navigator.onLine) el.textContent = '离线：表单将保存在本机，恢复网络后发送';
  }

  // fresh gives form a new client_id (adding the field if the form has none):
  // one per filling-in, the same on every replay of it.
  function fresh(form) {
    var cid = form.querySelector('[name=client_id]');
    if (!cid) { cid = document.createElement('input'); cid.type = 'hidden'; cid.name = 'client_id'; form.appendChild(cid); }
    cid.value = uuid();
  }

  // A queued form: stored first, then sent — online or not, one path. A
  // data-recorded-at field gets the time the form was filled in, not sent.
  function queue(form, ev) {
    if (!window.indexedDB) return; // the browser posts the form itself
    ev.preventDefault();
    var at = form.querySelector('[data-recorded-at]');
    if (at) at.value = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    var fields = [];
    new FormData(form).forEach(function (v, k) {
      if (v instanceof File) { if (v.size > 0) fields.push([k, v.slice(0, v.size, v.type), v.name]); } else fields.push([k, v]);
    });
    var id = form.querySelector('[name=client_id]').value || uuid();
    var title = form.getAttribute('data-queue') || (document.querySelector('h1') || {}).textContent || '记录';
    put({ id: id, action: form.action, user: user, title: title, fields: fields, queuedAt: new Date().toISOString() }).then(function () {
      form.reset(); fresh(form);
      status(navigator.onLine ? '正在发送…' : '已存入离线队列，恢复网络后自动发送');
      return render();
    }).then(flush);
  }

  window.chemguardOutbox = { uuid: uuid, fresh: fresh, status: status, csrfToken: csrfToken, flush: flush };

  document.addEventListener('DOMContentLoaded', function () {
    user = document.body.getAttribute('data-user') || '';
    if (cfg.sw && 'serviceWorker' in navigator) {
      navigator.serviceWorker.register(cfg.sw, { scope: cfg.scope }).catch(function () {});
    }
    document.querySelectorAll('form[data-queue]').forEach(function (f) {
      fresh(f);
      f.addEventListener('submit', function (ev) { queue(f, ev); });
    });
    var send = document.getElementById('outbox-send');
    if (send) send.addEventListener('click', flush);
    window.addEventListener('online', function () { netState(); status('网络已恢复，正在发送…'); flush(); });
    window.addEventListener('offline', netState);
    netState();
    render().then(flush);
  });
})();
