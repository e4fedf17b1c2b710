"""/api/v2/resource-servers: create, update, delete, held to Auth0's shapes (reference/auth0-api.md
§8.3; go-auth0 / terraform-provider-auth0 recordings) and to their effect on the tokens issued."""
from __future__ import annotations

import re

import pytest
from conftest import Api
from management_crud import (
    assert_error,
    claims,
    client_credentials,
    conforms,
    invalid_body,
    management_audience,
    scoped,
    shown_management_audience,
    state,
)
from management_spec import insufficient_scope_body

from mockidp.testing import DEFAULT_M2M_CLIENT_ID as M2M_ID
from mockidp.testing import DEFAULT_M2M_CLIENT_SECRET as M2M_SECRET

API = "https://api.example.com/"
URN_API = "urn:example:orders"  # no "/", so it can be addressed by identifier in the path
SERVER_ID = re.compile(r"[0-9a-f]{24}")
LIFETIME_DESCRIPTION = "Expiration value (in seconds) for access tokens issued for this API from the token endpoint"


def create(api: Api, **body) -> dict:
    body.setdefault("identifier", API)
    return conforms("POST /resource-servers", api.post("/api/v2/resource-servers", json=body), 201)


def update(api: Api, id_or_identifier: str, body: dict) -> dict:
    response = api.patch(f"/api/v2/resource-servers/{id_or_identifier}", json=body)
    return conforms("PATCH /resource-servers/{id}", response, 200, documented_as=201)


def system_api(api: Api) -> dict:
    return next(s for s in api.get("/api/v2/resource-servers").json() if s.get("is_system"))


@pytest.fixture
def backend(api: Api) -> dict:
    """An M2M client without grants."""
    response = api.post("/api/v2/clients", json={"name": "Backend", "app_type": "non_interactive"})
    assert response.status_code == 201, response.text
    return response.json()


def grant(api: Api, client: dict, audience: str, scope: list[str]) -> None:
    response = api.post("/api/v2/client-grants", json={"client_id": client["client_id"], "audience": audience,
                                                       "scope": scope})
    assert response.status_code == 201, response.text


def token(mockidp, client: dict, audience: str = API):
    return client_credentials(mockidp, client["client_id"], client["client_secret"], audience)


# --- POST /resource-servers ----------------------------------------------------------------------

def test_create_answers_the_recorded_defaults(api):
    server = create(api, name="Test Resource Server")
    assert SERVER_ID.fullmatch(server["id"])
    assert server == {"id": server["id"], "name": "Test Resource Server", "identifier": API,
                      "allow_offline_access": False, "skip_consent_for_verifiable_first_party_clients": False,
                      "token_lifetime": 86400, "token_lifetime_for_web": 7200, "signing_alg": "RS256"}
    assert conforms("GET /resource-servers/{id}", api.get(f"/api/v2/resource-servers/{server['id']}"), 200) == server
    assert api.get("/api/v2/resource-servers", params={"identifiers": API}).json() == [server]


def test_create_keeps_what_was_sent(api):
    server = create(api, name="Orders", scopes=[{"value": "read:orders", "description": "Read orders"}],
                    token_lifetime=600, allow_offline_access=True, enforce_policies=True,
                    token_dialect="access_token_authz", skip_consent_for_verifiable_first_party_clients=True)
    assert server["scopes"] == [{"value": "read:orders", "description": "Read orders"}]
    assert server["token_lifetime"] == 600 and server["token_lifetime_for_web"] == 600
    assert server["allow_offline_access"] is True and server["enforce_policies"] is True
    assert server["token_dialect"] == "access_token_authz"
    assert server["skip_consent_for_verifiable_first_party_clients"] is True


def test_create_without_a_name_is_named_after_its_identifier(api):
    assert create(api)["name"] == API


def test_hs256_api_gets_a_signing_secret(api):
    server = create(api, signing_alg="HS256")
    assert server["signing_alg"] == "HS256" and len(server["signing_secret"]) >= 16
    chosen = create(api, identifier=URN_API, signing_alg="HS256", signing_secret="s" * 16)
    assert chosen["signing_secret"] == "s" * 16


def test_new_api_scopes_and_lifetime_show_up_in_tokens(mockidp, api, backend):
    create(api, scopes=[{"value": "read:orders"}, {"value": "write:orders"}], token_lifetime=900)
    grant(api, backend, API, ["read:orders", "write:orders"])
    response = token(mockidp, backend)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["expires_in"], body["scope"]) == (900, "read:orders write:orders")
    token_claims = claims(body["access_token"])
    assert token_claims["aud"] == API and token_claims["exp"] - token_claims["iat"] == 900


