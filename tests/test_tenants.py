"""Many isolated tenants in one server: POST/GET/DELETE /_mock/tenants, the /t/{name}/ addressing,
and the official SDKs (auth0-python, node-auth0) over HTTPS against a named tenant, unchanged."""
from __future__ import annotations

import itertools
import json
import os
import subprocess

import pytest
import requests
from auth0.authentication import Database
from auth0.management import ManagementClient
from conftest import Api
from jose import jwt

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

SPA = "mockidpSpaClient0000000000000000"
CONNECTION = "Username-Password-Authentication"
_names = itertools.count()


@pytest.fixture
def control(mockidp) -> Api:
    return Api(mockidp.url)


@pytest.fixture
def new_tenant(mockidp, control):
    """Creates named tenants for a test and deletes them after it."""
    created: list[str] = []

    def create(**body) -> dict:
        body.setdefault("name", f"t{os.getpid()}-{next(_names)}")
        response = control.post("/_mock/tenants", json=body)
        assert response.status_code == 201, response.text
        created.append(body["name"])
        return response.json()

    yield create
    for name in created:
        control.delete(f"/_mock/tenants/{name}")


def tenant_api(mockidp, description: dict) -> Api:
    return Api(description["url"], mockidp.management_token(base_url=description["url"]))


def test_create_describes_how_to_reach_the_tenant(mockidp, control, new_tenant):
    made = new_tenant(name="acme-1")
    port = mockidp.https_url.rsplit(":", 1)[1]
    assert made == {"name": "acme-1", "url": f"{mockidp.url}/t/acme-1",
                    "https_url": f"{mockidp.https_url}/t/acme-1",
                    "issuer": f"{mockidp.https_url}/t/acme-1/", "domain": f"localhost:{port}/t/acme-1"}
    assert control.get("/_mock/tenants/acme-1").json() == made
    listed = control.get("/_mock/tenants").json()["tenants"]
    assert [t["name"] for t in listed] == ["default", "acme-1"]
    assert listed[0]["url"] == mockidp.url
    discovery = requests.get(f"{made['url']}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == f"{mockidp.url}/t/acme-1/"
    assert discovery["jwks_uri"] == f"{mockidp.url}/t/acme-1/.well-known/jwks.json"
    assert discovery["authorization_endpoint"] == f"{mockidp.url}/t/acme-1/authorize"


def assert_same_ids_and_nothing_shared(apis: list[Api]) -> None:
    """Two tenants of one seed: the same request makes the same user id in each, and a user
    stored in the first is not in the second."""
    ids = []
    for api in apis:
        made = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "same@example.com",
                                               "password": "Sup3r$ecret!"})
        assert made.status_code == 201, made.text
        ids.append(made.json()["user_id"])
    assert ids[0] == ids[1]  # same seed, same requests: same ids
    only_first = apis[0].post("/api/v2/users", json={"connection": CONNECTION, "email": "first@example.com",
                                                     "password": "Sup3r$ecret!"})
    assert only_first.status_code == 201
    assert apis[1].get("/api/v2/users-by-email", params={"email": "first@example.com"}).json() == []


def test_same_seed_same_ids_and_nothing_shared(mockidp, new_tenant):
    first, second = new_tenant(seed=42), new_tenant(seed=42)
    assert_same_ids_and_nothing_shared([tenant_api(mockidp, first), tenant_api(mockidp, second)])
    default = Api(mockidp.url, mockidp.management_token())
    assert default.get("/api/v2/users-by-email", params={"email": "same@example.com"}).json() == []

    # Emails: a password reset in the first tenant reaches only the first tenant's outbox.
    reset = requests.post(f"{first['url']}/dbconnections/change_password", timeout=10,
                          json={"client_id": SPA, "email": "first@example.com", "connection": CONNECTION})
    assert reset.status_code == 200
    first_outbox = requests.get(f"{first['url']}/_mock/outbox", timeout=10).json()["messages"]
    assert [(m["template"], m["to"]) for m in first_outbox] == [
        ("verify_email", "same@example.com"), ("verify_email", "first@example.com"),
        ("reset_email", "first@example.com")]
    assert f"/t/{first['name']}/u/reset-password?ticket=" in first_outbox[-1]["url"]  # links follow the tenant
    second_outbox = requests.get(f"{second['url']}/_mock/outbox", timeout=10).json()["messages"]
    assert [(m["template"], m["to"]) for m in second_outbox] == [("verify_email", "same@example.com")]
    assert second_outbox[0]["id"] == first_outbox[0]["id"]  # same seed: same message ids too
    assert mockidp.outbox() == []

    # Clocks: freezing and advancing one tenant leaves the others alone.
    frozen = requests.put(f"{first['url']}/_mock/clock", json={"now": "2031-01-01T00:00:00Z", "frozen": True},
                          timeout=10).json()
    requests.post(f"{first['url']}/_mock/clock/advance", json={"seconds": 3600}, timeout=10)
    assert requests.get(f"{first['url']}/_mock/clock", timeout=10).json() == {
        "now": "2031-01-01T01:00:00.000Z", "frozen": True}
    assert frozen["frozen"] and not requests.get(f"{second['url']}/_mock/clock", timeout=10).json()["frozen"]
    assert not mockidp.clock()["frozen"]


