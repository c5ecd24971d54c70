// A person's history: the track of the period on each floor, replayed by a
// moving marker.
(function () {
  'use strict';
  var svg = document.getElementById('map');
  if (!svg) { return; }
  var map = new PosMap(svg);
  var points = [];
  var info = document.getElementById('track-info');
  function draw() {
    var g = map.layer('track-layer');
    var on = points.filter(function (p) { return p.floor === map.floor; });
    if (on.length) {
      PosMap.el('polyline', {'class': 'track', points: map.points(on.map(function (p) { return [p.x, p.y]; }))}, g);
    }
    info.textContent = '共 ' + points.length + ' 个定位点，本楼层 ' + on.length + ' 个';
  }
  map.floorLinks(draw);
  fetch(svg.getAttribute('data-track'), {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (pts) {
    points = Array.isArray(pts) ? pts : [];
    draw();
  });
  document.getElementById('replay').addEventListener('click', function () {
    var on = points.filter(function (p) { return p.floor === map.floor; });
    var i = 0;
    var g = map.layer('replay-layer');
    var dot = PosMap.el('circle', {'class': 'cursor', r: map.radius()}, g);
    var timer = setInterval(function () {
      if (i >= on.length) { clearInterval(timer); return; }
      dot.setAttribute('cx', map.sx(on[i].x)); dot.setAttribute('cy', map.sy(on[i].y));
      info.textContent = new Date(on[i].at).toLocaleString('zh-CN', {hour12: false});
      i++;
    }, 60);
  });
})();
