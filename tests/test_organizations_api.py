"""/api/v2/organizations over HTTP: organizations, enabled connections, members and member roles,
invitations (with their email), each answer held to Auth0's official response schemas and
recorded shapes, and Auth0's errors for bad input with nothing half-written."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Api, server_beside_default
from management_crud import assert_error, conforms

from mockidp.core.fixtures.files import DEFAULT_FIXTURE
from mockidp.testing import MockIdPServer

ROLE_ID = "rol_OrgMemberRole0001"
APP_ID = "invitingApp00000000000000000000"
FIXTURE = f"""
roles:
  - id: {ROLE_ID}
    name: org-admin
    description: Administers an organization
clients:
  - name: inviting app
    client_id: {APP_ID}
    client_secret: inviting-app-secret
    app_type: regular_web
    initiate_login_uri: https://app.example.test/login
    callbacks: [https://app.example.test/callback]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with server_beside_default(tmp_path_factory.mktemp("orgs"), FIXTURE) as running:
        yield running


@pytest.fixture
def api(server) -> Api:
    server.reset()
    return Api(server.url, server.management_token())


def create(api: Api, name: str = "acme", **extra) -> dict:
    response = api.post("/api/v2/organizations", json={"name": name, **extra})
    return conforms("POST /organizations", response, 201)


def user_id(api: Api, email: str = "alice@example.com") -> str:
    return api.get("/api/v2/users-by-email", params={"email": email}).json()[0]["user_id"]


def connection_id(api: Api, name: str = "Username-Password-Authentication") -> str:
    return next(c["id"] for c in api.get("/api/v2/connections").json() if c["name"] == name)


def test_create_read_and_list_as_auth0_answers(api):
    created = create(api, display_name="Acme Inc", branding={"logo_url": "https://example.com/logo.gif"})
    assert created == {"id": created["id"], "name": "acme", "display_name": "Acme Inc",
                       "branding": {"logo_url": "https://example.com/logo.gif"}}  # no metadata, no nulls
    assert created["id"].startswith("org_") and len(created["id"]) == 20
    by_id = conforms("GET /organizations/{id}", api.get(f"/api/v2/organizations/{created['id']}"), 200)
    by_name = conforms("GET /organizations/name/{name}", api.get("/api/v2/organizations/name/acme"), 200)
    assert by_id == by_name == created
    create(api, "beta")
    listed = conforms("GET /organizations", api.get("/api/v2/organizations", params={"include_totals": "true"}), 200)
    assert [org["name"] for org in listed["organizations"]] == ["acme", "beta"]
    assert (listed["start"], listed["limit"], listed["total"]) == (0, 50, 2)
    newest = api.get("/api/v2/organizations", params={"sort": "name:-1"}).json()
    assert [org["name"] for org in newest] == ["beta", "acme"]


def test_checkpoint_paging_walks_every_organization_once(api):
    for name in ("one", "two", "three"):
        create(api, name)
    first = api.get("/api/v2/organizations", params={"take": 2}).json()
    assert [org["name"] for org in first["organizations"]] == ["one", "two"] and "next" in first
    rest = api.get("/api/v2/organizations", params={"take": 2, "from": first["next"]}).json()
    assert rest == {"organizations": [api.get("/api/v2/organizations/name/three").json()]}


def test_bad_names_and_duplicates_change_nothing(api):
    create(api)
    assert_error(api.post("/api/v2/organizations", json={"name": "acme"}), 409,
                 "An organization with this name already exists", "organization_conflict")
    response = api.post("/api/v2/organizations", json={"name": "Not Valid!"})
    assert_error(response, 400, "Payload validation error: 'Object didn't pass validation for format "
                 "organization-name: Not Valid!' on property name (The name of this organization).", "invalid_body")
    assert_error(api.post("/api/v2/organizations", json={"name": "x" * 51}), 400,
                 "Payload validation error: 'String is too long (51 chars), maximum 50' on property name "
                 "(The name of this organization).", "invalid_body")
    assert [org["name"] for org in api.get("/api/v2/organizations").json()] == ["acme"]
    assert_error(api.get("/api/v2/organizations/org_doesnotexist0000"), 404,
                 "No organization found by that id or name")


def test_patch_replaces_attributes_and_merges_metadata(api):
    org = create(api, metadata={"plan": "free", "region": "eu"})
    response = api.patch(f"/api/v2/organizations/{org['id']}",
                         json={"display_name": "Acme", "metadata": {"plan": "pro", "region": None}})
    updated = conforms("PATCH /organizations/{id}", response, 200)
    assert updated["display_name"] == "Acme" and updated["metadata"] == {"plan": "pro"}
    create(api, "taken")
    assert_error(api.patch(f"/api/v2/organizations/{org['id']}", json={"name": "taken"}), 409,
                 "An organization with this name already exists", "organization_conflict")


def test_enabled_connections(api):
    org = create(api)
    database = connection_id(api)
    response = api.post(f"/api/v2/organizations/{org['id']}/enabled_connections",
                        json={"connection_id": database, "assign_membership_on_login": True})
    added = conforms("POST /organizations/{id}/enabled_connections", response, 201)
    assert added == {"connection_id": database, "assign_membership_on_login": True, "show_as_button": True,
                     "connection": {"name": "Username-Password-Authentication", "strategy": "auth0"}}
    path = f"/api/v2/organizations/{org['id']}/enabled_connections"
    assert api.post(path, json={"connection_id": database}).status_code == 409
    patched = api.patch(f"{path}/{database}", json={"show_as_button": False})
    assert conforms("PATCH /organizations/{id}/enabled_connections/{connectionId}", patched, 200)["show_as_button"] is False
    listed = conforms("GET /organizations/{id}/enabled_connections", api.get(path), 200)
    assert [entry["connection_id"] for entry in listed] == [database]
    assert api.delete(f"{path}/{database}").status_code == 204
    assert api.get(path).json() == []
    assert_error(api.post(path, json={"connection_id": "con_doesnotexist0000"}), 404,
                 "No connection found by that id", "inexistent_connection")


def test_members_and_member_roles(api):
    org = create(api)
    alice = user_id(api)
    base = f"/api/v2/organizations/{org['id']}"
    # Roles may come first (go-auth0's recorded test assigns them before adding the member).
    assert api.post(f"{base}/members/{alice}/roles", json={"roles": [ROLE_ID]}).status_code == 204
    assert api.post(f"{base}/members", json={"members": [alice]}).status_code == 204
    listed = api.get(f"{base}/members", params={"fields": "user_id,roles", "include_fields": "true",
                                                "include_totals": "true"})
    body = conforms("GET /organizations/{id}/members", listed, 200)
    assert body == {"members": [{"user_id": alice, "roles": [{"id": ROLE_ID, "name": "org-admin"}]}],
                    "start": 0, "limit": 50, "total": 1}
    plain = api.get(f"{base}/members").json()
    assert plain == [{"user_id": alice, "email": "alice@example.com", "picture": plain[0]["picture"],
                      "name": plain[0]["name"]}]
    roles = conforms("GET /organizations/{id}/members/{user_id}/roles", api.get(f"{base}/members/{alice}/roles"), 200)
    assert roles == [{"id": ROLE_ID, "name": "org-admin", "description": "Administers an organization"}]
    organizations = conforms("GET /users/{id}/organizations", api.get(f"/api/v2/users/{alice}/organizations"), 200)
    assert organizations == [org]
    assert api.delete(f"{base}/members/{alice}/roles", json={"roles": [ROLE_ID]}).status_code == 204
    assert api.get(f"{base}/members/{alice}/roles").json() == []
    assert api.delete(f"{base}/members", json={"members": [alice]}).status_code == 204
    assert api.get(f"{base}/members").json() == []


def test_unknown_users_and_roles_are_refused_whole(api):
    org = create(api)
    base = f"/api/v2/organizations/{org['id']}"
    alice = user_id(api)
    response = api.post(f"{base}/members", json={"members": [alice, "auth0|000000000000000000000000"]})
    assert response.status_code == 400
    assert api.get(f"{base}/members").json() == []  # alice was not added either
    assert_error(api.post(f"{base}/members/{alice}/roles", json={"roles": ["rol_doesnotexist0000"]}), 404,
                 "Role rol_doesnotexist0000 does not exist", "inexistent_role")
    assert_error(api.post(f"{base}/members/auth0|000000000000000000000000/roles", json={"roles": [ROLE_ID]}),
                 404, "The user does not exist.", "inexistent_user")


def test_deleting_an_organization_or_a_user_removes_memberships_never_users(api):
    org, other = create(api), create(api, "other")
    alice = user_id(api)
    for organization in (org, other):
        api.post(f"/api/v2/organizations/{organization['id']}/members", json={"members": [alice]})
    assert api.delete(f"/api/v2/organizations/{org['id']}").status_code == 204
    assert_error(api.get(f"/api/v2/organizations/{org['id']}"), 404, "No organization found by that id or name")
    assert api.get(f"/api/v2/users/{alice}").status_code == 200
    assert [o["name"] for o in api.get(f"/api/v2/users/{alice}/organizations").json()] == ["other"]
    assert api.delete(f"/api/v2/users/{alice}").status_code == 204
    assert api.get(f"/api/v2/organizations/{other['id']}/members").json() == []


def test_invitation_shape_link_and_email(server, api):
    server.freeze("2026-01-01T00:00:00Z")
    org = create(api, display_name="Acme Inc")
    response = api.post(f"/api/v2/organizations/{org['id']}/invitations", json={
        "inviter": {"name": "Dana"}, "invitee": {"email": "new.hire@example.com"}, "client_id": APP_ID,
        "ttl_sec": 259200, "roles": [ROLE_ID]})
    invitation = conforms("POST /organizations/{id}/invitations", response, 201, documented_as=200)
    assert invitation["id"].startswith("uinv_")
    assert (invitation["created_at"], invitation["expires_at"]) == ("2026-01-01T00:00:00.000Z", "2026-01-04T00:00:00.000Z")
    link = urlsplit(invitation["invitation_url"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == "https://app.example.test/login"
    assert parse_qs(link.query) == {"invitation": [invitation["ticket_id"]], "organization": [org["id"]],
                                    "organization_name": ["acme"]}
    assert invitation["roles"] == [ROLE_ID] and invitation["organization_id"] == org["id"]
    [email] = server.outbox(to="new.hire@example.com")
    assert email["template"] == "user_invitation"
    assert "Dana has invited you to join Acme Inc" in email["text"]
    assert invitation["invitation_url"] in email["links"]
    read = api.get(f"/api/v2/organizations/{org['id']}/invitations/{invitation['id']}")
    assert conforms("GET /organizations/{id}/invitations/{invitation_id}", read, 200) == invitation
    listed = api.get(f"/api/v2/organizations/{org['id']}/invitations", params={"include_totals": "true"}).json()
    assert listed == {"invitations": [invitation], "start": 0, "limit": 50}


def test_invitation_defaults_and_errors(server, api):
    server.freeze("2026-01-01T00:00:00Z")
    org = create(api)
    path = f"/api/v2/organizations/{org['id']}/invitations"
    quiet = api.post(path, json={"inviter": {"name": "Dana"}, "invitee": {"email": "x@example.com"},
                                 "client_id": APP_ID, "send_invitation_email": False}).json()
    assert quiet["expires_at"] == "2026-01-08T00:00:00.000Z"  # no ttl_sec: 7 days
    assert server.outbox(to="x@example.com") == []
    web_app = "mockidpWebClient0000000000000000"  # the default fixture's app has no login route
    assert_error(api.post(path, json={"inviter": {"name": "D"}, "invitee": {"email": "y@example.com"},
                                      "client_id": web_app}), 400,
                 "A default login route is required to generate the invitation url. For more information, "
                 "see https://auth0.com/docs/universal-login/configure-default-login-routes", "invalid_body")
    assert_error(api.post(path, json={"inviter": {"name": "D"}, "invitee": {"email": "y@example.com"},
                                      "client_id": APP_ID, "ttl_sec": 2592001}), 400,
                 "Payload validation error: 'Value 2592001 is greater than maximum 2592000' on property "
                 "ttl_sec (Number of seconds for which the invitation is valid before expiration. If "
                 "unspecified or set to 0, this value defaults to 604800 seconds (7 days). Max value: "
                 "2592000 seconds (30 days)).", "invalid_body")
    assert [i["id"] for i in api.get(path).json()] == [quiet["id"]]
    assert api.delete(f"{path}/{quiet['id']}").status_code == 204
    assert_error(api.get(f"{path}/{quiet['id']}"), 404, "The invitation does not exist.", "inexistent_invitation")


ORGANIZATIONS_FIXTURE = """
organizations:
  - name: globex
    display_name: Globex
    metadata: {tier: gold}
    connections:
      - name: Username-Password-Authentication
        assign_membership_on_login: true
    members:
      - alice@example.com
      - {user: bob@example.com, roles: [org-admin]}
    invitations:
      - invitee: pending@example.com
        client: inviting app
        ttl_sec: 3600
"""


def test_fixture_organizations_load_and_reset_restores_them(tmp_path):
    base, extra = tmp_path / "base.yaml", tmp_path / "orgs.yaml"
    base.write_text(FIXTURE)
    extra.write_text(ORGANIZATIONS_FIXTURE)
    server = MockIdPServer(fixtures=[DEFAULT_FIXTURE, base, extra], tls=False)
    try:
        api = Api(server.url, server.management_token())
        [globex] = api.get("/api/v2/organizations").json()
        assert (globex["display_name"], globex["metadata"]) == ("Globex", {"tier": "gold"})
        [connection] = api.get(f"/api/v2/organizations/{globex['id']}/enabled_connections").json()
        assert connection["connection"]["name"] == "Username-Password-Authentication"
        assert connection["assign_membership_on_login"] is True
        listed = api.get(f"/api/v2/organizations/{globex['id']}/members", params={"fields": "email,roles"}).json()
        assert listed == [{"email": "alice@example.com", "roles": []},
                          {"email": "bob@example.com", "roles": [{"id": ROLE_ID, "name": "org-admin"}]}]
        [pending] = api.get(f"/api/v2/organizations/{globex['id']}/invitations").json()
        assert pending["invitee"] == {"email": "pending@example.com"} and server.outbox() == []
        api.delete(f"/api/v2/organizations/{globex['id']}")
        server.reset()
        assert [org["name"] for org in Api(server.url, server.management_token()).get("/api/v2/organizations").json()] == ["globex"]
    finally:
        server.stop()


def test_a_fixture_organization_naming_an_unknown_user_fails_start_up(tmp_path):
    from mockidp.core.tenant.errors import FixtureError
    from mockidp.runtime import build_tenant

    bad = tmp_path / "orgs.yaml"
    bad.write_text("organizations:\n  - name: initech\n    members: [nobody@example.com]\n")
    with pytest.raises(FixtureError, match=r"orgs.yaml: organizations\[0\]: no user with user_id or email 'nobody@example.com'"):
        build_tenant([DEFAULT_FIXTURE, bad], state_dir=tmp_path)


def test_member_checkpoint_paging_ends_on_an_empty_page(api):
    """As recorded: a non-empty page of members always carries `next`; the empty one does not."""
    org = create(api)
    everyone = [user["user_id"] for user in api.get("/api/v2/users").json()]
    api.post(f"/api/v2/organizations/{org['id']}/members", json={"members": everyone})
    seen, checkpoint = [], None
    for _ in range(len(everyone) + 2):
        page = api.get(f"/api/v2/organizations/{org['id']}/members",
                       params={"take": 2, **({"from": checkpoint} if checkpoint else {})}).json()
        seen += [member["user_id"] for member in page["members"]]
        if "next" not in page:
            assert page["members"] == []
            break
        checkpoint = page["next"]
    assert seen == everyone


def test_signup_through_an_organization_needs_membership_on_login(api):
    org = create(api)
    path = f"/api/v2/organizations/{org['id']}/enabled_connections"
    database = connection_id(api)
    message = "Only database connections with assign_membership_on_login = true support is_signup_enabled = true."
    assert_error(api.post(path, json={"connection_id": database, "is_signup_enabled": True}), 400, message, "invalid_body")
    assert api.post(path, json={"connection_id": database, "is_signup_enabled": True,
                                "assign_membership_on_login": True}).status_code == 201
    assert_error(api.patch(f"{path}/{database}", json={"assign_membership_on_login": False}), 400, message,
                 "invalid_body")
    assert api.get(f"{path}/{database}").json()["assign_membership_on_login"] is True
