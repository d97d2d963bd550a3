/* Firstline — "scan to check in" on my shifts (volunteers/my_shifts.html): the camera
 * reads the site's check-in QR code (html5-qrcode, the gate's reader, loaded on
 * demand) and opens it when it is a check-in link of this site. */
(function () {
  "use strict";

  var root = document.getElementById("shifts");
  if (!root) return;
  var button = document.getElementById("scan-start");
  var error = document.getElementById("scan-error");
  var scanner = null;

  function load() {
    if (window.Html5Qrcode) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.dataset.qrScript;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function open(text) {
    try {
      var url = new URL(text, window.location.href);
      if (url.origin === window.location.origin && url.pathname.indexOf(root.dataset.checkinPrefix) === 0) {
        window.location.href = url.pathname;
        return true;
      }
    } catch (e) { /* not a URL */ }
    error.textContent = root.dataset.notOurs;
    return false;
  }

  button.addEventListener("click", function () {
    error.textContent = "";
    if (scanner) return;
    load().then(function () {
      scanner = new window.Html5Qrcode("scan-reader");
      return scanner.start({ facingMode: "environment" }, { fps: 10, qrbox: 240 }, function (text) {
        if (open(text)) scanner.stop();
      });
    }).catch(function () {
      scanner = null;
      error.textContent = root.dataset.noCamera;
    });
  });
})();