def test_each_tenant_signs_with_its_own_key_and_issuer(mockidp, new_tenant):
    made = new_tenant()
    token = mockidp.management_token(base_url=made["url"])
    claims = jwt.get_unverified_claims(token)
    assert claims["iss"] == made["url"] + "/" and claims["aud"] == made["url"] + "/api/v2/"
    own = requests.get(f"{made['url']}/.well-known/jwks.json", timeout=10).json()["keys"]
    default = requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=10).json()["keys"]
    assert jwt.get_unverified_header(token)["kid"] == own[0]["kid"] != default[0]["kid"]
    # The default tenant does not accept the named tenant's token.
    refused = requests.get(f"{mockidp.url}/api/v2/users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert refused.status_code == 401


def test_creation_body_sets_fixtures_seed_and_clock(mockidp, new_tenant):
    fixture = {"users": [{"email": "only@example.com", "password": "Sup3r$ecret!",
                          "connection": CONNECTION}]}
    made = new_tenant(fixtures=["default", fixture], clock={"now": "2030-05-01T12:00:00Z", "frozen": True})
    api = tenant_api(mockidp, made)
    emails = sorted(user["email"] for user in api.get("/api/v2/users").json())
    assert emails == ["alice@example.com", "bob@example.com", "carol@example.com", "only@example.com"]
    assert requests.get(f"{made['url']}/_mock/clock", timeout=10).json() == {
        "now": "2030-05-01T12:00:00.000Z", "frozen": True}
    # Reset returns the tenant to its own fixtures and clock.
    api.delete(f"/api/v2/users/{api.get('/api/v2/users-by-email', params={'email': 'only@example.com'}).json()[0]['user_id']}")
    assert requests.post(f"{made['url']}/_mock/reset", timeout=10).status_code == 200
    assert len(api.get("/api/v2/users").json()) == 4


def test_hosted_login_keeps_the_tenant_prefix(mockidp, new_tenant):
    made = new_tenant()
    authorize = requests.get(f"{made['url']}/authorize", allow_redirects=False, timeout=10, params={
        "client_id": SPA, "response_type": "code", "redirect_uri": "http://localhost:3000/callback",
        "scope": "openid", "state": "s", "code_challenge": "x" * 43, "code_challenge_method": "S256"})
    assert authorize.status_code == 302, authorize.text
    location = authorize.headers["Location"]
    assert location.startswith(f"/t/{made['name']}/u/login?state=")
    page = requests.get(f"{mockidp.url}{location}", timeout=10)
    assert page.status_code == 200 and f'action="/t/{made["name"]}/u/login?state=' in page.text


@pytest.mark.parametrize("body, status, error", [
    ({"name": "Bad Name"}, 400, "invalid_request"),
    ({"name": "-x"}, 400, "invalid_request"),
    ({}, 400, "invalid_request"),
    ({"name": "default"}, 409, "conflict"),
    ({"name": "ok", "seed": -1}, 400, "invalid_request"),
    ({"name": "ok", "seed": "1"}, 400, "invalid_request"),
    ({"name": "ok", "clock": {"now": "yesterday"}}, 400, "invalid_fixture"),
    ({"name": "ok", "clock": {"later": 1}}, 400, "invalid_request"),
    ({"name": "ok", "fixtures": "default"}, 400, "invalid_request"),
    ({"name": "ok", "fixtures": [{"users": [{"email": "x@example.com"}]}]}, 400, "invalid_fixture"),
    ({"name": "ok", "fixtures": [{"clients": [{"name": "a", "client_id": "dup"}, {"name": "b", "client_id": "dup"}]}]},
     400, "invalid_fixture"),
    ({"name": "ok", "colour": "blue"}, 400, "invalid_request"),
])
def test_bad_creation_bodies_create_nothing(control, body, status, error):
    response = control.post("/_mock/tenants", json=body)
    assert (response.status_code, response.json()["error"]) == (status, error), response.text
    assert [t["name"] for t in control.get("/_mock/tenants").json()["tenants"]] == ["default"]


def test_duplicates_unknowns_and_deletion(mockidp, control, new_tenant):
    made = new_tenant()
    again = control.post("/_mock/tenants", json={"name": made["name"]})
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    assert control.get("/_mock/tenants/nope").status_code == 404
    assert control.delete("/_mock/tenants/nope").status_code == 404
    assert control.delete("/_mock/tenants/default").status_code == 409
    unknown = requests.get(f"{mockidp.url}/t/nope/api/v2/users", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    # Tenants are the server's: a tenant's control plane has no /tenants.
    assert requests.get(f"{made['url']}/_mock/tenants", timeout=10).status_code == 404

    assert control.delete(f"/_mock/tenants/{made['name']}").status_code == 204
    assert requests.get(f"{made['url']}/_mock/health", timeout=10).status_code == 404
    recreated = control.post("/_mock/tenants", json={"name": made["name"]})  # the name is free again
    assert recreated.status_code == 201


def auth0_python_round_trip(mockidp, made: dict, monkeypatch) -> None:
    """auth0-python, given the tenant's `domain` unchanged: a user made, searched and read through
    the Management API, a password-reset email through the Authentication API, and nothing of it
    in the default tenant. Also run against a tenant's own listener (test_tenant_listeners.py)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))       # httpx (Management API)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp.ca_bundle))  # requests (Authentication API)
    sdk = ManagementClient(domain=made["domain"], client_id=DEFAULT_M2M_CLIENT_ID,
                           client_secret=DEFAULT_M2M_CLIENT_SECRET)
    created = sdk.users.create(connection=CONNECTION, email="sdk@example.com", password="Sup3r$ecret!")
    assert [u.email for u in sdk.users.list(q='email:"sdk@example.com"')] == ["sdk@example.com"]
    assert sdk.users.get(created.user_id).email == "sdk@example.com"
    database = Database(made["domain"], SPA)
    assert database.change_password(email="sdk@example.com", connection=CONNECTION) == \
        "We've just sent you an email to reset your password."
    sent = requests.get(f"{made['url']}/_mock/outbox", timeout=10).json()["messages"]
    assert sent[-1]["url"].startswith(f"{made['https_url']}/u/reset-password?ticket=")
    assert mockidp.outbox(to="sdk@example.com") == []  # the default tenant saw nothing


def test_auth0_python_over_https_against_a_named_tenant(mockidp, new_tenant, monkeypatch):
    auth0_python_round_trip(mockidp, new_tenant(), monkeypatch)


def test_node_auth0_over_https_against_a_named_tenant(mockidp, new_tenant):
    from test_sdk_node_auth0 import node_sdk_script

    made = new_tenant()
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file), "MOCKIDP_DOMAIN": made["domain"],
           "MOCKIDP_CLIENT_ID": DEFAULT_M2M_CLIENT_ID, "MOCKIDP_CLIENT_SECRET": DEFAULT_M2M_CLIENT_SECRET}
    # node-auth0 v5's ManagementClient refuses a domain with a path when it fetches its own token
    # (a guard in its TokenProvider): the limit of path addressing, documented in the README. On a
    # listener of its own the tenant's domain is bare and it works (test_sdk_node_auth0.py).
    refused = subprocess.run(["node", str(node_sdk_script())], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "Provide a bare hostname" in refused.stderr
    # Given a token for the tenant (from its /oauth/token, over HTTPS), it works unchanged.
    token = requests.post(f"{made['https_url']}/oauth/token", verify=str(mockidp.ca_bundle), timeout=10, json={
        "grant_type": "client_credentials", "client_id": DEFAULT_M2M_CLIENT_ID,
        "client_secret": DEFAULT_M2M_CLIENT_SECRET, "audience": f"https://{made['domain']}/api/v2/"}).json()
    result = subprocess.run(["node", str(node_sdk_script())], env={**env, "MOCKIDP_TOKEN": token["access_token"]},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["created"]["email"] == "node.user@example.com" and out["searched"] == ["node.user@example.com"]
    assert out["afterDelete"]["statusCode"] == 404
    api = tenant_api(mockidp, made)
    assert sorted(u["email"] for u in api.get("/api/v2/users").json()) == [
        "alice@example.com", "bob@example.com", "carol@example.com"]  # the script deleted its user
