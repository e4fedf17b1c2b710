"""Organizations (/api/v2/organizations): create, read (by id or name), list, update, delete,
and the connections enabled for each. Shapes follow Auth0's recorded answers: a key the caller
never set (metadata, branding, enabled_connections) is absent, not null.

Records are never mutated in place (reset relies on it): an update stores a new dict. Each
record keeps `created_at` and a creation `sequence` that Auth0 does not show, for sorting and
checkpoint paging.
"""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from ..tenant import ids
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request, conflict

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MAX_ENABLED_CONNECTIONS = 10  # Auth0's limit per organization
# Auth0: "lowercase alphabetical characters, numbers, underscores and dashes", 1-50 characters.
NAME = re.compile(r"[a-z0-9_-]{1,50}")
HIDDEN = ("created_at", "sequence")  # stored for ordering, never shown
SORTABLE = ("name", "display_name", "created_at")


def organization_not_found() -> ManagementError:
    return ManagementError(404, "No organization found by that id or name")  # no errorCode (recorded)


def public_view(organization: dict) -> dict:
    view = {key: copy.deepcopy(value) for key, value in organization.items()
            if key not in HIDDEN and key != "enabled_connections"}
    return view


def find(tenant: "Tenant", organization_id: str) -> dict:
    with tenant.lock:
        organization = tenant.directory.organizations.get(organization_id)
    if organization is None:
        raise organization_not_found()
    return organization


def find_by_name(tenant: "Tenant", name: str) -> dict:
    found = by_name(tenant, name)
    if found is None:
        raise organization_not_found()
    return found


def by_name(tenant: "Tenant", name: str) -> dict | None:
    with tenant.lock:
        return next((org for org in tenant.directory.organizations.values() if org["name"] == name), None)


def by_id_or_name(tenant: "Tenant", reference: str) -> dict | None:
    """/authorize's `organization` parameter takes either."""
    with tenant.lock:
        return tenant.directory.organizations.get(reference) or by_name(tenant, reference)


def list_organizations(tenant: "Tenant", sort: str | None = None) -> list[dict]:
    """Creation order by default; `sort` is `field:1` or `field:-1` on name, display_name or
    created_at."""
    with tenant.lock:
        found = sorted(tenant.directory.organizations.values(), key=lambda org: org["sequence"])
    if sort:
        field, _, direction = sort.partition(":")
        if field not in SORTABLE or direction not in ("1", "-1"):
            raise bad_request(f"Query validation error: 'Invalid sort field {sort!r}' on property sort "
                              "(Field to sort by. Use field:order where order is 1 for ascending and -1 "
                              "for descending Defaults to created_at:1.).", "invalid_query_string")
        found.sort(key=lambda org: (org.get(field) or "", org["sequence"]), reverse=direction == "-1")
    return found


# --- create, update, delete --------------------------------------------------------------------

def create(tenant: "Tenant", body: dict) -> dict:
    """POST /organizations with a schema-validated body."""
    _check_name(body["name"])
    connections = body.get("enabled_connections") or []
    if len(connections) > MAX_ENABLED_CONNECTIONS:
        raise bad_request(f"Organizations can have up to {MAX_ENABLED_CONNECTIONS} enabled connections")
    with tenant.lock:
        directory = tenant.directory
        if by_name(tenant, body["name"]) is not None:
            raise conflict("An organization with this name already exists", "organization_conflict")
        enabled = tuple(_enabled_connection(tenant, entry) for entry in connections)
        if len({entry["connection_id"] for entry in enabled}) != len(enabled):
            raise bad_request("The same connection may only be enabled once", "invalid_body")
        organization = {"id": ids.prefixed("org", tenant.rng), "name": body["name"]}
        for key in ("display_name", "branding", "metadata", "token_quota"):
            if key in body:
                organization[key] = copy.deepcopy(body[key])
        organization["created_at"] = iso(tenant.clock.now())
        organization["sequence"] = directory.next_organization_sequence
        directory.next_organization_sequence += 1
        if enabled:
            organization["enabled_connections"] = enabled
        directory.organizations[organization["id"]] = organization
    view = public_view(organization)
    if enabled:
        view["enabled_connections"] = [connection_view(tenant, entry) for entry in enabled]
    return view


def update(tenant: "Tenant", organization_id: str, body: dict) -> dict:
    """PATCH /organizations/{id}: the attributes sent replace the stored ones; metadata merges
    key by key, a null value removing its key (Auth0's metadata rule)."""
    if "name" in body:
        _check_name(body["name"])
    with tenant.lock:
        previous = find(tenant, organization_id)
        if "name" in body and body["name"] != previous["name"] and by_name(tenant, body["name"]) is not None:
            raise conflict("An organization with this name already exists", "organization_conflict")
        updated = dict(previous)
        for key in ("name", "display_name", "branding", "token_quota"):
            if key in body:
                updated[key] = copy.deepcopy(body[key])
        if "metadata" in body:
            merged = {**previous.get("metadata", {}), **(body["metadata"] or {})}
            updated["metadata"] = {key: value for key, value in merged.items() if value is not None}
        tenant.directory.organizations[organization_id] = updated
    return public_view(updated)


