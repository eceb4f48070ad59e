// topology.js: the cluster page: the SVG tree, its sidebar, auto-refresh
// and drag-and-drop refactoring. The server decides what a drop does
// (/api/ui/move-plans while dragging, /api/ui/can-move?live=true on drop).
"use strict";
(function () {
  var orc = window.orc, h = orc.h;
  var MAX_PROBLEMS = 10; // listed in the sidebar; the Problems page has them all

  // clusterPage draws /web/cluster/:name, /alias/:alias, /instance/:host/:port.
  orc.pages.cluster = function (rest) {
    var api;
    if (rest[0] === "alias") api = "/api/cluster/alias/" + encodeURIComponent(rest[1]);
    else if (rest[0] === "instance") api = "/api/cluster/instance/" + encodeURIComponent(rest[1]) + "/" + encodeURIComponent(rest[2] || "");
    else api = "/api/cluster/" + encodeURIComponent(rest[0]);
    var view = {
      api: api,
      byAlias: rest[0] === "alias",
      detail: localStorage.getItem("orc-detail") || "",
      compact: localStorage.getItem("orc-compact"),
      instances: [],
      drag: null,
    };
    orc.render(h("p", { class: "muted" }, "Loading cluster…"));
    load(view).then(function () {
      setInterval(function () {
        if (!view.drag && document.getElementById("modal-backdrop").hidden) load(view);
      }, orc.refreshMs(15));
    });
    orc.topology = view; // for the instance panel's refresh
    view.reload = function () { return load(view); };
  };

  function load(view) {
    return orc.api(view.api).then(function (list) {
      view.instances = list;
      draw(view);
    }, function (err) {
      orc.render(h("h1", {}, "Cluster"), orc.errorBox(err));
    });
  }

  function options(view) {
    var compact = view.compact === null ? view.instances.length > 60 : view.compact === "1";
    return { compact: compact, detail: compact ? "" : view.detail, handles: orc.session.CanMutate };
  }

  function draw(view) {
    var list = view.instances;
    if (!list.length) { orc.render(h("h1", {}, "Cluster"), h("p", {}, "No instances.")); return; }
    var first = list[0], opts = options(view);
    view.tree = orc.tree.build(list);
    var svg = orc.tree.draw(view.tree, opts);
    view.svg = svg;
    var canvas = h("div", { class: "canvas", id: "canvas" }, svg);
    var scroll = document.getElementById("canvas");
    var pos = scroll ? [scroll.scrollLeft, scroll.scrollTop] : [0, 0];
    orc.render(
      h("h1", {}, "Cluster ", h("span", { id: "cluster-alias" }, first.ClusterAlias || first.ClusterName),
        first.ClusterAlias && first.ClusterAlias !== first.ClusterName ? h("span", { class: "muted" }, " (" + first.ClusterName + ")") : null),
      toolbar(view, opts),
      h("div", { class: "topology-wrap" }, canvas, sidebar(view)));
    canvas.scrollLeft = pos[0];
    canvas.scrollTop = pos[1];
    if (view.selected && view.tree.nodes[view.selected]) markSelected(view, view.selected);
    svg.addEventListener("pointerdown", function (e) { pointerDown(view, e); });
  }

  function toolbar(view, opts) {
    function toggle(label, on, f) { return h("button", { class: on ? "primary" : "", onclick: f }, label); }
    return h("div", { class: "toolbar" },
      h("span", { class: "muted" }, view.instances.length + " instances"),
      h("span", {}, "Positions: "),
      toggle("off", !opts.detail, function () { setPref(view, "detail", ""); }),
      toggle("GTID", opts.detail === "gtid", function () { setPref(view, "detail", "gtid"); }),
      toggle("binlog", opts.detail === "binlog", function () { setPref(view, "detail", "binlog"); }),
      toggle("compact", opts.compact, function () { setPref(view, "compact", opts.compact ? "0" : "1"); }),
      h("button", { onclick: function () { view.reload(); } }, "Refresh"),
      orc.session.CanMutate ? h("span", { class: "muted" }, "Drag a box onto another to move it; drag its ● handle to move its replicas.") :
        h("span", { class: "muted" }, "Read-only: refactoring is not available."));
  }

  function setPref(view, name, value) {
    view[name] = value;
    localStorage.setItem("orc-" + name, value);
    draw(view);
  }

  function sidebar(view) {
    var list = view.instances, first = list[0];
    var master = view.tree.roots[0] && view.tree.roots[0].inst;
    var dcs = [];
    list.forEach(function (i) { if (i.DataCenter && dcs.indexOf(i.DataCenter) < 0) dcs.push(i.DataCenter); });
    var problems = list.filter(function (i) { return (i.Problems || []).length && !i.IsDowntimed; });
    var side = h("div", { class: "sidebar" },
      h("h3", {}, "Cluster"),
      h("div", {}, "name: ", first.ClusterName),
      h("div", {}, "alias: ", first.ClusterAlias || "—", orc.session.CanMutate ?
        h("button", { class: "small", onclick: function () { setAlias(view, first); } }, "edit") : null),
      first.ClusterDomain ? h("div", {}, "domain: ", first.ClusterDomain) : null,
      h("div", {}, "master: ", master ? orc.keyStr(master.Key) : "—"),
      h("div", {}, "data centers: ", dcs.join(", ") || "—"),
      h("h3", {}, "Problems"),
      problems.length ? h("ul", { class: "problems" }, problems.slice(0, MAX_PROBLEMS).map(function (i) {
        return h("li", {}, orc.keyStr(i.Key) + ": ", i.Problems.map(function (p) { return h("span", { class: "badge bad" }, p); }));
      }), problems.length > MAX_PROBLEMS ? h("li", { class: "muted" }, "… and " + (problems.length - MAX_PROBLEMS) + " more (see Problems)") : null) :
        h("p", { class: "muted" }, "none"),
      h("div", { id: "cluster-analysis" }),
      h("div", { id: "cluster-recoveries" }),
      h("h3", {}, "Legend"),
      h("div", { class: "legend" }, h("span", { class: "badge ok" }, "replicating"), h("span", { class: "badge warn" }, "lagging"),
        h("span", { class: "badge bad" }, "not replicating"), h("span", { class: "badge" }, "unreachable / downtimed")));
    var name = encodeURIComponent(first.ClusterName);
    orc.optional("/api/replication-analysis/" + name, null).then(function (entries) {
      var box = side.querySelector("#cluster-analysis");
      var bad = (entries || []).filter(function (e) { return e.Analysis && e.Analysis !== "NoProblem"; });
      if (!bad.length) return;
      orc.append(box, [h("h3", {}, "Analysis"), h("ul", {}, bad.map(function (e) {
        return h("li", {}, orc.keyStr(e.AnalyzedInstanceKey) + ": ", h("span", { class: "badge bad" }, e.Analysis));
      }))]);
    }, function () { });
    Promise.all([orc.optional("/api/audit-recovery/cluster/" + name, []), orc.optional("/api/blocked-recoveries/cluster/" + name, [])]).then(function (r) {
      var box = side.querySelector("#cluster-recoveries"), recs = (r[0] || []).slice(0, 5), blocked = r[1] || [];
      if (!recs.length && !blocked.length) return;
      orc.append(box, h("h3", {}, "Recoveries"));
      recs.forEach(function (x) {
        orc.append(box, h("div", {}, orc.link("/web/audit-recovery/uid/" + encodeURIComponent(x.UID), (x.Analysis || (x.AnalysisEntry || {}).Analysis || "recovery") + " " + (x.IsSuccessful ? "✓" : "✗"))));
      });
      blocked.forEach(function (b) { orc.append(box, h("div", { class: "error" }, "blocked: " + orc.keyStr(b.FailedInstanceKey) + " " + b.Analysis)); });
    }, function () { });
    return side;
  }

  function setAlias(view, first) {
    orc.form("Set cluster alias", [{ name: "alias", label: "Alias", value: first.ClusterAlias }], "Set alias").then(function (v) {
      if (!v || !v.alias) return;
      orc.run("set-cluster-alias", "/api/set-cluster-alias/" + encodeURIComponent(first.ClusterName) + "?alias=" + encodeURIComponent(v.alias)).then(function (ok) {
        if (ok && view.byAlias) { // the old alias names nothing now: follow the new one
          view.api = "/api/cluster/alias/" + encodeURIComponent(v.alias);
          history.replaceState(null, "", orc.url("/web/cluster/alias/" + encodeURIComponent(v.alias)) + location.search);
        }
        return view.reload();
      });
    });
  }

  function markSelected(view, key) {
    view.svg.querySelectorAll(".inst.selected").forEach(function (g) { g.classList.remove("selected"); });
    var g = boxOf(view, key);
    if (g) g.classList.add("selected");
  }
  function boxOf(view, key) { return view.svg.querySelector('.inst[data-key="' + CSS.escape(key) + '"]'); }

  // ---- drag and drop ------------------------------------------------

  function pointerDown(view, e) {
    var g = e.target.closest(".inst");
    if (!g || e.button !== 0) return;
    var key = g.getAttribute("data-key"), replicas = !!e.target.closest(".handle");
    var start = { key: key, replicas: replicas, x: e.clientX, y: e.clientY };
    e.preventDefault();
    function move(ev) {
      if (!view.drag) {
        if (!orc.session.CanMutate || Math.abs(ev.clientX - start.x) + Math.abs(ev.clientY - start.y) < 5) return;
        beginDrag(view, start);
      }
      dragOver(view, ev);
    }
    function up(ev) {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      if (!view.drag) { view.selected = key; markSelected(view, key); orc.instancePanel(view, key); return; }
      drop(view, ev);
    }
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  function beginDrag(view, start) {
    var d = view.drag = { key: start.key, replicas: start.replicas, plans: null, target: null };
    document.body.classList.add("dragging");
    boxOf(view, d.key).classList.add("drag-source");
    d.ghost = h("div", { class: "ghost", id: "drag-ghost" }, (d.replicas ? "Move the replicas of " : "Move ") + d.key);
    document.body.appendChild(d.ghost);
    var k = orc.parseKey(d.key);
    d.loading = orc.api("/api/ui/move-plans/" + orc.keyPath(k) + (d.replicas ? "?replicas=true" : "")).then(function (plans) {
      if (view.drag !== d) return;
      d.plans = {};
      plans.forEach(function (p) {
        var tk = orc.keyStr(p.Target);
        d.plans[tk] = p;
        var g = boxOf(view, tk);
        if (!g) return;
        g.classList.add(p.Allowed ? "drop-ok" : "drop-no");
        g.querySelector("text.dropinfo").textContent = p.Allowed ? "✓ " + opLabel(p) : "✕ not allowed";
      });
      updateGhost(d);
    }, function (err) { d.error = err.message; updateGhost(d); });
  }

  function opLabel(p) { return p.Operation + " (" + p.Method + ")"; }

  function dragOver(view, ev) {
    var d = view.drag;
    d.ghost.style.left = (ev.clientX + 14) + "px";
    d.ghost.style.top = (ev.clientY + 14) + "px";
    var el = document.elementFromPoint(ev.clientX, ev.clientY);
    var g = el && el.closest ? el.closest(".inst") : null;
    var key = g && view.svg.contains(g) ? g.getAttribute("data-key") : null;
    if (key === d.key) key = null;
    if (key !== d.target) {
      if (d.target) { var old = boxOf(view, d.target); if (old) old.classList.remove("drop-hover"); }
      d.target = key;
      if (g && key) g.classList.add("drop-hover");
      updateGhost(d);
    }
  }

  function updateGhost(d) {
    var head = (d.replicas ? "Move the replicas of " : "Move ") + d.key;
    d.ghost.textContent = head;
    if (d.error) { orc.append(d.ghost, h("span", { class: "reason" }, d.error)); return; }
    if (!d.target) return;
    var p = d.plans && d.plans[d.target];
    if (!p) { orc.append(d.ghost, h("span", {}, " below " + d.target + " …")); return; }
    orc.append(d.ghost, p.Allowed ? h("span", { class: "op" }, opLabel(p) + ": " + p.Description) :
      h("span", { class: "reason" }, "not allowed: " + p.Reason));
  }

  function endDrag(view) {
    var d = view.drag;
    view.drag = null;
    document.body.classList.remove("dragging");
    if (d.ghost) d.ghost.remove();
    view.svg.querySelectorAll(".inst").forEach(function (g) {
      g.classList.remove("drag-source", "drop-ok", "drop-no", "drop-hover");
      var t = g.querySelector("text.dropinfo");
      if (t) t.textContent = "";
    });
    return d;
  }

  // drop asks the server again, with fresh probes, then confirms and runs.
  function drop(view, ev) {
    dragOver(view, ev);
    var d = endDrag(view);
    if (!d.target) return;
    var k = orc.parseKey(d.key), t = orc.parseKey(d.target);
    var q = "?live=true" + (d.replicas ? "&replicas=true" : "");
    orc.api("/api/ui/can-move/" + orc.keyPath(k) + "/" + orc.keyPath(t) + q).then(function (p) {
      if (!p.Allowed) {
        return orc.alert("Cannot move " + (d.replicas ? "the replicas of " : "") + d.key + " below " + d.target,
          h("p", { class: "error drop-refused" }, p.Reason), "refused");
      }
      var body = [h("p", { class: "operation" }, h("strong", {}, opLabel(p)), ": " + p.Description + "."),
        h("p", { class: "muted" }, "API: " + p.API)];
      return orc.confirm("Confirm " + p.Operation, body, "Run " + p.Operation, "confirm-move").then(function (ok) {
        if (!ok) return;
        return orc.run(p.Operation, p.API).then(function () { return view.reload(); });
      });
    }, function (err) {
      orc.alert("Cannot move " + d.key, h("p", { class: "error drop-refused" }, err.message), "refused");
    });
  }
})();
