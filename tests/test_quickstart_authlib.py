"""Auth0's Python quickstart (Authlib's Flask client, tests/quickstarts/authlib_flask.py) against
the default fixture's Regular Web App: the app serves on its own port from a thread, a real
browser (Playwright, Debian's chromium) logs in on mockidp's hosted page and out through
/v2/logout. Authlib's defaults are Auth0's: discovery over HTTPS, the code exchanged with the
secret in an HTTP Basic header, the ID token checked against the JWKS, and a `returnTo` with a
trailing slash (`http://localhost:<port>/`). Authlib's requests trust mockidp's CA through
REQUESTS_CA_BUNDLE, as a user would set it."""
from __future__ import annotations

import threading

import pytest
from browser_helpers import needs_chromium
from oauth_helpers import WEB_ID, WEB_SECRET
from quickstart_helpers import allow_app, app_page, log_in_and_out, log_types
from werkzeug.serving import make_server

pytestmark = needs_chromium


@pytest.fixture
def flask_app(mockidp, monkeypatch):
    """The quickstart app on a free port, served from a thread; stopped after the test."""
    from quickstarts.authlib_flask import create_app

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp.ca_bundle))
    app = create_app(mockidp.domain, WEB_ID, WEB_SECRET, secret_key="a long, random session key")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://localhost:{server.server_port}"
    allow_app(mockidp, base_url)
    yield base_url
    server.shutdown()
    thread.join(timeout=30)


def test_authlib_flask_client_logs_in_and_out(mockidp, flask_app, chromium):
    with app_page(chromium) as page:
        paths = log_in_and_out(page, mockidp, flask_app)
    assert paths[:2] == ["/authorize", "/u/login"] and "/v2/logout" in paths
    types = log_types(mockidp)
    assert "seacft" in types and types.index("s") < types.index("seacft") < types.index("slo"), types
