"""Tenant listeners: a named tenant served at the root of ports of its own, beside /t/{name}/.

Path addressing (/t/{name}/) needs no port per tenant, but two SDKs do not take it unchanged
(docs/ARCHITECTURE.md, "Why a path prefix, and when a listener"). A listener gives the tenant an
HTTP port, and an HTTPS one when the server serves TLS, on the server's bind host; there the
tenant is served at the root exactly as the default tenant is on the server's own ports, so its
`domain` is a bare `localhost:PORT`. The ports come from `--tenant-ports` (a range a container can
publish) or, without it, from the operating system. Each listener is the same hardened
`server.ServerThread` as the main ones (header buffering, the deferred TLS handshake, the request
line and header limits, idle timeouts, the thread count).

A listener's ports are bound before its tenant is built and closed with the tenant (a close hook
the tenant runs last, after its parts have let go of held requests), so a creation that fails
leaves no port taken and a deleted tenant's port refuses connections and is free again.
"""
from __future__ import annotations

import errno
import threading
from typing import TYPE_CHECKING, Callable, NamedTuple
from urllib.parse import urlsplit

from .core.tenant.errors import ControlError
from .server import ServerThread, TlsConfig

if TYPE_CHECKING:
    from .core.tenant.tenant import Tenant

# Builds the WSGI app of one tenant's listener: (its name, the tenant, its public base URL or None).
SiteFactory = Callable[[str, "Tenant", "str | None"], Callable]


class PortRange(NamedTuple):
    first: int
    last: int

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.first <= port <= self.last

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


def parse_port_range(text: str) -> PortRange:
    """`9100-9199` (or one port, `9100`); ValueError naming what is wrong."""
    first, _, last = text.strip().partition("-")
    try:
        ports = PortRange(int(first), int(last or first))
    except ValueError:
        raise ValueError(f"{text!r} is not a port range such as 9100-9199") from None
    if not (1 <= ports.first <= ports.last <= 65535):
        raise ValueError(f"{text!r} is not a port range such as 9100-9199 (ports 1 to 65535, first <= last)")
    return ports


class TenantListener:
    """One tenant's listening sockets (one per scheme) and the URLs they give it."""

    def __init__(self, servers: dict[str, ServerThread], public_host: str | None, public_scheme: str | None):
        self.servers = servers
        self._public_host = public_host
        self._public_scheme = public_scheme

    @property
    def ports(self) -> dict[str, int]:
        return {scheme: server.port for scheme, server in self.servers.items()}

    def url(self, scheme: str) -> str | None:
        server = self.servers.get(scheme)
        if server is None:
            return None
        if self._public_host:  # --public-url: its host name, the listener's own port
            return f"{scheme}://{self._public_host}:{server.port}"
        return server.url

    @property
    def public_base(self) -> str | None:
        """The tenant's fixed base URL with --public-url (its scheme's listener, else the other);
        None: the base follows the request, as on the server's own ports."""
        if not self._public_host:
            return None
        return self.url(self._public_scheme) or self.url(next(iter(self.servers)))

    def serve(self) -> None:
        for server in self.servers.values():
            server.start()

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()


