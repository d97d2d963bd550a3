/* Firstline — a pass checked in the browser, for the gate page when the network is down.
 *
 * While online the page keeps the site's pass-signing public keys and its revocation
 * list (GET …/sites/{id}/keys and …/revoked) in localStorage. Offline, a scanned pass
 * is checked with them as access/services/passes.py checks it: the FL1 format, the site, the
 * Ed25519 signature (WebCrypto), the validity window, then the revocation list as of
 * its last sync. The server still makes the decision when the queued event is
 * replayed: health status, quota and one-time use need it. This only tells the guard
 * whether the pass itself holds.
 *
 * window.FirstlinePassCheck.sync(apiRoot, siteId, owner) → Promise (never rejects)
 * window.FirstlinePassCheck.check(token, siteId, owner) → Promise of
 *   { status: "valid" | "unknown" | "other_site" | "not_yet_valid" | "expired" |
 *             "revoked" | "unknown_key" | "no_keys" | "unsupported",
 *     syncedAt: ms since epoch or null }
 */
(function () {
  "use strict";

  var PREFIX = "FL1";

  function storageKey(siteId, owner) { return "firstline-gate:pass-keys:" + owner + ":s" + siteId; }

  function getJson(url) {
    return window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  function sync(apiRoot, siteId, owner) {
    var base = apiRoot + "access/sites/" + siteId;
    return Promise.all([getJson(base + "/keys"), getJson(base + "/revoked")]).then(function (got) {
      var keys = {};
      got[0].forEach(function (k) { keys[k.kid] = k.public_key; });
      var revoked = got[1].map(function (r) { return r.pass_id; });
      try {
        window.localStorage.setItem(storageKey(siteId, owner), JSON.stringify({
          keys: keys, revoked: revoked, syncedAt: Date.now(),
        }));
      } catch (e) { /* storage full or blocked: the offline check says no_keys */ }
    }).catch(function () { /* offline or refused: keep what was synced before */ });
  }

  function base64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = window.atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function claimsOf(part) {
    var payload = JSON.parse(new TextDecoder().decode(base64url(part)));
    var claims = { p: payload.p, s: payload.s, k: payload.k, nbf: payload.nbf, exp: payload.exp };
    var whole = [claims.p, claims.s, claims.nbf, claims.exp].every(Number.isInteger);
    if (!whole || typeof claims.k !== "string") throw new Error("malformed pass");
    return claims;
  }

  function verifySignature(publicKey, signature, signed) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle) return Promise.reject(new Error("unsupported"));
    return subtle.importKey("raw", base64url(publicKey), { name: "Ed25519" }, false, ["verify"])
      .then(function (key) { return subtle.verify({ name: "Ed25519" }, key, signature, signed); });
  }

  function check(token, siteId, owner) {
    var kept = null;
    try { kept = JSON.parse(window.localStorage.getItem(storageKey(siteId, owner)) || "null"); } catch (e) { kept = null; }
    function result(status) { return { status: status, syncedAt: kept ? kept.syncedAt : null }; }
    if (!kept || !kept.keys) return Promise.resolve(result("no_keys"));
    var parts = String(token || "").trim().split(".");
    if (parts.length !== 3 || parts[0] !== PREFIX) return Promise.resolve(result("unknown"));
    var claims, signature;
    try {
      claims = claimsOf(parts[1]);
      signature = base64url(parts[2]);
    } catch (e) {
      return Promise.resolve(result("unknown"));
    }
    if (claims.s !== siteId) return Promise.resolve(result("other_site"));
    var publicKey = kept.keys[claims.k];
    // A key this phone has not synced yet (a site that rotated its key since): not a
    // forgery as far as we can tell, so say so rather than "invalid".
    if (!publicKey) return Promise.resolve(result("unknown_key"));
    var signed = new TextEncoder().encode(parts[0] + "." + parts[1]);
    return verifySignature(publicKey, signature, signed).then(function (good) {
      if (!good) return result("unknown");
      var now = Date.now() / 1000;
      if (now < claims.nbf) return result("not_yet_valid");
      if (now >= claims.exp) return result("expired");
      if ((kept.revoked || []).indexOf(claims.p) >= 0) return result("revoked");
      return result("valid");
    }, function () {
      // No Ed25519 in this browser's WebCrypto (or no WebCrypto off HTTPS): cannot tell.
      return result("unsupported");
    });
  }

  window.FirstlinePassCheck = { sync: sync, check: check };
})();
