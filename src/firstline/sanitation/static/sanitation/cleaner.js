/* Firstline — the cleaner's phone page (sanitation/cleaner_today.html, cleaner_area.html).
 *
 * A tap on 完成 is an htmx POST that swaps in the task's refreshed card. This script
 * makes it survive a bad connection, as the gate page does (access/gate.js):
 *   - at the tap, before htmx sends, the form gets a client UUID and the completion
 *     (task URL, batch, photo) is written to a queue in the browser (IndexedDB;
 *     localStorage without the photo where IndexedDB is refused);
 *   - an answer from the server (done, already done, refused) removes it; no answer
 *     (network, timeout, 5xx) leaves it queued and the card says so;
 *   - the queue is replayed with the same UUID when the browser is back online, on a
 *     timer with backoff, and when the page is shown again. The server stores a UUID
 *     once and answers a replay with the original result, so a replay never doubles.
 * The storage and UUID helpers follow gate.js (kept inside each page's script: the two
 * pages load one file each); a shared offline module would be the next step.
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

  function $(id) { return document.getElementById(id); }

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function newUuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not (a LAN deployment on http).
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- the queue: IndexedDB keyed by client_uuid, localStorage as the fallback --------------

  var queue = (function () {
    var dbPromise = null;
    var useLocal = !window.indexedDB;
    var LOCAL_KEY = DB_NAME + ":queue";

    function openDb() {
      if (!dbPromise) {
        dbPromise = new Promise(function (resolve, reject) {
          var req = window.indexedDB.open(DB_NAME, 1);
          req.onupgradeneeded = function () { req.result.createObjectStore("queue", { keyPath: "client_uuid" }); };
          req.onsuccess = function () { resolve(req.result); };
          req.onerror = function () { reject(req.error); };
          req.onblocked = function () { reject(new Error("blocked")); };
        });
      }
      return dbPromise;
    }

    function idb(mode, work) {
      return openDb().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction("queue", mode);
          var result;
          var req = work(tx.objectStore("queue"));
          if (req) req.onsuccess = function () { result = req.result; };
          tx.oncomplete = function () { resolve(result); }; // written means committed
          tx.onerror = function () { reject(tx.error); };
          tx.onabort = function () { reject(tx.error); };
        });
      });
    }

    function localRead() { return JSON.parse(window.localStorage.getItem(LOCAL_KEY) || "{}"); }
    function localWrite(map) { window.localStorage.setItem(LOCAL_KEY, JSON.stringify(map)); }

    function withFallback(idbWork, localWork) {
      if (useLocal) return Promise.resolve().then(localWork);
      return idbWork().catch(function () {
        useLocal = true; // private modes that refuse IndexedDB still have localStorage
        return localWork();
      });
    }

    return {
      put: function (item) {
        return withFallback(
          function () { return idb("readwrite", function (s) { return s.put(item); }); },
          function () {
            var m = localRead();
            var copy = Object.assign({}, item, { photo: null, photoDropped: !!item.photo }); // a Blob is not JSON
            m[item.client_uuid] = copy;
            localWrite(m);
          });
      },
      remove: function (key) {
        return withFallback(
          function () { return idb("readwrite", function (s) { return s.delete(key); }); },
          function () { var m = localRead(); delete m[key]; localWrite(m); });
      },
      all: function () {
        return withFallback(
          function () { return idb("readonly", function (s) { return s.getAll(); }); },
          function () { var m = localRead(); return Object.keys(m).map(function (k) { return m[k]; }); });
      },
    };
  })();

  function mine(items) {
    return (items || []).filter(function (i) { return i.owner === OWNER; })
      .sort(function (a, b) { return a.created - b.created; });
  }

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
    return queue.all().then(function (items) {
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
    if (!input.value) input.value = newUuid();
    var batch = (form.querySelector("input[name=batch]") || {}).value || "";
    rememberBatch(batch.trim());
    var fileInput = form.querySelector("input[name=photo]");
    var entry = {
      client_uuid: input.value, owner: OWNER, created: Date.now(), task_id: taskIdOf(form),
      url: form.getAttribute("action"), batch: batch, photo: fileInput && fileInput.files[0] ? fileInput.files[0] : null,
    };
    writes[entry.client_uuid] = queue.put(entry).catch(function () { return "failed"; });
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
    var answered = status >= 200 && status < 500 && status !== 401 && status !== 403 && status !== 408 && status !== 429;
    written.then(function (result) {
      if (answered) {
        setReachable(true);
        return queue.remove(uuid);
      }
      if (status) setReachable(true); else setReachable(false);
      if (result === "failed") {
        markQueued(taskId, T.storage_failed);
        form.querySelector("input[name=client_uuid]").value = ""; // not stored: the next tap is a new one
        return;
      }
      markQueued(taskId, status === 401 || status === 403 ? T.auth : T.queued);
    }).then(refreshQueue).then(function (n) { scheduleRetry(n); });
  });

  // --- replaying the queue -------------------------------------------------------------------

  var draining = false;
  var retryDelay = RETRY_MIN_MS;
  var retryTimer = null;

  function scheduleRetry(n) {
    if (retryTimer) window.clearTimeout(retryTimer);
    retryTimer = n > 0 ? window.setTimeout(drain, retryDelay) : null;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : root.dataset.csrf;
  }

  /* One queued tap, as the form sent it. Resolves to "done" (answered: removed from the
   * queue, card refreshed), "offline" (no answer) or "auth" (log in again). */
  function send(entry) {
    var body = new FormData();
    body.append("client_uuid", entry.client_uuid);
    body.append("batch", entry.batch || "");
    if (entry.photo) body.append("photo", entry.photo, "photo.jpg");
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS) : null;
    return window.fetch(entry.url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      setReachable(true);
      if (response.status === 401 || response.status === 403) return "auth";
      if (response.status >= 500 || response.status === 408 || response.status === 429) return "offline";
      return response.text().then(function (html) {
        // 200 done or already done; 422 refused for good; 404 the task is gone: all final.
        return queue.remove(entry.client_uuid).then(function () {
          if (response.status !== 404) replaceCard(entry.task_id, html);
          return "done";
        });
      });
    }, function () {
      setReachable(false);
      return "offline";
    }).then(function (outcome) {
      if (timer) window.clearTimeout(timer);
      return outcome;
    });
  }

  function drain() {
    if (draining) return Promise.resolve();
    draining = true;
    var stalled = false;
    return queue.all().then(function (items) {
      return mine(items).reduce(function (chain, entry) {
        return chain.then(function () {
          if (stalled || writes[entry.client_uuid]) return; // the live tap settles its own
          return send(entry).then(function (outcome) { if (outcome !== "done") stalled = true; });
        });
      }, Promise.resolve());
    }).catch(function () { stalled = true; }).then(function () {
      draining = false;
      retryDelay = stalled ? Math.min(retryDelay * 2, RETRY_MAX_MS) : RETRY_MIN_MS;
      return refreshQueue().then(scheduleRetry);
    });
  }

  var queueButton = $("cleaner-queue");
  if (queueButton) queueButton.addEventListener("click", function () { retryDelay = RETRY_MIN_MS; drain(); });
  window.addEventListener("online", function () { setReachable(true); retryDelay = RETRY_MIN_MS; drain(); });
  window.addEventListener("offline", function () { setReachable(false); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") drain(); });
  document.body.addEventListener("htmx:afterSwap", function (event) { fillBatch(event.detail.elt); });

  setReachable(navigator.onLine !== false);
  fillBatch(root);
  drain();
})();
