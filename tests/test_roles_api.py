"""/api/v2/roles, /users/{id}/roles and /users/{id}/permissions: Auth0's paths, status codes,
shapes (reference §8.4, go-auth0's recordings) and errors, every success held to the official
spec's response schema, and the cascades (deleted role, user, API or scope)."""
from __future__ import annotations

import re

import pytest
from conftest import Api, new_user
from management_crud import assert_error, conforms, invalid_body, scoped
from management_spec import insufficient_scope_body

API = "https://api.example.com/"
ROLE_ID = re.compile(r"rol_[A-Za-z0-9]{16}")


def create_role(api: Api, name: str, description: str = "Test Role") -> dict:
    return conforms("POST /roles", api.post("/api/v2/roles", json={"name": name, "description": description}), 200)


def permission(name: str, identifier: str = API) -> dict:
    return {"resource_server_identifier": identifier, "permission_name": name}


@pytest.fixture
def resource_server(api: Api) -> dict:
    response = api.post("/api/v2/resource-servers", json={
        "identifier": API, "name": "Test Resource Server",
        "scopes": [{"value": "create:resource", "description": "Create Resource"},
                   {"value": "read:resource", "description": "Read Resource"}]})
    assert response.status_code == 201, response.text
    return response.json()


def test_role_crud_with_recorded_shapes(api: Api):
    role = create_role(api, "test-role")
    assert ROLE_ID.fullmatch(role["id"])
    assert role == {"id": role["id"], "name": "test-role", "description": "Test Role"}
    assert conforms("GET /roles/{id}", api.get(f"/api/v2/roles/{role['id']}"), 200) == role

    patched = api.patch(f"/api/v2/roles/{role['id']}", json={"description": "The Administrator"})
    assert conforms("PATCH /roles/{id}", patched, 200) == {**role, "description": "The Administrator"}

    deleted = api.delete(f"/api/v2/roles/{role['id']}")
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert_error(api.get(f"/api/v2/roles/{role['id']}"), 404, "The role does not exist.",
                 operation="GET /roles/{id}")
    assert_error(api.delete(f"/api/v2/roles/{role['id']}"), 404, "The role does not exist.",
                 operation="DELETE /roles/{id}")


def test_list_filters_by_name_and_pages(api: Api):
    for name in ("viewer", "Editor", "admin", "test-role14"):
        create_role(api, name)
    names = [role["name"] for role in conforms("GET /roles", api.get("/api/v2/roles"), 200)]
    assert names == ["admin", "Editor", "test-role14", "viewer"]
    filtered = conforms("GET /roles", api.get("/api/v2/roles", params={
        "name_filter": "EDIT", "include_totals": "true", "per_page": 50}), 200)
    assert [r["name"] for r in filtered["roles"]] == ["Editor"]
    assert {k: v for k, v in filtered.items() if k != "roles"} == {"start": 0, "limit": 50, "total": 1}
    second = api.get("/api/v2/roles", params={"page": 1, "per_page": 3}).json()
    assert [r["name"] for r in second] == ["viewer"]


def test_bad_role_input(api: Api):
    create_role(api, "admin")
    assert_error(api.post("/api/v2/roles", json={"name": "admin"}), 409, "The role already exists.",
                 operation="POST /roles")
    other = create_role(api, "other")
    assert_error(api.patch(f"/api/v2/roles/{other['id']}", json={"name": "admin"}), 409,
                 "The role already exists.")
    response = api.post("/api/v2/roles", json={"description": "no name"})
    assert response.status_code == 400
    assert response.json() == invalid_body("'Missing required property: name'.")
    response = api.post("/api/v2/roles", json={"name": "x", "permissions": []})
    assert response.json() == invalid_body("'Additional properties not allowed: permissions'.")
    assert [r["name"] for r in api.get("/api/v2/roles").json()] == ["admin", "other"]


def test_role_permissions(api: Api, resource_server: dict):
    role = create_role(api, "writer")
    path = f"/api/v2/roles/{role['id']}/permissions"
    added = api.post(path, json={"permissions": [permission("create:resource")]})
    assert (added.status_code, added.json()) == (201, {})
    listed = conforms("GET /roles/{id}/permissions", api.get(path, params={"include_totals": "true", "per_page": 50}), 200)
    assert listed == {"permissions": [{"permission_name": "create:resource", "description": "Create Resource",
                                       "resource_server_name": "Test Resource Server",
                                       "resource_server_identifier": API}],
                      "start": 0, "limit": 50, "total": 1}
    removed = api.delete(path, json={"permissions": [permission("create:resource")]})
    assert (removed.status_code, removed.content) == (204, b"")
    assert api.get(path).json() == []


