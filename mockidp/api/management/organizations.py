"""/api/v2/organizations and /api/v2/users/{id}/organizations: organizations, their enabled
connections, members and member roles, and invitations (core/organizations)."""
from __future__ import annotations

from ...core.organizations import invitations, members, organizations
from ..http import empty_response, json_response, public_base_url, read_body, tenant
from .common import checkpoint, paged, payload, projection, query_args, select, wants_checkpoint
from .registry import operation

MEMBER_FIELDS = members.MEMBER_FIELDS + ("roles",)


def _views(records: list[dict], view) -> list[dict]:
    return [view(record) for record in records]


# --- organizations ---------------------------------------------------------------------------------

@operation("GET /organizations")
def list_organizations():
    args = query_args("GET /organizations")
    found = organizations.list_organizations(tenant(), args.get("sort"))
    if wants_checkpoint(args):
        return json_response(checkpoint(found, args, "organizations", "id", organizations.public_view))
    return json_response(paged(_views(found, organizations.public_view), args, "organizations"))


@operation("POST /organizations")
def create_organization():
    body = payload("POST /organizations")
    return json_response(organizations.create(tenant(), body), 201)


@operation("GET /organizations/{id}")
def get_organization(id: str):
    query_args("GET /organizations/{id}")
    return json_response(organizations.public_view(organizations.find(tenant(), id)))


@operation("GET /organizations/name/{name}")
def get_organization_by_name(name: str):
    query_args("GET /organizations/name/{name}")
    return json_response(organizations.public_view(organizations.find_by_name(tenant(), name)))


@operation("PATCH /organizations/{id}")
def update_organization(id: str):
    body = payload("PATCH /organizations/{id}")
    return json_response(organizations.update(tenant(), id, body))


@operation("DELETE /organizations/{id}")
def delete_organization(id: str):
    read_body()
    query_args("DELETE /organizations/{id}")
    organizations.delete(tenant(), id)
    return empty_response(204)


# --- enabled connections -----------------------------------------------------------------------------

@operation("GET /organizations/{id}/enabled_connections")
def list_enabled_connections(id: str):
    args = query_args("GET /organizations/{id}/enabled_connections")
    return json_response(paged(organizations.enabled_connections(tenant(), id), args, "enabled_connections"))


@operation("POST /organizations/{id}/enabled_connections")
def enable_connection(id: str):
    body = payload("POST /organizations/{id}/enabled_connections")
    return json_response(organizations.enable_connection(tenant(), id, body), 201)


@operation("GET /organizations/{id}/enabled_connections/{connectionId}")
def get_enabled_connection(id: str, connectionId: str):  # noqa: N803 - the spec's parameter name
    query_args("GET /organizations/{id}/enabled_connections/{connectionId}")
    return json_response(organizations.enabled_connection(tenant(), id, connectionId))


@operation("PATCH /organizations/{id}/enabled_connections/{connectionId}")
def update_enabled_connection(id: str, connectionId: str):  # noqa: N803
    body = payload("PATCH /organizations/{id}/enabled_connections/{connectionId}")
    return json_response(organizations.update_connection(tenant(), id, connectionId, body))


@operation("DELETE /organizations/{id}/enabled_connections/{connectionId}")
def disable_connection(id: str, connectionId: str):  # noqa: N803
    read_body()
    query_args("DELETE /organizations/{id}/enabled_connections/{connectionId}")
    organizations.disable_connection(tenant(), id, connectionId)
    return empty_response(204)


# --- connections (the newer API over the same enabled connections) ------------------------------------

@operation("GET /organizations/{id}/connections")
def list_connections(id: str):
    args = query_args("GET /organizations/{id}/connections")
    found = organizations.enabled_connections(tenant(), id)
    if args.get("is_enabled") is not None:
        found = [entry for entry in found if entry.get("is_enabled", True) == args["is_enabled"]]
    return json_response(paged(found, args, "connections"))


@operation("POST /organizations/{id}/connections")
def add_connection(id: str):
    body = payload("POST /organizations/{id}/connections")
    return json_response(organizations.enable_connection(tenant(), id, body), 201)


@operation("GET /organizations/{id}/connections/{connection_id}")
def get_connection(id: str, connection_id: str):
    query_args("GET /organizations/{id}/connections/{connection_id}")
    return json_response(organizations.enabled_connection(tenant(), id, connection_id))


@operation("PATCH /organizations/{id}/connections/{connection_id}")
def update_connection(id: str, connection_id: str):
    body = payload("PATCH /organizations/{id}/connections/{connection_id}")
    return json_response(organizations.update_connection(tenant(), id, connection_id, body))


