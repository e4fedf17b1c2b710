"""Client ID Metadata Documents over HTTP (/api/v2/clients/cimd/preview and /register): the
document a test hosts on the mock (POST /_mock/client-metadata-documents, since mockidp never
fetches from the network) is validated with Auth0's rules and registered as a third-party client."""
from __future__ import annotations

import pytest
from conftest import Api
from management_crud import assert_error, conforms, invalid_body, scoped

URL = "https://agent.example.com/oauth/metadata.json"
DOCUMENT = {"client_id": URL, "client_name": "MCP Agent", "redirect_uris": ["https://agent.example.com/callback"],
            "grant_types": ["authorization_code", "refresh_token"], "logo_uri": "https://agent.example.com/logo.png",
            "software_statement": "ignored"}


def _host(mockidp, url: str = URL, **changes) -> None:
    mockidp.control("POST", "/client-metadata-documents", {"url": url, "document": {**DOCUMENT, **changes}})


def test_a_hosted_document_is_previewed_then_registered_as_a_third_party_client(mockidp, api: Api):
    _host(mockidp)
    preview = conforms("POST /clients/cimd/preview", api.post("/api/v2/clients/cimd/preview",
                                                                json={"external_client_id": URL}), 200)
    assert "client_id" not in preview and "errors" not in preview
    assert preview["validation"] == {"valid": True, "violations": [],
                                     "warnings": ["Unsupported property 'software_statement' was ignored"]}
    assert preview["mapped_fields"] == {
        "external_client_id": URL, "name": "MCP Agent", "app_type": "regular_web",
        "callbacks": ["https://agent.example.com/callback"], "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none", "logo_uri": "https://agent.example.com/logo.png"}
    registered = conforms("POST /clients/cimd/register", api.post("/api/v2/clients/cimd/register",
                                                                    json={"external_client_id": URL}), 201)
    assert registered["client_id"].startswith("tpc_") and len(registered["client_id"]) == 26  # recorded form
    assert registered["mapped_fields"] == preview["mapped_fields"]
    client = conforms("GET /clients/{id}", api.get(f"/api/v2/clients/{registered['client_id']}"), 200)
    assert {key: client[key] for key in ("name", "app_type", "is_first_party", "callbacks", "token_endpoint_auth_method",
                                         "external_client_id", "external_metadata_type")} == {
        "name": "MCP Agent", "app_type": "regular_web", "is_first_party": False,
        "callbacks": ["https://agent.example.com/callback"], "token_endpoint_auth_method": "none",
        "external_client_id": URL, "external_metadata_type": "cimd"}
    again = api.post("/api/v2/clients/cimd/preview", json={"external_client_id": URL}).json()
    assert again["client_id"] == registered["client_id"]


def test_registering_again_updates_the_same_client_from_the_changed_document(mockidp, api: Api):
    _host(mockidp)
    first = api.post("/api/v2/clients/cimd/register", json={"external_client_id": URL}).json()
    _host(mockidp, client_name="MCP Agent v2")
    updated = conforms("POST /clients/cimd/register", api.post("/api/v2/clients/cimd/register",
                                                                 json={"external_client_id": URL}), 200)
    assert updated["client_id"] == first["client_id"]
    assert api.get(f"/api/v2/clients/{first['client_id']}").json()["name"] == "MCP Agent v2"
    assert [client["client_id"] for client in api.get("/api/v2/clients").json()
            if client.get("external_client_id") == URL] == [first["client_id"]]


def test_an_unreachable_document_is_a_retrieval_error(api: Api):
    unknown = "https://nowhere.example.com/metadata.json"
    preview = conforms("POST /clients/cimd/preview", api.post("/api/v2/clients/cimd/preview",
                                                                json={"external_client_id": unknown}), 200)
    assert preview == {"errors": [f"The Client Metadata at {unknown} could not be retrieved."]}
    refused = api.post("/api/v2/clients/cimd/register", json={"external_client_id": unknown})
    assert_error(refused, 400, f"The Client Metadata at {unknown} could not be retrieved.", "invalid_body",
                 operation="POST /clients/cimd/register")


def test_a_document_breaking_the_rules_is_previewed_with_violations_and_not_registered(mockidp, api: Api):
    _host(mockidp, client_id="https://other.example.com/metadata.json", token_endpoint_auth_method="client_secret_post",
          jwks={"keys": []})
    before = api.get("/api/v2/clients").json()
    preview = api.post("/api/v2/clients/cimd/preview", json={"external_client_id": URL}).json()
    assert preview["validation"]["valid"] is False and len(preview["validation"]["violations"]) == 3
    assert_error(api.post("/api/v2/clients/cimd/register", json={"external_client_id": URL}), 400,
                 f"The Client Metadata document at {URL} cannot be applied.", "invalid_body")
    assert api.get("/api/v2/clients").json() == before


@pytest.mark.parametrize("url, problem", [
    ("http://agent.example.com/metadata.json", "it must use the https scheme"),
    ("https://localhost/metadata.json", "localhost is not allowed"),
    ("https://agent.example.com/", "it must have a path"),
    ("https://agent.example.com/a/../metadata.json", "its path must not contain dot segments"),
    ("https://agent.example.com/metadata.json?v=1", "it must not have a query"),
    ("https://user:pw@agent.example.com/metadata.json", "it must not contain credentials"),
])
def test_urls_breaking_auth0s_rules_are_refused(api: Api, url, problem):
    for operation in ("preview", "register"):
        assert_error(api.post(f"/api/v2/clients/cimd/{operation}", json={"external_client_id": url}), 400,
                     f"Invalid external_client_id: {problem}.", "invalid_body")


def test_bad_bodies_and_missing_scopes_are_refused(mockidp, api: Api):
    assert api.post("/api/v2/clients/cimd/register", json={}).json() == invalid_body(
        "'Missing required property: external_client_id'.")
    _host(mockidp)
    reader = scoped(mockidp, "read:clients")
    assert reader.post("/api/v2/clients/cimd/preview", json={"external_client_id": URL}).status_code == 200
    assert_error(reader.post("/api/v2/clients/cimd/register", json={"external_client_id": URL}), 403,
                 "Insufficient scope, expected any of: create:clients,update:clients", "insufficient_scope")
    updater = scoped(mockidp, "update:clients")  # may update a registered client, not create one
    assert_error(updater.post("/api/v2/clients/cimd/register", json={"external_client_id": URL}), 403,
                 "Insufficient scope, expected any of: create:clients", "insufficient_scope")
    assert api.post("/api/v2/clients/cimd/register", json={"external_client_id": URL}).status_code == 201
    assert updater.post("/api/v2/clients/cimd/register", json={"external_client_id": URL}).status_code == 200


def test_the_control_plane_lists_hosted_documents_and_refuses_bad_ones(mockidp, anonymous):
    _host(mockidp)
    assert mockidp.control("GET", "/client-metadata-documents") == [{"url": URL, "document": DOCUMENT}]
    refused = anonymous.post("/_mock/client-metadata-documents", json={"url": URL})
    assert refused.status_code == 400
    mockidp.reset()
    assert mockidp.control("GET", "/client-metadata-documents") == []
