// 双重预防 pages: live task statuses, the class2 list under class1, the
// in-page QR scanner, and the check form's time and danger fields.
(function () {
  'use strict';

  // Live statuses on the task board: fetched every 15 s.
  var table = document.getElementById('tasks');
  if (table && table.dataset.live && window.fetch) {
    var live = document.getElementById('live');
    var refresh = function () {
      fetch(table.dataset.live, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (resp) {
        if (!resp.ok) throw new Error('HTTP ' + resp.status);
        return resp.json();
      }).then(function (tasks) {
        var counts = {done: 0, pending: 0, overdue: 0};
        tasks.forEach(function (t) {
          counts[t.status]++;
          var row = table.querySelector('tr[data-task="' + t.id + '"]');
          if (!row || row.classList.contains('disabled')) return;
          var st = row.querySelector('[data-field="status"]');
          st.textContent = t.status_zh;
          st.className = 'st ' + t.status;
          row.querySelector('[data-field="due"]').textContent = t.due;
          row.querySelector('[data-field="last"]').textContent = t.last;
        });
        Object.keys(counts).forEach(function (k) {
          var b = document.querySelector('[data-count="' + k + '"]');
          if (b) b.textContent = counts[k];
        });
        if (live) live.textContent = '已刷新 ' + new Date().toLocaleTimeString('zh-CN');
      }).catch(function () { if (live) live.textContent = '刷新失败，稍后重试…'; });
    };
    refresh();
    setInterval(refresh, 15000);
  }

  // 管控措施分类2 offers only the codes under the chosen 分类1.
  var c1 = document.getElementById('class1'), c2 = document.getElementById('class2');
  if (c1 && c2) {
    var sync = function () {
      var first = null;
      Array.prototype.forEach.call(c2.options, function (o) {
        var ok = o.dataset.parent === c1.value;
        o.hidden = !ok; o.disabled = !ok;
        if (ok && !first) first = o;
      });
      if (c2.selectedOptions[0] && c2.selectedOptions[0].disabled && first) c2.value = first.value;
    };
    c1.addEventListener('change', sync); sync();
  }

  // The check form: the time the check was made (kept when the form waits in
  // the offline queue), and the danger fields only for 存在隐患.
  var form = document.querySelector('form[data-offline="check"]');
  if (form) {
    form.addEventListener('submit', function () {
      form.elements.checked_at.value = new Date().toISOString();
    });
    var danger = document.getElementById('danger');
    var show = function () {
      var v = form.querySelector('input[name="status"]:checked');
      danger.hidden = !(v && v.value === '1');
    };
    Array.prototype.forEach.call(form.querySelectorAll('input[name="status"]'), function (r) { r.addEventListener('change', show); });
    form.addEventListener('reset', function () { setTimeout(show, 0); }); // the offline queue resets the form once stored
    show();
  }

  // In-page QR scanner where the browser has BarcodeDetector.
  var start = document.getElementById('scan-start');
  if (start) {
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices) {
      document.getElementById('scan-unsupported').hidden = false;
      return;
    }
    start.hidden = false;
    start.addEventListener('click', function () {
      var video = document.getElementById('camera'), status = document.getElementById('scan-status');
      document.getElementById('scanner').hidden = false;
      start.hidden = true;
      var detector = new window.BarcodeDetector({formats: ['qr_code']});
      navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}}).then(function (stream) {
        video.srcObject = stream; video.play();
        var tick = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              status.textContent = '已识别，正在打开…';
              location.href = '/e/m/dp/code?code=' + encodeURIComponent(codes[0].rawValue);
              return;
            }
            requestAnimationFrame(tick);
          }).catch(function () { requestAnimationFrame(tick); });
        };
        tick();
      }).catch(function () {
        status.textContent = '无法打开摄像头，请在下面输入单元编号。';
      });
    });
  }
})();