def test_permission_errors_write_nothing(api: Api, resource_server: dict):
    role = create_role(api, "writer")
    path = f"/api/v2/roles/{role['id']}/permissions"
    assert_error(api.post(path, json={"permissions": [permission("read:resource"),
                                                      permission("x", "https://unknown.example/")]}),
                 404, "The resource server does not exist: 'https://unknown.example/'",
                 "inexistent_resource_server")
    assert_error(api.post(path, json={"permissions": [permission("read:resource"), permission("delete:all")]}),
                 400, f"Permission 'delete:all' does not exist on resource server '{API}'.", "invalid_body")
    assert api.post(path, json={"permissions": []}).json() == invalid_body(
        "'Array is too short (0), minimum 1' on property permissions (array of resource_server_identifier, "
        "permission_name pairs).")
    assert api.get(path).json() == []
    assert_error(api.post("/api/v2/roles/rol_doesNotExist0000/permissions",
                          json={"permissions": [permission("read:resource")]}), 404, "The role does not exist.")


def test_user_roles_and_role_users(api: Api):
    user = new_user(api)
    role = create_role(api, "test-role436")
    path = f"/api/v2/users/{user['user_id']}/roles"
    assigned = api.post(path, json={"roles": [role["id"]]})
    assert (assigned.status_code, assigned.content) == (204, b"")
    listed = conforms("GET /users/{id}/roles", api.get(path, params={"include_totals": "true", "per_page": 50}), 200)
    assert listed == {"roles": [role], "start": 0, "limit": 50, "total": 1}
    users = conforms("GET /roles/{id}/users", api.get(f"/api/v2/roles/{role['id']}/users"), 200)
    assert users == [{key: user[key] for key in ("user_id", "email", "picture", "name")}]
    removed = api.delete(path, json={"roles": [role["id"]]})
    assert (removed.status_code, removed.content) == (204, b"")
    assert api.get(path).json() == []
    assert_error(api.post(path, json={"roles": ["rol_doesNotExist0000"]}), 404, "The role does not exist.")
    assert_error(api.get("/api/v2/users/auth0|000000000000000000000000/roles"), 404,
                 "The user does not exist.", "inexistent_user")


def test_role_users_offset_and_checkpoint_paging(api: Api):
    role = create_role(api, "test-role256")
    ids = sorted(new_user(api, email=f"chuck{n}@example.com")["user_id"] for n in range(3))
    assigned = api.post(f"/api/v2/roles/{role['id']}/users", json={"users": ids})
    assert (assigned.status_code, assigned.json()) == (200, {})
    path = f"/api/v2/roles/{role['id']}/users"
    first = conforms("GET /roles/{id}/users", api.get(path, params={"include_totals": "true", "take": 2}), 200)
    assert [u["user_id"] for u in first["users"]] == ids[:2] and "next" in first
    rest = api.get(path, params={"take": 2, "from": first["next"]}).json()
    assert [u["user_id"] for u in rest["users"]] == ids[2:] and "next" not in rest
    totals = conforms("GET /roles/{id}/users", api.get(path, params={"include_totals": "true", "per_page": 2}), 200)
    assert (totals["total"], len(totals["users"])) == (3, 2)
    unknown = api.post(path, json={"users": [ids[0], "auth0|000000000000000000000000"]})
    assert_error(unknown, 404, "The user does not exist.", "inexistent_user")


def test_user_permissions_list_direct_and_role_sources(api: Api, resource_server: dict):
    user = new_user(api)
    role = create_role(api, "writer")
    api.post(f"/api/v2/roles/{role['id']}/permissions",
             json={"permissions": [permission("create:resource"), permission("read:resource")]})
    api.post(f"/api/v2/users/{user['user_id']}/roles", json={"roles": [role["id"]]})
    path = f"/api/v2/users/{user['user_id']}/permissions"
    added = api.post(path, json={"permissions": [permission("create:resource")]})
    assert (added.status_code, added.json()) == (201, {})
    listed = conforms("GET /users/{id}/permissions", api.get(path), 200)
    role_source = {"source_id": role["id"], "source_name": "writer", "source_type": "ROLE"}
    assert listed == [
        {"permission_name": "create:resource", "description": "Create Resource",
         "resource_server_name": "Test Resource Server", "resource_server_identifier": API,
         "sources": [{"source_id": "", "source_name": "", "source_type": "DIRECT"}, role_source]},
        {"permission_name": "read:resource", "description": "Read Resource",
         "resource_server_name": "Test Resource Server", "resource_server_identifier": API,
         "sources": [role_source]}]
    removed = api.delete(path, json={"permissions": [permission("create:resource")]})
    assert (removed.status_code, removed.content) == (204, b"")
    assert [p["sources"] for p in api.get(path).json()] == [[role_source], [role_source]]


