// Credit distribution charts (ECharts), configured from JSON data blocks: no inline scripts (strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  document.querySelectorAll("[data-credit-chart]").forEach(function (el) {
    var d = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 48, right: 24, top: 40, bottom: 60 },
      xAxis: { type: "category", data: d.labels, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", name: "企业数" },
      series: d.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
