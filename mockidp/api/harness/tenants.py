"""Many tenants in one server: the /t/{name}/ addressing, tenant listeners and /_mock/tenants.

A named tenant is reached by a path prefix: https://host:port/t/{name}/ is its base URL, so the
`domain` the official SDKs take is "host:port/t/{name}" and its issuer is ".../t/{name}/". The
SDKs build every URL by appending a path to the domain or issuer, so most accept it unchanged
(docs/ARCHITECTURE.md, "Tenants"). `TenantRouter` moves the prefix from PATH_INFO to SCRIPT_NAME
before anything else sees the request, and puts the tenant in the WSGI environ: every blueprint
then serves whichever tenant the request addressed, and URLs it builds keep the prefix.

A tenant created with a listener (`"listener": true`, `"port"`, `"tls_port"`, or by default under
--tenant-ports) is also served at the root of ports of its own (mockidp/listeners.py), through
`TenantSite`; its description then names those ports, and the path prefix keeps working.
"""
from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any, Callable, Protocol

from flask import Blueprint, current_app, request

from ...core.fixtures.files import DEFAULT_FIXTURE, FixtureDocument
from ...core.tenant.errors import ControlError, FixtureError, reason_phrase
from ...core.tenant.registry import DEFAULT_NAME, TenantRegistry, check_name
from ...core.tenant.statefile import StateError
from ..http import (
    LISTENER_BASE_KEY,
    TENANT_KEY,
    empty_response,
    json_response,
    read_body,
)
from .snapshots import STATE_MAX_BYTES

if TYPE_CHECKING:
    from ...core.tenant.tenant import Tenant

PREFIX = "/t/"
CREATE_KEYS = {"name", "fixtures", "seed", "clock", "state", "listener", "port", "tls_port"}
LISTENERS_KEY = "MOCKIDP_TENANT_LISTENERS"  # the app's listeners.TenantListeners, if it has one
LISTENER_NAME_KEY = "mockidp.listener_name"  # WSGI environ: the tenant whose own listener took the request
# Builds a named tenant from its fixtures (None: the server's) and a `mockidp` settings section.
TenantFactory = Callable[[str, "list[Any] | None", dict], "Tenant"]


class Listener(Protocol):
    """What this module reads of a tenant's listener (listeners.TenantListener)."""
    ports: dict[str, int]
    public_base: str | None

    def url(self, scheme: str) -> str | None: ...


class Listeners(Protocol):
    """The server's tenant listeners (listeners.TenantListeners), which live above the app."""
    default_on: bool

    def find(self, name: str) -> Listener | None: ...

    def open(self, name: str, ports: dict[str, int | None]) -> Listener: ...

    def attach(self, name: str, listener: Listener, tenant: Tenant) -> None: ...

    def close(self, name: str) -> None: ...


tenants_control = Blueprint("tenants", __name__, url_prefix="/_mock/tenants")


class TenantRouter:
    """WSGI middleware in front of everything: which tenant a request addresses."""

    def __init__(self, wsgi_app: Callable, registry: TenantRegistry):
        self.wsgi_app = wsgi_app
        self.registry = registry

    def __call__(self, environ: dict, start_response: Callable):
        path = environ.get("PATH_INFO") or "/"
        tenant = self.registry.default
        if path.startswith(PREFIX):
            name, _, rest = path[len(PREFIX):].partition("/")
            tenant = self.registry.find(name)
            if tenant is None:
                return _not_found(name, start_response)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + PREFIX + name
            environ["PATH_INFO"] = "/" + rest
        environ[TENANT_KEY] = tenant
        return self.wsgi_app(environ, start_response)


