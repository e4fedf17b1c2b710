"""Organization members and their roles: add/remove members, list them (with their roles when
asked), a member's roles, a user's organizations.

As on Auth0, roles may be assigned to a user in an organization before the user joins (the
recorded go-auth0 test does exactly that), so member roles are kept apart from membership;
leaving an organization drops them. A role that no longer exists drops out of every view.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..authorization import effective
from ..directory import users
from ..tenant.errors import ManagementError, bad_request
from .organizations import find

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MEMBER_FIELDS = ("user_id", "email", "picture", "name")


def add(tenant: "Tenant", organization_id: str, user_ids: list[str]) -> None:
    """POST /organizations/{id}/members: every user must exist; already a member is fine."""
    with tenant.lock:
        find(tenant, organization_id)
        missing = [user_id for user_id in user_ids if user_id not in tenant.directory.users]
        if missing:
            raise bad_request(f"The following users do not exist: {', '.join(missing)}", "invalid_body")
        for user_id in user_ids:
            key = (organization_id, user_id)
            if key not in tenant.directory.organization_members:
                tenant.directory.organization_members[key] = {"joined": tenant.directory.next_membership_sequence}
                tenant.directory.next_membership_sequence += 1


def remove(tenant: "Tenant", organization_id: str, user_ids: list[str]) -> None:
    with tenant.lock:
        find(tenant, organization_id)
        for user_id in user_ids:
            tenant.directory.organization_members.pop((organization_id, user_id), None)
            tenant.directory.organization_member_roles.pop((organization_id, user_id), None)


def is_member(tenant: "Tenant", organization_id: str, user_id: str) -> bool:
    return (organization_id, user_id) in tenant.directory.organization_members


def forget_user(tenant: "Tenant", user_id: str) -> None:
    """A deleted user's memberships and member roles. Under the tenant lock."""
    directory = tenant.directory
    for table in (directory.organization_members, directory.organization_member_roles):
        for key in [key for key in table if key[1] == user_id]:
            del table[key]


def list_members(tenant: "Tenant", organization_id: str, with_roles: bool = False) -> list[dict]:
    """Members in the order they joined, each as Auth0 lists them; `roles` only when asked."""
    with tenant.lock:
        find(tenant, organization_id)
        joined = sorted((entry["joined"], user_id) for (org_id, user_id), entry
                        in tenant.directory.organization_members.items() if org_id == organization_id)
        records = [tenant.directory.users.get(user_id) for _, user_id in joined]
        views = []
        for record in records:
            if record is None:
                continue
            view = {key: record.profile[key] for key in MEMBER_FIELDS if key in record.profile}
            if with_roles:
                view["roles"] = [{"id": role["id"], "name": role["name"]}
                                 for role in _roles(tenant, organization_id, record.user_id)]
            views.append(view)
    return views


# --- member roles -------------------------------------------------------------------------------

def roles_of(tenant: "Tenant", organization_id: str, user_id: str) -> list[dict]:
    """GET .../members/{user_id}/roles: id, name and description of each role."""
    with tenant.lock:
        find(tenant, organization_id)
        return [{"id": role["id"], "name": role["name"], "description": role.get("description", "")}
                for role in _roles(tenant, organization_id, user_id)]


def effective_roles(tenant: "Tenant", organization_id: str, user_id: str) -> list[dict]:
    """GET .../members/{user_id}/effective-roles: the member's roles in the organization, each
    with its sources (direct, groups). The organization first, then the user (Auth0's 404s)."""
    with tenant.lock:
        find(tenant, organization_id)
        users.find_user(tenant, user_id)
        return effective.roles_with_sources(
            tenant, tenant.directory.organization_member_roles.get((organization_id, user_id), ()),
            effective.group_grants(tenant, user_id, organization_id))


def role_source_groups(tenant: "Tenant", organization_id: str, user_id: str, role_id: str) -> list[dict]:
    """GET .../members/{user_id}/effective-roles/sources/groups: the organization's groups that
    give the member this role."""
    with tenant.lock:
        find(tenant, organization_id)
        users.find_user(tenant, user_id)
        return effective.source_groups(tenant, role_id, effective.group_grants(tenant, user_id, organization_id))


def role_ids(tenant: "Tenant", organization_id: str, user_id: str) -> list[str]:
    """The ids of a member's roles in an organization (tokens and Actions read them)."""
    with tenant.lock:
        return [role["id"] for role in _roles(tenant, organization_id, user_id)]


def assign_roles(tenant: "Tenant", organization_id: str, user_id: str, role_ids_: list[str]) -> None:
    with tenant.lock:
        find(tenant, organization_id)
        _check_user_and_roles(tenant, user_id, role_ids_)
        key = (organization_id, user_id)
        current = tenant.directory.organization_member_roles.get(key, ())
        tenant.directory.organization_member_roles[key] = current + tuple(
            role_id for role_id in dict.fromkeys(role_ids_) if role_id not in current)


def unassign_roles(tenant: "Tenant", organization_id: str, user_id: str, role_ids_: list[str]) -> None:
    with tenant.lock:
        find(tenant, organization_id)
        _check_user_and_roles(tenant, user_id, role_ids_)
        key = (organization_id, user_id)
        remaining = tuple(role_id for role_id in tenant.directory.organization_member_roles.get(key, ())
                          if role_id not in role_ids_)
        if remaining:
            tenant.directory.organization_member_roles[key] = remaining
        else:
            tenant.directory.organization_member_roles.pop(key, None)


def _roles(tenant: "Tenant", organization_id: str, user_id: str) -> list[dict]:
    stored = tenant.directory.organization_member_roles.get((organization_id, user_id), ())
    return [tenant.directory.roles[role_id] for role_id in stored if role_id in tenant.directory.roles]


def _check_user_and_roles(tenant: "Tenant", user_id: str, role_ids_: list[str]) -> None:
    if user_id not in tenant.directory.users:
        raise users.inexistent_user()
    unknown = [role_id for role_id in role_ids_ if role_id not in tenant.directory.roles]
    if unknown:
        raise ManagementError(404, f"Role {unknown[0]} does not exist", "inexistent_role")


# --- a user's organizations ------------------------------------------------------------------------

def organizations_of(tenant: "Tenant", user_id: str) -> list[dict]:
    """GET /users/{id}/organizations: in the order the user joined them."""
    with tenant.lock:
        if user_id not in tenant.directory.users:
            raise users.inexistent_user()
        joined = sorted((entry["joined"], org_id) for (org_id, member), entry
                        in tenant.directory.organization_members.items() if member == user_id)
        return [tenant.directory.organizations[org_id] for _, org_id in joined]
