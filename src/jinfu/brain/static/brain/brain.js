// Brain charts (ECharts), configured from JSON data blocks: no inline scripts (strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  function data(el) { return JSON.parse(document.getElementById(el.dataset.source).textContent); }
  var builders = {
    indicator: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 60, right: 24, top: 36, bottom: 28 },
        xAxis: { type: "category", data: d.years },
        yAxis: { type: "value", name: d.unit, scale: true },
        series: [
          { name: "实际值", type: "line", data: d.actual, connectNulls: false, symbolSize: 8, itemStyle: { color: "#1d4e89" } },
          { name: "序时进度路径", type: "line", data: d.path, lineStyle: { type: "dashed" }, symbol: "none", itemStyle: { color: "#888" } },
          { name: "目标", type: "scatter", data: d.target, symbol: "diamond", symbolSize: 14, itemStyle: { color: "#c0392b" } },
          { name: "趋势预测", type: "line", data: d.projection, connectNulls: true, lineStyle: { type: "dotted", width: 2 }, itemStyle: { color: "#e69500" } }
        ]
      };
    },
    compare: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 120, right: 24, top: 30, bottom: 24 },
        xAxis: { type: "value", name: d.unit },
        yAxis: { type: "category", inverse: true, data: d.labels },
        series: [
          { name: "最新实际", type: "bar", data: d.values, itemStyle: { color: "#1d4e89" } },
          { name: "规划目标", type: "bar", data: d.targets, itemStyle: { color: "#e3a6a0" } }
        ]
      };
    },
    index: function (d) {
      return {
        tooltip: { trigger: "axis" }, grid: { left: 120, right: 24, top: 10, bottom: 24 },
        xAxis: { type: "value", min: 0, max: 1 },
        yAxis: { type: "category", inverse: true, data: d.map(function (r) { return r[0]; }) },
        series: [{ name: "指数", type: "bar", data: d.map(function (r) { return r[1]; }), itemStyle: { color: "#c0392b" } }]
      };
    }
  };
  document.querySelectorAll("[data-brain-chart]").forEach(function (el) {
    var chart = echarts.init(el);
    chart.setOption(builders[el.dataset.brainChart](data(el)));
    chart.on("finished", function () { el.dataset.rendered = "1"; });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
