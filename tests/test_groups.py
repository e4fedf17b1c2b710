"""Groups declared in fixtures (the groups a connection's directory synchronizes into Auth0) as
the Management API shows them and assigns them roles, and as a source of their members'
effective roles and permissions and of their tokens' permissions; over HTTP, every success held
to the official spec's response schema."""
from __future__ import annotations

import pytest
import requests
from conftest import Api, server_beside_default
from jose import jwt
from management_crud import assert_error, conforms
from oauth_helpers import ALICE, BOB, WEB_ID, WEB_SECRET

API = "https://notes.example.com/"
GROUPS_FIXTURE = f"""
resourceServers:
  - identifier: {API}
    name: Notes
    enforce_policies: true
    token_dialect: access_token_authz
    scopes: [{{value: read:notes}}, {{value: write:notes}}]
roles:
  - name: editor
    permissions: [{{permission_name: write:notes, resource_server_identifier: "{API}"}}]
  - name: viewer
    permissions: [{{permission_name: read:notes, resource_server_identifier: "{API}"}}]
groups:
  - name: engineering
    connection: Username-Password-Authentication
    external_id: eng-42
    members: [alice@example.com]
    roles: [editor]
  - name: everyone
    members: [alice@example.com, bob@example.com]
    roles: [viewer]
"""
GROUP_NOT_FOUND = ("Group not found.", "group_not_found")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with server_beside_default(tmp_path_factory.mktemp("groups"), GROUPS_FIXTURE) as started:
        yield started


@pytest.fixture
def api(server) -> Api:
    server.reset()
    return Api(server.url, server.management_token())


def user_id(api: Api, email: str) -> str:
    return api.get("/api/v2/users-by-email", params={"email": email}).json()[0]["user_id"]


def by_name(api: Api) -> dict[str, dict]:
    return {group["name"]: group for group in conforms("GET /groups", api.get("/api/v2/groups"), 200)}


def role_id(api: Api, name: str) -> str:
    return next(role["id"] for role in api.get("/api/v2/roles").json() if role["name"] == name)


def test_fixture_groups_their_members_and_a_users_groups(api: Api):
    groups = by_name(api)
    engineering = groups["engineering"]
    assert engineering["external_id"] == "eng-42" and engineering["connection_id"].startswith("con_")
    assert "members" not in engineering and "roles" not in engineering and "connection_id" not in groups["everyone"]
    assert conforms("GET /groups/{id}", api.get(f"/api/v2/groups/{engineering['id']}"), 200) == engineering

    alice, bob = user_id(api, ALICE[0]), user_id(api, BOB[0])
    members = conforms("GET /groups/{id}/members", api.get(f"/api/v2/groups/{groups['everyone']['id']}/members"), 200)
    assert [member["id"] for member in members["members"]] == [alice, bob]
    assert {member["member_type"] for member in members["members"]} == {"user"}
    mine = conforms("GET /users/{id}/groups", api.get(f"/api/v2/users/{alice}/groups"), 200)
    assert [group["name"] for group in mine["groups"]] == ["engineering", "everyone"]
    assert_error(api.get("/api/v2/groups/grp_nope123456789abcd/members"), 404, *GROUP_NOT_FOUND)


def test_roles_through_groups_are_effective(api: Api):
    alice, bob = user_id(api, ALICE[0]), user_id(api, BOB[0])
    editor, viewer = role_id(api, "editor"), role_id(api, "viewer")
    assert api.post(f"/api/v2/users/{alice}/roles", json={"roles": [viewer]}).status_code == 204
    roles = conforms("GET /users/{id}/effective-roles", api.get(f"/api/v2/users/{alice}/effective-roles"), 200)
    assert [(role["name"], role["sources"]) for role in roles["roles"]] == [
        ("editor", ["groups"]), ("viewer", ["direct", "groups"])]
    groups = by_name(api)
    sources = api.get(f"/api/v2/users/{alice}/effective-roles/sources/groups", params={"role_id": editor})
    assert conforms("GET /users/{id}/effective-roles/sources/groups", sources, 200) == {
        "groups": [groups["engineering"]]}
    assert api.get(f"/api/v2/users/{bob}/effective-roles/sources/groups",
                   params={"role_id": editor}).json() == {"groups": []}

    permissions = conforms("GET /users/{id}/effective-permissions", api.get(
        f"/api/v2/users/{alice}/effective-permissions", params={"resource_server_identifier": API}), 200)
    assert [(p["permission_name"], p["sources"]) for p in permissions["permissions"]] == [
        ("read:notes", ["roles"]), ("write:notes", ["roles"])]
    granting = conforms("GET /users/{id}/effective-permissions/sources/effective-roles", api.get(
        f"/api/v2/users/{alice}/effective-permissions/sources/effective-roles",
        params={"resource_server_identifier": API, "permission_name": "write:notes"}), 200)
    assert [(role["name"], role["sources"]) for role in granting["roles"]] == [("editor", ["groups"])]


