"""The dev console at /_mock/ in a real browser (Playwright driving Debian's chromium): each panel
does one real thing a developer would do, and the server's state is checked through the API;
a named tenant's console, the outbox on a 375 px screen, a console opened with the control
token, and a copy of the console on a foreign origin that the control plane refuses."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from action_helpers import install_action, management_sdk
from browser_helpers import WAIT_MS, launched_chromium, needs_chromium
from conftest import Api, new_user
from email_helpers import change_password, email_settings
from oauth_helpers import WEB_ID

from mockidp.testing import MockIdPServer

pytestmark = needs_chromium

PANELS = ("tenants", "users", "outbox", "journal", "logs", "clock", "traffic", "snapshots")
PHONE = {"width": 375, "height": 812}
GREETER = """
exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setUserMetadata('greeted', true);
};
"""
EVIL_HOST = "evil.example"
# What shows once each panel has loaded, to measure it filled.
PHONE_PANELS = {"tenants": "tenant", "users": "user", "journal": "journal-entry", "logs": "log",
                "clock": "clock-now", "traffic": "fault-list-empty", "snapshots": "snapshot-list-empty"}


@pytest.fixture(scope="module")
def chromium():
    """One chromium for the module, in which evil.example resolves to this machine: a foreign
    site on loopback, so that what refuses its calls is mockidp's control plane, not the
    browser's own block on public sites calling local ones."""
    with launched_chromium((f"--host-resolver-rules=MAP {EVIL_HOST} 127.0.0.1",)) as browser:
        yield browser