class TenantSite:
    """The WSGI app of a tenant's own listener: that tenant at the root, as the default tenant
    is on the server's ports (no /t/{name}/ routing there). `public_base`: its base URL under
    --public-url, else None (the base follows the request)."""

    def __init__(self, wsgi_app: Callable, name: str, tenant: Tenant, public_base: str | None):
        self.wsgi_app = wsgi_app
        self.name = name
        self.tenant = tenant
        self.public_base = public_base

    def __call__(self, environ: dict, start_response: Callable):
        environ[TENANT_KEY] = self.tenant
        environ[LISTENER_NAME_KEY] = self.name
        if self.public_base:
            environ[LISTENER_BASE_KEY] = self.public_base
        return self.wsgi_app(environ, start_response)


def _not_found(name: str, start_response: Callable) -> list[bytes]:
    error = ControlError(404, f"No tenant named {name!r} on this server; GET /_mock/tenants lists them.",
                         "not_found")
    body = json.dumps(error.body).encode()
    start_response(f"404 {reason_phrase(404)}", [("Content-Type", "application/json; charset=utf-8"),
                                                   ("Content-Length", str(len(body)))])
    return [body]


def registry() -> TenantRegistry:
    return current_app.extensions["mockidp.tenants"]


@tenants_control.before_request
def only_at_the_root():
    """Tenants are the server's, not a tenant's: /t/{name}/_mock/tenants does not exist, nor
    does /_mock/tenants on a tenant's own listener."""
    if request.script_root or request.environ.get(TENANT_KEY) is not registry().default:
        raise ControlError(404, "Tenants are managed at the server's root: /_mock/tenants.", "not_found")


@tenants_control.get("")
def list_tenants():
    named = [_describe(name) for name in registry().names()]
    return json_response({"tenants": [_describe(DEFAULT_NAME), *named]})


@tenants_control.post("")
def create_tenant():
    body = read_body(ControlError(400, "The body is not valid JSON."), STATE_MAX_BYTES)  # may hold a state
    if not isinstance(body, dict):
        raise ControlError(400, "The body must be a JSON object.")
    unknown = sorted(set(body) - CREATE_KEYS)
    if unknown:
        raise ControlError(400, f"Unknown key(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(CREATE_KEYS))}.")
    name = check_name(body.get("name"))
    fixtures, settings = _fixtures(body), _settings(body)
    factory: TenantFactory | None = current_app.config.get("MOCKIDP_TENANT_FACTORY")
    if factory is None:
        raise ControlError(501, "This app was built without a tenant factory (use mockidp.runtime.MockIdP).",
                           "not_implemented")
    state = body.get("state")
    if state is not None and not isinstance(state, dict):
        raise ControlError(400, '"state" must be a state document (GET /_mock/state of another tenant).')
    ports = _listener_ports(body)
    build = functools.partial(_built, factory, name, fixtures, settings, state)
    registry().create(name, lambda: _built_and_served(name, ports, build))
    return json_response(_describe(name), 201)


@tenants_control.get("/<name>")
def get_tenant(name: str):
    if name != DEFAULT_NAME:
        registry().get(name)
    return json_response(_describe(name))


@tenants_control.delete("/<name>")
def delete_tenant(name: str):
    if name == DEFAULT_NAME:
        raise ControlError(409, "The default tenant cannot be deleted; POST /_mock/reset resets it.", "conflict")
    registry().delete(name)
    return empty_response(204)


def listeners() -> Listeners | None:
    return current_app.config.get(LISTENERS_KEY)


def _listener_ports(body: dict) -> dict[str, int | None] | None:
    """The ports a creation body asks for, by scheme (None: any free one), or None for no
    listener. Without "listener", a fixed port implies one, else the server's default."""
    wanted = body.get("listener")
    if wanted is not None and not isinstance(wanted, bool):
        raise ControlError(400, '"listener" must be true or false.')
    ports = {"http": _port(body, "port"), "https": _port(body, "tls_port")}
    fixed = any(port is not None for port in ports.values())
    if wanted is False and fixed:
        raise ControlError(400, '"port" and "tls_port" give the tenant a listener: leave them out with "listener": false.')
    server = listeners()
    if wanted is None:
        wanted = fixed or bool(server and server.default_on)
    if not wanted:
        return None
    if server is None:
        raise ControlError(501, "This app was built without tenant listeners (use mockidp.runtime.MockIdP).",
                           "not_implemented")
    return ports


