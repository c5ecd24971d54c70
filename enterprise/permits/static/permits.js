// Signature pads: every <canvas class="sig"> inside a form draws with mouse,
// pen or finger; on submit its PNG goes into the form's "signature" field.
(function () {
  function pad(canvas) {
    var ctx = canvas.getContext('2d'), drawing = false, drawn = false;
    ctx.lineWidth = 2.5; ctx.lineCap = 'round'; ctx.strokeStyle = '#000';
    function pos(e) { var r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; }
    canvas.addEventListener('pointerdown', function (e) { drawing = true; var p = pos(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); canvas.setPointerCapture(e.pointerId); e.preventDefault(); });
    canvas.addEventListener('pointermove', function (e) { if (!drawing) return; var p = pos(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; e.preventDefault(); });
    canvas.addEventListener('pointerup', function () { drawing = false; });
    var form = canvas.closest('form');
    var clear = form.querySelector('.sig-clear');
    if (clear) clear.addEventListener('click', function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });
    form.addEventListener('submit', function () { form.querySelector('input[name=signature]').value = drawn ? canvas.toDataURL('image/png') : ''; });
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('canvas.sig').forEach(pad);
    document.querySelectorAll('select[data-fill]').forEach(function (sel) {
      sel.addEventListener('change', function () {
        var o = sel.selectedOptions[0], f = sel.form;
        if (!o || !o.dataset.value) return;
        f.querySelector('[name=value]').value = o.dataset.value;
        f.querySelector('[name=gas]').value = o.dataset.gas;
        f.querySelector('[name=indicator]').value = o.value;
        f.querySelector('[name=point]').value = o.dataset.area;
      });
    });
  });
})();