def test_a_groups_roles_are_in_its_members_tokens(server, api: Api):
    def scopes(email: str, password: str) -> list[str]:
        token = requests.post(f"{server.url}/oauth/token", timeout=30, data={
            "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
            "username": email, "password": password, "audience": API, "scope": "openid",
            "client_id": WEB_ID, "client_secret": WEB_SECRET})
        assert token.status_code == 200, token.text
        return jwt.get_unverified_claims(token.json()["access_token"])["permissions"]

    assert scopes(*ALICE) == ["read:notes", "write:notes"]
    assert scopes(*BOB) == ["read:notes"]
    everyone = by_name(api)["everyone"]["id"]
    assert api.delete(f"/api/v2/groups/{everyone}").status_code == 204
    assert scopes(*BOB) == []


def test_assigning_roles_to_groups_from_either_side(api: Api):
    bob = user_id(api, BOB[0])
    groups, editor = by_name(api), role_id(api, "editor")
    everyone = groups["everyone"]["id"]
    listed = conforms("GET /roles/{id}/groups", api.get(f"/api/v2/roles/{editor}/groups"), 200)
    assert listed == {"groups": [groups["engineering"]]}

    assert api.post(f"/api/v2/groups/{everyone}/roles", json={"roles": [editor]}).status_code == 204
    held = conforms("GET /groups/{id}/roles", api.get(f"/api/v2/groups/{everyone}/roles"), 200)
    assert [role["name"] for role in held["roles"]] == ["editor", "viewer"]
    effective = api.get(f"/api/v2/users/{bob}/effective-roles").json()["roles"]
    assert [(role["name"], role["sources"]) for role in effective] == [("editor", ["groups"]), ("viewer", ["groups"])]
    assert api.delete(f"/api/v2/roles/{editor}/groups", json={"groups": [everyone]}).status_code == 204
    assert [role["name"] for role in api.get(f"/api/v2/groups/{everyone}/roles").json()["roles"]] == ["viewer"]
    assert api.post(f"/api/v2/roles/{editor}/groups", json={"groups": [everyone]}).status_code == 204
    assert api.delete(f"/api/v2/groups/{everyone}/roles", json={"roles": [editor]}).status_code == 204
    assert [role["name"] for role in api.get(f"/api/v2/users/{bob}/effective-roles").json()["roles"]] == ["viewer"]

    # Refusals change nothing: an unknown role or group is a 404 before anything is written.
    assert_error(api.post(f"/api/v2/groups/{everyone}/roles", json={"roles": [editor, "rol_nope"]}), 404,
                 "The role does not exist.")
    assert_error(api.post(f"/api/v2/roles/{editor}/groups", json={"groups": [everyone, "grp_nope123456789abcd"]}),
                 404, *GROUP_NOT_FOUND)
    assert [role["name"] for role in api.get(f"/api/v2/groups/{everyone}/roles").json()["roles"]] == ["viewer"]


def test_deleted_roles_and_users_leave_their_groups(api: Api):
    groups, editor = by_name(api), role_id(api, "editor")
    alice = user_id(api, ALICE[0])
    assert api.delete(f"/api/v2/roles/{editor}").status_code == 200
    assert api.get(f"/api/v2/groups/{groups['engineering']['id']}/roles").json() == {"roles": []}
    assert api.delete(f"/api/v2/users/{alice}").status_code == 204
    members = api.get(f"/api/v2/groups/{groups['everyone']['id']}/members").json()["members"]
    assert alice not in [member["id"] for member in members] and len(members) == 1


def test_listing_groups_filters_and_pages(api: Api):
    def names(**query) -> list[str]:
        listed = conforms("GET /groups", api.get("/api/v2/groups", params=query), 200)
        return [group["name"] for group in (listed if isinstance(listed, list) else listed["groups"])]

    assert names(name="engineering") == names(external_id="eng-42") == names(search="ENG-4") == ["engineering"]
    assert names(search="every") == ["everyone"] and names(name="nobody") == []
    connection_id = by_name(api)["engineering"]["connection_id"]
    assert names(connection_id=connection_id) == ["engineering"]
    first = conforms("GET /groups", api.get("/api/v2/groups", params={"take": 1, "fields": "name"}), 200)
    assert first["groups"] == [{"name": "engineering"}]
    second = api.get("/api/v2/groups", params={"take": 1, "from": first["next"]}).json()
    assert [group["name"] for group in second["groups"]] == ["everyone"] and "next" not in second
    totals = api.get("/api/v2/groups", params={"include_totals": "true", "per_page": 1, "page": 1}).json()
    assert (totals["total"], [group["name"] for group in totals["groups"]]) == (2, ["everyone"])
