"""Auth0's Express quickstart (express-openid-connect 3.x from npm, pinned in
tests/quickstarts/express/package-lock.json) against the default fixture's Regular Web App, with
the library's defaults: the app runs in Node, a real browser (Playwright, Debian's chromium) logs
in on mockidp's hosted page and out through /v2/logout.

Two configurations, as Auth0's quickstarts write them: login only (no secret: express-openid-connect
asks for `response_type=id_token` with `response_mode=form_post`), and with a client secret and
`response_type=code` (the code is exchanged at /oauth/token with HTTP Basic, the library's default).
The library's openid-client refuses plain-http issuers, so mockidp is reached over HTTPS, its CA
trusted through NODE_EXTRA_CA_CERTS."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from browser_helpers import WAIT_MS, launched_chromium, needs_chromium
from npm_packages import ensure_installed
from oauth_helpers import WEB_ID, WEB_SECRET
from quickstart_helpers import allow_app, log_in_and_out, log_types

EXPRESS_DIR = Path(__file__).parent / "quickstarts" / "express"
MARKER = EXPRESS_DIR / "node_modules" / "express-openid-connect" / "package.json"

pytestmark = [needs_chromium,
              pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")]


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def express_quickstart() -> Path:
    ensure_installed(EXPRESS_DIR, MARKER)
    return EXPRESS_DIR / "app.js"


@pytest.fixture
def express_app(mockidp, express_quickstart, request):
    """The quickstart app on a free port (it prints its baseURL); stopped after the test."""
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file), "AUTH0_DOMAIN": mockidp.domain,
           "AUTH0_CLIENT_ID": WEB_ID, "AUTH0_CLIENT_SECRET": WEB_SECRET,
           "SESSION_SECRET": "a long, randomly-generated string for the session cookie",
           "QUICKSTART_CODE_FLOW": "1" if request.param == "code" else "0"}
    process = subprocess.Popen(["node", str(express_quickstart)], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = process.stdout.readline()
        assert line, process.stderr.read()
        base_url = json.loads(line)["baseURL"]
        allow_app(mockidp, base_url)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("express_app", ["id_token", "code"], indirect=True)
def test_express_openid_connect_logs_in_and_out(mockidp, express_app, browser, request):
    context = browser.new_context(ignore_https_errors=True)  # mockidp's CA is not the browser's
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        paths = log_in_and_out(page, mockidp, express_app)
    finally:
        context.close()
    assert paths[:2] == ["/authorize", "/u/login"] and "/v2/logout" in paths
    types = log_types(mockidp)
    exchanged = "seacft" in types  # the code exchange, with the secret in a Basic header
    assert exchanged == (request.node.callspec.params["express_app"] == "code"), types
    assert types.index("s") < types.index("slo"), types
