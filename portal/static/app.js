// chemguard regulator portal: progressive enhancement only. Every figure is already
// in the page as HTML; this draws the Shandong map from the embedded echarts 4.9.0
// and the embedded shandong.json when the browser runs scripts.
(function () {
  'use strict';
  // esc makes a value plain text in HTML: ECharts puts a tooltip formatter's string
  // into the page as HTML, and names (companies, counties) come from company data.
  function esc(v) {
    return String(v === undefined || v === null ? '' : v).replace(/[&<>"']/g, function (ch) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch];
    });
  }
  // byWarnings: the regions of the page's data ({name, code, value: companies,
  // warnings, mine}) coloured by their open warnings, the companies in the tooltip.
  // A region outside the user's region (mine false, or not in the data at all) has
  // no figures here: it is drawn grey as 无数据, never as "0 warnings".
  var noData = '#e3e6ea';
  function byWarnings(regions) {
    return regions.map(function (r) {
      if (r.mine === false) {
        return { name: r.name, value: '-', code: r.code, outside: true, itemStyle: { areaColor: noData },
          label: { color: '#8a94a0' } };
      }
      return { name: r.name, value: r.warnings || 0, companies: r.value || 0, code: r.code };
    });
  }
  function warningMap(map, data) {
    var max = 1;
    data.forEach(function (d) { if (!d.outside && d.value > max) { max = d.value; } });
    return {
      tooltip: { trigger: 'item', formatter: function (p) {
        if (!p.data || p.data.outside) { return esc(p.name) + '：无数据（不在您的辖区）'; }
        return esc(p.name) + '：' + esc(p.data.companies || 0) + ' 家企业，' + esc(p.data.value) + ' 条未处置完的预警';
      } },
      visualMap: { min: 0, max: max, left: 'left', bottom: 10, text: ['预警多', '少'], calculable: true,
        inRange: { color: ['#fdf0e6', '#f4a261', '#b2182b'] } },
      series: [{ name: '未处置完的预警', type: 'map', map: map, roam: false, label: { show: true, fontSize: 11 },
        itemStyle: { areaColor: noData }, data: data }]
    };
  }
  // The charts drawn, for the live updates: the city map, the 下钻 map.
  var charts = { city: null, drill: null, drillMap: '' };
  function drawMap() {
    var el = document.getElementById('city-map');
    var dataEl = document.getElementById('city-data');
    if (!el || !dataEl || !window.echarts || !window.fetch) { return; }
    var points = JSON.parse(dataEl.textContent || '[]');
    fetch('/portal/static/echarts/shandong.json', { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        window.echarts.registerMap('shandong', geo);
        var data = byWarnings(points);
        el.classList.add('drawn');
        var chart = window.echarts.init(el);
        charts.city = chart;
        chart.setOption(warningMap('shandong', data));
        // 下钻: a city opens its counties (the same link as in the table below).
        chart.on('click', function (p) {
          if (p.data && p.data.code && !p.data.outside) { window.location.href = '/portal/?region=' + p.data.code + '#drill'; }
        });
        window.addEventListener('resize', function () { chart.resize(); });
      })
      .catch(function () { /* the table below the map shows the same figures */ });
  }
  // 下钻: a city's counties (boundaries from the embedded counties/CITY.json,
  // GB/T 2260 codes) coloured by open warnings, a county opening its companies; a
  // county's companies plotted by the coordinates of their 企业信息.
  function companyPoints(companies) {
    return (companies || []).filter(function (c) { return c.lon !== null && c.lat !== null; })
      .map(function (c) { return { name: c.name, code: c.code, value: [c.lon, c.lat, c.warnings] }; });
  }
  function drawDrill() {
    var el = document.getElementById('drill-map');
    var dataEl = document.getElementById('drill-data');
    if (!el || !dataEl || !window.echarts || !window.fetch) { return; }
    var d = JSON.parse(dataEl.textContent || '{}');
    if (!d.city) { return; }
    fetch('/portal/static/counties/' + d.city + '.json', { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var chart;
        if (d.county) {
          geo.features = geo.features.filter(function (f) { return f.properties.code === d.county; });
          window.echarts.registerMap('county-' + d.county, geo);
          el.classList.add('drawn');
          chart = window.echarts.init(el);
          chart.setOption({
            tooltip: { trigger: 'item', formatter: function (p) {
              return p.data && p.data.code ? esc(p.name) + '：' + esc(p.data.value[2]) + ' 条未处置完的预警' : esc(p.name);
            } },
            geo: { map: 'county-' + d.county, roam: true, label: { show: true },
              itemStyle: { areaColor: '#e0ecf8', borderColor: '#6baed6' } },
            series: [{ name: '企业', type: 'scatter', coordinateSystem: 'geo', data: companyPoints(d.companies),
              symbolSize: function (v) { return v[2] > 0 ? 14 : 9; },
              itemStyle: { color: function (p) { return p.value[2] > 0 ? '#c0392b' : '#0b5cad'; } } }]
          });
          chart.on('click', function (p) {
            if (p.data && p.data.code) { window.location.href = '/portal/companies/' + encodeURIComponent(p.data.code); }
          });
        } else {
          window.echarts.registerMap('city-' + d.city, geo);
          el.classList.add('drawn');
          chart = window.echarts.init(el);
          chart.setOption(warningMap('city-' + d.city, byWarnings(d.counties || [])));
          charts.drillMap = 'city-' + d.city;
          chart.on('click', function (p) {
            if (p.data && p.data.code) { window.location.href = '/portal/?region=' + p.data.code + '#drill'; }
          });
        }
        charts.drill = chart;
        window.addEventListener('resize', function () { chart.resize(); });
      })
      .catch(function () { /* the table below the map shows the same figures */ });
  }
  // cell returns a table cell holding text, in a link when href is given.
  function cell(tag, text, href) {
    var td = document.createElement(tag);
    if (tag === 'th') { td.setAttribute('scope', 'row'); }
    var inner = td;
    if (href) { inner = document.createElement('a'); inner.setAttribute('href', href); td.appendChild(inner); }
    inner.textContent = String(text);
    return td;
  }
  // fillTable sets a table's rows: in place when the rows are the same (so that a
  // focused link keeps the focus), else a new body.
  function fillTable(id, rows) {
    var body = document.querySelector('#' + id + ' tbody');
    if (!body) { return; }
    var old = body.rows;
    var same = old.length === rows.length;
    for (var i = 0; same && i < rows.length; i++) {
      same = old[i].cells.length === rows[i].length && old[i].cells[0].textContent === rows[i][0].textContent;
    }
    if (same) {
      rows.forEach(function (cells, i) {
        cells.forEach(function (c, j) {
          var target = old[i].cells[j].querySelector('a') || old[i].cells[j];
          if (target.textContent !== c.textContent) { target.textContent = c.textContent; }
        });
      });
      return;
    }
    var fresh = document.createElement('tbody');
    rows.forEach(function (cells) {
      var tr = document.createElement('tr');
      cells.forEach(function (c) { tr.appendChild(c); });
      fresh.appendChild(tr);
    });
    body.parentNode.replaceChild(fresh, body);
  }
  // liveMap: the "map" event — the city map's series and the table under it, the
  // 下钻 map's series and its table, as the page drew them.
  function liveMap(m) {
    var cities = m.cities || [];
    if (charts.city) { charts.city.setOption(warningMap('shandong', byWarnings(cities))); }
    fillTable('city-table', cities.filter(function (c) { return c.value > 0; }).map(function (c) {
      return [cell('th', c.name, '/portal/?region=' + c.code + '#drill'),
        cell('td', c.value, '/portal/companies?region=' + c.code), cell('td', c.warnings)];
    }));
    var d = m.drill;
    if (!d) { return; }
    if (d.counties) {
      if (charts.drill && charts.drillMap) { charts.drill.setOption(warningMap(charts.drillMap, byWarnings(d.counties))); }
      fillTable('county-table', d.counties.map(function (c) {
        return [cell('th', c.name), cell('td', c.value, '/portal/companies?region=' + c.code), cell('td', c.warnings),
          cell('td', '企业分布', '/portal/?region=' + c.code + '#drill')];
      }));
    } else if (d.companies) {
      if (charts.drill) { charts.drill.setOption({ series: [{ data: companyPoints(d.companies) }] }); }
      var byCode = {};
      d.companies.forEach(function (c) { byCode[c.code] = c.warnings; });
      document.querySelectorAll('#county-companies tbody tr').forEach(function (tr) {
        var a = tr.querySelector('th a');
        var code = a && decodeURIComponent(a.getAttribute('href').split('/').pop());
        if (code && byCode[code] !== undefined) { tr.children[2].textContent = String(byCode[code]); }
      });
    }
  }
  // 近 24 小时趋势: the readings as a line inside the alarm bands. The y-axis always
  // spans the thresholds (and the readings), so a flat reading far from its limits
  // looks flat, and each band is named: 低低报区, 低报区, 正常, 高报区, 高高报区.
  var levelNames = { LOW_LOW: '低低报', LOW: '低报', HIGH: '高报', HIGH_HIGH: '高高报' };
  function trendBands(th, lo, hi) {
    var cuts = [['LOW_LOW', th.LOW_LOW], ['LOW', th.LOW], ['HIGH', th.HIGH], ['HIGH_HIGH', th.HIGH_HIGH]]
      .filter(function (c) { return c[1] !== undefined && !isNaN(c[1]); });
    var colours = { LOW_LOW: 'rgba(178,24,43,0.16)', LOW: 'rgba(244,162,97,0.18)', HIGH: 'rgba(244,162,97,0.18)', HIGH_HIGH: 'rgba(178,24,43,0.16)' };
    var bands = [];
    cuts.forEach(function (c) {
      if (c[0] === 'LOW_LOW' || c[0] === 'LOW') {
        var upper = c[0] === 'LOW_LOW' && th.LOW !== undefined ? th.LOW_LOW : c[1];
        var lower = c[0] === 'LOW' && th.LOW_LOW !== undefined ? th.LOW_LOW : lo;
        bands.push([{ name: levelNames[c[0]] + '区', yAxis: lower, itemStyle: { color: colours[c[0]] } }, { yAxis: upper }]);
      } else {
        var top = c[0] === 'HIGH' && th.HIGH_HIGH !== undefined ? th.HIGH_HIGH : hi;
        bands.push([{ name: levelNames[c[0]] + '区', yAxis: c[1], itemStyle: { color: colours[c[0]] } }, { yAxis: top }]);
      }
    });
    return bands;
  }
  function drawTrend() {
    var el = document.getElementById('trend');
    var dataEl = document.getElementById('trend-data');
    if (!el || !dataEl || !window.echarts) { return; }
    var d = JSON.parse(dataEl.textContent || '{}');
    var th = {};
    Object.keys(d.thresholds || {}).forEach(function (k) { th[k] = Number(d.thresholds[k]); });
    var points = (d.points || []).map(function (p) { return [p.t, Number(p.v)]; });
    // Each point is a bucket's mean; its least and greatest reading are drawn
    // faintly so a spike the mean hides still shows.
    var lows = (d.points || []).map(function (p) { return [p.t, Number(p.lo)]; });
    var highs = (d.points || []).map(function (p) { return [p.t, Number(p.hi)]; });
    var values = points.concat(lows, highs).map(function (p) { return p[1]; }).filter(function (v) { return !isNaN(v); });
    Object.keys(th).forEach(function (k) { values.push(th[k]); });
    var lo = values.length ? Math.min.apply(null, values) : 0;
    var hi = values.length ? Math.max.apply(null, values) : 1;
    var pad = Math.max((hi - lo) * 0.15, Math.abs(hi) * 0.05, 1);
    var rangeLow = d.range_low === '' || d.range_low === undefined ? NaN : Number(d.range_low);
    var rangeHigh = d.range_high === '' || d.range_high === undefined ? NaN : Number(d.range_high);
    lo = isNaN(rangeLow) ? lo - pad : Math.max(rangeLow, lo - pad);
    hi = isNaN(rangeHigh) ? hi + pad : Math.min(rangeHigh, hi + pad);
    var marks = Object.keys(th).map(function (k) { return { name: levelNames[k] || k, yAxis: th[k] }; });
    el.classList.add('drawn');
    var chart = window.echarts.init(el);
    chart.setOption({
      grid: { left: 60, right: 110, top: 40, bottom: 40 },
      tooltip: { trigger: 'axis', formatter: function (ps) {
        var p = ps && ps[0];
        if (!p) { return ''; }
        var q = (d.points || [])[p.dataIndex] || {};
        return esc(p.value[0]) + '<br>' + esc(d.name) + '（' + esc(d.bucket || '') + '平均）：' + esc(p.value[1]) + ' ' + esc(d.unit) +
          '<br>最小 ' + esc(q.lo) + '，最大 ' + esc(q.hi) + '，' + esc(q.n) + ' 条读数';
      } },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: d.unit, min: Number(lo.toFixed(2)), max: Number(hi.toFixed(2)) },
      series: [{ name: d.name, type: 'line', showSymbol: false, data: points,
        markLine: { symbol: 'none', label: { position: 'end', formatter: '{b} {c}' }, lineStyle: { color: '#c0392b', type: 'dashed' }, data: marks },
        markArea: { silent: true, label: { position: 'insideTopLeft', color: '#7a2e1f' }, data: trendBands(th, lo, hi) } },
        { name: '最小值', type: 'line', showSymbol: false, data: lows, silent: true, lineStyle: { width: 1, opacity: 0.35 } },
        { name: '最大值', type: 'line', showSymbol: false, data: highs, silent: true, lineStyle: { width: 1, opacity: 0.35 } }]
    });
    window.addEventListener('resize', function () { chart.resize(); });
  }
  // 实时更新: the home page's figures from /portal/live (server-sent events).
  function live() {
    var status = document.getElementById('live-status');
    if (!status || !window.EventSource) { return; }
    var region = new window.URLSearchParams(window.location.search).get('region');
    var es = new window.EventSource('/portal/live' + (region ? '?region=' + encodeURIComponent(region) : ''));
    es.addEventListener('map', function (ev) { liveMap(JSON.parse(ev.data)); });
    es.addEventListener('stats', function (ev) {
      var v = JSON.parse(ev.data);
      Object.keys(v).forEach(function (id) {
        var el = document.getElementById(id);
        if (el) { el.textContent = v[id]; }
      });
      status.textContent = '实时更新：' + new Date().toLocaleTimeString('zh-CN');
    });
    es.onerror = function () { status.textContent = '实时更新已中断，正在重连…'; };
  }
  // 处置操作: send the form to the warnings API as JSON and show its answer.
  function actions() {
    var form = document.getElementById('act-form');
    if (!form || !window.fetch) { return; }
    var result = document.getElementById('act-result');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = {};
      ['action', 'note', 'reason', 'to_level'].forEach(function (k) {
        if (form.elements[k] && form.elements[k].value) { body[k] = form.elements[k].value; }
      });
      result.textContent = '正在提交…';
      // form.action would be the <select name="action">, not the form's URL.
      fetch(form.getAttribute('action'), { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': form.elements.csrf_token.value },
        body: JSON.stringify(body) })
        .then(function (r) {
          if (r.ok) { window.location.href = form.getAttribute('data-done'); return null; }
          return r.json().then(function (j) {
            result.textContent = (j && j.error && j.error.message_zh) || ('提交失败（' + r.status + '）');
          });
        })
        .catch(function () { result.textContent = '网络异常，请重试'; });
    });
  }
  function start() { drawMap(); drawDrill(); drawTrend(); live(); actions(); }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
