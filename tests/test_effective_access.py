"""A user's effective roles and permissions with their sources (/users/{id}/effective-roles,
/users/{id}/effective-permissions and their /sources/...) and an organization member's effective
roles, over HTTP: what direct assignments and roles add up to, checkpoint paging, Auth0's 404s
and 400s, the scopes, and every success held to the official spec's response schema."""
from __future__ import annotations

import pytest
from conftest import Api, new_user
from management_crud import assert_error, conforms, scoped
from management_spec import insufficient_scope_body

API = "https://api.example.com/"
EFFECTIVE_ROLES = "GET /users/{id}/effective-roles"
ROLE_GROUPS = "GET /users/{id}/effective-roles/sources/groups"
EFFECTIVE_PERMISSIONS = "GET /users/{id}/effective-permissions"
PERMISSION_ROLES = "GET /users/{id}/effective-permissions/sources/effective-roles"
MEMBER_ROLES = "GET /organizations/{id}/members/{user_id}/effective-roles"
MEMBER_ROLE_GROUPS = "GET /organizations/{id}/members/{user_id}/effective-roles/sources/groups"
NO_USER = "auth0%7Cnobody"


def role(api: Api, name: str, *scopes: str, description: str | None = None) -> dict:
    body = {"name": name} if description is None else {"name": name, "description": description}
    created = api.post("/api/v2/roles", json=body).json()
    if scopes:
        granted = api.post(f"/api/v2/roles/{created['id']}/permissions", json={"permissions": [
            {"resource_server_identifier": API, "permission_name": scope} for scope in scopes]})
        assert granted.status_code == 201, granted.text
    return created


@pytest.fixture
def user_id(api: Api) -> str:
    response = api.post("/api/v2/resource-servers", json={
        "identifier": API, "name": "Example API",
        "scopes": [{"value": "read:notes", "description": "Read notes"}, {"value": "write:notes"},
                   {"value": "delete:notes"}]})
    assert response.status_code == 201, response.text
    return new_user(api)["user_id"]


def assign(api: Api, user_id: str, *roles: dict) -> None:
    assert api.post(f"/api/v2/users/{user_id}/roles", json={"roles": [r["id"] for r in roles]}).status_code == 204


def grant(api: Api, user_id: str, *scopes: str) -> None:
    response = api.post(f"/api/v2/users/{user_id}/permissions", json={"permissions": [
        {"resource_server_identifier": API, "permission_name": scope} for scope in scopes]})
    assert response.status_code == 201, response.text


def test_effective_roles_are_the_direct_ones_with_their_source(api: Api, user_id: str):
    assert conforms(EFFECTIVE_ROLES, api.get(f"/api/v2/users/{user_id}/effective-roles"), 200) == {"roles": []}
    writer = role(api, "writer", description="Writes notes")
    reader = role(api, "Reader")
    role(api, "unassigned")
    assign(api, user_id, writer, reader)
    listed = conforms(EFFECTIVE_ROLES, api.get(f"/api/v2/users/{user_id}/effective-roles"), 200)
    assert listed == {"roles": [
        {"id": reader["id"], "name": "Reader", "description": "", "sources": ["direct"]},
        {"id": writer["id"], "name": "writer", "description": "Writes notes", "sources": ["direct"]}]}

    api.delete(f"/api/v2/roles/{reader['id']}")
    assert [r["name"] for r in api.get(f"/api/v2/users/{user_id}/effective-roles").json()["roles"]] == ["writer"]


def test_effective_roles_page_by_checkpoint(api: Api, user_id: str):
    made = [role(api, f"role-{n}") for n in range(3)]
    assign(api, user_id, *made)
    first = conforms(EFFECTIVE_ROLES, api.get(f"/api/v2/users/{user_id}/effective-roles", params={"take": 2}), 200)
    assert [r["name"] for r in first["roles"]] == ["role-0", "role-1"]
    second = conforms(EFFECTIVE_ROLES, api.get(f"/api/v2/users/{user_id}/effective-roles",
                                                params={"take": 2, "from": first["next"]}), 200)
    assert [r["name"] for r in second["roles"]] == ["role-2"] and "next" not in second


