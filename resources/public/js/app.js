// app.js: loads the session (what this user may do), then draws the page
// named by the path after <prefix>/web/.
"use strict";
(function () {
  var orc = window.orc, h = orc.h;

  var routes = {
    "clusters": orc.pages.clusters,
    "clusters-analysis": orc.pages.problems,
    "problems": orc.pages.problems,
    "cluster": orc.pages.cluster,
    "search": orc.pages.search,
    "audit": orc.pages.audit,
    "audit-recovery": orc.pages.recoveries,
    "audit-recovery-steps": orc.pages.recoverySteps,
    "audit-failure-detection": orc.pages.detections,
    "discover": orc.pages.discover,
    "status": orc.pages.status,
  };

  function route() {
    var path = location.pathname.slice(orc.prefix.length).replace(/^\/web\/?/, "");
    // Each page gets its path segments decoded once and encodes what it
    // puts into an API path itself (location.pathname keeps the escapes).
    var parts = path.split("/").filter(Boolean).map(orc.decodeSegment);
    var name = parts.shift() || "clusters";
    document.querySelectorAll("[data-nav]").forEach(function (a) {
      a.classList.toggle("active", a.getAttribute("data-nav") === name);
    });
    var page = routes[name];
    if (!page) { orc.render(h("h1", {}, "Not found"), h("p", {}, "No page " + path + ". "), orc.link("/web/clusters", "Clusters")); return; }
    page(parts);
  }

  function showSession(s) {
    var el = document.getElementById("session");
    el.textContent = "";
    orc.append(el, [s.User ? s.User + " · " : "", s.CanMutate ? "read-write" : h("span", { class: "ro" }, "read-only"),
      " · ", s.Hostname || "", s.IsLeader ? " (leader)" : ""]);
    if (s.WebMessage) {
      var b = document.getElementById("banner");
      b.textContent = s.WebMessage;
      b.hidden = false;
    }
  }

  orc.api("/api/ui/session").then(function (s) {
    orc.session = s;
    document.body.classList.toggle("can-mutate", !!s.CanMutate);
    // what a read-only user cannot do is not offered
    document.querySelector('[data-nav="discover"]').hidden = !s.CanMutate;
    showSession(s);
    route();
  }, function (err) {
    orc.render(h("h1", {}, "orchestrator"), orc.errorBox(err));
  });
})();
