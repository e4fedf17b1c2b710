"""Auth0's Express quickstart (express-openid-connect 3.x from npm, pinned in
tests/quickstarts/express/package-lock.json) against the default fixture's Regular Web App, with
the library's defaults: the app runs in Node, a real browser (Playwright, Debian's chromium) logs
in on mockidp's hosted page and out through /v2/logout.

Two configurations, as Auth0's quickstarts write them: login only (no secret: express-openid-connect
asks for `response_type=id_token` with `response_mode=form_post`), and with a client secret and
`response_type=code` (the code is exchanged at /oauth/token with HTTP Basic, the library's default).
The library's openid-client refuses plain-http issuers, so mockidp is reached over HTTPS, its CA
trusted through NODE_EXTRA_CA_CERTS. Each runs against the server's default tenant, against a
named tenant on a listener of its own (`domain` localhost:PORT: the library's defaults, unchanged),
and against a named tenant at /t/{name}/, where two settings differ (and two tests show why):
issuerBaseURL is the tenant's issuer, trailing slash included, and auth0Logout is off (idpLogout on)."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from browser_helpers import needs_chromium
from npm_packages import ensure_installed
from oauth_helpers import ALICE, WEB_ID, WEB_SECRET
from quickstart_helpers import app_page, log_in_and_out, log_types, needs_node, node_app

EXPRESS_DIR = Path(__file__).parent / "quickstarts" / "express"

pytestmark = [needs_chromium, needs_node]


@pytest.fixture(scope="module")
def express_quickstart() -> Path:
    ensure_installed(EXPRESS_DIR, EXPRESS_DIR / "node_modules" / "express-openid-connect" / "package.json")
    return EXPRESS_DIR / "app.js"


SESSION_SECRET = "a long, randomly-generated string for the session cookie"


@pytest.fixture(params=["default", "listener", "named"])
def tenant(request, mockidp):
    """(tenant, its app settings): the server's own tenant; a named one on a listener of its own,
    with the same settings (issuerBaseURL `https://localhost:PORT`, no trailing slash, and
    auth0Logout on); or a named one at /t/express-quickstart/. For that one AUTH0_DOMAIN ends with
    "/", so that issuerBaseURL (`https://${AUTH0_DOMAIN}`) is the tenant's issuer exactly
    (test_a_named_tenant_needs_the_issuer_as_issuer_base_url), and auth0Logout is off
    (test_auth0_logout_loses_the_tenant_path)."""
    if request.param == "default":
        yield mockidp, {"AUTH0_DOMAIN": mockidp.domain}
        return
    if request.param == "listener":
        named = mockidp.new_tenant("express-listener", listener=True)
        assert "/" not in named.domain
        yield named, {"AUTH0_DOMAIN": named.domain}
        named.stop()
        return
    named = mockidp.new_tenant("express-quickstart")
    yield named, {"AUTH0_DOMAIN": named.domain + "/", "QUICKSTART_AUTH0_LOGOUT": "0"}
    named.stop()


@pytest.mark.parametrize("flow", ["id_token", "code"])
def test_express_openid_connect_logs_in_and_out(tenant, express_quickstart, chromium, flow):
    tenant, settings = tenant
    with node_app(express_quickstart, tenant, AUTH0_CLIENT_ID=WEB_ID, AUTH0_CLIENT_SECRET=WEB_SECRET,
                  QUICKSTART_CODE_FLOW="1" if flow == "code" else "0", SESSION_SECRET=SESSION_SECRET,
                  **settings) as app_url:
        with app_page(chromium) as page:
            logout = "/v2/logout" if "QUICKSTART_AUTH0_LOGOUT" not in settings else "/oidc/logout"
            paths = log_in_and_out(page, tenant, app_url, logout_endpoint=logout)
    assert paths[:2] == ["/authorize", "/u/login"] and logout in paths
    types = log_types(tenant)
    assert ("seacft" in types) == (flow == "code"), types  # the code exchange, secret in a Basic header
    assert types.index("s") < types.index("slo"), types


def test_a_named_tenant_needs_the_issuer_as_issuer_base_url(mockidp, express_quickstart):
    """openid-client 6 compares the discovered issuer with issuerBaseURL as URLs, exactly:
    `https://localhost:<port>/t/name` is not the issuer `https://localhost:<port>/t/name/` (a bare
    host is: its URL has the path "/"). Auth0's issuers end with "/", and auth0-spa-js expects
    `${domain}/`, so mockidp keeps the slash; with a path prefix, issuerBaseURL must be the
    tenant's `issuer` (docs/control-plane.md#tenants)."""
    named = mockidp.new_tenant("express-no-slash")
    try:
        with node_app(express_quickstart, named, AUTH0_DOMAIN=named.domain, AUTH0_CLIENT_ID=WEB_ID,
                      SESSION_SECRET=SESSION_SECRET) as app_url:
            refused = requests.get(f"{app_url}/login", allow_redirects=False, timeout=30)
    finally:
        named.stop()
    assert refused.status_code == 500 and "issuer does not match the expected issuer" in refused.text


def test_auth0_logout_loses_the_tenant_path(mockidp, express_quickstart, chromium):
    """With auth0Logout: true (the quickstart's setting) express-openid-connect 3.4 builds its logout
    URL as `new URL("/v2/logout", issuer)`, which keeps the host and drops the path: a named
    tenant's users are sent to the server's root tenant, which refuses the unknown returnTo."""
    named = mockidp.new_tenant("express-auth0-logout")
    try:
        with node_app(express_quickstart, named, AUTH0_DOMAIN=named.domain + "/", AUTH0_CLIENT_ID=WEB_ID,
                      SESSION_SECRET=SESSION_SECRET) as app_url, app_page(chromium) as page:
            page.goto(f"{app_url}/login")
            page.wait_for_url(f"{named.https_url}/u/login?state=*")
            page.fill("#username", ALICE[0])
            page.fill("#password", ALICE[1])
            page.click("button[type=submit]")
            page.wait_for_url(f"{app_url}/")
            assert page.locator("#status").inner_text() == "Logged in"  # login works unchanged
            with page.expect_response(lambda answer: "/v2/logout" in answer.url) as logout:
                page.goto(f"{app_url}/logout")
    finally:
        named.stop()
    root = named.https_url.removesuffix("/t/express-auth0-logout")
    assert logout.value.url.startswith(f"{root}/v2/logout?") and logout.value.status == 400
