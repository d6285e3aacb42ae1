/* The receivables home page's charts (Chart.js, served from our static files): the aging of the company
   total by bucket (a click opens the invoices behind a bar) and the DSO at each of the last 12 month ends.
   The data comes from the page (json_script "receivables-charts"); amounts arrive as exact strings. */
(function () {
  "use strict";
  const source = document.getElementById("receivables-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const number = (value) => (value === null ? null : Number(value));

  const agingCanvas = document.getElementById("aging-chart");
  if (agingCanvas) {
    new Chart(agingCanvas, {
      type: "bar",
      data: {
        labels: data.aging.labels,
        datasets: [{
          label: "Open (" + data.currency + ")",
          data: data.aging.values.map(number),
          backgroundColor: ["#198754", "#ffc107", "#fd7e14", "#dc3545", "#842029"],
        }],
      },
      options: {
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, title: { display: true, text: data.currency } } },
        onClick(event, elements) {
          if (elements.length) {
            window.location.href = agingCanvas.dataset.drill + data.aging.buckets[elements[0].index];
          }
        },
      },
    });
  }

  const dsoCanvas = document.getElementById("dso-chart");
  if (dsoCanvas) {
    new Chart(dsoCanvas, {
      type: "line",
      data: {
        labels: data.dso.labels,
        datasets: [{ label: "DSO (days)", data: data.dso.values.map(number), borderColor: "#0d6efd",
                     backgroundColor: "#0d6efd", tension: 0.2, spanGaps: true }],
      },
      options: {
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, title: { display: true, text: "days" } } },
      },
    });
  }
})();
