// Financing charts (ECharts) from JSON data blocks; no inline scripts (strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  document.querySelectorAll("[data-fin-chart]").forEach(function (el) {
    var d = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 60, right: 50, top: 30, bottom: 28 },
      xAxis: { type: "category", data: d.months },
      yAxis: [{ type: "value", name: "万元" }, { type: "value", name: "笔" }],
      series: [{ name: "放款金额", type: "bar", data: d.amounts, itemStyle: { color: "#1d4e89" } },
               { name: "笔数", type: "line", yAxisIndex: 1, data: d.counts, itemStyle: { color: "#c0392b" } }]
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
