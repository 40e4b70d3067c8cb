// The dashboards' charts. The figures come as JSON in the canvas's data-chart attribute (no inline script: the CSP
// forbids it, and htmx drops <script> blocks it swaps in); a suppressed figure is null there, drawn as a gap, never
// as a number. The table beside the chart holds the same
// figures for screen readers and for print.
(function () {
  "use strict";

  var chart = null;

  function draw() {
    // Found by its data attribute, not an id: htmx settles an element that keeps its id by copying the old one's
    // attributes over, and the style Chart.js gave the old canvas would then be an inline style the CSP refuses.
    var canvas = document.querySelector("canvas[data-chart]");
    if (chart) { chart.destroy(); chart = null; }
    if (!canvas || !canvas.dataset.chart || !window.Chart) { return; }
    var data;
    try { data = JSON.parse(canvas.dataset.chart); } catch (e) { return; }
    var colours = ["#1f5fa8", "#c2571a", "#2e7d32"];
    chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, i) {
          return {label: series.label, data: series.data, borderColor: colours[i % colours.length],
                  backgroundColor: colours[i % colours.length], spanGaps: false, tension: 0};
        })
      },
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  // The filters swap #results with htmx: draw the new figures.
  document.addEventListener("htmx:afterSettle", draw);
})();
