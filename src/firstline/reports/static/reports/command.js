/* The command centre's feed polls itself every 5 s (htmx, hx-trigger="every 5s").
 * A poll replaces the table, so one that would arrive while the user is choosing an
 * assignee or pressing a button in it is skipped; the next one comes 5 s later.
 * (CSP: htmx trigger filters would need eval, so the check lives here.) */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || elt.id !== "command-feed") return;
    var active = document.activeElement;
    if (active && active !== document.body && elt.contains(active)) {
      event.preventDefault();
    }
  });
})();
