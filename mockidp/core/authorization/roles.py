"""Roles: create/read/update/delete with Auth0's rules, the permissions a role grants, and which
users hold it (from either side: /roles/{id}/users and /users/{id}/roles).

A role is stored as Auth0 returns it ({id, name, description}); its permissions and its users
live in their own tables (records.py), so a role's record never changes when they do. Deleting a
role removes it from every user, as Auth0's documentation says.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..directory.users import find_user, stored_profile
from ..tenant import ids
from ..tenant.errors import bad_request, conflict, not_found
from . import groups, permissions

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

ROLE_USER_FIELDS = ("user_id", "email", "picture", "name")


def inexistent_role() -> Exception:
    return not_found("The role does not exist.")


def find_role(tenant: "Tenant", role_id: str) -> dict:
    role = tenant.directory.roles.get(role_id)
    if role is None:
        raise inexistent_role()
    return role


def _refuse_taken_name(tenant: "Tenant", name: str, except_id: str | None = None) -> None:
    if any(role["name"] == name and role["id"] != except_id for role in tenant.directory.roles.values()):
        raise conflict("The role already exists.")


def create_role(tenant: "Tenant", body: dict, role_id: str | None = None) -> dict:
    """POST /roles with a schema-validated body (`role_id` only from fixtures)."""
    with tenant.lock:
        _refuse_taken_name(tenant, body["name"])
        if len(tenant.directory.roles) >= permissions.ROLES_PER_TENANT:
            raise bad_request(f"A tenant cannot have more than {permissions.ROLES_PER_TENANT} roles.", None)
        role_id = role_id or ids.prefixed("rol", tenant.rng)
        while role_id in tenant.directory.roles:
            role_id = ids.prefixed("rol", tenant.rng)
        role = {"id": role_id, "name": body["name"]}
        if "description" in body:
            role["description"] = body["description"]
        tenant.directory.roles[role_id] = role
        return dict(role)


def get_role(tenant: "Tenant", role_id: str) -> dict:
    with tenant.lock:
        return dict(find_role(tenant, role_id))


def list_roles(tenant: "Tenant", name_filter: str | None = None) -> list[dict]:
    """By name; `name_filter` keeps names containing it, case-insensitively."""
    with tenant.lock:
        found = list(tenant.directory.roles.values())
    if name_filter:
        wanted = name_filter.lower()
        found = [role for role in found if wanted in role["name"].lower()]
    return [dict(role) for role in sorted(found, key=lambda role: (role["name"].lower(), role["id"]))]


def update_role(tenant: "Tenant", role_id: str, body: dict) -> dict:
    with tenant.lock:
        role = find_role(tenant, role_id)
        if "name" in body:
            _refuse_taken_name(tenant, body["name"], except_id=role_id)
        updated = {**role, **body}
        tenant.directory.roles[role_id] = updated
        return dict(updated)


def delete_role(tenant: "Tenant", role_id: str) -> None:
    with tenant.lock:
        find_role(tenant, role_id)
        directory = tenant.directory
        del directory.roles[role_id]
        directory.role_permissions.pop(role_id, None)
        groups.forget(tenant, role_id=role_id)
        for user_id, role_ids in list(directory.user_roles.items()):
            if role_id in role_ids:
                _store_user_roles(tenant, user_id, permissions.removed(role_ids, [role_id]))


# --- a role's permissions -------------------------------------------------------------------------

def role_permission_views(tenant: "Tenant", role_id: str, domain: str) -> list[dict]:
    with tenant.lock:
        find_role(tenant, role_id)
        held = tenant.directory.role_permissions.get(role_id, ())
        return [permissions.view(tenant, permission, domain)
                for permission in permissions.sorted_permissions(held)]


def add_role_permissions(tenant: "Tenant", role_id: str, payload: list[dict]) -> None:
    _change_role_permissions(tenant, role_id, payload, permissions.added)


def remove_role_permissions(tenant: "Tenant", role_id: str, payload: list[dict]) -> None:
    _change_role_permissions(tenant, role_id, payload, permissions.removed)


def _change_role_permissions(tenant: "Tenant", role_id: str, payload: list[dict], combine) -> None:
    """Check the role and every named permission first, so a bad one changes nothing."""
    with tenant.lock:
        find_role(tenant, role_id)
        named = permissions.checked(tenant, payload)
        held = combine(tenant.directory.role_permissions.get(role_id, ()), named)
        permissions.refuse_over_limit(held, permissions.PERMISSIONS_PER_ROLE, "A role", "permissions")
        permissions.store(tenant.directory.role_permissions, role_id, held)


# --- who holds a role -----------------------------------------------------------------------------

def _store_user_roles(tenant: "Tenant", user_id: str, role_ids: tuple) -> None:
    permissions.store(tenant.directory.user_roles, user_id, role_ids)


def assign_users(tenant: "Tenant", role_id: str, user_ids: list[str]) -> None:
    """POST /roles/{id}/users: every user must exist and stay within the roles a user may hold,
    or nothing is assigned."""
    with tenant.lock:
        find_role(tenant, role_id)
        for user_id in user_ids:
            find_user(tenant, user_id)
        _assign(tenant, {user_id: [role_id] for user_id in user_ids})


def _assign(tenant: "Tenant", new_roles: dict[str, list[str]]) -> None:
    """Add roles to users, after checking every user's total against Auth0's limit."""
    held = {user_id: permissions.added(tenant.directory.user_roles.get(user_id, ()), role_ids)
            for user_id, role_ids in new_roles.items()}
    for role_ids in held.values():
        permissions.refuse_over_limit(role_ids, permissions.ROLES_PER_USER, "A user", "roles")
    for user_id, role_ids in held.items():
        _store_user_roles(tenant, user_id, role_ids)


def role_users(tenant: "Tenant", role_id: str) -> list[dict]:
    """The role's users by user_id (as recorded), each shown by the few fields Auth0 shows."""
    with tenant.lock:
        find_role(tenant, role_id)
        directory = tenant.directory
        holders = sorted(user_id for user_id, role_ids in directory.user_roles.items()
                         if role_id in role_ids and user_id in directory.users)
        profiles = [directory.users[user_id].profile for user_id in holders]
    return [{field: profile[field] for field in ROLE_USER_FIELDS if field in profile} for profile in profiles]


