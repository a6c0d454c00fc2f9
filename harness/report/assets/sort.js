(function () {
  "use strict";
  function compare(x, y, numeric) {
    if (x === y) { return 0; }
    if (x === "") { return 1; }
    if (y === "") { return -1; }
    return numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
  }
  function sortBy(table, th, index) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = th.getAttribute("data-type") === "number";
    var current = th.getAttribute("aria-sort");
    var descending = current ? current === "ascending" : th.getAttribute("data-desc") === "1";
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-sort") || "";
      var y = b.cells[index].getAttribute("data-sort") || "";
      if (x === "" || y === "") { return compare(x, y, numeric); }
      var c = compare(x, y, numeric);
      return descending ? -c : c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    table.classList.add("js-sortable");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.addEventListener("click", function () { sortBy(table, th, index); });
    });
  });
})();