def test_cascades(api: Api, resource_server: dict):
    user = new_user(api)
    role = create_role(api, "writer")
    api.post(f"/api/v2/roles/{role['id']}/permissions",
             json={"permissions": [permission("create:resource"), permission("read:resource")]})
    api.post(f"/api/v2/users/{user['user_id']}/permissions", json={"permissions": [permission("read:resource")]})
    api.post(f"/api/v2/users/{user['user_id']}/roles", json={"roles": [role["id"]]})
    permissions = f"/api/v2/users/{user['user_id']}/permissions"

    # A scope the API no longer defines is no longer anyone's permission.
    api.patch(f"/api/v2/resource-servers/{resource_server['id']}",
              json={"scopes": [{"value": "create:resource", "description": "Create Resource"}]})
    assert [p["permission_name"] for p in api.get(permissions).json()] == ["create:resource"]
    # A deleted role leaves its users.
    api.delete(f"/api/v2/roles/{role['id']}")
    assert api.get(f"/api/v2/users/{user['user_id']}/roles").json() == []
    assert api.get(permissions).json() == []
    # A deleted API takes its permissions along, even when recreated with the same identifier.
    api.post(permissions, json={"permissions": [permission("create:resource")]})
    api.delete(f"/api/v2/resource-servers/{resource_server['id']}")
    api.post("/api/v2/resource-servers", json={"identifier": API, "scopes": [{"value": "create:resource"}]})
    assert api.get(permissions).json() == []


def test_deleted_user_leaves_its_roles(api: Api):
    role = create_role(api, "member")
    user = new_user(api)
    api.post(f"/api/v2/roles/{role['id']}/users", json={"users": [user["user_id"]]})
    api.delete(f"/api/v2/users/{user['user_id']}")
    assert api.get(f"/api/v2/roles/{role['id']}/users").json() == []


def test_reset_restores_roles(mockidp, api: Api):
    create_role(api, "temporary")
    mockidp.reset()
    assert api.get("/api/v2/roles").json() == []


RBAC_OPERATIONS = [
    ("GET /roles", "/api/v2/roles"), ("POST /roles", "/api/v2/roles"),
    ("GET /roles/{id}", "/api/v2/roles/rol_x"), ("PATCH /roles/{id}", "/api/v2/roles/rol_x"),
    ("DELETE /roles/{id}", "/api/v2/roles/rol_x"),
    ("GET /roles/{id}/permissions", "/api/v2/roles/rol_x/permissions"),
    ("POST /roles/{id}/permissions", "/api/v2/roles/rol_x/permissions"),
    ("DELETE /roles/{id}/permissions", "/api/v2/roles/rol_x/permissions"),
    ("GET /roles/{id}/users", "/api/v2/roles/rol_x/users"), ("POST /roles/{id}/users", "/api/v2/roles/rol_x/users"),
    ("GET /users/{id}/roles", "/api/v2/users/auth0|x/roles"), ("POST /users/{id}/roles", "/api/v2/users/auth0|x/roles"),
    ("DELETE /users/{id}/roles", "/api/v2/users/auth0|x/roles"),
    ("GET /users/{id}/permissions", "/api/v2/users/auth0|x/permissions"),
    ("POST /users/{id}/permissions", "/api/v2/users/auth0|x/permissions"),
    ("DELETE /users/{id}/permissions", "/api/v2/users/auth0|x/permissions"),
]


def test_every_rbac_operation_requires_the_spec_scopes(mockidp):
    """A token without the operation's scopes gets the spec's any-of list in Auth0's 403."""
    unrelated = scoped(mockidp, "read:logs")
    for operation, path in RBAC_OPERATIONS:
        method = operation.split(" ", 1)[0]
        response = unrelated.request(method, path, json={})
        assert (response.status_code, response.json()) == (403, insufficient_scope_body(operation)), operation


def test_a_user_holds_at_most_50_roles_and_an_overflowing_request_assigns_none(api: Api):
    user = new_user(api)
    role_ids = [create_role(api, f"role-{n:02}")["id"] for n in range(51)]
    path = f"/api/v2/users/{user['user_id']}/roles"
    assert api.post(path, json={"roles": role_ids[:49]}).status_code == 204
    assert_error(api.post(path, json={"roles": role_ids[49:]}), 400, "A user cannot have more than 50 roles.")
    assert len(api.get(path, params={"per_page": 100}).json()) == 49
    assert api.post(f"/api/v2/roles/{role_ids[49]}/users", json={"users": [user["user_id"]]}).status_code == 200
    assert_error(api.post(f"/api/v2/roles/{role_ids[50]}/users", json={"users": [user["user_id"]]}), 400,
                 "A user cannot have more than 50 roles.")
    assert len(api.get(path, params={"per_page": 100}).json()) == 50


def test_the_role_type_filter_auth0_deploy_cli_sends(api: Api):
    """deploy-cli lists `GET /roles?type=tenant`; every mockidp role is a tenant role."""
    role = create_role(api, "tenant-role")
    assert api.get("/api/v2/roles", params={"type": "tenant"}).json() == [role]
    assert api.get("/api/v2/roles", params={"type": "organization"}).json() == []
    assert_error(api.get("/api/v2/roles", params={"type": "group"}), 400,
                 "Query validation error: 'No enum match for: \"group\"' on property type.", "invalid_query_string")