def delete(tenant: "Tenant", organization_id: str) -> None:
    """Members and invitations go with it; users stay."""
    with tenant.lock:
        find(tenant, organization_id)
        directory = tenant.directory
        del directory.organizations[organization_id]
        for key in [key for key in directory.organization_members if key[0] == organization_id]:
            del directory.organization_members[key]
        for key in [key for key in directory.organization_member_roles if key[0] == organization_id]:
            del directory.organization_member_roles[key]
        for invitation_id in [i for i, inv in directory.organization_invitations.items()
                              if inv["organization_id"] == organization_id]:
            del directory.organization_invitations[invitation_id]


def _check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise bad_request(f"Payload validation error: 'Object didn't pass validation for format "
                          f"organization-name: {name}' on property name (The name of this organization).")


# --- enabled connections -------------------------------------------------------------------------

def connection_view(tenant: "Tenant", entry: dict) -> dict:
    connection = tenant.directory.connections.get(entry["connection_id"]) or {}
    return {**entry, "connection": {"name": connection.get("name"), "strategy": connection.get("strategy")}}


def enabled_connections(tenant: "Tenant", organization_id: str) -> list[dict]:
    """The organization's enabled connections that still exist (a deleted connection drops out)."""
    with tenant.lock:
        organization = find(tenant, organization_id)
        return [connection_view(tenant, entry) for entry in organization.get("enabled_connections", ())
                if entry["connection_id"] in tenant.directory.connections]


def button_connection_ids(tenant: "Tenant", organization_id: str) -> set[str]:
    """The connections an organization's login page offers as buttons (`show_as_button`).
    Under the tenant lock."""
    organization = tenant.directory.organizations.get(organization_id) or {}
    return {entry["connection_id"] for entry in organization.get("enabled_connections", ())
            if entry.get("show_as_button", True)}


def enabled_connection(tenant: "Tenant", organization_id: str, connection_id: str) -> dict:
    for entry in enabled_connections(tenant, organization_id):
        if entry["connection_id"] == connection_id:
            return entry
    raise ManagementError(404, "No connection found by that id for this organization")  # no errorCode, as above


def enable_connection(tenant: "Tenant", organization_id: str, body: dict) -> dict:
    with tenant.lock:
        organization = find(tenant, organization_id)
        current = organization.get("enabled_connections", ())
        if any(entry["connection_id"] == body["connection_id"] for entry in current):
            raise conflict("The connection is already enabled for this organization")
        if len(current) >= MAX_ENABLED_CONNECTIONS:
            raise bad_request(f"Organizations can have up to {MAX_ENABLED_CONNECTIONS} enabled connections")
        entry = _enabled_connection(tenant, body)
        _store_connections(tenant, organization, current + (entry,))
        return connection_view(tenant, entry)


def update_connection(tenant: "Tenant", organization_id: str, connection_id: str, body: dict) -> dict:
    with tenant.lock:
        enabled_connection(tenant, organization_id, connection_id)
        organization = find(tenant, organization_id)
        replaced = tuple({**entry, **body} if entry["connection_id"] == connection_id else entry
                         for entry in organization.get("enabled_connections", ()))
        _check_signup(tenant, next(entry for entry in replaced if entry["connection_id"] == connection_id))
        _store_connections(tenant, organization, replaced)
        return enabled_connection(tenant, organization_id, connection_id)


def disable_connection(tenant: "Tenant", organization_id: str, connection_id: str) -> None:
    with tenant.lock:
        enabled_connection(tenant, organization_id, connection_id)
        organization = find(tenant, organization_id)
        _store_connections(tenant, organization, tuple(
            entry for entry in organization.get("enabled_connections", ()) if entry["connection_id"] != connection_id))


def _store_connections(tenant: "Tenant", organization: dict, entries: tuple) -> None:
    tenant.directory.organizations[organization["id"]] = {**organization, "enabled_connections": entries}


def _enabled_connection(tenant: "Tenant", body: dict) -> dict[str, Any]:
    """Auth0's defaults: membership on login off, the button shown; sign-up only where asked."""
    connection = tenant.directory.connections.get(body["connection_id"])
    if connection is None:
        raise ManagementError(404, "No connection found by that id", "inexistent_connection")
    entry = {"connection_id": body["connection_id"],
             "assign_membership_on_login": bool(body.get("assign_membership_on_login", False)),
             "show_as_button": bool(body.get("show_as_button", True))}
    # is_signup_enabled; and what the newer /organizations/{id}/connections API adds
    for key in ("is_signup_enabled", "organization_connection_name", "organization_access_level", "is_enabled"):
        if key in body:
            entry[key] = body[key]
    _check_signup(tenant, entry)
    return entry


def _check_signup(tenant: "Tenant", entry: dict) -> None:
    """Sign-up through an organization needs a database connection that makes members (recorded)."""
    connection = tenant.directory.connections.get(entry["connection_id"]) or {}
    if entry.get("is_signup_enabled") and (connection.get("strategy") != "auth0"
                                           or not entry.get("assign_membership_on_login")):
        raise bad_request("Only database connections with assign_membership_on_login = true support "
                          "is_signup_enabled = true.")
