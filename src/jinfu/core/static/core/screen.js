// 数据大屏: draws each panel's ranked bars (ECharts, dark) from its data-screen-bars attribute, again after
// every htmx refresh of the panels; the 全屏 button asks the browser for full screen. No inline script (CSP).
(function () {
  function draw(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-screen-bars]").forEach(function (el) {
      var rows = JSON.parse(el.dataset.screenBars || "[]");
      el.style.height = Math.max(140, rows.length * 34 + 30) + "px";  // one bar per district, no gaps
      var old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      var chart = echarts.init(el, "dark", { renderer: "canvas" });
      var unit = el.dataset.unit || "";
      chart.setOption({
        backgroundColor: "transparent",
        grid: { left: 150, right: 60, top: 8, bottom: 8 },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v.toLocaleString("zh-CN") + " " + unit; } },
        xAxis: { type: "value", show: false },
        yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r[0]; }),
                 axisLabel: { width: 140, overflow: "truncate", color: "#cfe3ff" } },
        series: [{ type: "bar", data: rows.map(function (r) { return r[1]; }), barMaxWidth: 22,
                   itemStyle: { color: "#3aa0ff", borderRadius: [0, 4, 4, 0] },
                   label: { show: true, position: "right", color: "#e8f1ff",
                            formatter: function (p) { return p.value.toLocaleString("zh-CN"); } } }]
      });
      el.dataset.rendered = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
    document.body.addEventListener("htmx:afterSwap", function (ev) { draw(ev.detail.target); });
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-screen-bars]").forEach(function (el) {
        var c = window.echarts && echarts.getInstanceByDom(el);
        if (c) { c.resize(); }
      });
    });
    document.querySelectorAll("[data-fullscreen]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
      });
    });
  });
})();
