// Rollguard dashboard: htmx for live fragments and buttons, uPlot for the canary-vs-baseline charts.
(function () {
  "use strict";

  function toast(message, ok) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = message;
    t.className = ok ? "show ok" : "show";
    clearTimeout(t._timer);
    t._timer = setTimeout(function () { t.className = ""; }, 6000);
  }

  function errorOf(xhr) {
    try {
      var e = JSON.parse(xhr.responseText).error;
      return e.message + " [" + e.code + "]";
    } catch (ignored) {
      return "request failed: HTTP " + xhr.status;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // forms and buttons send JSON, like the CLI does
      htmx.defineExtension("json-form", {
        onEvent: function (name, evt) {
          if (name === "htmx:configRequest") evt.detail.headers["Content-Type"] = "application/json";
        },
        encodeParameters: function (xhr, parameters) {
          xhr.overrideMimeType("text/json");
          var o = {};
          parameters.forEach(function (v, k) { if (v !== "") o[k] = v; });
          return JSON.stringify(o);
        }
      });
      // a signed-in browser proves each write comes from our page
      document.body.addEventListener("htmx:configRequest", function (e) {
        var m = document.querySelector("meta[name=csrf-token]");
        if (m) e.detail.headers["X-CSRF-Token"] = m.content;
      });
      document.body.addEventListener("htmx:responseError", function (e) { toast(errorOf(e.detail.xhr), false); });
      document.body.addEventListener("htmx:sendError", function () { toast("the server cannot be reached", false); });
      document.body.addEventListener("htmx:afterRequest", function (e) {
        var elt = e.detail.elt;
        var verb = e.detail.requestConfig && e.detail.requestConfig.verb;
        if (!e.detail.successful || !verb || verb.toLowerCase() === "get") return;
        var label = elt.matches("form") ? "saved" : (elt.textContent || "done").trim() + ": done";
        toast(label, true);
        if (elt.hasAttribute("data-reset")) elt.reset();
        if (elt.hasAttribute("data-reload")) setTimeout(function () { location.reload(); }, 300);
        // live fragments show the change at once instead of at their next poll
        document.querySelectorAll("[hx-trigger*='every']").forEach(function (f) { htmx.ajax("GET", f.getAttribute("hx-get"), f); });
      });
    }

    var pm = document.getElementById("pm-form");
    if (pm) {
      pm.addEventListener("submit", function (e) {
        e.preventDefault();
        var m = document.querySelector("meta[name=csrf-token]");
        fetch(pm.getAttribute("data-put"), { method: "PUT", headers: { "Content-Type": "text/markdown", "X-CSRF-Token": m ? m.content : "" },
                                             body: pm.elements.markdown.value })
          .then(function (r) {
            if (!r.ok) return r.json().then(function (j) { throw new Error(j.error.message); });
            toast("postmortem saved", true);
            setTimeout(function () { location.reload(); }, 300);
          })
          .catch(function (err) { toast(err.message, false); });
      });
    }

    document.querySelectorAll(".charts[data-series]").forEach(startCharts);
  });

  function startCharts(box) {
    if (!window.uPlot) return;
    var width = function () { return Math.max(300, Math.min(560, box.clientWidth / 2 - 48)); };
    var make = function (el, unit) {
      return new uPlot({
        width: width(), height: 180, scales: { x: { time: true } }, legend: { live: false },
        series: [{}, { label: "canary", stroke: "#c0392b", width: 2, spanGaps: true },
                     { label: "baseline", stroke: "#2c6fbb", width: 2, spanGaps: true }],
        axes: [{}, { label: unit }]
      }, [[], [], []], el);
    };
    var errors = make(box.querySelector("[data-chart=errors]"), "%");
    var latency = make(box.querySelector("[data-chart=latency]"), "ms");
    var poll = function () {
      fetch(box.getAttribute("data-series")).then(function (r) { return r.json(); }).then(function (s) {
        errors.setData([s.t, s.canaryErrorPercent, s.baselineErrorPercent]);
        latency.setData([s.t, s.canaryP99Millis, s.baselineP99Millis]);
        box.setAttribute("data-points", String(s.t.length));
      }).catch(function () {});
    };
    poll();
    setInterval(poll, 1000);
  }
})();
