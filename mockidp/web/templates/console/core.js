"use strict";
// What every panel shares: which tenant this console drives (from its own URL: /_mock/ is the
// default tenant, /t/{name}/_mock/ a named one), the calls to the control plane and to the
// Management API, building DOM nodes without innerHTML, the status line, and the tabs.
const Console = (() => {
  const path = location.pathname;
  const base = path.slice(0, path.lastIndexOf("/_mock/"));  // "" or "/t/acme"
  // On a tenant's own listener (its own port) the page says which tenant it is and where the
  // server's console is: the tenants are managed there, not on this port.
  const { listenerTenant, serverConsole } = document.body.dataset;
  const tenantName = listenerTenant || (base.startsWith("/t/") ? decodeURIComponent(base.slice(3)) : "default");
  // With --control-token the console is opened once as /_mock/?control_token=...: the server
  // answers with the page again, without the token, and a cookie that every same-origin call
  // here carries (api/posture.py, docs/control-plane.md). No script ever holds the token.
  const panels = {};
  let managementToken = null;

  class ApiError extends Error {
    constructor(status, body) {
      const text = body && typeof body === "object"
        ? [body.error, body.message || body.error_description].filter(Boolean).join(": ")
        : String(body || "");
      super(`${status} ${text}`.trim());
      this.status = status;
      this.body = body;
    }
  }

  async function request(method, url, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {  // no answer the page may read: mockidp stopped, or the browser refused the call
      throw new Error(`No answer from mockidp to ${method} ${url}: it is not running, or the call was refused `
        + "(the control plane answers pages on localhost only: see docs/control-plane.md).");
    }
    const text = await response.text();
    let data = text;
    try { data = text ? JSON.parse(text) : null; } catch (e) { /* not JSON: keep the text */ }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // `root`: the server's own endpoints (/_mock/tenants), not this tenant's.
  function control(method, controlPath, body, { root = false } = {}) {
    return request(method, `${root ? "" : base}/_mock${controlPath}`, body);
  }

  // The Management API with a token from /_mock/console/token; asks again once when it expired
  // (the tenant clock moved past it).
  async function management(method, apiPath, body) {
    for (let attempt = 0; ; attempt++) {
      if (!managementToken) managementToken = (await control("POST", "/console/token")).access_token;
      try {
        return await request(method, `${base}/api/v2${apiPath}`, body, { Authorization: `Bearer ${managementToken}` });
      } catch (error) {
        if (error.status !== 401 || attempt > 0) throw error;
        managementToken = null;
      }
    }
  }

  function consoleUrl(name) {
    return (name === "default" ? "" : `/t/${encodeURIComponent(name)}`) + "/_mock/" + location.hash;
  }

  // el("button", {class: "primary", onclick: f}, "Save"): attributes, handlers and text children.
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function say(message, kind = "ok") {
    const status = document.getElementById("status");
    status.textContent = message;
    status.className = `status ${kind}`;
  }

  // Run an action, say what happened; errors (refusals included) are shown, never thrown away.
  async function act(work, done) {
    try {
      const result = await work();
      if (done) say(typeof done === "function" ? done(result) : done);
      return result;
    } catch (error) {
      say(error.message || String(error), "error");
      return undefined;
    }
  }

  // A destructive button asks once more: the first click arms it, the second acts.
  function confirmButton(label, work, testid) {
    const button = el("button", { type: "button", class: "danger", "data-testid": testid }, label);
    button.addEventListener("click", () => {
      if (!button.classList.contains("confirming")) {
        button.classList.add("confirming");
        button.textContent = `Really ${label.toLowerCase()}?`;
        return;
      }
      button.classList.remove("confirming");
      button.textContent = label;
      work();
    });
    return button;
  }

  function formValues(form) {
    return Object.fromEntries(new FormData(form).entries());
  }

  function onSubmit(id, handler) {
    document.getElementById(id).addEventListener("submit", (event) => {
      event.preventDefault();
      handler(formValues(event.target), event.target);
    });
  }

  function pretty(value) {
    return JSON.stringify(value, null, 2);
  }

  function panel(name, load) {
    panels[name] = load;
  }

  function showPanel() {
    const name = (location.hash || "#tenants").slice(1);
    const current = panels[name] ? name : "tenants";
    for (const section of document.querySelectorAll("section.panel")) section.hidden = section.id !== current;
    for (const link of document.querySelectorAll("nav.tabs a")) {
      if (link.getAttribute("href") === `#${current}`) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    act(panels[current]);
  }

  function start() {
    document.getElementById("current-tenant").textContent = tenantName;
    window.addEventListener("hashchange", showPanel);
    showPanel();
  }

  return { base, tenantName, listenerTenant, serverConsole, control, management, consoleUrl, el, say, act, confirmButton,
           onSubmit, pretty, panel, start, ApiError };
})();
document.addEventListener("DOMContentLoaded", () => Console.start());
