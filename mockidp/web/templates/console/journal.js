"use strict";
// The journal: every request the tenant served, newest first, with what it caused: the emails it
// queued (outbox ids), the log events it wrote (log ids) and, where this mockidp records them, the
// Action executions it ran. Opening an entry shows its bodies and resolves each effect.
(() => {
  const { control, management, el, act, confirmButton, onSubmit, pretty } = Console;
  const { fill, plural } = Lists;
  const SHOWN = 200;
  const CONTROL_PATH = /^(\/t\/[^/]+)?\/_mock\//;
  let filters = { hide_control: "on" };

  // Which field holds Action executions depends on the mockidp version; absent means none recorded.
  const executionsOf = (entry) => entry.actions || entry.executions || entry.action_executions || [];
  const idOf = (effect) => (typeof effect === "object" && effect ? effect.id || effect.execution_id : effect);

  async function entries() {
    const params = new URLSearchParams();
    for (const name of ["path", "method", "status", "user"]) if (filters[name]) params.set(name, filters[name].trim());
    let note = "";
    let found;
    try {
      found = (await control("GET", `/journal?${params}`)).entries;
    } catch (error) {
      if (!(filters.user && error.status === 400 && /user/.test(error.message))) throw error;
      // An older mockidp without the `user` filter: match the user's id anywhere in the entry.
      params.delete("user");
      found = (await control("GET", `/journal?${params}`)).entries
        .filter((entry) => JSON.stringify(entry).includes(filters.user.trim()));
      note = "This mockidp has no user filter: showing entries that mention the user anywhere.";
    }
    if (filters.hide_control) found = found.filter((entry) => !CONTROL_PATH.test(entry.path));
    return { found, note };
  }

  function chips(entry) {
    const list = [
      ...entry.emails.map((id) => el("span", { class: "effect", "data-testid": "effect-email" }, `email ${id}`)),
      ...(entry.logs || []).map((id) => el("span", { class: "effect", "data-testid": "effect-log" }, `log ${id}`)),
      ...executionsOf(entry).map((effect) => el("span", { class: "effect", "data-testid": "effect-action" },
                                                `action ${idOf(effect)}`)),
    ];
    return el("span", { class: "effects" }, list);
  }

  async function effectLines(entry) {
    const lines = [];
    for (const id of entry.emails) {
      const line = await control("GET", `/outbox/${encodeURIComponent(id)}`)
        .then((m) => `email ${id}: ${m.template} to ${m.to}, "${m.subject || ""}" (${m.status})`)
        .catch(() => `email ${id}: no longer in the outbox`);
      lines.push(line);
    }
    for (const id of entry.logs || []) {
      const line = await management("GET", `/logs/${encodeURIComponent(id)}`)
        .then((log) => `log ${id}: ${log.type} ${log.description || ""}`)
        .catch(() => `log ${id}: not found`);
      lines.push(line);
    }
    const wanted = executionsOf(entry).map(idOf);
    if (wanted.length) {
      const { executions } = await control("GET", "/actions/executions");
      for (const id of wanted) {
        const run = executions.find((execution) => execution.id === id);
        lines.push(run ? `action ${id}: ${run.action_name} on ${run.trigger_id}, ${run.status}` : `action ${id}`);
      }
    }
    return lines;
  }

  const opened = new Set();  // the ids of the entries whose details are shown

  function row(entry) {
    const detail = el("div", { hidden: true, class: "detail", "data-testid": "journal-detail" });
    const item = el("div", { class: "item clickable", "data-testid": "journal-entry", "data-id": entry.id },
      el("span", { class: "muted" }, entry.id),
      el("span", { class: `badge s${String(entry.status)[0]}` }, String(entry.status)),
      el("strong", { class: "grow" }, `${entry.method} ${entry.path}`),
      el("span", { class: "muted" }, `${entry.time} · ${entry.duration_ms} ms`),
      entry.user_id ? el("span", { class: "badge", "data-testid": "journal-user" }, entry.user_id) : null,
      chips(entry), detail);
    const show = () => act(async () => {
      const lines = await effectLines(entry);
      detail.replaceChildren(
        el("ul", { "data-testid": "journal-effects" }, (lines.length ? lines : ["no emails, logs or Actions"])
          .map((line) => el("li", {}, line))),
        el("pre", {}, pretty({ query: entry.query, client_id: entry.client_id, user_id: entry.user_id,
                               request: entry.request, response: entry.response })));
      detail.hidden = false;
    });
    item.addEventListener("click", (event) => {
      if (detail.contains(event.target)) return;  // selecting text in the bodies keeps them open
      if (!detail.hidden) { detail.hidden = true; opened.delete(entry.id); return; }
      opened.add(entry.id);
      show();
    });
    // A reload (a filter, a refresh) rebuilds the rows: an entry opened before stays open.
    if (opened.has(entry.id)) show();
    return item;
  }

  let loads = 0;  // only the latest load may show its answer (a filter may be sent before the first ends)

  async function load() {
    const mine = ++loads;
    const { found, note } = await entries();
    if (mine !== loads) return;
    const newest = found.slice(-SHOWN).reverse();
    const latest = found.length > SHOWN ? `, the latest ${SHOWN} shown` : "";
    const summary = note || plural(found.length, "entry", "entries") + latest;
    document.querySelector("[data-testid=journal-note]").textContent = summary;
    fill("journal-list", newest.map(row), "No request matches.");
  }

  onSubmit("journal-filter", (values) => { filters = values; act(load); });
  document.getElementById("journal-clear").append(confirmButton("Clear", () => act(async () => {
    const { deleted } = await control("DELETE", "/journal");
    await load();
    return deleted;
  }, (deleted) => `${deleted} entries deleted.`), "journal-clear"));

  Console.panel("journal", load);
})();
