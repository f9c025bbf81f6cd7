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
});
// Destructive actions ask first. Delegated and in the capture phase, so buttons that htmx swaps in are
// covered too and a cancelled click never reaches the form's submission (or an htmx trigger).
document.addEventListener("click", function (ev) {
  var el = ev.target.closest && ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
}, true);
