"""Inputs that once crashed mockidp (500) or were stored as sent though their own GET could not
return them within Auth0's schema: each now gets Auth0's 4xx envelope, or is stored in the shape
the official spec documents for the response."""
from __future__ import annotations

import pytest
import requests
from conftest import Api, new_user
from oauth_helpers import REALM, WEB_ID, WEB_SECRET, token_request
from test_openapi_conformance import assert_conforms

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Sup3r$ecret!"
LONE_SURROGATE_EMAIL = '"\\ud800@example.com"'  # valid JSON text, but no UTF-8 string


def raw_json(api: Api, method: str, path: str, text: str) -> requests.Response:
    return api.request(method, path, data=text.encode("ascii"),
                       headers={"Content-Type": "application/json"})


# --- non-ASCII client secrets ---------------------------------------------------------------

@pytest.mark.parametrize("secret", ["é", "秘密", "mockidp-web-secret-é"])
def test_non_ascii_client_secret_on_token_is_a_wrong_secret(mockidp, secret):
    wrong = token_request(mockidp.url, grant_type="client_credentials", client_id=DEFAULT_M2M_CLIENT_ID,
                          client_secret=secret, audience=f"{mockidp.url}/api/v2/")
    ascii_wrong = token_request(mockidp.url, grant_type="client_credentials",
                                client_id=DEFAULT_M2M_CLIENT_ID, client_secret="wrong",
                                audience=f"{mockidp.url}/api/v2/")
    assert wrong.status_code == ascii_wrong.status_code == 401
    assert wrong.json() == ascii_wrong.json()


def test_non_ascii_client_secret_on_password_realm_and_revoke(mockidp):
    realm = token_request(mockidp.url, grant_type=REALM, client_id=WEB_ID, client_secret="é",
                          username="alice@example.com", password="Passw0rd!alice", realm=CONNECTION)
    assert realm.status_code == 401 and realm.json()["error"] == "access_denied", realm.text
    revoke = requests.post(f"{mockidp.url}/oauth/revoke", timeout=30,
                           json={"client_id": WEB_ID, "client_secret": "é", "token": "x"})
    assert revoke.status_code == 401 and revoke.json()["error"], revoke.text
    right = token_request(mockidp.url, grant_type=REALM, client_id=WEB_ID, client_secret=WEB_SECRET,
                          username="alice@example.com", password="Passw0rd!alice", realm=CONNECTION)
    assert right.status_code == 200, right.text


# --- lone surrogates ------------------------------------------------------------------------

def test_lone_surrogate_email_is_refused_on_create_and_signup(api, anonymous):
    before = api.get("/api/v2/users").json()
    created = raw_json(api, "POST", "/api/v2/users",
                       f'{{"connection":"{CONNECTION}","email":{LONE_SURROGATE_EMAIL},"password":"{PASSWORD}"}}')
    assert created.status_code == 400, created.text
    assert created.json()["message"] == "Invalid request payload JSON format"
    signup = raw_json(anonymous, "POST", "/dbconnections/signup",
                      f'{{"client_id":"{WEB_ID}","connection":"{CONNECTION}",'
                      f'"email":{LONE_SURROGATE_EMAIL},"password":"{PASSWORD}"}}')
    assert signup.status_code == 400 and signup.json()["code"] == "invalid_body", signup.text
    assert api.get("/api/v2/users").json() == before


def test_lone_surrogate_on_update_leaves_the_user_and_the_outbox_working(api, mockidp):
    user = new_user(api)
    path = f"/api/v2/users/{user['user_id']}"
    for field in ("email", "name"):
        patched = raw_json(api, "PATCH", path, f'{{"{field}":{LONE_SURROGATE_EMAIL}}}')
        assert patched.status_code == 400, patched.text
    assert api.get(path).json() == user
    assert requests.get(f"{mockidp.url}/_mock/outbox", timeout=30).status_code == 200


# --- signup refuses what POST /users refuses ------------------------------------------------

