"""Effective roles and permissions as the Management API lists them, with where each comes from:
GET /users/{id}/effective-roles (and its /sources/groups), GET /users/{id}/effective-permissions
(and its /sources/effective-roles). Organizations list their members' effective roles through
`roles_with_sources` (core/organizations/members.py), since organizations sit above this domain.

A role is effective through a direct assignment (`direct`) or through a group the user belongs
to (`groups`); a permission through a direct grant (`direct`) or one of the effective roles
(`roles`). Groups come from a connection's synchronized directory; mockidp's come from fixtures
(groups.py). `group_grants` is the one place that reads them; an organization's own groups are
not modelled, so a member holds no role through one (docs/behaviour.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..applications import resource_servers
from ..directory.users import stored_profile
from . import groups, permissions
from .roles import find_role

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

DIRECT, GROUPS, ROLES = "direct", "groups", "roles"


def group_grants(tenant: "Tenant", user_id: str, organization_id: str | None = None) -> dict[str, list[dict]]:
    """role id -> the groups (as GET /groups shows them) through which the user holds that role,
    in the tenant or, with `organization_id`, in that organization (none: see above)."""
    return {} if organization_id is not None else groups.role_grants(tenant, user_id)


def roles_with_sources(tenant: "Tenant", direct_role_ids: Iterable[str],
                       through_groups: dict[str, list[dict]]) -> list[dict]:
    """Each role held directly or through a group, by name as GET /roles sorts them, with its
    sources in the spec's order (direct, then groups). Roles deleted since drop out. Under the lock."""
    direct = set(direct_role_ids)
    held = [tenant.directory.roles[role_id] for role_id in dict.fromkeys((*direct, *through_groups))
            if role_id in tenant.directory.roles]
    return [{"id": role["id"], "name": role["name"], "description": role.get("description", ""),
             "sources": [source for source, holds in ((DIRECT, role["id"] in direct),
                                                      (GROUPS, bool(through_groups.get(role["id"])))) if holds]}
            for role in sorted(held, key=lambda role: (role["name"].lower(), role["id"]))]


def source_groups(tenant: "Tenant", role_id: str, through_groups: dict[str, list[dict]]) -> list[dict]:
    """The groups that give a role (which must exist: Auth0's 404 `The role does not exist.`)."""
    find_role(tenant, role_id)
    return [dict(group) for group in through_groups.get(role_id, [])]


# --- a user's ------------------------------------------------------------------------------------

def user_roles(tenant: "Tenant", user_id: str) -> list[dict]:
    """GET /users/{id}/effective-roles."""
    with tenant.lock:
        stored_profile(tenant, user_id)  # 404 inexistent_user
        return _effective_roles(tenant, user_id)


def user_role_source_groups(tenant: "Tenant", user_id: str, role_id: str) -> list[dict]:
    """GET /users/{id}/effective-roles/sources/groups: the user first, then the role."""
    with tenant.lock:
        stored_profile(tenant, user_id)
        return source_groups(tenant, role_id, group_grants(tenant, user_id))


def user_permissions(tenant: "Tenant", user_id: str, identifier: str, domain: str) -> list[dict]:
    """GET /users/{id}/effective-permissions: the user's permissions on one API (an identifier no
    API has holds none), by name, each with its sources (direct, then roles)."""
    with tenant.lock:
        stored_profile(tenant, user_id)
        wanted = resource_servers.canonical_audience(identifier)
        kinds = {name: {source["source_type"] for source in sources}
                 for (api, name), sources in permissions.effective(tenant, user_id).items() if api == wanted}
        return [{**permissions.view(tenant, (wanted, name), domain),
                 "sources": [shown for shown, kind in ((DIRECT, "DIRECT"), (ROLES, "ROLE")) if kind in kinds[name]]}
                for name in sorted(kinds)]


def permission_source_roles(tenant: "Tenant", user_id: str, identifier: str, permission_name: str) -> list[dict]:
    """GET /users/{id}/effective-permissions/sources/effective-roles: the user's effective roles
    (with their own sources) that grant this permission of this API."""
    wanted = (resource_servers.canonical_audience(identifier), permission_name)
    with tenant.lock:
        stored_profile(tenant, user_id)
        return [role for role in _effective_roles(tenant, user_id)
                if wanted in tenant.directory.role_permissions.get(role["id"], ())]


def _effective_roles(tenant: "Tenant", user_id: str) -> list[dict]:
    return roles_with_sources(tenant, tenant.directory.user_roles.get(user_id, ()), group_grants(tenant, user_id))
