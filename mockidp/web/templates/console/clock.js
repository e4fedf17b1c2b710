"use strict";
// The tenant clock: what time it is, freeze/unfreeze, advance by a duration ("90s", "3d",
// "1h30m"; a bare number is seconds), or set an instant.
(() => {
  const { control, act, onSubmit } = Console;
  const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

  // Seconds in "1h30m" / "90s" / "3d" / "45"; null when it is not a duration.
  function parseDuration(text) {
    const trimmed = text.trim().toLowerCase();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
    const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*/g)];
    if (!parts.length || parts.map((part) => part[0]).join("") !== trimmed.replace(/^\s+/, "")) return null;
    return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_SECONDS[unit], 0);
  }

  function render(state) {
    document.querySelector("[data-testid=clock-now]").textContent = state.now;
    document.querySelector("[data-testid=clock-state]").textContent =
      state.frozen ? "Frozen: time stands still until you move it." : "Running: time passes, plus any offset you set.";
    const toggle = document.getElementById("clock-toggle");
    toggle.textContent = state.frozen ? "Unfreeze" : "Freeze";
    toggle.dataset.frozen = String(state.frozen);
    return state;
  }

  async function load() {
    return render(await control("GET", "/clock"));
  }

  document.getElementById("clock-toggle").addEventListener("click", (event) => act(async () =>
    render(await control("PUT", "/clock", { frozen: event.target.dataset.frozen !== "true" })),
  (state) => (state.frozen ? `Clock frozen at ${state.now}.` : "Clock running.")));

  onSubmit("clock-advance", (values) => {
    const seconds = parseDuration(values.duration || "");
    if (seconds === null) {
      Console.say(`"${values.duration}" is not a duration: write 90s, 15m, 3d or 1h30m.`, "error");
      return;
    }
    act(async () => render(await control("POST", "/clock/advance", { seconds })),
        (state) => `Advanced ${seconds} s: now ${state.now}.`);
  });

  onSubmit("clock-set", (values) => act(async () => render(await control("PUT", "/clock", { now: values.now.trim() })),
                                        (state) => `Clock set to ${state.now}.`));

  Console.panel("clock", load);
})();
