"""/api/v2/client-grants: create, update, delete, held to Auth0's shapes (reference/auth0-api.md
§8.5, go-auth0 / terraform-provider-auth0 recordings) and to their effect on client credentials."""
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

from mockidp.api.management.registry import registered_operations
from mockidp.api.validation import scopes_for
from mockidp.testing import DEFAULT_M2M_CLIENT_ID as M2M_ID
from mockidp.testing import DEFAULT_M2M_CLIENT_SECRET as M2M_SECRET

API = "https://api.example.com/"
GRANT_ID = re.compile(r"cgr_[A-Za-z0-9]{16}")
CLIENT_GRANTS_DOC = "https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"


@pytest.fixture
def backend(api: Api) -> dict:
    """An M2M client without grants, and an API with scopes."""
    created = api.post("/api/v2/resource-servers", json={
        "identifier": API, "name": "Example API", "token_lifetime": 3600,
        "scopes": [{"value": "read:things"}, {"value": "write:things"}]})
    assert created.status_code == 201, created.text
    client = api.post("/api/v2/clients", json={"name": "Backend", "app_type": "non_interactive"})
    assert client.status_code == 201, client.text
    return client.json()


def create(api: Api, **body) -> dict:
    return conforms("POST /client-grants", api.post("/api/v2/client-grants", json=body), 201)


def token(mockidp, client: dict, audience: str = API, **extra):
    return client_credentials(mockidp, client["client_id"], client["client_secret"], audience, **extra)


def not_authorized(audience: str) -> dict:
    return {"error": "access_denied",
            "error_description": f'Client is not authorized to access "{audience}". You need to create a '
                                 f'"client-grant" associated to this API. See: {CLIENT_GRANTS_DOC}'}


# --- the default M2M client ----------------------------------------------------------------------

def test_default_m2m_client_may_call_every_implemented_operation(mockidp):
    """The fixture grants "every scope mockidp supports": keep it true as operations are added."""
    granted = set(claims(mockidp.management_token())["scope"].split())
    uncovered = [op for op in registered_operations() if scopes_for(op) and not granted & set(scopes_for(op))]
    assert not uncovered, f"add a scope of each to fixtures/default.yaml: {uncovered}"


# --- POST /client-grants -------------------------------------------------------------------------

def test_create_answers_the_recorded_shape(api, backend):
    grant = create(api, client_id=backend["client_id"], audience=API, scope=["read:things"])
    assert GRANT_ID.fullmatch(grant["id"])
    assert grant == {"id": grant["id"], "client_id": backend["client_id"], "audience": API,
                     "scope": ["read:things"]}
    assert conforms("GET /client-grants/{id}", api.get(f"/api/v2/client-grants/{grant['id']}"), 200) == grant
    listed = api.get("/api/v2/client-grants", params={"client_id": backend["client_id"]}).json()
    assert listed == [grant]


def test_create_echoes_the_optional_attributes_sent(api, backend):
    grant = create(api, client_id=backend["client_id"], audience=API, scope=["read:things"],
                   subject_type="client", authorization_details_types=["payment"], organization_usage="deny",
                   allow_any_organization=False)
    assert grant == {"id": grant["id"], "client_id": backend["client_id"], "audience": API,
                     "scope": ["read:things"], "subject_type": "client",
                     "authorization_details_types": ["payment"], "organization_usage": "deny",
                     "allow_any_organization": False}


def test_create_without_scope_grants_none(mockidp, api, backend):
    grant = create(api, client_id=backend["client_id"], audience=API)
    assert grant["scope"] == []
    response = token(mockidp, backend)
    assert response.status_code == 200 and response.json()["scope"] == ""


def test_grant_makes_client_credentials_work(mockidp, api, backend):
    assert (token(mockidp, backend).status_code, token(mockidp, backend).json()) == (403, not_authorized(API))
    create(api, client_id=backend["client_id"], audience=API, scope=["read:things", "write:things"])
    response = token(mockidp, backend)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "read:things write:things" and body["expires_in"] == 3600
    token_claims = claims(body["access_token"])
    assert token_claims["aud"] == API and token_claims["scope"] == "read:things write:things"
    assert token_claims["exp"] - token_claims["iat"] == 3600


def test_management_api_grant_is_shown_with_the_callers_domain(mockidp, api, backend):
    grant = create(api, client_id=backend["client_id"], audience=management_audience(mockidp), scope=["read:users"])
    assert grant["audience"] == shown_management_audience(mockidp)
    assert token(mockidp, backend, management_audience(mockidp)).json()["scope"] == "read:users"


