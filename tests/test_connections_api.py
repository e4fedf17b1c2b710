"""/api/v2/connections: create, update, delete, and the enabled clients of a connection, held to
Auth0's shapes (reference/auth0-api.md §8.2, §1.5; go-auth0 recordings) and to their effects on
users and signups."""
from __future__ import annotations

import re

import pytest
from conftest import Api, new_user
from management_crud import assert_error, conforms, invalid_body, scoped, state
from management_spec import insufficient_scope_body

DEFAULT_CONNECTION = "Username-Password-Authentication"
SPA_ID = "mockidpSpaClient0000000000000000"
WEB_ID = "mockidpWebClient0000000000000000"
CONNECTION_ID = re.compile(r"con_[A-Za-z0-9]{16}")
AUTH0_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
NAME_DESCRIPTION = ("The name of the connection. Must start and end with an alphanumeric character and can "
                    "only contain alphanumeric characters and '-'. Max length 128")


def create(api: Api, **body) -> dict:
    body.setdefault("strategy", "auth0")
    return conforms("POST /connections", api.post("/api/v2/connections", json=body), 201)


def default_connection(api: Api) -> dict:
    return api.get("/api/v2/connections", params={"name": DEFAULT_CONNECTION}).json()[0]


def signup(anonymous: Api, connection: str, client_id: str, **overrides):
    body = {"client_id": client_id, "connection": connection, "email": "signer@example.com",
            "password": "Sup3r$ecret!", **overrides}
    return anonymous.post("/dbconnections/signup", json=body)


# --- POST /connections ---------------------------------------------------------------------------

def test_create_database_connection_with_auth0_defaults(api):
    connection = create(api, name="Test-Auth0-Connection")
    assert CONNECTION_ID.fullmatch(connection["id"])
    assert connection == {
        "id": connection["id"], "name": "Test-Auth0-Connection", "strategy": "auth0",
        "is_domain_connection": False, "realms": ["Test-Auth0-Connection"], "enabled_clients": [],
        "authentication": {"active": True}, "connected_accounts": {"active": False},
        "options": {"mfa": {"active": True, "return_enroll_settings": True}, "passwordPolicy": "good",
                    "strategy_version": 2, "brute_force_protection": True,
                    "authentication_methods": {"password": {"enabled": True}, "passkey": {"enabled": False}},
                    "password_complexity_options": {"min_length": 8}}}
    read = conforms("GET /connections/{id}", api.get(f"/api/v2/connections/{connection['id']}"), 200)
    assert read == connection


def test_create_keeps_what_was_sent(api):
    connection = create(api, name="Custom", display_name="Custom DB", realms=["custom.example.com"],
                        enabled_clients=[SPA_ID, "unknownClient000000000000000000", SPA_ID],
                        options={"passwordPolicy": "excellent", "requires_username": True},
                        metadata={"team": "blue"}, show_as_button=True)
    assert connection["display_name"] == "Custom DB" and connection["metadata"] == {"team": "blue"}
    assert connection["realms"] == ["custom.example.com"]
    assert connection["enabled_clients"] == [SPA_ID]  # unknown ids dropped, duplicates folded
    assert connection["options"]["passwordPolicy"] == "excellent"
    assert connection["options"]["password_complexity_options"] == {"min_length": 10}
    assert connection["options"]["requires_username"] is True and connection["show_as_button"] is True


def test_create_social_connection_has_no_database_options(api):
    connection = create(api, name="google-oauth2", strategy="google-oauth2", options={"scope": ["email"]})
    assert connection["strategy"] == "google-oauth2"
    assert connection["options"] == {"scope": ["email"]}


def test_create_social_connection_has_no_button_or_ticket_keys(api):
    connection = create(api, name="github", strategy="github")
    assert not {"show_as_button", "display_name", "provisioning_ticket_url"} & connection.keys()
    assert connection["connected_accounts"] == {"active": False}  # purposes on every strategy


