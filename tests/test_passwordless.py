"""Passwordless email as users drive it: a connection with strategy `email` created through the
Management API, auth0-python's `Passwordless.email` and `GetToken.passwordless_login`, the code
read from the outbox; codes expire on the mock clock, are single use and die after three wrong
tries; the magic link completes a browser login (requests walking the redirects)."""
from __future__ import annotations

import pytest
import requests
from auth0.authentication import GetToken, Passwordless
from auth0.authentication.exceptions import Auth0Error
from jose import jwt
from oauth_helpers import WEB_CALLBACK, WEB_ID, WEB_SECRET, redirect_params

OTP_GRANT = "http://auth0.com/oauth/grant-type/passwordless/otp"
DAVE = "dave@example.com"


@pytest.fixture
def email_connection(mockidp, api):
    """An `email` connection for the Web App (the default fixture gives it the OTP grant)."""
    assert OTP_GRANT in api.get(f"/api/v2/clients/{WEB_ID}").json()["grant_types"]
    created = api.post("/api/v2/connections", json={"name": "email", "strategy": "email",
                                                     "enabled_clients": [WEB_ID]})
    assert created.status_code == 201, created.text
    yield created.json()
    mockidp.reset()


def sdk(mockidp):
    domain = mockidp.url.split("://", 1)[1]
    return (Passwordless(domain, WEB_ID, client_secret=WEB_SECRET, protocol="http"),
            GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol="http"))


def start_code(mockidp, email: str = DAVE) -> str:
    started, _ = sdk(mockidp)
    answer = started.email(email, send="code")
    assert answer["email"] == email and len(answer["_id"]) == 24
    return mockidp.outbox(to=email)[-1]["code"]


def login(mockidp, code: str, email: str = DAVE) -> dict:
    _, tokens = sdk(mockidp)
    return tokens.passwordless_login(email, code, realm="email", scope="openid profile email", audience=None)


def test_email_connection_gets_auth0s_options(email_connection):
    options = email_connection["options"]
    assert options["totp"] == {"time_step": 180, "length": 6}
    assert options["disable_signup"] is False and options["name"] == "email"
    assert "{{ code }}" in options["email"]["body"] and options["email"]["syntax"] == "liquid"


def test_code_from_the_outbox_logs_a_new_user_in(mockidp, api, email_connection):
    code = start_code(mockidp)
    message = mockidp.outbox(to=DAVE)[-1]
    assert message["template"] == "passwordless" and code in message["text"] and len(code) == 6
    assert message["subject"] == "Welcome to mockidp Web App"
    tokens = login(mockidp, code)
    claims = jwt.get_unverified_claims(tokens["id_token"])
    assert claims["email"] == DAVE and claims["email_verified"] is True
    assert claims["sub"].startswith("email|")
    user = api.get(f"/api/v2/users/{claims['sub']}").json()
    assert user["identities"][0] == {"connection": "email", "user_id": claims["sub"][6:],
                                     "provider": "email", "isSocial": False}
    assert user["logins_count"] == 1
    types = [event["type"] for event in api.get("/api/v2/logs", params={"sort": "date:1"}).json()]
    assert types[-3:] == ["cs", "ss", "s"]


def test_an_existing_user_is_signed_in_again(mockidp, api, email_connection):
    first = jwt.get_unverified_claims(login(mockidp, start_code(mockidp))["id_token"])
    second = jwt.get_unverified_claims(login(mockidp, start_code(mockidp))["id_token"])
    assert first["sub"] == second["sub"]
    assert api.get(f"/api/v2/users/{first['sub']}").json()["logins_count"] == 2


def assert_rejected(mockidp, code: str, description: str = "Wrong email or verification code.") -> None:
    with pytest.raises(Auth0Error) as rejected:
        login(mockidp, code)
    assert (rejected.value.status_code, rejected.value.error_code, rejected.value.message) == (
        403, "invalid_grant", description)


def test_a_code_is_single_use(mockidp, email_connection):
    code = start_code(mockidp)
    login(mockidp, code)
    assert_rejected(mockidp, code)