def test_duplicate_grant_conflicts(api, backend):
    create(api, client_id=backend["client_id"], audience=API, scope=["read:things"])
    before = state(api)
    response = api.post("/api/v2/client-grants", json={"client_id": backend["client_id"], "audience": API,
                                                       "scope": ["write:things"]})
    assert_error(response, 409, f"A client grant already exists between {backend['client_id']} and {API}",
                 operation="POST /client-grants")
    assert state(api) == before


def test_management_api_grant_conflicts_whatever_host_names_it(mockidp, api):
    """The default M2M client already holds a grant for the Management API."""
    before = state(api)
    other_host = management_audience(mockidp).replace("localhost", "127.0.0.1")
    response = api.post("/api/v2/client-grants", json={"client_id": M2M_ID, "audience": other_host, "scope": []})
    assert_error(response, 409, f"A client grant already exists between {M2M_ID} and {other_host}")
    assert state(api) == before


def test_a_user_grant_lives_beside_the_client_grant(mockidp, api, backend):
    user_grant = create(api, client_id=backend["client_id"], audience=API, scope=["read:things"],
                        subject_type="user")
    assert (token(mockidp, backend).status_code, token(mockidp, backend).json()) == (403, not_authorized(API))
    client_grant = create(api, client_id=backend["client_id"], audience=API, scope=["write:things"])
    assert token(mockidp, backend).json()["scope"] == "write:things"
    listed = api.get("/api/v2/client-grants", params={"client_id": backend["client_id"], "subject_type": "user"})
    assert listed.json() == [user_grant]
    listed = api.get("/api/v2/client-grants", params={"client_id": backend["client_id"], "subject_type": "client"})
    assert listed.json() == [client_grant]
    again = api.post("/api/v2/client-grants", json={"client_id": backend["client_id"], "audience": API,
                                                    "subject_type": "user"})
    assert_error(again, 409, f"A client grant already exists between {backend['client_id']} and {API}")


def test_default_grant_for_third_party_clients_is_stored(api, backend):
    grant = create(api, default_for="third_party_clients", audience=API, scope=["read:things"])
    assert grant == {"id": grant["id"], "audience": API, "scope": ["read:things"], "default_for": "third_party_clients"}
    assert api.get("/api/v2/client-grants", params={"default_for": "third_party_clients"}).json() == [grant]
    assert api.get("/api/v2/client-grants", params={"client_id": backend["client_id"]}).json() == []


def test_unknown_client(api, backend):
    before = state(api)
    response = api.post("/api/v2/client-grants", json={"client_id": "nope", "audience": API, "scope": []})
    assert_error(response, 404, "Client not found", operation="POST /client-grants")
    assert state(api) == before


def test_unknown_audience(api, backend):
    before = state(api)
    response = api.post("/api/v2/client-grants", json={"client_id": backend["client_id"], "scope": [],
                                                       "audience": "https://nope.example.com/"})
    assert_error(response, 404, "No resource with identifier https://nope.example.com/",
                 operation="POST /client-grants")
    assert state(api) == before


@pytest.mark.parametrize("body, message", [
    ({"client_id": M2M_ID}, "'Missing required property: audience'."),
    ({"audience": API}, "'Missing required property: client_id'."),
    ({"client_id": M2M_ID, "audience": ""}, "'String is too short (0 chars), minimum 1' on property audience "
                                             "(The audience (API identifier) of this client grant)."),
    ({"client_id": M2M_ID, "audience": API, "scope": "read:things"},
     "'Expected type array but found type string' on property scope (Scopes allowed for this client grant)."),
    ({"client_id": M2M_ID, "audience": API, "scope": [""]},
     "'String is too short (0 chars), minimum 1' on property scope[0]."),
    ({"client_id": M2M_ID, "audience": API, "id": "cgr_mine"}, "'Additional properties not allowed: id'."),
])
def test_create_refuses_bad_bodies(api, body, message):
    before = state(api)
    response = api.post("/api/v2/client-grants", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_create_needs_create_client_grants(mockidp, api, backend):
    before = state(api)
    response = scoped(mockidp, "read:client_grants", "update:client_grants").post(
        "/api/v2/client-grants", json={"client_id": backend["client_id"], "audience": API})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("POST /client-grants"))
    assert state(api) == before


# --- PATCH /client-grants/{id} -------------------------------------------------------------------

