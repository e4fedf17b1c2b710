"""The pytest plugin: a mockidp served on a background thread for the whole session, reset before
each test that asks for it.

    def test_signup(mockidp):
        token = mockidp.management_token()
        requests.post(f"{mockidp.url}/api/v2/users", headers={"Authorization": f"Bearer {token}"}, ...)
        mockidp.advance(3600)

Options: --mockidp-fixtures PATH (repeatable), --mockidp-seed N. HTTPS is served too; the
`ca_bundle` attribute is a file to trust (SSL_CERT_FILE / REQUESTS_CA_BUNDLE).
"""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

DEFAULT_M2M_CLIENT_ID = "mockidpM2MClient0000000000000000"
DEFAULT_M2M_CLIENT_SECRET = "mockidp-m2m-secret-0000000000000000000000000000000000000000000000"


class MockIdPServer:
    """A running mockidp (HTTP and HTTPS) plus a small client for its control plane."""

    def __init__(self, *, fixtures: list[Path] | None = None, seed: int | None = None,
                 cert_dir: Path | None = None, tls: bool = True):
        from .runtime import MockIdP

        self._mock = MockIdP(fixtures=fixtures, seed=seed, tls=tls, cert_dir=cert_dir).start()
        self.url = self._mock.url_for("http")
        self.https_url = self._mock.url_for("https") if tls else None
        self.ca_file = self._mock.ca_file
        self.ca_bundle = None
        if tls:
            from .tls import ca_bundle_path

            self.ca_bundle = ca_bundle_path(self.ca_file.parent)

    @property
    def tenant(self):
        """The in-process Tenant, for assertions that have no HTTP equivalent."""
        return self._mock.tenant

    @property
    def domain(self) -> str:
        """What an SDK calls the domain: host:port of the HTTPS listener."""
        return (self.https_url or self.url).split("://", 1)[1]

    def stop(self) -> None:
        self._mock.stop()

    # --- control plane ---------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return _send_json(method, f"{self.url}/_mock{path}", body)

    def reset(self) -> None:
        self.control("POST", "/reset")

    def clock(self) -> dict:
        return self.control("GET", "/clock")

    def set_clock(self, now: str | None = None, frozen: bool | None = None) -> dict:
        body = {key: value for key, value in (("now", now), ("frozen", frozen)) if value is not None}
        return self.control("PUT", "/clock", body)

    def freeze(self, now: str | None = None) -> dict:
        return self.set_clock(now, True)

    def advance(self, seconds: float) -> dict:
        return self.control("POST", "/clock/advance", {"seconds": seconds})

    def totp(self, secret: str, offset_seconds: float = 0) -> str:
        """The TOTP code an authenticator app holding `secret` shows at the tenant clock's time
        (plus `offset_seconds`): what a test types after /mfa/associate or the enrollment page."""
        from .core.factors.totp import code_at
        from .core.tenant.clock import parse_instant

        return code_at(secret, parse_instant(self.clock()["now"]).timestamp() + offset_seconds)

    def outbox(self, **filters: str) -> list[dict]:
        """Delivered emails, oldest first; filter by to, template, user_id."""
        from urllib.parse import urlencode

        query = f"?{urlencode(filters)}" if filters else ""
        return self.control("GET", f"/outbox{query}")["messages"]

    def sms(self, to: str | None = None) -> list[dict]:
        """Text messages sent (passwordless SMS codes), oldest first; `code` is the one-time code."""
        from urllib.parse import urlencode

        query = f"?{urlencode({'to': to})}" if to else ""
        return self.control("GET", f"/sms{query}")["messages"]

    def flush_emails(self) -> list[dict]:
        """Deliver every queued email now (manual or delayed delivery) and return them."""
        return self.control("POST", "/email-queue/flush")["messages"]

    def wait_for_actions(self, timeout: float = 30) -> None:
        """Block until no asynchronous Action (post-change-password) is queued or running."""
        _send_json("POST", f"{self.url}/_mock/actions/wait", {"timeout_seconds": timeout},
                   timeout=timeout + 10)

    def action_executions(self) -> list[dict]:
        """Recent Action executions, oldest first: api calls, console output, error."""
        return self.control("GET", "/actions/executions")["executions"]

    def management_token(self, client_id: str = DEFAULT_M2M_CLIENT_ID,
                         client_secret: str = DEFAULT_M2M_CLIENT_SECRET, scope: str | None = None,
                         base_url: str | None = None) -> str:
        base = base_url or self.url
        body = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": client_secret, "audience": f"{base}/api/v2/"}
        if scope is not None:
            body["scope"] = scope
        return _send_json("POST", f"{self.url}/oauth/token", body)["access_token"]


def _send_json(method: str, url: str, body: Any = None, timeout: float = 30) -> Any:
    """One JSON request to the mock; the parsed answer (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own server
        return json.loads(response.read() or b"null")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockidp")
    group.addoption("--mockidp-fixtures", action="append", type=Path, default=None,
                    help="fixture file for the mockidp fixture (repeatable; default: mockidp's default)")
    group.addoption("--mockidp-seed", type=int, default=None, help="seed for the mockidp tenant")


@pytest.fixture(scope="session")
def mockidp_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    server = MockIdPServer(fixtures=request.config.getoption("--mockidp-fixtures"),
                           seed=request.config.getoption("--mockidp-seed"),
                           cert_dir=tmp_path_factory.mktemp("mockidp-certs"))
    yield server
    server.stop()


@pytest.fixture
def mockidp(mockidp_server: MockIdPServer) -> MockIdPServer:
    """The session's mockidp, reset to its fixtures (and its clock) before the test."""
    mockidp_server.reset()
    return mockidp_server
