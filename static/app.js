// KVPortal's progressive enhancement. Everything works without it: the
// server renders every page and validates every form.
(function () {
  "use strict";

  // Show a field only while another field has a given value
  // (data-show-when="ChargeType=PrePaid").
  function bindShowWhen(form) {
    var dependents = form.querySelectorAll("[data-show-when]");
    function update() {
      dependents.forEach(function (el) {
        var rule = el.getAttribute("data-show-when");
        if (!rule) return;
        var parts = rule.split("=");
        var ctl = form.elements[parts[0]];
        if (!ctl) return;
        var show = ctl.value === parts[1];
        // Keep a field with an error visible so it can be corrected.
        if (el.classList.contains("field-invalid")) show = true;
        el.hidden = !show;
      });
    }
    form.addEventListener("change", update);
    update();
  }

  // Narrow the zone, engine version and class lists to what the catalog
  // offers for the chosen region, zone, type and version.
  function bindCatalog(form) {
    var data = document.getElementById("catalog-data");
    if (!data) return;
    var cat;
    try { cat = JSON.parse(data.getAttribute("data-catalog")); } catch (e) { return; }
    var el = function (n) { return form.elements[n]; };

    function fill(select, options, keepLabel) {
      if (!select || select.tagName !== "SELECT") return;
      var current = select.value;
      var first = keepLabel ? select.options[0] : null;
      while (select.options.length) select.remove(0);
      if (first) select.add(first);
      var found = false;
      options.forEach(function (o) {
        var opt = new Option(o.label, o.value);
        if (o.value === current) { opt.selected = true; found = true; }
        select.add(opt);
      });
      if (!found && first) first.selected = true;
    }

    function update(changed) {
      var region = el("RegionId") ? el("RegionId").value : "";
      var type = el("InstanceType") ? el("InstanceType").value : "";
      if (changed === "RegionId" || changed === null) {
        var zones = [];
        (cat.regions || []).forEach(function (r) {
          if (r.id === region) (r.zones || []).forEach(function (z) {
            zones.push({ value: z.id, label: z.name ? z.id + " (" + z.name + ")" : z.id });
          });
        });
        if (region) fill(el("ZoneId"), zones, true);
      }
      if (changed === "InstanceType" || changed === null) {
        var versions = [];
        (cat.offers || []).forEach(function (o) {
          if (o.t.toLowerCase() === type.toLowerCase() && versions.indexOf(o.v) < 0) versions.push(o.v);
        });
        versions.sort(function (a, b) { return parseFloat(a) - parseFloat(b); });
        if (versions.length) fill(el("EngineVersion"), versions.map(function (v) { return { value: v, label: v }; }), false);
      }
      var zone = el("ZoneId") ? el("ZoneId").value : "";
      var version = el("EngineVersion") ? el("EngineVersion").value : "";
      var seen = {}, classes = [];
      (cat.offers || []).forEach(function (o) {
        if (region && o.r !== region) return;
        if (zone && o.z !== zone) return;
        if (type && o.t.toLowerCase() !== type.toLowerCase()) return;
        if (version && o.v !== version) return;
        if (seen[o.c]) return;
        seen[o.c] = true;
        classes.push({ value: o.c, label: o.mb ? o.c + " (" + o.label + ")" : o.c, mb: o.mb || 0 });
      });
      classes.sort(function (a, b) { return a.mb - b.mb || (a.value < b.value ? -1 : 1); });
      if (region) fill(el("InstanceClass"), classes, true);
    }

    form.addEventListener("change", function (ev) {
      var n = ev.target && ev.target.name;
      if (n === "RegionId" || n === "ZoneId" || n === "InstanceType" || n === "EngineVersion") update(n);
    });
  }

  // Keep the summary beside the form current: each line (data-summary)
  // says the shown values of the fields it names, as the server does.
  function bindSummary(form) {
    var lines = document.querySelectorAll("[data-summary]");
    if (!lines.length) return;
    function shown(name) {
      var ctl = form.elements[name];
      if (!ctl || !ctl.value) return "";
      var wrap = ctl.closest("[data-field]");
      if (wrap && wrap.hidden) return "";
      if (ctl.tagName === "SELECT") {
        var o = ctl.options[ctl.selectedIndex];
        return o ? o.text : "";
      }
      return ctl.value.trim();
    }
    function update() {
      lines.forEach(function (dd) {
        var parts = dd.getAttribute("data-summary").split(" ").map(shown).filter(Boolean);
        dd.textContent = parts.length ? parts.join(" · ") : "—";
      });
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
  }

  // "Estimate price" without leaving the page: the form (never the
  // password) goes to the same address the button posts to, asking for
  // JSON, and the price shows beside the button, focused. Without a script
  // the button submits the form, which comes back with the price.
  function bindEstimate(form) {
    var button = form.querySelector("[data-estimate]");
    var out = document.getElementById("price");
    if (!button || !out || !window.fetch || !window.URLSearchParams) return;
    function show(est) {
      out.textContent = "";
      out.classList.toggle("price-problem", !est.price);
      if (est.price) {
        var strong = document.createElement("strong");
        strong.textContent = est.price;
        out.appendChild(document.createTextNode("Estimated price: "));
        out.appendChild(strong);
      } else {
        out.appendChild(document.createTextNode(est.problem || "No price estimate. You can still submit the request."));
      }
      if (est.errors && est.errors.length) {
        var list = document.createElement("ul");
        est.errors.forEach(function (e) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "#f-" + e.field;
          a.textContent = e.message;
          li.appendChild(a);
          list.appendChild(li);
        });
        out.appendChild(list);
      }
      out.focus();
    }
    button.addEventListener("click", function (ev) {
      ev.preventDefault();
      var data = new URLSearchParams();
      new FormData(form).forEach(function (v, k) {
        if (k !== "Password" && typeof v === "string") data.append(k, v);
      });
      data.set("estimate", "1");
      out.classList.remove("price-problem");
      out.textContent = "Asking the cloud for a price…";
      fetch(form.getAttribute("action"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (r) { return r.json(); })
        .then(show)
        .catch(function () {
          show({ problem: "No price estimate: the portal could not be reached. You can still submit the request." });
        });
    });
  }

  // While a request is moving, look at its status every few seconds and
  // reload the page when it changes.
  function bindPoll(el) {
    var url = el.getAttribute("data-poll");
    var status = el.getAttribute("data-current-status");
    var instance = el.getAttribute("data-instance-status") || "";
    var address = el.getAttribute("data-address") || "";
    var delay = 2500;
    function tick() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s && (s.status !== status || (s.instance_status || "") !== instance || (s.address || "") !== address)) {
            window.location.reload();
            return;
          }
          setTimeout(tick, delay);
        })
        .catch(function () { delay = Math.min(delay * 2, 30000); setTimeout(tick, delay); });
    }
    setTimeout(tick, delay);
  }

  // Copy buttons beside read-only address inputs: shown only here, as
  // without a script the input is selected and copied by hand.
  function bindCopy(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var done = button.parentNode.querySelector(".copy-done");
    button.hidden = false;
    button.addEventListener("click", function () {
      input.focus();
      input.select();
      // Tell what happened; when no copy worked, the address stays
      // selected for the keyboard's copy.
      function said(ok) {
        var text = ok ? "Copied" : "Selected: press Ctrl+C to copy";
        if (done) done.textContent = text;
        button.textContent = ok ? "Copied" : "Copy";
        setTimeout(function () { button.textContent = "Copy"; if (done) done.textContent = ""; }, 2000);
      }
      function fallback() {
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        said(ok);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(function () { said(true); }, fallback);
      } else {
        fallback();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(bindCopy);
    var form = document.querySelector("[data-request-form]");
    if (form) { bindShowWhen(form); bindCatalog(form); bindSummary(form); bindEstimate(form); }
    var poll = document.querySelector("[data-poll]");
    if (poll) bindPoll(poll);
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