@contextmanager
def foreign_site(html: str) -> Iterator[str]:
    """http://evil.example:<port> serving `html` at every path, for the duration of the block."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{EVIL_HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(chromium, tmp_path):
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    yield tab
    tab.screenshot(path=str(tmp_path / "last.png"), full_page=True)  # kept by pytest for a look after a failure
    context.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=WAIT_MS)  # a loaded CI machine: the same patience as the pages
    return playwright_expect(locator)


def open_console(page, base_url: str, panel: str, query: str = ""):
    page.goto(f"{base_url}/_mock/{query}#{panel}")
    expect(page.get_by_test_id("mock-banner")).to_be_visible()
    return page


def said(page, text: str) -> None:
    """The status line ends an action: wait for it, and fail on an error it reports."""
    status = page.get_by_test_id("status")
    expect(status).to_contain_text(text)
    assert "error" not in (status.get_attribute("class") or ""), status.inner_text()


def control(base_url: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{base_url}/_mock{path}", timeout=30, **kwargs)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def server_root(mockidp) -> str:
    return mockidp.url.split("/t/", 1)[0]  # under --mockidp-url the session is itself a named tenant


def test_every_panel_says_it_is_a_mock_and_the_clock_freezes_and_advances(mockidp, page):
    open_console(page, mockidp.url, "tenants")
    assert page.title().startswith("MOCK")
    for panel in PANELS:
        page.locator(f"nav.tabs a[href='#{panel}']").click()
        expect(page.locator(f"section#{panel}")).to_be_visible()
        expect(page.get_by_test_id("mock-banner")).to_be_in_viewport()
        expect(page.get_by_test_id("mock-banner")).to_contain_text("MOCK")

    page.locator("nav.tabs a[href='#clock']").click()
    expect(page.get_by_test_id("clock-now")).not_to_be_empty()
    if page.locator("#clock-toggle").inner_text() == "Unfreeze":  # a fixture may start it frozen
        page.click("#clock-toggle")
        said(page, "Clock running")
    page.click("#clock-toggle")
    said(page, "Clock frozen at")
    frozen = mockidp.clock()
    assert frozen["frozen"] is True

    page.get_by_label("Duration").fill("3d")
    page.get_by_role("button", name="Advance").click()
    said(page, "Advanced 259200 s")
    assert instant(mockidp.clock()["now"]) - instant(frozen["now"]) == timedelta(days=3)

    page.get_by_label("Duration").fill("1h30m")
    page.get_by_role("button", name="Advance").click()
    said(page, "Advanced 5400 s")
    page.get_by_label("Duration").fill("3 fortnights")
    page.get_by_role("button", name="Advance").click()
    expect(page.get_by_test_id("status")).to_contain_text("is not a duration")
    assert instant(mockidp.clock()["now"]) - instant(frozen["now"]) == timedelta(days=3, minutes=90)

    page.locator("nav.tabs a[href='#users']").click()  # its Management token expired 3 days ago
    expect(page.get_by_test_id("user")).not_to_have_count(0)

    page.locator("nav.tabs a[href='#clock']").click()
    page.click("#clock-toggle")
    said(page, "Clock running")
    assert mockidp.clock()["frozen"] is False


def test_users_search_block_unblock_and_delete(mockidp, api, page):
    carol = new_user(api, email="carol.console@example.com")
    open_console(page, mockidp.url, "users")
    page.get_by_label("User search").fill('email:"carol.console@example.com"')
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("user")).to_have_count(1)
    expect(page.get_by_test_id("user-total")).to_have_text("1 user")

    page.get_by_test_id("user").click()
    expect(page.get_by_test_id("user-json")).to_contain_text(carol["user_id"])
    page.get_by_test_id("user-block").click()
    said(page, f"{carol['user_id']} blocked")
    assert api.get(f"/api/v2/users/{carol['user_id']}").json()["blocked"] is True
    expect(page.get_by_test_id("user").locator(".badge.bad")).to_have_text("blocked")

    page.get_by_test_id("user-block").click()
    said(page, f"{carol['user_id']} unblocked")
    assert api.get(f"/api/v2/users/{carol['user_id']}").json()["blocked"] is False

    page.get_by_test_id("user-journal").click()  # the journal, filtered by carol
    expect(page.locator("section#journal")).to_be_visible()
    theirs = control(mockidp.url, "GET", "/journal", params={"user": carol["user_id"]}).json()["entries"]
    assert {e["method"] for e in theirs} >= {"PATCH"}  # the block and unblock
    page.wait_for_function("ids => JSON.stringify([...document.querySelectorAll('[data-testid=journal-entry]')]"
                           ".map(row => row.dataset.id)) === JSON.stringify(ids)",
                           arg=[e["id"] for e in reversed(theirs)])
    page.locator("nav.tabs a[href='#users']").click()

    delete = page.get_by_test_id("user-delete")
    delete.click()  # arms it
    assert api.get(f"/api/v2/users/{carol['user_id']}").status_code == 200
    delete.click()
    said(page, f"{carol['user_id']} deleted")
    assert api.get(f"/api/v2/users/{carol['user_id']}").status_code == 404
    expect(page.get_by_test_id("user")).to_have_count(0)


def test_a_named_tenant_has_its_own_console(mockidp, page):
    name = f"console-{os.getpid()}"
    root = server_root(mockidp)
    open_console(page, root, "tenants")
    page.get_by_label("Tenant name").fill(name)
    page.get_by_label("Fixtures").select_option("default")
    page.get_by_role("button", name="Create tenant").click()
    said(page, f"Tenant {name} created")
    named_url = control(root, "GET", f"/tenants/{name}").json()["url"]
    try:
        page.locator(f"[data-testid=tenant][data-name={name}] [data-testid=tenant-open]").click()
        page.wait_for_url(f"**/t/{name}/_mock/#tenants")
        expect(page.get_by_test_id("current-tenant")).to_have_text(name)

        page.locator("nav.tabs a[href='#users']").click()
        page.get_by_label("User search").fill('email:"alice@example.com"')
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_test_id("user")).to_have_count(1)
        page.get_by_test_id("user").click()
        page.get_by_test_id("user-block").click()
        said(page, "blocked")
        named_api = Api(named_url, mockidp.management_token(base_url=named_url))
        [alice] = named_api.get("/api/v2/users-by-email", params={"email": "alice@example.com"}).json()
        assert alice["blocked"] is True
        default_api = Api(root, mockidp.management_token(base_url=root))
        [home_alice] = default_api.get("/api/v2/users-by-email", params={"email": "alice@example.com"}).json()
        assert home_alice.get("blocked") is not True  # the default tenant's alice is someone else

        page.locator("nav.tabs a[href='#tenants']").click()
        reset = page.get_by_test_id("tenant-reset")
        reset.click()
        reset.click()
        said(page, f"Tenant {name} reset")
        assert named_api.get(f"/api/v2/users/{alice['user_id']}").json().get("blocked") is not True

        page.locator("[data-testid=tenant][data-name=default] [data-testid=tenant-open]").click()
        page.wait_for_url(f"{root}/_mock/#tenants")
        expect(page.get_by_test_id("current-tenant")).to_have_text("default")
        delete = page.locator(f"[data-testid=tenant][data-name={name}] [data-testid=tenant-delete]")
        delete.click()
        delete.click()
        said(page, f"Tenant {name} deleted")
        assert control(root, "GET", f"/tenants/{name}").status_code == 404
    finally:
        control(root, "DELETE", f"/tenants/{name}")


def test_a_listener_tenants_console_drives_that_tenant(mockidp, page):
    """On a tenant's own port the console is that tenant's, at the root; the tenants are managed
    on the server's console, which it links to."""
    named = mockidp.new_tenant(f"console-listener-{os.getpid()}", listener=True)
    try:
        named.freeze("2033-03-03T00:00:00Z")
        open_console(page, named.url, "tenants")
        expect(page.get_by_test_id("current-tenant")).to_have_text(named.name)
        expect(page.get_by_test_id("tenant-list")).to_contain_text("on its own port")
        assert page.get_by_test_id("server-console").get_attribute("href") == f"{server_root(mockidp)}/_mock/"
        page.locator("nav.tabs a[href='#clock']").click()
        expect(page.get_by_test_id("clock-now")).to_contain_text("2033-03-03")
        page.click("#clock-toggle")  # unfreeze, on this tenant only
        said(page, "Clock running")
        assert named.clock()["frozen"] is False and mockidp.clock()["frozen"] is False
        page.locator("nav.tabs a[href='#users']").click()
        page.get_by_label("User search").fill('email:"alice@example.com"')
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_test_id("user")).to_have_count(1)  # through its own Management API
    finally:
        named.stop()


