/* topicscope report viewer: plain DOM, SVG and a 2-D canvas; no library, no network.
   Every value from the data is written with textContent, canvas text or numeric attributes,
   never parsed as HTML. */
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('topicscope-data').textContent);
  var TOPICS = D.topics;
  var K = TOPICS.length;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var SNIPPETS = D.snippets;
  var tooltip = document.getElementById('tooltip');

  /* ------------------------------------------------------------------ helpers */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function svTitle(node, text) { node.appendChild(sv('title', {}, text)); return node; }
  function fmt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function b64(str, Type) {
    var bin = atob(str), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer);
  }
  function wordsOf(t, n) { return t.words.slice(0, n).map(function (w) { return w[0]; }).join(', '); }
  var rowOf = {};
  TOPICS.forEach(function (t, i) { rowOf[t.id] = i; });

  /* ------------------------------------------------------------------ colours */
  function hsl(h, s, l) {
    var a = s * Math.min(l, 1 - l);
    function f(n) { var k = (n + h / 30) % 12; return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))); }
    return [f(0), f(8), f(4)];
  }
  var RGB = [], CSS = [], seen = 0;
  TOPICS.forEach(function (t) {
    var c = t.id === -1 ? [186, 189, 194] : hsl((seen * 137.508) % 360, 0.62 + 0.18 * (seen % 2), 0.40 + 0.12 * ((seen >> 1) % 2));
    if (t.id !== -1) seen++;
    RGB.push(c);
    CSS.push('rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')');
  });

  /* ------------------------------------------------------------------ shared tooltip */
  function showTip(parts, x, y) {
    clear(tooltip);
    parts.forEach(function (p) { if (p[1]) tooltip.appendChild(el('div', p[0], p[1])); });
    tooltip.hidden = false;
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    var left = x + 14, top = y + 14;
    if (left + w > window.innerWidth - 4) left = Math.max(4, x - w - 14);
    if (top + h > window.innerHeight - 4) top = Math.max(4, y - h - 14);
    tooltip.style.left = left + 'px';
    tooltip.style.top = top + 'px';
  }
  function hideTip() { tooltip.hidden = true; }
  function topicTip(row) {
    var t = TOPICS[row];
    return [['tt-title', t.label], ['tt-meta', 'Topic ' + t.id + ' \u00b7 ' + fmt(t.size) + ' documents'], ['tt-words', wordsOf(t, 8)]];
  }

  /* ------------------------------------------------------------------ state */
  var matches = null;      // Uint8Array(K) of matching topics, null without a query
  var docHits = 0;
  var selected = -1;       // row of the selected topic
  var userSelected = false; // drawn on top of the map once the user picked it
  var listeners = [];      // redraws after a search or a selection
  function changed() { listeners.forEach(function (f) { f(); }); }

  /* ------------------------------------------------------------------ header, overview */
  document.title = D.title;
  document.getElementById('title').textContent = D.title;
  var dl = document.getElementById('overview-list');
  D.overview.forEach(function (row) { dl.appendChild(el('dt', null, row[0])); dl.appendChild(el('dd', null, row[1])); });
  var privacy = document.getElementById('privacy');
  if (D.withDocuments) {
    privacy.className = 'note docs';
    privacy.textContent = 'This file contains document text (it was made with --with-documents): tooltips, the topic ' +
      'panel and the search show snippets of the documents. Share it only where the documents may go.';
  } else {
    privacy.textContent = 'This file contains no document text: tooltips show topic words only. ' +
      'Make the report with --with-documents (with_documents=True) to include document snippets.';
  }
  document.getElementById('search').placeholder = D.withDocuments ?
    'Search topic words, labels and documents' : 'Search topic words and labels';
  document.getElementById('footer').textContent = 'Made by topicscope. This file is self-contained: it loads ' +
    'nothing from the network. ' + fmt(D.counts.documents) + ' documents, ' + fmt(D.counts.topics) + ' topics.';

  /* ------------------------------------------------------------------ search */
  var topicText = TOPICS.map(function (t) {
    return (t.label + ' ' + t.name + ' ' + t.words.map(function (w) { return w[0]; }).join(' ')).toLowerCase();
  });
  var lowerSnippets = null;
  var status = document.getElementById('search-status');
  function runSearch(query) {
    var terms = String(query).toLowerCase().split(/\s+/).filter(Boolean);
    docHits = 0;
    if (!terms.length) {
      matches = null;
    } else {
      matches = new Uint8Array(K);
      var hit = function (text) {
        for (var j = 0; j < terms.length; j++) if (text.indexOf(terms[j]) < 0) return false;
        return true;
      };
      for (var i = 0; i < K; i++) if (hit(topicText[i])) matches[i] = 1;
      if (SNIPPETS) {
        if (!lowerSnippets) lowerSnippets = SNIPPETS.map(function (s) { return s.toLowerCase(); });
        for (var d = 0; d < lowerSnippets.length; d++) {
          if (hit(lowerSnippets[d])) { docHits++; matches[pointTopic[d]] = 1; }
        }
      }
    }
    var n = matches ? matches.reduce(function (a, b) { return a + b; }, 0) : 0;
    status.textContent = matches ? n + (n === 1 ? ' topic matches' : ' topics match') +
      (SNIPPETS ? ' (' + fmt(docHits) + ' documents)' : '') : '';
    changed();
  }
  var searchBox = document.getElementById('search');
  var searchTimer = 0;
  searchBox.addEventListener('input', function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { runSearch(searchBox.value); }, SNIPPETS && SNIPPETS.length > 20000 ? 150 : 40);
  });
  function isMatch(row) { return !matches || matches[row] === 1; }

  function select(row) {
    if (row < 0 || row >= K) return;
    selected = row;
    userSelected = true;
    changed();
  }

  /* ------------------------------------------------------------------ points */
  var P = D.points, N = P.n;
  var qx = b64(P.x, Uint16Array), qy = b64(P.y, Uint16Array);
  var pointTopic = b64(P.topic, Uint16Array);
  var spanX = P.bounds[2] - P.bounds[0], spanY = P.bounds[3] - P.bounds[1];
  var wx = new Float32Array(N), wy = new Float32Array(N);   // world coordinates, y pointing down
  for (var i = 0; i < N; i++) { wx[i] = qx[i] / 65535 * spanX; wy[i] = (1 - qy[i] / 65535) * spanY; }
  function worldX(x) { return x - P.bounds[0]; }
  function worldY(y) { return P.bounds[3] - y; }
  // Drawing order: outliers first, then the others in a fixed shuffled order (no topic paints over all others).
  var order = new Uint32Array(N);
  (function () {
    var outlierRow = rowOf[-1], k = 0, j, seed = 12345;
    for (j = 0; j < N; j++) if (pointTopic[j] === outlierRow) order[k++] = j;
    var start = k;
    for (j = 0; j < N; j++) if (pointTopic[j] !== outlierRow) order[k++] = j;
    for (j = N - 1; j > start; j--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      var r = start + (seed % (j - start + 1)), tmp = order[j];
      order[j] = order[r]; order[r] = tmp;
    }
  })();

  // A grid over the world for hover lookups.
  var G = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(N / 4))));
  var cellStart = new Int32Array(G * G + 1), cellItems = new Int32Array(N);
  function cellOf(x, span) { return Math.min(G - 1, Math.max(0, Math.floor(x / span * G))); }
  (function () {
    var c = new Int32Array(N), j;
    for (j = 0; j < N; j++) { c[j] = cellOf(wy[j], spanY) * G + cellOf(wx[j], spanX); cellStart[c[j] + 1]++; }
    for (j = 0; j < G * G; j++) cellStart[j + 1] += cellStart[j];
    var fill = cellStart.slice(0, G * G);
    for (j = 0; j < N; j++) cellItems[fill[c[j]]++] = j;
  })();

  /* ------------------------------------------------------------------ document map */
  var canvas = document.getElementById('doc-canvas');
  var mapBox = document.getElementById('doc-map');
  var ctx = canvas.getContext('2d');
  var dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  var W = 0, H = 0, img = null, buf = null;
  var view = { scale: 1, ox: 0, oy: 0, base: 1 };
  var hovered = -1, drawnLabels = [], drawnLevel = -1, pointsDrawn = 0, drawMs = 0;
  var LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  function resize() {
    var w = Math.max(50, mapBox.clientWidth), h = Math.max(50, mapBox.clientHeight);
    W = Math.round(w * dpr); H = Math.round(h * dpr);
    canvas.width = W; canvas.height = H;
    img = ctx.createImageData(W, H);
    buf = new Uint32Array(img.data.buffer);
    resetView();
  }
  function resetView() {
    var m = 0.05;
    var s = Math.min(W * (1 - 2 * m) / (spanX || 1), H * (1 - 2 * m) / (spanY || 1));
    view.scale = view.base = s;
    view.ox = (W - spanX * s) / 2;
    view.oy = (H - spanY * s) / 2;
  }
  var stamps = {};
  function stamp(r) {
    var key = Math.round(r * 4);
    if (stamps[key]) return stamps[key];
    var rr = key / 4, R = Math.ceil(rr + 0.5), list = [];
    for (var dy = -R; dy <= R; dy++) {
      for (var dx = -R; dx <= R; dx++) {
        var a = Math.max(0, Math.min(1, rr + 0.5 - Math.sqrt(dx * dx + dy * dy)));
        if (a > 0) list.push(dx, dy, a);
      }
    }
    return (stamps[key] = list);
  }
  function pointRadius() {
    var base = Math.sqrt((W / dpr) * (H / dpr) / Math.max(N, 1)) * 0.11;
    base = Math.max(0.9, Math.min(3.2, base));
    return Math.min(7, base * Math.pow(view.scale / view.base, 0.45)) * dpr;
  }
  function blendPoint(px, py, st, r, g, b, alpha) {
    for (var k = 0; k < st.length; k += 3) {
      var x = px + st[k], y = py + st[k + 1];
      if (x < 0 || y < 0 || x >= W || y >= H) continue;
      var idx = y * W + x, a = st[k + 2] * alpha, v = buf[idx], na = 1 - a;
      var r0, g0, b0;
      if (LITTLE) { r0 = v & 255; g0 = (v >> 8) & 255; b0 = (v >> 16) & 255; }
      else { r0 = (v >>> 24) & 255; g0 = (v >> 16) & 255; b0 = (v >> 8) & 255; }
      var nr = (r * a + r0 * na) | 0, ng = (g * a + g0 * na) | 0, nb = (b * a + b0 * na) | 0;
      buf[idx] = LITTLE ? (0xff000000 | (nb << 16) | (ng << 8) | nr) >>> 0 : ((nr << 24) | (ng << 16) | (nb << 8) | 0xff) >>> 0;
    }
  }
  function drawPoints() {
    var t0 = performance.now();
    buf.fill(0xffffffff);  // opaque white in either byte order
    var r = pointRadius(), st = stamp(r), alpha = N > 30000 ? 0.6 : 0.8, drawn = 0;
    var pass = function (wanted) {
      for (var j = 0; j < N; j++) {
        var i = order[j], row = pointTopic[i], m = isMatch(row);
        if (wanted !== null && m !== wanted) continue;
        var px = Math.round(view.ox + wx[i] * view.scale), py = Math.round(view.oy + wy[i] * view.scale);
        if (px < -10 || py < -10 || px > W + 10 || py > H + 10) continue;
        var c = RGB[row];
        if (wanted === false) blendPoint(px, py, st, 215, 218, 222, 0.7);
        else blendPoint(px, py, st, c[0], c[1], c[2], alpha);
        drawn++;
      }
    };
    if (matches) { pass(false); pass(true); } else pass(null);
    if (selected >= 0 && userSelected && isMatch(selected)) {
      // the selected topic's points again, on top
      var c = RGB[selected], st2 = stamp(r * 1.15);
      for (var j = 0; j < N; j++) {
        var i = order[j];
        if (pointTopic[i] !== selected) continue;
        blendPoint(Math.round(view.ox + wx[i] * view.scale), Math.round(view.oy + wy[i] * view.scale), st2, c[0], c[1], c[2], 0.9);
      }
    }
    ctx.putImageData(img, 0, 0);
    pointsDrawn = drawn;
    drawMs = performance.now() - t0;
  }
  function visible(x, y) {
    var px = view.ox + x * view.scale, py = view.oy + y * view.scale;
    return px >= 0 && py >= 0 && px <= W && py <= H;
  }
  function drawLabels() {
    drawnLabels = [];
    var placed = [], items = [];
    var maxLabels = Math.max(6, Math.round((W / dpr) * (H / dpr) / 30000));
    var level = -1;
    if (matches) {
      // while searching, name the matching topics
      TOPICS.forEach(function (t, row) {
        if (matches[row] && t.id !== -1 && t.ax !== null) items.push([t.short, worldX(t.ax), worldY(t.ay), t.size, [row]]);
      });
    } else {
      var levels = D.levels;
      level = 0;
      for (var l = levels.length - 1; l >= 0; l--) {
        var inView = 0;
        levels[l].forEach(function (c) { if (visible(worldX(c[1]), worldY(c[2]))) inView++; });
        if (inView <= maxLabels) { level = l; break; }
      }
      levels[level].forEach(function (c) { items.push([c[0], worldX(c[1]), worldY(c[2]), c[3], c[4]]); });
    }
    drawnLevel = level;
    items.sort(function (a, b) { return b[3] - a[3]; });
    var biggest = items.length ? items[0][3] : 1;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    items.forEach(function (it) {
      if (!visible(it[1], it[2])) return;
      var size = (11 + 5 * Math.sqrt(it[3] / biggest)) * dpr;
      ctx.font = '600 ' + size + 'px system-ui, sans-serif';
      var text = it[0], w = ctx.measureText(text).width, h = size * 1.2;
      var x = view.ox + it[1] * view.scale, y = view.oy + it[2] * view.scale;
      var box = [x - w / 2 - 3, y - h / 2, x + w / 2 + 3, y + h / 2];
      for (var p = 0; p < placed.length; p++) {
        var q = placed[p];
        if (box[0] < q[2] && box[2] > q[0] && box[1] < q[3] && box[3] > q[1]) return;
      }
      placed.push(box);
      ctx.lineWidth = 4 * dpr;
      ctx.strokeStyle = 'rgba(255,255,255,0.9)';
      ctx.strokeText(text, x, y);
      ctx.fillStyle = '#1d232b';
      ctx.fillText(text, x, y);
      drawnLabels.push(text);
    });
  }
  function drawMap() { drawPoints(); drawLabels(); }
  var frame = 0;
  function requestDraw() {
    if (frame) return;
    frame = requestAnimationFrame(function () { frame = 0; drawMap(); });
  }

  function nearest(clientX, clientY) {
    var rect = canvas.getBoundingClientRect();
    var px = (clientX - rect.left) * dpr, py = (clientY - rect.top) * dpr;
    var x = (px - view.ox) / view.scale, y = (py - view.oy) / view.scale;
    var radius = (pointRadius() + 4 * dpr) / view.scale;
    var c0 = cellOf(x - radius, spanX), c1 = cellOf(x + radius, spanX);
    var r0 = cellOf(y - radius, spanY), r1 = cellOf(y + radius, spanY);
    var best = -1, bestD = radius * radius;
    for (var r = r0; r <= r1; r++) {
      for (var c = c0; c <= c1; c++) {
        var cell = r * G + c;
        for (var k = cellStart[cell]; k < cellStart[cell + 1]; k++) {
          var i = cellItems[k];
          if (matches && !matches[pointTopic[i]]) continue;
          var dx = wx[i] - x, dy = wy[i] - y, d = dx * dx + dy * dy;
          if (d <= bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }
  var drag = null;
  canvas.addEventListener('mousedown', function (e) { drag = { x: e.clientX, y: e.clientY, moved: false }; });
  window.addEventListener('mouseup', function () { setTimeout(function () { drag = null; }, 0); });
  canvas.addEventListener('mousemove', function (e) {
    if (drag && (e.buttons & 1)) {
      var dx = (e.clientX - drag.x) * dpr, dy = (e.clientY - drag.y) * dpr;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      view.ox += dx; view.oy += dy;
      drag.x = e.clientX; drag.y = e.clientY;
      hideTip(); hovered = -1;
      requestDraw();
      return;
    }
    var i = nearest(e.clientX, e.clientY);
    hovered = i;
    if (i < 0) { hideTip(); return; }
    var parts = topicTip(pointTopic[i]);
    if (SNIPPETS) parts.push(['tt-doc', SNIPPETS[i]]);
    else parts.push(['tt-meta', 'Document ' + i + ' (text not included in this report)']);
    showTip(parts, e.clientX, e.clientY);
  });
  canvas.addEventListener('mouseleave', function () { hovered = -1; hideTip(); });
  canvas.addEventListener('click', function (e) {
    if (drag && drag.moved) return;
    var i = nearest(e.clientX, e.clientY);
    if (i >= 0) select(pointTopic[i]);
  });
  canvas.addEventListener('dblclick', function () { resetView(); requestDraw(); });
  canvas.addEventListener('wheel', function (e) {
    e.preventDefault();
    var rect = canvas.getBoundingClientRect();
    var px = (e.clientX - rect.left) * dpr, py = (e.clientY - rect.top) * dpr;
    var f = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
    var s = Math.max(view.base * 0.5, Math.min(view.base * 400, view.scale * f));
    f = s / view.scale;
    view.ox = px - (px - view.ox) * f;
    view.oy = py - (py - view.oy) * f;
    view.scale = s;
    hideTip();
    requestDraw();
  }, { passive: false });
  document.getElementById('reset-view').addEventListener('click', function () { resetView(); requestDraw(); });
  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { resize(); drawMap(); drawTopicMap(); }, 120);
  });

  /* ------------------------------------------------------------------ topic map (SVG bubbles) */
  var topicMap = document.getElementById('topic-map');
  var bubbles = [];
  function drawTopicMap() {
    clear(topicMap);
    bubbles = [];
    var w = Math.max(200, topicMap.clientWidth), h = 380;
    var rMax = Math.max(8, Math.min(w, h) * 0.08), pad = rMax + 6;
    var rows = [];
    TOPICS.forEach(function (t, row) { if (t.id !== -1 && t.x !== null) rows.push(row); });
    var svg = sv('svg', { width: w, height: h, viewBox: '0 0 ' + w + ' ' + h, role: 'img' });
    topicMap.appendChild(svg);
    if (!rows.length) { svg.appendChild(sv('text', { x: 10, y: 20 }, 'No topics to place.')); return; }
    var xs = rows.map(function (r) { return worldX(TOPICS[r].x); }), ys = rows.map(function (r) { return worldY(TOPICS[r].y); });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var s = Math.min((w - 2 * pad) / ((x1 - x0) || 1), (h - 2 * pad) / ((y1 - y0) || 1));
    var cx = (w - (x1 - x0) * s) / 2, cy = (h - (y1 - y0) * s) / 2;
    var maxSize = Math.max.apply(null, rows.map(function (r) { return TOPICS[r].size; }));
    rows.sort(function (a, b) { return TOPICS[b].size - TOPICS[a].size; });
    var labelBoxes = [];
    rows.forEach(function (row, rank) {
      var t = TOPICS[row];
      var g = sv('g', { 'class': 'bubble', 'data-topic': t.id });
      var x = cx + (worldX(t.x) - x0) * s, y = cy + (worldY(t.y) - y0) * s;
      var c = sv('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: Math.max(3, rMax * Math.sqrt(t.size / maxSize)).toFixed(1),
        fill: CSS[row], 'fill-opacity': 0.55, stroke: CSS[row], 'stroke-width': 1 });
      g.appendChild(c);
      var lx = Math.max(64, Math.min(w - 64, x)), half = t.short.length * 3.3 + 2;
      var box = [lx - half, y - 8, lx + half, y + 8];
      var free = rank < 12 && !labelBoxes.some(function (q) { return box[0] < q[2] && box[2] > q[0] && box[1] < q[3] && box[3] > q[1]; });
      if (free) labelBoxes.push(box);
      if (free) g.appendChild(sv('text', { x: lx.toFixed(1), y: y.toFixed(1), 'text-anchor': 'middle', 'dominant-baseline': 'middle',
        'font-size': 11, 'font-weight': 600, fill: '#1d232b', 'pointer-events': 'none' }, t.short));
      g.addEventListener('mousemove', function (e) { showTip(topicTip(row), e.clientX, e.clientY); });
      g.addEventListener('mouseleave', hideTip);
      g.addEventListener('click', function () { select(row); });
      svg.appendChild(g);
      bubbles.push([row, g]);
    });
    styleBubbles();
  }
  function styleBubbles() {
    bubbles.forEach(function (b) {
      var row = b[0], cls = 'bubble';
      if (matches) cls += matches[row] ? ' match' : ' faded';
      if (row === selected) cls += ' selected';
      b[1].setAttribute('class', cls);
    });
  }

  /* ------------------------------------------------------------------ hierarchy (dendrogram) */
  var hierarchyBox = document.getElementById('hierarchy');
  var leafNodes = [];
  function drawHierarchy() {
    if (!D.tree || !D.tree.length) {
      hierarchyBox.appendChild(el('p', 'hint', 'No hierarchy: it needs at least two topics besides the outliers.'));
      return;
    }
    var kids = {}, dist = {}, name = {}, isChild = {};
    D.tree.forEach(function (m) {
      kids[m[0]] = [m[1], m[2]]; dist[m[0]] = m[3]; name[m[0]] = m[4];
      isChild[m[1]] = true; isChild[m[2]] = true;
    });
    var root = null, maxD = 0;
    D.tree.forEach(function (m) { if (!isChild[m[0]] && (root === null || m[3] > dist[root])) root = m[0]; maxD = Math.max(maxD, m[3]); });
    var leaves = [];
    (function walk(node) {
      var stack = [node];
      while (stack.length) {
        var n = stack.pop();
        if (kids[n]) { stack.push(kids[n][1]); stack.push(kids[n][0]); } else leaves.push(n);
      }
    })(root);
    var rowH = 17, w = Math.max(260, hierarchyBox.clientWidth - 4), h = leaves.length * rowH + 10;
    var labelX = Math.round(w * 0.42), left = 8;
    var svg = sv('svg', { width: w, height: h, role: 'img' });
    var ypos = {}, xpos = {};
    leaves.forEach(function (leaf, i) { ypos[leaf] = 5 + i * rowH + rowH / 2; xpos[leaf] = labelX; });
    function xOf(d) { return labelX - (d / (maxD || 1)) * (labelX - left); }
    var merges = D.tree.slice().sort(function (a, b) { return a[3] - b[3]; });
    // children before parents: a parent's distance is at least its children's (monotone linkage)
    var pending = merges.slice(), guard = 0;
    while (pending.length && guard++ < 100000) {
      var m = pending.shift();
      if (ypos[m[1]] === undefined || ypos[m[2]] === undefined) { pending.push(m); continue; }
      var px = xOf(m[3]), y1 = ypos[m[1]], y2 = ypos[m[2]];
      ypos[m[0]] = (y1 + y2) / 2; xpos[m[0]] = px;
      var path = 'M' + xpos[m[1]].toFixed(1) + ' ' + y1 + 'H' + px.toFixed(1) + 'V' + y2 + 'H' + xpos[m[2]].toFixed(1);
      svg.appendChild(sv('path', { d: path, fill: 'none', stroke: '#8b949e', 'stroke-width': 1 }));
      var dot = sv('circle', { cx: px.toFixed(1), cy: ypos[m[0]], r: 3, fill: '#5b6470' });
      svTitle(dot, name[m[0]].split('_').join(', ') + '  (distance ' + m[3].toFixed(3) + ')');
      svg.appendChild(dot);
    }
    leafNodes = [];
    leaves.forEach(function (leaf) {
      var row = rowOf[leaf];
      if (row === undefined) return;
      var t = TOPICS[row];
      var g = sv('g', { 'class': 'leaf', 'data-topic': t.id });
      g.appendChild(sv('rect', { x: labelX, y: ypos[leaf] - rowH / 2, width: w - labelX, height: rowH, fill: 'transparent' }));
      g.appendChild(sv('circle', { cx: labelX + 6, cy: ypos[leaf], r: 4, fill: CSS[row] }));
      g.appendChild(sv('text', { x: labelX + 14, y: ypos[leaf] + 4, 'font-size': 12, fill: '#1d232b' }, t.id + ': ' + t.short));
      g.addEventListener('mousemove', function (e) { showTip(topicTip(row), e.clientX, e.clientY); });
      g.addEventListener('mouseleave', hideTip);
      g.addEventListener('click', function () { select(row); });
      svg.appendChild(g);
      leafNodes.push([row, g]);
    });
    hierarchyBox.appendChild(svg);
  }
  function styleLeaves() {
    leafNodes.forEach(function (l) { l[1].setAttribute('class', matches && matches[l[0]] ? 'leaf match' : 'leaf'); });
  }

  /* ------------------------------------------------------------------ topic table */
  var table = document.getElementById('topic-table');
  var tbody = table.tBodies[0];
  var columns = [['id', 'Topic', true], ['size', 'Documents', true], ['label', 'Label', false], ['words', 'Top words', false]];
  if (D.withDocuments) columns.push(['docs', 'Representative documents', false]);
  var sortKey = 'id', sortDir = 1, headCells = {};
  var headRow = el('tr');
  columns.forEach(function (c) {
    var th = el('th', null, c[1]);
    th.setAttribute('data-key', c[0]);
    if (c[0] !== 'docs') th.addEventListener('click', function () { sortBy(c[0]); });
    headCells[c[0]] = th;
    headRow.appendChild(th);
  });
  table.tHead.appendChild(headRow);
  var tableRows = TOPICS.map(function (t, row) {
    var tr = el('tr');
    tr.setAttribute('data-topic', t.id);
    var first = el('td', 'num');
    first.appendChild(el('span', 'swatch'));
    first.firstChild.style.background = CSS[row];
    first.appendChild(document.createTextNode(String(t.id)));
    tr.appendChild(first);
    tr.appendChild(el('td', 'num', fmt(t.size)));
    tr.appendChild(el('td', 'label', t.label));
    tr.appendChild(el('td', 'words', wordsOf(t, 10)));
    if (D.withDocuments) {
      var cell = el('td', 'docs');
      (t.docs || []).forEach(function (d) { cell.appendChild(el('div', 'rep', d)); });
      tr.appendChild(cell);
    }
    tr.addEventListener('click', function () { select(row); });
    tbody.appendChild(tr);
    return tr;
  });
  function sortBy(key) {
    if (key === sortKey) sortDir = -sortDir; else { sortKey = key; sortDir = key === 'size' ? -1 : 1; }
    var rows = TOPICS.map(function (t, i) { return i; });
    rows.sort(function (a, b) {
      var x = TOPICS[a], y = TOPICS[b], r;
      if (key === 'label') r = x.label.localeCompare(y.label);
      else if (key === 'words') r = wordsOf(x, 10).localeCompare(wordsOf(y, 10));
      else r = x[key] - y[key];
      return r ? r * sortDir : x.id - y.id;
    });
    rows.forEach(function (i) { tbody.appendChild(tableRows[i]); });
    Object.keys(headCells).forEach(function (k) { headCells[k].className = k === sortKey ? (sortDir > 0 ? 'sorted-asc' : 'sorted-desc') : ''; });
  }
  headCells.id.className = 'sorted-asc';
  function styleTable() {
    tableRows.forEach(function (tr, row) {
      var m = matches ? matches[row] === 1 : false;
      tr.className = (m ? 'match' : '') + (row === selected ? ' selected' : '');
      tr.hidden = !!matches && !m;
    });
  }

  /* ------------------------------------------------------------------ word bars */
  function barsFor(row, n) {
    var t = TOPICS[row], box = el('div', 'bars'), words = t.words.slice(0, n);
    var top = words.length ? Math.max(words[0][1], 1e-12) : 1;
    words.forEach(function (w) {
      box.appendChild(el('span', null, w[0]));
      var bar = el('div', 'bar');
      bar.style.width = Math.max(1, 100 * w[1] / top).toFixed(1) + '%';
      bar.style.background = CSS[row];
      bar.title = w[0] + ': ' + w[1];
      box.appendChild(bar);
    });
    return box;
  }
  var barsBox = document.getElementById('bars'), barsNote = document.getElementById('bars-note');
  function drawBars() {
    clear(barsBox);
    var rows = [];
    TOPICS.forEach(function (t, row) { if (t.id !== -1 && isMatch(row)) rows.push(row); });
    rows.sort(function (a, b) { return TOPICS[b].size - TOPICS[a].size; });
    var limit = matches ? 24 : 12;
    barsNote.textContent = matches ? '(matching topics' + (rows.length > limit ? ', the ' + limit + ' largest' : '') + ')' :
      '(the ' + Math.min(limit, rows.length) + ' largest topics; search to see others)';
    rows.slice(0, limit).forEach(function (row) {
      var card = el('div', 'mini' + (matches ? ' match' : ''));
      card.setAttribute('data-topic', TOPICS[row].id);
      card.appendChild(el('h3', null, TOPICS[row].id + ': ' + TOPICS[row].short));
      card.appendChild(barsFor(row, 8));
      card.addEventListener('click', function () { select(row); });
      barsBox.appendChild(card);
    });
  }

  /* ------------------------------------------------------------------ selected topic */
  var detail = document.getElementById('detail-body');
  function drawDetail() {
    clear(detail);
    if (selected < 0) { detail.appendChild(el('p', 'hint', 'Click a topic in a map, the table or the hierarchy.')); return; }
    var t = TOPICS[selected];
    var h = el('h3');
    h.appendChild(el('span', 'swatch'));
    h.firstChild.style.background = CSS[selected];
    h.appendChild(document.createTextNode(t.label));
    detail.appendChild(h);
    var share = D.counts.documents ? (100 * t.size / D.counts.documents).toFixed(1) : '0';
    detail.appendChild(el('div', 'meta', 'Topic ' + t.id + ' \u00b7 ' + fmt(t.size) + ' documents (' + share + '%)'));
    detail.appendChild(barsFor(selected, 10));
    if (t.docs && t.docs.length) {
      detail.appendChild(el('h4', null, 'Representative documents'));
      t.docs.forEach(function (d) { detail.appendChild(el('div', 'rep', d)); });
    }
  }

  /* ------------------------------------------------------------------ topics over time */
  function chartRows(limit) {
    var rows = [];
    TOPICS.forEach(function (t, row) { if (t.id !== -1 && isMatch(row)) rows.push(row); });
    rows.sort(function (a, b) { return TOPICS[b].size - TOPICS[a].size; });
    if (selected >= 0 && TOPICS[selected].id !== -1 && rows.indexOf(selected) < 0) rows.unshift(selected);
    return rows.slice(0, limit);
  }
  var timeBox = document.getElementById('over-time');
  var seriesOf = {};
  if (D.overTime) D.overTime.series.forEach(function (s) { seriesOf[s[0]] = s; });
  function drawOverTime() {
    if (!D.overTime) return;
    clear(timeBox);
    var bins = D.overTime.bins, rows = chartRows(10).filter(function (r) { return seriesOf[TOPICS[r].id]; });
    var w = Math.max(300, timeBox.clientWidth), h = 300, l = 48, r = 16, top = 12, bottom = 46;
    var maxY = 1;
    rows.forEach(function (row) { seriesOf[TOPICS[row].id][1].forEach(function (v) { if (v > maxY) maxY = v; }); });
    var svg = sv('svg', { width: w, height: h, role: 'img' });
    function X(i) { return l + (bins.length > 1 ? i / (bins.length - 1) : 0.5) * (w - l - r); }
    function Y(v) { return top + (1 - v / maxY) * (h - top - bottom); }
    svg.appendChild(sv('line', { x1: l, y1: Y(0), x2: w - r, y2: Y(0), stroke: '#8b949e' }));
    [0, 0.5, 1].forEach(function (f) {
      svg.appendChild(sv('text', { x: l - 6, y: Y(maxY * f) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5b6470' }, fmt(Math.round(maxY * f))));
    });
    var ticks = Math.min(bins.length, 8);
    for (var k = 0; k < ticks; k++) {
      var i = ticks > 1 ? Math.round(k * (bins.length - 1) / (ticks - 1)) : 0;
      svg.appendChild(sv('text', { x: X(i), y: h - bottom + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#5b6470' }, bins[i]));
    }
    var legend = el('div', 'legend');
    rows.forEach(function (row) {
      var s = seriesOf[TOPICS[row].id], pts = s[1].map(function (v, i) { return X(i).toFixed(1) + ',' + Y(v).toFixed(1); });
      svg.appendChild(sv('polyline', { points: pts.join(' '), fill: 'none', stroke: CSS[row], 'stroke-width': row === selected ? 3 : 1.8 }));
      s[1].forEach(function (v, i) {
        if (!v) return;
        var dot = sv('circle', { cx: X(i).toFixed(1), cy: Y(v).toFixed(1), r: 2.6, fill: CSS[row] });
        svTitle(dot, TOPICS[row].short + ' \u00b7 ' + bins[i] + ': ' + fmt(v) + ' documents \u00b7 ' + s[2][i]);
        svg.appendChild(dot);
      });
      var item = el('span');
      item.appendChild(el('span', 'swatch'));
      item.firstChild.style.background = CSS[row];
      item.appendChild(document.createTextNode(TOPICS[row].id + ': ' + TOPICS[row].short));
      legend.appendChild(item);
    });
    timeBox.appendChild(svg);
    timeBox.appendChild(legend);
    timeBox.appendChild(el('p', 'hint', 'The ' + rows.length + (matches ? ' matching' : ' largest') +
      ' topics (search or select to change them); hover a point for the words of that period.'));
  }

  /* ------------------------------------------------------------------ topics per class */
  var classBox = document.getElementById('per-class');
  var classCells = {};
  if (D.perClass) D.perClass.cells.forEach(function (c) { (classCells[c[0]] = classCells[c[0]] || {})[c[1]] = c; });
  function drawPerClass() {
    if (!D.perClass) return;
    clear(classBox);
    var pc = D.perClass, rows = chartRows(25);
    var tab = el('table', 'heat'), head = el('tr');
    head.appendChild(el('th', null, 'Topic'));
    pc.classes.forEach(function (c, j) {
      var th = el('th', 'cls', c);
      th.title = c + ': ' + fmt(pc.totals[j]) + ' documents';
      head.appendChild(th);
    });
    tab.appendChild(head);
    rows.forEach(function (row) {
      var t = TOPICS[row], tr = el('tr', matches && matches[row] ? 'match' : '');
      tr.appendChild(el('th', null, t.id + ': ' + t.short));
      pc.classes.forEach(function (c, j) {
        var cell = (classCells[t.id] || {})[j], td = el('td', 'cell', cell ? fmt(cell[2]) : '');
        if (cell) {
          var share = cell[2] / Math.max(pc.totals[j], 1);
          var col = RGB[row];
          td.style.background = 'rgba(' + col[0] + ',' + col[1] + ',' + col[2] + ',' + Math.min(0.9, 0.08 + 3 * share).toFixed(2) + ')';
          td.title = c + ' \u00b7 ' + t.short + ': ' + fmt(cell[2]) + ' documents (' + (100 * share).toFixed(1) + '% of the class) \u00b7 ' + cell[3];
        }
        tr.appendChild(td);
      });
      tab.appendChild(tr);
    });
    classBox.appendChild(tab);
    var note = 'Documents of each topic in each class (colour: share of the class). ' + (matches ? 'Matching topics.' : 'The largest topics.');
    if (pc.hidden) note += ' ' + pc.hidden + ' smaller classes are not shown.';
    classBox.appendChild(el('p', 'hint', note));
  }

  /* ------------------------------------------------------------------ wiring */
  if (D.overTime) document.getElementById('time-section').hidden = false;
  if (D.perClass) document.getElementById('class-section').hidden = false;
  listeners.push(function () { drawMap(); styleBubbles(); styleLeaves(); styleTable(); drawBars(); drawDetail(); drawOverTime(); drawPerClass(); });

  var firstTopic = -1;
  TOPICS.forEach(function (t, row) { if (t.id !== -1 && (firstTopic < 0 || t.size > TOPICS[firstTopic].size)) firstTopic = row; });
  selected = firstTopic;
  resize();
  drawMap();
  drawTopicMap();
  drawHierarchy();
  styleTable();
  drawBars();
  drawDetail();
  drawOverTime();
  drawPerClass();

  window.__topicscope = {
    counts: D.counts,
    withDocuments: D.withDocuments,
    pointsDrawn: function () { return pointsDrawn; },
    drawMs: function () { return drawMs; },
    highlighted: function () {
      var ids = [];
      if (matches) TOPICS.forEach(function (t, row) { if (matches[row]) ids.push(t.id); });
      return ids;
    },
    documentHits: function () { return docHits; },
    hovered: function () { return hovered; },
    labels: function () { return drawnLabels.slice(); },
    level: function () { return drawnLevel; },
    selected: function () { return selected >= 0 ? TOPICS[selected].id : null; },
    // a document's position on the page (CSS pixels), for tests and scripted tours
    pointScreen: function (i) {
      var rect = canvas.getBoundingClientRect();
      return { x: rect.left + (view.ox + wx[i] * view.scale) / dpr, y: rect.top + (view.oy + wy[i] * view.scale) / dpr };
    },
    search: runSearch
  };
  var map = document.getElementById('doc-map');
  map.setAttribute('data-points', String(N));
  table.setAttribute('data-rows', String(tableRows.length));
  window.__topicscopeReadyMs = performance.now();
  window.__topicscopeReady = true;
  document.documentElement.setAttribute('data-ready', 'true');
})();
