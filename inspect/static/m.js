// 巡查检查移动端 — progressive script: registers the service worker, keeps an
// offline queue of form submissions in IndexedDB and replays it when the network
// returns, and sends the one-tap 预警处置 actions to the warning API. Every form
// also works without it (a plain POST).
'use strict';
(function () {
  var DB = 'chemguard-m', STORE = 'outbox';
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
        var t = db.transaction(STORE, mode), out;
        out = fn(t.objectStore(STORE));
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

  // The queue shows what is waiting, what failed and why.
  function render() {
    var box = document.getElementById('outbox');
    if (!box || !window.indexedDB) return Promise.resolve();
    return all().then(function (items) {
      items = items.filter(function (i) { return i.user === user; });
      box.hidden = items.length === 0;
      document.getElementById('outbox-summary').textContent = items.length ? '本机有 ' + items.length + ' 条记录待发送' : '';
      var ul = document.getElementById('outbox-list');
      ul.textContent = '';
      items.forEach(function (i) {
        var li = document.createElement('li');
        li.textContent = i.title + '（' + beijing(i.queuedAt) + '）' + (i.error ? '：' + i.error : '：等待网络');
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

  // csrfToken is this page's form token: bound to the current session, so a
  // form queued under an earlier login is sent with today's token, not its own.
  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }

  function formData(item) {
    var fd = new FormData();
    item.fields.forEach(function (f) {
      if (f[0] === 'csrf_token') return;
      if (f[1] instanceof Blob) fd.append(f[0], f[1], f[2] || 'photo.jpg'); else fd.append(f[0], f[1]);
    });
    fd.append('csrf_token', csrfToken());
    return fd;
  }

  var flushing = false, again = false;
  // flush sends the queue in order. 2xx (a replay too: the server answers
  // duplicate) removes an item; a refusal (4xx) keeps it with the reason; a
  // network error or 5xx stops until the next chance. Called while sending
  // (a form saved meanwhile), it runs again once the current round is done.
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
            headers: { Accept: 'application/json', 'X-CSRF-Token': csrfToken() } }).then(function (resp) {
            if (resp.ok) return resp.json().then(function (r) { return del(item.id).then(function () { sent(item, r); return true; }); });
            if (resp.status === 401) { status('登录已过期，请重新登录后自动发送'); return false; }
            if (resp.status >= 500 || resp.status === 429 || resp.status === 408) return false;
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

  function status(text) {
    var el = document.getElementById('net');
    if (el) el.textContent = text;
  }
  function sent(item, reply) {
    status('已发送：' + item.title + (reply.duplicate ? '（服务器已有，未重复保存）' : ''));
    var link = document.getElementById('last-sent');
    if (!link) {
      link = document.createElement('a');
      link.id = 'last-sent';
      var main = document.getElementById('main');
      main.insertBefore(link, main.firstChild);
    }
    link.href = reply.url; link.textContent = '查看已发送的记录 #' + reply.id;
    link.setAttribute('data-record-id', reply.id);
  }

  function netState() {
    var el = document.getElementById('net');
    if (!el) return;
    el.classList.toggle('offline', !navigator.onLine);
    if (!navigator.onLine) el.textContent = '离线：表单将保存在本机，恢复网络后发送';
  }

  function fresh(form) {
    var id = form.querySelector('[data-client-id]');
    if (id) id.value = uuid();
  }

  // A queued form: stored first, then sent — online or not, one path.
  function queue(form, ev) {
    if (!window.indexedDB) return; // the browser posts the form itself
    ev.preventDefault();
    var at = form.querySelector('[data-recorded-at]');
    if (at) at.value = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    var fields = [];
    new FormData(form).forEach(function (v, k) {
      if (v instanceof File) { if (v.size > 0) fields.push([k, v.slice(0, v.size, v.type), v.name]); } else fields.push([k, v]);
    });
    var get = function (k) { var f = fields.find(function (x) { return x[0] === k; }); return f ? f[1] : ''; };
    var title = (document.querySelector('h1') || {}).textContent || '检查记录';
    var item = { id: get('client_id'), action: form.action, user: user, title: title, fields: fields,
      queuedAt: new Date().toISOString() };
    put(item).then(function () {
      form.reset(); fresh(form);
      status(navigator.onLine ? '正在发送…' : '已存入离线队列，恢复网络后自动发送');
      return render();
    }).then(flush);
  }

  function act(box, btn) {
    if (!navigator.onLine) { document.getElementById('act-result').textContent = '离线时无法处置预警，请联网后重试'; return; }
    var reason = box.querySelector('[data-reason]'), to = box.querySelector('[data-to-level]');
    var body = { action: btn.getAttribute('data-action'), reason: reason ? reason.value : '', note: reason ? reason.value : '',
      to_level: to ? to.value : '' };
    btn.disabled = true;
    fetch('/api/v1/warnings/' + box.getAttribute('data-warning') + '/actions', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken() },
      body: JSON.stringify(body) })
      .then(function (resp) { return resp.json().then(function (r) { return [resp.ok, r]; }); })
      .then(function (res) {
        var out = document.getElementById('act-result');
        if (res[0]) { out.textContent = btn.textContent + '成功'; setTimeout(function () { location.reload(); }, 600); }
        else { out.textContent = btn.textContent + '未成功：' + ((res[1].error || {}).message_zh || ''); btn.disabled = false; }
      }, function () { document.getElementById('act-result').textContent = '网络错误，请重试'; btn.disabled = false; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if ('serviceWorker' in navigator) navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(function () {});
    document.querySelectorAll('form[data-queue]').forEach(function (f) {
      fresh(f);
      f.addEventListener('submit', function (ev) { queue(f, ev); });
    });
    document.querySelectorAll('form[data-online-only]').forEach(function (f) {
      fresh(f);
      f.addEventListener('submit', function (ev) {
        if (!navigator.onLine) { ev.preventDefault(); status('离线时无法随机抽取，请联网后重试'); }
      });
    });
    document.querySelectorAll('.actions[data-warning] button[data-action]').forEach(function (b) {
      b.addEventListener('click', function () { act(b.closest('.actions'), b); });
    });
    var logout = document.getElementById('logout');
    if (logout && window.caches) logout.addEventListener('submit', function () { caches.delete('chemguard-m-pages'); });
    var send = document.getElementById('outbox-send');
    if (send) send.addEventListener('click', flush);
    window.addEventListener('online', function () { netState(); status('网络已恢复，正在发送…'); flush(); });
    window.addEventListener('offline', netState);
    netState();
    render().then(flush);
  });
})();
