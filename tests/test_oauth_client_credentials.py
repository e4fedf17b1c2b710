"""POST /oauth/token with client_credentials, discovery, JWKS, and expiry on the mock clock."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests
from conftest import Api
from jose import jwt

from mockidp.testing import DEFAULT_M2M_CLIENT_ID as M2M_ID
from mockidp.testing import DEFAULT_M2M_CLIENT_SECRET as M2M_SECRET
from mockidp.testing import MockIdPServer

SPA_ID = "mockidpSpaClient0000000000000000"
WEB_ID = "mockidpWebClient0000000000000000"
WEB_SECRET = "mockidp-web-secret-0000000000000000000000000000000000000000000000"


def token_request(mockidp, **overrides) -> requests.Response:
    body = {"grant_type": "client_credentials", "client_id": M2M_ID, "client_secret": M2M_SECRET,
            "audience": f"{mockidp.url}/api/v2/"}
    body.update(overrides)
    body = {key: value for key, value in body.items() if value is not None}
    return requests.post(f"{mockidp.url}/oauth/token", json=body, timeout=30)


def verify(mockidp, token: str, audience: str) -> dict:
    jwks = requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=30).json()
    return jwt.decode(token, jwks, algorithms=["RS256"], audience=audience, issuer=f"{mockidp.url}/",
                      options={"verify_exp": False})


def test_token_claims_and_signature(mockidp):
    mockidp.freeze("2030-01-01T00:00:00Z")
    response = token_request(mockidp)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    claims = verify(mockidp, body["access_token"], f"{mockidp.url}/api/v2/")
    assert claims["sub"] == f"{M2M_ID}@clients" and claims["azp"] == M2M_ID
    assert claims["gty"] == "client-credentials"
    assert claims["iat"] == 1893456000 and claims["exp"] == 1893456000 + 86400
    assert set(claims["scope"].split()) == set(body["scope"].split()) >= {"read:users", "create:users"}
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["typ"] == "JWT"


def test_form_body_and_requested_scope_subset(mockidp):
    response = requests.post(f"{mockidp.url}/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_id": M2M_ID, "client_secret": M2M_SECRET,
        "audience": f"{mockidp.url}/api/v2/", "scope": "read:users"})
    assert response.status_code == 200
    assert response.json()["scope"] == "read:users"


def test_management_audience_matches_any_host_clients_use(mockidp):
    other_host = mockidp.url.replace("localhost", "127.0.0.1")
    response = token_request(mockidp, audience=f"{other_host}/api/v2/")
    assert response.status_code == 200
    api = Api(other_host, response.json()["access_token"])
    assert api.get("/api/v2/users").status_code == 200


def test_https_issuer_is_the_https_base_url(mockidp):
    config = requests.get(f"{mockidp.https_url}/.well-known/openid-configuration",
                          verify=str(mockidp.ca_file), timeout=30).json()
    assert config["issuer"] == f"{mockidp.https_url}/"
    assert config["jwks_uri"] == f"{mockidp.https_url}/.well-known/jwks.json"


def test_expired_token_is_refused_after_advancing_the_clock(mockidp):
    mockidp.freeze()
    token = token_request(mockidp).json()["access_token"]
    api = Api(mockidp.url, token)
    assert api.get("/api/v2/users").status_code == 200
    mockidp.advance(86399)
    assert api.get("/api/v2/users").status_code == 200
    mockidp.advance(1)
    response = api.get("/api/v2/users")
    assert response.status_code == 401
    message = "Expired token received for JSON Web Token validation"
    assert response.json() == {"statusCode": 401, "error": "Unauthorized", "message": message,
                               "attributes": {"error": message}}


@pytest.mark.parametrize("overrides, status, error, description", [
    ({"grant_type": None}, 400, "invalid_request", "Missing required parameter: grant_type"),
    ({"client_secret": "wrong"}, 401, "access_denied", "Unauthorized"),
    ({"client_secret": None}, 401, "access_denied", "Unauthorized"),
    ({"client_id": "nosuchclient"}, 401, "access_denied", "Unauthorized"),
    ({"client_id": None}, 401, "access_denied", "Unauthorized"),
    ({"audience": None}, 403, "access_denied",
     "No audience parameter was provided, and no default audience has been configured"),
    ({"audience": "https://api.nowhere.test/"}, 403, "access_denied",
     "Service not found: https://api.nowhere.test/"),
    ({"scope": "read:users delete:everything"}, 403, "access_denied",
     "Client has not been granted scopes: delete:everything"),
    ({"grant_type": "urn:example:nope"}, 400, "unsupported_grant_type",
     "Unsupported grant type: urn:example:nope"),
])
def test_token_errors(mockidp, overrides, status, error, description):
    response = token_request(mockidp, **overrides)
    assert (response.status_code, response.json()) == (status, {"error": error, "error_description": description})


def test_grant_type_not_allowed_for_the_client(mockidp):
    response = token_request(mockidp, client_id=SPA_ID, client_secret=None)
    assert response.status_code == 403
    assert response.json() == {"error": "unauthorized_client",
                               "error_description": "Grant type 'client_credentials' not allowed for the client."}


def test_client_without_a_grant_for_the_api(mockidp):
    audience = f"{mockidp.url}/api/v2/"
    response = token_request(mockidp, client_id=WEB_ID, client_secret=WEB_SECRET)
    assert response.status_code == 403
    assert response.json()["error_description"] == (
        f'Client is not authorized to access "{audience}". You need to create a "client-grant" '
        'associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants')


def test_basic_auth_works_for_a_client_secret_post_client(mockidp):
    """Auth0's dashboard default is Post, and quickstarts that send Basic work against it."""
    def basic(secret: str) -> requests.Response:
        credentials = base64.b64encode(f"{M2M_ID}:{secret}".encode()).decode()
        return requests.post(f"{mockidp.url}/oauth/token", timeout=30,
                             headers={"Authorization": f"Basic {credentials}"},
                             data={"grant_type": "client_credentials", "audience": f"{mockidp.url}/api/v2/"})

    assert basic(M2M_SECRET).status_code == 200
    refused = basic("not-the-secret")
    assert refused.status_code == 401
    assert refused.json() == {"error": "access_denied", "error_description": "Unauthorized"}