@pytest.mark.parametrize("strategy, options, keys", [
    # as recorded: enterprise connections are HRD-only until show_as_button is set; some carry a
    # provisioning ticket, OIDC/Okta/Azure AD a display_name equal to the name
    ("samlp", {"signInEndpoint": "https://saml.example.com/sso"}, {"show_as_button", "provisioning_ticket_url"}),
    ("ad", {}, {"show_as_button", "provisioning_ticket_url"}),
    ("okta", {"domain": "example.okta.com", "client_id": "c"}, {"show_as_button", "display_name"}),
    ("waad", {"domain": "example.onmicrosoft.com", "tenant_domain": "example.onmicrosoft.com"},
     {"show_as_button", "display_name", "provisioning_ticket_url"}),
])
def test_create_enterprise_connection_with_auth0_defaults(mockidp, api, strategy, options, keys):
    connection = create(api, name=f"Test-{strategy}", strategy=strategy, options=options)
    optional = {"show_as_button", "display_name", "provisioning_ticket_url"}
    assert optional & connection.keys() == keys
    assert connection.get("show_as_button") is False
    assert connection.get("display_name", connection["name"]) == connection["name"]
    if "provisioning_ticket_url" in keys:
        assert re.fullmatch(rf"{re.escape(mockidp.url)}/p/{strategy}/[A-Za-z0-9]{{8,32}}",
                            connection["provisioning_ticket_url"])
    read = conforms("GET /connections/{id}", api.get(f"/api/v2/connections/{connection['id']}"), 200)
    listed = conforms("GET /connections", api.get("/api/v2/connections", params={"strategy": strategy}), 200)
    assert read == listed[0] == connection


def test_empty_realms_become_the_name(api):
    assert create(api, name="No-Realms", realms=[])["realms"] == ["No-Realms"]


def test_users_live_in_a_new_connection_under_its_policy(api):
    create(api, name="Strict", options={"passwordPolicy": "excellent"})
    weak = api.post("/api/v2/users", json={"connection": "Strict", "email": "s@example.com", "password": "Passw0rd!"})
    assert (weak.status_code, weak.json()["message"]) == (400, "PasswordStrengthError: Password is too weak")
    user = new_user(api, connection="Strict", email="s@example.com", password="Sup3r$ecret!long")
    assert user["identities"][0]["connection"] == "Strict"
    assert new_user(api, email="s@example.com")["identities"][0]["connection"] == DEFAULT_CONNECTION


def test_duplicate_name_conflicts(api):
    before = state(api)
    response = api.post("/api/v2/connections", json={"name": DEFAULT_CONNECTION, "strategy": "auth0"})
    assert_error(response, 409, "A connection with the same name already exists", operation="POST /connections")
    assert state(api) == before


@pytest.mark.parametrize("body, message", [
    ({"strategy": "auth0"}, "'Missing required property: name'."),
    ({"name": "x"}, "'Missing required property: strategy'."),
    ({"name": "has space", "strategy": "auth0"},
     f"'String does not match pattern ^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$: has space' on property name "
     f"({NAME_DESCRIPTION})."),
    ({"name": "trailing-", "strategy": "auth0"},
     f"'String does not match pattern ^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$: trailing-' on property name "
     f"({NAME_DESCRIPTION})."),
    ({"name": "x", "strategy": "nope"},
     "'No enum match for: \"nope\"' on property strategy (The identity provider identifier for the connection)."),
    ({"name": "x", "strategy": "auth0", "id": "con_mine"}, "'Additional properties not allowed: id'."),
])
def test_create_refuses_bad_bodies(api, body, message):
    before = state(api)
    response = api.post("/api/v2/connections", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_create_needs_create_connections(mockidp, api):
    before = state(api)
    response = scoped(mockidp, "read:connections", "update:connections").post(
        "/api/v2/connections", json={"name": "x", "strategy": "auth0"})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("POST /connections"))
    assert state(api) == before


# --- PATCH /connections/{id} ---------------------------------------------------------------------

def test_update_replaces_options_wholesale(api):
    """Recorded from a real tenant: PATCH `{"options": {}}` leaves `{"brute_force_protection": true}`."""
    connection = create(api, name="Replaced")
    response = api.patch(f"/api/v2/connections/{connection['id']}", json={"options": {}})
    updated = conforms("PATCH /connections/{id}", response, 200)
    assert updated == {**connection, "options": {"brute_force_protection": True}}
    assert api.get(f"/api/v2/connections/{connection['id']}").json() == updated


def test_update_options_takes_effect_on_the_password_policy(api):
    connection = default_connection(api)
    weak = {"connection": DEFAULT_CONNECTION, "email": "weak@example.com", "password": "weakpass"}
    assert api.post("/api/v2/users", json=weak).status_code == 400
    options = {"passwordPolicy": "low", "password_complexity_options": {"min_length": 6}}
    response = api.patch(f"/api/v2/connections/{connection['id']}", json={"options": options})
    assert response.json()["options"] == {**options, "brute_force_protection": True}
    assert api.post("/api/v2/users", json=weak).status_code == 201