def test_the_outbox_on_a_narrow_screen(mockidp, anonymous, page):
    page.set_viewport_size(PHONE)
    email_settings(anonymous, delivery="manual")
    assert change_password(anonymous, "alice@example.com").status_code == 200
    open_console(page, mockidp.url, "outbox")
    expect(page.get_by_test_id("outbox-queue")).to_contain_text("alice@example.com")
    expect(page.get_by_test_id("outbox-messages-empty")).to_be_visible()

    page.get_by_role("button", name="Deliver queued now").click()
    said(page, "1 delivered")
    [delivered] = mockidp.outbox()
    assert delivered["to"] == "alice@example.com" and delivered["status"] == "delivered"
    message = page.get_by_test_id("outbox-message")
    expect(message).to_have_attribute("data-id", delivered["id"])
    frame = page.frame_locator("iframe.email").first
    expect(frame.get_by_role("heading", name="Reset your password")).to_be_visible()
    expect(page.get_by_test_id("outbox-link").first).to_have_attribute("href", delivered["links"][0])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(f"{mockidp.url}/_mock/outbox.html")  # the standalone page fits too
    expect(page.get_by_test_id("message")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    open_console(page, mockidp.url, "outbox")
    clear = page.get_by_test_id("outbox-clear")
    clear.click()
    clear.click()
    said(page, "1 deleted")
    assert mockidp.outbox() == []
    expect(page.get_by_test_id("outbox-messages-empty")).to_be_visible()

    email_settings(anonymous, delivery="immediate")
    assert change_password(anonymous, "bob@example.com").status_code == 200  # the app under test sends one
    expect(page.get_by_test_id("outbox-message")).to_contain_text("bob@example.com")  # no click: the panel follows

    for panel, shown in PHONE_PANELS.items():  # the other panels fit the phone too, once filled
        page.locator(f"nav.tabs a[href='#{panel}']").click()
        expect(page.get_by_test_id(shown).first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], panel


def test_the_journal_shows_each_requests_effects(mockidp, anonymous, page):
    response = change_password(anonymous, "alice@example.com")
    request_id = response.headers["x-mockidp-request-id"]
    [entry] = [e for e in control(mockidp.url, "GET", "/journal").json()["entries"] if e["id"] == request_id]
    assert entry["emails"] and entry["logs"]

    open_console(page, mockidp.url, "journal")
    page.get_by_label("Path prefix").fill("/dbconnections/")
    page.get_by_role("button", name="Filter").click()
    row = page.locator(f"[data-testid=journal-entry][data-id={request_id}]")
    expect(row.get_by_test_id("effect-email")).to_have_text(f"email {entry['emails'][0]}")
    expect(row.get_by_test_id("effect-log")).to_have_text([f"log {log_id}" for log_id in entry["logs"]])
    row.click()
    expect(row.get_by_test_id("journal-effects")).to_contain_text("reset_email to alice@example.com")
    expect(row.get_by_test_id("journal-effects")).to_contain_text(f"log {entry['logs'][0]}: ")

    alice_id = mockidp.outbox()[0]["user_id"]
    bob_id = Api(mockidp.url, mockidp.management_token()).get(
        "/api/v2/users-by-email", params={"email": "bob@example.com"}).json()[0]["user_id"]
    looked_up = {user_id: Api(mockidp.url, mockidp.management_token()).get(f"/api/v2/users/{user_id}")
                 .headers["x-mockidp-request-id"] for user_id in (alice_id, bob_id)}
    page.get_by_label("Path prefix").fill("")
    page.get_by_label("User", exact=True).fill(alice_id)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f"[data-testid=journal-entry][data-id={looked_up[alice_id]}]")).to_be_visible()
    expect(page.locator(f"[data-testid=journal-entry][data-id={looked_up[bob_id]}]")).to_have_count(0)

    clear = page.get_by_test_id("journal-clear")
    clear.click()
    clear.click()
    said(page, "entries deleted")
    remaining = control(mockidp.url, "GET", "/journal").json()["entries"]
    assert request_id not in {e["id"] for e in remaining}
    expect(page.get_by_test_id("journal-entry")).to_have_count(0)