def test_update_scope_changes_the_tokens_issued_afterwards(mockidp, api, backend):
    grant = create(api, client_id=backend["client_id"], audience=API, scope=["read:things"])
    before = token(mockidp, backend).json()["access_token"]
    updated = conforms("PATCH /client-grants/{id}", api.patch(f"/api/v2/client-grants/{grant['id']}",
                                                              json={"scope": ["write:things"]}), 200)
    assert updated == {**grant, "scope": ["write:things"]}
    assert api.get(f"/api/v2/client-grants/{grant['id']}").json() == updated
    assert token(mockidp, backend).json()["scope"] == "write:things"
    assert claims(before)["scope"] == "read:things"  # a token already issued keeps its scopes
    narrowed = token(mockidp, backend, scope="read:things")
    assert (narrowed.status_code, narrowed.json()["error_description"]) == (
        403, "Client has not been granted scopes: read:things")


def test_update_scope_null_empties_it(api, backend):
    grant = create(api, client_id=backend["client_id"], audience=API, scope=["read:things"])
    response = api.patch(f"/api/v2/client-grants/{grant['id']}", json={"scope": None})
    assert conforms("PATCH /client-grants/{id}", response, 200)["scope"] == []


@pytest.mark.parametrize("body, message", [
    ({}, "'Too few properties defined (0), minimum 1'."),
    ({"client_id": "other"}, "'Additional properties not allowed: client_id'."),
    ({"audience": API}, "'Additional properties not allowed: audience'."),
    ({"scope": [1]}, "'Expected type string but found type integer' on property scope[0]."),
])
def test_update_refuses_bad_bodies(api, body, message):
    grant_id = api.get("/api/v2/client-grants").json()[0]["id"]
    before = state(api)
    response = api.patch(f"/api/v2/client-grants/{grant_id}", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_update_unknown_grant(api):
    before = state(api)
    assert_error(api.patch("/api/v2/client-grants/cgr_nope", json={"scope": []}), 404,
                 "The client grant does not exist", "inexistent_client_grant",
                 operation="PATCH /client-grants/{id}")
    assert state(api) == before


def test_update_needs_update_client_grants(mockidp, api):
    grant_id = api.get("/api/v2/client-grants").json()[0]["id"]
    before = state(api)
    response = scoped(mockidp, "read:client_grants", "create:client_grants").patch(
        f"/api/v2/client-grants/{grant_id}", json={"scope": []})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("PATCH /client-grants/{id}"))
    assert state(api) == before


# --- DELETE /client-grants/{id} ------------------------------------------------------------------

def test_delete_takes_client_credentials_away(mockidp, api, backend):
    grant = create(api, client_id=backend["client_id"], audience=API, scope=["read:things"])
    assert token(mockidp, backend).status_code == 200
    response = api.delete(f"/api/v2/client-grants/{grant['id']}")
    assert (response.status_code, response.content) == (204, b"")
    refused = token(mockidp, backend)
    assert (refused.status_code, refused.json()) == (403, not_authorized(API))
    assert_error(api.get(f"/api/v2/client-grants/{grant['id']}"), 404, "The client grant does not exist",
                 "inexistent_client_grant")
    assert api.delete(f"/api/v2/client-grants/{grant['id']}").status_code == 204  # idempotent


def test_regrant_after_delete(mockidp, api, backend):
    grant = create(api, client_id=backend["client_id"], audience=API, scope=["read:things"])
    api.delete(f"/api/v2/client-grants/{grant['id']}")
    again = create(api, client_id=backend["client_id"], audience=API, scope=["write:things"])
    assert again["id"] != grant["id"]
    assert token(mockidp, backend).json()["scope"] == "write:things"


def test_deleting_the_default_management_grant(mockidp, api):
    grant = api.get("/api/v2/client-grants", params={"client_id": M2M_ID}).json()[0]
    assert api.delete(f"/api/v2/client-grants/{grant['id']}").status_code == 204
    refused = client_credentials(mockidp, M2M_ID, M2M_SECRET, management_audience(mockidp))
    assert (refused.status_code, refused.json()) == (403, not_authorized(management_audience(mockidp)))
    mockidp.reset()
    assert client_credentials(mockidp, M2M_ID, M2M_SECRET, management_audience(mockidp)).status_code == 200


def test_delete_unknown_grant_is_a_no_op(api):
    before = state(api)
    response = api.delete("/api/v2/client-grants/cgr_nope")
    assert (response.status_code, response.content) == (204, b"")
    assert state(api) == before


def test_delete_needs_delete_client_grants(mockidp, api):
    grant_id = api.get("/api/v2/client-grants").json()[0]["id"]
    before = state(api)
    response = scoped(mockidp, "read:client_grants", "update:client_grants").delete(
        f"/api/v2/client-grants/{grant_id}")
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("DELETE /client-grants/{id}"))
    assert state(api) == before