class TenantListeners:
    """The server's tenant listeners: which ports they hold, opening and closing them."""

    def __init__(self, site: SiteFactory, *, host: str, tls: TlsConfig | None, threads: int,
                 port_range: PortRange | None = None, public_url: str | None = None):
        self._site = site
        self._host, self._tls, self._threads = host, tls, threads
        self.port_range = port_range
        public = urlsplit(public_url) if public_url else None
        self._public_host = _url_host(public.hostname) if public and public.hostname else None
        self._public_scheme = public.scheme if public else None
        self._open: dict[str, TenantListener] = {}
        self._lock = threading.Lock()

    @property
    def default_on(self) -> bool:
        """With --tenant-ports every new tenant gets a listener unless it asks not to."""
        return self.port_range is not None

    @property
    def schemes(self) -> tuple[str, ...]:
        return ("http", "https") if self._tls else ("http",)

    def find(self, name: str) -> TenantListener | None:
        return self._open.get(name)

    def open(self, name: str, ports: dict[str, int | None]) -> TenantListener:
        """Bind the tenant's ports (a fixed port, or the range's first free one, or any), without
        serving yet; ControlError (nothing left bound) if a port cannot be had."""
        self._check_fixed(ports)
        servers: dict[str, ServerThread] = {}
        try:
            with self._lock:
                for scheme in self.schemes:
                    servers[scheme] = self._bind(scheme, ports.get(scheme))
                listener = TenantListener(servers, self._public_host, self._public_scheme)
                self._open[name] = listener
        except BaseException:
            for server in servers.values():
                server.stop()
            raise
        return listener

    def attach(self, name: str, listener: TenantListener, tenant: Tenant) -> None:
        """Serve `tenant` on the bound ports; they close when the tenant does (deleted, or the
        server stopping)."""
        for server in listener.servers.values():
            server.app = self._site(name, tenant, listener.public_base)
        tenant.on_close(lambda: self.close(name))
        listener.serve()

    def close(self, name: str) -> None:
        with self._lock:
            listener = self._open.pop(name, None)
        if listener is not None:
            listener.close()

    def close_all(self) -> None:
        with self._lock:
            listeners, self._open = list(self._open.values()), {}
        for listener in listeners:
            listener.close()

    def _check_fixed(self, ports: dict[str, int | None]) -> None:
        if ports.get("https") is not None and "https" not in self.schemes:
            raise ControlError(400, '"tls_port": this server serves no HTTPS (start it with --tls).')
        for scheme, port in ports.items():
            if port is not None and self.port_range is not None and port not in self.port_range:
                option = "tls_port" if scheme == "https" else "port"
                raise ControlError(400, f'"{option}": {port} is outside the tenant ports '
                                        f"{self.port_range} (--tenant-ports).")

    def _bind(self, scheme: str, port: int | None) -> ServerThread:
        """A bound (not yet serving) listener for `scheme`: on `port`, else a free one."""
        if port is not None:
            return self._try_bind(scheme, port, fixed=True)
        if self.port_range is None:
            return self._try_bind(scheme, 0, fixed=True)  # the operating system picks a free port
        held = {held for listener in self._open.values() for held in listener.ports.values()}
        for candidate in range(self.port_range.first, self.port_range.last + 1):
            if candidate in held:
                continue
            server = self._try_bind(scheme, candidate, fixed=False)
            if server is not None:
                return server
        raise ControlError(409, f"No free port left in the tenant ports {self.port_range} (--tenant-ports): "
                                "delete a tenant with a listener, or widen the range.", "no_free_port")

    def _try_bind(self, scheme: str, port: int, *, fixed: bool) -> ServerThread | None:
        """The bound listener; a port taken by anyone (this server or another program) is None
        while searching the range and a 409 when the caller fixed it."""
        tls = self._tls if scheme == "https" else None
        server = ServerThread(_unserved, self._host, port, tls, self._threads)
        try:
            return server.bind()
        except OSError as problem:
            server.stop()
            in_use = problem.errno == errno.EADDRINUSE or "Address already in use" in str(problem)
            if in_use and not fixed:
                return None
            if in_use:
                raise ControlError(409, f"Port {port} is in use on {self._host}: choose another "
                                        "or leave it out.", "port_in_use") from None
            raise ControlError(400, f"Cannot listen on {self._host}:{port}: {problem.strerror or problem}.",
                               "invalid_request") from None


def _unserved(environ: dict, start_response: Callable) -> list[bytes]:
    """The app of a listener bound but not yet attached: never reached, since nothing serves
    the socket until `attach` sets the tenant's."""
    start_response("503 Service Unavailable", [("Content-Length", "0")])
    return []


def _url_host(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname
