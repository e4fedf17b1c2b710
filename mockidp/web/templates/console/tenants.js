"use strict";
// Tenants: the server's list (always /_mock/tenants at the root), create, delete, and switching:
// each tenant has its own console at its own URL, so switching is a link.
(() => {
  const { control, el, act, confirmButton, consoleUrl, onSubmit, tenantName, listenerTenant, serverConsole } = Console;

  function row(tenant) {
    const current = tenant.name === tenantName;
    return el("div", { class: current ? "item current" : "item", "data-testid": "tenant", "data-name": tenant.name },
      el("strong", {}, tenant.name),
      el("span", { class: "grow muted" }, `domain ${tenant.domain}`),
      current ? el("span", { class: "badge good" }, "this console")
        : el("a", { href: consoleUrl(tenant.name), "data-testid": "tenant-open" }, "Open its console"),
      tenant.name === "default" ? null
        : confirmButton("Delete", () => remove(tenant.name), "tenant-delete"));
  }

  async function load() {
    if (listenerTenant) {  // this port serves one tenant: the list lives on the server's console
      document.getElementById("tenant-create").hidden = true;
      document.querySelector("[data-testid=tenant-list]").replaceChildren(el("div", { class: "item current" },
        el("strong", {}, listenerTenant), el("span", { class: "grow muted" }, `on its own port, ${location.host}`),
        serverConsole ? el("a", { href: serverConsole, "data-testid": "server-console" }, "The server's console")
          : null));
      return;
    }
    const { tenants } = await control("GET", "/tenants", undefined, { root: true });
    document.querySelector("[data-testid=tenant-list]").replaceChildren(...tenants.map(row));
  }

  function remove(name) {
    return act(async () => {
      await control("DELETE", `/tenants/${encodeURIComponent(name)}`, undefined, { root: true });
      await load();
    }, `Tenant ${name} deleted.`);
  }

  onSubmit("tenant-create", (values, form) => act(async () => {
    const body = { name: values.name };
    if (values.seed !== "") body.seed = Number(values.seed);
    if (values.fixtures) body.fixtures = [values.fixtures];
    const created = await control("POST", "/tenants", body, { root: true });
    form.reset();
    await load();
    return created;
  }, (created) => `Tenant ${created.name} created: domain ${created.domain}.`));

  document.getElementById("tenant-reset").append(confirmButton("Reset", () => act(async () => {
    await control("POST", "/reset");
  }, `Tenant ${tenantName} reset to its fixtures.`), "tenant-reset"));

  Console.panel("tenants", load);
})();
