"""MockIdP: a tenant, its app and its listeners, started and stopped as one. The CLI and the
pytest plugin both use it."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .api.management.registry import supported_scopes
from .core.assembly import build_tenant as assemble
from .core.fixtures.files import DEFAULT_FIXTURE, clock_settings, load_files
from .core.tenant.tenant import TenantConfig

if TYPE_CHECKING:
    from .core.tenant.tenant import Tenant


def build_tenant(fixtures: list[Path] | None = None, seed: int | None = None,
                 public_url: str | None = None, state_dir: Path | None = None,
                 latency: dict | int | None = None, email: dict | None = None) -> Tenant:
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
                                 clock_start=start, clock_frozen=frozen,
                                 management_scopes=tuple(supported_scopes())))  # what the routes accept


class MockIdP:
    def __init__(self, *, fixtures: list[Path] | None = None, seed: int | None = None,
                 host: str = "127.0.0.1", port: int = 0, tls: bool = False, tls_port: int = 0,
                 cert_dir: Path | None = None, public_url: str | None = None, threads: int = 16,
                 http: bool = True, latency: dict | int | None = None, email: dict | None = None,
                 allowed_hosts: tuple[str, ...] = (), control_token: str | None = None):
        from .app import create_app
        from .server import ServerThread, TlsConfig, quiet_cheroot

        quiet_cheroot()
        self.public_url = public_url.rstrip("/") if public_url else None
        self.tenant = build_tenant(fixtures, seed, self.public_url, latency=latency, email=email)
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
        self.app = create_app(self.tenant, self.ca_file, allowed_hosts=tuple(allowed_hosts),
                              control_token=self.control_token)
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

    def stop(self) -> None:
        for listener in self.listeners:
            listener.stop()
        self.tenant.close()

    @property
    def urls(self) -> list[str]:
        return [listener.url for listener in self.listeners]

    def url_for(self, scheme: str) -> str:
        for listener in self.listeners:
            if listener.scheme == scheme:
                return listener.url
        raise LookupError(f"mockidp is not serving {scheme}")
