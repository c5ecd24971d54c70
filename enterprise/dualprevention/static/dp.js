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

  // In-page QR scanner: the browser's BarcodeDetector where it has one, else
  // the vendored jsQR decoding the camera's frames from a canvas (desktop
  // Chromium on Linux/Windows, iOS Safari and WeChat have no BarcodeDetector).
  var start = document.getElementById('scan-start');
  if (start) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      document.getElementById('scan-unsupported').hidden = false;
      return;
    }
    var loadJsQR = function () {
      return new Promise(function (resolve, reject) {
        if (window.jsQR) { resolve(window.jsQR); return; }
        var s = document.createElement('script');
        s.src = '/e/dp/static/third_party/jsqr/jsQR.js';
        s.onload = function () { window.jsQR ? resolve(window.jsQR) : reject(new Error('jsQR')); };
        s.onerror = reject;
        document.head.appendChild(s);
      });
    };
    // decoder resolves to a function(video) → Promise of the QR text or null.
    var decoder = function () {
      if ('BarcodeDetector' in window) {
        var detector = new window.BarcodeDetector({formats: ['qr_code']});
        return Promise.resolve(function (video) {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        });
      }
      return loadJsQR().then(function (jsQR) {
        var canvas = document.createElement('canvas'), ctx = canvas.getContext('2d', {willReadFrequently: true});
        return function (video) {
          var w = video.videoWidth, h = video.videoHeight;
          if (!w || !h) { return Promise.resolve(null); }
          // Decode at most 640 px wide: enough for a label, light on a phone.
          var scale = Math.min(1, 640 / w);
          canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
          ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var code = jsQR(img.data, img.width, img.height, {inversionAttempts: 'dontInvert'});
          return Promise.resolve(code && code.data ? code.data : null);
        };
      });
    };
    start.hidden = false;
    start.addEventListener('click', function () {
      var video = document.getElementById('camera'), status = document.getElementById('scan-status');
      document.getElementById('scanner').hidden = false;
      start.hidden = true;
      Promise.all([decoder(), navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}})]).then(function (got) {
        var decode = got[0], stream = got[1];
        video.srcObject = stream; video.play();
        var tick = function () {
          decode(video).then(function (text) {
            if (text) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              status.textContent = '已识别，正在打开…';
              location.href = '/e/m/dp/code?code=' + encodeURIComponent(text);
              return;
            }
            requestAnimationFrame(tick);
          }).catch(function () { requestAnimationFrame(tick); });
        };
        tick();
      }).catch(function () {
        status.textContent = '无法打开摄像头或加载识别程序，请在下面输入单元编号。';
      });
    });
  }
})();
