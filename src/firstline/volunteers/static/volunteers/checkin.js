/* Firstline — check-in and check-out at a site (volunteers/checkin.html), opened by
 * scanning the site's QR code.
 *
 * A tap is {client_uuid, token, kind, at}: the UUID and the phone's time are made at
 * the tap and the entry is written to the browser's queue (firstline/offline-queue.js,
 * the gate's and the cleaner's) BEFORE it is sent. A success removes it; no network
 * leaves it queued and says so; the queue is replayed when the phone is back online
 * (and on a timer with backoff) with the original UUID and time, so the attendance
 * records when the person scanned, not when the server heard of it. The server stores
 * a UUID once and answers a replay with the original result. */
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) return;

  var Offline = window.FirstlineOffline;
  var T = JSON.parse(document.getElementById("checkin-strings").textContent);
  var OWNER = "u" + root.dataset.userId;
  var TOKEN = root.dataset.token;
  var URL = root.dataset.apiRoot + "volunteers/scans";
  var store = Offline.store("firstline-checkin", ["queue"]);
  var inFlight = {};

  function $(id) { return document.getElementById(id); }
  function pad(n, w) { return String(n).padStart(w || 2, "0"); }

  // ISO 8601 in the phone's local time with its offset: what the phone's clock said.
  function deviceTime(d) {
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  function log(text, state) {
    var li = document.createElement("li");
    li.className = "list-group-item small" + (state === "error" ? " text-danger" : state === "queued" ? " text-warning-emphasis" : "");
    li.dataset.state = state;
    li.textContent = text;
    $("checkin-log").prepend(li);
  }

  function setReachable(value) {
    var net = $("checkin-net");
    net.dataset.state = value ? "online" : "offline";
    net.querySelector(".bi").className = "bi " + (value ? "bi-wifi" : "bi-wifi-off");
    $("checkin-net-label").textContent = value ? T.online : T.offline;
  }

  function refresh() {
    return store.all("queue").then(function (items) {
      var n = Offline.mine(items, OWNER).length;
      var button = $("checkin-queue");
      button.hidden = n === 0;
      button.dataset.count = String(n);
      $("checkin-queue-label").textContent = T.queue_count.replace("%(n)s", n);
      return n;
    });
  }

  /* {status: done | offline | auth | rejected, data?, detail?} */
  function send(entry) {
    var uuid = entry.client_uuid;
    if (inFlight[uuid]) return inFlight[uuid];
    var request = Offline.timed(10000, function (signal) {
      return window.fetch(URL, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": Offline.csrfToken(root.dataset.csrf) },
        body: JSON.stringify(entry.payload),
        signal: signal,
      }).then(function (response) {
        setReachable(true);
        var outcome = Offline.outcome(response.status);
        if (response.ok) {
          return response.json().then(function (data) {
            return store.remove("queue", uuid).then(function () { return { status: "done", data: data }; });
          });
        }
        if (outcome === "answered") {
          return response.json().catch(function () { return {}; }).then(function (body) {
            var detail = Array.isArray(body.detail) ? body.detail.map(function (d) { return d.msg; }).join("；") : (body.detail || "");
            return store.remove("queue", uuid).then(function () { return { status: "rejected", detail: detail }; });
          });
        }
        return { status: outcome };
      }, function () {
        setReachable(false);
        return { status: "offline" };
      });
    });
    inFlight[uuid] = request.then(function (result) { delete inFlight[uuid]; return result; },
      function (error) { delete inFlight[uuid]; throw error; });
    return inFlight[uuid];
  }

  function report(result) {
    if (result.status === "done") log(result.data.message + (result.data.duplicate ? "" : ""), "done");
    else if (result.status === "rejected") log(T.rejected + "：" + result.detail, "error");
    else if (result.status === "auth") log(T.auth, "queued");
    else log(T.queued, "queued");
  }

  var replayer = Offline.replayer({
    pending: function () { return store.all("queue").then(function (items) { return Offline.mine(items, OWNER); }); },
    busy: function (entry) { return !!inFlight[entry.client_uuid]; },
    replay: function (entry) {
      return send(entry).then(function (result) {
        if (result.status === "done" || result.status === "rejected") { report(result); return true; }
        return false;
      });
    },
    refresh: refresh,
    minMs: 5000,
    maxMs: 60000,
  });

  function tap(kind) {
    var now = new Date();
    var entry = {
      client_uuid: Offline.newUuid(),
      owner: OWNER,
      created: now.getTime(),
      payload: { client_uuid: null, token: TOKEN, kind: kind, at: deviceTime(now) },
    };
    entry.payload.client_uuid = entry.client_uuid;
    store.put("queue", entry).then(function () {
      return send(entry).then(function (result) {
        report(result);
        return refresh().then(replayer.scheduleRetry);
      });
    }, function () { log(T.storage_failed, "error"); });
  }

  Array.prototype.forEach.call(root.querySelectorAll("button[data-kind]"), function (button) {
    button.addEventListener("click", function () { tap(button.dataset.kind); });
  });
  replayer.listen({ button: $("checkin-queue"), onReachable: setReachable });
  setReachable(navigator.onLine !== false);
  refresh().then(function (n) { if (n) replayer.drain(); });
})();
