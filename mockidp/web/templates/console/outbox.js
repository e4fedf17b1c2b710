"use strict";
// The outbox (what /_mock/outbox.html shows, folded in): delivered emails newest first with their
// rendered HTML in a sandboxed frame (no scripts; links open in the tab), the queue, text messages.
(() => {
  const { control, el, act, confirmButton } = Console;
  const { fill, plural } = Lists;
  const SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox "
    + "allow-top-navigation-by-user-activation";  // no scripts: an email's own JavaScript never runs
  const find = (testid) => document.querySelector(`[data-testid=${testid}]`);

  function framed(html) {
    const base = '<base target="_top">';  // a link inside the email opens in the tab, not the frame
    return html.includes("<head>") ? html.replace("<head>", "<head>" + base) : base + html;
  }

  function message(item, open) {
    const links = (item.links || []).map((link) => el("a", { href: link, "data-testid": "outbox-link" }, link));
    const rows = [["From", item.from], ["To", item.to], ["User", item.user_id], ["Queued", item.queued_at],
                  ["Delivered", item.delivered_at], ["Id", item.id], ["Request", item.request_id]]
      .filter(([, value]) => value)
      .map(([name, value]) => el("tr", {}, el("th", {}, name), el("td", {}, value)));
    if (links.length) rows.push(el("tr", {}, el("th", {}, "Links"), el("td", { class: "links" }, links)));
    const body = el("div", { class: "body" }, el("table", { class: "headers" }, rows));
    if (item.status === "failed") {
      body.append(el("pre", { "data-testid": "outbox-error" }, item.error));
    } else {
      const frame = el("iframe", { class: "email", title: item.subject || "email", loading: "lazy", sandbox: SANDBOX });
      frame.srcdoc = framed(item.html || "");
      const text = el("details", {}, el("summary", { class: "muted" }, "Plain text"), el("pre", {}, item.text || ""));
      body.append(frame, text);
    }
    return el("details", { class: "message", open, "data-testid": "outbox-message", "data-id": item.id },
      el("summary", {},
        el("span", { class: "subject" }, item.subject || "(not rendered)"),
        el("span", { class: "muted" }, item.to),
        el("span", { class: "badge" }, item.template),
        el("span", { class: `badge ${item.status}` }, item.status)),
      body);
  }

  function listing(testid, title, items, line) {
    const box = find(testid);
    box.hidden = items.length === 0;
    const lines = items.map((item) => el("li", {}, line(item)));
    box.replaceChildren(el("h3", {}, `${title} (${items.length})`), el("ul", {}, lines));
  }

  let shown = "";  // what the panel shows, to notice when the mailroom changed
  const fingerprint = (sent, queued) => [...sent.messages, ...queued.messages]
    .map((message) => `${message.id}:${message.status}`).join(",");

  async function load() {
    const [sent, queued, settings] = await Promise.all([
      control("GET", "/outbox"), control("GET", "/email-queue"), control("GET", "/settings")]);
    shown = fingerprint(sent, queued);
    // Text messages exist only where passwordless SMS does; a server without them shows none.
    const texts = await control("GET", "/sms").catch(() => ({ messages: [] }));
    const email = settings.email || {};
    const messages = [...sent.messages].reverse();
    find("outbox-summary").textContent = `${plural(messages.length, "message")} · `
      + `${queued.messages.length} queued · delivery: ${email.delivery || "?"}`;
    document.getElementById("outbox-flush").disabled = queued.messages.length === 0;
    listing("outbox-queue", "Queued", queued.messages, (m) =>
      `${m.template} to ${m.to} · queued ${m.queued_at} · ${m.due_at ? `due ${m.due_at}` : "held until delivered"}`);
    listing("outbox-sms", "Text messages", [...texts.messages].reverse(), (m) => `${m.to} · ${m.sent_at}: ${m.body}`);
    fill("outbox-messages", messages.map((item, index) => message(item, index === 0)),
         "No email yet. Anything mockidp sends appears here.");
  }

  document.getElementById("outbox-flush").addEventListener("click", () => act(async () => {
    const { messages } = await control("POST", "/email-queue/flush");
    await load();
    return messages;
  }, (messages) => `${messages.length} delivered.`));
  document.getElementById("outbox-refresh").addEventListener("click", () => act(load, "Outbox refreshed."));
  document.getElementById("outbox-clear").append(confirmButton("Clear outbox", () => act(async () => {
    const { deleted } = await control("DELETE", "/outbox");
    await load();
    return deleted;
  }, (deleted) => `${deleted} deleted.`), "outbox-clear"));

  // Like the outbox page, keep the panel current while it is on screen: an email the app under
  // test sends appears without a click. Quiet when hidden or when mockidp is not answering.
  setInterval(async () => {
    if (document.getElementById("outbox").hidden || document.visibilityState !== "visible") return;
    try {
      const [sent, queued] = await Promise.all([control("GET", "/outbox"), control("GET", "/email-queue")]);
      if (fingerprint(sent, queued) !== shown) await load();
    } catch (error) { /* keep what is shown */ }
  }, 3000);

  Console.panel("outbox", load);
})();
