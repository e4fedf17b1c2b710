"use strict";
// What the panels' lists share: their rows, or a line saying there is nothing; counts in words.
const Lists = (() => {
  const { el } = Console;

  // Show `nodes` in the element with this data-testid, or a line saying there is nothing.
  function fill(testid, nodes, emptyText) {
    const empty = el("p", { class: "muted", "data-testid": `${testid}-empty` }, emptyText);
    document.querySelector(`[data-testid=${testid}]`).replaceChildren(...(nodes.length ? nodes : [empty]));
  }

  const plural = (count, one, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

  return { fill, plural };
})();
