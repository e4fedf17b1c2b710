"""Shared test helpers. The `mockidp` fixture itself comes from mockidp's pytest plugin."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import requests

from mockidp.core.fixtures.files import DEFAULT_FIXTURE
from mockidp.testing import MockIdPServer


class Api:
    """requests bound to a mockidp base URL, with an optional bearer token."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(autouse=True)
def _close_sdk_http_clients(monkeypatch):
    """auth0-python's ManagementClient opens an httpx.Client it never closes (it has no close()),
    which leaves unclosed sockets behind; close each one the test opened, so the suite runs clean
    under -W error::ResourceWarning."""
    opened: list[httpx.Client] = []
    original_init = httpx.Client.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(httpx.Client, "__init__", recording_init)
    yield
    for client in opened:
        client.close()


@pytest.fixture
def api(mockidp) -> Api:
    """Management API client holding a token with every scope the default M2M client has."""
    return Api(mockidp.url, mockidp.management_token())


@pytest.fixture
def anonymous(mockidp) -> Api:
    return Api(mockidp.url)


def new_user(api: Api, **overrides) -> dict:
    body = {"connection": "Username-Password-Authentication", "email": "new.user@example.com",
            "password": "Sup3r$ecret!"}
    body.update(overrides)
    response = api.post("/api/v2/users", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium driven by Playwright (tests/browser_helpers.py), one per test module."""
    from browser_helpers import launched_chromium

    with launched_chromium() as browser:
        yield browser


@contextmanager
def server_beside_default(directory: Path, fixture_text: str) -> Iterator[MockIdPServer]:
    """A mockidp (HTTP only) started from the default fixture plus `fixture_text` (written to
    `directory`/tenant.yaml), stopped on exit: what a test module's own world needs."""
    fixture = directory / "tenant.yaml"
    fixture.write_text(fixture_text)
    server = MockIdPServer(fixtures=[DEFAULT_FIXTURE, fixture], tls=False)
    try:
        yield server
    finally:
        server.stop()
