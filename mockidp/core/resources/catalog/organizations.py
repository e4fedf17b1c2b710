"""An organization's discovery domains (the email domains that send a user to it) and the
client grants it may use; a client grant's organizations; groups. Stored under the organization:
an unknown organization is Auth0's 404, a grant the tenant no longer has is no longer listed.

Groups are the ones a connection's directory synchronizes; mockidp has no upstream directory, so
fixtures declare them (core/authorization/groups.py keeps them, their members and their roles).
An organization's own groups are not modelled: an organization lists none, and an operation on
one of its groups is Auth0's 404 `Group not found.`"""
from __future__ import annotations


from ...applications.client_grants import find_grant, public_view
from ...authorization import groups, roles
from ...authorization.roles import find_role
from ...directory.users import find_user
from ...organizations.organizations import find as find_organization
from ...organizations.organizations import public_view as organization_view
from ..model import Resource

ORGANIZATION_GRANTS = "/organizations/{id}/client-grants"
GROUPS = groups.GROUPS


def _organization_exists(tenant, organization_id: str) -> None:
    find_organization(tenant, organization_id)


def _grant_exists(tenant, grant_id: str) -> None:
    find_grant(tenant, grant_id)


def _verification(tenant, record: dict) -> dict:
    """The TXT record Auth0 asks the organization to publish."""
    host = f"_ss-verification.{record['organization_id']}.{record.get('domain')}"
    return {**record, "verification_host": host, "verification_txt": tenant.rng.hex(32)}


def _associations(tenant) -> dict:
    """The organization's grants that still exist (deleting a grant takes its associations)."""
    stored = tenant.directory.resources.get(ORGANIZATION_GRANTS, {})
    return {key: record for key, record in stored.items() if record["grant_id"] in tenant.directory.client_grants}


def _associate(tenant, record: dict) -> dict:
    find_grant(tenant, record["grant_id"])
    return record


def _grant_view(tenant, record: dict) -> dict:
    return public_view(find_grant(tenant, record["grant_id"]), tenant.public_host)


def _created_association(tenant, record: dict) -> dict:
    grant = _grant_view(tenant, record)
    grant.pop("subject_type", None)
    return {"grant_id": grant.pop("id"), **grant}


def _save_association(tenant, record_id: str, record: dict) -> None:
    table = {**tenant.directory.resources.get(ORGANIZATION_GRANTS, {}), record_id: record}
    tenant.directory.resources = {**tenant.directory.resources, ORGANIZATION_GRANTS: table}


def _dissociate(tenant, record: dict) -> None:
    table = {key: value for key, value in tenant.directory.resources.get(ORGANIZATION_GRANTS, {}).items()
             if value is not record}
    tenant.directory.resources = {**tenant.directory.resources, ORGANIZATION_GRANTS: table}


def _grant_organizations(tenant) -> dict:
    """Each (organization, grant) association, as the organization it names."""
    organizations = tenant.directory.organizations
    return {f"{record['organization_id']}/{record['grant_id']}":
            {**organization_view(organizations[record["organization_id"]]), "grant": record["grant_id"]}
            for record in _associations(tenant).values() if record["organization_id"] in organizations}


def _group_exists(tenant, group_id: str) -> None:
    groups.find(tenant, group_id)


def _role_exists(tenant, role_id: str) -> None:
    find_role(tenant, role_id)


def _user_exists(tenant, user_id: str) -> None:
    find_user(tenant, user_id)


def _no_groups(tenant) -> dict:
    return {}


def _filter_groups(tenant, bodies: list[dict], query: dict) -> list[dict]:
    """GET /groups' filters: exact `connection_id`, `name` and `external_id`; `search` finds a
    part of the name or the external id, ignoring case (Auth0's matching is undocumented)."""
    exact = {key: query[key] for key in ("connection_id", "name", "external_id") if query.get(key) is not None}
    wanted = (query.get("search") or "").lower()
    return [body for body in bodies if all(body.get(key) == value for key, value in exact.items())
            and (not wanted or wanted in body["name"].lower() or wanted in body.get("external_id", "").lower())]


def _memberships(tenant) -> dict:
    """Every (group, member) pair, as GET /groups/{id}/members shows the member."""
    return {f"{group_id}/{member['id']}": {**member, "group_id": group_id}
            for group_id in groups.stored(tenant) for member in groups.members(tenant, group_id)}


