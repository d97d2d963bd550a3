/* Printable pages (core/print.html): the "打印" button opens the browser's print
 * dialog. Bound here because the CSP allows no inline handler or script. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-fl-print]");
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
