// Risk charts (ECharts) from JSON data blocks: no inline scripts (strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  var COLOURS = { red: "#c62828", yellow: "#f9a825", green: "#2e7d32" };
  document.querySelectorAll("[data-risk-chart]").forEach(function (el) {
    var d = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var chart = echarts.init(el);
    var kind = el.dataset.riskChart;
    if (kind === "graph") {
      chart.setOption({
        tooltip: { formatter: function (p) { return p.dataType === "edge" ? p.data.label : p.data.name + "：" + p.data.value; } },
        series: [{
          type: "graph", layout: "force", roam: true, draggable: true,
          force: { repulsion: 160, edgeLength: 80 },
          label: { show: true, position: "right", formatter: "{b}" },
          data: d.nodes.map(function (n) {
            return { id: n.id, name: n.name, value: n.index, symbolSize: n.self ? 34 : 20,
                     itemStyle: { color: COLOURS[n.colour], borderColor: n.self ? "#000" : "#fff", borderWidth: 2 } };
          }),
          links: d.links.map(function (l) { return { source: l.source, target: l.target, label: l.label }; })
        }]
      });
    } else {
      chart.setOption({
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 48, right: 24, top: 40, bottom: 60 },
        xAxis: { type: "category", data: d.labels, axisLabel: { rotate: 30 } },
        yAxis: { type: "value", name: "企业数" },
        series: d.series.map(function (s) {
          return { name: s.name, type: kind === "lines" ? "line" : "bar", stack: kind === "bars" ? "c" : undefined,
                   data: s.data, itemStyle: { color: COLOURS[s.colour] } };
        })
      });
    }
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
