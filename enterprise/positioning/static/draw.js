// Drawing a fence: each click on the plan adds a vertex (metres) to the
// form's points; 重画 starts again.
(function () {
  'use strict';
  var svg = document.getElementById('map');
  var input = document.getElementById('points');
  if (!svg || !input) { return; }
  var map = new PosMap(svg);
  map.setFloor(svg);
  var existing = svg.querySelectorAll('polygon.fence[data-points]');
  for (var i = 0; i < existing.length; i++) {
    var pts = existing[i].getAttribute('data-points').split(';').filter(Boolean).map(function (s) { return s.split(',').map(parseFloat); });
    existing[i].setAttribute('points', map.points(pts));
  }
  function parse() {
    return input.value.split(';').filter(function (s) { return s.trim(); }).map(function (s) { return s.split(',').map(parseFloat); });
  }
  function redraw() {
    var g = map.layer('draft-layer');
    var pts = parse();
    if (pts.length >= 2) { PosMap.el('polygon', {'class': 'draft', points: map.points(pts)}, g); }
    pts.forEach(function (p) { PosMap.el('circle', {'class': 'cursor', cx: map.sx(p[0]), cy: map.sy(p[1]), r: map.radius() / 2}, g); });
  }
  svg.addEventListener('click', function (ev) {
    var p = map.metres(ev);
    input.value = (input.value.trim() ? input.value.trim().replace(/;$/, '') + ';' : '') + p[0] + ',' + p[1];
    redraw();
  });
  input.addEventListener('input', redraw);
  document.getElementById('clear-points').addEventListener('click', function () { input.value = ''; redraw(); });
})();
