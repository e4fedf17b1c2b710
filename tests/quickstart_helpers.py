"""What the quickstart tests (Express, Flask) share: letting the default fixture's Regular Web App
redirect to an app on a free port, and the browser's round trip through the hosted login and
/v2/logout. Each app's page shows `#status` ("Logged in" / "Logged out") and, signed in, the
user's `#email` and `#name`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from browser_helpers import WAIT_MS
from oauth_helpers import ALICE, WEB_ID

from mockidp.testing import MockIdPServer

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def allow_app(mockidp: MockIdPServer, base_url: str, callback: str = "/callback") -> None:
    """Add the app's callback and logout URL to the Regular Web App, as its owner would in the
    dashboard (the quickstarts' own port, 3000, is in the fixture already; tests take a free one)."""
    token = mockidp.management_token()
    client_url = f"{mockidp.url}/api/v2/clients/{WEB_ID}"
    headers = {"Authorization": f"Bearer {token}"}
    client = requests.get(client_url, headers=headers, timeout=30).json()
    update = {"callbacks": [*client["callbacks"], f"{base_url}{callback}"],
              "allowed_logout_urls": [*client["allowed_logout_urls"], base_url]}
    response = requests.patch(client_url, headers=headers, json=update, timeout=30)
    assert response.status_code == 200, response.text


@contextmanager
def node_app(script: Path, mockidp: MockIdPServer, callback: str = "/callback", **env: str) -> Iterator[str]:
    """A quickstart app run by Node, trusting mockidp's CA: it listens on a free port and prints
    one JSON line naming its base URL, which the Regular Web App is then allowed to redirect to."""
    environment = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file), **env}
    process = subprocess.Popen(["node", str(script)], env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{script.name} did not start:\n{process.stderr.read()}")
        base_url = next(iter(json.loads(line).values()))
        allow_app(mockidp, base_url, callback)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()


def log_types(mockidp: MockIdPServer) -> list[str]:
    """The tenant log's event types, oldest first, without the Management API token's own."""
    token = mockidp.management_token()
    events = requests.get(f"{mockidp.url}/api/v2/logs", headers={"Authorization": f"Bearer {token}"},
                          params={"sort": "date:1"}, timeout=30).json()
    return [event["type"] for event in events if event["type"] != "seccft"]


@contextmanager
def app_page(chromium) -> Iterator:
    """A fresh browser context's page (no cookies yet). The browser does not know mockidp's CA:
    it accepts the certificate as a developer would once (the apps trust the CA properly)."""
    context = chromium.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        yield page
    finally:
        context.close()


def log_in_and_out(page, mockidp: MockIdPServer, app_url: str, *, routes: str = "",
                   logout_endpoint: str = "/v2/logout") -> list[str]:
    """Signed out on the app, log in as alice on mockidp's hosted page (the app's `{routes}/login`),
    see her on the app, log out (`{routes}/logout`) through mockidp's `logout_endpoint`, land
    signed out on the app, and find that logging in again asks for the password (the session at
    mockidp ended too). Returns the mockidp paths the browser visited, in order."""
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url)
            if request.url.startswith(mockidp.https_url) and request.is_navigation_request() else None)
    page.goto(app_url)
    assert page.locator("#status").inner_text() == "Logged out"

    page.goto(f"{app_url}{routes}/login")
    page.wait_for_url(f"{mockidp.https_url}/u/login?state=*")
    assert page.locator("h1").inner_text() == "Welcome"
    page.fill("#username", ALICE[0])
    page.fill("#password", ALICE[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{app_url}/")
    assert page.locator("#status").inner_text() == "Logged in"
    assert page.locator("#email").inner_text() == ALICE[0]
    assert page.locator("#name").inner_text() == "Alice Example"

    page.goto(f"{app_url}{routes}/logout")
    page.wait_for_url(f"{app_url}/")
    assert page.locator("#status").inner_text() == "Logged out"
    paths = [url[len(mockidp.https_url):].split("?", 1)[0] for url in visited]
    logout = [url for url in visited if f"{logout_endpoint}?" in url]
    assert logout and f"client_id={WEB_ID}" in logout[0], visited

    page.goto(f"{app_url}{routes}/login")  # the session at mockidp is over: no single sign-on
    page.wait_for_url(f"{mockidp.https_url}/u/login?state=*")
    return paths