def _port(body: dict, key: str) -> int | None:
    port = body.get(key)
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        raise ControlError(400, f'"{key}" must be a port number from 1 to 65535 (leave it out for any free port).')
    return port


def _built_and_served(name: str, ports: dict[str, int | None] | None, build: Callable[[], Tenant]) -> Tenant:
    """The tenant, served on its own ports when it asked for them: the ports are bound first (a
    busy or exhausted port fails before anything is built) and closed again if the build fails."""
    if ports is None:
        return build()
    server = listeners()
    listener = server.open(name, ports)
    try:
        built = build()
    except BaseException:
        server.close(name)
        raise
    server.attach(name, listener, built)
    return built


def _built(factory: TenantFactory, name: str, fixtures: list[Any] | None, settings: dict,
           state: dict | None) -> "Tenant":
    """The tenant, or a 400 naming the problem; nothing is registered then (the name stays free)."""
    try:
        tenant = factory(name, fixtures, settings)
    except FixtureError as problem:
        raise ControlError(400, f"The tenant's fixtures are invalid: {problem}", "invalid_fixture") from None
    if state is not None:
        try:
            tenant.import_state(state)
        except StateError as problem:
            tenant.close()
            raise ControlError(400, f"Cannot load this state: {problem}", "invalid_state") from None
    return tenant


def _fixtures(body: dict) -> list[Any] | None:
    """The creation body's fixtures, merged in order (None: those the server started with)."""
    fixtures = body.get("fixtures")
    if fixtures is None:
        return None
    if not (isinstance(fixtures, list) and all(entry == "default" or isinstance(entry, dict) for entry in fixtures)):
        raise ControlError(400, '"fixtures" must be a list of fixture objects (the same keys as a fixture '
                                'file) or "default" (mockidp\'s default fixture).')
    return [DEFAULT_FIXTURE if entry == "default" else FixtureDocument(f"fixtures[{index}]", entry)
            for index, entry in enumerate(fixtures)]


def _settings(body: dict) -> dict:
    """The seed and clock of a creation body, as a fixture's `mockidp` section."""
    settings = {}
    if "seed" in body:
        seed = body["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ControlError(400, '"seed" must be a non-negative integer.')
        settings["seed"] = seed
    if "clock" in body:
        clock = body["clock"]
        if not isinstance(clock, dict) or set(clock) - {"now", "frozen"}:
            raise ControlError(400, '"clock" must be an object with "now" (ISO-8601) and/or "frozen" (true or false).')
        settings["clock"] = clock
    return settings


def _describe(name: str) -> dict:
    """How to reach a tenant: its base URLs, its issuer and the `domain` the SDKs take; those of
    its own listener when it has one (and then its ports)."""
    own = listeners().find(name) if listeners() and name != DEFAULT_NAME else None
    if own is not None:
        return _describe_listener(name, own)
    main: dict[str, str] = current_app.config.get("MOCKIDP_LISTENERS", lambda: {})()
    public = current_app.config.get("MOCKIDP_PUBLIC_URL")
    root = (public or main.get(request.scheme) or request.host_url).rstrip("/")
    suffix = "" if name == DEFAULT_NAME else PREFIX + name
    https_root = root if root.startswith("https://") else main.get("https")
    url = root + suffix
    https_url = https_root + suffix if https_root else None
    preferred = https_url or url
    return {"name": name, "url": url, "https_url": https_url, "issuer": preferred + "/",
            "domain": preferred.split("://", 1)[1]}


def _describe_listener(name: str, own: Listener) -> dict:
    url, https_url = own.url("http"), own.url("https")
    preferred = own.public_base or https_url or url
    return {"name": name, "url": url, "https_url": https_url, "issuer": preferred + "/",
            "domain": preferred.split("://", 1)[1], "ports": own.ports}
