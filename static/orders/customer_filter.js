/* The customer filter of the order list: a Tom Select that searches customers on the server. */
(function () {
  "use strict";
  const select = document.getElementById("id_filter_customer");
  if (!select || typeof TomSelect === "undefined") {
    return;
  }
  new TomSelect(select, {
    valueField: "id",
    labelField: "label",
    searchField: ["number", "name", "vat"],
    loadThrottle: 200,
    openOnFocus: false,
    allowEmptyOption: true,
    shouldLoad: (query) => query.trim().length > 0,
    load(query, callback) {
      fetch(select.dataset.lookup + "?" + new URLSearchParams({ q: query }), { credentials: "same-origin" })
        .then((response) => response.json())
        .then((data) => callback(data.results.map((c) => Object.assign(c, { label: c.number + " " + c.name }))))
        .catch(() => callback());
    },
  });
})();
