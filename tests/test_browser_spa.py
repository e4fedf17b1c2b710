"""A real single-page application against mockidp: @auth0/auth0-spa-js (from npm, pinned in
tests/spa/package.json) on a page served from another origin, driven by Playwright in Debian's
chromium. Login through the hosted page, back with tokens, silent authentication
(response_mode=web_message in a hidden iframe), logout, and login_required afterwards.

The page runs on http://localhost:<port> and mockidp on http://localhost:<other port>: two origins
of the same site, which is what lets the SameSite=Lax session cookie (plain http) reach the
silent-auth iframe. Skipped only when /usr/bin/chromium is missing.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from browser_helpers import WAIT_MS, needs_chromium, wait_for_status
from npm_packages import ensure_installed

from mockidp.testing import (
    DEFAULT_M2M_CLIENT_ID,
    DEFAULT_M2M_CLIENT_SECRET,
    MockIdPServer,
)

SPA_DIR = Path(__file__).resolve().parent / "spa"
SPA_BUILD = SPA_DIR / "node_modules" / "@auth0" / "auth0-spa-js" / "dist" / "auth0-spa-js.production.js"
CLIENT_ID = "browserSpaClient0000000000000000"

pytestmark = needs_chromium


@pytest.fixture(scope="session")
def spa_build() -> Path:
    """auth0-spa-js's UMD build, installed from npm on first use (`npm ci`, lock file pinned)."""
    ensure_installed(SPA_DIR, SPA_BUILD)
    return SPA_BUILD


