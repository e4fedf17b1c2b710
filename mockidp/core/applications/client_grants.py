"""Client grants: which scopes of which API a client may get with client credentials.

Records are never mutated in place (reset relies on it): an update stores a new dict.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..tenant import ids
from ..tenant.errors import ManagementError, bad_request, conflict, not_found
from .clients import client_not_found
from .resource_servers import canonical_audience, find_by_audience, shown_audience

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant


def with_defaults(tenant: "Tenant", client_id: str, audience: str, scope: list[str]) -> dict:
    return {"id": ids.prefixed("cgr", tenant.rng), "client_id": client_id,
            "audience": canonical_audience(audience), "scope": list(scope)}


def grant_for(tenant: "Tenant", client_id: str, audience: str, subject_type: str = "client") -> dict | None:
    """The client's grant for an API; client credentials use the `client` one (a grant without
    subject_type), user flows may have a `user` one besides."""
    wanted = canonical_audience(audience)
    for grant in tenant.directory.client_grants.values():
        if grant.get("client_id") == client_id and grant["audience"] == wanted and \
                grant.get("subject_type", "client") == subject_type:
            return grant
    return None


def public_view(grant: dict, domain: str) -> dict:
    view = copy.deepcopy(grant)
    view["audience"] = shown_audience(view["audience"], domain)
    return view


def list_grants(tenant: "Tenant", audience: str | None = None, client_id: str | None = None) -> list[dict]:
    with tenant.lock:
        grants = list(tenant.directory.client_grants.values())
    if audience:
        grants = [g for g in grants if g["audience"] == canonical_audience(audience)]
    if client_id:
        grants = [g for g in grants if g.get("client_id") == client_id]
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


# --- create, update, delete (Management API) ------------------------------------------------

def create_grant(tenant: "Tenant", body: dict) -> dict:
    """POST /client-grants with a schema-validated body. The optional attributes a caller sends
    are echoed back (as Auth0 does); mockidp acts on client_id, audience and scope."""
    client_id, audience = body.get("client_id"), body["audience"]
    if client_id is None and body.get("default_for") is None:
        raise bad_request("Payload validation error: 'Missing required property: client_id'.")
    with tenant.lock:
        directory = tenant.directory
        if client_id is not None and client_id not in directory.clients:
            raise client_not_found()
        if find_by_audience(tenant, audience) is None:
            raise not_found(f"No resource with identifier {audience}")
        subject_type = body.get("subject_type", "client")
        if client_id is not None and grant_for(tenant, client_id, audience, subject_type) is not None:
            raise conflict(f"A client grant already exists between {client_id} and {audience}")
        grant = with_defaults(tenant, client_id, audience, body.get("scope") or [])
        if client_id is None:
            del grant["client_id"]
        for key, value in body.items():
            if key not in grant and key not in ("client_id", "audience", "scope"):
                grant[key] = copy.deepcopy(value)
        directory.client_grants[grant["id"]] = grant
        return copy.deepcopy(grant)


def update_grant(tenant: "Tenant", grant_id: str, body: dict) -> dict:
    """PATCH /client-grants/{id}: attributes replace; a null scope empties it, other nulls
    remove the attribute."""
    with tenant.lock:
        grant = copy.deepcopy(find_grant(tenant, grant_id))
        for key, value in body.items():
            if key == "scope":
                grant["scope"] = list(value or [])
            elif value is None:
                grant.pop(key, None)
            else:
                grant[key] = copy.deepcopy(value)
        tenant.directory.client_grants[grant_id] = grant
        return copy.deepcopy(grant)


def delete_grant(tenant: "Tenant", grant_id: str) -> None:
    """Idempotent: Auth0 documents no 404 for DELETE /client-grants/{id}."""
    with tenant.lock:
        tenant.directory.client_grants.pop(grant_id, None)
