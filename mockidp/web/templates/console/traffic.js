"use strict";
// Latency (the `latency` settings section), fault rules (/_mock/faults) and barriers
// (/_mock/barriers) of this tenant: see them, add them, take them away.
(() => {
  const { control, el, act, onSubmit, pretty } = Console;
  const { fill } = Lists;

  function describeFault(rule) {
    const answer = rule.kind === "status" || !rule.kind ? `answers ${rule.status}` : rule.kind;
    const left = rule.remaining === null || rule.remaining === undefined ? "" : `, ${rule.remaining} left`;
    return `${rule.method} ${rule.path} → ${answer} (fired ${rule.fired} of ${rule.matched}${left})`;
  }

  function faultRow(rule) {
    return el("div", { class: "item", "data-testid": "fault", "data-id": rule.id },
      el("strong", {}, rule.id), el("span", { class: "grow" }, describeFault(rule)),
      el("button", { type: "button", class: "danger", "data-testid": "fault-delete", onclick: () => act(async () => {
        await control("DELETE", `/faults/${rule.id}`);
        await load();
      }, `${rule.id} removed.`) }, "Remove"));
  }

  function barrierRow(barrier) {
    return el("div", { class: "item", "data-testid": "barrier", "data-id": barrier.id },
      el("strong", {}, barrier.id),
      el("span", { class: "grow" }, `${barrier.method} ${barrier.path}: ${barrier.state}, ${barrier.held} held, `
        + `${barrier.released} released, ${barrier.timed_out} timed out`),
      el("button", { type: "button", "data-testid": "barrier-release", onclick: () => act(async () => {
        await control("POST", `/barriers/${barrier.id}/release`, {});
        await load();
      }, `${barrier.id} released.`) }, "Release all"),
      el("button", { type: "button", class: "danger", "data-testid": "barrier-delete", onclick: () => act(async () => {
        await control("DELETE", `/barriers/${barrier.id}`);
        await load();
      }, `${barrier.id} removed (held requests answered 503).`) }, "Remove"));
  }

  // The `rate_limits` section, where this mockidp has one: its buckets, and whether an empty one refuses.
  function showRateLimits(limits) {
    const card = document.getElementById("rate-limits");
    card.hidden = !limits;
    if (!limits) return;
    document.querySelector("[data-testid=rate-limits-state]").textContent = limits.enforce
      ? "Enforced: an empty bucket answers 429." : "Reported only: X-RateLimit-* headers, never a 429.";
    const toggle = document.getElementById("rate-limits-toggle");
    toggle.textContent = limits.enforce ? "Stop enforcing" : "Enforce";
    toggle.dataset.enforce = String(limits.enforce);
    const buckets = Object.entries(limits.buckets || {}).map(([name, bucket]) =>
      el("div", { class: "item", "data-testid": "rate-limit-bucket" }, el("strong", { class: "grow" }, name),
         el("span", { class: "muted" }, `${bucket.limit} requests, ${+bucket.per_second.toPrecision(3)} back a second`)));
    Lists.fill("rate-limit-buckets", buckets, "No bucket.");
  }

  async function load() {
    const [settings, faults, barriers] = await Promise.all([
      control("GET", "/settings"), control("GET", "/faults"), control("GET", "/barriers")]);
    const latency = settings.latency || {};
    document.querySelector("[data-testid=latency-json]").textContent = pretty(latency);
    const form = document.getElementById("latency-form");
    form.default_ms.value = latency.default_ms ?? 0;
    form.default_jitter_ms.value = latency.default_jitter_ms ?? 0;
    showRateLimits(settings.rate_limits);
    fill("fault-list", faults.rules.map(faultRow), "No fault rule.");
    fill("barrier-list", barriers.barriers.map(barrierRow), "No barrier.");
  }

  function patchLatency(latency, message) {
    return act(async () => {
      await control("PATCH", "/settings", { latency });
      await load();
    }, message);
  }

  onSubmit("latency-form", (values) => patchLatency(
    { default_ms: Number(values.default_ms || 0), default_jitter_ms: Number(values.default_jitter_ms || 0) },
    "Latency set."));
  onSubmit("latency-route", (values, form) => act(async () => {
    const { latency } = await control("GET", "/settings");
    const route = { method: values.method.trim() || "*", path: values.path.trim(), ms: Number(values.ms) };
    await control("PATCH", "/settings", { latency: { routes: [...(latency.routes || []), route] } });
    form.reset();
    await load();
  }, `${values.path.trim()} slowed by ${values.ms} ms.`));
  document.getElementById("rate-limits-toggle").addEventListener("click", (event) => {
    const enforce = event.target.dataset.enforce !== "true";
    act(async () => {
      await control("PATCH", "/settings", { rate_limits: { enforce } });
      await load();
    }, enforce ? "Rate limits enforced." : "Rate limits reported only.");
  });
  document.getElementById("latency-clear").addEventListener("click", () => patchLatency(
    { default_ms: 0, default_jitter_ms: 0, routes: [] }, "No latency any more."));

  onSubmit("fault-form", (values) => act(async () => {
    const rule = { method: values.method.trim() || "*", path: values.path.trim(), kind: values.kind };
    if (values.kind !== "drop" && values.status) rule.status = Number(values.status);
    if (values.times) rule.times = Number(values.times);
    const created = await control("POST", "/faults", rule);
    await load();
    return created;
  }, (created) => `${created.id} added.`));
  document.getElementById("faults-clear").addEventListener("click", () => act(async () => {
    await control("DELETE", "/faults");
    await load();
  }, "Every fault rule removed."));

  onSubmit("barrier-form", (values) => act(async () => {
    const barrier = { method: values.method.trim() || "*", path: values.path.trim() };
    const created = await control("POST", "/barriers", barrier);
    await load();
    return created;
  }, (created) => `${created.id} holds ${created.method} ${created.path}.`));
  document.getElementById("barriers-clear").addEventListener("click", () => act(async () => {
    await control("DELETE", "/barriers");
    await load();
  }, "Every barrier removed."));

  Console.panel("traffic", load);
})();