def test_the_journal_names_the_actions_a_request_ran(mockidp, monkeypatch, page):
    install_action(management_sdk(mockidp, monkeypatch), "console-greeter", GREETER,
                   trigger="pre-user-registration", version="v2")
    signup = requests.post(f"{mockidp.url}/dbconnections/signup", timeout=30, json={
        "client_id": WEB_ID, "connection": "Username-Password-Authentication",
        "email": "frank.console@example.com", "password": "Sign-up-pass-1!"})
    assert signup.status_code == 200, signup.text
    request_id = signup.headers["x-mockidp-request-id"]
    [entry] = control(mockidp.url, "GET", "/journal", params={"path": "/dbconnections/signup"}).json()["entries"]
    if "actions" not in entry:
        pytest.skip("this mockidp's journal does not record Action executions yet (branch harness)")
    [execution_id] = entry["actions"]

    open_console(page, mockidp.url, "journal")
    row = page.locator(f"[data-testid=journal-entry][data-id={request_id}]")
    expect(row.get_by_test_id("effect-action")).to_have_text(f"action {execution_id}")
    row.click()
    expect(row.get_by_test_id("journal-effects")).to_contain_text(
        f"action {execution_id}: console-greeter on pre-user-registration, final")
    clear = page.get_by_test_id("journal-clear")
    clear.click()
    clear.click()
    said(page, "entries deleted")
    assert request_id not in {e["id"] for e in control(mockidp.url, "GET", "/journal").json()["entries"]}


