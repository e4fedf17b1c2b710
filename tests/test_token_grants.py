"""POST /oauth/token user grants (authorization_code, refresh_token, password, password-realm),
/userinfo, /oauth/revoke and CORS, against the exact errors of the fact sheet (§10.4)."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from oauth_helpers import (
    ALICE,
    BOB,
    CAROL,
    REALM,
    SPA_CALLBACK,
    SPA_ID,
    VERIFIER,
    WEB_ID,
    WEB_SECRET,
    Browser,
    exchange_code,
    token_request,
    unverified_claims,
    verify_id_token,
)

NOW = "2030-01-01T00:00:00Z"
NOW_TS = 1893456000
INVALID_CODE = {"error": "invalid_grant", "error_description": "Invalid authorization code"}
INVALID_REFRESH = {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}
WRONG_CREDENTIALS = {"error": "invalid_grant", "error_description": "Wrong email or password."}


@pytest.fixture
def browser(mockidp) -> Browser:
    mockidp.freeze(NOW)
    return Browser(mockidp.url)


@pytest.fixture
def frozen(mockidp):
    """The tenant clock frozen at NOW (ask for it before `api`, whose token must be minted after)."""
    mockidp.freeze(NOW)
    return mockidp


def password_grant(base: str, username: str, password: str, grant_type: str = "password", **extra) -> requests.Response:
    return token_request(base, grant_type=grant_type, client_id=WEB_ID, client_secret=WEB_SECRET,
                         username=username, password=password, **extra)


def error_of(response: requests.Response) -> tuple[int, dict]:
    return response.status_code, response.json()


def user_of(api, email: str) -> dict:
    return api.get("/api/v2/users-by-email", params={"email": email}).json()[0]


# --- authorization_code -------------------------------------------------------------------

def test_a_code_redeems_once(mockidp, browser):
    code = browser.sign_in(*ALICE)["code"]
    assert exchange_code(mockidp.url, code).status_code == 200
    assert error_of(exchange_code(mockidp.url, code)) == (403, INVALID_CODE)


def test_a_code_expires_on_the_tenant_clock(mockidp, browser):
    code = browser.sign_in(*ALICE)["code"]
    mockidp.advance(601)
    assert error_of(exchange_code(mockidp.url, code)) == (403, INVALID_CODE)


def test_a_wrong_verifier_fails_and_burns_the_code(mockidp, browser):
    code = browser.sign_in(*ALICE)["code"]
    failed = {"error": "invalid_grant", "error_description": "Failed to verify code verifier"}
    assert error_of(exchange_code(mockidp.url, code, verifier="wrong-" + VERIFIER)) == (403, failed)
    assert error_of(exchange_code(mockidp.url, code)) == (403, INVALID_CODE)


def test_a_missing_verifier_fails(mockidp, browser):
    code = browser.sign_in(*ALICE)["code"]
    assert exchange_code(mockidp.url, code, verifier=None).json()["error_description"] == "Failed to verify code verifier"


@pytest.mark.parametrize("code", [None, "", "not-a-code"])
def test_missing_or_unknown_codes(mockidp, code):
    response = exchange_code(mockidp.url, code)
    if code:
        assert error_of(response) == (403, INVALID_CODE)
    else:
        assert error_of(response) == (400, {"error": "invalid_request",
                                            "error_description": "Missing required parameter: code"})


def test_another_clients_code_is_refused_and_stays_usable(mockidp, browser):
    code = browser.sign_in(*ALICE)["code"]
    stolen = exchange_code(mockidp.url, code, client_id=WEB_ID, client_secret=WEB_SECRET)
    assert error_of(stolen) == (403, INVALID_CODE)
    assert exchange_code(mockidp.url, code).status_code == 200


def test_the_redirect_uri_must_match(mockidp, browser):
    code = browser.sign_in(*ALICE)["code"]
    response = exchange_code(mockidp.url, code, redirect_uri="http://localhost:3000")
    assert error_of(response) == (403, {"error": "invalid_grant", "error_description": "Invalid redirect_uri"})


def test_a_confidential_client_must_authenticate(mockidp, browser):
    code = browser.sign_in(*ALICE, client_id=WEB_ID, redirect_uri="http://localhost:5000/callback")["code"]
    response = exchange_code(mockidp.url, code, client_id=WEB_ID, redirect_uri="http://localhost:5000/callback")
    assert error_of(response) == (401, {"error": "access_denied", "error_description": "Unauthorized"})


def test_the_code_of_a_deleted_user_is_invalid(mockidp, browser, api):
    code = browser.sign_in(*ALICE)["code"]
    api.delete(f"/api/v2/users/{user_of(api, ALICE[0])['user_id']}")
    assert error_of(exchange_code(mockidp.url, code)) == (403, INVALID_CODE)


# --- password and password-realm ---------------------------------------------------------------

def test_password_grant(frozen, api):
    mockidp = frozen
    response = password_grant(mockidp.url, *ALICE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "openid profile email address phone"  # Auth0's default for this grant
    claims = verify_id_token(mockidp.url, body["id_token"], audience=WEB_ID)
    assert claims["auth_time"] == NOW_TS and "sid" not in claims and "nonce" not in claims
    assert unverified_claims(body["access_token"])["gty"] == "password"
    user = user_of(api, ALICE[0])
    assert user["logins_count"] == 1 and user["last_login"] == "2030-01-01T00:00:00.000Z"


def test_password_realm_grant_with_audience_and_offline_access(mockidp):
    response = token_request(mockidp.url, grant_type=REALM, client_id=WEB_ID, client_secret=WEB_SECRET,
                             username="ALICE@example.com", password=ALICE[1], realm="Username-Password-Authentication",
                             scope="openid offline_access", audience=f"{mockidp.url}/api/v2/")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body and body["scope"] == "openid"  # the Management API: no offline access
    assert unverified_claims(body["access_token"])["aud"] == [f"{mockidp.url}/api/v2/", f"{mockidp.url}/userinfo"]


@pytest.mark.parametrize("username, password", [(ALICE[0], "wrong"), ("nobody@example.com", "whatever"),
                                                (BOB[0], ALICE[1])])
def test_wrong_credentials_are_all_the_same(mockidp, username, password):
    assert error_of(password_grant(mockidp.url, username, password)) == (403, WRONG_CREDENTIALS)


def test_a_blocked_user_gets_401_and_is_still_counted(mockidp, api):
    response = password_grant(mockidp.url, *CAROL)
    assert error_of(response) == (401, {"error": "unauthorized", "error_description": "user is blocked"})
    assert user_of(api, CAROL[0])["logins_count"] == 1


@pytest.mark.parametrize("overrides, status, body", [
    ({"username": None}, 400, {"error": "invalid_request", "error_description": "Missing required parameter: username"}),
    ({"password": None}, 400, {"error": "invalid_request", "error_description": "Missing required parameter: password"}),
    ({"grant_type": REALM, "realm": "Nope"}, 400, {"error": "invalid_request",
                                                   "error_description": "the connection was not found"}),
    ({"audience": "https://nowhere.example/"}, 403, {"error": "access_denied",
                                                     "error_description": "Service not found: https://nowhere.example/"}),
    ({"client_secret": "wrong"}, 401, {"error": "access_denied", "error_description": "Unauthorized"}),
    ({"client_id": SPA_ID, "client_secret": None}, 403, {
        "error": "unauthorized_client", "error_description": "Grant type 'password' not allowed for the client."}),
])
def test_password_grant_errors(mockidp, overrides, status, body):
    params = {"grant_type": "password", "client_id": WEB_ID, "client_secret": WEB_SECRET, "username": ALICE[0],
              "password": ALICE[1], **overrides}
    assert error_of(token_request(mockidp.url, **params)) == (status, body)


def test_without_a_default_directory_the_password_grant_is_a_server_error(mockidp, tmp_path):
    from mockidp.testing import MockIdPServer

    fixture = tmp_path / "tenant.yaml"
    fixture.write_text(Path(__file__).resolve().parent.parent.joinpath("fixtures", "default.yaml").read_text()
                       .replace("  default_directory: Username-Password-Authentication\n", ""))
    server = MockIdPServer(fixtures=[fixture], tls=False)
    try:
        response = password_grant(server.url, *ALICE)
        assert error_of(response) == (500, {"error": "server_error", "error_description":
                                            "Authorization server not configured with default connection."})
        realm = password_grant(server.url, *ALICE, grant_type=REALM, realm="Username-Password-Authentication")
        assert realm.status_code == 200
    finally:
        server.stop()


# --- refresh tokens (non-rotating: the default clients) -------------------------------------

def offline_tokens(mockidp, browser) -> dict:
    code = browser.sign_in(*ALICE, scope="openid profile email offline_access")["code"]
    return exchange_code(mockidp.url, code).json()


def refresh(base: str, token: str, client_id: str = SPA_ID, **extra) -> requests.Response:
    return token_request(base, grant_type="refresh_token", client_id=client_id, refresh_token=token, **extra)


def test_a_non_rotating_refresh_token_keeps_working(mockidp, browser):
    tokens = offline_tokens(mockidp, browser)
    mockidp.advance(3600)
    for _ in range(2):
        response = refresh(mockidp.url, tokens["refresh_token"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert "refresh_token" not in body
        claims = verify_id_token(mockidp.url, body["id_token"])
        assert claims["auth_time"] == NOW_TS and claims["iat"] == NOW_TS + 3600 and "nonce" not in claims
        assert unverified_claims(body["access_token"])["gty"] == "refresh_token"


def test_refresh_may_narrow_the_scope_but_not_widen_it(mockidp, browser):
    token = offline_tokens(mockidp, browser)["refresh_token"]
    narrowed = refresh(mockidp.url, token, scope="openid email")
    assert narrowed.json()["scope"] == "openid email"
    widened = refresh(mockidp.url, token, scope="openid read:users")
    assert widened.status_code == 403 and widened.json()["error"] == "invalid_scope"


def test_refresh_for_a_blocked_or_deleted_user(mockidp, browser, api):
    token = offline_tokens(mockidp, browser)["refresh_token"]
    user_id = user_of(api, ALICE[0])["user_id"]
    api.patch(f"/api/v2/users/{user_id}", json={"blocked": True})
    assert error_of(refresh(mockidp.url, token)) == (403, {"error": "invalid_grant",
                                                           "error_description": "user is blocked"})
    api.delete(f"/api/v2/users/{user_id}")
    assert error_of(refresh(mockidp.url, token)) == (403, {
        "error": "invalid_grant",
        "error_description": "The refresh_token was generated for a user who doesn't exist anymore."})


@pytest.mark.parametrize("token", ["v1.unknown", "garbage"])
def test_unknown_refresh_tokens(mockidp, token):
    assert error_of(refresh(mockidp.url, token)) == (403, INVALID_REFRESH)


def test_a_refresh_token_belongs_to_its_client(mockidp, browser):
    token = offline_tokens(mockidp, browser)["refresh_token"]
    response = refresh(mockidp.url, token, client_id=WEB_ID, client_secret=WEB_SECRET)
    assert error_of(response) == (403, INVALID_REFRESH)


def test_revoke(mockidp, browser):
    token = offline_tokens(mockidp, browser)["refresh_token"]
    response = requests.post(f"{mockidp.url}/oauth/revoke", json={"client_id": SPA_ID, "token": token}, timeout=30)
    assert response.status_code == 200 and response.content == b""
    assert error_of(refresh(mockidp.url, token)) == (403, INVALID_REFRESH)
    again = requests.post(f"{mockidp.url}/oauth/revoke", data={"client_id": SPA_ID, "token": token}, timeout=30)
    assert again.status_code == 200
    missing = requests.post(f"{mockidp.url}/oauth/revoke", json={"client_id": SPA_ID}, timeout=30)
    assert error_of(missing) == (400, {"error": "invalid_request",
                                       "error_description": "Missing required parameter: token"})
    unauthenticated = requests.post(f"{mockidp.url}/oauth/revoke", json={"client_id": WEB_ID, "token": token},
                                    timeout=30)
    assert error_of(unauthenticated) == (401, {"error": "access_denied", "error_description": "Unauthorized"})


# --- refresh token rotation and reuse detection (a client configured for it) ---------------

ROTATING_FIXTURE = """
clients:
  - name: Rotating SPA
    app_type: spa
    client_id: rotatingSpa000000000000000000000
    callbacks: [http://localhost:3000/callback]
    web_origins: [http://localhost:3000]
    grant_types: [authorization_code, refresh_token]
    refresh_token:
      rotation_type: rotating
      expiration_type: expiring
      leeway: 10
      token_lifetime: 86400
      infinite_token_lifetime: false
      idle_token_lifetime: 3600
      infinite_idle_token_lifetime: false
  - name: Log reader
    app_type: non_interactive
    client_id: mockidpM2MClient0000000000000000
    client_secret: mockidp-m2m-secret-0000000000000000000000000000000000000000000000
    grant_types: [client_credentials]
clientGrants:
  - client_id: Log reader
    audience: https://##AUTH0_DOMAIN##/api/v2/
    scope: [read:logs]
connections:
  - name: Username-Password-Authentication
    strategy: auth0
    enabled_clients: [Rotating SPA]
users:
  - email: alice@example.com
    password: Passw0rd!alice
"""
ROTATING_ID = "rotatingSpa000000000000000000000"


@pytest.fixture(scope="module")
def rotating(tmp_path_factory):
    from mockidp.testing import MockIdPServer

    fixture = tmp_path_factory.mktemp("rotating") / "tenant.yaml"
    fixture.write_text(ROTATING_FIXTURE)
    server = MockIdPServer(fixtures=[fixture], tls=False)
    yield server
    server.stop()


@pytest.fixture
def rotating_token(rotating) -> str:
    rotating.reset()
    rotating.freeze(NOW)
    code = Browser(rotating.url).sign_in(*ALICE, client_id=ROTATING_ID, scope="openid offline_access")["code"]
    body = exchange_code(rotating.url, code, client_id=ROTATING_ID).json()
    return body["refresh_token"]


def test_rotation_and_reuse_detection(rotating, rotating_token):
    first = refresh(rotating.url, rotating_token, client_id=ROTATING_ID).json()
    second_token = first["refresh_token"]
    assert second_token != rotating_token
    third_token = refresh(rotating.url, second_token, client_id=ROTATING_ID).json()["refresh_token"]
    # Within the leeway (10 s) the previous token may be replayed (network retries)...
    assert refresh(rotating.url, rotating_token, client_id=ROTATING_ID).status_code == 200
    # ...after it, a replay is reuse: the whole family is revoked.
    rotating.advance(11)
    assert error_of(refresh(rotating.url, rotating_token, client_id=ROTATING_ID)) == (403, INVALID_REFRESH)
    assert error_of(refresh(rotating.url, third_token, client_id=ROTATING_ID)) == (403, INVALID_REFRESH)
    logs = requests.get(f"{rotating.url}/api/v2/logs", params={"q": "type:ferrt OR type:fertft"}, timeout=30,
                        headers={"Authorization": f"Bearer {rotating.management_token()}"}).json()
    assert [event["type"] for event in logs] == ["fertft", "ferrt"]  # newest first
    assert logs[1]["details"]["familyId"] and logs[1]["client_id"] == ROTATING_ID


def test_idle_and_absolute_lifetimes(rotating, rotating_token):
    rotating.advance(3601)
    assert error_of(refresh(rotating.url, rotating_token, client_id=ROTATING_ID)) == (403, INVALID_REFRESH)


def test_absolute_lifetime_holds_for_the_family(rotating, rotating_token):
    token = rotating_token
    for _ in range(25):  # used every hour, so never idle for long: still ends after 24 h
        rotating.advance(3500)
        response = refresh(rotating.url, token, client_id=ROTATING_ID)
        if response.status_code != 200:
            break
        token = response.json()["refresh_token"]
    assert error_of(response) == (403, INVALID_REFRESH)


# --- /userinfo -------------------------------------------------------------------------------

def test_userinfo(mockidp, browser):
    access = exchange_code(mockidp.url, browser.sign_in(*ALICE)["code"]).json()["access_token"]
    response = requests.get(f"{mockidp.url}/userinfo", headers={"Authorization": f"Bearer {access}"}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert list(body)[0] == "sub" and body["email"] == ALICE[0] and body["email_verified"] is True
    assert body["nickname"] == "alice" and body["name"] == "Alice Example" and "updated_at" in body
    posted = requests.post(f"{mockidp.url}/userinfo", headers={"Authorization": f"Bearer {access}"}, timeout=30)
    assert posted.json() == body


def test_userinfo_follows_the_scopes(mockidp, browser):
    access = exchange_code(mockidp.url, browser.sign_in(*ALICE, scope="openid")["code"]).json()["access_token"]
    body = requests.get(f"{mockidp.url}/userinfo", headers={"Authorization": f"Bearer {access}"}, timeout=30).json()
    assert list(body) == ["sub"]


def test_userinfo_refuses_bad_tokens(mockidp, browser):
    access = exchange_code(mockidp.url, browser.sign_in(*ALICE)["code"]).json()["access_token"]
    header, payload, signature = access.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    management = mockidp.management_token()
    for token in (tampered, "not-a-jwt", management, ""):
        response = requests.get(f"{mockidp.url}/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 401 and response.text == "Unauthorized", token
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    mockidp.advance(86400)
    expired = requests.get(f"{mockidp.url}/userinfo", headers={"Authorization": f"Bearer {access}"}, timeout=30)
    assert expired.status_code == 401 and "expired" in expired.headers["WWW-Authenticate"]


def test_userinfo_checks_expiry_of_a_token_it_already_verified(mockidp, browser):
    """A token /userinfo accepted is remembered (no second RSA check), but its expiry is still
    read from the tenant clock on every request."""
    access = exchange_code(mockidp.url, browser.sign_in(*ALICE)["code"]).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert requests.get(f"{mockidp.url}/userinfo", headers=headers, timeout=30).status_code == 200
    mockidp.advance(86400 - 1)  # the /userinfo token lives 86400 s: one second left
    assert requests.get(f"{mockidp.url}/userinfo", headers=headers, timeout=30).status_code == 200
    mockidp.advance(1)
    expired = requests.get(f"{mockidp.url}/userinfo", headers=headers, timeout=30)
    assert expired.status_code == 401 and "expired" in expired.headers["WWW-Authenticate"]
    management = {"Authorization": f"Bearer {mockidp.management_token()}"}
    for _ in range(2):  # a refused token is not remembered as verified
        refused = requests.get(f"{mockidp.url}/userinfo", headers=management, timeout=30)
        assert refused.status_code == 401 and "not valid for /userinfo" in refused.headers["WWW-Authenticate"]


# --- CORS for browser applications -----------------------------------------------------------

def test_cors_for_allowed_web_origins(mockidp, browser):
    preflight = requests.options(f"{mockidp.url}/oauth/token", timeout=30, headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "auth0-client, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert preflight.headers["Access-Control-Allow-Headers"] == "auth0-client, content-type"
    code = browser.sign_in(*ALICE)["code"]
    response = requests.post(f"{mockidp.url}/oauth/token", headers={"Origin": "http://localhost:3000"}, timeout=30,
                             data={"grant_type": "authorization_code", "client_id": SPA_ID, "code": code,
                                   "code_verifier": VERIFIER, "redirect_uri": SPA_CALLBACK})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    failed = requests.post(f"{mockidp.url}/oauth/token", headers={"Origin": "http://localhost:3000"}, timeout=30,
                           data={"grant_type": "authorization_code", "client_id": SPA_ID, "code": code})
    assert failed.status_code == 403 and failed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


def test_no_cors_for_other_origins(mockidp):
    preflight = requests.options(f"{mockidp.url}/oauth/token", timeout=30, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    userinfo = requests.options(f"{mockidp.url}/userinfo", timeout=30, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in userinfo.headers


# --- the issuer follows the host and scheme used ---------------------------------------------

def test_tokens_over_https_carry_the_https_issuer(mockidp):
    response = requests.post(f"{mockidp.https_url}/oauth/token", verify=str(mockidp.ca_bundle), timeout=30, data={
        "grant_type": "password", "client_id": WEB_ID, "client_secret": WEB_SECRET,
        "username": ALICE[0], "password": ALICE[1]})
    claims = unverified_claims(response.json()["id_token"])
    assert claims["iss"] == f"{mockidp.https_url}/"
