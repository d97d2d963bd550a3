/* Tables on phones and in meetings.
 *
 * Every list table (inside #list-table, or any table marked .fl-cards) becomes a
 * stack of cards below the small breakpoint (app.css, "Lists on a phone"): each
 * cell is labelled with its column's header, copied here into data-label, so the
 * card reads "手机号 138****0101" instead of a bare value. Runs on load and after
 * every htmx swap (filters, paging). Without JavaScript the table still scrolls
 * sideways with its first column fixed. */
(function () {
  "use strict";

  function label(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    var names = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      var span = cell.colSpan || 1;
      var text = (cell.textContent || "").replace(/\s+/g, " ").trim();
      for (var i = 0; i < span; i++) names.push(text);
    });
    table.classList.add("fl-cards");
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var index = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var name = names[index];
          if (name && index > 0 && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", name);
          index += cell.colSpan || 1;
        });
      });
    });
  }

  function labelAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("#list-table table, table.fl-cards").forEach(label);
    if (scope.matches && scope.matches("#list-table table, table.fl-cards")) label(scope);
  }

  // The export link follows the filters: htmx has pushed the list's new URL by now.
  function exportLinks() {
    document.querySelectorAll("a[data-fl-export]").forEach(function (link) {
      var query = new URLSearchParams(window.location.search);
      ["page", "per_page"].forEach(function (name) { query.delete(name); });
      query.set("export", link.getAttribute("data-fl-export"));
      link.setAttribute("href", "?" + query.toString());
    });
  }

  document.addEventListener("DOMContentLoaded", function () { labelAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { labelAll(event.target); exportLinks(); });
  document.addEventListener("htmx:pushedIntoHistory", exportLinks);
})();