def test_logs_show_what_the_console_did(mockidp, api, page):
    dave = new_user(api, email="dave.console@example.com")
    open_console(page, mockidp.url, "users")
    page.get_by_label("User search").fill('email:"dave.console@example.com"')
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("user")).to_have_count(1)
    page.get_by_test_id("user").click()
    page.get_by_test_id("user-block").click()
    said(page, "blocked")
    assert api.get(f"/api/v2/users/{dave['user_id']}").json()["blocked"] is True

    page.locator("nav.tabs a[href='#logs']").click()
    page.get_by_label("Log search").fill("type:sapi")
    page.get_by_role("button", name="Search").click()
    logs = api.get("/api/v2/logs", params={"q": "type:sapi", "sort": "date:-1", "per_page": 100}).json()
    page.wait_for_function("ids => JSON.stringify([...document.querySelectorAll('[data-testid=log]')]"
                           ".map(row => row.dataset.logId)) === JSON.stringify(ids)",
                           arg=[log["log_id"] for log in logs])
    assert logs[0]["description"] == "Update a User" and logs[0]["client_id"] == "mockidp-console"


def test_latency_faults_and_barriers(mockidp, page):
    open_console(page, mockidp.url, "traffic")
    page.get_by_label("Default latency ms").fill("5")
    page.get_by_role("button", name="Set latency").click()
    said(page, "Latency set")
    assert mockidp.control("GET", "/settings")["latency"]["default_ms"] == 5
    page.get_by_label("Route path").fill("/oauth/token")
    page.get_by_label("Route ms").fill("7")
    page.get_by_role("button", name="Slow this route").click()
    said(page, "/oauth/token slowed by 7 ms")
    latency = mockidp.control("GET", "/settings")["latency"]
    assert latency["default_ms"] == 5 and [(r["path"], r["ms"]) for r in latency["routes"]] == [("/oauth/token", 7)]
    page.get_by_role("button", name="No latency").click()
    said(page, "No latency any more")
    assert mockidp.control("GET", "/settings")["latency"] == {"default_ms": 0, "default_jitter_ms": 0, "routes": []}

    page.get_by_role("button", name="Enforce").click()
    said(page, "Rate limits enforced")
    assert mockidp.control("GET", "/settings")["rate_limits"]["enforce"] is True
    page.get_by_role("button", name="Stop enforcing").click()
    said(page, "Rate limits reported only")
    assert mockidp.control("GET", "/settings")["rate_limits"]["enforce"] is False

    page.get_by_label("Fault method").fill("GET")
    page.get_by_label("Fault path").fill("/api/v2/users/*")
    page.get_by_label("Fault status").fill("429")
    page.get_by_label("Fault times").fill("2")
    page.get_by_role("button", name="Add fault").click()
    said(page, "added")
    [rule] = mockidp.control("GET", "/faults")["rules"]
    assert (rule["method"], rule["path"], rule["status"], rule["times"]) == ("GET", "/api/v2/users/*", 429, 2)
    expect(page.get_by_test_id("fault")).to_contain_text("answers 429")
    page.get_by_test_id("fault-delete").click()
    said(page, "removed")
    assert mockidp.control("GET", "/faults")["rules"] == []

    page.get_by_label("Barrier path").fill("/dbconnections/change_password")
    page.get_by_role("button", name="Add barrier").click()
    said(page, "holds POST /dbconnections/change_password")
    [barrier] = mockidp.control("GET", "/barriers")["barriers"]
    assert barrier["state"] == "holding"
    page.get_by_test_id("barrier-release").click()
    said(page, "released")
    assert mockidp.control("GET", f"/barriers/{barrier['id']}")["state"] != "holding"
    page.get_by_test_id("barrier-delete").click()
    said(page, "removed")
    assert mockidp.control("GET", "/barriers")["barriers"] == []


