/* Firstline — the offline queue shared by the phone pages (access/gate.js,
 * sanitation/cleaner.js). Load it before the page's own script; it defines
 * window.FirstlineOffline and touches nothing else.
 *
 *   newUuid()                      a v4 UUID, also outside a secure context
 *   csrfToken(fallback)            Django's CSRF cookie, else the page's copy
 *   store(dbName, names, options)  IndexedDB object stores keyed by client_uuid,
 *                                  localStorage (dbName + ":" + name) where IndexedDB is
 *                                  missing or refused; options.toLocal(item) turns an item
 *                                  into what localStorage can hold (JSON)
 *   mine(items, owner)             this user's entries, oldest first
 *   outcome(status)                an HTTP status as "answered", "auth" or "offline"
 *   timed(ms, work)                work(signal) with an abort after ms
 *   replayer(options)              replay-on-online with backoff (see below)
 *
 * The server stores a client UUID once and answers a replay with the original result,
 * so replaying a queued entry is always safe.
 */
(function () {
  "use strict";

  function newUuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not (a LAN deployment on http).
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken(fallback) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : fallback;
  }

  // --- storage: object stores keyed by client_uuid ------------------------------------------

  function store(dbName, names, options) {
    var toLocal = (options && options.toLocal) || function (item) { return item; };
    var dbPromise = null;

    function openDb() {
      if (!dbPromise) {
        dbPromise = new Promise(function (resolve, reject) {
          var req = window.indexedDB.open(dbName, 1);
          req.onupgradeneeded = function () {
            names.forEach(function (name) {
              if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name, { keyPath: "client_uuid" });
            });
          };
          req.onsuccess = function () { resolve(req.result); };
          req.onerror = function () { reject(req.error); };
          req.onblocked = function () { reject(new Error("blocked")); };
        });
      }
      return dbPromise;
    }

    function idb(name, mode, work) {
      return openDb().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction(name, mode);
          var result;
          var req = work(tx.objectStore(name));
          if (req) req.onsuccess = function () { result = req.result; };
          // Resolve on commit, not on the request: "written before sending" must mean written.
          tx.oncomplete = function () { resolve(result); };
          tx.onerror = function () { reject(tx.error); };
          tx.onabort = function () { reject(tx.error); };
        });
      });
    }

    var local = {
      read: function (name) { return JSON.parse(window.localStorage.getItem(dbName + ":" + name) || "{}"); },
      write: function (name, map) { window.localStorage.setItem(dbName + ":" + name, JSON.stringify(map)); },
    };

    var useLocal = !window.indexedDB;

    function withFallback(idbWork, localWork) {
      if (useLocal) return Promise.resolve().then(localWork);
      return idbWork().catch(function () {
        useLocal = true; // private modes that refuse IndexedDB still have localStorage
        return localWork();
      });
    }

    return {
      put: function (name, item) {
        return withFallback(
          function () { return idb(name, "readwrite", function (s) { return s.put(item); }); },
          function () { var m = local.read(name); m[item.client_uuid] = toLocal(item); local.write(name, m); });
      },
      remove: function (name, key) {
        return withFallback(
          function () { return idb(name, "readwrite", function (s) { return s.delete(key); }); },
          function () { var m = local.read(name); delete m[key]; local.write(name, m); });
      },
      get: function (name, key) {
        return withFallback(
          function () { return idb(name, "readonly", function (s) { return s.get(key); }); },
          function () { return local.read(name)[key]; });
      },
      all: function (name) {
        return withFallback(
          function () { return idb(name, "readonly", function (s) { return s.getAll(); }); },
          function () { var m = local.read(name); return Object.keys(m).map(function (k) { return m[k]; }); });
      },
    };
  }

  function mine(items, owner) {
    return (items || []).filter(function (item) { return item.owner === owner; })
      .sort(function (a, b) { return a.created - b.created; });
  }

  // --- sending -------------------------------------------------------------------------------

  /* What an HTTP status means for a queued entry:
   *   answered  the server has decided (stored, already stored, or refused for good)
   *   auth      session gone or CSRF refused: stays queued until the user logs in again
   *   offline   no answer (network: status 0, timeout, 5xx, 408, 429): stays queued */
  function outcome(status) {
    if (status === 401 || status === 403) return "auth";
    if (!status || status >= 500 || status === 408 || status === 429) return "offline";
    return "answered";
  }

  // work(signal) with the signal aborted after ms; the timer goes when the work settles.
  function timed(ms, work) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, ms) : null;
    function done() { if (timer) window.clearTimeout(timer); }
    return work(controller ? controller.signal : undefined).then(
      function (value) { done(); return value; },
      function (error) { done(); throw error; });
  }

  // --- replaying the queue ------------------------------------------------------------------

  /* options:
   *   pending()   → Promise of the queued entries to replay, in order
   *   busy(entry) → true for an entry the page is sending itself right now
   *   replay(entry) → Promise of true when the server answered it, false when it did not
   *                   (offline, or log in again): the rest waits for the next try
   *   refresh()   → Promise of how many entries are still queued
   *   minMs, maxMs  the retry delay: doubled after a stalled run, reset after a clean one
   * Returns {drain, scheduleRetry(n), retryNow, listen({button, onReachable})}. */
  function replayer(options) {
    var draining = false;
    var retryDelay = options.minMs;
    var retryTimer = null;

    function scheduleRetry(n) {
      if (retryTimer) window.clearTimeout(retryTimer);
      retryTimer = null;
      if (n > 0) retryTimer = window.setTimeout(drain, retryDelay);
    }

    function drain() {
      if (draining) return Promise.resolve();
      draining = true;
      var stalled = false;
      return Promise.resolve().then(options.pending).then(function (pending) {
        // One at a time, oldest first: quotas on the server count earlier entries first.
        return pending.reduce(function (chain, entry) {
          return chain.then(function () {
            if (stalled || options.busy(entry)) return;
            return options.replay(entry).then(function (answered) { if (!answered) stalled = true; });
          });
        }, Promise.resolve());
      }).catch(function () { stalled = true; }).then(function () {
        draining = false;
        retryDelay = stalled ? Math.min(retryDelay * 2, options.maxMs) : options.minMs;
        return options.refresh().then(scheduleRetry);
      });
    }

    function retryNow() {
      retryDelay = options.minMs;
      return drain();
    }

    // The queue button, the browser's online/offline events and the page being shown again.
    function listen(wiring) {
      if (wiring.button) wiring.button.addEventListener("click", function () { retryNow(); });
      window.addEventListener("online", function () {
        wiring.onReachable(true);
        retryNow();
      });
      window.addEventListener("offline", function () { wiring.onReachable(false); });
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") drain();
      });
    }

    return { drain: drain, scheduleRetry: scheduleRetry, retryNow: retryNow, listen: listen };
  }

  window.FirstlineOffline = {
    newUuid: newUuid,
    csrfToken: csrfToken,
    store: store,
    mine: mine,
    outcome: outcome,
    timed: timed,
    replayer: replayer,
  };
})();
