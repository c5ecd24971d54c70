// 企业安全生产基础系统 phone pages — the offline queue. A form marked
// data-queue is stored in IndexedDB first and then sent, online or not, one
// path: queued posts are replayed in order when the network returns. Each
// carries a client_id (a UUID made when the form is filled in) that the
// server dedups per account, so a replay whose answer was lost records
// nothing twice. The queue is per account: a shared phone shows and sends
// only the logged-in person's items. Every form also works without it.
'use strict';
(function () {
  var DB = 'chemguard-e', STORE = 'outbox';
  var user = document.body.getAttribute('data-user') || '';

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

  function status(text) { var el = document.getElementById('net'); if (el) el.textContent = text; }
  function csrfToken() { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.getAttribute('content') : ''; }

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
        li.textContent = i.title + (i.error ? '：' + i.error : '：等待网络');
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

  function formData(item) {
    var fd = new FormData();
    item.fields.forEach(function (f) {
      if (f[0] === 'csrf_token' || f[0] === '_csrf') return;
      if (f[1] instanceof Blob) fd.append(f[0], f[1], f[2] || 'photo.jpg'); else fd.append(f[0], f[1]);
    });
    fd.append('csrf_token', csrfToken());
    return fd;
  }

  var flushing = false;
  // flush sends the queue in order: 2xx removes an item (a replay the server
  // already has answers duplicate); a refusal (4xx) keeps it with the reason;
  // a network error or 5xx stops until the next chance.
  function flush() {
    if (flushing || !navigator.onLine || !window.indexedDB) return Promise.resolve();
    flushing = true;
    return all().then(function (items) {
      items = items.filter(function (i) { return i.user === user && !i.error; });
      var chain = Promise.resolve(true);
      items.forEach(function (item) {
        chain = chain.then(function (go) {
          if (!go) return false;
          return fetch(item.action, { method: 'POST', body: formData(item), credentials: 'same-origin',
            headers: { Accept: 'application/json', 'X-CSRF-Token': csrfToken(), 'X-Client-ID': item.id } }).then(function (resp) {
            if (resp.ok) return del(item.id).then(function () { status('已发送：' + item.title); return true; });
            if (resp.status === 401) { status('登录已过期，请重新登录后自动发送'); return false; }
            if (resp.status >= 500 || resp.status === 429 || resp.status === 408 || resp.status === 409) return false;
            return resp.json().catch(function () { return {}; }).then(function (body) {
              var e = (body && body.error) || {};
              item.error = e.message_zh || ('HTTP ' + resp.status);
              return put(item).then(function () { return true; });
            });
          }, function () { return false; });
        });
      });
      return chain;
    }).then(function () { flushing = false; return render(); }, function () { flushing = false; });
  }

  function netState() {
    var el = document.getElementById('net');
    if (!el) return;
    el.classList.toggle('offline', !navigator.onLine);
    if (!navigator.onLine) el.textContent = '离线：表单将保存在本机，恢复网络后发送';
  }

  function queue(form, ev) {
    if (!window.indexedDB) return;
    ev.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (v, k) {
      if (v instanceof File) { if (v.size > 0) fields.push([k, v.slice(0, v.size, v.type), v.name]); } else fields.push([k, v]);
    });
    var id = (form.querySelector('[name=client_id]') || {}).value || uuid();
    var title = form.getAttribute('data-queue') || (document.querySelector('h1') || {}).textContent || '记录';
    put({ id: id, action: form.action, user: user, title: title, fields: fields, queuedAt: new Date().toISOString() }).then(function () {
      form.reset();
      var cid = form.querySelector('[name=client_id]'); if (cid) cid.value = uuid();
      status(navigator.onLine ? '正在发送…' : '已存入离线队列，恢复网络后自动发送');
      return render();
    }).then(flush);
  }

  document.addEventListener('DOMContentLoaded', function () {
    if ('serviceWorker' in navigator) navigator.serviceWorker.register('/e/m/sw.js', { scope: '/e/m/' }).catch(function () {});
    document.querySelectorAll('form[data-queue]').forEach(function (f) {
      var cid = f.querySelector('[name=client_id]');
      if (!cid) { cid = document.createElement('input'); cid.type = 'hidden'; cid.name = 'client_id'; f.appendChild(cid); }
      cid.value = uuid();
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
