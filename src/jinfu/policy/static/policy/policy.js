// Policy fulfillment charts (ECharts) from a JSON data block; no inline scripts (strict CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  var keys = { policies: ["policies", "policy_amounts"], districts: ["districts", "district_amounts"], periods: ["periods", "period_amounts"] };
  document.querySelectorAll("[data-policy-chart]").forEach(function (el) {
    var d = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var k = keys[el.dataset.policyChart];
    var horizontal = el.dataset.policyChart !== "periods";
    var cat = { type: "category", data: d[k[0]], inverse: horizontal, axisLabel: { width: 110, overflow: "truncate" } };
    var val = { type: "value", name: "万元" };
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: horizontal ? 120 : 60, right: 30, top: 30, bottom: 28 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: [{ name: "拨付金额", type: "bar", data: d[k[1]], itemStyle: { color: "#1d4e89" } }]
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
