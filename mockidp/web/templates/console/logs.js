"use strict";
// Tenant logs: GET /api/v2/logs (Lucene q, newest first), each event's JSON on a click.
(() => {
  const { management, el, act, onSubmit, pretty } = Console;
  const { fill } = Lists;
  let lastQuery = "";
  let searches = 0;  // only the latest search may show its answer (the panel's first load may end after it)

  function row(log) {
    const json = el("pre", { hidden: true });
    json.textContent = pretty(log);
    const item = el("div", { class: "item clickable", "data-testid": "log", "data-log-id": log.log_id },
      el("span", { class: "badge" }, log.type),
      el("strong", { class: "grow" }, log.description || ""),
      el("span", { class: "muted" }, [log.user_name || log.user_id, log.client_id, log.date]
        .filter(Boolean).join(" · ")),
      json);
    item.addEventListener("click", () => { json.hidden = !json.hidden; });
    return item;
  }

  async function search(query = lastQuery) {
    lastQuery = query;
    const mine = ++searches;
    const params = new URLSearchParams({ per_page: "100", sort: "date:-1" });
    if (query.trim()) params.set("q", query.trim());
    const logs = await management("GET", `/logs?${params}`);
    if (mine !== searches) return;
    fill("log-list", logs.map(row), "No log event matches.");
  }

  onSubmit("log-search", (values) => act(() => search(values.q || "")));
  Console.panel("logs", () => search());
})();
