// pages.js: the list pages: clusters, search, problems, audit, recoveries,
// failure detections, discover and status. Pages whose API this server
// does not provide (yet) say so instead of failing.
"use strict";
(function () {
  var orc = window.orc, h = orc.h;
  var pages = orc.pages = {};

  function clusterLink(c) { return orc.link("/web/cluster/" + encodeURIComponent(c), c); }
  function instanceLink(k, cluster) {
    return orc.link("/web/cluster/instance/" + orc.keyPath(k), orc.keyStr(k));
  }

  // ---- clusters ------------------------------------------------------
  pages.clusters = function () {
    var state = { filter: new URLSearchParams(location.search).get("q") || "" };
    var input = h("input", { type: "search", id: "cluster-filter", placeholder: "filter clusters, or Enter to search instances", value: state.filter });
    var body = h("div", { id: "clusters" }, h("p", { class: "muted" }, "Loading…"));
    input.addEventListener("input", function () { state.filter = input.value; draw(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && input.value.trim()) location.href = orc.url("/web/search?s=" + encodeURIComponent(input.value.trim()));
    });
    orc.render(h("h1", {}, "Clusters"), h("div", { class: "toolbar" }, input, h("span", { class: "muted", id: "refreshed" })), body);
    function draw() {
      if (!state.clusters) return;
      var f = state.filter.toLowerCase();
      var rows = state.clusters.filter(function (c) {
        return !f || [c.ClusterName, c.ClusterAlias, orc.keyStr(c.Master), c.DataCenters.join(" ")].join(" ").toLowerCase().indexOf(f) >= 0;
      });
      body.textContent = "";
      body.appendChild(orc.table([
        ["Alias", function (c) { return orc.link(orc.clusterPath(c), c.ClusterAlias); }],
        ["Cluster", function (c) { return clusterLink(c.ClusterName); }],
        ["Master", function (c) { return c.Master ? orc.keyStr(c.Master) : h("span", { class: "badge bad" }, "no master"); }],
        ["Instances", function (c) { return String(c.CountInstances); }],
        ["Data centers", function (c) { return c.DataCenters.join(", ") || "—"; }],
        ["Problems", function (c) {
          var out = c.Problems.map(function (p) { return h("span", { class: "badge bad" }, p); });
          (state.analysis[c.ClusterName] || []).forEach(function (a) { out.push(h("span", { class: "badge bad" }, a)); });
          if (c.CountDowntimed) out.push(h("span", { class: "badge" }, c.CountDowntimed + " downtimed"));
          if (c.CountMaintenance) out.push(h("span", { class: "badge warn" }, c.CountMaintenance + " in maintenance"));
          if (c.HeuristicLag >= 10) out.push(h("span", { class: "badge warn" }, "lag " + c.HeuristicLag + "s"));
          return out.length ? out : h("span", { class: "badge ok" }, "ok");
        }],
        ["Recovery", function (c) {
          var out = [h("span", { class: c.HasAutomatedMasterRecovery ? "badge ok" : "badge" }, "master: " + (c.HasAutomatedMasterRecovery ? "auto" : "manual")),
            h("span", { class: c.HasAutomatedIntermediateMasterRecovery ? "badge ok" : "badge" }, "intermediate: " + (c.HasAutomatedIntermediateMasterRecovery ? "auto" : "manual"))];
          if (state.blocked[c.ClusterName]) out.push(h("span", { class: "badge bad" }, "recovery blocked"));
          if (state.recent[c.ClusterName]) out.push(orc.link("/web/audit-recovery/cluster/" + encodeURIComponent(c.ClusterName), "recent recovery"));
          if (state.globalDisabled) out.push(h("span", { class: "badge warn" }, "globally disabled"));
          return out;
        }],
      ], rows, state.clusters.length ? "No cluster matches." : "No clusters known yet: discover one."));
    }
    function load() {
      return Promise.all([
        orc.api("/api/ui/clusters"),
        orc.optional("/api/replication-analysis", []).catch(function () { return []; }),
        orc.optional("/api/blocked-recoveries", []).catch(function () { return []; }),
        orc.optional("/api/audit-recovery?unacknowledged=true", []).catch(function () { return []; }),
        orc.optional("/api/check-global-recoveries", null).catch(function () { return null; }),
      ]).then(function (r) {
        state.clusters = r[0];
        state.analysis = {};
        (r[1] || []).forEach(function (e) {
          var c = e.ClusterDetails && e.ClusterDetails.ClusterName;
          if (!c || !e.Analysis || e.Analysis === "NoProblem") return;
          (state.analysis[c] = state.analysis[c] || []).push(e.Analysis);
        });
        state.blocked = {};
        (r[2] || []).forEach(function (b) { state.blocked[b.ClusterName] = true; });
        state.recent = {};
        (r[3] || []).forEach(function (x) { state.recent[x.ClusterName || (x.AnalysisEntry && x.AnalysisEntry.ClusterDetails || {}).ClusterName] = true; });
        state.globalDisabled = r[4] === "disabled";
        document.getElementById("refreshed").textContent = "refreshed " + new Date().toLocaleTimeString();
        draw();
      }, function (err) { body.textContent = ""; body.appendChild(orc.errorBox(err)); });
    }
    load();
    setInterval(load, orc.refreshMs(10));
  };

  // ---- search --------------------------------------------------------
  pages.search = function (rest) {
    var q = rest[0] || new URLSearchParams(location.search).get("s") || "";
    orc.render(h("h1", {}, "Search: " + q), h("div", { id: "results" }, "Searching…"));
    if (!q) return;
    Promise.all([orc.api("/api/search?s=" + encodeURIComponent(q)), orc.api("/api/ui/clusters")]).then(function (r) {
      var box = document.getElementById("results");
      box.textContent = "";
      var lq = q.toLowerCase();
      var clusters = r[1].filter(function (c) {
        return [c.ClusterName, c.ClusterAlias, orc.keyStr(c.Master)].join(" ").toLowerCase().indexOf(lq) >= 0;
      });
      orc.append(box, [h("h2", {}, "Clusters"), orc.table([
        ["Alias", function (c) { return orc.link(orc.clusterPath(c), c.ClusterAlias); }],
        ["Cluster", function (c) { return clusterLink(c.ClusterName); }]], clusters, "No cluster matches."),
      h("h2", {}, "Instances"), instanceTable(r[0])]);
    }, function (err) { document.getElementById("results").replaceChildren(orc.errorBox(err)); });
  };

  function instanceTable(list) {
    return orc.table([
      ["Instance", function (i) { return instanceLink(i.Key); }],
      ["Cluster", function (i) { return clusterLink(i.ClusterName); }],
      ["Version", function (i) { return i.Version; }],
      ["Replication", function (i) { return orc.tree.statusText(i); }],
      ["Problems", function (i) { return (i.Problems || []).map(function (p) { return h("span", { class: "badge bad" }, p); }); }],
    ], list, "No instance matches.");
  }

  // ---- problems / analysis --------------------------------------------
  pages.problems = function () {
    var box = h("div", {}, "Loading…");
    orc.render(h("h1", {}, "Problems"), box);
    Promise.all([orc.optional("/api/replication-analysis", null), orc.api("/api/problems")]).then(function (r) {
      box.textContent = "";
      orc.append(box, h("h2", {}, "Replication analysis"));
      if (r[0] === null) orc.append(box, orc.missing("replication analysis (/api/replication-analysis)"));
      else orc.append(box, orc.table([
        ["Instance", function (e) { return instanceLink(e.AnalyzedInstanceKey); }],
        ["Cluster", function (e) { return clusterLink((e.ClusterDetails || {}).ClusterName || ""); }],
        ["Analysis", function (e) { return h("span", { class: e.Analysis === "NoProblem" ? "badge" : "badge bad" }, e.Analysis); }],
        ["Description", function (e) { return e.Description || ""; }],
        ["Structure", function (e) { return (e.StructureAnalysis || []).map(function (s) { return h("span", { class: "badge warn" }, s); }); }],
        ["Replicas", function (e) { return e.CountValidReplicatingReplicas + "/" + e.CountReplicas + " replicating"; }],
        ["Downtimed", function (e) { return e.IsDowntimed ? "yes" : ""; }],
      ], (r[0] || []).filter(function (e) { return e.Analysis !== "NoProblem" || (e.StructureAnalysis || []).length; }), "No problems found by analysis."));
      orc.append(box, [h("h2", {}, "Instances with problems"), instanceTable(r[1])]);
    }, function (err) { box.replaceChildren(orc.errorBox(err)); });
  };

  // ---- audit -----------------------------------------------------------
  pages.audit = function (rest) {
    var base = "/web/audit", api = "/api/audit", page = 0;
    var key = rest[0] === "instance" ? { Hostname: rest[1] || "", Port: rest[2] || "" } : null;
    if (key) {
      base += "/instance/" + orc.keyPath(key);
      api += "/instance/" + orc.keyPath(key);
      page = parseInt(rest[3] || "0", 10) || 0;
    } else page = parseInt(rest[0] || "0", 10) || 0;
    var box = h("div", {}, "Loading…");
    orc.render(h("h1", {}, "Audit" + (key ? " of " + orc.keyStr(key) : "")), box);
    orc.optional(api + "/" + page, null).then(function (rows) {
      box.textContent = "";
      if (rows === null) { box.appendChild(orc.missing("the audit log (/api/audit)")); return; }
      orc.append(box, [orc.table([
        ["Time", function (a) { return a.AuditTimestamp; }],
        ["Type", function (a) { return a.AuditType; }],
        ["Instance", function (a) { return instanceLink(a.AuditInstanceKey); }],
        ["Cluster", function (a) { return a.ClusterName ? clusterLink(a.ClusterName) : ""; }],
        ["Message", function (a) { return a.Message; }],
      ], rows, "No audit entries."), orc.pager(base, page, rows.length, 20)]);
    }, function (err) { box.replaceChildren(orc.errorBox(err)); });
  };

  // ---- recoveries --------------------------------------------------------
  function recoveryTable(rows, onAck) {
    return orc.table([
      ["Id", function (x) { return orc.link("/web/audit-recovery-steps/" + encodeURIComponent(x.UID), String(x.Id)); }],
      ["Start", function (x) { return x.RecoveryStartTimestamp || x.StartActivePeriod || ""; }],
      ["Failed instance", function (x) { return instanceLink(x.Key || (x.AnalysisEntry || {}).AnalyzedInstanceKey || {}); }],
      ["Cluster", function (x) { var c = x.ClusterName || ((x.AnalysisEntry || {}).ClusterDetails || {}).ClusterName; return c ? clusterLink(c) : ""; }],
      ["Analysis", function (x) { return h("span", { class: "badge bad" }, x.Analysis || (x.AnalysisEntry || {}).Analysis || ""); }],
      ["Successor", function (x) { return x.SuccessorKey && x.SuccessorKey.Hostname ? orc.keyStr(x.SuccessorKey) : "—"; }],
      ["Result", function (x) {
        return [h("span", { class: x.IsSuccessful ? "badge ok" : "badge bad" }, !x.RecoveryEndTimestamp ? "running" : x.Interrupted ? "interrupted" : x.IsSuccessful ? "successful" : "failed"),
          (x.LostReplicas || []).length ? h("div", {}, "lost: " + x.LostReplicas.map(orc.keyStr).join(", ")) : null,
          (x.AllErrors || []).filter(Boolean).map(function (e) { return h("div", { class: "error" }, e); })];
      }],
      ["Data safety", function (x) { return dataSafety(x.DataSafety || x.DataSafetyReport); }],
      ["Acknowledged", function (x) {
        if (x.Acknowledged) return (x.AcknowledgedBy || "") + ": " + (x.AcknowledgedComment || "");
        return orc.session.CanMutate ? h("button", { onclick: function () { onAck(x); } }, "acknowledge") : "no";
      }],
    ], rows, "No recoveries.");
  }
  // dataSafety shows, per replica, how far behind the promoted server it
  // was at promotion and what it had extra; then what the failed master
  // had that the new master lacks, once it could be read again.
  function dataSafety(v) {
    if (!v) return "—";
    if (typeof v === "string") { try { v = JSON.parse(v); } catch (e) { return v; } }
    if (!v.Replicas) return h("pre", {}, JSON.stringify(v, null, 1));
    var lost = v.FailedMasterChecked
      ? "failed master at " + v.FailedMasterPosition + ": " + (v.LostTransactions ? "lacking on the new master: " + v.LostTransactions : "nothing lost")
      : "failed master not readable yet";
    return h("div", { class: "safety" }, [
      h("div", {}, v.Method + "; promoted " + orc.keyStr(v.Promoted) + " at " + v.PromotedPosition),
      orc.table([
        ["Replica", function (r) { return orc.keyStr(r.Key); }],
        ["Position", function (r) { return r.Position; }],
        ["Behind", function (r) { return r.Behind < 0 ? "unknown" : String(r.Behind); }],
        ["Extra", function (r) { return r.Extra || ""; }],
        ["Drained", function (r) { return r.Drained ? "yes" : "no"; }],
        ["Outcome", function (r) { return r.Outcome || ""; }],
      ], v.Replicas, "no replicas"),
      h("div", {}, lost)]);
  }
  function ack(x) {
    orc.form("Acknowledge recovery " + x.Id, [{ name: "comment", label: "Comment" }], "Acknowledge").then(function (v) {
      if (!v) return;
      if (!v.comment) { orc.toast("a comment is required", true); return; }
      orc.run("ack-recovery", "/api/ack-recovery/" + x.Id + "?comment=" + encodeURIComponent(v.comment)).then(function () { location.reload(); });
    });
  }

  pages.recoveries = function (rest) {
    var api = "/api/audit-recovery", base = "/web/audit-recovery", page = 0, title = "Recoveries";
    if (rest[0] === "cluster" || rest[0] === "alias") {
      var which = rest[0] + "/" + encodeURIComponent(rest[1] || "");
      api += "/" + which; base = "/web/audit-recovery/" + which;
      page = parseInt(rest[2] || "0", 10) || 0; title += " of " + rest[1];
    } else if (rest[0] === "id" || rest[0] === "uid") {
      api += "/" + rest[0] + "/" + encodeURIComponent(rest[1] || ""); base = null; title = "Recovery " + rest[1];
    } else page = parseInt(rest[0] || "0", 10) || 0;
    var box = h("div", {}, "Loading…");
    orc.render(h("h1", {}, title), box);
    orc.optional(base ? api + "/" + page : api, null).then(function (rows) {
      box.textContent = "";
      if (rows === null) { box.appendChild(orc.missing("recovery history (/api/audit-recovery)")); return; }
      rows = Array.isArray(rows) ? rows : [rows];
      orc.append(box, [recoveryTable(rows, ack), base ? orc.pager(base, page, rows.length, 20) : null]);
    }, function (err) { box.replaceChildren(orc.errorBox(err)); });
  };

  pages.recoverySteps = function (rest) {
    var uid = rest[0] || "", box = h("div", {}, "Loading…"), u = encodeURIComponent(uid);
    orc.render(h("h1", {}, "Recovery steps ", h("span", { class: "muted" }, uid)), box);
    Promise.all([orc.optional("/api/audit-recovery-steps/" + u, null), orc.optional("/api/audit-recovery/uid/" + u, [])]).then(function (r) {
      box.textContent = "";
      if (r[1] && r[1].length) orc.append(box, recoveryTable(r[1], ack));
      if (r[0] === null) { box.appendChild(orc.missing("recovery steps (/api/audit-recovery-steps)")); return; }
      orc.append(box, [h("h2", {}, "Steps"), orc.table([
        ["Time", function (s) { return s.AuditAt; }], ["Message", function (s) { return s.Message; }]], r[0], "No steps recorded.")]);
    }, function (err) { box.replaceChildren(orc.errorBox(err)); });
  };

  pages.detections = function (rest) {
    var page = parseInt(rest[0] || "0", 10) || 0, box = h("div", {}, "Loading…");
    orc.render(h("h1", {}, "Failure detections"), box);
    orc.optional("/api/audit-failure-detection/" + page, null).then(function (rows) {
      box.textContent = "";
      if (rows === null) { box.appendChild(orc.missing("failure detections (/api/audit-failure-detection)")); return; }
      orc.append(box, [orc.table([
        ["Id", function (x) { return String(x.Id); }],
        ["Detected", function (x) { return x.RecoveryStartTimestamp || x.StartActivePeriod || x.DetectedAt || ""; }],
        ["Instance", function (x) { return instanceLink((x.AnalysisEntry || {}).AnalyzedInstanceKey || x.Key || {}); }],
        ["Analysis", function (x) { return h("span", { class: "badge bad" }, (x.AnalysisEntry || {}).Analysis || x.Analysis || ""); }],
        ["Node", function (x) { return x.ProcessingNodeHostname || ""; }],
      ], rows, "No failures detected."), orc.pager("/web/audit-failure-detection", page, rows.length, 20)]);
    }, function (err) { box.replaceChildren(orc.errorBox(err)); });
  };

  // ---- discover ------------------------------------------------------------
  pages.discover = function () {
    if (!orc.session.CanMutate) {
      orc.render(h("h1", {}, "Discover an instance"), h("p", { class: "muted", id: "discover-read-only" }, "Read-only access: discovery is not available."));
      return;
    }
    var host = h("input", { name: "host", id: "discover-host", placeholder: "hostname" });
    var port = h("input", { name: "port", id: "discover-port", value: "3306" });
    var out = h("div", { id: "discover-result" });
    var button = h("button", { class: "primary", type: "submit" }, "Discover");
    var form = h("form", { class: "stack", id: "discover-form", onsubmit: function (e) {
      e.preventDefault();
      out.textContent = "";
      var path = "/api/discover/" + encodeURIComponent(host.value.trim()) + "/" + encodeURIComponent(port.value.trim());
      orc.run("discover", path).then(function (ok) {
        if (ok) out.appendChild(h("p", {}, "Discovered. ", orc.link("/web/cluster/instance/" + encodeURIComponent(host.value.trim()) + "/" + encodeURIComponent(port.value.trim()), "Open its cluster")));
      });
    } }, h("label", {}, "Host"), host, h("label", {}, "Port"), port, h("p", {}, button));
    orc.render(h("h1", {}, "Discover an instance"), form, out);
  };

  // ---- status --------------------------------------------------------------
  pages.status = function () {
    var box = h("div", {}, "Loading…");
    orc.render(h("h1", {}, "Status"), box);
    Promise.all([orc.api("/api/status").then(orc.details, function (e) { return { Error: e.message }; }),
      orc.optional("/api/check-global-recoveries", null).catch(function () { return null; })]).then(function (r) {
      var s = r[0] || {}, g = r[1];
      box.textContent = "";
      orc.append(box, [
        h("table", { class: "grid fields" }, h("tbody", {}, [
          ["This node", s.Hostname], ["Healthy", String(!!s.Healthy) + (s.Error ? " (" + s.Error + ")" : "")],
          ["Leader", s.IsActiveNode ? "this node" : (s.ActiveNode && s.ActiveNode.Hostname) || "unknown"],
          ["Version", s.AppVersion], ["Started", s.Started], ["Backend", s.DBBackend],
          ["Access", orc.session.CanMutate ? "read-write" : "read-only"],
          ["Global recoveries", g || "unknown"],
        ].map(function (row) { return h("tr", {}, h("td", {}, row[0]), h("td", {}, row[1] || "")); }))),
        g && orc.session.CanMutate ? h("p", {}, h("button", { onclick: function () {
          var op = g === "disabled" ? "enable-global-recoveries" : "disable-global-recoveries";
          orc.run(op, "/api/" + op).then(function () { pages.status(); });
        } }, g === "disabled" ? "Enable global recoveries" : "Disable global recoveries")) : null,
        h("h2", {}, "Nodes"),
        orc.table([
          ["Hostname", function (n) { return n.Hostname; }], ["Token", function (n) { return n.Token; }],
          ["Version", function (n) { return n.AppVersion; }], ["Backend", function (n) { return n.DBBackend; }],
          ["First seen", function (n) { return n.FirstSeenActive; }], ["Last seen", function (n) { return n.LastSeenActive; }],
        ], s.AvailableNodes || [], "No node reported health."),
      ]);
    }, function (err) { box.replaceChildren(orc.errorBox(err)); });
  };
})();