def test_duplicate_identifier_conflicts(api):
    create(api)
    before = state(api)
    response = api.post("/api/v2/resource-servers", json={"identifier": API, "name": "Again"})
    assert_error(response, 409, "A resource server with the same identifier already exists",
                 "resource_server_conflict", operation="POST /resource-servers")
    assert state(api) == before


def test_the_management_api_cannot_be_created_again(mockidp, api):
    before = state(api)
    for identifier in (management_audience(mockidp), "https://tenant.example.com/api/v2/"):
        response = api.post("/api/v2/resource-servers", json={"identifier": identifier})
        assert_error(response, 409, "A resource server with the same identifier already exists",
                     "resource_server_conflict")
    assert state(api) == before


@pytest.mark.parametrize("body, message", [
    ({}, "'Missing required property: identifier'."),
    ({"identifier": ""}, "'String is too short (0 chars), minimum 1' on property identifier (Unique identifier "
                         "for the API used as the audience parameter on authorization calls. Can not be changed "
                         "once set)."),
    ({"identifier": API, "name": "<b>"}, "'String does not match pattern ^[^<>]+$: <b>' on property name "
                                         "(Friendly name for this resource server. Can not contain `<` or `>` "
                                         "characters)."),
    ({"identifier": API, "token_lifetime": 2592001},
     f"'Value 2592001 is greater than maximum 2592000' on property token_lifetime ({LIFETIME_DESCRIPTION})."),
    ({"identifier": API, "token_lifetime": -1},
     f"'Value -1 is less than minimum 0' on property token_lifetime ({LIFETIME_DESCRIPTION})."),
    # token_lifetime_for_web is accepted (a spec gap: data/spec_gaps.json), but typed
    ({"identifier": API, "token_lifetime_for_web": "60"},
     "'Expected type integer but found type string' on property token_lifetime_for_web."),
    ({"identifier": API, "scopes": [{"description": "no value"}]},
     "'Missing required property: value' on property scopes[0]."),
    ({"identifier": API, "signing_alg": "none"},
     "'No enum match for: \"none\"' on property signing_alg (Algorithm used to sign JWTs. Can be `HS256` (default) or "
     "`RS256`. `PS256` available via addon)."),
])
def test_create_refuses_bad_bodies(api, body, message):
    before = state(api)
    response = api.post("/api/v2/resource-servers", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_create_needs_create_resource_servers(mockidp, api):
    before = state(api)
    response = scoped(mockidp, "read:resource_servers", "update:resource_servers").post(
        "/api/v2/resource-servers", json={"identifier": API})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("POST /resource-servers"))
    assert state(api) == before


# --- PATCH /resource-servers/{id} ----------------------------------------------------------------

def test_update_replaces_attributes(api):
    server = create(api, name="Before", scopes=[{"value": "a"}, {"value": "b"}])
    updated = update(api, server["id"], {"name": "After", "scopes": [{"value": "c", "description": "C"}],
                                         "allow_offline_access": True, "signing_alg": "RS256"})
    assert updated == {**server, "name": "After", "scopes": [{"value": "c", "description": "C"}],
                       "allow_offline_access": True}
    assert api.get(f"/api/v2/resource-servers/{server['id']}").json() == updated


def test_update_by_identifier(api):
    server = create(api, identifier=URN_API)
    updated = update(api, URN_API, {"name": "By identifier"})
    assert updated["id"] == server["id"] and updated["name"] == "By identifier"
    assert api.get(f"/api/v2/resource-servers/{URN_API}").json() == updated


def test_token_lifetime_change_applies_to_tokens_issued_afterwards(mockidp, api, backend):
    server = create(api, token_lifetime=600)
    grant(api, backend, API, [])
    first = token(mockidp, backend).json()
    update(api, server["id"], {"token_lifetime": 1200})
    second = token(mockidp, backend).json()
    assert (first["expires_in"], second["expires_in"]) == (600, 1200)
    first_claims, second_claims = claims(first["access_token"]), claims(second["access_token"])
    assert first_claims["exp"] - first_claims["iat"] == 600
    assert second_claims["exp"] - second_claims["iat"] == 1200


