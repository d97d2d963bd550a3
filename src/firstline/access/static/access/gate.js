/* Firstline — the guard's gate page (access/gate.html).
 *
 * A check-in is: direction + temperature + who (a scanned pass token, or a resident
 * picked from a lookup) → POST /api/v1/access/events → ADMIT / DENY / REFER.
 *
 * Bad connections: every event gets its client UUID and device time at the tap and
 * is written to a queue in the browser (IndexedDB, localStorage if that is missing)
 * BEFORE it is sent. A success removes it; a network failure leaves it there and the
 * page says so (the decision cannot come from the server: the guard checks by hand).
 * Queued events are replayed with their original UUID and device time when the
 * browser comes back online, and on a timer with backoff. The server stores a UUID
 * once and answers a replay with the original result, so retrying is always safe.
 * The UUIDs, the storage and the replay loop are firstline/offline-queue.js
 * (window.FirstlineOffline), shared with the cleaner's page; the template loads it first.
 *
 * Storage is per user, and the local history keeps at most 10 entries for 24 hours:
 * the browser holds as little personal data as the job needs.
 */
(function () {
  "use strict";

  var root = document.getElementById("gate");
  if (!root) return;

  var T = JSON.parse(document.getElementById("gate-strings").textContent);
  var SITE_ID = Number(root.dataset.siteId);
  var OWNER = "u" + root.dataset.userId;
  var API = root.dataset.apiRoot;
  var TEMP_MIN = Number(root.dataset.temperatureMin);
  var TEMP_MAX = Number(root.dataset.temperatureMax);
  var SEND_TIMEOUT_MS = 10000;
  var RETRY_MIN_MS = 5000;
  var RETRY_MAX_MS = 60000;
  var HISTORY_KEEP = 10;
  var HISTORY_MAX_AGE_MS = 24 * 3600 * 1000;
  var MAX_MATCHES = 20;
  var PREFS_KEY = "firstline-gate:prefs:" + OWNER + ":s" + SITE_ID;

  var Offline = window.FirstlineOffline; // firstline/offline-queue.js
  var PassCheck = window.FirstlinePassCheck; // access/pass-check.js
  var PASS_KEYS_EVERY_MS = 10 * 60 * 1000;

  function $(id) { return document.getElementById(id); }

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // --- identifiers and times ----------------------------------------------------

  var newUuid = Offline.newUuid;

  function pad(n, width) { return String(n).padStart(width || 2, "0"); }

  // ISO 8601 in the device's local time with its offset: what the guard's clock said.
  function deviceTime(date) {
    var d = date || new Date();
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3) + sign + pad(Math.floor(off / 60)) +
      ":" + pad(off % 60);
  }

  function clock(ms) {
    var d = new Date(ms);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  // --- storage: two stores keyed by client_uuid (queue, history) ------------------

  var store = Offline.store("firstline-gate", ["queue", "history"]);

  function mine(items) { return Offline.mine(items, OWNER); }

  // --- preferences (no personal data): direction, checkpoint, last temperature ------

  var prefs = (function () {
    var data = {};
    try { data = JSON.parse(window.localStorage.getItem(PREFS_KEY) || "{}"); } catch (e) { data = {}; }
    return {
      get: function (key) { return data[key]; },
      set: function (key, value) {
        data[key] = value;
        try { window.localStorage.setItem(PREFS_KEY, JSON.stringify(data)); } catch (e) { /* storage full: a preference only */ }
      },
    };
  })();

  // --- network status and the queue indicator ---------------------------------------

  var reachable = navigator.onLine !== false;

  function setReachable(value) {
    reachable = value;
    var net = $("gate-net");
    net.dataset.state = value ? "online" : "offline";
    net.querySelector(".bi").className = "bi " + (value ? "bi-wifi" : "bi-wifi-off");
    $("gate-net-label").textContent = value ? T.online : T.offline;
  }

  function refreshQueueCount() {
    return store.all("queue").then(function (items) {
      var n = mine(items).length;
      var button = $("gate-queue");
      button.hidden = n === 0;
      button.dataset.count = String(n);
      $("gate-queue-label").textContent = fmt(T.queue_count, { n: n });
      return n;
    });
  }

  // --- sending ---------------------------------------------------------------------

  function csrfToken() { return Offline.csrfToken(root.dataset.csrf); }

  var inFlight = {};
  var live = {}; // events this page is checking in right now: theirs to settle, not the replay loop's

  /* Send one queued entry. Resolves to {status, data?, detail?}:
   *   done      the server stored it (or had it already): removed from the queue
   *   offline   no answer (network, timeout, 5xx): stays queued
   *   auth      session gone or CSRF refused: stays queued until the guard logs in again
   *   rejected  the server refused this event for good (4xx): dropped, shown as failed */
  function send(entry) {
    var uuid = entry.client_uuid;
    if (inFlight[uuid]) return inFlight[uuid];
    var request = Offline.timed(SEND_TIMEOUT_MS, function (signal) {
      return window.fetch(API + "access/events", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(entry.payload),
        signal: signal,
      }).then(function (response) {
        if (response.ok) {
          return response.json().then(function (data) {
            setReachable(true);
            return store.remove("queue", uuid).then(function () { return { status: "done", data: data }; });
          });
        }
        setReachable(true);
        var status = Offline.outcome(response.status);
        if (status !== "answered") return { status: status }; // auth or offline
        return response.text().then(function (text) {
          var detail = text;
          try { detail = errorText(JSON.parse(text)); } catch (e) { /* not JSON: keep the text */ }
          return store.remove("queue", uuid).then(function () { return { status: "rejected", detail: detail }; });
        });
      }, function () {
        setReachable(false);
        return { status: "offline" };
      }).catch(function () {
        // A body cut off mid-way (or the timeout firing while reading it): no answer, so
        // the entry stays queued and the replay asks again.
        return { status: "offline" };
      });
    }).then(function (outcome) {
      delete inFlight[uuid];
      return outcome;
    });
    inFlight[uuid] = request;
    return request;
  }

  function errorText(body) {
    var detail = body && body.detail;
    if (Array.isArray(detail)) {
      return detail.map(function (d) { return (d.loc ? d.loc.slice(-1)[0] + ": " : "") + d.msg; }).join("; ");
    }
    return String(detail || body);
  }

  // --- the result panel --------------------------------------------------------------

  var ICONS = {
    idle: "bi-person-check", pending: "bi-hourglass-split", admit: "bi-check-circle-fill", deny: "bi-x-octagon-fill",
    refer: "bi-exclamation-triangle-fill", queued: "bi-cloud-slash-fill", error: "bi-exclamation-octagon-fill",
  };
  var shownUuid = null;

  function showResult(state, info) {
    var panel = $("gate-result");
    shownUuid = info.client_uuid || null;
    panel.dataset.decision = state;
    panel.dataset.clientUuid = shownUuid || "";
    panel.dataset.offlinePass = info.offlinePass || "";
    $("gate-result-icon").className = "bi " + ICONS[state] + " fl-gate-result-icon";
    $("gate-result-word").textContent = info.word;
    var who = [info.name, info.household].filter(Boolean).join(" · ");
    $("gate-result-person").textContent = who;
    var list = $("gate-result-reasons");
    list.replaceChildren();
    (info.reasons || []).forEach(function (reason) { list.appendChild(el("li", null, reason)); });
    var meta = [T[info.direction] || "", info.temperature !== null && info.temperature !== undefined
      ? info.temperature.toFixed(1) + " ℃" : T.no_temperature, info.at ? clock(info.at) : ""];
    if (info.note) meta.push(info.note);
    $("gate-result-meta").textContent = state === "pending" ? "" : meta.filter(Boolean).join(" · ");
    if (state !== "pending") {
      var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      panel.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
      if (navigator.vibrate) {
        var pattern = { deny: [300, 120, 300], refer: [200, 100, 200, 100, 200], queued: [500], error: [500] }[state];
        if (pattern) navigator.vibrate(pattern);
      }
    }
  }

  function entryInfo(entry) {
    return {
      client_uuid: entry.client_uuid, name: entry.name, household: entry.household, direction: entry.payload.direction,
      temperature: entry.payload.temperature, at: entry.created,
    };
  }

  function showServerResult(entry, data, note) {
    var info = entryInfo(entry);
    info.word = T[data.decision] || data.decision;
    info.reasons = data.reasons;
    info.name = data.resident_name || info.name;
    info.household = data.household_label || info.household;
    info.note = note;
    showResult(data.decision, info);
  }

  // --- local history -------------------------------------------------------------------

  function historyPut(entry, state, extra) {
    var item = {
      client_uuid: entry.client_uuid, owner: OWNER, site_id: SITE_ID, created: entry.created, state: state,
      direction: entry.payload.direction, temperature: entry.payload.temperature, name: entry.name, household: entry.household,
      reasons: [], replayed: false,
    };
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] !== undefined && extra[k] !== "") item[k] = extra[k]; });
    return store.put("history", item).then(renderHistory);
  }

  function renderHistory() {
    return store.all("history").then(function (items) {
      var now = Date.now();
      var own = mine(items).reverse();
      // Anyone's entries go after a day; this user's beyond a few screens go at once.
      var drop = (items || []).filter(function (h) {
        return now - h.created > HISTORY_MAX_AGE_MS || (h.owner === OWNER && own.indexOf(h) >= HISTORY_KEEP * 3);
      });
      drop.forEach(function (h) { store.remove("history", h.client_uuid); });
      var shown = own.filter(function (h) { return h.site_id === SITE_ID && drop.indexOf(h) < 0; }).slice(0, HISTORY_KEEP);
      var list = $("gate-history");
      list.replaceChildren();
      if (!shown.length) {
        list.appendChild(el("li", "fl-gate-history-empty", T.history_empty));
        return;
      }
      shown.forEach(function (h) {
        var li = el("li", "fl-gate-history-item");
        li.dataset.decision = h.state;
        li.dataset.clientUuid = h.client_uuid;
        var label = h.state === "queued" ? T.queue_item : (T[h.state] || (h.state === "error" ? T.rejected : "…"));
        li.appendChild(el("span", "fl-gate-history-badge", label));
        var body = el("span", "fl-gate-history-body");
        body.appendChild(el("span", "fl-gate-history-who", [h.name || T.unknown_person, h.household].filter(Boolean).join(" · ")));
        var meta = [clock(h.created), T[h.direction],
          h.temperature !== null && h.temperature !== undefined ? h.temperature.toFixed(1) + " ℃" : T.no_temperature];
        if (h.replayed) meta.push(T.replayed);
        if (h.reasons && h.reasons.length && h.state !== "admit") meta.push(h.reasons.join("；"));
        body.appendChild(el("span", "fl-gate-history-meta", meta.join(" · ")));
        li.appendChild(body);
        list.appendChild(li);
      });
    });
  }

  // --- replaying the queue --------------------------------------------------------------

  var replayer = Offline.replayer({
    pending: function () { return store.all("queue").then(mine); },
    busy: function (entry) { return !!live[entry.client_uuid]; }, // checkIn settles its own
    replay: function (entry) {
      return send(entry).then(function (outcome) {
        return settle(entry, outcome, true).then(function () {
          return outcome.status !== "offline" && outcome.status !== "auth";
        });
      });
    },
    refresh: refreshQueueCount,
    minMs: RETRY_MIN_MS,
    maxMs: RETRY_MAX_MS,
  });
  var drain = replayer.drain;
  var scheduleRetry = replayer.scheduleRetry;

  // What an outcome means for the history and, if it is on screen, the panel.
  function settle(entry, outcome, replay) {
    if (outcome.status === "done") {
      var data = outcome.data;
      var onScreen = !replay || shownUuid === entry.client_uuid;
      if (onScreen) showServerResult(entry, data, replay ? T.replayed : "");
      return historyPut(entry, data.decision, {
        reasons: data.reasons, name: data.resident_name, household: data.household_label, replayed: replay,
      });
    }
    if (outcome.status === "rejected") {
      if (!replay || shownUuid === entry.client_uuid) {
        var info = entryInfo(entry);
        info.word = T.rejected;
        info.reasons = [outcome.detail];
        showResult("error", info);
      }
      return historyPut(entry, "error", { reasons: [outcome.detail] });
    }
    if (!replay) return showQueued(entry, outcome.status === "auth" ? T.auth : T.queued);
    return Promise.resolve();
  }

  /* A check-in that waits in the queue: the decision comes with the replay. A scanned
   * pass is checked here meanwhile with the site's keys kept from the last sync
   * (access/pass-check.js), so the guard knows at once whether the pass itself holds. */
  function showQueued(entry, word) {
    var info = entryInfo(entry);
    info.word = word;
    info.reasons = [T.queued_hint];
    if (!entry.payload.token) {
      showResult("queued", info);
      return Promise.resolve();
    }
    return PassCheck.check(entry.payload.token, SITE_ID, OWNER).then(function (verdict) {
      var reason = T["offline_pass_" + verdict.status] || T.offline_pass_unknown;
      info.reasons = [fmt(T.offline_pass, { reason: reason })];
      if (verdict.status === "valid" && verdict.syncedAt) {
        info.reasons.push(fmt(T.offline_pass_synced, { at: clock(verdict.syncedAt) }));
      }
      info.reasons.push(T.queued_hint);
      info.offlinePass = verdict.status;
      if (!shownUuid || shownUuid === entry.client_uuid) showResult("queued", info);
    });
  }

  // --- a check-in ------------------------------------------------------------------------

  function readTemperature() {
    var input = $("gate-temperature");
    var error = $("gate-temperature-error");
    var raw = input.value.trim().replace(",", ".");
    input.removeAttribute("aria-invalid");
    error.textContent = "";
    if (raw === "") return { ok: true, value: null };
    var value = Math.round(Number(raw) * 10) / 10;
    if (!isFinite(value) || value < TEMP_MIN || value > TEMP_MAX) {
      input.setAttribute("aria-invalid", "true");
      error.textContent = fmt(T.temperature_invalid, { min: TEMP_MIN.toFixed(1), max: TEMP_MAX.toFixed(1) });
      input.focus();
      return { ok: false };
    }
    return { ok: true, value: value };
  }

  function direction() {
    var checked = document.querySelector("input[name=gate-direction]:checked");
    return checked ? checked.value : "in";
  }

  function checkIn(who) {
    var temperature = readTemperature();
    if (!temperature.ok) return Promise.resolve();
    var payload = { client_uuid: newUuid(), site_id: SITE_ID, direction: direction(), device_time: deviceTime() };
    if (temperature.value !== null) payload.temperature = temperature.value;
    var checkpoint = $("gate-checkpoint");
    if (checkpoint && checkpoint.value) payload.checkpoint_id = Number(checkpoint.value);
    if (who.token) payload.token = who.token;
    if (who.resident_id) payload.resident_id = who.resident_id;
    var entry = {
      client_uuid: payload.client_uuid, owner: OWNER, created: Date.now(), payload: payload,
      name: who.name || "", household: who.household || "",
    };
    live[entry.client_uuid] = true;
    var info = entryInfo(entry);
    info.word = T.pending;
    showResult("pending", info);
    if (temperature.value !== null) rememberTemperature(temperature.value);
    $("gate-temperature").value = "";

    var stored = false;
    return store.put("queue", entry).then(function () {
      stored = true;
      return historyPut(entry, "queued");
    }).then(function () {
      return send(entry);
    }).then(function (outcome) {
      return settle(entry, outcome, false);
    }).then(function () {
      delete live[entry.client_uuid];
      return refreshQueueCount();
    }).then(function (n) {
      if (n > 0 && reachable) drain(); // the line is up: push anything still queued
      else scheduleRetry(n);
    }).catch(function (error) {
      delete live[entry.client_uuid];
      var failed = entryInfo(entry);
      if (stored) { // in the queue: the replay loop takes it from here
        return showQueued(entry, T.queued).then(refreshQueueCount).then(scheduleRetry);
      }
      // The browser refused to store it (full, or blocked): it was not sent either.
      failed.word = T.storage_failed;
      failed.reasons = [String((error && error.message) || error)];
      showResult("error", failed);
    });
  }

  // --- temperature controls ----------------------------------------------------------------

  function rememberTemperature(value) {
    prefs.set("lastTemperature", value);
    showLastTemperature();
  }

  function showLastTemperature() {
    var last = prefs.get("lastTemperature");
    var button = $("gate-temperature-last");
    button.hidden = typeof last !== "number";
    if (typeof last === "number") {
      button.dataset.temperature = last.toFixed(1);
      button.textContent = T.last_value + " " + last.toFixed(1);
    }
  }

  document.querySelector(".fl-gate-quick").addEventListener("click", function (event) {
    var button = event.target.closest("[data-temperature]");
    if (!button) return;
    $("gate-temperature").value = button.dataset.temperature;
    readTemperature();
  });
  $("gate-temperature-clear").addEventListener("click", function () {
    $("gate-temperature").value = "";
    readTemperature();
    $("gate-temperature").focus();
  });

  document.querySelectorAll("input[name=gate-direction]").forEach(function (radio) {
    if (radio.value === prefs.get("direction")) radio.checked = true;
    radio.addEventListener("change", function () { prefs.set("direction", direction()); });
  });
  var checkpointSelect = $("gate-checkpoint");
  if (checkpointSelect) {
    if (prefs.get("checkpoint")) checkpointSelect.value = prefs.get("checkpoint");
    checkpointSelect.addEventListener("change", function () { prefs.set("checkpoint", checkpointSelect.value); });
  }

  // --- lookup ---------------------------------------------------------------------------------

  var householdLabels = {};
  var lookupSerial = 0;

  function getJson(url) {
    return window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        setReachable(true);
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }, function (error) {
        setReachable(false);
        throw error;
      });
  }

  function householdLabel(h) {
    return h.building + (h.unit ? h.unit + T.unit_suffix : "") + h.room;
  }

  function labelHouseholds(residents) {
    var missing = [];
    residents.forEach(function (r) {
      if (!(r.household_id in householdLabels) && missing.indexOf(r.household_id) < 0) missing.push(r.household_id);
    });
    return Promise.all(missing.map(function (id) {
      return getJson(API + "households/" + id).then(function (h) { householdLabels[id] = householdLabel(h); },
        function () { householdLabels[id] = ""; });
    }));
  }

  function lookup(term) {
    var serial = ++lookupSerial;
    var status = $("gate-lookup-status");
    var list = $("gate-matches");
    status.textContent = T.searching;
    var url = API + "residents?" + new URLSearchParams({ q: term, site_id: String(SITE_ID), page_size: String(MAX_MATCHES) });
    return getJson(url).then(function (page) {
      var residents = (page.items || []).slice(0, MAX_MATCHES);
      return labelHouseholds(residents).then(function () { return { residents: residents, count: page.count }; });
    }).then(function (result) {
      if (serial !== lookupSerial) return; // a newer search has started
      list.replaceChildren();
      if (!result.residents.length) {
        status.textContent = T.no_match;
        return;
      }
      status.textContent = result.count > result.residents.length ? fmt(T.more_matches, { n: result.residents.length }) : "";
      result.residents.forEach(function (r) {
        var li = el("li");
        var button = el("button", "fl-gate-match");
        button.type = "button";
        button.dataset.residentId = String(r.id);
        button.dataset.testid = "gate-match";
        var household = householdLabels[r.household_id] || "";
        button.dataset.name = r.name;
        button.dataset.household = household;
        button.appendChild(el("span", "fl-gate-match-name", r.name));
        button.appendChild(el("span", "fl-gate-match-household", household));
        button.appendChild(el("span", "fl-gate-match-phone", r.phone_masked));
        li.appendChild(button);
        list.appendChild(li);
      });
    }, function () {
      if (serial !== lookupSerial) return;
      list.replaceChildren();
      status.textContent = T.search_failed;
    });
  }

  function clearLookup() {
    lookupSerial++;
    $("gate-q").value = "";
    $("gate-matches").replaceChildren();
    $("gate-lookup-status").textContent = "";
  }

  var PASS_TOKEN = /^FL1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
  var typingTimer = null;

  $("gate-lookup").addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(typingTimer);
    var term = $("gate-q").value.trim();
    if (!term) return;
    if (PASS_TOKEN.test(term)) { // a handheld scanner types the pass into the focused field
      clearLookup();
      checkIn({ token: term, name: T.scanned_pass });
      return;
    }
    lookup(term);
  });

  $("gate-q").addEventListener("input", function () {
    window.clearTimeout(typingTimer);
    var term = $("gate-q").value.trim();
    if (term.length < 2 || PASS_TOKEN.test(term) || term.indexOf("FL1.") === 0) return;
    typingTimer = window.setTimeout(function () { lookup(term); }, 350);
  });

  $("gate-matches").addEventListener("click", function (event) {
    var button = event.target.closest(".fl-gate-match");
    if (!button) return;
    var who = { resident_id: Number(button.dataset.residentId), name: button.dataset.name, household: button.dataset.household };
    if (!readTemperature().ok) return; // keep the list: fix the temperature, tap again
    clearLookup();
    checkIn(who);
  });

  // --- scanning: html5-qrcode, loaded after the page so a slow line does not hold it up --------

  var qrLoading = null;
  var scanner = null;

  function qrConfig() {
    return {
      verbose: false,
      formatsToSupport: [window.Html5QrcodeSupportedFormats.QR_CODE],
      // Android's native detector where there is one: faster and steadier than ZXing in JS.
      experimentalFeatures: { useBarCodeDetectorIfSupported: true },
    };
  }

  function loadScanner() {
    if (window.Html5Qrcode) return Promise.resolve();
    if (!qrLoading) {
      qrLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = root.dataset.qrScript;
        script.onload = function () { resolve(); };
        script.onerror = function () { qrLoading = null; reject(new Error("load")); };
        document.body.appendChild(script);
      });
    }
    return qrLoading;
  }

  function scanError(text) { $("gate-scan-error").textContent = text || ""; }

  function stopScan() {
    var current = scanner;
    scanner = null;
    $("gate-camera").hidden = true;
    if (!current) return Promise.resolve();
    // stop() throws (not rejects) on a scanner that never started, e.g. camera refused.
    var running = current.getState() !== window.Html5QrcodeScannerState.NOT_STARTED;
    var stopped = running ? Promise.resolve().then(function () { return current.stop(); }) : Promise.resolve();
    return stopped.catch(function () { /* already stopped */ }).then(function () {
      try { current.clear(); } catch (e) { /* nothing was drawn */ }
    });
  }

  function startScan() {
    scanError("");
    if (scanner) return stopScan();
    if (!window.isSecureContext) {
      scanError(T.camera_insecure);
      return Promise.resolve();
    }
    return loadScanner().then(function () {
      $("gate-camera").hidden = false;
      scanner = new window.Html5Qrcode("gate-reader", qrConfig());
      var active = scanner;
      var decoded = false;
      return scanner.start({ facingMode: "environment" }, {
        fps: 10,
        qrbox: function (w, h) { var s = Math.floor(Math.min(w, h) * 0.75); return { width: s, height: s }; },
      }, function (text) {
        if (decoded || scanner !== active) return;
        decoded = true; // one person per scan: the next needs their own temperature first
        stopScan();
        checkIn({ token: text.trim(), name: T.scanned_pass });
      }, function () { /* no code in this frame */ }).catch(function (error) {
        stopScan();
        var text = String((error && (error.name || error.message)) || error);
        if (/NotAllowed|Permission/i.test(text)) scanError(T.camera_denied);
        else if (/NotFound|DevicesNotFound|OverconstrainedError/i.test(text)) scanError(T.camera_missing);
        else scanError(fmt(T.camera_failed, { error: text }));
      });
    }, function () { scanError(T.scanner_loading); });
  }

  $("gate-scan").addEventListener("click", startScan);
  $("gate-scan-stop").addEventListener("click", stopScan);

  // A photo redrawn on a canvas: at most `max` px on the long side, turned by `degrees`.
  function redraw(bitmap, max, degrees) {
    var k = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
    var w = Math.round(bitmap.width * k), h = Math.round(bitmap.height * k);
    var r = degrees * Math.PI / 180;
    var canvas = document.createElement("canvas");
    canvas.width = Math.ceil(Math.abs(w * Math.cos(r)) + Math.abs(h * Math.sin(r)));
    canvas.height = Math.ceil(Math.abs(w * Math.sin(r)) + Math.abs(h * Math.cos(r)));
    var g = canvas.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.translate(canvas.width / 2, canvas.height / 2);
    g.rotate(r);
    g.drawImage(bitmap, -w / 2, -h / 2, w, h);
    return new Promise(function (resolve) {
      canvas.toBlob(function (blob) { resolve(new File([blob], "pass.png", { type: "image/png" })); }, "image/png");
    });
  }

  /* ZXing (html5-qrcode's decoder where the browser has no BarcodeDetector) misses some
   * perfectly square codes, those whose mask draws regular stripes that look like finder
   * patterns along its scan lines; the same code turned a little reads at once. So a
   * photo is tried as taken (scaled down: phone photos are huge and slow to decode),
   * then turned 10° and -25°. */
  function decodePhoto(file) {
    var reader = new window.Html5Qrcode("gate-photo-reader", qrConfig());
    function attempt(image) {
      return reader.scanFile(image, false).then(function (text) {
        try { reader.clear(); } catch (e) { /* nothing drawn */ }
        return text;
      });
    }
    if (!window.createImageBitmap) return attempt(file);
    return window.createImageBitmap(file).then(function (bitmap) {
      return [0, 10, -25].reduce(function (found, degrees) {
        return found.catch(function () { return redraw(bitmap, 1600, degrees).then(attempt); });
      }, Promise.reject(new Error("not tried")));
    }, function () { return attempt(file); });
  }

  $("gate-photo").addEventListener("change", function () {
    var input = $("gate-photo");
    var file = input.files && input.files[0];
    scanError("");
    if (!file) return;
    loadScanner().then(function () {
      return decodePhoto(file).then(function (text) {
        checkIn({ token: text.trim(), name: T.scanned_pass });
      }, function () { scanError(T.photo_failed); });
    }, function () { scanError(T.scanner_loading); }).then(function () { input.value = ""; });
  });

  // --- start ------------------------------------------------------------------------------------

  // The site's pass keys and revocation list, for the offline check: now, every few
  // minutes, and whenever the line comes back.
  function syncPassKeys() { return PassCheck.sync(API, SITE_ID, OWNER); }
  replayer.listen({
    button: $("gate-queue"),
    onReachable: function (value) {
      setReachable(value);
      if (value) syncPassKeys();
    },
  });
  syncPassKeys();
  window.setInterval(function () { if (reachable) syncPassKeys(); }, PASS_KEYS_EVERY_MS);

  setReachable(reachable);
  showLastTemperature();
  renderHistory();
  drain();
  var idle = window.requestIdleCallback || function (fn) { return window.setTimeout(fn, 1500); };
  idle(function () { loadScanner().catch(function () { /* retried when 扫码 is tapped */ }); });
})();
