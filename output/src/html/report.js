// Sorts the alert table by the clicked column: numbers as numbers, the rest as text.
(function () {
  "use strict";
  var table = document.getElementById("alerts");
  if (!table) { return; }
  var heads = table.tHead.rows[0].cells;
  function sortBy(col, descending) {
    var body = table.tBodies[0];
    var numeric = heads[col].getAttribute("data-type") === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return descending ? -order : order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    heads[col].setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      sortBy(col, th.getAttribute("aria-sort") === "ascending");
    });
  });
  sortBy(0, false);
  table.setAttribute("data-sortable", "ready");
})();
