"""/api/v2/clients: create, update, rotate the secret, delete, held to what real Auth0 returns
(reference/auth0-api.md §8.1 and the go-auth0 / terraform-provider-auth0 recordings), and to
their effects on /oauth/token."""
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
    state,
    unauthorized_client,
)
from management_spec import insufficient_scope_body

from mockidp.testing import DEFAULT_M2M_CLIENT_ID as M2M_ID
from mockidp.testing import DEFAULT_M2M_CLIENT_SECRET as M2M_SECRET

SPA_ID = "mockidpSpaClient0000000000000000"
CONNECTION_ID_PATH = "/api/v2/connections"
CLIENT_ID = re.compile(r"[A-Za-z0-9]{32}")
CLIENT_SECRET = re.compile(r"[A-Za-z0-9_-]{64}")
CONFIDENTIAL_GRANTS = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
DEFAULT_REFRESH_TOKEN = {"rotation_type": "non-rotating", "expiration_type": "non-expiring", "leeway": 0,
                         "token_lifetime": 2592000, "infinite_token_lifetime": True,
                         "infinite_idle_token_lifetime": True, "idle_token_lifetime": 1296000}


def create(api: Api, **body) -> dict:
    body.setdefault("name", "Test Client")
    return conforms("POST /clients", api.post("/api/v2/clients", json=body), 201)


def grant_management_api(api: Api, mockidp, client_id: str, scope: list[str]) -> dict:
    response = api.post("/api/v2/client-grants", json={"client_id": client_id, "scope": scope,
                                                       "audience": management_audience(mockidp)})
    assert response.status_code == 201, response.text
    return response.json()


def token_for(mockidp, client: dict) -> dict:
    response = client_credentials(mockidp, client["client_id"], client["client_secret"],
                                  management_audience(mockidp))
    assert response.status_code == 200, response.text
    return response.json()


# --- POST /clients -------------------------------------------------------------------------------

def test_create_answers_the_recorded_defaults(api):
    client = create(api, name="Test Client", description="This is just a test client.")
    assert CLIENT_ID.fullmatch(client["client_id"])
    assert CLIENT_SECRET.fullmatch(client["client_secret"])
    assert client == {
        "name": "Test Client", "description": "This is just a test client.",
        "client_id": client["client_id"], "client_secret": client["client_secret"],
        "is_first_party": True, "is_token_endpoint_ip_header_trusted": False, "oidc_conformant": False,
        "jwt_configuration": {"secret_encoded": False, "lifetime_in_seconds": 36000},
        "sso_disabled": False, "cross_origin_authentication": False, "grant_types": CONFIDENTIAL_GRANTS,
        "custom_login_page_on": True, "refresh_token": DEFAULT_REFRESH_TOKEN,
        "async_approval_notification_channels": ["guardian-push"]}
    assert list(client)[:4] == ["name", "description", "client_id", "client_secret"]


def test_an_express_configuration_client_has_the_recorded_defaults(api):
    client = create(api, name="OIN", app_type="express_configuration")
    assert client["callbacks"] == ["https://system-admin.okta.com/admin/app/generic/oauth20redirect"]
    assert (client["organization_usage"], client["organization_require_behavior"]) == ("require", "pre_login_prompt")
    assert client["client_authentication_methods"] == {"private_key_jwt": {"credentials": []}}
    sent = create(api, name="OIN 2", app_type="express_configuration", organization_require_behavior="post_login_prompt")
    assert sent["organization_require_behavior"] == "post_login_prompt"


@pytest.mark.parametrize("app_type, grant_types, auth_method", [
    ("non_interactive", ["client_credentials"], None),
    ("regular_web", CONFIDENTIAL_GRANTS, None),
    ("spa", ["authorization_code", "implicit", "refresh_token"], "none"),
    ("native", ["authorization_code", "implicit", "refresh_token"], "none"),
    ("sso_integration", CONFIDENTIAL_GRANTS, None),
])
def test_create_defaults_per_app_type(api, app_type, grant_types, auth_method):
    client = create(api, app_type=app_type)
    assert client["app_type"] == app_type
    assert client["grant_types"] == grant_types
    assert client.get("token_endpoint_auth_method") == auth_method
    assert "client_secret" in client  # every client gets one, public ones too


