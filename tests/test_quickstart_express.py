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

from pathlib import Path

import pytest
from browser_helpers import needs_chromium
from npm_packages import ensure_installed
from oauth_helpers import WEB_ID, WEB_SECRET
from quickstart_helpers import app_page, log_in_and_out, log_types, needs_node, node_app

EXPRESS_DIR = Path(__file__).parent / "quickstarts" / "express"

pytestmark = [needs_chromium, needs_node]


@pytest.fixture(scope="module")
def express_quickstart() -> Path:
    ensure_installed(EXPRESS_DIR, EXPRESS_DIR / "node_modules" / "express-openid-connect" / "package.json")
    return EXPRESS_DIR / "app.js"


@pytest.mark.parametrize("flow", ["id_token", "code"])
def test_express_openid_connect_logs_in_and_out(mockidp, express_quickstart, chromium, flow):
    with node_app(express_quickstart, mockidp, AUTH0_DOMAIN=mockidp.domain, AUTH0_CLIENT_ID=WEB_ID,
                  AUTH0_CLIENT_SECRET=WEB_SECRET, QUICKSTART_CODE_FLOW="1" if flow == "code" else "0",
                  SESSION_SECRET="a long, randomly-generated string for the session cookie") as app_url:
        with app_page(chromium) as page:
            paths = log_in_and_out(page, mockidp, app_url)
    assert paths[:2] == ["/authorize", "/u/login"] and "/v2/logout" in paths
    types = log_types(mockidp)
    assert ("seacft" in types) == (flow == "code"), types  # the code exchange, secret in a Basic header
    assert types.index("s") < types.index("slo"), types