def user_roles(tenant: "Tenant", user_id: str) -> list[dict]:
    """GET /users/{id}/roles: by name, like GET /roles."""
    with tenant.lock:
        stored_profile(tenant, user_id)
        roles = [tenant.directory.roles[role_id] for role_id in tenant.directory.user_roles.get(user_id, ())
                 if role_id in tenant.directory.roles]
    return [dict(role) for role in sorted(roles, key=lambda role: (role["name"].lower(), role["id"]))]


def role_names(tenant: "Tenant", user_id: str, role_ids: Iterable[str] | None = None) -> list[str]:
    """What post-login Actions see as event.authorization.roles: the user's roles, or the given
    `role_ids` (an organization's member roles), by name."""
    if role_ids is None:
        return [role["name"] for role in user_roles(tenant, user_id)]
    with tenant.lock:
        held = [tenant.directory.roles[role_id] for role_id in role_ids if role_id in tenant.directory.roles]
    return [role["name"] for role in sorted(held, key=lambda role: (role["name"].lower(), role["id"]))]


def assign_roles(tenant: "Tenant", user_id: str, role_ids: Iterable[str]) -> None:
    """POST /users/{id}/roles: the user and every role must exist, or nothing is assigned."""
    with tenant.lock:
        stored_profile(tenant, user_id)
        role_ids = list(role_ids)
        for role_id in role_ids:
            find_role(tenant, role_id)
        _assign(tenant, {user_id: role_ids})


def unassign_roles(tenant: "Tenant", user_id: str, role_ids: Iterable[str]) -> None:
    """DELETE /users/{id}/roles: roles the user does not hold (or unknown ones) are ignored."""
    with tenant.lock:
        stored_profile(tenant, user_id)
        held = tenant.directory.user_roles.get(user_id, ())
        _store_user_roles(tenant, user_id, permissions.removed(held, role_ids))


# --- groups' roles, from either side (groups.py keeps the groups) ---------------------------------

def change_group_roles(tenant: "Tenant", group_id: str, role_ids: list[str], *, add: bool) -> None:
    """POST/DELETE /groups/{id}/roles: the group, then every role must exist; nothing changes otherwise."""
    with tenant.lock:
        group = groups.find(tenant, group_id)
        for role_id in role_ids:
            find_role(tenant, role_id)
        groups.change_roles(tenant, group, role_ids, add=add)


def role_groups(tenant: "Tenant", role_id: str) -> list[dict]:
    """GET /roles/{id}/groups."""
    with tenant.lock:
        find_role(tenant, role_id)
        return groups.holding(tenant, role_id)


def change_role_groups(tenant: "Tenant", role_id: str, group_ids: list[str], *, add: bool) -> None:
    """POST/DELETE /roles/{id}/groups: the role, then every group must exist; nothing changes otherwise."""
    with tenant.lock:
        find_role(tenant, role_id)
        named = [groups.find(tenant, group_id)["id"] for group_id in group_ids]
        for group_id in named:
            groups.change_roles(tenant, groups.find(tenant, group_id), [role_id], add=add)