def test_create_keeps_what_was_sent(api):
    client = create(api, name="Web", app_type="regular_web", oidc_conformant=True,
                    callbacks=["https://app.example.com/callback"], allowed_logout_urls=["https://app.example.com"],
                    jwt_configuration={"alg": "RS256"}, client_metadata={"team": "blue"},
                    organization_usage="allow", grant_types=["authorization_code", "refresh_token"],
                    token_endpoint_auth_method="client_secret_basic", is_first_party=False,
                    refresh_token={"rotation_type": "rotating", "expiration_type": "expiring"})
    assert client["oidc_conformant"] is True and client["is_first_party"] is False
    assert client["callbacks"] == ["https://app.example.com/callback"]
    assert client["allowed_logout_urls"] == ["https://app.example.com"]
    assert client["jwt_configuration"] == {"secret_encoded": False, "lifetime_in_seconds": 36000,
                                           "alg": "RS256"}
    assert client["client_metadata"] == {"team": "blue"}
    assert client["organization_usage"] == "allow"
    assert client["grant_types"] == ["authorization_code", "refresh_token"]
    assert client["token_endpoint_auth_method"] == "client_secret_basic"
    assert client["refresh_token"] == {**DEFAULT_REFRESH_TOKEN, "rotation_type": "rotating",
                                       "expiration_type": "expiring"}


def test_created_client_reads_back_and_is_listed(api):
    client = create(api)
    read = conforms("GET /clients/{id}", api.get(f"/api/v2/clients/{client['client_id']}"), 200)
    assert read == client
    listed = api.get("/api/v2/clients", params={"include_totals": "true"}).json()
    # the default tenant's three clients, its global client ("All Applications"), the new one
    assert listed["total"] == 5 and listed["clients"][-1] == client


def test_the_tenant_has_one_global_client(api):
    """Every Auth0 tenant has "All Applications" (global: true); auth0-deploy-cli's export of the
    login page fails without it, and lists the tenant's own clients with is_global=false."""
    [glob] = api.get("/api/v2/clients", params={"is_global": "true"}).json()
    assert glob["name"] == "All Applications" and glob["global"] is True
    own = api.get("/api/v2/clients", params={"is_global": "false"}).json()
    assert glob["client_id"] not in [c["client_id"] for c in own] and len(own) == 3


def test_create_answers_the_secret_even_without_read_client_keys(mockidp, api):
    creator = scoped(mockidp, "create:clients", "read:clients")
    client = create(creator)
    assert CLIENT_SECRET.fullmatch(client["client_secret"])
    again = creator.get(f"/api/v2/clients/{client['client_id']}").json()
    assert "client_secret" not in again
    assert api.get(f"/api/v2/clients/{client['client_id']}").json()["client_secret"] == client["client_secret"]


def test_ids_and_secrets_come_from_the_seeded_random_source(mockidp, api):
    first = create(api)
    mockidp.reset()
    again = create(Api(mockidp.url, mockidp.management_token()))
    assert (again["client_id"], again["client_secret"]) == (first["client_id"], first["client_secret"])


@pytest.mark.parametrize("body, message", [
    ({}, "'Missing required property: name'."),
    ({"name": "a<b"}, "'String does not match pattern ^[^<>]+$: a<b' on property name (Name of this "
                      "client (min length: 1 character, does not allow `<` or `>`))."),
    ({"name": "tag>"}, "'String does not match pattern ^[^<>]+$: tag>' on property name (Name of this "
                       "client (min length: 1 character, does not allow `<` or `>`))."),
    ({"name": ""}, "'String does not match pattern ^[^<>]+$: ' on property name (Name of this client "
                   "(min length: 1 character, does not allow `<` or `>`))."),
    ({"name": "x", "description": "d" * 141}, "'String is too long (141 chars), maximum 140' on property "
                                              "description (Free text description of this client (max "
                                              "length: 140 characters))."),
    ({"name": "x", "client_id": "chosen", "client_secret": "s"},
     "'Additional properties not allowed: client_id,client_secret'."),
    ({"name": "x", "app_type": "desktop"}, "'No enum match for: \"desktop\"' on property app_type (The type "
                                           "of application this client represents)."),
    ({"name": 42}, "'Expected type string but found type integer' on property name (Name of this client "
                   "(min length: 1 character, does not allow `<` or `>`))."),
])
def test_create_refuses_bad_bodies(api, body, message):
    before = state(api)
    response = api.post("/api/v2/clients", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_create_refuses_unknown_grant_types(api):
    before = state(api)
    response = api.post("/api/v2/clients", json={"name": "x", "grant_types": [
        "client_credentials", "http://auth0.com/oauth/legacy/grant-type/ro", "bogus"]})
    assert_error(response, 400, "Invalid grant types: http://auth0.com/oauth/legacy/grant-type/ro, bogus",
                 "invalid_body", operation="POST /clients")
    assert state(api) == before


def test_create_needs_create_clients(mockidp, api):
    before = state(api)
    response = scoped(mockidp, "read:clients", "update:clients").post("/api/v2/clients", json={"name": "x"})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("POST /clients"))
    assert state(api) == before