def test_effective_permissions_add_direct_grants_and_roles(api: Api, user_id: str, mockidp):
    editor = role(api, "editor", "read:notes", "write:notes")
    viewer = role(api, "viewer", "read:notes")
    assign(api, user_id, editor, viewer)
    grant(api, user_id, "read:notes", "delete:notes")

    listed = conforms(EFFECTIVE_PERMISSIONS, api.get(f"/api/v2/users/{user_id}/effective-permissions",
                                                     params={"resource_server_identifier": API}), 200)
    shown = {"resource_server_identifier": API, "resource_server_name": "Example API"}
    assert listed == {"permissions": [
        {"permission_name": "delete:notes", **shown, "sources": ["direct"]},
        {"permission_name": "read:notes", "description": "Read notes", **shown, "sources": ["direct", "roles"]},
        {"permission_name": "write:notes", **shown, "sources": ["roles"]}]}
    paged = conforms(EFFECTIVE_PERMISSIONS, api.get(f"/api/v2/users/{user_id}/effective-permissions", params={
        "resource_server_identifier": API, "take": 1, "from": "read:notes"}), 200)
    assert [p["permission_name"] for p in paged["permissions"]] == ["read:notes"] and paged["next"] == "write:notes"

    other = api.get(f"/api/v2/users/{user_id}/effective-permissions",
                    params={"resource_server_identifier": "https://unknown.example.com/"})
    assert conforms(EFFECTIVE_PERMISSIONS, other, 200) == {"permissions": []}

    roles = conforms(PERMISSION_ROLES, api.get(f"/api/v2/users/{user_id}/effective-permissions/sources/effective-roles",
                                               params={"resource_server_identifier": API,
                                                       "permission_name": "read:notes"}), 200)
    assert roles == {"roles": [{"id": editor["id"], "name": "editor", "description": "", "sources": ["direct"]},
                               {"id": viewer["id"], "name": "viewer", "description": "", "sources": ["direct"]}]}
    only_direct = api.get(f"/api/v2/users/{user_id}/effective-permissions/sources/effective-roles",
                          params={"resource_server_identifier": API, "permission_name": "delete:notes"})
    assert conforms(PERMISSION_ROLES, only_direct, 200) == {"roles": []}


def test_effective_permissions_follow_unassigned_roles_and_removed_scopes(api: Api, user_id: str):
    editor = role(api, "editor", "read:notes", "write:notes")
    assign(api, user_id, editor)
    query = {"resource_server_identifier": API}
    assert len(api.get(f"/api/v2/users/{user_id}/effective-permissions", params=query).json()["permissions"]) == 2
    server_id = api.get("/api/v2/resource-servers").json()
    server_id = next(server["id"] for server in server_id if server["identifier"] == API)
    api.patch(f"/api/v2/resource-servers/{server_id}", json={"scopes": [{"value": "read:notes"}]})
    names = [p["permission_name"] for p in
             api.get(f"/api/v2/users/{user_id}/effective-permissions", params=query).json()["permissions"]]
    assert names == ["read:notes"]
    assert api.delete(f"/api/v2/users/{user_id}/roles", json={"roles": [editor["id"]]}).status_code == 204
    assert api.get(f"/api/v2/users/{user_id}/effective-permissions", params=query).json() == {"permissions": []}


def test_role_source_groups_are_empty_without_groups(api: Api, user_id: str):
    held = role(api, "held")
    assign(api, user_id, held)
    listed = api.get(f"/api/v2/users/{user_id}/effective-roles/sources/groups", params={"role_id": held["id"]})
    assert conforms(ROLE_GROUPS, listed, 200) == {"groups": []}
    assert_error(api.get(f"/api/v2/users/{user_id}/effective-roles/sources/groups", params={"role_id": "rol_nope"}),
                 404, "The role does not exist.", operation=ROLE_GROUPS)


def test_unknown_user_and_bad_queries(api: Api, user_id: str):
    missing = ("The user does not exist.", "inexistent_user")
    assert_error(api.get(f"/api/v2/users/{NO_USER}/effective-roles"), 404, *missing, operation=EFFECTIVE_ROLES)
    assert_error(api.get(f"/api/v2/users/{NO_USER}/effective-permissions", params={"resource_server_identifier": API}),
                 404, *missing, operation=EFFECTIVE_PERMISSIONS)
    assert_error(api.get(f"/api/v2/users/{NO_USER}/effective-roles/sources/groups", params={"role_id": "rol_x"}),
                 404, *missing, operation=ROLE_GROUPS)
    assert_error(api.get(f"/api/v2/users/{NO_USER}/effective-permissions/sources/effective-roles",
                         params={"resource_server_identifier": API, "permission_name": "read:notes"}),
                 404, *missing, operation=PERMISSION_ROLES)

    invalid = "invalid_query_string"
    assert_error(api.get(f"/api/v2/users/{user_id}/effective-permissions"), 400,
                 "Query validation error: 'Missing required property: resource_server_identifier'.", invalid,
                 operation=EFFECTIVE_PERMISSIONS)
    assert_error(api.get(f"/api/v2/users/{user_id}/effective-permissions/sources/effective-roles",
                         params={"resource_server_identifier": API}), 400,
                 "Query validation error: 'Missing required property: permission_name'.", invalid,
                 operation=PERMISSION_ROLES)
    assert_error(api.get(f"/api/v2/users/{user_id}/effective-roles/sources/groups"), 400,
                 "Query validation error: 'Missing required property: role_id'.", invalid, operation=ROLE_GROUPS)
    too_few = api.get(f"/api/v2/users/{user_id}/effective-roles", params={"take": 0})
    assert (too_few.status_code, too_few.json()["errorCode"]) == (400, invalid)


