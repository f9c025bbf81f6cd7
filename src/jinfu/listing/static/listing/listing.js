// Listing funnel charts (ECharts) from a JSON data block; no inline scripts (strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  document.querySelectorAll("[data-listing-chart]").forEach(function (el) {
    var d = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var data = d[el.dataset.listingChart] || [];
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel", left: "10%", width: "80%", sort: "none", minSize: "20%", gap: 2,
        label: { show: true, position: "inside", formatter: "{b} {c}" },
        data: data, color: ["#1d4e89", "#2e6fb7", "#4a90d9", "#7fb3e6", "#a9cbee", "#d2e4f6"]
      }]
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