def test_new_client_gets_tokens_once_granted(mockidp, api):
    client = create(api, name="Backend", app_type="non_interactive")
    audience = management_audience(mockidp)
    refused = client_credentials(mockidp, client["client_id"], client["client_secret"], audience)
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"
    assert refused.json()["error_description"].startswith(f'Client is not authorized to access "{audience}".')
    grant_management_api(api, mockidp, client["client_id"], ["read:users"])
    token = token_for(mockidp, client)
    assert token["scope"] == "read:users"
    assert claims(token["access_token"])["sub"] == f"{client['client_id']}@clients"
    backend = Api(mockidp.url, token["access_token"])
    assert backend.get("/api/v2/users").status_code == 200
    assert backend.post("/api/v2/clients", json={"name": "x"}).status_code == 403


def test_wrong_secret_of_a_new_client_is_refused(mockidp, api):
    client = create(api, app_type="non_interactive")
    grant_management_api(api, mockidp, client["client_id"], ["read:users"])
    response = client_credentials(mockidp, client["client_id"], "not-the-secret", management_audience(mockidp))
    assert (response.status_code, response.json()) == (401, unauthorized_client())


# --- PATCH /clients/{id} -------------------------------------------------------------------------

def test_update_replaces_attributes_and_reads_back(api):
    client = create(api, callbacks=["https://a.example.com/cb"], client_metadata={"a": "1", "b": "2"})
    path = f"/api/v2/clients/{client['client_id']}"
    updated = conforms("PATCH /clients/{id}", api.patch(path, json={
        "name": "Renamed", "description": "More than a test client.", "callbacks": ["https://b.example.com/cb"],
        "jwt_configuration": {"lifetime_in_seconds": 600}, "client_metadata": {"b": None, "c": "3"}}), 200)
    assert updated == {**client, "name": "Renamed", "description": "More than a test client.",
                       "callbacks": ["https://b.example.com/cb"],
                       "jwt_configuration": {"secret_encoded": False, "lifetime_in_seconds": 600},
                       "client_metadata": {"a": "1", "c": "3"}}
    assert api.get(path).json() == updated


def test_update_with_null_removes_the_attribute(api):
    client = create(api, app_type="spa")
    updated = api.patch(f"/api/v2/clients/{client['client_id']}", json={"token_endpoint_auth_method": None})
    assert updated.status_code == 200
    assert "token_endpoint_auth_method" not in updated.json()


def test_update_of_grant_types_takes_effect_on_the_token_endpoint(mockidp, api):
    client = create(api, app_type="non_interactive")
    grant_management_api(api, mockidp, client["client_id"], ["read:users"])
    token_for(mockidp, client)
    api.patch(f"/api/v2/clients/{client['client_id']}", json={"grant_types": ["authorization_code"]})
    response = client_credentials(mockidp, client["client_id"], client["client_secret"],
                                  management_audience(mockidp))
    assert (response.status_code, response.json()) == (403, {
        "error": "unauthorized_client",
        "error_description": "Grant type 'client_credentials' not allowed for the client."})


def test_update_of_the_secret_changes_the_credentials(mockidp, api):
    client = create(api, app_type="non_interactive")
    grant_management_api(api, mockidp, client["client_id"], ["read:users"])
    updated = api.patch(f"/api/v2/clients/{client['client_id']}", json={"client_secret": "a-new-secret-of-my-choice"})
    assert updated.json()["client_secret"] == "a-new-secret-of-my-choice"
    old = client_credentials(mockidp, client["client_id"], client["client_secret"], management_audience(mockidp))
    assert (old.status_code, old.json()) == (401, unauthorized_client())
    assert token_for(mockidp, {**client, "client_secret": "a-new-secret-of-my-choice"})["scope"] == "read:users"


