// The plant map: a floor's plan in an SVG whose user units are metres, y up
// from the plan's lower-left corner (the gateway's frame); every page that
// shows positions draws through PosMap.
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function PosMap(svg) {
    this.svg = svg;
    this.floor = null;
    this.w = 100; this.h = 100;
  }
  PosMap.prototype.setFloor = function (a) {
    this.floor = a.getAttribute('data-floor');
    this.w = parseFloat(a.getAttribute('data-width')) || 100;
    this.h = parseFloat(a.getAttribute('data-height')) || 100;
    this.svg.setAttribute('viewBox', '0 0 ' + this.w + ' ' + this.h);
    this.svg.setAttribute('data-floor', this.floor);
    var old = this.svg.querySelector('image.plan');
    if (old) { old.remove(); }
    var plan = a.getAttribute('data-plan');
    if (plan) {
      var img = el('image', {'class': 'plan', href: plan, x: 0, y: 0, width: this.w, height: this.h, preserveAspectRatio: 'none'});
      this.svg.insertBefore(img, this.svg.firstChild);
    }
    var links = document.querySelectorAll('.floors a[data-floor]');
    for (var i = 0; i < links.length; i++) {
      if (links[i] === a) { links[i].setAttribute('aria-current', 'true'); } else { links[i].removeAttribute('aria-current'); }
    }
  };
  // sx/sy turn plan metres into SVG units (y flipped).
  PosMap.prototype.sx = function (x) { return x; };
  PosMap.prototype.sy = function (y) { return this.h - y; };
  PosMap.prototype.points = function (pts) {
    var self = this;
    return pts.map(function (p) { return self.sx(p[0]).toFixed(2) + ',' + self.sy(p[1]).toFixed(2); }).join(' ');
  };
  // metres returns the plan position of a mouse event.
  PosMap.prototype.metres = function (ev) {
    var pt = this.svg.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    var p = pt.matrixTransform(this.svg.getScreenCTM().inverse());
    return [Math.round(p.x * 10) / 10, Math.round((this.h - p.y) * 10) / 10];
  };
  PosMap.prototype.layer = function (name) {
    var g = this.svg.querySelector('g.' + name);
    if (!g) { g = el('g', {'class': name}, this.svg); }
    while (g.firstChild) { g.removeChild(g.firstChild); }
    return g;
  };
  PosMap.prototype.radius = function () { return Math.max(this.w, this.h) / 120; };
  PosMap.el = el;
  // floorLinks wires the floor links to setFloor and shows the first floor.
  PosMap.prototype.floorLinks = function (onChange) {
    var self = this;
    var links = document.querySelectorAll('.floors a[data-floor]');
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener('click', function (ev) {
        ev.preventDefault();
        self.setFloor(ev.currentTarget);
        if (onChange) { onChange(); }
      });
    }
    if (links.length) { self.setFloor(links[0]); }
    return links.length > 0;
  };
  window.PosMap = PosMap;
})();
