"""The pytest plugin: a mockidp served on a background thread for the whole session, reset before
each test that asks for it.

    def test_signup(mockidp):
        token = mockidp.management_token()
        requests.post(f"{mockidp.url}/api/v2/users", headers={"Authorization": f"Bearer {token}"}, ...)
        mockidp.advance(3600)

Options: --mockidp-fixtures PATH (repeatable), --mockidp-seed N. HTTPS is served too; the
`ca_bundle` attribute is a file to trust (SSL_CERT_FILE / REQUESTS_CA_BUNDLE).

--mockidp-url URL uses an already running mockidp (a CI service container, `mockidp serve`)
instead: the session creates its own tenant there (POST /_mock/tenants, one per pytest-xdist
worker, so workers never see each other's users, emails or clock) and deletes it at the end.
That tenant is addressed the way the server gives new tenants by default (under /t/{name}/,
unless the server was started with --tenant-ports); --mockidp-listener asks for its own port
instead, which the tests must be able to reach (docs/ci.md). In-process, each xdist worker runs
its own server, its tenant at the root of its own ports, which is just as isolated.
"""
from __future__ import annotations

import json
import os
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

        # MOCKIDP_CONTROL_TOKEN, as `mockidp serve` reads it: the server then wants it on /_mock,
        # and this client sends it.
        self.control_token = os.environ.get("MOCKIDP_CONTROL_TOKEN") or None
        self._mock = MockIdP(fixtures=fixtures, seed=seed, tls=tls, cert_dir=cert_dir,
                             control_token=self.control_token).start()
        self.url = self.server_url = self._mock.url_for("http")
        self.https_url = self._mock.url_for("https") if tls else None
        self.ca_file = self._mock.ca_file
        self.ca_bundle = None
        if tls:
            from .tls import ca_bundle_path

            self.ca_bundle = ca_bundle_path(self.ca_file.parent)

    @classmethod
    def connect(cls, server_url: str, name: str, *, fixtures: list[Path] | None = None,
                seed: int | None = None, cert_dir: Path | None = None,
                listener: bool | None = None) -> "MockIdPServer":
        """A new tenant named `name` on the mockidp already running at `server_url`; `stop()`
        deletes it. Fixture files are read here and sent in the creation body. `listener`: serve
        it on ports of its own (True), under /t/{name}/ only (False), or as the server's
        default (None)."""
        self = cls.__new__(cls)
        self._mock = None
        self._server_url = self.server_url = server_url.rstrip("/")
        self.control_token = os.environ.get("MOCKIDP_CONTROL_TOKEN") or None
        body: dict[str, Any] = {"name": name}
        if fixtures:
            body["fixtures"] = [_read_fixture(path) for path in fixtures]
        if seed is not None:
            body["seed"] = seed
        if listener is not None:
            body["listener"] = listener
        created = _send_json("POST", f"{self._server_url}/_mock/tenants", body, token=self.control_token)
        self.name, self.url, self.https_url = name, created["url"], created["https_url"]
        self.ca_file = self.ca_bundle = None
        if self.https_url and cert_dir is not None:
            self.ca_file, self.ca_bundle = _fetch_ca(self._server_url, Path(cert_dir), self.control_token)
        return self

    def new_tenant(self, name: str, *, fixtures: list[Path] | None = None,
                   seed: int | None = None, listener: bool | None = None) -> "MockIdPServer":
        """Another tenant on the same server, served under /t/{name}/ and, with `listener=True`,
        at the root of ports of its own (`url`, `https_url`, `domain` say where: with a listener
        `domain` is a bare localhost:PORT, which every SDK takes); this server's fixtures unless
        `fixtures` are given; `stop()` deletes it (and closes its ports)."""
        made = MockIdPServer.connect(self.server_url, name, fixtures=fixtures, seed=seed, listener=listener)
        made.ca_file, made.ca_bundle = self.ca_file, self.ca_bundle  # one server, one CA
        return made

    @property
    def tenant(self):
        """The in-process Tenant, for assertions that have no HTTP equivalent."""
        if self._mock is None:
            raise RuntimeError("mockidp runs in another process (--mockidp-url): use its HTTP API")
        return self._mock.tenant

    @property
    def domain(self) -> str:
        """What an SDK calls the domain: host:port of the HTTPS listener."""
        return (self.https_url or self.url).split("://", 1)[1]

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
        else:
            _send_json("DELETE", f"{self._server_url}/_mock/tenants/{self.name}", token=self.control_token)

    # --- control plane ---------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return _send_json(method, f"{self.url}/_mock{path}", body, token=self.control_token)

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
                   timeout=timeout + 10, token=self.control_token)

    def action_executions(self) -> list[dict]:
        """Recent Action executions, oldest first: api calls, console output, error."""
        return self.control("GET", "/actions/executions")["executions"]

    def management_token(self, client_id: str = DEFAULT_M2M_CLIENT_ID,
                         client_secret: str = DEFAULT_M2M_CLIENT_SECRET, scope: str | None = None,
                         base_url: str | None = None) -> str:
        """A Management API token from the tenant at `base_url` (an http:// base URL; default:
        this one's), for its /api/v2/."""
        base = base_url or self.url
        body = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": client_secret, "audience": f"{base}/api/v2/"}
        if scope is not None:
            body["scope"] = scope
        return _send_json("POST", f"{base}/oauth/token", body)["access_token"]