def test_update_other_attributes(api):
    connection = create(api, name="Updatable", display_name="Before")
    response = api.patch(f"/api/v2/connections/{connection['id']}", json={
        "realms": [], "enabled_clients": [WEB_ID], "is_domain_connection": True, "metadata": {"k": "v"}})
    updated = conforms("PATCH /connections/{id}", response, 200)
    assert updated["realms"] == ["Updatable"] and updated["enabled_clients"] == [WEB_ID]
    assert updated["is_domain_connection"] is True and updated["metadata"] == {"k": "v"}
    assert updated["display_name"] == "Updatable"  # not sent: overwritten with the name (spec)
    assert updated["options"] == connection["options"]  # not sent: untouched
    again = api.patch(f"/api/v2/connections/{connection['id']}", json={"display_name": "After"}).json()
    assert again["display_name"] == "After"


@pytest.mark.parametrize("body, message", [
    ({}, "'Too few properties defined (0), minimum 1'."),
    ({"name": "Renamed"}, "'Additional properties not allowed: name'."),
    ({"strategy": "google-oauth2"}, "'Additional properties not allowed: strategy'."),
    ({"options": []}, "'Expected type object,null but found type array' on property options (The connection's "
                      "options (depend on the connection strategy). To update these options, the "
                      "`update:connections_options` scope must be present. To verify your changes, also "
                      "include the `read:connections_options` scope. If this scope is not specified, you "
                      "will not be able to review the updated object)."),
])
def test_update_refuses_bad_bodies(api, body, message):
    connection = default_connection(api)
    before = state(api)
    response = api.patch(f"/api/v2/connections/{connection['id']}", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_update_unknown_connection(api):
    before = state(api)
    assert_error(api.patch("/api/v2/connections/con_nope", json={"options": {}}), 404,
                 "The connection does not exist", "inexistent_connection", operation="PATCH /connections/{id}")
    assert state(api) == before


def test_update_needs_update_connections(mockidp, api):
    connection = default_connection(api)
    before = state(api)
    response = scoped(mockidp, "read:connections", "create:connections").patch(
        f"/api/v2/connections/{connection['id']}", json={"options": {}})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("PATCH /connections/{id}"))
    assert state(api) == before


# --- DELETE /connections/{id} --------------------------------------------------------------------

def test_delete_answers_202_with_the_time_then_204(mockidp, api):
    connection = create(api, name="Doomed")
    now = mockidp.freeze()["now"]
    mockidp.advance(1.5)
    response = api.delete(f"/api/v2/connections/{connection['id']}")
    assert response.status_code == 202
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert AUTH0_TIMESTAMP.fullmatch(now)
    assert response.json() == {"deleted_at": mockidp.clock()["now"]}
    assert response.json()["deleted_at"] > now
    assert_error(api.get(f"/api/v2/connections/{connection['id']}"), 404, "The connection does not exist",
                 "inexistent_connection")
    again = api.delete(f"/api/v2/connections/{connection['id']}")
    assert (again.status_code, again.content) == (204, b"")


def test_delete_takes_the_users_with_it(api):
    create(api, name="Doomed")
    doomed = new_user(api, connection="Doomed", email="doomed@example.com")
    survivor = new_user(api, email="doomed@example.com")
    connection = api.get("/api/v2/connections", params={"name": "Doomed"}).json()[0]
    assert api.delete(f"/api/v2/connections/{connection['id']}").status_code == 202
    assert api.get("/api/v2/users/" + doomed["user_id"].replace("|", "%7C")).status_code == 404
    assert [u["user_id"] for u in api.get("/api/v2/users-by-email",
                                          params={"email": "doomed@example.com"}).json()] == [survivor["user_id"]]
    recreated = create(api, name="Doomed")
    assert api.get("/api/v2/users", params={"q": 'identities.connection:"Doomed"'}).json() == []
    assert new_user(api, connection="Doomed", email="doomed@example.com")["user_id"] != doomed["user_id"]
    assert recreated["id"] != connection["id"]


def test_delete_the_default_connection_then_reset(mockidp, api):
    connection = default_connection(api)
    assert api.delete(f"/api/v2/connections/{connection['id']}").status_code == 202
    assert api.get("/api/v2/users").json() == []
    mockidp.reset()
    assert len(api.get("/api/v2/users").json()) == 3
    assert default_connection(api) == connection


def test_delete_unknown_connection(api):
    before = state(api)
    response = api.delete("/api/v2/connections/con_nope")
    assert (response.status_code, response.content) == (204, b"")
    assert state(api) == before


def test_delete_needs_delete_connections(mockidp, api):
    connection = default_connection(api)
    before = state(api)
    response = scoped(mockidp, "read:connections", "update:connections").delete(
        f"/api/v2/connections/{connection['id']}")
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("DELETE /connections/{id}"))
    assert state(api) == before


# --- GET / PATCH /connections/{id}/clients -------------------------------------------------------

