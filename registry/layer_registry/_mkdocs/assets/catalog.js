// The layer catalog's filter: hide the rows of the table after .lr-filter that do not match
// the chosen plugin and tag. ?plugin=NS&tag=TAG in the address preselects them.
(function () {
  "use strict";

  function tableAfter(element) {
    for (let node = element.nextElementSibling; node; node = node.nextElementSibling) {
      const table = node.matches("table") ? node : node.querySelector("table");
      if (table) return table;
    }
    return null;
  }

  function setUp(filter) {
    if (filter.dataset.lrReady) return;
    const table = tableAfter(filter);
    if (!table || !table.tBodies.length) return;
    filter.dataset.lrReady = "1";
    const plugin = filter.querySelector('[data-lr-filter="plugin"]');
    const tag = filter.querySelector('[data-lr-filter="tag"]');
    const count = filter.querySelector(".lr-count");
    const rows = Array.from(table.tBodies[0].rows);
    const params = new URLSearchParams(window.location.search);
    for (const [select, key] of [[plugin, "plugin"], [tag, "tag"]]) {
      const wanted = params.get(key);
      if (wanted && Array.from(select.options).some((o) => o.value === wanted)) {
        select.value = wanted;
      }
    }

    function apply() {
      let shown = 0;
      for (const row of rows) {
        const rowPlugin = row.cells[1].textContent.trim();
        const rowTags = Array.from(row.cells[3].querySelectorAll("code"), (c) =>
          c.textContent.trim()
        );
        const match =
          (!plugin.value || rowPlugin === plugin.value) &&
          (!tag.value || rowTags.includes(tag.value));
        row.hidden = !match;
        if (match) shown += 1;
      }
      count.textContent = shown + " of " + rows.length + " layers";
    }

    plugin.addEventListener("change", apply);
    tag.addEventListener("change", apply);
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
