"""Declared resources under a parent (core/resources/catalog: provisioning, credentials,
organizations) over HTTP: a connection's SCIM configuration and tokens, a client's credentials,
an organization's discovery domains and client grants. Responses are held to the official spec's
schemas; an unknown parent is the parent's 404; what Auth0 answers twice (a repeated DELETE) is
answered twice."""
from __future__ import annotations

import pytest
from conftest import Api
from management_crud import assert_error, conforms, scoped

OKTA = {"name": "okta-scim", "strategy": "okta",
        "options": {"domain": "acme.okta.com", "client_id": "a", "client_secret": "b"}}


@pytest.fixture
def connection_id(api: Api) -> str:
    return api.post("/api/v2/connections", json=OKTA).json()["id"]


def test_a_scim_configuration_starts_with_auth0s_mapping_and_takes_its_tokens_along(api: Api, connection_id):
    base = f"/api/v2/connections/{connection_id}/scim-configuration"
    assert_error(api.get(base), 404, "Not Found")
    created = conforms("POST /connections/{id}/scim-configuration", api.post(base, json={}), 201)
    assert (created["connection_name"], created["strategy"], created["user_id_attribute"]) == \
        ("okta-scim", "okta", "externalId")
    default = conforms("GET /connections/{id}/scim-configuration/default-mapping", api.get(base + "/default-mapping"), 200)
    assert created["mapping"] == default["mapping"] and default["mapping"][0] == \
        {"auth0": "preferred_username", "scim": "userName"}
    patched = api.patch(base, json={"user_id_attribute": "userName", "mapping": [{"auth0": "email", "scim": "email"}]})
    assert conforms("PATCH /connections/{id}/scim-configuration", patched, 200)["mapping"] == \
        [{"auth0": "email", "scim": "email"}]
    listed = conforms("GET /connections-scim-configurations", api.get("/api/v2/connections-scim-configurations"), 200)
    assert [entry["connection_id"] for entry in listed["scim_configurations"]] == [connection_id]

    token = conforms("POST /connections/{id}/scim-configuration/tokens",
                     api.post(base + "/tokens", json={"scopes": ["get:users"]}), 201)
    assert token["token_id"].startswith("tok_") and len(token["token"]) == 64
    assert api.get(base + "/tokens").json() == [{key: token[key] for key in ("token_id", "scopes", "created_at")}]
    assert api.post(base + "/tokens", json={}).status_code == 201
    assert_error(api.post(base + "/tokens", json={}), 409, "Maximum of 2 tokens already issued for this connection")

    assert api.delete(base).status_code == 204
    assert api.delete(base).status_code == 204  # as Auth0 answers a repeated DELETE
    assert_error(api.get(base + "/tokens"), 404, "Not Found")
    assert_error(api.get("/api/v2/connections/con_missing/scim-configuration"), 404,
                 "The connection does not exist", "inexistent_connection")


def _public_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_a_client_credential_is_read_from_its_pem_and_kept_under_its_client(api: Api):
    client_id = api.post("/api/v2/clients", json={"name": "jwt-client"}).json()["client_id"]
    base = f"/api/v2/clients/{client_id}/credentials"
    created = conforms("POST /clients/{client_id}/credentials",
                       api.post(base, json={"credential_type": "public_key", "name": "k", "pem": _public_key_pem()}), 201)
    assert created["id"].startswith("cred_") and len(created["id"]) == 27
    assert created["alg"] == "RS256" and len(created["kid"]) == 43  # the key's RFC 7638 thumbprint
    item = f"{base}/{created['id']}"
    assert conforms("GET /clients/{client_id}/credentials", api.get(base), 200) == [created]
    patched = api.patch(item, json={"expires_at": "2030-01-01T00:00:00.000Z"}).json()
    assert patched["expires_at"] == "2030-01-01T00:00:00.000Z"
    other = api.post("/api/v2/clients", json={"name": "other"}).json()["client_id"]
    assert_error(api.get(f"/api/v2/clients/{other}/credentials/{created['id']}"), 404,
                 "Credential not found", "inexistent_credential")
    assert api.delete(item).status_code == 204 and api.delete(item).status_code == 204
    assert api.get(base).json() == []
    refused = api.post(base, json={"credential_type": "public_key", "pem": "not a key"})
    assert_error(refused, 400, "The PEM could not be parsed.", "invalid_body")
    assert api.get(base).json() == []
    assert_error(api.get("/api/v2/clients/missing/credentials"), 404, "The client does not exist", "inexistent_client")


