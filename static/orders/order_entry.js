/* Order entry: the customer and product pickers (Tom Select, remote search) and the keyboard flow.
 *
 * product search → Enter picks the highlighted offer → the quantity gets the focus → Enter adds the
 * line (htmx posts the form to entry-lines and swaps the lines and totals) → the search gets the
 * focus back. Enter never submits the form: only the save buttons do.
 */
(function () {
  "use strict";

  const form = document.getElementById("entry-form");
  if (!form || typeof TomSelect === "undefined") {
    return;
  }
  const byId = (id) => document.getElementById(id);
  const quantity = byId("id_new_quantity");
  const price = byId("id_new_unit_price");
  const discount = byId("id_new_discount_percent");
  const addButton = byId("add-line");
  const customerInput = byId("id_customer");

  const warehouseId = () => (byId("id_warehouse") ? byId("id_warehouse").value : "");
  const customerId = () => (customerInput ? customerInput.value : "");
  const getJSON = (url, params) =>
    fetch(url + "?" + new URLSearchParams(params), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { results: [] }));

  let customerPicker = null;
  if (customerInput && customerInput.tagName === "SELECT") {
    customerPicker = new TomSelect(customerInput, {
      valueField: "id",
      labelField: "label",
      searchField: ["number", "name", "vat"], // options of earlier searches stay: show only the matching ones
      maxOptions: 20,
      loadThrottle: 200,
      openOnFocus: false,
      shouldLoad: (query) => query.trim().length > 0,
      load(query, callback) {
        getJSON(form.dataset.customersUrl, { q: query })
          .then((data) => callback(data.results.map((c) => Object.assign(c, { label: c.number + " " + c.name }))))
          .catch(() => callback());
      },
      render: {
        option(c, escape) {
          return '<div data-testid="customer-option"><strong>' + escape(c.number) + "</strong> " + escape(c.name) +
            ' <span class="text-secondary small">' + escape(c.country || "") + " · " + escape(c.currency || "") +
            "</span>" + (c.hold ? ' <span class="badge text-bg-warning">credit hold</span>' : "") + "</div>";
        },
        item(c, escape) {
          return "<div>" + escape(c.label) + "</div>";
        },
        no_results(data, escape) {
          return '<div class="no-results">No customer matches “' + escape(data.input) + "”.</div>";
        },
      },
      onItemAdd() {
        this.close();
        window.setTimeout(() => productPicker.focus(), 0);
      },
    });
  }

  const productPicker = new TomSelect(byId("id_new_product"), {
    valueField: "id",
    labelField: "sku",
    searchField: ["sku", "name"],
    sortField: [{ field: "$score" }, { field: "sku" }],
    maxOptions: 20,
    loadThrottle: 150,
    openOnFocus: false,
    shouldLoad: (query) => query.trim().length > 0,
    load(query, callback) {
      getJSON(form.dataset.productsUrl, {
        q: query, warehouse: warehouseId(), customer: customerId(), quantity: quantity.value || "1",
      }).then((data) => callback(data.results)).catch(() => callback());
    },
    render: {
      option(p, escape) {
        const stock = p.in_stock ? "text-success" : "text-warning-emphasis";
        return '<div class="d-flex justify-content-between gap-3" data-testid="offer">' +
          "<div><strong>" + escape(p.sku) + "</strong> " + escape(p.name) + "</div>" +
          '<div class="text-end small text-nowrap">' + escape(p.price) + " " + escape(p.currency) +
          (p.own_price ? " (customer price)" : "") +
          ' · <span class="' + stock + '">' + escape(p.available) + " available</span>" +
          " · ships " + escape(p.promise_date) + "</div></div>";
      },
      item(p, escape) {
        return "<div><strong>" + escape(p.sku) + "</strong> " + escape(p.name || "") + "</div>";
      },
      no_results(data, escape) {
        return '<div class="no-results">No product matches “' + escape(data.input) + "”.</div>";
      },
    },
    onItemAdd() {
      this.close();
      quantity.focus(); // at once: the next key typed is the quantity
      quantity.select();
    },
  });

  // Another warehouse: the offers' availability changes, so search again.
  form.addEventListener("change", (event) => {
    if (event.target.id === "id_warehouse") {
      productPicker.clearOptions();
    }
  });

  // Enter adds the line from the add-line row, re-prices a line being edited, and never submits.
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.defaultPrevented) {
      return;
    }
    const target = event.target;
    if (target.tagName !== "INPUT" && target.tagName !== "SELECT") {
      return; // textarea: a new line; buttons: their own action
    }
    event.preventDefault();
    if (target === quantity || target === price || target === discount) {
      addButton.click();
    } else if (target.closest("#entry-lines")) {
      htmx.trigger(target, "change");
    }
  });

  document.body.addEventListener("entryLineAdded", () => {
    productPicker.clear(true);
    productPicker.setTextboxValue("");
    quantity.value = "1";
    price.value = "";
    discount.value = "";
    productPicker.focus();
  });

  document.body.addEventListener("entryLineRefused", (event) => {
    const fields = (event.detail && event.detail.fields) || [];
    const first = fields[0];
    if (first === "customer" && customerPicker) {
      customerPicker.focus();
    } else if (first === "quantity") {
      quantity.focus(); quantity.select();
    } else if (first === "unit_price") {
      price.focus(); price.select();
    } else if (first === "discount_percent") {
      discount.focus(); discount.select();
    } else {
      productPicker.focus();
    }
  });
})();
