// 企业安全生产基础系统 — PC pages: asks before a destructive form is sent
// (data-confirm). Every form works without it.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (ev) {
      if (!window.confirm(f.getAttribute('data-confirm'))) ev.preventDefault();
    });
  });
});