def _user_groups(tenant) -> dict:
    """Every (user, group) pair, as GET /users/{id}/groups shows the group."""
    return {f"{user_id}/{group['id']}": {**group, "user_id": user_id}
            for user_id in {member for group in groups.stored(tenant).values() for member in group["members"]}
            for group in groups.groups_of(tenant, user_id)}


def _group_roles(tenant, group_id: str, *_) -> tuple[int, dict]:
    return 200, {"roles": groups.roles_of(tenant, group_id)}


def _assign_group_roles(tenant, group_id: str, body, *_) -> tuple[int, None]:
    roles.change_group_roles(tenant, group_id, body["roles"], add=True)
    return 204, None


def _remove_group_roles(tenant, group_id: str, body, *_) -> tuple[int, None]:
    roles.change_group_roles(tenant, group_id, body["roles"], add=False)
    return 204, None


def _role_groups(tenant, role_id: str, *_) -> tuple[int, dict]:
    return 200, {"groups": roles.role_groups(tenant, role_id)}


def _assign_role_groups(tenant, role_id: str, body, *_) -> tuple[int, None]:
    roles.change_role_groups(tenant, role_id, body["groups"], add=True)
    return 204, None


def _remove_role_groups(tenant, role_id: str, body, *_) -> tuple[int, None]:
    roles.change_role_groups(tenant, role_id, body["groups"], add=False)
    return 204, None


def _organization_group_roles(tenant, path_ids: str, body, *_) -> tuple[int, dict | None]:
    """An organization group's roles: the organization has no groups (see above)."""
    raise groups.group_not_found()


_GROUP_LIST = {"source": _no_groups, "listing": "checkpoint", "list_key": "groups"}

RESOURCES = [
    Resource(GROUPS, "group", listing="offset", list_key="groups", not_found="Group not found.",
             not_found_code="group_not_found", hidden=groups.HIDDEN, list_filter=_filter_groups),
    Resource(GROUPS + "/{id}/members", "member", owner="id", owner_key="group_id", hidden=("group_id",),
             parent=_group_exists, source=_memberships, listing="checkpoint", list_key="members"),
    Resource(GROUPS + "/{id}/roles", "roles", singleton=True, parent=_group_exists,
             handlers={"get": _group_roles, "create": _assign_group_roles, "delete": _remove_group_roles}),
    Resource("/organizations/{organization_id}/groups", "group", owner="organization_id",
             parent=_organization_exists, **_GROUP_LIST),
    Resource("/organizations/{organization_id}/groups/{group_id}/roles", "roles", singleton=True,
             parent=lambda tenant, organization_id: _organization_exists(tenant, organization_id),
             handlers={"get": _organization_group_roles, "create": _organization_group_roles,
                       "delete": _organization_group_roles}),
    Resource("/roles/{id}/groups", "group", singleton=True, parent=_role_exists,
             handlers={"get": _role_groups, "create": _assign_role_groups, "delete": _remove_role_groups}),
    Resource("/users/{id}/groups", "group", owner="id", owner_key="user_id", hidden=("user_id",),
             parent=_user_exists, source=_user_groups, listing="checkpoint", list_key="groups"),
    Resource("/organizations/{id}/discovery-domains", "discovery domain", id_prefix="ord", id_length=22,
             owner="id", owner_key="organization_id", hidden=("organization_id",),
             parent=_organization_exists, defaults={"status": "pending", "use_for_organization_discovery": True},
             on_create=_verification, unique="domain", unique_within_owner=True,
             duplicate="An organization discovery domain with this domain is already registered to this organization.",
             lookups={"name": "domain"}, not_found="No organization domain found by that id",
             listing="checkpoint", list_key="domains", delete_missing_ok=True),
    # An organization's grants, keyed by the grant: the body is the grant as it is now.
    Resource(ORGANIZATION_GRANTS, "client grant", id_key="grant_id", id_from="grant_id", owner="id",
             owner_key="organization_id", parent=_organization_exists, source=_associations,
             save=_save_association, on_create=_associate, on_delete=_dissociate, view=_grant_view,
             created_reply=_created_association, listing="offset", list_key="client_grants",
             duplicate="The client grant has already been added to this organization.",
             not_found="The client grant has not been added to this organization.", delete_missing_ok=True),
    Resource("/client-grants/{id}/organizations", "organization", owner="id", owner_key="grant",
             hidden=("grant",), parent=_grant_exists, source=_grant_organizations, listing="offset",
             list_key="organizations"),
]
