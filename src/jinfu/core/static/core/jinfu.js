// jinfu front-end glue: no inline scripts (strict CSP). htmx handles partial updates.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) { htmx.config.allowEval = false; htmx.config.includeIndicatorStyles = false; }
  document.querySelectorAll("[data-navtoggle]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      btn.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
  document.querySelectorAll("[data-back]").forEach(function (a) {
    a.addEventListener("click", function (ev) { if (window.history.length > 1) { ev.preventDefault(); window.history.back(); } });
  });
  // a plain <input data-filter-table="ID"> hides the rows of table#ID (tr[data-filter-row]) that do not contain
  // what is typed (case-insensitive), and section rows whose group has no match left (help page glossary)
  document.querySelectorAll("[data-filter-table]").forEach(function (input) {
    var id = input.dataset.filterTable, table = document.getElementById(id);
    if (!table) { return; }
    var count = document.querySelector('[data-filter-count="' + id + '"]');
    var empty = document.querySelector('[data-filter-empty="' + id + '"]');
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase(), shown = 0;
      table.querySelectorAll("tbody").forEach(function (body) {
        var inBody = 0;
        body.querySelectorAll("tr[data-filter-row]").forEach(function (row) {
          var hit = !q || row.textContent.toLowerCase().indexOf(q) !== -1;
          row.hidden = !hit;
          if (hit) { inBody += 1; }
        });
        body.hidden = inBody === 0;
        shown += inBody;
      });
      if (count) { count.textContent = shown; }
      if (empty) { empty.hidden = shown !== 0; }
    });
  });
});
// Destructive actions ask first. Delegated and in the capture phase, so buttons that htmx swaps in are
// covered too and a cancelled click never reaches the form's submission (or an htmx trigger).
document.addEventListener("click", function (ev) {
  var el = ev.target.closest && ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
}, true);
