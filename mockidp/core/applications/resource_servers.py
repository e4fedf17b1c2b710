"""Resource servers (APIs), including the system Management API whose identifier follows the host
clients use (auth0-deploy-cli writes it `https://##AUTH0_DOMAIN##/api/v2/`)."""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Callable

from ..tenant import ids
from ..tenant.errors import ManagementError, bad_request, conflict

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MANAGEMENT_API_IDENTIFIER = "https://##AUTH0_DOMAIN##/api/v2/"
# Any host's /api/v2/, and a named tenant's (/t/{name}/api/v2/: one server serves many tenants).
MANAGEMENT_API_PATTERN = re.compile(r"^https?://[^/]+(?:/t/[a-z0-9-]+)?/api/v2/?$")
# What PATCH may change on a system API (terraform-provider-auth0 #315/#374); anything else is
# refused as an additional property, as Auth0 does.
SYSTEM_UPDATABLE = ("token_lifetime", "skip_consent_for_verifiable_first_party_clients")
DEFAULT_TOKEN_LIFETIME_FOR_WEB = 7200


# A listener gets the API's identifier and the scope names it still defines (empty when the API
# is gone). Roles and user permissions (authorization/, above applications) subscribe, so the
# permissions that named a removed scope go with it; listeners run under the tenant lock.
ScopesRemovedListener = Callable[["Tenant", str, frozenset], None]


class ResourceServerChanges:
    """The listeners of one tenant (`tenant.resource_server_changes`)."""

    def __init__(self) -> None:
        self.scopes_removed: list[ScopesRemovedListener] = []


def _announce_scopes(tenant: "Tenant", before: dict, after: dict | None) -> None:
    remaining = frozenset(scope_names(after)) if after is not None else frozenset()
    if set(scope_names(before)) - remaining or after is None:
        for listener in tenant.resource_server_changes.scopes_removed:
            listener(tenant, before["identifier"], remaining)


def scope_names(server: dict) -> list[str]:
    return [entry.get("value") for entry in server.get("scopes") or []]


def inexistent_resource_server() -> ManagementError:
    return ManagementError(404, "The resource server does not exist", "inexistent_resource_server")


def is_management_audience(audience: str) -> bool:
    return audience == MANAGEMENT_API_IDENTIFIER or bool(MANAGEMENT_API_PATTERN.match(audience))


def canonical_audience(audience: str) -> str:
    """The key grants and resource servers are stored under."""
    return MANAGEMENT_API_IDENTIFIER if is_management_audience(audience) else audience


def management_api(tenant: "Tenant", scopes: list[str]) -> dict:
    return {"id": ids.resource_server_id(tenant.rng), "name": "Auth0 Management API",
            "identifier": MANAGEMENT_API_IDENTIFIER, "is_system": True, "allow_offline_access": False,
            "skip_consent_for_verifiable_first_party_clients": False, "token_lifetime": 86400,
            "token_lifetime_for_web": 7200, "signing_alg": "RS256",
            "scopes": [{"value": scope, "description": scope} for scope in scopes]}


def with_defaults(tenant: "Tenant", spec: dict) -> dict:
    server = {"id": spec.get("id") or ids.resource_server_id(tenant.rng),
              "name": spec.get("name", spec["identifier"]), "identifier": spec["identifier"],
              "scopes": [], "signing_alg": "RS256", "allow_offline_access": False,
              "token_lifetime": 86400, "token_lifetime_for_web": 7200,
              "skip_consent_for_verifiable_first_party_clients": True}
    server.update(copy.deepcopy({k: v for k, v in spec.items() if k != "id"}))
    return server


def find_by_audience(tenant: "Tenant", audience: str) -> dict | None:
    wanted = canonical_audience(audience)
    for server in tenant.directory.resource_servers.values():
        if server["identifier"] == wanted:
            return server
    return None


def _lookup(tenant: "Tenant", id_or_identifier: str) -> dict | None:
    return tenant.directory.resource_servers.get(id_or_identifier) or find_by_audience(tenant, id_or_identifier)


