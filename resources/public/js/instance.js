// instance.js: the instance panel: every field, and the actions this user
// may run on the instance in its current state.
"use strict";
(function () {
  var orc = window.orc, h = orc.h;

  orc.instancePanel = function (view, key) {
    var old = document.getElementById("instance-panel");
    if (old) old.remove();
    var k = orc.parseKey(key);
    var panel = h("aside", { class: "panel", id: "instance-panel" },
      h("button", { class: "close", onclick: function () { panel.remove(); } }, "✕"),
      h("h2", {}, key), h("p", { class: "muted" }, "Loading…"));
    document.body.appendChild(panel);
    Promise.all([orc.api("/api/instance/" + orc.keyPath(k)), orc.optional("/api/replication-analysis/instance/" + orc.keyPath(k), [])])
      .then(function (r) { fill(view, panel, r[0], r[1] || []); }, function (err) { panel.appendChild(orc.errorBox(err)); });
  };

  function fill(view, panel, i, analysis) {
    panel.textContent = "";
    var actionable = analysis.filter(function (e) { return e.IsActionableRecovery || /^Dead|^Unreachable/.test(e.Analysis || ""); });
    orc.append(panel, [
      h("button", { class: "close", onclick: function () { panel.remove(); } }, "✕"),
      h("h2", {}, orc.keyStr(i.Key)),
      h("p", {}, orc.tree.tags(i, {}).map(function (t) { return h("span", { class: "badge" }, t[0]); }),
        (i.Problems || []).map(function (p) { return h("span", { class: "badge bad" }, p); }),
        actionable.map(function (e) { return h("span", { class: "badge bad" }, e.Analysis); })),
      orc.session.CanMutate ? h("div", { class: "actions" }, actions(view, panel, i, actionable)) :
        h("p", { class: "muted" }, "Read-only access: no actions."),
      h("p", {}, orc.link("/web/audit/instance/" + orc.keyPath(i.Key), "audit log of this instance")),
      fields(i)]);
  }

  function fields(i) {
    var rows = [
      ["Server ID", i.ServerID], ["Server UUID", i.ServerUUID], ["Version", i.Version + " " + (i.VersionComment || "")],
      ["Flavor", i.FlavorName], ["Uptime", i.Uptime + " s"], ["Read only", i.ReadOnly + (i.SuperReadOnly ? " (super)" : "")],
      ["Binlog", i.LogBinEnabled ? i.Binlog_format + " " + coords(i.SelfBinlogCoordinates) : "off"],
      ["log_slave_updates", i.LogReplicationUpdatesEnabled],
      ["Master", orc.keyStr(i.MasterKey) || "—"], ["Replication", orc.tree.statusText(i)],
      ["Read / exec coordinates", coords(i.ReadBinlogCoordinates) + " / " + coords(i.ExecBinlogCoordinates)],
      ["Seconds behind master", i.SecondsBehindMaster && i.SecondsBehindMaster.Valid ? i.SecondsBehindMaster.Int64 : "—"],
      ["Replication lag", orc.fmtLag(i)], ["SQL delay", i.SQLDelay],
      ["Last IO error", i.LastIOError], ["Last SQL error", i.LastSQLError],
      ["GTID", i.UsingMariaDBGTID ? "MariaDB (" + i.MariaDBUsingGtid + ")" : i.UsingOracleGTID ? "Oracle auto-position" : "not used"],
      ["gtid_current_pos / executed", i.MariaDBGtidCurrentPos || i.ExecutedGtidSet], ["gtid_slave_pos", i.MariaDBGtidSlavePos],
      ["Errant GTID", i.GtidErrant || "none"],
      ["Semi-sync", "master " + i.SemiSyncMasterEnabled + " / replica " + i.SemiSyncReplicaEnabled],
      ["Replicas", (i.Replicas || []).map(orc.keyStr).join(", ") || "—"],
      ["Cluster", i.ClusterName + (i.ClusterAlias && i.ClusterAlias !== i.ClusterName ? " (" + i.ClusterAlias + ")" : "")],
      ["Depth", i.ReplicationDepth], ["Co-master", i.IsCoMaster],
      ["Data center / region / env", [i.DataCenter, i.Region, i.PhysicalEnvironment].map(function (x) { return x || "—"; }).join(" / ")],
      ["Promotion rule", i.PromotionRule || "neutral"],
      ["Downtime", i.IsDowntimed ? i.DowntimeOwner + ": " + i.DowntimeReason + " until " + i.DowntimeEndTimestamp : "no"],
      ["Maintenance", i.InMaintenance ? i.MaintenanceOwner + ": " + i.MaintenanceReason : "no"],
      ["Last seen", i.LastSeenTimestamp], ["Last check valid", i.IsLastCheckValid + (i.LastProbeError ? " (" + i.LastProbeError + ")" : "")],
    ];
    return h("table", { class: "grid fields" }, h("tbody", {}, rows.map(function (r) {
      return h("tr", {}, h("td", {}, r[0]), h("td", {}, r[1] === undefined || r[1] === null ? "" : String(r[1])));
    })));
  }
  function coords(c) { return c && c.LogFile ? c.LogFile + ":" + c.LogPos : "—"; }

  // actions lists what makes sense for the instance's state.
  function actions(view, panel, i, actionable) {
    var kp = orc.keyPath(i.Key), key = orc.keyStr(i.Key), replica = orc.tree.isReplica(i);
    var nodes = view && view.tree ? view.tree.nodes : {};
    var master = replica ? nodes[orc.keyStr(i.MasterKey)] : null;
    var list = [];
    function act(op, path, opts) {
      opts = opts || {};
      list.push(h("button", { class: opts.danger ? "danger" : "", "data-action": op, onclick: function () {
        var ask = opts.form ? opts.form() : orc.confirm(op + " " + key + "?", h("p", {}, opts.explain || ("Run " + op + " on " + key + ".")), "Run " + op)
          .then(function (ok) { return ok ? {} : null; });
        ask.then(function (v) {
          if (!v) return;
          orc.run(op, typeof path === "function" ? path(v) : path).then(function () {
            if (view && view.reload) view.reload();
            orc.instancePanel(view, key);
          });
        });
      } }, op));
    }
    act("refresh", "/api/refresh/" + kp, { explain: "Probe " + key + " now." });
    if (replica) {
      if (i.ReplicationSQLThreadState === 1 || i.ReplicationIOThreadState === 1) act("stop-replica", "/api/stop-replica/" + kp, { danger: true });
      if (i.ReplicationSQLThreadState !== 1 || i.ReplicationIOThreadState !== 1) act("start-replica", "/api/start-replica/" + kp);
      act("restart-replica", "/api/restart-replica/" + kp);
      if (master && master.parent) act("move-up", "/api/move-up/" + kp, { explain: "Make " + key + " replicate from its grandparent " + master.parent.key + "." });
      if (master && master.parent) act("take-master", "/api/take-master/" + kp, { explain: "Swap " + key + " with its master " + master.key + "." });
      if (master && !master.parent && !i.IsCoMaster) act("make-co-master", "/api/make-co-master/" + kp, { explain: "Make " + master.key + " replicate from " + key + ": co-masters." });
      act("detach-replica", "/api/detach-replica/" + kp, { danger: true, explain: "Break replication of " + key + " by rewriting its master host (reversible with reattach-replica)." });
    } else if (i.MasterKey && (i.MasterKey.Hostname || "").indexOf("//") === 0) {
      act("reattach-replica", "/api/reattach-replica/" + kp);
    }
    act(i.ReadOnly ? "set-writeable" : "set-read-only", (i.ReadOnly ? "/api/set-writeable/" : "/api/set-read-only/") + kp, { danger: !i.ReadOnly });
    if (i.IsDowntimed) act("end-downtime", "/api/end-downtime/" + kp);
    else act("begin-downtime", function (v) {
      return "/api/begin-downtime/" + kp + "/" + encodeURIComponent(v.owner) + "/" + encodeURIComponent(v.reason) + "/" + encodeURIComponent(v.duration);
    }, { form: function () { return ownerReason("Begin downtime on " + key, true); } });
    if (i.InMaintenance) act("end-maintenance", "/api/end-maintenance/" + kp);
    else act("begin-maintenance", function (v) {
      return "/api/begin-maintenance/" + kp + "/" + encodeURIComponent(v.owner) + "/" + encodeURIComponent(v.reason);
    }, { form: function () { return ownerReason("Begin maintenance on " + key, false); } });
    if (actionable.length) act("recover", "/api/recover/" + kp, { danger: true, explain: "Run recovery for " + actionable[0].Analysis + " on " + key + "." });
    var reps = (i.Replicas || []).map(orc.keyStr);
    if (!replica && reps.length) {
      act("graceful-master-takeover", function (v) {
        return "/api/graceful-master-takeover/" + encodeURIComponent(i.ClusterName) + "/" + orc.keyPath(orc.parseKey(v.successor));
      }, { danger: true, form: function () {
        return orc.form("Graceful master takeover of " + key, [{ name: "successor", label: "Promote this replica", options: reps }], "Promote");
      } });
    }
    act("forget", "/api/forget/" + kp, { danger: true, explain: "Remove " + key + " from orchestrator's store (it is rediscovered if still replicating)." });
    return list;
  }

  function ownerReason(title, duration) {
    var f = [{ name: "owner", label: "Owner", value: orc.session.User || "web" }, { name: "reason", label: "Reason", value: "" }];
    if (duration) f.push({ name: "duration", label: "Duration (e.g. 30m, 2h, 1d)", value: "1h" });
    return orc.form(title, f, "Begin").then(function (v) {
      if (v && (!v.owner || !v.reason)) { orc.toast("owner and reason are required", true); return null; }
      return v;
    });
  }
})();
