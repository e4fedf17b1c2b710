"use strict";
// Users: search with the Management API's Lucene syntax (search_engine v3), a user's JSON,
// block/unblock (PATCH blocked) and delete, all through /api/v2 as any client would.
(() => {
  const { management, el, act, confirmButton, onSubmit, pretty } = Console;
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
    document.querySelector("[data-testid=user-list]").replaceChildren(...page.users.map(row));
    document.querySelector("[data-testid=user-total]").textContent =
      `${page.total} user${page.total === 1 ? "" : "s"}${page.total > page.users.length ? ` (first ${page.users.length})` : ""}`;
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
    document.getElementById("user-actions").replaceChildren(block,
      confirmButton("Delete", () => remove(userId), "user-delete"));
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
