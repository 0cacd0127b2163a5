// Draws every chart of the page: customers/charts.py leaves each one as an empty <div>
// naming the <script type="application/json"> that holds its data, layout and config, so
// no inline script is needed (the Content-Security-Policy allows none without a nonce).
"use strict";
document.querySelectorAll("div[data-figure]").forEach(function (element) {
  const figure = JSON.parse(document.getElementById(element.dataset.figure).textContent);
  Plotly.newPlot(element, figure.data, figure.layout, figure.config);
});
