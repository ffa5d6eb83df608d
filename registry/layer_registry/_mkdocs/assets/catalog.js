// The layer catalog's filter: hide the rows of the table after .lr-filter that do not match
// the chosen plugin, tag, conformance status and backend. ?plugin=NS&tag=TAG&status=S&backend=B
// in the address preselects them.
(function () {
  "use strict";

  const KEYS = ["plugin", "tag", "status", "backend"];

  function tableAfter(element) {
    for (let node = element.nextElementSibling; node; node = node.nextElementSibling) {
      const table = node.matches("table") ? node : node.querySelector("table");
      if (table) return table;
    }
    return null;
  }

  // What each filter compares, read from a row once: the plugin and tag cells' text, the
  // data-lr-status and data-lr-backends marks of the conformance and backend cells.
  function describe(row) {
    const status = row.querySelector("[data-lr-status]");
    const backends = row.querySelector("[data-lr-backends]");
    return {
      plugin: [row.cells[1].textContent.trim()],
      tag: Array.from(row.cells[3].querySelectorAll("code"), (c) => c.textContent.trim()),
      status: status ? [status.dataset.lrStatus] : [],
      backend: backends ? backends.dataset.lrBackends.split(" ").filter(Boolean) : [],
    };
  }

  function setUp(filter) {
    if (filter.dataset.lrReady) return;
    const table = tableAfter(filter);
    if (!table || !table.tBodies.length) return;
    filter.dataset.lrReady = "1";
    const selects = {};
    for (const key of KEYS) {
      const select = filter.querySelector(`[data-lr-filter="${key}"]`);
      if (select) selects[key] = select;
    }
    const count = filter.querySelector(".lr-count");
    const rows = Array.from(table.tBodies[0].rows, (row) => ({ row, values: describe(row) }));
    const params = new URLSearchParams(window.location.search);
    for (const [key, select] of Object.entries(selects)) {
      const wanted = params.get(key);
      if (wanted && Array.from(select.options).some((o) => o.value === wanted)) {
        select.value = wanted;
      }
    }

    function apply() {
      let shown = 0;
      for (const { row, values } of rows) {
        const match = Object.entries(selects).every(
          ([key, select]) => !select.value || values[key].includes(select.value)
        );
        row.hidden = !match;
        if (match) shown += 1;
      }
      count.textContent = shown + " of " + rows.length + " layers";
    }

    for (const select of Object.values(selects)) select.addEventListener("change", apply);
    apply();
  }

  function setUpAll() {
    document.querySelectorAll(".lr-filter").forEach(setUp);
  }

  // Material re-renders the page on instant navigation and announces it on document$.
  if (typeof document$ !== "undefined") {
    document$.subscribe(setUpAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
