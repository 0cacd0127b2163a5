// Draws every chart of the page: customers/charts.py leaves each one as an empty <div>
// naming the <script type="application/json"> that holds its data, layout and config, so
// no inline script is needed (the Content-Security-Policy allows none without a nonce).
// Charts that htmx swaps in later (a dashboard period) are drawn when they settle.
"use strict";
function drawCharts(root) {
  root.querySelectorAll("div[data-figure]:not(.js-plotly-plot)").forEach(function (element) {
    const figure = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    Plotly.newPlot(element, figure.data, figure.layout, figure.config);
  });
}
drawCharts(document);
document.body.addEventListener("htmx:afterSettle", function () {
  drawCharts(document);
});