def test_update_answers_the_secret_only_to_read_client_keys(mockidp):
    editor = scoped(mockidp, "update:clients")
    response = editor.patch(f"/api/v2/clients/{SPA_ID}", json={"description": "edited"})
    body = conforms("PATCH /clients/{id}", response, 200)
    assert body["description"] == "edited" and "client_secret" not in body


@pytest.mark.parametrize("scope, body, needed", [
    ("update:clients", {"client_secret": "changed-without-the-keys-scope"}, "update:client_keys"),
    ("update:client_keys", {"name": "Renamed with the keys scope"}, "update:clients"),
    ("update:client_keys", {"name": "Both", "client_secret": "changed-secret-value"}, "update:clients"),
])
def test_update_scopes_split_keys_from_the_rest(mockidp, api, scope, body, needed):
    before = state(api)
    response = scoped(mockidp, scope).patch(f"/api/v2/clients/{SPA_ID}", json=body)
    assert_error(response, 403, f"Insufficient scope, expected any of: {needed}", "insufficient_scope",
                 operation="PATCH /clients/{id}")
    assert state(api) == before


def test_update_with_the_keys_scope_changes_the_secret(mockidp, api):
    response = scoped(mockidp, "update:client_keys").patch(f"/api/v2/clients/{SPA_ID}",
                                                           json={"client_secret": "rotated-by-hand-0001"})
    assert response.status_code == 200
    assert api.get(f"/api/v2/clients/{SPA_ID}").json()["client_secret"] == "rotated-by-hand-0001"


@pytest.mark.parametrize("body, message", [
    ({}, "'Too few properties defined (0), minimum 1'."),
    ({"client_id": "other"}, "'Additional properties not allowed: client_id'."),
    ({"name": "<script>"}, "'String does not match pattern ^[^<>]+$: <script>' on property name (The name of "
                           "the client. Must contain at least one character. Does not allow '<' or '>')."),
    ({"client_secret": ""}, "'String is too short (0 chars), minimum 1' on property client_secret (The "
                            "secret used to sign tokens for the client)."),
])
def test_update_refuses_bad_bodies(api, body, message):
    before = state(api)
    response = api.patch(f"/api/v2/clients/{SPA_ID}", json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_update_unknown_client(api):
    before = state(api)
    assert_error(api.patch("/api/v2/clients/nope", json={"name": "x"}), 404, "The client does not exist",
                 "inexistent_client", operation="PATCH /clients/{id}")
    assert state(api) == before


def test_update_refuses_unknown_grant_types(api):
    before = state(api)
    response = api.patch(f"/api/v2/clients/{SPA_ID}", json={"grant_types": ["implicit", "nope"]})
    assert_error(response, 400, "Invalid grant types: nope", "invalid_body")
    assert state(api) == before


# --- POST /clients/{id}/rotate-secret ------------------------------------------------------------

def test_rotate_secret_answers_the_client_with_a_new_secret(mockidp, api):
    client = create(api, app_type="non_interactive")
    grant_management_api(api, mockidp, client["client_id"], ["read:users"])
    rotated = conforms("POST /clients/{id}/rotate-secret",
                       api.post(f"/api/v2/clients/{client['client_id']}/rotate-secret"), 200)
    assert CLIENT_SECRET.fullmatch(rotated["client_secret"])
    assert rotated == {**client, "client_secret": rotated["client_secret"]}
    assert rotated["client_secret"] != client["client_secret"]
    assert api.get(f"/api/v2/clients/{client['client_id']}").json() == rotated
    old = client_credentials(mockidp, client["client_id"], client["client_secret"], management_audience(mockidp))
    assert (old.status_code, old.json()) == (401, unauthorized_client())
    assert token_for(mockidp, rotated)["scope"] == "read:users"


def test_rotate_secret_needs_update_client_keys(mockidp, api):
    before = state(api)
    response = scoped(mockidp, "update:clients", "read:client_keys").post(f"/api/v2/clients/{SPA_ID}/rotate-secret")
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("POST /clients/{id}/rotate-secret"))
    allowed = scoped(mockidp, "update:client_keys").post(f"/api/v2/clients/{SPA_ID}/rotate-secret")
    assert allowed.status_code == 200 and "client_secret" in allowed.json()
    assert state(api) != before


def test_rotate_secret_of_an_unknown_client(api):
    before = state(api)
    assert_error(api.post("/api/v2/clients/nope/rotate-secret"), 404, "The client does not exist",
                 "inexistent_client", operation="POST /clients/{id}/rotate-secret")
    assert state(api) == before