def test_each_operation_needs_its_scope(mockidp, user_id: str):
    stranger = scoped(mockidp, "read:users", "read:roles")
    for operation, path, query in (
            (EFFECTIVE_ROLES, f"/users/{user_id}/effective-roles", {}),
            (ROLE_GROUPS, f"/users/{user_id}/effective-roles/sources/groups", {"role_id": "rol_x"}),
            (EFFECTIVE_PERMISSIONS, f"/users/{user_id}/effective-permissions", {"resource_server_identifier": API}),
            (PERMISSION_ROLES, f"/users/{user_id}/effective-permissions/sources/effective-roles",
             {"resource_server_identifier": API, "permission_name": "read:notes"})):
        refused = stranger.get("/api/v2" + path, params=query)
        assert (refused.status_code, refused.json()) == (403, insufficient_scope_body(operation))
    allowed = scoped(mockidp, "read:user_effective_roles").get(f"/api/v2/users/{user_id}/effective-roles")
    assert allowed.status_code == 200


# --- an organization member's ---------------------------------------------------------------------

def test_an_organization_members_effective_roles(api: Api, user_id: str):
    organization = api.post("/api/v2/organizations", json={"name": "acme"}).json()
    org_roles = f"/api/v2/organizations/{organization['id']}/members/{user_id}"
    admin, tenant_role = role(api, "org-admin", description="Administers acme"), role(api, "tenant-wide")
    assign(api, user_id, tenant_role)  # a tenant role is not an organization role
    assert conforms(MEMBER_ROLES, api.get(f"{org_roles}/effective-roles"), 200) == {"roles": []}

    assert api.post(f"/api/v2/organizations/{organization['id']}/members", json={"members": [user_id]}).status_code == 204
    assert api.post(f"{org_roles}/roles", json={"roles": [admin["id"]]}).status_code == 204
    listed = conforms(MEMBER_ROLES, api.get(f"{org_roles}/effective-roles"), 200)
    assert listed == {"roles": [{"id": admin["id"], "name": "org-admin", "description": "Administers acme",
                                 "sources": ["direct"]}]}
    groups = api.get(f"{org_roles}/effective-roles/sources/groups", params={"role_id": admin["id"]})
    assert conforms(MEMBER_ROLE_GROUPS, groups, 200) == {"groups": []}

    assert api.delete(f"/api/v2/organizations/{organization['id']}/members",
                      json={"members": [user_id]}).status_code == 204
    assert api.get(f"{org_roles}/effective-roles").json() == {"roles": []}


def test_organization_member_errors(api: Api, mockidp, user_id: str):
    organization = api.post("/api/v2/organizations", json={"name": "acme"}).json()
    assert_error(api.get(f"/api/v2/organizations/org_nope/members/{user_id}/effective-roles"), 404,
                 "No organization found by that id or name", operation=MEMBER_ROLES)
    assert_error(api.get(f"/api/v2/organizations/{organization['id']}/members/{NO_USER}/effective-roles"), 404,
                 "The user does not exist.", "inexistent_user", operation=MEMBER_ROLES)
    sources = f"/api/v2/organizations/{organization['id']}/members/{user_id}/effective-roles/sources/groups"
    assert_error(api.get(sources, params={"role_id": "rol_nope"}), 404, "The role does not exist.",
                 operation=MEMBER_ROLE_GROUPS)
    assert_error(api.get(sources), 400, "Query validation error: 'Missing required property: role_id'.",
                 "invalid_query_string", operation=MEMBER_ROLE_GROUPS)
    refused = scoped(mockidp, "read:organizations").get(
        f"/api/v2/organizations/{organization['id']}/members/{user_id}/effective-roles")
    assert (refused.status_code, refused.json()) == (403, insufficient_scope_body(MEMBER_ROLES))
