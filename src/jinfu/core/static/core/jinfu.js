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
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) { if (!window.confirm(el.dataset.confirm)) { ev.preventDefault(); } });
  });
});
