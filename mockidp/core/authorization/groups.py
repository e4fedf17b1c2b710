"""Groups: the ones a connection's directory synchronizes into Auth0, with their members and the
roles they give those members. Auth0 creates them from the upstream directory; the Management
API only reads and deletes them and assigns them roles. mockidp has no upstream directory, so
fixtures declare them (core/fixtures/groups.py) and the Management API reads them
(core/resources/catalog/organizations.py declares the routes).

A group is a declared record under `resources["/groups"]` (the engine serves GET and DELETE
/groups/{id}), holding its members' user ids and its role ids under keys never shown. Every
change replaces the record and the table, like every stored record. Assigning roles checks them
in roles.py, which imports this module (permissions.py does too: group roles count in tokens)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..tenant.clock import iso
from ..tenant.errors import ManagementError

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

GROUPS = "/groups"
HIDDEN = ("members", "roles")
# The spec's group id pattern: grp_ and base58 (no 0, O, I or l)
BASE58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def group_not_found() -> ManagementError:
    return ManagementError(404, "Group not found.", "group_not_found")


def stored(tenant: "Tenant") -> dict[str, dict]:
    return tenant.directory.resources.get(GROUPS, {})


def find(tenant: "Tenant", group_id: str) -> dict:
    group = stored(tenant).get(group_id)
    if group is None:
        raise group_not_found()
    return group


def view(group: dict) -> dict:
    """A group as GET /groups shows it: without its members and roles."""
    return {key: value for key, value in group.items() if key not in HIDDEN}


def create(tenant: "Tenant", name: str, *, connection_id: str | None = None, external_id: str | None = None,
           members: Iterable[str] = (), role_ids: Iterable[str] = ()) -> dict:
    """A synchronized group (fixtures only: the Management API creates none)."""
    with tenant.lock:
        now = iso(tenant.clock.now())
        group = {"id": "grp_" + tenant.rng.chars(BASE58, 18), "name": name}
        if connection_id is not None:
            group["connection_id"] = connection_id
        if external_id is not None:
            group["external_id"] = external_id
        group.update(tenant_name=_tenant_name(tenant), created_at=now, updated_at=now, members=tuple(dict.fromkeys(members)),
                     roles=tuple(dict.fromkeys(role_ids)))
        _save(tenant, group)
        return view(group)


def forget(tenant: "Tenant", *, user_id: str | None = None, role_id: str | None = None) -> None:
    """A deleted user leaves every group, a deleted role is no group's any more. Under the lock."""
    for group in list(stored(tenant).values()):
        if user_id in group["members"] or role_id in group["roles"]:
            _save(tenant, {**group, "members": tuple(m for m in group["members"] if m != user_id),
                           "roles": tuple(r for r in group["roles"] if r != role_id)})


def _tenant_name(tenant: "Tenant") -> str:
    """Auth0's tenant name is the first label of its domain; mockidp's, of its public URL's host.
    (A SCIM configuration's `tenant_name` is the whole domain instead, as recorded.)"""
    return tenant.public_host.split(".", 1)[0]


def _save(tenant: "Tenant", group: dict) -> None:
    tenant.directory.resources = {**tenant.directory.resources, GROUPS: {**stored(tenant), group["id"]: group}}


# --- a group's members --------------------------------------------------------------------------

def members(tenant: "Tenant", group_id: str) -> list[dict]:
    """GET /groups/{id}/members: the users that still exist, as the spec's GroupMember."""
    with tenant.lock:
        group = find(tenant, group_id)
        shown = {"member_type": "user", "type": "connection" if "connection_id" in group else "tenant"}
        if "connection_id" in group:
            shown["connection_id"] = group["connection_id"]
        return [{"id": user_id, **shown, "created_at": group["created_at"]}
                for user_id in group["members"] if user_id in tenant.directory.users]


def groups_of(tenant: "Tenant", user_id: str) -> list[dict]:
    """GET /users/{id}/groups: the groups the user belongs to, with when they joined."""
    with tenant.lock:
        return [{**view(group), "membership_created_at": group["created_at"]}
                for group in stored(tenant).values() if user_id in group["members"]]


def role_grants(tenant: "Tenant", user_id: str) -> dict[str, list[dict]]:
    """role id -> the groups of the user's that give it. Under the lock."""
    grants: dict[str, list[dict]] = {}
    for group in stored(tenant).values():
        if user_id in group["members"]:
            for role_id in group["roles"]:
                grants.setdefault(role_id, []).append(view(group))
    return grants


# --- a group's roles ----------------------------------------------------------------------------

def role_ids_of(tenant: "Tenant", user_id: str) -> tuple[str, ...]:
    """The roles the user holds through groups, without repeats, in role_grants' order. Under the
    lock. On every token's permissions: it copies no group view, as role_grants does."""
    return tuple(dict.fromkeys(role_id for group in stored(tenant).values() if user_id in group["members"]
                               for role_id in group["roles"]))


def roles_of(tenant: "Tenant", group_id: str) -> list[dict]:
    """GET /groups/{id}/roles: the roles that still exist, by name like GET /roles."""
    with tenant.lock:
        held = [tenant.directory.roles[role_id] for role_id in find(tenant, group_id)["roles"]
                if role_id in tenant.directory.roles]
    return [dict(role) for role in sorted(held, key=lambda role: (role["name"].lower(), role["id"]))]


def holding(tenant: "Tenant", role_id: str) -> list[dict]:
    """The groups that give a role, as GET /groups shows them."""
    return [view(group) for group in stored(tenant).values() if role_id in group["roles"]]


def change_roles(tenant: "Tenant", group: dict, role_ids: list[str], *, add: bool) -> None:
    """Store the group with these (checked) roles added or removed; its own metadata, `updated_at`
    too, is unchanged. Under the lock."""
    held = group["roles"]
    changed = tuple(dict.fromkeys((*held, *role_ids))) if add else tuple(r for r in held if r not in role_ids)
    _save(tenant, {**group, "roles": changed})
