"""/api/v2/roles and the RBAC routes of users (/users/{id}/roles, /users/{id}/permissions, and their
effective roles and permissions with sources):
thin translations onto core/authorization/. Status codes and empty bodies are the recorded ones
(POST /roles 200, DELETE /roles/{id} 200 `{}`, POST .../permissions 201 `{}`, POST
/roles/{id}/users 200 `{}`, POST /users/{id}/roles and the DELETEs 204)."""
from __future__ import annotations


from ...core.authorization import effective, permissions, roles
from ...core.tenant.errors import bad_request
from ..http import domain, empty_response, json_response, tenant
from .common import checkpoint, paged, payload, query_args, wants_checkpoint
from .registry import operation


# --- roles ----------------------------------------------------------------------------------------

ROLE_TYPES = ("tenant", "organization")


@operation("GET /roles")
def list_roles():
    # `type` is not in the spec mockidp ships, but auth0-deploy-cli sends `type=tenant` (Auth0's
    # organization-level roles): every role here is a tenant role, none an organization's.
    args = query_args("GET /roles", extra_allowed={"type"})
    role_type = args.get("type")
    if role_type is not None and role_type not in ROLE_TYPES:
        raise bad_request(f"Query validation error: 'No enum match for: \"{role_type}\"' on property type.",
                          "invalid_query_string")
    found = [] if role_type == "organization" else roles.list_roles(tenant(), args.get("name_filter"))
    return json_response(paged(found, args, "roles"))


@operation("POST /roles")
def create_role():
    return json_response(roles.create_role(tenant(), payload("POST /roles")))


@operation("GET /roles/{id}")
def get_role(id: str):
    query_args("GET /roles/{id}")
    return json_response(roles.get_role(tenant(), id))


@operation("PATCH /roles/{id}")
def update_role(id: str):
    return json_response(roles.update_role(tenant(), id, payload("PATCH /roles/{id}")))


@operation("DELETE /roles/{id}")
def delete_role(id: str):
    payload("DELETE /roles/{id}")
    roles.delete_role(tenant(), id)
    return json_response({})


# --- a role's permissions and users ---------------------------------------------------------------

@operation("GET /roles/{id}/permissions")
def list_role_permissions(id: str):
    args = query_args("GET /roles/{id}/permissions")
    return json_response(paged(roles.role_permission_views(tenant(), id, domain()), args, "permissions"))


@operation("POST /roles/{id}/permissions")
def add_role_permissions(id: str):
    roles.add_role_permissions(tenant(), id, payload("POST /roles/{id}/permissions")["permissions"])
    return json_response({}, 201)


@operation("DELETE /roles/{id}/permissions")
def remove_role_permissions(id: str):
    roles.remove_role_permissions(tenant(), id, payload("DELETE /roles/{id}/permissions")["permissions"])
    return empty_response(204)


@operation("GET /roles/{id}/users")
def list_role_users(id: str):
    args = query_args("GET /roles/{id}/users")
    holders = roles.role_users(tenant(), id)
    if wants_checkpoint(args):
        return json_response(checkpoint(holders, args, "users", "user_id", dict))
    return json_response(paged(holders, args, "users"))


@operation("POST /roles/{id}/users")
def assign_role_users(id: str):
    roles.assign_users(tenant(), id, payload("POST /roles/{id}/users")["users"])
    return json_response({})


# --- a user's roles and permissions ---------------------------------------------------------------

@operation("GET /users/{id}/roles")
def list_user_roles(id: str):
    args = query_args("GET /users/{id}/roles")
    return json_response(paged(roles.user_roles(tenant(), id), args, "roles"))


@operation("POST /users/{id}/roles")
def assign_user_roles(id: str):
    roles.assign_roles(tenant(), id, payload("POST /users/{id}/roles")["roles"])
    return empty_response(204)


@operation("DELETE /users/{id}/roles")
def unassign_user_roles(id: str):
    roles.unassign_roles(tenant(), id, payload("DELETE /users/{id}/roles")["roles"])
    return empty_response(204)


@operation("GET /users/{id}/permissions")
def list_user_permissions(id: str):
    args = query_args("GET /users/{id}/permissions")
    return json_response(paged(permissions.user_permission_views(tenant(), id, domain()), args, "permissions"))


@operation("POST /users/{id}/permissions")
def add_user_permissions(id: str):
    permissions.add_user_permissions(tenant(), id, payload("POST /users/{id}/permissions")["permissions"])
    return json_response({}, 201)


@operation("DELETE /users/{id}/permissions")
def remove_user_permissions(id: str):
    permissions.remove_user_permissions(tenant(), id, payload("DELETE /users/{id}/permissions")["permissions"])
    return empty_response(204)


# --- a user's effective roles and permissions: checkpoint lists ({<list>, next}) -------------------

@operation("GET /users/{id}/effective-roles")
def list_user_effective_roles(id: str):
    args = query_args("GET /users/{id}/effective-roles")
    return json_response(checkpoint(effective.user_roles(tenant(), id), args, "roles", "id", dict))


@operation("GET /users/{id}/effective-roles/sources/groups")
def list_user_role_source_groups(id: str):
    args = query_args("GET /users/{id}/effective-roles/sources/groups")
    groups = effective.user_role_source_groups(tenant(), id, args["role_id"])
    return json_response(checkpoint(groups, args, "groups", "id", dict))


@operation("GET /users/{id}/effective-permissions")
def list_user_effective_permissions(id: str):
    args = query_args("GET /users/{id}/effective-permissions")
    found = effective.user_permissions(tenant(), id, args["resource_server_identifier"], domain())
    # One API's permissions: the name is the cursor.
    return json_response(checkpoint(found, args, "permissions", "permission_name", dict))


@operation("GET /users/{id}/effective-permissions/sources/effective-roles")
def list_user_permission_source_roles(id: str):
    args = query_args("GET /users/{id}/effective-permissions/sources/effective-roles")
    found = effective.permission_source_roles(tenant(), id, args["resource_server_identifier"],
                                              args["permission_name"])
    return json_response(checkpoint(found, args, "roles", "id", dict))
