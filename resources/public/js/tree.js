// tree.js: lays out a cluster's replication tree left to right (master at
// the left, each replica right of its master, leaves stacked) and draws
// each instance as an SVG box.
"use strict";
(function () {
  var orc = window.orc;
  var tree = orc.tree = {};

  tree.isReplica = function (i) {
    var m = i.MasterKey || {};
    return !!m.Hostname && m.Hostname !== "_" && m.Port > 0 && m.Hostname.indexOf("//") !== 0;
  };

  // build links instances into parent/children nodes. Co-masters (two
  // instances replicating from each other) both become roots, the
  // writable one first, joined by a co-master link.
  tree.build = function (instances) {
    var nodes = {}, order = [];
    instances.forEach(function (i) {
      var k = orc.keyStr(i.Key);
      nodes[k] = { key: k, inst: i, children: [], parent: null, comaster: null };
      order.push(k);
    });
    order.sort();
    var roots = [];
    order.forEach(function (k) {
      var n = nodes[k], i = n.inst;
      var mk = tree.isReplica(i) ? orc.keyStr(i.MasterKey) : "";
      var m = nodes[mk];
      if (m && tree.isReplica(m.inst) && orc.keyStr(m.inst.MasterKey) === k) {
        // co-masters: the pair replicate from each other
        n.comaster = mk;
        var primary = (!i.ReadOnly && m.inst.ReadOnly) || (i.ReadOnly === m.inst.ReadOnly && k < mk);
        if (primary) { roots.push(n); return; }
      }
      if (!m || n.comaster) { roots.push(n); return; }
      n.parent = m;
      m.children.push(n);
    });
    // anything unreachable from a root (a longer cycle) becomes a root
    var seen = {};
    (function mark(list) { list.forEach(function (n) { if (!seen[n.key]) { seen[n.key] = true; mark(n.children); } }); })(roots);
    order.forEach(function (k) {
      if (!seen[k]) { var n = nodes[k]; if (n.parent) { n.parent.children.splice(n.parent.children.indexOf(n), 1); n.parent = null; } roots.push(n); }
    });
    // the master first, then its co-master, then other tops
    roots.sort(function (a, b) { return rootRank(a) - rootRank(b) || (a.key < b.key ? -1 : 1); });
    return { nodes: nodes, roots: roots };
  };
  function rootRank(n) {
    if (n.comaster) return n.inst.ReadOnly ? 1 : 0;
    return tree.isReplica(n.inst) ? 3 : (n.inst.ReadOnly ? 2 : 0);
  }

  // metrics of a box for the current view options.
  tree.metrics = function (opts) {
    var lines = opts.compact ? 1 : 5 + (opts.detail ? 1 : 0);
    var h = opts.compact ? 24 : 10 + lines * 14;
    return { w: opts.compact ? 240 : 260, h: h, gapX: 60, rowH: h + (opts.compact ? 16 : 20), pad: 16 };
  };

  // layout sets x, y on each node and returns the canvas size.
  tree.layout = function (t, opts) {
    var m = tree.metrics(opts), y = m.pad, maxDepth = 0;
    function place(n, depth) {
      n.depth = depth;
      maxDepth = Math.max(maxDepth, depth);
      n.x = m.pad + depth * (m.w + m.gapX);
      n.children.sort(function (a, b) { return a.key < b.key ? -1 : 1; });
      if (!n.children.length) { n.y = y; y += m.rowH; return; }
      n.children.forEach(function (c) { place(c, depth + 1); });
      n.y = (n.children[0].y + n.children[n.children.length - 1].y) / 2;
    }
    t.roots.forEach(function (r) { place(r, 0); });
    return { width: m.pad * 2 + (maxDepth + 1) * (m.w + m.gapX), height: y + m.pad, m: m };
  };

  // state classifies an instance for colour: invalid, broken, lag or ok.
  tree.state = function (i) {
    if (!i.IsLastCheckValid) return "invalid";
    if (tree.isReplica(i) && !(i.ReplicationIOThreadState === 1 && i.ReplicationSQLThreadState === 1)) return "broken";
    var l = i.ReplicationLagSeconds;
    if ((l && l.Valid && l.Int64 >= 10) || (i.Problems || []).some(function (p) { return p.indexOf("lag") >= 0; })) return "lag";
    return "ok";
  };

  tree.statusText = function (i) {
    if (!i.IsLastCheckValid) return "unreachable" + (i.LastProbeError ? ": " + i.LastProbeError : "");
    if (!tree.isReplica(i)) return (i.MasterKey && (i.MasterKey.Hostname || "").indexOf("//") === 0 ? "detached · " : "") + "master";
    var io = i.ReplicationIOThreadState, sql = i.ReplicationSQLThreadState;
    if (io === 1 && sql === 1) return "replicating · " + orc.fmtLag(i);
    if (io === 0 && sql === 0) return "replication stopped";
    if (sql !== 1) return "SQL thread " + (sql === 0 ? "stopped" : "not running") + (i.LastSQLError ? ": " + i.LastSQLError : "");
    return "IO thread " + (io === 2 ? "connecting" : "stopped") + (i.LastIOError ? ": " + i.LastIOError : "");
  };

  tree.detailText = function (i, mode) {
    if (mode === "gtid") {
      var g = i.MariaDBGtidCurrentPos || i.ExecutedGtidSet || "";
      return "GTID " + (g || "none") + (i.GtidErrant ? " errant " + i.GtidErrant : "");
    }
    var c = i.SelfBinlogCoordinates || {}, e = i.ExecBinlogCoordinates || {};
    var s = "binlog " + (c.LogFile ? c.LogFile + ":" + c.LogPos : "off");
    if (tree.isReplica(i)) s += " exec " + (e.LogFile ? e.LogFile + ":" + e.LogPos : "?");
    return s;
  };

  tree.tags = function (i, n) {
    var t = [];
    if (n.comaster || i.IsCoMaster) t.push(["CO-MASTER", "#2563eb"]);
    if (i.UsingMariaDBGTID || i.UsingOracleGTID) t.push(["GTID", "#0f766e"]);
    if (i.GtidErrant) t.push(["ERRANT", "#b91c1c"]);
    if (i.IsDowntimed) t.push(["DOWNTIME", "#6b7280"]);
    if (i.InMaintenance) t.push(["MAINT", "#d97706"]);
    if (i.SQLDelay > 0) t.push(["DELAY", "#7c3aed"]);
    if (i.SemiSyncMasterStatus || i.SemiSyncReplicaStatus) t.push(["SEMI", "#0369a1"]);
    return t;
  };

  // compactStatus is the right-hand part of a compact box: lag (or what
  // stops it from being known) and a mark: ✓ healthy, ! lag or problems,
  // ✕ not replicating or unreachable.
  tree.compactStatus = function (i) {
    var st = tree.state(i), l = i.ReplicationLagSeconds, text;
    if (st === "invalid") text = "unreachable";
    else if (st === "broken") text = "stopped";
    else if (!tree.isReplica(i)) text = "master";
    else text = l && l.Valid ? "lag " + l.Int64 + "s" : "lag ?";
    var mark = st === "invalid" || st === "broken" ? "✕" : (st === "lag" || (i.Problems || []).length ? "!" : "✓");
    return text + " " + mark;
  };

  // tooltip is what a box hides: everything the full box shows, and more.
  tree.tooltip = function (i, n) {
    var tags = tree.tags(i, n).map(function (t) { return t[0]; });
    return [
      i.InstanceAlias ? i.InstanceAlias + " (" + n.key + ")" : n.key,
      [i.Version, i.Binlog_format, i.ReadOnly ? "read_only" : "writable"].filter(Boolean).join(" · "),
      tree.statusText(i),
      (i.DataCenter ? "dc " + i.DataCenter : "no dc") + " · promotion " + (i.PromotionRule || "neutral"),
      tree.detailText(i, "binlog"),
      i.UsingMariaDBGTID || i.UsingOracleGTID ? tree.detailText(i, "gtid") : "",
      tags.length ? tags.join(" ") : "",
      (i.Problems || []).length ? "problems: " + i.Problems.join(", ") : "",
    ].filter(Boolean).join("\n");
  };

  // shortVersion keeps the number and the MariaDB mark: "10.11.6 MariaDB".
  tree.shortVersion = function (v) {
    var parts = String(v || "").split("-");
    return parts[0] + (parts[1] === "MariaDB" ? " MariaDB" : "");
  };

  function clip(s, n) { s = String(s || ""); return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  // box draws one instance node.
  tree.box = function (n, opts, m) {
    var i = n.inst, svg = orc.svg;
    var cls = "inst " + tree.state(i) + (i.IsDowntimed ? " downtimed" : "") + ((i.Problems || []).length ? " has-problems" : "");
    var g = svg("g", { class: cls, "data-key": n.key, transform: "translate(" + n.x + "," + n.y + ")" });
    g.appendChild(svg("rect", { class: "box", width: m.w, height: m.h, rx: 6 }));
    var title = i.InstanceAlias ? i.InstanceAlias + " (" + n.key + ")" : n.key;
    g.appendChild(svg("title", {}, tree.tooltip(i, n)));
    if (opts.compact) {
      // a bar in the state's colour, red when the instance has problems
      g.appendChild(svg("rect", { class: "bar", x: 0, y: 0, width: 5, height: m.h, rx: 2 }));
      g.appendChild(svg("text", { class: "title", x: 10, y: 16 }, clip(title, 22)));
      var room = n.children.length && opts.handles ? 12 : 8; // clear of the ● handle
      g.appendChild(svg("text", { class: "status", x: m.w - room, y: 16, "text-anchor": "end" }, tree.compactStatus(i)));
    } else {
      var lines = [
        ["title", clip(title, 34)],
        ["", clip([tree.shortVersion(i.Version), i.Binlog_format, i.ReadOnly ? "read_only" : "writable"].filter(Boolean).join(" · "), 44)],
        ["status", clip(tree.statusText(i), 44)],
        ["", clip([i.DataCenter ? "dc " + i.DataCenter : "no dc", "promotion " + (i.PromotionRule || "neutral")].join(" · "), 44)],
      ];
      if (opts.detail) lines.push(["detail", clip(tree.detailText(i, opts.detail), 46)]);
      lines.push(["problems", clip((i.Problems || []).join(", "), 46)]);
      lines.forEach(function (l, idx) {
        g.appendChild(svg("text", { class: l[0], x: 8, y: 18 + idx * 14 }, l[1]));
      });
      var tx = m.w - 6;
      tree.tags(i, n).reverse().forEach(function (t) {
        var w = Math.ceil(t[0].length * 6.6) + 6; // 9px bold capitals
        tx -= w + 2;
        var tg = svg("g", { class: "tag", transform: "translate(" + tx + ",4)" });
        tg.appendChild(svg("rect", { width: w, height: 12, fill: t[1] }));
        tg.appendChild(svg("text", { x: 3, y: 9 }, t[0]));
        g.appendChild(tg);
      });
    }
    g.appendChild(svg("text", { class: "dropinfo", x: 4, y: m.h + 12 }, ""));
    if (n.children.length && opts.handles) {
      var hd = svg("circle", { class: "handle", cx: m.w, cy: m.h / 2, r: 7, "data-replicas-of": n.key });
      hd.appendChild(svg("title", {}, "drag to move the " + n.children.length + " replicas of " + n.key));
      g.appendChild(hd);
    }
    return g;
  };

  // draw returns the SVG for a built tree.
  tree.draw = function (t, opts) {
    var size = tree.layout(t, opts), m = size.m, svg = orc.svg;
    var root = svg("svg", { width: size.width, height: size.height, class: "topology", xmlns: "http://www.w3.org/2000/svg" });
    var links = svg("g", { class: "links" }), boxes = svg("g", { class: "boxes" });
    root.appendChild(links);
    root.appendChild(boxes);
    Object.keys(t.nodes).forEach(function (k) {
      var n = t.nodes[k];
      if (n.parent) {
        var x1 = n.parent.x + m.w, y1 = n.parent.y + m.h / 2, x2 = n.x, y2 = n.y + m.h / 2, mx = (x1 + x2) / 2;
        links.appendChild(svg("path", { class: "link", "data-from": n.parent.key, "data-to": k, d: "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2 }));
      }
      if (n.comaster && k < n.comaster && t.nodes[n.comaster]) {
        var o = t.nodes[n.comaster], a = n.y < o.y ? n : o, b = a === n ? o : n;
        links.appendChild(svg("path", { class: "link comaster", "data-from": a.key, "data-to": b.key, d: "M" + (a.x + 20) + "," + (a.y + m.h) + " L" + (b.x + 20) + "," + b.y }));
      }
      boxes.appendChild(tree.box(n, opts, m));
    });
    return root;
  };
})();
