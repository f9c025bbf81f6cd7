// Renders ECharts bar charts from JSON data blocks (no inline scripts: strict CSP).
// <div class="chart" data-chart="bar" data-source="ID"> reads [[label, value], …] from <script id="ID" type="application/json">.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var src = document.getElementById(el.dataset.source);
    if (!src) { return; }
    var rows = JSON.parse(src.textContent);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 140, right: 24, top: 10, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r[0]; }),
               axisLabel: { width: 130, overflow: "truncate" } },
      series: [{ type: "bar", data: rows.map(function (r) { return r[1]; }), itemStyle: { color: "#1d4e89" } }]
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