def test_malformed_json_body(mockidp):
    response = requests.post(f"{mockidp.url}/oauth/token", data="{oops", timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


BASIC_FIXTURE = """
clients:
  - name: basic m2m
    client_id: basicM2M00000000000000000000000
    client_secret: basic-secret
    app_type: non_interactive
    token_endpoint_auth_method: client_secret_basic
resourceServers:
  - identifier: https://api.example.test/
    name: Example API
    token_lifetime: 600
    scopes: [{value: read:things}, {value: write:things}]
clientGrants:
  - client_id: basic m2m
    audience: https://api.example.test/
    scope: [read:things]
"""


@pytest.fixture(scope="module")
def custom_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("basic")
    fixture = Path(directory, "tenant.yaml")
    fixture.write_text(BASIC_FIXTURE)
    server = MockIdPServer(fixtures=[fixture], tls=False)
    yield server
    server.stop()


def test_client_secret_basic_and_a_custom_api(custom_server):
    custom_server.reset()
    credentials = base64.b64encode(b"basicM2M00000000000000000000000:basic-secret").decode()
    response = requests.post(f"{custom_server.url}/oauth/token", timeout=30,
                             headers={"Authorization": f"Basic {credentials}"},
                             data={"grant_type": "client_credentials", "audience": "https://api.example.test/"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 600 and body["scope"] == "read:things"
    claims = verify(custom_server, body["access_token"], "https://api.example.test/")
    assert claims["exp"] - claims["iat"] == 600
    # A token for another API is not a Management API token.
    users = Api(custom_server.url, body["access_token"]).get("/api/v2/users")
    assert users.status_code == 401
    assert users.json()["message"] == "Bad audience: https://api.example.test/"


def test_a_client_secret_basic_client_may_send_its_secret_in_the_body(custom_server):
    custom_server.reset()
    form = {"grant_type": "client_credentials", "audience": "https://api.example.test/",
            "client_id": "basicM2M00000000000000000000000", "client_secret": "basic-secret"}
    response = requests.post(f"{custom_server.url}/oauth/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    refused = requests.post(f"{custom_server.url}/oauth/token", timeout=30,
                            data={**form, "client_secret": "not-the-secret"})
    assert refused.status_code == 401
    assert refused.json() == {"error": "access_denied", "error_description": "Unauthorized"}


def test_a_confidential_client_without_its_secret_is_refused(custom_server):
    custom_server.reset()
    response = requests.post(f"{custom_server.url}/oauth/token", timeout=30,
                             data={"grant_type": "client_credentials", "client_id": "basicM2M00000000000000000000000",
                                   "audience": "https://api.example.test/"})
    assert response.status_code == 401


def test_discovery_advertises_only_endpoints_that_are_served(mockidp):
    """Every endpoint the discovery document names answers (a 404 would send a client library
    down a path that cannot work); a POST-only endpoint answers 405 to GET, not 404."""
    config = requests.get(f"{mockidp.url}/.well-known/openid-configuration", timeout=30).json()
    endpoints = {key: url for key, url in config.items() if key.endswith(("_endpoint", "_uri"))}
    assert set(endpoints) == {"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                              "revocation_endpoint", "end_session_endpoint", "mfa_challenge_endpoint"}
    for key, url in endpoints.items():
        assert url.startswith(f"{mockidp.url}/")
        status = requests.get(url, allow_redirects=False, timeout=30).status_code
        assert status not in (404, 500), (key, url, status)