def test_a_code_expires_on_the_mock_clock(mockidp, email_connection):
    mockidp.freeze()
    code = start_code(mockidp)
    mockidp.advance(179)
    login(mockidp, code)
    code = start_code(mockidp)
    mockidp.advance(180)
    assert_rejected(mockidp, code)


def test_three_wrong_codes_kill_the_code(mockidp, api, email_connection):
    code = start_code(mockidp)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert_rejected(mockidp, wrong)
    assert_rejected(mockidp, code, "You've reached the maximum number of attempts. Please try to login again.")
    assert [e["type"] for e in api.get("/api/v2/logs", params={"q": "type:fp"}).json()] == ["fp"] * 4
    login(mockidp, start_code(mockidp))  # a new code starts over


def test_a_new_code_replaces_the_previous_one(mockidp, email_connection):
    first = start_code(mockidp)
    second = start_code(mockidp)
    if first != second:
        assert_rejected(mockidp, first)
    login(mockidp, second)


def test_disabled_signup_refuses_unknown_addresses(mockidp, api, email_connection):
    options = {**email_connection["options"], "disable_signup": True}
    assert api.patch(f"/api/v2/connections/{email_connection['id']}", json={"options": options}).status_code == 200
    passwordless, _ = sdk(mockidp)
    with pytest.raises(Auth0Error) as refused:
        passwordless.email(DAVE, send="code")
    assert (refused.value.status_code, refused.value.error_code) == (400, "unauthorized")
    assert mockidp.outbox(to=DAVE) == []


@pytest.mark.parametrize("body, error", [
    ({"connection": "nope", "email": DAVE, "send": "code"}, "bad.connection"),
    ({"connection": "Username-Password-Authentication", "email": DAVE, "send": "code"}, "bad.connection"),
    ({"connection": "email", "send": "code"}, "bad.email"),
    ({"connection": "email", "email": "not-an-email", "send": "code"}, "bad.email"),
    ({"connection": "email", "email": DAVE, "send": "carrier-pigeon"}, "bad.request"),
    ({"connection": "email", "email": DAVE, "send": "link", "authParams": "scope=openid"}, "bad.authParams"),
])
def test_bad_start_requests_send_nothing(mockidp, email_connection, body, error):
    response = requests.post(f"{mockidp.url}/passwordless/start", timeout=30,
                             json={"client_id": WEB_ID, "client_secret": WEB_SECRET, **body})
    assert response.status_code == 400 and response.json()["error"] == error, response.text
    assert set(response.json()) == {"error", "error_description"}
    assert mockidp.outbox(to=DAVE) == []


def test_a_code_needs_the_otp_grant(mockidp, api, email_connection):
    grants = [g for g in api.get(f"/api/v2/clients/{WEB_ID}").json()["grant_types"] if g != OTP_GRANT]
    assert api.patch(f"/api/v2/clients/{WEB_ID}", json={"grant_types": grants}).status_code == 200
    passwordless, _ = sdk(mockidp)
    with pytest.raises(Auth0Error) as refused:
        passwordless.email(DAVE, send="code")
    assert (refused.value.status_code, refused.value.error_code) == (403, "unauthorized_client")
    assert mockidp.outbox(to=DAVE) == []


def test_start_needs_the_clients_secret(mockidp, email_connection):
    response = requests.post(f"{mockidp.url}/passwordless/start", timeout=30,
                             json={"client_id": WEB_ID, "connection": "email", "email": DAVE, "send": "code"})
    assert (response.status_code, response.json()["error"]) == (401, "access_denied")
    assert mockidp.outbox(to=DAVE) == []