class SpaSite:
    """The test page on its own origin: index.html for / and /callback, the SDK, and config.js."""

    def __init__(self, build: Path):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                if path in ("/", "/callback"):
                    site.send(self, (SPA_DIR / "index.html").read_bytes(), "text/html")
                elif path == "/auth0-spa-js.production.js":
                    site.send(self, build.read_bytes(), "text/javascript")
                elif path == "/config.js":
                    site.send(self, site.config_js.encode(), "text/javascript")
                else:
                    self.send_error(404)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        self.config_js = ""
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, body: bytes, content_type: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", f"{content_type}; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        handler.wfile.write(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def fixture_for(origin: str) -> str:
    return f"""
clients:
  - name: Browser SPA
    app_type: spa
    client_id: {CLIENT_ID}
    callbacks: ["{origin}/callback", "{origin}"]
    allowed_logout_urls: ["{origin}"]
    web_origins: ["{origin}"]
    allowed_origins: ["{origin}"]
    grant_types: [authorization_code, refresh_token]
  - name: Log reader
    app_type: non_interactive
    client_id: {DEFAULT_M2M_CLIENT_ID}
    client_secret: {DEFAULT_M2M_CLIENT_SECRET}
    grant_types: [client_credentials]
clientGrants:
  - client_id: Log reader
    audience: https://##AUTH0_DOMAIN##/api/v2/
    scope: [read:logs]
connections:
  - name: Username-Password-Authentication
    strategy: auth0
    enabled_clients: [Browser SPA]
    options: {{passwordPolicy: good}}
users:
  - email: alice@example.com
    password: Passw0rd!alice
    email_verified: true
    name: Alice Example
"""


@pytest.fixture(scope="module", params=["default", "named", "listener"])
def spa(request, spa_build, tmp_path_factory):
    """The page and its tenant: a server's default tenant, or a named tenant of a server, served
    under /t/spa-tenant/ (the SDK's `domain` is then `http://localhost:<port>/t/spa-tenant`;
    the page is unchanged), or on a listener of its own (`http://localhost:<its port>`)."""
    site = SpaSite(spa_build)
    fixture = tmp_path_factory.mktemp("spa") / "tenant.yaml"
    fixture.write_text(fixture_for(site.origin))
    if request.param == "default":
        host = server = MockIdPServer(fixtures=[fixture], tls=False)
    elif request.param == "named":
        host = MockIdPServer(tls=False)
        server = host.new_tenant("spa-tenant", fixtures=[fixture])
        assert server.url == f"{host.url}/t/spa-tenant"
    else:
        host = MockIdPServer(tls=False)
        server = host.new_tenant("spa-tenant", fixtures=[fixture], listener=True)
        assert "/t/" not in server.url and server.url != host.url
    site.config_js = f'window.MOCKIDP = {{domain: "{server.url}", clientId: "{CLIENT_ID}"}};'
    yield site, server
    if server is not host:
        server.stop()
    host.stop()
    site.stop()


def app_call(page, expression: str):
    """Await `expression` on the page's auth0 client (`c`); errors come back as {error: ...}."""
    return page.evaluate(f"""async () => {{
        const c = await window.app;
        try {{ return {{ok: await ({expression})}}; }}
        catch (e) {{ return {{error: e.error || String(e), description: e.error_description || e.message}}; }}
    }}""")


def log_types(server: MockIdPServer) -> list[str]:
    """The tenant log's event types, oldest first (read through the Management API)."""
    token = server.management_token()
    events = requests.get(f"{server.url}/api/v2/logs", headers={"Authorization": f"Bearer {token}"},
                          params={"sort": "date:1"}, timeout=30).json()
    return [event["type"] for event in events if event["type"] != "seccft"]  # not the token above


def test_login_silent_auth_and_logout_with_auth0_spa_js(spa, chromium):
    site, server = spa
    server.reset()
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(site.origin)
        wait_for_status(page, "anonymous")

        # loginWithRedirect: /authorize sends the browser to the hosted login page.
        page.evaluate("() => { window.app.then((c) => c.loginWithRedirect()); }")
        page.wait_for_url(f"{server.url}/u/login?state=*")
        assert page.locator("h1").inner_text() == "Welcome"
        page.screenshot(path="/tmp/mockidp-ul-login.png", full_page=True)
        page.fill("#username", "alice@example.com")
        page.fill("#password", "Passw0rd!alice")
        page.click("button[type=submit]")

        # Back on the application with a code, exchanged (cross-origin) for tokens.
        page.wait_for_url(f"{site.origin}/")
        wait_for_status(page, "authenticated")
        user = app_call(page, "c.getUser()")["ok"]
        assert user["email"] == "alice@example.com" and user["name"] == "Alice Example"
        claims = app_call(page, "c.getIdTokenClaims()")["ok"]
        assert claims["iss"] == f"{server.url}/" and claims["aud"] == CLIENT_ID
        assert isinstance(claims["auth_time"], int) and claims["sid"]

        # Silent authentication: a hidden iframe, prompt=none, response_mode=web_message.
        silent = app_call(page, "c.getTokenSilently({cacheMode: 'off', detailedResponse: true})")
        assert "ok" in silent, silent
        assert silent["ok"]["id_token"] and silent["ok"]["access_token"]
        assert "ssa" in log_types(server)

        # Logout ends the session at mockidp and comes back to the application.
        page.evaluate(f"() => {{ window.app.then((c) => c.logout({{logoutParams: {{returnTo: '{site.origin}'}}}})); }}")
        page.wait_for_url(f"{site.origin}/")
        wait_for_status(page, "anonymous")
        assert "slo" in log_types(server)

        # A new silent call now fails the way Auth0 fails it.
        after = app_call(page, "c.getTokenSilently({cacheMode: 'off'})")
        assert after["error"] == "login_required" and after["description"] == "Login required"
        assert log_types(server)[-1] == "fsa"
    finally:
        context.close()


def test_wrong_password_stays_on_the_login_page(spa, chromium):
    site, server = spa
    server.reset()
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(site.origin)
        wait_for_status(page, "anonymous")
        page.evaluate("() => { window.app.then((c) => c.loginWithRedirect()); }")
        page.wait_for_url(f"{server.url}/u/login?state=*")
        page.fill("#username", "alice@example.com")
        page.fill("#password", "not-her-password")
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=error]")
        assert page.locator("[data-testid=error]").inner_text().endswith("Wrong email or password")
        assert page.locator("#username").input_value() == "alice@example.com"
        assert log_types(server)[-1] == "fp"
    finally:
        context.close()