def test_enabled_clients(api):
    connection = default_connection(api)
    path = f"/api/v2/connections/{connection['id']}/clients"
    body = conforms("GET /connections/{id}/clients", api.get(path), 200)
    assert body == {"clients": [{"client_id": "mockidpM2MClient0000000000000000"}, {"client_id": SPA_ID},
                                {"client_id": WEB_ID}]}
    first = conforms("GET /connections/{id}/clients", api.get(path, params={"take": 2}), 200)
    assert first["clients"] == body["clients"][:2] and "next" in first
    rest = conforms("GET /connections/{id}/clients", api.get(path, params={"take": 2, "from": first["next"]}), 200)
    assert rest == {"clients": body["clients"][2:]}


def test_enable_and_disable_clients_affects_signup(api, anonymous):
    connection = create(api, name="Signups")
    path = f"/api/v2/connections/{connection['id']}/clients"
    refused = signup(anonymous, "Signups", SPA_ID)
    assert refused.status_code == 400 and refused.json()["code"] == "unauthorized"
    response = api.patch(path, json=[{"client_id": SPA_ID, "status": True}, {"client_id": WEB_ID, "status": True}])
    assert (response.status_code, response.content) == (204, b"")
    assert api.get(path).json() == {"clients": [{"client_id": SPA_ID}, {"client_id": WEB_ID}]}
    assert api.get(f"/api/v2/connections/{connection['id']}").json()["enabled_clients"] == [SPA_ID, WEB_ID]
    assert signup(anonymous, "Signups", SPA_ID).status_code == 200
    api.patch(path, json=[{"client_id": SPA_ID, "status": False}])
    assert api.get(path).json() == {"clients": [{"client_id": WEB_ID}]}
    assert signup(anonymous, "Signups", SPA_ID, email="other@example.com").status_code == 400


def test_enabled_clients_of_an_unknown_connection(api):
    assert_error(api.get("/api/v2/connections/con_nope/clients"), 404, "The connection does not exist",
                 "inexistent_connection", operation="GET /connections/{id}/clients")
    before = state(api)
    response = api.patch("/api/v2/connections/con_nope/clients", json=[{"client_id": SPA_ID, "status": True}])
    assert_error(response, 404, "The connection does not exist", "inexistent_connection",
                 operation="PATCH /connections/{id}/clients")
    assert state(api) == before


def test_enabling_an_unknown_client_changes_nothing(api):
    connection = create(api, name="Partial")
    before = state(api)
    response = api.patch(f"/api/v2/connections/{connection['id']}/clients", json=[
        {"client_id": SPA_ID, "status": True}, {"client_id": "nope", "status": True}])
    assert_error(response, 404, "The client does not exist", "inexistent_client",
                 operation="PATCH /connections/{id}/clients")
    assert state(api) == before


@pytest.mark.parametrize("body, message", [
    ([], "'Array is too short (0), minimum 1'."),
    ({"client_id": SPA_ID, "status": True}, "'Expected type array but found type object'."),
    ([{"client_id": SPA_ID}], "'Missing required property: status' on property [0]."),
    ([{"client_id": SPA_ID, "status": "yes"}],
     "'Expected type boolean but found type string' on property [0].status (Whether the connection is enabled "
     "or not for this client_id)."),
    ([{"client_id": SPA_ID, "status": True, "extra": 1}], "'Additional properties not allowed: extra' on property [0]."),
])
def test_enabled_clients_refuses_bad_bodies(api, body, message):
    connection = default_connection(api)
    before = state(api)
    response = api.patch(f"/api/v2/connections/{connection['id']}/clients", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_enabled_clients_scopes(mockidp, api):
    connection = default_connection(api)
    path = f"/api/v2/connections/{connection['id']}/clients"
    reader = scoped(mockidp, "read:connections")
    assert reader.get(path).status_code == 200
    before = state(api)
    response = reader.patch(path, json=[{"client_id": SPA_ID, "status": False}])
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("PATCH /connections/{id}/clients"))
    assert state(api) == before
    writer = scoped(mockidp, "update:connections")
    assert (writer.get(path).status_code, writer.get(path).json()) == (
        403, insufficient_scope_body("GET /connections/{id}/clients"))


def test_fields_keep_the_id_and_is_domain_connection(api):
    create(api, name="Kept")
    listed = api.get("/api/v2/connections", params={"fields": "name", "include_fields": "true"}).json()
    assert {tuple(sorted(entry)) for entry in listed} == {("id", "is_domain_connection", "name")}
    excluded = api.get("/api/v2/connections", params={"fields": "name", "include_fields": "false"}).json()
    assert all("name" not in entry and "id" in entry for entry in excluded)