def test_an_organization_discovery_domain_is_found_by_id_or_name(api: Api):
    organization = api.post("/api/v2/organizations", json={"name": "acme"}).json()["id"]
    base = f"/api/v2/organizations/{organization}/discovery-domains"
    created = conforms("POST /organizations/{id}/discovery-domains", api.post(base, json={"domain": "acme.com"}), 201)
    assert created["status"] == "pending" and created["use_for_organization_discovery"] is True
    assert created["verification_host"] == f"_ss-verification.{organization}.acme.com"
    assert_error(api.post(base, json={"domain": "acme.com"}), 409,
                 "An organization discovery domain with this domain is already registered to this organization.")
    assert conforms("GET /organizations/{id}/discovery-domains/name/{discovery_domain}",
                    api.get(base + "/name/acme.com"), 200) == created
    assert conforms("GET /organizations/{id}/discovery-domains", api.get(base), 200) == {"domains": [created]}
    item = f"{base}/{created['id']}"
    assert api.patch(item, json={"status": "verified"}).json()["status"] == "verified"
    assert api.delete(item).status_code == 204 and api.delete(item).status_code == 204
    assert_error(api.get(item), 404, "No organization domain found by that id")
    assert_error(api.get("/api/v2/organizations/org_missing/discovery-domains"), 404,
                 "No organization found by that id or name")


def test_an_organization_lists_the_client_grants_added_to_it(api: Api):
    client_id = api.post("/api/v2/clients", json={"name": "m2m", "app_type": "non_interactive"}).json()["client_id"]
    api.post("/api/v2/resource-servers", json={"identifier": "https://api.example.com/", "name": "api",
                                               "scopes": [{"value": "create:resource"}]})
    grant = api.post("/api/v2/client-grants", json={"client_id": client_id, "audience": "https://api.example.com/",
                                                    "scope": ["create:resource"], "organization_usage": "allow"}).json()
    organization = api.post("/api/v2/organizations", json={"name": "acme"}).json()["id"]
    base = f"/api/v2/organizations/{organization}/client-grants"
    # Auth0 answers with `grant_id` where its spec says `id` (recorded): the recording wins.
    added = api.post(base, json={"grant_id": grant["id"]})
    assert added.status_code == 201 and added.json() == {"grant_id": grant["id"], **{
        key: value for key, value in grant.items() if key != "id"}}
    assert_error(api.post(base, json={"grant_id": grant["id"]}), 409,
                 "The client grant has already been added to this organization.")
    listed = conforms("GET /organizations/{id}/client-grants", api.get(base, params={"include_totals": "true"}), 200)
    assert (listed["total"], listed["client_grants"][0]["id"]) == (1, grant["id"])
    organizations = api.get(f"/api/v2/client-grants/{grant['id']}/organizations").json()
    assert [entry["id"] for entry in organizations] == [organization]
    assert api.delete(f"/api/v2/client-grants/{grant['id']}").status_code == 204
    assert api.get(base).json() == []  # a deleted grant leaves no organization
    assert_error(api.post(base, json={"grant_id": "cgr_missing"}), 404,
                 "The client grant does not exist", "inexistent_client_grant")


def test_a_missing_scope_is_refused_under_a_parent(mockidp, connection_id):
    reader = scoped(mockidp, "read:scim_config")
    refused = reader.post(f"/api/v2/connections/{connection_id}/scim-configuration", json={})
    assert_error(refused, 403, "Insufficient scope, expected any of: create:scim_config", "insufficient_scope")
