// Handoff's page behaviour. No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  // --- Live hints --------------------------------------------------------------------------------------------
  // The server sends hints only: {"topic": "referrals", "ref": "R-XXXX", "seq": 12}. A hint fires the events
  // "live-<topic>" and "live-ref-<ref>" on <body>; the page's htmx elements re-fetch their partial over HTTP,
  // where the ordinary permission checks apply. After a reconnect everything re-fetches once (missed hints);
  // while the socket is down the elements' slow "every Ns" polling keeps them roughly current.
  var live = {socket: null, retry: 0, lastSeq: 0, connectedOnce: false, seen: {}, openedAt: 0};

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
      live.openedAt = Date.now();
    });
    socket.addEventListener("message", function (event) {
      var hint;
      try { hint = JSON.parse(event.data); } catch (e) { return; }
      // A socket in several of a change's groups (its team's and its own) hears it once per group: act once.
      var key = (hint.topic || "") + "/" + (hint.ref || "");
      if (hint.seq && live.seen[key] === hint.seq) { return; }
      if (hint.seq) { live.seen[key] = hint.seq; }
      if (typeof hint.seq === "number" && hint.seq > live.lastSeq) { live.lastSeq = hint.seq; }
      document.body.dataset.liveSeq = String(live.lastSeq);
      if (hint.topic) { fire("live-" + hint.topic, hint); }
      if (hint.ref) { fire("live-ref-" + hint.ref, hint); }
    });
    socket.addEventListener("close", function (event) {
      document.body.dataset.liveState = "closed";
      if (event.code === 4401) { signedOut(); return; } // signed out: do not knock again
      live.retry = Math.min(live.retry + 1, 6);
      window.setTimeout(function () { connect(path); }, 500 * Math.pow(2, live.retry - 1));
    });
  }

  // The sign-in behind this page ended (logout here or elsewhere, log out everywhere, a new password, idle or time
  // limit): nothing the page shows stays on screen. Then the page asks the server again, which sends it to the
  // sign-in page with the reason (or shows it again if this browser is still signed in, after a new password).
  function signedOut() {
    document.body.dataset.liveState = "signed-out";
    var main = document.getElementById("main");
    if (main) {
      var notice = document.createElement("section");
      notice.className = "card narrow";
      notice.setAttribute("role", "alert");
      notice.dataset.signedOut = "";
      var text = document.createElement("p");
      text.textContent = "Signed out — sign in again.";
      var link = document.createElement("a");
      link.href = document.body.dataset.loginUrl || "/accounts/login/";
      link.textContent = "Sign in";
      notice.appendChild(text);
      notice.appendChild(link);
      main.replaceChildren(notice);
    }
    document.querySelectorAll(".topnav, .bell, form.logout").forEach(function (el) { el.remove(); });
    // A socket refused at once is not followed by a reload: no loop if the server and the socket disagree.
    if (live.openedAt && Date.now() - live.openedAt > 3000) {
      window.setTimeout(function () { window.location.replace(window.location.href); }, 1500);
    }
  }

  // A request the page makes by itself (a slow poll, a re-fetch after a live hint) is not the person's activity:
  // it says so, and does not keep an idle sign-in alive. Clicks, typing and form posts are trusted events.
  document.addEventListener("htmx:configRequest", function (event) {
    var cause = event.detail.triggeringEvent;
    if (!cause || !cause.isTrusted) { event.detail.headers["X-Handoff-Background"] = "1"; }
  });

  function fireAllRefs() {
    document.querySelectorAll("[hx-trigger*='live-ref-']").forEach(function (el) {
      var match = /live-ref-([A-Z0-9-]+)/.exec(el.getAttribute("hx-trigger"));
      if (match) { fire("live-ref-" + match[1], {resync: true}); }
    });
  }

  // --- "Use my location" -------------------------------------------------------------------------------------
  // The coordinates travel in the hidden latitude/longitude fields; the typed location is the officer's own words
  // and stays as typed (or empty). The officer sees what was captured in the status line under the field.
  function showCoordinates(status, latitude, longitude, accuracy) {
    status.classList.remove("hidden");
    status.textContent = "Location added: " + latitude + ", " + longitude +
      (typeof accuracy === "number" ? " (±" + Math.round(accuracy) + " m)." : ".");
  }

  function setUpGeolocation(form) {
    var button = form.querySelector("[data-geolocate-button]");
    var status = form.querySelector("[data-geolocate-status]");
    var latitude = form.querySelector("[name=latitude]");
    var longitude = form.querySelector("[name=longitude]");
    if (!button || !status || !latitude || !longitude) { return; }
    // A form sent back with an error still carries the coordinates: say so.
    if (latitude.value && longitude.value) { showCoordinates(status, latitude.value, longitude.value); }
    if (!("geolocation" in navigator)) { return; }
    button.classList.remove("hidden");
    button.addEventListener("click", function () {
      status.classList.remove("hidden");
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(function (position) {
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        showCoordinates(status, latitude.value, longitude.value, position.coords.accuracy);
      }, function () {
        status.textContent = "The phone did not give a location; type the address instead.";
      }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
    });
  }

  // --- One tap, one request (the idempotency key makes a second one harmless anyway) -------------------------
  function setUpSubmitOnce(button) {
    var form = button.form;
    var label = button.textContent;
    form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; button.textContent = "Sending…"; }, 0);
    });
    // Back to a page kept whole in the back/forward cache: the button must work again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { button.disabled = false; button.textContent = label; }
    });
  }

  // --- The request form: same key after Back, Return does not send, errors are seen ----------------------------
  // The idempotency key belongs to the history entry of the form, not to the HTML: after Send and Back the browser
  // may show the page from the back/forward cache (old key in the DOM), re-fetch it (the server renders a new key)
  // or restore the old form state; whichever, history.state of that entry still holds the key it was opened with,
  // so Send again files nothing new and lands on the same request. Opening "New request" makes a new history entry,
  // whose state is empty: it takes the fresh key the server rendered. That is the only way a key rotates.
  function setUpIdempotencyKey(form) {
    var input = form.querySelector("input[name=idempotency_key]");
    if (!input || !window.history || !window.history.replaceState) { return; }
    function pin() {
      var state = window.history.state;
      if (state && typeof state === "object" && state.idempotencyKey) {
        input.value = state.idempotencyKey;
      } else if (input.value) {
        var next = {};
        if (state && typeof state === "object") { Object.keys(state).forEach(function (k) { next[k] = state[k]; }); }
        next.idempotencyKey = input.value;
        window.history.replaceState(next, "");
      }
    }
    pin();
    window.addEventListener("pageshow", pin);
    form.addEventListener("submit", pin);
  }

  var TEXT_ENTRY = ["text", "search", "tel", "url", "email", "number", "password"];

  function isTextEntry(el) {
    return el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && TEXT_ENTRY.indexOf(el.type) !== -1);
  }

  function isShown(el) {
    return !el.disabled && !el.readOnly && el.getClientRects().length > 0;
  }

  // Return (the phone keyboard's "Go") in a one-line field moves on to the next field instead of sending a
  // half-filled request; only the Send button sends. Textareas keep Return for new lines.
  function setUpEnterMovesOn(form) {
    var inputs = Array.prototype.filter.call(form.elements, function (el) {
      return el.tagName === "INPUT" && isTextEntry(el);
    });
    inputs.forEach(function (el, i) {
      if (!el.hasAttribute("enterkeyhint")) { el.setAttribute("enterkeyhint", i < inputs.length - 1 ? "next" : "done"); }
    });
    form.addEventListener("keydown", function (event) {
      var el = event.target;
      if (event.key !== "Enter" || event.isComposing || el.tagName !== "INPUT") { return; }
      if (["submit", "button", "image", "reset"].indexOf(el.type) !== -1) { return; }
      event.preventDefault();
      if (!isTextEntry(el)) { return; }
      var elements = Array.prototype.slice.call(form.elements);
      var next = elements.slice(elements.indexOf(el) + 1).filter(function (candidate) {
        return isTextEntry(candidate) && isShown(candidate);
      })[0];
      if (next) { next.focus(); } else { el.blur(); } // the last field: "done" closes the phone's keyboard
    });
  }

  function openAround(el) {
    for (var node = el.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }

  function focusError(el) {
    openAround(el);
    if (!el.matches("input, select, textarea, button") && !el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "-1"); }
    el.focus();
  }

  // An error inside a closed section (<details>) would be invisible and Send would seem to do nothing: open the
  // section and put the focus on the first field in error, for the server's answer (422) and the browser's checks.
  function setUpErrorFocus(form) {
    var invalid = form.querySelector("[aria-invalid=true]:not([type=hidden])");
    var box = document.querySelector("[data-form-errors]") || form.querySelector(".errorlist");
    if (invalid) { focusError(invalid); } else if (box) { focusError(box); }

    var first = null;
    form.addEventListener("invalid", function (event) {
      openAround(event.target); // before the browser looks for a field it can focus and point at
      if (first) { return; }
      first = event.target;
      window.setTimeout(function () {
        if (document.activeElement !== first) { first.focus(); }
        first = null;
      }, 0);
    }, true);
  }

  // --- Case page and queue ----------------------------------------------------------------------------------
  // Section 12 fields belong to a Section 12 disposition only: shown when it is chosen, hidden (and cleared)
  // otherwise. Delegated on <body>, so it keeps working after htmx swaps the case in again.
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-disposition-form]");
    if (!form || event.target.name !== "disposition") { return; }
    var block = form.querySelector("[data-section12]");
    if (!block) { return; }
    var section12 = event.target.value === "ed_section_12";
    block.hidden = !section12;
    if (!section12) { block.querySelectorAll("select").forEach(function (select) { select.value = ""; }); }
  });

  // A form sent back with its error (422 invalid, 409 not now) is swapped in like any answer, so the person sees
  // why (htmx leaves 4xx answers out by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status === 422 || status === 409) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });

  // What cannot be undone asks first ("Cancel this request?").
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  // The queue's waiting count in the tab title, so a new arrival shows in a background tab.
  var baseTitle = document.title;
  function titleCount() {
    var queue = document.querySelector("[data-title-count]");
    if (!queue) { return; }
    var count = parseInt(queue.dataset.titleCount, 10) || 0;
    document.title = count > 0 ? "(" + count + ") " + baseTitle : baseTitle;
  }
  document.addEventListener("htmx:afterSettle", titleCount);

  document.addEventListener("DOMContentLoaded", function () {
    titleCount();
    var path = document.body.dataset.live;
    if (path && "WebSocket" in window) { connect(path); }
    document.querySelectorAll("form[data-geolocate]").forEach(setUpGeolocation);
    document.querySelectorAll("[data-submit-once]").forEach(setUpSubmitOnce);
    document.querySelectorAll("form[data-request-form]").forEach(function (form) {
      setUpIdempotencyKey(form);
      setUpEnterMovesOn(form);
      setUpErrorFocus(form);
    });
  });
})();
