// core.js: DOM helpers, the JSON API client, modal dialogs and the
// "run an operation" flow shared by every page. No dependencies.
"use strict";
var orc = window.orc = window.orc || {};

orc.prefix = document.body.getAttribute("data-prefix") || "";
orc.session = { CanMutate: false };

// h builds an element: h("a", {href: "x", class: "y", onclick: f}, "text", child...).
orc.h = function (tag, attrs) {
  var el = document.createElement(tag);
  for (var k in attrs || {}) {
    var v = attrs[k];
    if (v === undefined || v === null || v === false) continue;
    if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (var i = 2; i < arguments.length; i++) orc.append(el, arguments[i]);
  return el;
};
orc.append = function (el, c) {
  if (c === undefined || c === null || c === false) return;
  if (Array.isArray(c)) { c.forEach(function (x) { orc.append(el, x); }); return; }
  el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
};
orc.svg = function (tag, attrs) {
  var el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (var k in attrs || {}) if (attrs[k] !== undefined && attrs[k] !== null) el.setAttribute(k, attrs[k]);
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === undefined || c === null) continue;
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  return el;
};
orc.main = function () { return document.getElementById("main"); };
orc.render = function () {
  var m = orc.main();
  m.textContent = "";
  for (var i = 0; i < arguments.length; i++) orc.append(m, arguments[i]);
};
orc.url = function (path) { return orc.prefix + path; };
orc.link = function (path, text) { return orc.h("a", { href: orc.url(path) }, text); };
// clusterPath is the cluster page of a cluster, by alias when the alias
// can be a path segment (the router stops a segment at '#' and '?').
orc.clusterPath = function (c) {
  if (c.ClusterAlias && !/[#?]/.test(c.ClusterAlias)) return "/web/cluster/alias/" + encodeURIComponent(c.ClusterAlias);
  return "/web/cluster/" + encodeURIComponent(c.ClusterName);
};

// decodeSegment decodes one path segment; a malformed escape is kept as is.
orc.decodeSegment = function (s) {
  try { return decodeURIComponent(s); } catch (e) { return s; }
};

// Keys: "host:port", IPv6 in brackets, as the server writes them.
orc.keyStr = function (k) {
  if (!k || !k.Hostname) return "";
  return (k.Hostname.indexOf(":") >= 0 ? "[" + k.Hostname + "]" : k.Hostname) + ":" + k.Port;
};
orc.keyPath = function (k) { return encodeURIComponent(k.Hostname) + "/" + encodeURIComponent(k.Port); };
orc.sameKey = function (a, b) { return a && b && a.Hostname === b.Hostname && a.Port === b.Port; };
orc.parseKey = function (s) {
  var i = s.lastIndexOf(":"), host = s.slice(0, i);
  if (host.charAt(0) === "[" && host.charAt(host.length - 1) === "]") host = host.slice(1, -1);
  return { Hostname: host, Port: parseInt(s.slice(i + 1), 10) };
};

// api GETs a path under the prefix. It resolves with the data (bare JSON,
// or an envelope's Details with .message) and rejects with an Error
// carrying .status and the server's Message.
orc.api = function (path) {
  return fetch(orc.url(path), { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (resp) {
    return resp.text().then(function (text) {
      var body = null;
      try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
      var envelope = body && typeof body === "object" && !Array.isArray(body) && "Code" in body && "Message" in body;
      if (!resp.ok || (envelope && body.Code === "ERROR")) {
        var msg = envelope ? body.Message : (resp.status === 404 ? "not found" : text.trim() || resp.statusText);
        var err = new Error(msg);
        err.status = resp.status;
        err.notFound = resp.status === 404 && !envelope;
        throw err;
      }
      if (envelope) return { details: body.Details, message: body.Message };
      return body;
    });
  });
};
// details unwraps an envelope result.
orc.details = function (r) { return r && typeof r === "object" && "details" in r && "message" in r ? r.details : r; };

// optional calls an API that may not exist on this server yet: a 404 that
// is not an envelope resolves with fallback.
orc.optional = function (path, fallback) {
  return orc.api(path).then(orc.details, function (err) {
    if (err.notFound) return fallback;
    throw err;
  });
};

orc.missing = function (what) {
  return orc.h("p", { class: "muted missing" }, "This server does not provide " + what + " yet.");
};
orc.errorBox = function (err) {
  return orc.h("p", { class: "error" }, String(err && err.message ? err.message : err));
};

orc.toast = function (msg, bad) {
  var t = document.getElementById("toast");
  t.textContent = msg;
  t.className = bad ? "toast bad" : "toast";
  t.hidden = false;
  clearTimeout(orc._toastTimer);
  orc._toastTimer = setTimeout(function () { t.hidden = true; }, 4000);
};

// Modal dialogs. dialog() shows a title, body nodes and buttons; each
// button is {label, value, class}; it resolves with the clicked value
// (null for Escape / backdrop).
orc.dialog = function (title, body, buttons, id) {
  var back = document.getElementById("modal-backdrop"), box = document.getElementById("modal");
  box.textContent = "";
  box.setAttribute("data-dialog", id || "");
  return new Promise(function (resolve) {
    function done(v) { back.hidden = true; document.removeEventListener("keydown", onKey); resolve(v); }
    function onKey(e) { if (e.key === "Escape") done(null); }
    var row = orc.h("div", { class: "buttons" });
    (buttons || []).forEach(function (b) {
      row.appendChild(orc.h("button", { class: b.class, "data-value": String(b.value), onclick: function () { done(b.value); } }, b.label));
    });
    orc.append(box, [orc.h("h3", {}, title), orc.h("div", { class: "body" }, body), row]);
    back.hidden = false;
    document.addEventListener("keydown", onKey);
    var primary = box.querySelector("button.primary");
    if (primary) primary.focus();
  });
};
orc.confirm = function (title, body, okLabel, id) {
  return orc.dialog(title, body, [{ label: "Cancel", value: false }, { label: okLabel || "OK", value: true, class: "primary" }], id || "confirm")
    .then(function (v) { return v === true; });
};
orc.alert = function (title, body, id) {
  return orc.dialog(title, body, [{ label: "Close", value: true, class: "primary" }], id || "alert");
};
// form asks for values: fields = [{name, label, value, type, options}].
orc.form = function (title, fields, okLabel) {
  var inputs = {};
  var body = orc.h("form", { class: "stack", onsubmit: function (e) { e.preventDefault(); } }, fields.map(function (f) {
    var input;
    if (f.options) {
      input = orc.h("select", { name: f.name }, f.options.map(function (o) { return orc.h("option", { value: o }, o); }));
    } else {
      input = orc.h("input", { name: f.name, type: f.type || "text", value: f.value || "" });
    }
    inputs[f.name] = input;
    return [orc.h("label", {}, f.label), input];
  }));
  return orc.confirm(title, body, okLabel, "form").then(function (ok) {
    if (!ok) return null;
    var out = {};
    for (var k in inputs) out[k] = inputs[k].value.trim();
    return out;
  });
};

// run calls a mutating API path with a progress dialog, then shows the
// outcome. It resolves true on success.
orc.run = function (label, path) {
  var back = document.getElementById("modal-backdrop"), box = document.getElementById("modal");
  box.textContent = "";
  box.setAttribute("data-dialog", "progress");
  orc.append(box, [orc.h("h3", {}, label), orc.h("p", { class: "progress" }, orc.h("span", { class: "spinner" }), "Running " + label + "…")]);
  back.hidden = false;
  return orc.api(path).then(function (r) {
    var msg = (r && r.message) || "Done";
    back.hidden = true;
    orc.toast(label + ": " + msg);
    return true;
  }, function (err) {
    return orc.alert(label + " failed", orc.h("p", { class: "error result-error" }, err.message), "error").then(function () { return false; });
  });
};

// refreshMs is how often a page reloads its data: ?refresh=<seconds> in
// the page's address (at least 1), else the page's default.
orc.refreshMs = function (defaultSeconds) {
  var s = parseFloat(new URLSearchParams(location.search).get("refresh"));
  return (s >= 1 ? s : defaultSeconds) * 1000;
};

orc.fmtLag = function (i) {
  var l = i.ReplicationLagSeconds;
  if (!l || !l.Valid) return "lag unknown";
  return "lag " + l.Int64 + "s";
};
orc.table = function (columns, rows, empty) {
  if (!rows || !rows.length) return orc.h("p", { class: "muted" }, empty || "Nothing to show.");
  return orc.h("table", { class: "grid" },
    orc.h("thead", {}, orc.h("tr", {}, columns.map(function (c) { return orc.h("th", {}, c[0]); }))),
    orc.h("tbody", {}, rows.map(function (r) {
      return orc.h("tr", {}, columns.map(function (c) { return orc.h("td", {}, c[1](r)); }));
    })));
};
orc.pager = function (base, page, count, size) {
  return orc.h("div", { class: "pager" },
    page > 0 ? orc.link(base + "/" + (page - 1), "← newer") : null,
    orc.h("span", { class: "muted" }, "page " + (page + 1)),
    count >= size ? orc.link(base + "/" + (page + 1), "older →") : null);
};
