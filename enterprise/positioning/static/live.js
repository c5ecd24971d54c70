// The live map: the picture arrives by server-sent events after every fix
// and every alarm (GET /e/positioning/live); clicking a person opens them.
(function () {
  'use strict';
  var root = document.getElementById('live');
  var svg = document.getElementById('map');
  if (!root || !svg) { return; }
  var map = new PosMap(svg);
  var el = PosMap.el;
  var last = null;
  var focus = root.getAttribute('data-alarm');
  var csrf = root.getAttribute('data-csrf');
  function text(parent, s) { parent.appendChild(document.createTextNode(s)); }
  function form(action, label, withInfo) {
    var f = document.createElement('form');
    f.method = 'post'; f.action = action; f.className = 'inline-form';
    var t = document.createElement('input'); t.type = 'hidden'; t.name = 'csrf_token'; t.value = csrf; f.appendChild(t);
    var b = document.createElement('input'); b.type = 'hidden'; b.name = 'back'; b.value = 'map'; f.appendChild(b);
    if (withInfo) {
      var i = document.createElement('input'); i.name = 'handle_info'; i.required = true; i.maxLength = 100; i.placeholder = '处理信息';
      i.setAttribute('aria-label', '处理信息'); f.appendChild(i);
    }
    var s = document.createElement('button'); s.textContent = label; f.appendChild(s);
    return f;
  }
  function when(iso) { var d = new Date(iso); return d.toLocaleString('zh-CN', {hour12: false}); }
  function draw(live) {
    last = live;
    var floor = map.floor;
    var alarming = {};
    (live.alarms || []).forEach(function (a) { if (!a.handled_at || a.handled_at.indexOf('0001') === 0) { alarming[a.fence_id] = true; } });
    var g = map.layer('fences');
    (live.fences || []).forEach(function (f) {
      if (f.floor !== floor) { return; }
      var cls = 'fence ' + f.kind + (f.suspended ? ' off' : '') + (alarming[f.id] ? ' alarming' : '');
      var p = el('polygon', {'class': cls, points: map.points(f.polygon), 'data-fence': f.name}, g);
      el('title', {}, p).textContent = f.name + '：' + f.count + ' 人';
      var c = f.polygon.reduce(function (a, q) { return [a[0] + q[0] / f.polygon.length, a[1] + q[1] / f.polygon.length]; }, [0, 0]);
      el('text', {'class': 'label', x: map.sx(c[0]), y: map.sy(c[1])}, g).textContent = f.name + ' ' + f.count + '人';
    });
    var r = map.radius();
    var ppl = map.layer('people');
    (live.people || []).forEach(function (p) {
      if (p.floor !== floor) { return; }
      var a = el('a', {href: '/e/positioning/people/' + p.person_id}, ppl);
      var c = el('circle', {'class': 'person ' + p.kind, cx: map.sx(p.x), cy: map.sy(p.y), r: r, 'data-card': p.card_no}, a);
      el('title', {}, c).textContent = p.name + '（' + p.kind_name + (p.unit ? '，' + p.unit : '') + '）卡号 ' + p.card_no;
    });
    var al = map.layer('alarms');
    var list = document.getElementById('alarms');
    list.textContent = '';
    (live.alarms || []).forEach(function (a) {
      if (a.floor === floor) {
        el('circle', {'class': 'alarm', cx: map.sx(a.x), cy: map.sy(a.y), r: r * 2.5, 'data-alarm': a.id}, al);
      }
      var li = document.createElement('li');
      var handled = a.handled_at && a.handled_at.indexOf('0001') !== 0;
      li.className = handled ? 'handled' : '';
      li.setAttribute('data-alarm', a.id);
      if (a.id === focus) { li.setAttribute('aria-current', 'true'); }
      var link = document.createElement('a'); link.href = '/e/positioning/alarms/' + a.id;
      link.textContent = a.type_name + ' · ' + a.location; li.appendChild(link);
      text(li, ' ' + when(a.raised_at) + ' ' + a.info + (handled ? '（已处置：' + a.handle_info + '，待确认）' : ''));
      li.appendChild(handled ? form('/e/positioning/alarms/' + a.id + '/confirm', '确认处置', false) : form('/e/positioning/alarms/' + a.id + '/handle', '处置', true));
      list.appendChild(li);
    });
    document.getElementById('alarm-count').textContent = (live.alarms || []).length;
    var tb = document.getElementById('fences');
    tb.textContent = '';
    (live.fences || []).forEach(function (f) {
      var tr = document.createElement('tr');
      [f.name + '（' + f.floor + ' 层）', String(f.count), (f.max_people ? '≤' + f.max_people : '') + (f.min_people ? ' ≥' + f.min_people : '')].forEach(function (s) {
        var td = document.createElement('td'); td.textContent = s; tr.appendChild(td);
      });
      tb.appendChild(tr);
    });
    var counts = document.getElementById('counts');
    counts.textContent = '';
    var total = 0;
    Object.keys(live.by_kind || {}).forEach(function (k) {
      total += live.by_kind[k];
      var s = document.createElement('span'); s.textContent = k + ' ' + live.by_kind[k] + ' 人'; counts.appendChild(s);
    });
    var s = document.createElement('span'); s.textContent = '厂区在线合计 ' + total + ' 人'; counts.insertBefore(s, counts.firstChild);
    document.getElementById('suspended').hidden = !live.suspended;
    document.getElementById('updated').textContent = when(live.at);
    root.setAttribute('data-updated', live.at);
  }
  if (!map.floorLinks(function () { if (last) { draw(last); } })) { return; }
  var es = new EventSource('/e/positioning/live');
  es.addEventListener('live', function (ev) { draw(JSON.parse(ev.data)); });
})();
