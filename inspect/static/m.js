// 巡查检查移动端 — the app's own progressive script: the one-tap 预警处置
// actions sent to the warning API, forms that need the network (随机抽取),
// and dropping the pages' offline copies at logout. The service worker and
// the offline queue of form submissions are the phone apps' shared
// outbox.js (loaded before this script, window.chemguardOutbox). Every form
// also works without either (a plain POST).
'use strict';
(function () {
  var outbox = window.chemguardOutbox;

  function act(box, btn) {
    if (!navigator.onLine) { document.getElementById('act-result').textContent = '离线时无法处置预警，请联网后重试'; return; }
    var reason = box.querySelector('[data-reason]'), to = box.querySelector('[data-to-level]');
    var body = { action: btn.getAttribute('data-action'), reason: reason ? reason.value : '', note: reason ? reason.value : '',
      to_level: to ? to.value : '' };
    btn.disabled = true;
    fetch('/api/v1/warnings/' + box.getAttribute('data-warning') + '/actions', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': outbox.csrfToken() },
      body: JSON.stringify(body) })
      .then(function (resp) { return resp.json().then(function (r) { return [resp.ok, r]; }); })
      .then(function (res) {
        var out = document.getElementById('act-result');
        if (res[0]) { out.textContent = btn.textContent + '成功'; setTimeout(function () { location.reload(); }, 600); }
        else { out.textContent = btn.textContent + '未成功：' + ((res[1].error || {}).message_zh || ''); btn.disabled = false; }
      }, function () { document.getElementById('act-result').textContent = '网络错误，请重试'; btn.disabled = false; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form[data-online-only]').forEach(function (f) {
      outbox.fresh(f);
      f.addEventListener('submit', function (ev) {
        if (!navigator.onLine) { ev.preventDefault(); outbox.status('离线时无法随机抽取，请联网后重试'); }
      });
    });
    document.querySelectorAll('.actions[data-warning] button[data-action]').forEach(function (b) {
      b.addEventListener('click', function () { act(b.closest('.actions'), b); });
    });
    var logout = document.getElementById('logout');
    if (logout && window.caches) logout.addEventListener('submit', function () { caches.delete('chemguard-m-pages'); });
  });
})();