def find_resource_server(tenant: "Tenant", id_or_identifier: str) -> dict:
    server = _lookup(tenant, id_or_identifier)
    if server is None:
        raise inexistent_resource_server()
    return server


def shown_audience(audience: str, domain: str) -> str:
    """An identifier as the caller sees it: the Management API's follows the caller's domain."""
    return f"https://{domain}/api/v2/" if audience == MANAGEMENT_API_IDENTIFIER else audience


def public_view(server: dict, domain: str) -> dict:
    view = copy.deepcopy(server)
    view["identifier"] = shown_audience(view["identifier"], domain)
    return view


# --- create, update, delete (Management API) ------------------------------------------------

def resource_server_conflict() -> ManagementError:
    return conflict("A resource server with the same identifier already exists", "resource_server_conflict")


def create_resource_server(tenant: "Tenant", body: dict) -> dict:
    """POST /resource-servers with a schema-validated body, with the defaults real tenants return
    (recorded: no `scopes` key unless given, skip_consent false, 86400 s / 7200 s lifetimes)."""
    with tenant.lock:
        if find_by_audience(tenant, body["identifier"]) is not None:
            raise resource_server_conflict()
        server_id = ids.resource_server_id(tenant.rng)
        while server_id in tenant.directory.resource_servers:
            server_id = ids.resource_server_id(tenant.rng)
        lifetime = body.get("token_lifetime", 86400)
        server = {"id": server_id, "name": body.get("name", body["identifier"]),
                  "identifier": body["identifier"], "allow_offline_access": False,
                  "skip_consent_for_verifiable_first_party_clients": False,
                  "token_lifetime": lifetime,
                  "token_lifetime_for_web": min(lifetime, DEFAULT_TOKEN_LIFETIME_FOR_WEB),
                  "signing_alg": "RS256"}
        server.update(copy.deepcopy({k: v for k, v in body.items() if k not in ("name", "identifier")}))
        if server["signing_alg"] == "HS256" and "signing_secret" not in server:
            server["signing_secret"] = tenant.rng.alnum(32)  # Auth0 generates one for HS256 APIs
        tenant.directory.resource_servers[server_id] = server
        return copy.deepcopy(server)


def update_resource_server(tenant: "Tenant", id_or_identifier: str, body: dict) -> dict:
    """PATCH /resource-servers/{id}: attributes replace (scopes wholesale); the identifier is not
    updatable (the schema refuses it); a system API takes only SYSTEM_UPDATABLE."""
    with tenant.lock:
        server = find_resource_server(tenant, id_or_identifier)
        if server.get("is_system"):
            refused = [key for key in body if key not in SYSTEM_UPDATABLE]
            if refused:
                raise bad_request("Payload validation error: 'Additional properties not allowed: "
                                  f"{','.join(refused)}'.")
        updated = copy.deepcopy(server)
        for key, value in body.items():
            if value is None:
                updated.pop(key, None)
            else:
                updated[key] = copy.deepcopy(value)
        if updated.get("signing_alg") == "HS256" and "signing_secret" not in updated:
            updated["signing_secret"] = tenant.rng.alnum(32)
        tenant.directory.resource_servers[server["id"]] = updated
        _announce_scopes(tenant, server, updated)
        return copy.deepcopy(updated)


def delete_resource_server(tenant: "Tenant", id_or_identifier: str) -> None:
    """Idempotent (Auth0 documents no 404). The API's client grants go with it. A system API
    cannot be deleted (Auth0's answer is unrecorded: mockidp's is a 400)."""
    with tenant.lock:
        directory = tenant.directory
        server = _lookup(tenant, id_or_identifier)
        if server is None:
            return
        if server.get("is_system"):
            raise bad_request("System resource servers cannot be deleted.", None)
        del directory.resource_servers[server["id"]]
        for grant_id in [g["id"] for g in directory.client_grants.values()
                         if g["audience"] == server["identifier"]]:
            del directory.client_grants[grant_id]
        _announce_scopes(tenant, server, None)