# --- DELETE /clients/{id} ------------------------------------------------------------------------

def test_delete_is_idempotent_and_takes_the_credentials_away(mockidp, api):
    client = create(api, app_type="non_interactive")
    grant = grant_management_api(api, mockidp, client["client_id"], ["read:users"])
    token_for(mockidp, client)
    path = f"/api/v2/clients/{client['client_id']}"
    response = api.delete(path)
    assert (response.status_code, response.content) == (204, b"")
    assert_error(api.get(path), 404, "The client does not exist", "inexistent_client")
    assert api.delete(path).status_code == 204  # again: still 204, as recorded from Auth0
    refused = client_credentials(mockidp, client["client_id"], client["client_secret"], management_audience(mockidp))
    assert (refused.status_code, refused.json()) == (401, unauthorized_client())
    assert api.get(f"/api/v2/client-grants/{grant['id']}").status_code == 404
    assert api.get("/api/v2/client-grants", params={"client_id": client["client_id"]}).json() == []


def test_delete_removes_the_client_from_connections(api):
    connection = api.get(CONNECTION_ID_PATH).json()[0]
    assert SPA_ID in api.get(f"{CONNECTION_ID_PATH}/{connection['id']}").json()["enabled_clients"]
    assert api.delete(f"/api/v2/clients/{SPA_ID}").status_code == 204
    enabled = api.get(f"{CONNECTION_ID_PATH}/{connection['id']}/clients").json()["clients"]
    assert {"client_id": SPA_ID} not in enabled and enabled


def test_delete_of_an_unknown_client_is_a_no_op(api):
    before = state(api)
    response = api.delete("/api/v2/clients/nope")
    assert (response.status_code, response.content) == (204, b"")
    assert state(api) == before


def test_delete_needs_delete_clients(mockidp, api):
    before = state(api)
    response = scoped(mockidp, "read:clients", "update:clients").delete(f"/api/v2/clients/{SPA_ID}")
    assert (response.status_code, response.json()) == (403, insufficient_scope_body("DELETE /clients/{id}"))
    assert state(api) == before


def test_deleting_the_calling_client_keeps_its_issued_token_valid(mockidp, api):
    """Access tokens are self-contained JWTs: deleting the client does not revoke what it holds."""
    assert api.delete(f"/api/v2/clients/{M2M_ID}").status_code == 204
    assert api.get("/api/v2/users").status_code == 200
    refused = client_credentials(mockidp, M2M_ID, M2M_SECRET, management_audience(mockidp))
    assert (refused.status_code, refused.json()) == (401, unauthorized_client())


# --- the official SDK ----------------------------------------------------------------------------

def test_auth0_python_sdk_round_trip(mockidp, monkeypatch):
    """auth0-python, unchanged, over HTTPS: the four resources' create/update/delete parse."""
    from auth0.management import ManagementClient
    from auth0.management.errors import NotFoundError

    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    sdk = ManagementClient(domain=mockidp.domain, client_id=M2M_ID, client_secret=M2M_SECRET)
    client = sdk.clients.create(name="SDK app", app_type="non_interactive")
    assert sdk.clients.update(client.client_id, description="via the SDK").description == "via the SDK"
    assert sdk.clients.rotate_secret(client.client_id).client_secret != client.client_secret
    server = sdk.resource_servers.create(identifier="https://sdk.example.com/", scopes=[{"value": "read:a"}])
    assert sdk.resource_servers.update(server.id, token_lifetime=1200).token_lifetime == 1200
    grant = sdk.client_grants.create(client_id=client.client_id, audience="https://sdk.example.com/",
                                     scope=["read:a"])
    assert sdk.client_grants.update(grant.id, scope=[]).scope == []
    connection = sdk.connections.create(name="SDK-DB", strategy="auth0")
    assert sdk.connections.update(connection.id, options={}).options == {"brute_force_protection": True}
    sdk.connections.clients.update(connection.id, request=[{"client_id": client.client_id, "status": True}])
    assert [c.client_id for c in sdk.connections.clients.get(connection.id)] == [client.client_id]
    sdk.connections.delete(connection.id)
    sdk.client_grants.delete(grant.id)
    sdk.resource_servers.delete(server.id)
    sdk.clients.delete(client.client_id)
    with pytest.raises(NotFoundError):
        sdk.clients.get(client.client_id)
