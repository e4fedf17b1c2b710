"use strict";
// Users: search with the Management API's Lucene syntax (search_engine v3), a user's JSON,
// block/unblock (PATCH blocked) and delete, all through /api/v2 as any client would.
(() => {
  const { management, el, act, confirmButton, onSubmit, pretty } = Console;
  const { fill, plural } = Lists;
  let lastQuery = "";
  let searches = 0;  // only the latest search may show its answer (the panel's first load may end after it)

  function row(user) {
    return el("div", { class: "item clickable", "data-testid": "user", "data-user-id": user.user_id,
                       onclick: () => act(() => show(user.user_id)) },
      el("strong", { class: "grow" }, user.email || user.username || user.phone_number || user.user_id),
      el("span", { class: "muted" }, user.user_id),
      user.blocked ? el("span", { class: "badge bad" }, "blocked") : null,
      el("span", { class: "badge" }, `${user.logins_count || 0} logins`));
  }

  async function search(query = lastQuery) {
    lastQuery = query;
    const mine = ++searches;
    const params = new URLSearchParams({ per_page: "50", include_totals: "true", search_engine: "v3" });
    if (query.trim()) params.set("q", query.trim());
    const page = await management("GET", `/users?${params}`);
    if (mine !== searches) return;
    fill("user-list", page.users.map(row), "No user matches.");
    const partial = page.total > page.users.length ? ` (the first ${page.users.length} shown)` : "";
    document.querySelector("[data-testid=user-total]").textContent = plural(page.total, "user") + partial;
  }

  async function show(userId) {
    const user = await management("GET", `/users/${encodeURIComponent(userId)}`);
    const detail = document.getElementById("user-detail");
    detail.hidden = false;
    detail.dataset.userId = userId;
    document.getElementById("user-title").textContent = user.email || user.user_id;
    detail.querySelector("pre").textContent = pretty(user);
    const block = el("button", { type: "button", "data-testid": "user-block",
                                 onclick: () => setBlocked(userId, !user.blocked) },
      user.blocked ? "Unblock" : "Block");
    const journal = el("button", { type: "button", "data-testid": "user-journal", onclick: () => requestsOf(userId) },
      "Their requests");
    document.getElementById("user-actions").replaceChildren(block, journal,
      confirmButton("Delete", () => remove(userId), "user-delete"));
  }

  // The journal panel, filtered by this user.
  function requestsOf(userId) {
    const filter = document.getElementById("journal-filter");
    filter.elements.user.value = userId;
    filter.requestSubmit();
    location.hash = "#journal";
  }

  function setBlocked(userId, blocked) {
    return act(async () => {
      await management("PATCH", `/users/${encodeURIComponent(userId)}`, { blocked });
      await Promise.all([show(userId), search()]);
    }, `${userId} ${blocked ? "blocked" : "unblocked"}.`);
  }

  function remove(userId) {
    return act(async () => {
      await management("DELETE", `/users/${encodeURIComponent(userId)}`);
      document.getElementById("user-detail").hidden = true;
      await search();
    }, `${userId} deleted.`);
  }

  onSubmit("user-search", (values) => act(() => search(values.q || "")));
  Console.panel("users", () => search());
})();