def _send_json(method: str, url: str, body: Any = None, timeout: float = 30,
               token: str | None = None) -> Any:
    """One JSON request to the mock; the parsed answer (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own server
        return json.loads(response.read() or b"null")


def _read_fixture(path: Path) -> dict:
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix.lower() == ".json":
        return json.loads(text)
    import yaml  # fixture files are YAML unless .json

    return yaml.safe_load(text) or {}


def _fetch_ca(server_url: str, cert_dir: Path, token: str | None = None) -> tuple[Path, Path]:
    """The remote server's CA, and a bundle of it with the public roots (for SSL_CERT_FILE)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{server_url}/_mock/ca.pem", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        pem = response.read()
    cert_dir.mkdir(parents=True, exist_ok=True)
    ca_file = cert_dir / "remote-ca.pem"
    ca_file.write_bytes(pem)
    import certifi

    bundle = cert_dir / "remote-bundle.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + pem)
    return ca_file, bundle


def _tenant_name() -> str:
    """Unique on a shared server: the xdist worker, and this process (another CI job may run the
    same suite against the same container at the same time)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"pytest-{worker}-{os.getpid()}".lower()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockidp")
    group.addoption("--mockidp-fixtures", action="append", type=Path, default=None,
                    help="fixture file for the mockidp fixture (repeatable; default: mockidp's default)")
    group.addoption("--mockidp-seed", type=int, default=None, help="seed for the mockidp tenant")
    group.addoption("--mockidp-url", default=os.environ.get("MOCKIDP_URL"),
                    help="use the mockidp running at URL (one tenant per worker, deleted at the end) "
                         "instead of starting one in-process (MOCKIDP_URL)")
    group.addoption("--mockidp-listener", action="store_true",
                    default=os.environ.get("MOCKIDP_LISTENER", "").strip().lower() in ("1", "true", "yes", "on"),
                    help="with --mockidp-url: serve each worker's tenant on ports of its own (the server's "
                         "--tenant-ports or any free one; the tests must reach them) instead of the server's "
                         "default (MOCKIDP_LISTENER)")


@pytest.fixture(scope="session")
def mockidp_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    fixtures = request.config.getoption("--mockidp-fixtures")
    seed = request.config.getoption("--mockidp-seed")
    cert_dir = tmp_path_factory.mktemp("mockidp-certs")
    url = request.config.getoption("--mockidp-url")
    if url:
        listener = True if request.config.getoption("--mockidp-listener") else None
        server = MockIdPServer.connect(url, _tenant_name(), fixtures=fixtures, seed=seed, cert_dir=cert_dir,
                                       listener=listener)
    else:
        server = MockIdPServer(fixtures=fixtures, seed=seed, cert_dir=cert_dir)
    yield server
    server.stop()


@pytest.fixture
def mockidp(mockidp_server: MockIdPServer) -> MockIdPServer:
    """The session's mockidp, reset to its fixtures (and its clock) before the test."""
    mockidp_server.reset()
    return mockidp_server