@pytest.mark.parametrize("email", ["<script>@x.com", "a\u0000b@example.com", "no-at-sign.example.com"])
def test_signup_refuses_emails_that_post_users_refuses(api, anonymous, email):
    body = {"connection": CONNECTION, "email": email, "password": PASSWORD}
    assert api.post("/api/v2/users", json=body).status_code == 400
    signup = anonymous.post("/dbconnections/signup", json={**body, "client_id": WEB_ID})
    assert signup.status_code == 400, signup.text
    assert signup.json()["code"] == "invalid_parameter"
    assert api.get("/api/v2/users-by-email", params={"email": email}).json() == []


# --- deep JSON under a body-matching fault rule ---------------------------------------------

def test_deep_json_with_a_body_matching_fault_is_refused_not_crashed(mockidp, api):
    mockidp.control("POST", "/faults", {"method": "POST", "path": "/api/v2/users", "status": 418,
                                              "request_body": {"email": "x@example.com"}})
    deep = "[" * 100_000 + "]" * 100_000
    response = raw_json(api, "POST", "/api/v2/users", deep)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Invalid request payload JSON format"


# --- what is stored comes back within the official schema -----------------------------------

def test_token_vault_public_keys_come_back_as_credential_ids(api):
    pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
    created = api.post("/api/v2/clients", json={
        "name": "vault", "token_vault_privileged_access": {
            "credentials": [{"credential_type": "public_key", "pem": pem}]}})
    assert created.status_code == 201, created.text
    credentials = created.json()["token_vault_privileged_access"]["credentials"]
    assert len(credentials) == 1 and set(credentials[0]) == {"id"}
    assert credentials[0]["id"].startswith("cred_")
    assert_conforms("GET /clients", api.get("/api/v2/clients"), 200)


def test_native_social_login_null_provider_is_removed(api):
    client_id = api.post("/api/v2/clients", json={"name": "native", "app_type": "native"}).json()["client_id"]
    path = f"/api/v2/clients/{client_id}"
    both = api.patch(path, json={"native_social_login": {"apple": {"enabled": True},
                                                        "facebook": {"enabled": True}}})
    assert both.json()["native_social_login"] == {"apple": {"enabled": True}, "facebook": {"enabled": True}}
    one = api.patch(path, json={"native_social_login": {"facebook": None}})
    assert one.status_code == 200, one.text
    assert one.json()["native_social_login"] == {"apple": {"enabled": True}}
    none_left = api.patch(path, json={"native_social_login": {"apple": None}})
    assert "native_social_login" not in none_left.json()
    assert_conforms("GET /clients", api.get("/api/v2/clients"), 200)


def test_m2m_secret_still_works(mockidp):
    ok = token_request(mockidp.url, grant_type="client_credentials", client_id=DEFAULT_M2M_CLIENT_ID,
                       client_secret=DEFAULT_M2M_CLIENT_SECRET, audience=f"{mockidp.url}/api/v2/")
    assert ok.status_code == 200, ok.text


# --- urlencoded bodies ------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"a=1&b=2", b"a=1&a=2", b"a", b"=x", b"&&a=1&&", b"a=%ZZ&b=%41", b"a=\xff\xfe", b"a=%ff%fe", b"a+b=c+d",
    b"a=1;b=2", "\u00e9=\u00fc".encode(), b"a=%C3%A9", b"", b"k=%00", b"a=b=c"])
def test_form_bodies_read_as_werkzeug_reads_them(raw):
    """read_body parses urlencoded forms itself (bench/README.md, issue #18): same fields as
    `request.form.to_dict()`, including repeated fields, bad escapes and undecodable bytes."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from mockidp.api.http import form_fields

    request = Request(EnvironBuilder(method="POST", data=raw,
                                     content_type="application/x-www-form-urlencoded").get_environ())
    request.get_data(cache=True)
    assert form_fields(raw) == request.form.to_dict()
