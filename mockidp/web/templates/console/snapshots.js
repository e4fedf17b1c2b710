"use strict";
// Snapshots of this tenant: take one, restore it (the same requests then give the same ids), delete.
(() => {
  const { control, el, act, confirmButton, onSubmit } = Console;
  const { fill } = Lists;

  function row(snapshot) {
    const name = encodeURIComponent(snapshot.name);
    return el("div", { class: "item", "data-testid": "snapshot", "data-name": snapshot.name },
      el("strong", { class: "grow" }, snapshot.name),
      el("span", { class: "muted" }, `clock ${snapshot.clock.now}${snapshot.clock.frozen ? " (frozen)" : ""}`),
      confirmButton("Restore", () => act(async () => {
        await control("POST", `/snapshots/${name}/restore`);
      }, `Restored ${snapshot.name}.`), "snapshot-restore"),
      confirmButton("Delete", () => act(async () => {
        await control("DELETE", `/snapshots/${name}`);
        await load();
      }, `Deleted ${snapshot.name}.`), "snapshot-delete"));
  }

  async function load() {
    const { snapshots } = await control("GET", "/snapshots");
    fill("snapshot-list", snapshots.map(row), "No snapshot yet: take one to come back to this state in milliseconds.");
  }

  onSubmit("snapshot-create", (values, form) => act(async () => {
    await control("POST", "/snapshots", { name: values.name.trim() });
    form.reset();
    await load();
  }, `Snapshot ${values.name.trim()} taken.`));

  Console.panel("snapshots", load);
})();
