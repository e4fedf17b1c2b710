"""MockIdP: the default tenant, the named tenants created at run time, the app and its
listeners (the server's, and the tenants' own: listeners.py), started and stopped as one. The CLI
and the pytest plugin both use it."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .api.management.registry import supported_scopes
from .core.assembly import build_tenant as assemble
from .core.fixtures.files import DEFAULT_FIXTURE, FixtureDocument, clock_settings, load_files
from .core.tenant.tenant import TenantConfig
from .listeners import PortRange, TenantListeners

if TYPE_CHECKING:
    from .core.tenant.tenant import Tenant


def build_tenant(fixtures: list[Path | FixtureDocument] | None = None, seed: int | None = None,
                 public_url: str | None = None, state_dir: Path | None = None,
                 latency: dict | int | None = None, email: dict | None = None,
                 keep_signing_key: bool = True, journal_size: int | None = None,
                 journal_bytes: int | None = None) -> Tenant:
    """A tenant from fixture files or documents (default: mockidp's default fixture); the
    options win over the fixtures' `mockidp` section. Its signing key is kept in the state
    directory unless keep_signing_key is False (then it lives in memory only)."""
    data = load_files(list(fixtures) if fixtures else [DEFAULT_FIXTURE], cache_dir=state_dir)
    if email:  # --email-* options win over the fixture's mockidp.email, key by key
        settings = data.setdefault("mockidp", {})
        settings["email"] = {**(settings.get("email") or {}), **email}
    if latency is not None:  # --latency / MOCKIDP_LATENCY win over the fixture's mockidp.latency
        data.setdefault("mockidp", {})["latency"] = latency
    if seed is None:
        seed = int((data.get("mockidp") or {}).get("seed", 0))
    start, frozen = clock_settings(data)
    return assemble(TenantConfig(fixture=data, seed=seed, public_url=public_url, state_dir=state_dir,
                                 keep_signing_key=keep_signing_key,
                                 **({} if journal_size is None else {"journal_size": journal_size}),
                                 **({} if journal_bytes is None else {"journal_bytes": journal_bytes}),
                                 clock_start=start, clock_frozen=frozen,
                                 management_scopes=tuple(supported_scopes())))  # what the routes accept


class MockIdP:
    def __init__(self, *, fixtures: list[Path] | None = None, seed: int | None = None,
                 host: str = "127.0.0.1", port: int = 0, tls: bool = False, tls_port: int = 0,
                 cert_dir: Path | None = None, public_url: str | None = None, threads: int = 16,
                 http: bool = True, latency: dict | int | None = None, email: dict | None = None,
                 allowed_hosts: tuple[str, ...] = (), control_token: str | None = None,
                 state: dict | None = None, journal_size: int | None = None,
                 journal_bytes: int | None = None, tenant_ports: PortRange | None = None):
        from .api.harness.tenants import LISTENERS_KEY, TenantSite
        from .app import create_app
        from .server import ServerThread, TlsConfig, quiet_cheroot

        quiet_cheroot()
        self.public_url = public_url.rstrip("/") if public_url else None
        self._startup = {"fixtures": list(fixtures) if fixtures else None, "latency": latency, "email": email,
                         "journal_size": journal_size, "journal_bytes": journal_bytes}
        self.tenant = build_tenant(fixtures, seed, self.public_url, latency=latency, email=email,
                                   journal_size=journal_size, journal_bytes=journal_bytes)
        if state is not None:  # a state document (GET /_mock/state); StateError if unreadable
            self.tenant.import_state(state)
        self.ca_file: Path | None = None
        tls_config = None
        if tls:
            from .tls import default_cert_dir, ensure_certificates

            extra = [h for h in (urlsplit(public_url).hostname if public_url else None,
                                 host if host not in ("0.0.0.0", "::") else None) if h]
            files = ensure_certificates(Path(cert_dir) if cert_dir else default_cert_dir(), extra)
            self.ca_file = files.ca_cert
            tls_config = TlsConfig(files.cert, files.key)
        self.tenant.actions.ca_file = self.ca_file  # Actions calling mockidp over HTTPS trust it
        self.control_token = control_token or None
        self.app = create_app(self.tenant, self.ca_file, self._build_named_tenant, allowed_hosts=tuple(allowed_hosts),
                              control_token=self.control_token)
        self.app.config["MOCKIDP_PUBLIC_URL"] = self.public_url
        self.app.config["MOCKIDP_LISTENERS"] = lambda: {listener.scheme: listener.url for listener in self.listeners}
        recorder = self.app.extensions["mockidp.journal"]  # the app below the /t/{name}/ routing
        self.tenant_listeners = TenantListeners(lambda name, tenant, base: TenantSite(recorder, name, tenant, base),
                                                host=host, tls=tls_config, threads=threads,
                                                port_range=tenant_ports, public_url=self.public_url)
        self.app.config[LISTENERS_KEY] = self.tenant_listeners
        self.listeners = []
        if http:
            self.listeners.append(ServerThread(self.app, host, port, threads=threads))
        if tls_config:
            self.listeners.append(ServerThread(self.app, host, tls_port, tls_config, threads))

    def start(self) -> "MockIdP":
        """Start every listener, or none: if one cannot bind (a busy TLS port), those already
        started are stopped before the OSError propagates."""
        started = []
        try:
            for listener in self.listeners:
                listener.start()
                started.append(listener)
        except OSError:
            for listener in started:
                listener.stop()
            raise
        return self

    def _build_named_tenant(self, name: str, fixtures: list | None, settings: dict) -> Tenant:
        """POST /_mock/tenants: the start-up fixtures (or the body's), then the body's seed and
        clock; the start-up --latency and --email-* options as for the default tenant. Its
        signing key is its own, made on its first token and kept in memory only (tenants come
        and go with test runs: nothing of theirs is left on disk)."""
        sources = list(fixtures if fixtures is not None else self._startup["fixtures"] or [DEFAULT_FIXTURE])
        if settings:
            sources.append(FixtureDocument("request body", {"mockidp": settings}))
        tenant = build_tenant(sources, settings.get("seed"), self.public_url, latency=self._startup["latency"],
                              email=self._startup["email"], keep_signing_key=False,
                              journal_size=self._startup["journal_size"],
                              journal_bytes=self._startup["journal_bytes"])
        tenant.actions.ca_file = self.ca_file
        return tenant

    def log_requests(self, printer) -> None:
        """Call `printer(journal entry)` after every request to any tenant (access-log lines)."""
        self.app.extensions["mockidp.journal"].access_log = printer

    @property
    def tenants(self):
        """The server's TenantRegistry: the default tenant and the named ones."""
        return self.app.extensions["mockidp.tenants"]

    def stop(self) -> None:
        for listener in self.listeners:
            listener.stop()
        self.tenants.close()  # each tenant's own listener closes with it
        self.tenant_listeners.close_all()
        self.tenant.close()

    @property
    def urls(self) -> list[str]:
        return [listener.url for listener in self.listeners]

    def url_for(self, scheme: str) -> str:
        for listener in self.listeners:
            if listener.scheme == scheme:
                return listener.url
        raise LookupError(f"mockidp is not serving {scheme}")