@operation("DELETE /organizations/{id}/connections/{connection_id}")
def remove_connection(id: str, connection_id: str):
    read_body()
    query_args("DELETE /organizations/{id}/connections/{connection_id}")
    organizations.disable_connection(tenant(), id, connection_id)
    return empty_response(204)


# --- members and their roles -------------------------------------------------------------------------

@operation("GET /organizations/{id}/members")
def list_members(id: str):
    args = query_args("GET /organizations/{id}/members")
    fields, include = projection(args, MEMBER_FIELDS, "Comma-separated list of fields to include or exclude "
                                 "(based on value provided for include_fields) in the result. Leave empty "
                                 "to retrieve all fields.")
    with_roles = bool(fields) and include and "roles" in fields
    found = members.list_members(tenant(), id, with_roles=with_roles)
    view = lambda member: select(member, fields, include)  # noqa: E731
    if wants_checkpoint(args):
        return json_response(checkpoint(found, args, "members", "user_id", view, next_while_nonempty=True))
    return json_response(paged(_views(found, view), args, "members"))


@operation("POST /organizations/{id}/members")
def add_members(id: str):
    body = payload("POST /organizations/{id}/members")
    members.add(tenant(), id, body["members"])
    return empty_response(204)


@operation("DELETE /organizations/{id}/members")
def remove_members(id: str):
    body = payload("DELETE /organizations/{id}/members")
    members.remove(tenant(), id, body["members"])
    return empty_response(204)


@operation("GET /organizations/{id}/members/{user_id}/roles")
def list_member_roles(id: str, user_id: str):
    args = query_args("GET /organizations/{id}/members/{user_id}/roles")
    return json_response(paged(members.roles_of(tenant(), id, user_id), args, "roles"))


@operation("GET /organizations/{id}/members/{user_id}/effective-roles")
def list_member_effective_roles(id: str, user_id: str):
    args = query_args("GET /organizations/{id}/members/{user_id}/effective-roles")
    return json_response(checkpoint(members.effective_roles(tenant(), id, user_id), args, "roles", "id", dict))


@operation("GET /organizations/{id}/members/{user_id}/effective-roles/sources/groups")
def list_member_role_source_groups(id: str, user_id: str):
    args = query_args("GET /organizations/{id}/members/{user_id}/effective-roles/sources/groups")
    groups = members.role_source_groups(tenant(), id, user_id, args["role_id"])
    return json_response(checkpoint(groups, args, "groups", "id", dict))


@operation("POST /organizations/{id}/members/{user_id}/roles")
def assign_member_roles(id: str, user_id: str):
    body = payload("POST /organizations/{id}/members/{user_id}/roles")
    members.assign_roles(tenant(), id, user_id, body["roles"])
    return empty_response(204)


@operation("DELETE /organizations/{id}/members/{user_id}/roles")
def unassign_member_roles(id: str, user_id: str):
    body = payload("DELETE /organizations/{id}/members/{user_id}/roles")
    members.unassign_roles(tenant(), id, user_id, body["roles"])
    return empty_response(204)


@operation("GET /users/{id}/organizations")
def list_user_organizations(id: str):
    args = query_args("GET /users/{id}/organizations")
    found = members.organizations_of(tenant(), id)
    return json_response(paged(_views(found, organizations.public_view), args, "organizations"))


# --- invitations ---------------------------------------------------------------------------------------

@operation("GET /organizations/{id}/invitations")
def list_invitations(id: str):
    args = query_args("GET /organizations/{id}/invitations")
    fields, include = projection(args, None, "")
    views = [select(invitations.public_view(invitation), fields, include)
             for invitation in invitations.list_invitations(tenant(), id, args.get("sort"))]
    body = paged(views, args, "invitations")
    if isinstance(body, dict):
        body.pop("total")  # "We do not yet support returning the total invitations count."
    return json_response(body)


@operation("POST /organizations/{id}/invitations")
def create_invitation(id: str):
    body = payload("POST /organizations/{id}/invitations")
    current = tenant()
    created = invitations.create(current, id, body, base_url=public_base_url())
    current.mailroom.deliver_due()
    return json_response(created, 201)


@operation("GET /organizations/{id}/invitations/{invitation_id}")
def get_invitation(id: str, invitation_id: str):
    args = query_args("GET /organizations/{id}/invitations/{invitation_id}")
    fields, include = projection(args, None, "")
    return json_response(select(invitations.public_view(invitations.get(tenant(), id, invitation_id)),
                                fields, include))


@operation("DELETE /organizations/{id}/invitations/{invitation_id}")
def delete_invitation(id: str, invitation_id: str):
    read_body()
    query_args("DELETE /organizations/{id}/invitations/{invitation_id}")
    invitations.delete(tenant(), id, invitation_id)
    return empty_response(204)
