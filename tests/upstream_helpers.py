"""Shared by the social and enterprise sign-in tests: a mockidp with social connections and a
known upstream identity (module-scoped, reset per test), following mockidp's redirects (the mock
provider, /login/callback) the way a browser does, and small readers."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import Api, server_beside_default
from oauth_helpers import Browser, redirect_params

SOCIAL_FIXTURE = """
connections:
  - name: google-oauth2
    strategy: google-oauth2
    enabled_clients: [mockidp SPA, mockidp Web App]
    options: {email: true, profile: true, scope: [email, profile]}
  - name: github
    strategy: github
    enabled_clients: [mockidp Web App]
    options: {email: true}
upstreamIdentities:
  - connection: google-oauth2
    user_id: "104425867201936412345"
    email: Grace@Gmail.test
    name: Grace Hopper
    given_name: Grace
    family_name: Hopper
    attributes: {locale: en}
"""
GRACE_ID = "google-oauth2|104425867201936412345"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with server_beside_default(tmp_path_factory.mktemp("social"), SOCIAL_FIXTURE) as started:
        yield started


@pytest.fixture
def mock(server):
    server.reset()
    return server


@pytest.fixture
def admin(mock) -> Api:
    return Api(mock.url, mock.management_token())


@pytest.fixture
def anonymous(mock) -> Api:
    """This module's server without a token (conftest's talks to the default server)."""
    return Api(mock.url)


@pytest.fixture
def reader(mock) -> Api:
    """A Management API token without read:user_idp_tokens."""
    return Api(mock.url, mock.management_token(scope="read:users"))


def user_path(user_id: str) -> str:
    return "/api/v2/users/" + quote(user_id, safe="")


def provider_page(browser: Browser, **params) -> str:
    response = browser.authorize(connection="google-oauth2", **params)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith("/_mock/upstream/google-oauth2/authorize?state="), location
    return location


def log_types(admin: Api) -> list[str]:
    """The login events (signup, success, failure) in order."""
    events = admin.get("/api/v2/logs", params={"sort": "date:1"}).json()
    return [event["type"] for event in events if event["type"] in ("ss", "s", "f")]



def follow_to_app(browser: Browser, location: str, limit: int = 5) -> dict[str, str]:
    """Follow mockidp's redirects until the browser is sent back to the application."""
    for _ in range(limit):
        if not location.startswith("/"):
            break
        response = browser.get(location)
        assert response.status_code == 302, (location, response.status_code, response.text[:300])
        location = response.headers["Location"]
    assert location.startswith("http://localhost:3000/callback"), location
    return redirect_params(response)
