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
// First-login tour (新手引导, core/_tour.html): one card at a time, pointing at the role's menu items (the
// target is outlined and scrolled into view; on a phone the menu opens). 不再显示 and 完成 close it for
// good (POST, no reload); the help centre reopens it with ?tour=1.
document.addEventListener("DOMContentLoaded", function () {
  var tour = document.querySelector("[data-tour]");
  if (!tour) { return; }
  var steps = Array.prototype.slice.call(tour.querySelectorAll("[data-tour-step]"));
  var next = tour.querySelector("[data-tour-next]"), prev = tour.querySelector("[data-tour-prev]");
  var form = tour.querySelector("[data-tour-dismiss]"), nextLabel = next.textContent, i = 0, marked = null;
  function target(url) {
    return document.querySelector('#mainnav a[href="' + url + '"]') || document.querySelector('footer a[href="' + url + '"]');
  }
  function show(n) {
    i = n;
    var step = steps[i], el = target(step.dataset.target);
    if (marked) { marked.classList.remove("tour-target"); }
    tour.querySelector("[data-tour-index]").textContent = i + 1;
    tour.querySelector("[data-tour-title]").textContent = step.dataset.title;
    tour.querySelector("[data-tour-text]").textContent = step.textContent;
    prev.hidden = i === 0;
    next.textContent = i === steps.length - 1 ? next.dataset.lastLabel : nextLabel;
    var toggle = document.querySelector("[data-navtoggle]");
    if (el && el.closest("#mainnav") && toggle && toggle.offsetParent !== null && !document.body.classList.contains("nav-open")) {
      toggle.click();
    }
    if (el) { el.classList.add("tour-target"); el.scrollIntoView({ block: "nearest" }); }
    marked = el;
  }
  function close() {
    tour.hidden = true;
    if (marked) { marked.classList.remove("tour-target"); }
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
  }
  form.addEventListener("submit", function (ev) { ev.preventDefault(); close(); });
  next.addEventListener("click", function () { if (i === steps.length - 1) { close(); } else { show(i + 1); } });
  prev.addEventListener("click", function () { if (i > 0) { show(i - 1); } });
  tour.hidden = false;
  show(0);
});
