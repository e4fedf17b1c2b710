"""Resource servers (APIs), including the system Management API whose identifier follows the host
clients use (auth0-deploy-cli writes it `https://##AUTH0_DOMAIN##/api/v2/`)."""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from . import ids
from .errors import ManagementError

if TYPE_CHECKING:
    from .tenant import Tenant

MANAGEMENT_API_IDENTIFIER = "https://##AUTH0_DOMAIN##/api/v2/"
MANAGEMENT_API_PATTERN = re.compile(r"^https?://[^/]+/api/v2/?$")


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


def find_resource_server(tenant: "Tenant", id_or_identifier: str) -> dict:
    server = tenant.directory.resource_servers.get(id_or_identifier) or find_by_audience(tenant, id_or_identifier)
    if server is None:
        raise inexistent_resource_server()
    return server


def public_view(server: dict, domain: str) -> dict:
    view = copy.deepcopy(server)
    if view["identifier"] == MANAGEMENT_API_IDENTIFIER:
        view["identifier"] = f"https://{domain}/api/v2/"
    return view