def test_otp_grant_bad_input(mockidp, email_connection):
    def token(**params):
        body = {"grant_type": OTP_GRANT, "client_id": WEB_ID, "client_secret": WEB_SECRET,
                "username": DAVE, "otp": "123456", "realm": "email", **params}
        return requests.post(f"{mockidp.url}/oauth/token", json={k: v for k, v in body.items() if v is not None},
                             timeout=30)
    missing = token(otp=None)
    assert (missing.status_code, missing.json()["error_description"]) == (400, "Missing required parameter: otp")
    unknown = token(realm="nope")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_request")
    database = token(realm="Username-Password-Authentication")
    assert (database.status_code, database.json()["error"]) == (400, "invalid_request")
    never_sent = token()
    assert (never_sent.status_code, never_sent.json()) == (403, {
        "error": "invalid_grant", "error_description": "Wrong email or verification code."})


def test_magic_link_completes_a_login(mockidp, email_connection):
    passwordless, tokens = sdk(mockidp)
    passwordless.email(DAVE, send="link", auth_params={
        "response_type": "code", "redirect_uri": WEB_CALLBACK, "scope": "openid email", "state": "xyz"})
    link = mockidp.outbox(to=DAVE)[-1]["url"]
    assert link.startswith(f"{mockidp.url}/passwordless/verify_redirect?") and "verification_code=" in link
    browser = requests.Session()
    params = redirect_params(browser.get(link, allow_redirects=False, timeout=30))
    assert params["state"] == "xyz"
    exchanged = tokens.authorization_code(params["code"], WEB_CALLBACK)
    assert jwt.get_unverified_claims(exchanged["id_token"])["email"] == DAVE
    again = redirect_params(browser.get(link, allow_redirects=False, timeout=30))  # used: an error
    assert again["error"] == "invalid_grant" and again["state"] == "xyz"


# --- signup Actions on a passwordless first use (tests/test_action_registration.py for databases) ---

PRE_REGISTRATION = """
exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith('@blocked.example')) {
    api.access.deny('blocked_domain', 'Sign-ups from this domain are not allowed.');
    return;
  }
  api.user.setAppMetadata('signed_up_with', event.connection.strategy);
};
"""
POST_REGISTRATION = """
exports.onExecutePostUserRegistration = async (event) => { console.log(event.user.user_id); };
"""


@pytest.fixture
def signup_actions(mockidp, monkeypatch, email_connection):
    from action_helpers import install_action, management_sdk

    sdk_ = management_sdk(mockidp, monkeypatch)
    install_action(sdk_, "gate", PRE_REGISTRATION, trigger="pre-user-registration", version="v2")
    install_action(sdk_, "welcome", POST_REGISTRATION, trigger="post-user-registration", version="v2")
    return sdk_


def test_a_first_use_runs_the_signup_actions(mockidp, api, signup_actions):
    claims = jwt.get_unverified_claims(login(mockidp, start_code(mockidp))["id_token"])
    assert api.get(f"/api/v2/users/{claims['sub']}").json()["app_metadata"] == {"signed_up_with": "email"}
    mockidp.wait_for_actions()
    [registered] = [e for e in mockidp.action_executions() if e["trigger_id"] == "post-user-registration"]
    assert registered["status"] == "final" and registered["logs"] == [claims["sub"]]
    login(mockidp, start_code(mockidp))  # the second login signs up nobody: no new runs
    mockidp.wait_for_actions()
    assert [e["trigger_id"] for e in mockidp.action_executions()].count("post-user-registration") == 1


def test_pre_user_registration_refuses_a_passwordless_signup(mockidp, api, signup_actions):
    email = "eve@blocked.example"
    code = start_code(mockidp, email)
    response = requests.post(f"{mockidp.url}/oauth/token", timeout=30, data={
        "grant_type": OTP_GRANT, "client_id": WEB_ID, "client_secret": WEB_SECRET, "username": email,
        "otp": code, "realm": "email", "scope": "openid"})
    assert response.status_code == 403
    assert response.json() == {"error": "access_denied", "error_description": "Sign-ups from this domain are not allowed."}
    assert api.get("/api/v2/users-by-email", params={"email": email}).json() == []
    [refused] = api.get("/api/v2/logs", params={"q": 'type:"fs"'}).json()
    assert refused["description"] == "blocked_domain"
