/* Firstline — the cleaner's phone page (sanitation/cleaner_today.html, cleaner_area.html).
 *
 * A tap on 完成 is an htmx POST that swaps in the task's refreshed card and, out of band,
 * the counters (已完成 n/m, the area's badge). This script
 * makes it survive a bad connection, as the gate page does (access/gate.js):
 *   - at the tap, before htmx sends, the form gets a client UUID and the completion
 *     (task URL, batch, photo) is written to a queue in the browser (IndexedDB;
 *     localStorage without the photo where IndexedDB is refused);
 *   - an answer from the server (done, already done, refused) removes it; no answer
 *     (network, timeout, 5xx) leaves it queued and the card says so;
 *   - the queue is replayed with the same UUID when the browser is back online, on a
 *     timer with backoff, and when the page is shown again. The server stores a UUID
 *     once and answers a replay with the original result, so a replay never doubles.
 * The UUIDs, the storage and the replay loop are firstline/offline-queue.js
 * (window.FirstlineOffline), shared with the gate page; the templates load it first.
 */
(function () {
  "use strict";

  var root = document.getElementById("cleaner");
  if (!root) return;

  var T = JSON.parse(document.getElementById("cleaner-strings").textContent);
  var OWNER = "u" + root.dataset.userId;
  var DB_NAME = "firstline-cleaner";
  var RETRY_MIN_MS = 5000;
  var RETRY_MAX_MS = 60000;
  var SEND_TIMEOUT_MS = 20000;
  var BATCH_KEY = "firstline-cleaner:batch:" + OWNER;
  var Offline = window.FirstlineOffline; // firstline/offline-queue.js

  function $(id) { return document.getElementById(id); }

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  // --- the queue: IndexedDB keyed by client_uuid, localStorage as the fallback --------------

  var store = Offline.store(DB_NAME, ["queue"], {
    toLocal: function (item) { return Object.assign({}, item, { photo: null, photoDropped: !!item.photo }); }, // a Blob is not JSON
  });

  function mine(items) { return Offline.mine(items, OWNER); }

  // --- status bar -----------------------------------------------------------------------------

  function setReachable(value) {
    var net = $("cleaner-net");
    if (!net) return;
    net.dataset.state = value ? "online" : "offline";
    net.className = "badge " + (value ? "text-bg-light border" : "text-bg-warning");
    net.querySelector(".bi").className = "bi " + (value ? "bi-wifi" : "bi-wifi-off");
    $("cleaner-net-label").textContent = value ? T.online : T.offline;
  }

  function refreshQueue() {
    return store.all("queue").then(function (items) {
      var own = mine(items);
      var button = $("cleaner-queue");
      if (button) {
        button.hidden = own.length === 0;
        button.dataset.count = String(own.length);
        $("cleaner-queue-label").textContent = fmt(T.queue_count, { n: own.length });
      }
      own.forEach(function (entry) { markQueued(entry.task_id, entry.photoDropped ? T.queued + "；" + T.photo_dropped : T.queued); });
      return own.length;
    });
  }

  function card(taskId) { return document.getElementById("task-" + taskId); }

  function markQueued(taskId, text) {
    var node = card(taskId);
    if (!node) return;
    node.dataset.state = "queued";
    var note = node.querySelector("[data-role=queued]");
    if (note) { note.hidden = false; note.textContent = text; }
  }

  function replaceCard(taskId, html) {
    var node = card(taskId);
    if (!node) return;
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh) return;
    // The counters the answer carries out of band (hx-swap-oob), as htmx would swap them.
    holder.querySelectorAll("[hx-swap-oob][id]").forEach(function (extra) {
      var old = document.getElementById(extra.id);
      extra.removeAttribute("hx-swap-oob");
      if (old) old.replaceWith(extra);
    });
    node.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    fillBatch(fresh);
  }

  // --- remembering the batch: a cleaner uses one bottle's batch all day ------------------------

  function fillBatch(scope) {
    var last = "";
    try { last = window.localStorage.getItem(BATCH_KEY) || ""; } catch (e) { last = ""; }
    if (!last) return;
    (scope || root).querySelectorAll("input[data-role=batch]").forEach(function (input) {
      if (!input.value) input.value = last;
    });
  }

  function rememberBatch(value) {
    if (!value) return;
    try { window.localStorage.setItem(BATCH_KEY, value); } catch (e) { /* a convenience only */ }
  }

  // --- a tap ---------------------------------------------------------------------------------

  var writes = {}; // client_uuid → the promise of its queue write

  function taskIdOf(form) { return form.closest("[data-task-id]").dataset.taskId; }

  // Capture phase: runs before htmx reads the form, so the UUID goes with the request.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("fl-clean-form") || !root.contains(form)) return;
    var input = form.querySelector("input[name=client_uuid]");
    if (!input.value) input.value = Offline.newUuid();
    var batch = (form.querySelector("input[name=batch]") || {}).value || "";
    rememberBatch(batch.trim());
    var fileInput = form.querySelector("input[name=photo]");
    var entry = {
      client_uuid: input.value, owner: OWNER, created: Date.now(), task_id: taskIdOf(form),
      url: form.getAttribute("action"), batch: batch, photo: fileInput && fileInput.files[0] ? fileInput.files[0] : null,
    };
    writes[entry.client_uuid] = store.put("queue", entry).catch(function () { return "failed"; });
  }, true);

  function uuidOf(event) {
    var form = event.detail && event.detail.elt;
    if (!form || !form.classList || !form.classList.contains("fl-clean-form")) return null;
    return form.querySelector("input[name=client_uuid]").value;
  }

  // A refusal (422) carries the card with its message: show it.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (uuidOf(event) && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var uuid = uuidOf(event);
    if (!uuid) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var form = event.detail.elt;
    var taskId = taskIdOf(form);
    var written = writes[uuid] || Promise.resolve();
    delete writes[uuid];
    var answered = status >= 200 && Offline.outcome(status) === "answered";
    written.then(function (result) {
      if (answered) {
        setReachable(true);
        return store.remove("queue", uuid);
      }
      if (status) setReachable(true); else setReachable(false);
      if (result === "failed") {
        markQueued(taskId, T.storage_failed);
        form.querySelector("input[name=client_uuid]").value = ""; // not stored: the next tap is a new one
        return;
      }
      markQueued(taskId, Offline.outcome(status) === "auth" ? T.auth : T.queued);
    }).then(refreshQueue).then(function (n) { scheduleRetry(n); });
  });

  // --- replaying the queue -------------------------------------------------------------------

  function csrfToken() { return Offline.csrfToken(root.dataset.csrf); }

  /* One queued tap, as the form sent it. Resolves to "done" (answered: removed from the
   * queue, card refreshed), "offline" (no answer) or "auth" (log in again). */
  function send(entry) {
    var body = new FormData();
    body.append("client_uuid", entry.client_uuid);
    body.append("batch", entry.batch || "");
    body.append("progress", root.dataset.progress || "site"); // this page's counter, wherever the tap was made
    if (entry.photo) body.append("photo", entry.photo, "photo.jpg");
    return Offline.timed(SEND_TIMEOUT_MS, function (signal) {
      return window.fetch(entry.url, {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
        signal: signal,
      }).then(function (response) {
        setReachable(true);
        var outcome = Offline.outcome(response.status);
        if (outcome !== "answered") return outcome; // auth or offline
        return response.text().then(function (html) {
          // 200 done or already done; 422 refused for good; 404 the task is gone: all final.
          return store.remove("queue", entry.client_uuid).then(function () {
            if (response.status !== 404) replaceCard(entry.task_id, html);
            return "done";
          });
        });
      }, function () {
        setReachable(false);
        return "offline";
      });
    });
  }

  var replayer = Offline.replayer({
    pending: function () { return store.all("queue").then(mine); },
    busy: function (entry) { return !!writes[entry.client_uuid]; }, // the live tap settles its own
    replay: function (entry) { return send(entry).then(function (outcome) { return outcome === "done"; }); },
    refresh: refreshQueue,
    minMs: RETRY_MIN_MS,
    maxMs: RETRY_MAX_MS,
  });
  var drain = replayer.drain;
  var scheduleRetry = replayer.scheduleRetry;

  replayer.listen({ button: $("cleaner-queue"), onReachable: setReachable });
  document.body.addEventListener("htmx:afterSwap", function (event) { fillBatch(event.detail.elt); });

  setReachable(navigator.onLine !== false);
  fillBatch(root);
  drain();
})();
