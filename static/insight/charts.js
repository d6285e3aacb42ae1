/* The cockpit's charts (Chart.js from our static files): the aging bars (a click opens the invoices of a
   bucket), the DSO trend, the 13-week cash forecast (past weeks: actual against the forecast made before
   them; coming weeks: open invoices and orders stacked) and a sparkline per KPI. The data comes from the
   page (json_script "insight-charts"); amounts arrive as exact strings. */
(function () {
  "use strict";
  const source = document.getElementById("insight-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const number = (value) => (value === null || value === undefined ? null : Number(value));
  const quiet = { animation: false, plugins: { legend: { display: false } } };

  const aging = document.getElementById("aging-chart");
  if (aging && data.aging) {
    new Chart(aging, {
      type: "bar",
      data: { labels: data.aging.labels, datasets: [{ data: data.aging.values.map(number),
        backgroundColor: ["#198754", "#ffc107", "#fd7e14", "#dc3545", "#842029"] }] },
      options: { ...quiet, scales: { y: { beginAtZero: true } },
        onClick(event, elements) {
          if (elements.length) {
            window.location.href = aging.dataset.drill + data.aging.buckets[elements[0].index];
          }
        } },
    });
  }

  const dso = document.getElementById("dso-chart");
  if (dso && data.dso) {
    new Chart(dso, {
      type: "line",
      data: { labels: data.dso.labels, datasets: [{ label: "DSO (days)", data: data.dso.values.map(number),
        borderColor: "#0d6efd", backgroundColor: "#0d6efd", tension: 0.2, spanGaps: true }] },
      options: { ...quiet, scales: { y: { beginAtZero: true, title: { display: true, text: "days" } } } },
    });
  }

  const forecast = document.getElementById("forecast-chart");
  if (forecast && data.forecast) {
    const f = data.forecast;
    new Chart(forecast, {
      type: "bar",
      data: { labels: f.labels, datasets: [
        { label: "Open invoices", data: f.invoices.map(number), backgroundColor: "#0d6efd", stack: "expected" },
        { label: "Orders not yet invoiced", data: f.orders.map(number), backgroundColor: "#6ea8fe", stack: "expected" },
        { label: "Received", data: f.actual.map(number), backgroundColor: "#198754", stack: "actual" },
        { type: "line", label: "Forecast then", data: f.forecast_then.map(number), borderColor: "#fd7e14",
          backgroundColor: "#fd7e14", spanGaps: false, pointRadius: 3 },
      ] },
      options: { animation: false, plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: f.currency } } } },
    });
  }

  if (data.kpis) {
    document.querySelectorAll("canvas.kpi-spark").forEach((canvas) => {
      const series = data.kpis[canvas.dataset.kpi];
      if (!series) {
        return;
      }
      const values = series.values.map(number);
      // a line needs two points: a trend of one snapshot (a new installation) shows it as a dot
      const known = values.filter((value) => value !== null).length;
      new Chart(canvas, {
        type: "line",
        data: { labels: series.labels, datasets: [{ data: values, borderColor: "#6c757d", backgroundColor: "#6c757d",
          borderWidth: 1.5, pointRadius: known < 2 ? 2.5 : 0, tension: 0.3, spanGaps: true }] },
        options: { ...quiet, plugins: { legend: { display: false }, tooltip: { enabled: true } },
          scales: { x: { display: false }, y: { display: false } } },
      });
    });
  }
})();