def test_snapshots_take_restore_and_delete(mockidp, api, page):
    open_console(page, mockidp.url, "snapshots")
    page.get_by_label("Snapshot name").fill("before-erin")
    page.get_by_role("button", name="Take snapshot").click()
    said(page, "Snapshot before-erin taken")
    assert [s["name"] for s in mockidp.control("GET", "/snapshots")["snapshots"]] == ["before-erin"]

    erin = new_user(api, email="erin.console@example.com")
    restore = page.get_by_test_id("snapshot-restore")
    restore.click()
    restore.click()
    said(page, "Restored before-erin")
    assert Api(mockidp.url, mockidp.management_token()).get(f"/api/v2/users/{erin['user_id']}").status_code == 404

    delete = page.get_by_test_id("snapshot-delete")
    delete.click()
    delete.click()
    said(page, "Deleted before-erin")
    assert mockidp.control("GET", "/snapshots")["snapshots"] == []


def test_a_console_on_a_foreign_origin_is_refused(mockidp, page):
    """A copy of the console served by another site (evil.example, on this machine), its calls
    aimed at mockidp: the browser sends that site's Origin and the control plane refuses every
    call, so nothing is created. Opened through the rebound name itself, the console is refused."""
    root = server_root(mockidp)
    html = requests.get(f"{root}/_mock/", timeout=30).text
    before = {t["name"] for t in control(root, "GET", "/tenants").json()["tenants"]}
    control(root, "DELETE", "/journal")
    with foreign_site(html.replace("<head>", f'<head><base href="{root}/">', 1)) as site:
        page.goto(f"{site}/_mock/#tenants")
        expect(page.get_by_test_id("status")).to_contain_text("refused")  # even the tenant list
        page.get_by_label("Tenant name").fill("evil")
        page.get_by_role("button", name="Create tenant").click()
        expect(page.get_by_test_id("tenant-list").get_by_test_id("tenant")).to_have_count(0)

    assert {t["name"] for t in control(root, "GET", "/tenants").json()["tenants"]} == before
    refused = control(root, "GET", "/journal", params={"path": "/_mock/tenants", "status": "403"}).json()["entries"]
    assert {e["method"] for e in refused} >= {"GET", "OPTIONS"}  # the list, and the creation's preflight
    assert {e["response"]["body"]["error"] for e in refused} == {"forbidden_origin"}

    rebound = page.goto(root.replace("localhost", EVIL_HOST).replace("127.0.0.1", EVIL_HOST) + "/_mock/")
    assert rebound.status == 403 and "forbidden_host" in page.content()


def test_a_console_opened_with_the_control_token(monkeypatch, tmp_path, page):
    monkeypatch.setenv("MOCKIDP_CONTROL_TOKEN", "console-s3cret")
    server = MockIdPServer(cert_dir=tmp_path, tls=False)
    try:
        assert control(server.url, "GET", "/").status_code == 401  # without it, not even the page
        open_console(page, server.url, "clock", "?control_token=console-s3cret")
        assert "control_token" not in page.url and page.url.endswith("/_mock/#clock")  # kept in a cookie
        expect(page.get_by_test_id("clock-now")).not_to_be_empty()
        before = server.clock()["frozen"]
        page.click("#clock-toggle")
        said(page, "Clock")
        assert server.clock()["frozen"] is (not before)
        page.locator("nav.tabs a[href='#users']").click()
        expect(page.get_by_test_id("user")).not_to_have_count(0)
        page.locator("nav.tabs a[href='#outbox']").click()
        with page.expect_navigation(url=f"{server.url}/_mock/outbox.html"):  # its links need no token
            page.locator("#outbox-page").click()
        assert page.title().startswith("Outbox")
    finally:
        server.stop()
