// jinfu front-end glue: no inline scripts (strict CSP). htmx handles partial updates.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) { htmx.config.allowEval = false; htmx.config.includeIndicatorStyles = false; }
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) { if (!window.confirm(el.dataset.confirm)) { ev.preventDefault(); } });
  });
});
