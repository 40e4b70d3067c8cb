// Handoff's page behaviour. No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  // --- Live hints --------------------------------------------------------------------------------------------
  // The server sends hints only: {"topic": "referrals", "ref": "R-XXXX", "seq": 12}. A hint fires the events
  // "live-<topic>" and "live-ref-<ref>" on <body>; the page's htmx elements re-fetch their partial over HTTP,
  // where the ordinary permission checks apply. After a reconnect everything re-fetches once (missed hints);
  // while the socket is down the elements' slow "every Ns" polling keeps them roughly current.
  var live = {socket: null, retry: 0, lastSeq: 0, connectedOnce: false};

  function fire(name, detail) {
    if (window.htmx) { window.htmx.trigger(document.body, name, detail || {}); }
  }

  function connect(path) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    live.socket = socket;
    socket.addEventListener("open", function () {
      document.body.dataset.liveState = "open";
      if (live.connectedOnce) { fire("live-referrals", {resync: true}); fire("live-inbox", {resync: true}); fireAllRefs(); }
      live.connectedOnce = true;
      live.retry = 0;
    });
    socket.addEventListener("message", function (event) {
      var hint;
      try { hint = JSON.parse(event.data); } catch (e) { return; }
      if (typeof hint.seq === "number" && hint.seq > live.lastSeq) { live.lastSeq = hint.seq; }
      document.body.dataset.liveSeq = String(live.lastSeq);
      if (hint.topic) { fire("live-" + hint.topic, hint); }
      if (hint.ref) { fire("live-ref-" + hint.ref, hint); }
    });
    socket.addEventListener("close", function (event) {
      document.body.dataset.liveState = "closed";
      if (event.code === 4401) { return; } // signed out: do not knock again
      live.retry = Math.min(live.retry + 1, 6);
      window.setTimeout(function () { connect(path); }, 500 * Math.pow(2, live.retry - 1));
    });
  }

  function fireAllRefs() {
    document.querySelectorAll("[hx-trigger*='live-ref-']").forEach(function (el) {
      var match = /live-ref-([A-Z0-9-]+)/.exec(el.getAttribute("hx-trigger"));
      if (match) { fire("live-ref-" + match[1], {resync: true}); }
    });
  }

  // --- "Use my location" -------------------------------------------------------------------------------------
  function setUpGeolocation(form) {
    var button = form.querySelector("[data-geolocate-button]");
    var status = form.querySelector("[data-geolocate-status]");
    if (!button || !("geolocation" in navigator)) { return; }
    button.classList.remove("hidden");
    button.addEventListener("click", function () {
      status.classList.remove("hidden");
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("[name=latitude]").value = position.coords.latitude.toFixed(6);
        form.querySelector("[name=longitude]").value = position.coords.longitude.toFixed(6);
        var text = form.querySelector("[name=location_text]");
        if (!text.value) { text.value = "Officer's location"; }
        status.textContent = "Location added (±" + Math.round(position.coords.accuracy) + " m).";
      }, function () {
        status.textContent = "The phone did not give a location; type the address instead.";
      }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
    });
  }

  // --- One tap, one request (the idempotency key makes a second one harmless anyway) -------------------------
  function setUpSubmitOnce(button) {
    var form = button.form;
    form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; button.textContent = "Sending…"; }, 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var path = document.body.dataset.live;
    if (path && "WebSocket" in window) { connect(path); }
    document.querySelectorAll("form[data-geolocate]").forEach(setUpGeolocation);
    document.querySelectorAll("[data-submit-once]").forEach(setUpSubmitOnce);
  });
})();
