"""nextjs-auth0 v4 (from npm, pinned in tests/quickstarts/nextjs/package-lock.json) configured as
the README says, against the default fixture's Regular Web App. v4 refuses a domain with a port
("localhost:8443"); a URL (`https://localhost:8443`) with `allowInsecureRequests` passes, and
mockidp's CA is trusted through NODE_EXTRA_CA_CERTS. Its Auth0Client runs outside Next.js, in a
Node server that hands it each request as a Next.js middleware would (tests/quickstarts/nextjs/
app.mjs), and a real browser logs in on mockidp's hosted page and out through /oidc/logout, v4's
default when discovery names an end_session_endpoint."""
from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import needs_chromium
from npm_packages import ensure_installed
from oauth_helpers import WEB_ID, WEB_SECRET
from quickstart_helpers import app_page, log_in_and_out, log_types, needs_node, node_app

NEXTJS_DIR = Path(__file__).parent / "quickstarts" / "nextjs"

pytestmark = [needs_chromium, needs_node]


@pytest.fixture(scope="module")
def nextjs_app_script() -> Path:
    ensure_installed(NEXTJS_DIR, NEXTJS_DIR / "node_modules" / "@auth0" / "nextjs-auth0" / "package.json")
    return NEXTJS_DIR / "app.mjs"


def settings(domain: str) -> dict:
    return {"MOCKIDP_URL": domain, "AUTH0_CLIENT_ID": WEB_ID, "AUTH0_CLIENT_SECRET": WEB_SECRET,
            "AUTH0_SECRET": "5f" * 32, "NODE_ENV": "development"}


def test_a_domain_with_a_port_is_refused_by_nextjs_auth0(mockidp, nextjs_app_script):
    """Why the README gives `https://localhost:8443` and not the `domain` other SDKs take."""
    with pytest.raises(RuntimeError, match="Domain cannot contain ports"):
        with node_app(nextjs_app_script, mockidp, **settings(mockidp.domain)):
            pass


def test_nextjs_auth0_logs_in_and_out(mockidp, nextjs_app_script, chromium):
    with node_app(nextjs_app_script, mockidp, callback="/auth/callback",
                  **settings(mockidp.https_url)) as app_url:
        with app_page(chromium) as page:
            paths = log_in_and_out(page, mockidp, app_url, routes="/auth", logout_endpoint="/oidc/logout")
    assert paths[:2] == ["/authorize", "/u/login"] and "/oidc/logout" in paths
    types = log_types(mockidp)
    assert "seacft" in types and types.index("s") < types.index("seacft") < types.index("slo"), types
