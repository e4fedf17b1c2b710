"""Permissions: an API's scope granted to a role or directly to a user, named by the API's
identifier and the scope's value. Checking the ones a request names, showing them the way the
Management API does, a user's direct permissions, and the effective permissions (direct plus
role-derived, each with its `sources`) that user tokens are built from.

A permission is stored as the tuple (resource_server_identifier, permission_name); the
Management API's own identifier is stored in its canonical form (applications.resource_servers).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..applications import resource_servers
from ..directory.users import stored_profile
from ..tenant.errors import bad_request, not_found
from . import groups

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

Permission = tuple[str, str]
DIRECT_SOURCE = {"source_id": "", "source_name": "", "source_type": "DIRECT"}
# Auth0's entity limits for Authorization Core (its entity limit policy); the error Auth0 answers
# when one is reached is undocumented: mockidp's is a 400 (docs/behaviour.md).
ROLES_PER_TENANT = 1000
ROLES_PER_USER = 50
PERMISSIONS_PER_ROLE = 1000
PERMISSIONS_PER_USER = 1000


def refuse_over_limit(held: tuple, limit: int, holder: str, what: str) -> None:
    if len(held) > limit:
        raise bad_request(f"{holder} cannot have more than {limit} {what}.", None)


def checked(tenant: "Tenant", payload: list[dict]) -> tuple[Permission, ...]:
    """The permissions a (schema-validated) request names, each an existing API and one of its
    scopes; Auth0's 404 or 400 for the first that is not, before anything is written."""
    found: list[Permission] = []
    for entry in payload:
        identifier, name = entry["resource_server_identifier"], entry["permission_name"]
        server = resource_servers.find_by_audience(tenant, identifier)
        if server is None:
            raise not_found(f"The resource server does not exist: '{identifier}'",
                            "inexistent_resource_server")
        if name not in resource_servers.scope_names(server):
            raise bad_request(f"Permission '{name}' does not exist on resource server '{identifier}'.",
                              "invalid_body")
        found.append((server["identifier"], name))
    return tuple(dict.fromkeys(found))


def added(existing: tuple, new: Iterable) -> tuple:
    """`existing` followed by what `new` adds, without repeats: the stored order of a set."""
    return tuple(dict.fromkeys((*existing, *new)))


def removed(existing: tuple, gone: Iterable) -> tuple:
    gone = set(gone)
    return tuple(item for item in existing if item not in gone)


def store(table: dict, key: str, held: tuple) -> None:
    """A new tuple for `key`, or none at all when it is empty (so deletes leave no trace)."""
    if held:
        table[key] = held
    else:
        table.pop(key, None)


def view(tenant: "Tenant", permission: Permission, domain: str) -> dict:
    """A permission as GET /roles/{id}/permissions shows it: the API's name and the scope's
    description come from the API as it is now."""
    identifier, name = permission
    server = resource_servers.find_by_audience(tenant, identifier) or {}
    scope = next((entry for entry in server.get("scopes") or [] if entry.get("value") == name), {})
    shown = {"permission_name": name}
    if "description" in scope:
        shown["description"] = scope["description"]
    shown["resource_server_name"] = server.get("name", identifier)
    shown["resource_server_identifier"] = resource_servers.shown_audience(identifier, domain)
    return shown


def sorted_permissions(permissions: Iterable[Permission]) -> list[Permission]:
    """Listing order: by API identifier, then by name (Auth0 documents none)."""
    return sorted(permissions)


# --- a user's direct permissions ----------------------------------------------------------------

def add_user_permissions(tenant: "Tenant", user_id: str, payload: list[dict]) -> None:
    _change_user_permissions(tenant, user_id, payload, added)


def remove_user_permissions(tenant: "Tenant", user_id: str, payload: list[dict]) -> None:
    """Removing a permission the user does not hold is not an error; naming an unknown API or
    scope is, as when adding."""
    _change_user_permissions(tenant, user_id, payload, removed)


def _change_user_permissions(tenant: "Tenant", user_id: str, payload: list[dict], combine) -> None:
    with tenant.lock:
        stored_profile(tenant, user_id)  # 404 for an unknown user, before anything is written
        named = checked(tenant, payload)
        table = tenant.directory.user_permissions
        held = combine(table.get(user_id, ()), named)
        refuse_over_limit(held, PERMISSIONS_PER_USER, "A user", "permissions")
        store(table, user_id, held)


# --- effective permissions ------------------------------------------------------------------------

def effective(tenant: "Tenant", user_id: str,
              role_ids: Iterable[str] | None = None) -> dict[Permission, list[dict]]:
    """Every permission the user holds, direct or through a role, with where each comes from:
    the direct source first, then the roles in the order they were assigned, then those held
    through groups. `role_ids` replaces the user's tenant roles, groups' included (a login
    through an organization applies its member roles)."""
    with tenant.lock:
        directory = tenant.directory
        sources: dict[Permission, list[dict]] = {
            permission: [dict(DIRECT_SOURCE)] for permission in directory.user_permissions.get(user_id, ())}
        if role_ids is None:
            role_ids = dict.fromkeys((*directory.user_roles.get(user_id, ()), *groups.role_ids_of(tenant, user_id)))
        for role_id in role_ids:
            role = directory.roles.get(role_id)
            if role is None:
                continue
            source = {"source_id": role_id, "source_name": role["name"], "source_type": "ROLE"}
            for permission in directory.role_permissions.get(role_id, ()):
                sources.setdefault(permission, []).append(dict(source))
        return sources


def user_permission_views(tenant: "Tenant", user_id: str, domain: str) -> list[dict]:
    """GET /users/{id}/permissions: the effective permissions with their sources."""
    with tenant.lock:
        stored_profile(tenant, user_id)
        sources = effective(tenant, user_id)
        return [{**view(tenant, permission, domain), "sources": sources[permission]}
                for permission in sorted_permissions(sources)]


def scopes_for_api(tenant: "Tenant", user_id: str, identifier: str,
                   role_ids: Iterable[str] | None = None) -> list[str]:
    """The names of the user's effective permissions on one API, in listing order."""
    wanted = resource_servers.canonical_audience(identifier)
    return [name for api, name in sorted_permissions(effective(tenant, user_id, role_ids)) if api == wanted]


# --- cascades -------------------------------------------------------------------------------------

def drop_removed_scopes(tenant: "Tenant", identifier: str, remaining: frozenset) -> None:
    """An API lost scopes (or is gone): roles and users no longer hold permissions naming them."""
    def kept(permissions: tuple) -> tuple:
        return tuple(p for p in permissions if p[0] != identifier or p[1] in remaining)

    directory = tenant.directory
    for table in (directory.role_permissions, directory.user_permissions):
        for key, permissions in list(table.items()):
            left = kept(permissions)
            if left != permissions:
                table[key] = left
