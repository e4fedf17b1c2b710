"""Social sign-in in a real browser: an @auth0/auth0-spa-js application → the hosted login page →
"Continue with Google" → mockidp's mock upstream provider page → pick an identity → back in the
application with a `google-oauth2|...` user. And the headless variant: `connection` and
`login_hint` in loginWithRedirect, no page at all. Reuses test_browser_spa.py's page and SDK."""
from __future__ import annotations

import pytest
from browser_helpers import WAIT_MS, needs_chromium, wait_for_status
from test_browser_spa import CLIENT_ID, SpaSite, app_call, fixture_for, spa_build  # noqa: F401 - a fixture

from mockidp.testing import MockIdPServer

pytestmark = needs_chromium
SOCIAL = """
connections:
  - name: google-oauth2
    strategy: google-oauth2
    enabled_clients: [Browser SPA]
    options: {email: true, profile: true}
upstreamIdentities:
  - {connection: google-oauth2, user_id: "104425867201936412345", email: grace@gmail.test, name: Grace Hopper}
"""
GRACE = "google-oauth2|104425867201936412345"


@pytest.fixture(scope="module")
def spa(spa_build, tmp_path_factory):  # noqa: F811 - the imported fixture is what this one uses
    site = SpaSite(spa_build)
    folder = tmp_path_factory.mktemp("social-spa")
    (folder / "tenant.yaml").write_text(fixture_for(site.origin))
    (folder / "social.yaml").write_text(SOCIAL)
    server = MockIdPServer(fixtures=[folder / "tenant.yaml", folder / "social.yaml"], tls=False)
    site.config_js = f'window.MOCKIDP = {{domain: "{server.url}", clientId: "{CLIENT_ID}"}};'
    yield site, server
    server.stop()
    site.stop()


def open_app(chromium, site):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(site.origin)
    wait_for_status(page, "anonymous")
    return context, page


def test_continue_with_google_through_the_mock_provider_page(spa, chromium):
    site, server = spa
    server.reset()
    context, page = open_app(chromium, site)
    try:
        page.evaluate("() => { window.app.then((c) => c.loginWithRedirect()); }")
        page.wait_for_url(f"{server.url}/u/login?state=*")
        page.click("text=Continue with Google")
        page.wait_for_url(f"{server.url}/_mock/upstream/google-oauth2/authorize?state=*")
        assert "mock identity provider" in page.locator("[data-testid=mock-provider-banner]").inner_text()
        page.screenshot(path="/tmp/mockidp-mock-upstream.png", full_page=True)
        page.click("[data-testid=identity]:has-text('Grace Hopper')")
        page.wait_for_url(f"{site.origin}/")
        wait_for_status(page, "authenticated")
        user = app_call(page, "c.getUser()")["ok"]
        assert (user["sub"], user["email"], user["name"]) == (GRACE, "grace@gmail.test", "Grace Hopper")
    finally:
        context.close()


def test_headless_with_connection_and_login_hint(spa, chromium):
    site, server = spa
    server.reset()
    context, page = open_app(chromium, site)
    try:
        page.evaluate("""() => { window.app.then((c) => c.loginWithRedirect({authorizationParams:
            {connection: 'google-oauth2', login_hint: 'grace@gmail.test'}})); }""")
        page.wait_for_url(f"{site.origin}/")
        wait_for_status(page, "authenticated")
        assert app_call(page, "c.getUser()")["ok"]["sub"] == GRACE
    finally:
        context.close()
