"""Client grants: which scopes of which API a client may get with client credentials."""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from . import ids
from .errors import ManagementError
from .resource_servers import MANAGEMENT_API_IDENTIFIER, canonical_audience

if TYPE_CHECKING:
    from .tenant import Tenant


def with_defaults(tenant: "Tenant", client_id: str, audience: str, scope: list[str]) -> dict:
    return {"id": ids.prefixed("cgr", tenant.rng), "client_id": client_id,
            "audience": canonical_audience(audience), "scope": list(scope)}


def grant_for(tenant: "Tenant", client_id: str, audience: str) -> dict | None:
    wanted = canonical_audience(audience)
    for grant in tenant.directory.client_grants.values():
        if grant["client_id"] == client_id and grant["audience"] == wanted:
            return grant
    return None


def public_view(grant: dict, domain: str) -> dict:
    view = copy.deepcopy(grant)
    if view["audience"] == MANAGEMENT_API_IDENTIFIER:
        view["audience"] = f"https://{domain}/api/v2/"
    return view


def list_grants(tenant: "Tenant", audience: str | None = None, client_id: str | None = None) -> list[dict]:
    with tenant.lock:
        grants = list(tenant.directory.client_grants.values())
    if audience:
        grants = [g for g in grants if g["audience"] == canonical_audience(audience)]
    if client_id:
        grants = [g for g in grants if g["client_id"] == client_id]
    return grants


def inexistent_client_grant() -> ManagementError:
    # Auth0's wording is unrecorded; this follows its other 404s ("The client does not exist").
    return ManagementError(404, "The client grant does not exist", "inexistent_client_grant")


def find_grant(tenant: "Tenant", grant_id: str) -> dict:
    with tenant.lock:
        grant = tenant.directory.client_grants.get(grant_id)
    if grant is None:
        raise inexistent_client_grant()
    return grant