@pytest.mark.parametrize("body, message", [
    ({"identifier": "https://other.example.com/"}, "'Additional properties not allowed: identifier'."),
    ({"id": "abc"}, "'Additional properties not allowed: id'."),
    ({"token_lifetime": "1h"}, f"'Expected type integer but found type string' on property token_lifetime "
                               f"({LIFETIME_DESCRIPTION})."),
])
def test_update_refuses_bad_bodies(api, body, message):
    server = create(api)
    before = state(api)
    response = api.patch(f"/api/v2/resource-servers/{server['id']}", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_update_unknown_resource_server(api):
    before = state(api)
    assert_error(api.patch("/api/v2/resource-servers/0123456789abcdef01234567", json={"name": "x"}), 404,
                 "The resource server does not exist", "inexistent_resource_server")
    assert state(api) == before


def test_update_needs_update_resource_servers(mockidp, api):
    server = create(api)
    before = state(api)
    response = scoped(mockidp, "read:resource_servers").patch(f"/api/v2/resource-servers/{server['id']}",
                                                              json={"name": "x"})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("PATCH /resource-servers/{id}"))
    assert state(api) == before


# --- the system Management API -------------------------------------------------------------------

def test_management_api_takes_only_its_updatable_settings(mockidp, api):
    system = system_api(api)
    assert system["identifier"] == shown_management_audience(mockidp)
    updated = update(api, system["id"], {"token_lifetime": 3600,
                                         "skip_consent_for_verifiable_first_party_clients": True})
    assert updated == {**system, "token_lifetime": 3600, "skip_consent_for_verifiable_first_party_clients": True}
    response = client_credentials(mockidp, M2M_ID, M2M_SECRET, management_audience(mockidp))
    assert response.json()["expires_in"] == 3600


@pytest.mark.parametrize("body, refused", [
    ({"name": "Mine now"}, "name"),
    ({"scopes": []}, "scopes"),
    ({"token_lifetime": 60, "signing_alg": "HS256", "allow_offline_access": True}, "signing_alg,allow_offline_access"),
])
def test_management_api_refuses_other_changes(api, body, refused):
    system = system_api(api)
    before = state(api)
    response = api.patch(f"/api/v2/resource-servers/{system['id']}", json=body)
    assert (response.status_code, response.json()) == (
        400, invalid_body(f"'Additional properties not allowed: {refused}'."))
    assert state(api) == before


def test_management_api_cannot_be_deleted(api):
    system = system_api(api)
    before = state(api)
    assert_error(api.delete(f"/api/v2/resource-servers/{system['id']}"), 400,
                 "System resource servers cannot be deleted.", operation="DELETE /resource-servers/{id}")
    assert state(api) == before


# --- DELETE /resource-servers/{id} ---------------------------------------------------------------

def test_delete_takes_the_api_and_its_grants_away(mockidp, api, backend):
    server = create(api)
    grant(api, backend, API, [])
    assert token(mockidp, backend).status_code == 200
    response = api.delete(f"/api/v2/resource-servers/{server['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert_error(api.get(f"/api/v2/resource-servers/{server['id']}"), 404, "The resource server does not exist",
                 "inexistent_resource_server")
    assert api.get("/api/v2/client-grants", params={"audience": API}).json() == []
    refused = token(mockidp, backend)
    assert (refused.status_code, refused.json()) == (403, {"error": "access_denied",
                                                           "error_description": f"Service not found: {API}"})
    assert api.delete(f"/api/v2/resource-servers/{server['id']}").status_code == 204  # idempotent
    assert create(api)["id"] != server["id"]
    assert api.get("/api/v2/client-grants", params={"audience": API}).json() == []


def test_delete_by_identifier(api):
    create(api, identifier=URN_API)
    assert api.delete(f"/api/v2/resource-servers/{URN_API}").status_code == 204
    assert api.get(f"/api/v2/resource-servers/{URN_API}").status_code == 404


def test_delete_unknown_resource_server_is_a_no_op(api):
    before = state(api)
    response = api.delete("/api/v2/resource-servers/0123456789abcdef01234567")
    assert (response.status_code, response.content) == (204, b"")
    assert state(api) == before


def test_delete_needs_delete_resource_servers(mockidp, api):
    server = create(api)
    before = state(api)
    response = scoped(mockidp, "read:resource_servers", "update:resource_servers").delete(
        f"/api/v2/resource-servers/{server['id']}")
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("DELETE /resource-servers/{id}"))
    assert state(api) == before
