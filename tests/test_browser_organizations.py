"""Seed 000 in a real browser (Playwright + Debian's chromium): an invite-only app whose
invitations expire after 72 hours, built on Auth0 Organizations. The invitee opens the link from
the outbox, lands on the app's login route, which sends the browser to /authorize with the
organization and the invitation; signs up on the hosted page with the invited email; and is back
on the app's callback with an org_id in the ID token. A second invitation opened after the clock
moved past 72 hours is refused.

The app is a small server-side web app on its own origin: PKCE code flow, code exchanged at
/oauth/token, ID token verified against the JWKS. Skipped only when /usr/bin/chromium is missing.
"""
from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from browser_helpers import WAIT_MS, needs_chromium
from oauth_helpers import VERIFIER, s256, verify_id_token

from mockidp.core.fixtures.files import DEFAULT_FIXTURE
from mockidp.testing import MockIdPServer

CLIENT_ID = "inviteOnlyApp0000000000000000000"

pytestmark = needs_chromium


class InviteOnlyApp:
    """/login forwards an invitation link to /authorize; /callback exchanges the code and shows
    the signed-in user's email and organization, or the error mockidp sent back."""

    def __init__(self):
        app = self
        self.idp_url = ""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                if parts.path == "/login":
                    self.send_response(302)
                    self.send_header("Location", app.authorize_url(query))
                    self.end_headers()
                elif parts.path == "/callback":
                    app.send_page(self, app.callback(query))
                else:
                    self.send_error(404)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def authorize_url(self, query: dict) -> str:
        params = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": f"{self.origin}/callback",
                  "scope": "openid email", "state": "invite", "code_challenge": s256(VERIFIER),
                  "code_challenge_method": "S256", "organization": query.get("organization", ""),
                  "invitation": query.get("invitation", "")}
        return f"{self.idp_url}/authorize?{urlencode(params)}"

    def callback(self, query: dict) -> dict:
        if "error" in query:
            return {"error": query["error"], "description": query.get("error_description")}
        tokens = requests.post(f"{self.idp_url}/oauth/token", timeout=30, data={
            "grant_type": "authorization_code", "client_id": CLIENT_ID, "code": query["code"],
            "code_verifier": VERIFIER, "redirect_uri": f"{self.origin}/callback"}).json()
        claims = verify_id_token(self.idp_url, tokens["id_token"], audience=CLIENT_ID)
        return {"email": claims["email"], "org_id": claims.get("org_id")}

    @staticmethod
    def send_page(handler: BaseHTTPRequestHandler, result: dict) -> None:
        body = f'<html><body><pre id="result">{html.escape(json.dumps(result))}</pre></body></html>'.encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = InviteOnlyApp()
    fixture = tmp_path_factory.mktemp("invite-only") / "tenant.yaml"
    fixture.write_text(f"""
clients:
  - name: Invite-only app
    client_id: {CLIENT_ID}
    app_type: spa
    token_endpoint_auth_method: none
    callbacks: ["{app.origin}/callback"]
    initiate_login_uri: "{app.origin}/login"
    organization_usage: require
connections:
  - name: Members
    strategy: auth0
    enabled_clients: [Invite-only app]
    options: {{passwordPolicy: good}}
organizations:
  - name: acme
    display_name: Acme Corp
    connections: [{{name: Members}}]
""")
    server = MockIdPServer(fixtures=[DEFAULT_FIXTURE, fixture], tls=False)
    app.idp_url = server.url
    yield app, server
    server.stop()
    app.stop()


def invite(server: MockIdPServer, email: str) -> str:
    """The inviter's call (ttl 72 hours); the link from the email the invitee received."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {server.management_token()}"
    acme = api.get(f"{server.url}/api/v2/organizations/name/acme", timeout=30).json()
    response = api.post(f"{server.url}/api/v2/organizations/{acme['id']}/invitations", timeout=30, json={
        "inviter": {"name": "Dana"}, "invitee": {"email": email}, "client_id": CLIENT_ID, "ttl_sec": 259200})
    assert response.status_code == 201, response.text
    [email_message] = server.outbox(to=email)
    assert email_message["template"] == "user_invitation" and "Acme Corp" in email_message["subject"]
    return next(link for link in email_message["links"] if "invitation=" in link)


def result_on(page) -> dict:
    page.wait_for_selector("#result")
    return json.loads(page.locator("#result").inner_text())


def test_seed_000_accepted_within_72_hours_and_refused_after(world, chromium):
    app, server = world
    server.reset()
    server.freeze()
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        link = invite(server, "new.hire@example.com")
        server.advance(48 * 3600)
        page.goto(link)  # the app's login route → /authorize → the hosted sign-up page
        page.wait_for_url(f"{server.url}/u/signup?state=*")
        assert page.input_value("#email") == "new.hire@example.com"
        page.fill("#password", "Str0ng!pass")
        page.click("button[type=submit]")
        page.wait_for_url(f"{app.origin}/callback?*")
        acme = requests.get(f"{server.url}/api/v2/organizations/name/acme", timeout=30,
                            headers={"Authorization": f"Bearer {server.management_token()}"}).json()
        assert result_on(page) == {"email": "new.hire@example.com", "org_id": acme["id"]}

        late_link = invite(server, "late.hire@example.com")
        server.advance(72 * 3600)
        page.goto(late_link)
        page.wait_for_url(f"{app.origin}/callback?*")
        assert result_on(page) == {"error": "invalid_request", "description": "invitation not found or expired"}
    finally:
        context.close()
