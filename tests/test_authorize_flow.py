"""GET /authorize and the hosted login page, driven with plain HTTP: the code flow with PKCE,
SSO across applications, prompt=none / prompt=login, max_age step-up (seed 002), response modes,
implicit flows, signup, blocked users."""
from __future__ import annotations

import re
from html import unescape

import pytest
import requests
from conftest import Api
from oauth_helpers import (
    ALICE,
    CAROL,
    SPA_CALLBACK,
    SPA_ID,
    VERIFIER,
    WEB_CALLBACK,
    WEB_ID,
    WEB_SECRET,
    Browser,
    exchange_code,
    redirect_params,
    s256,
    unverified_claims,
    verify_id_token,
)

NOW = "2030-01-01T00:00:00Z"
NOW_TS = 1893456000


@pytest.fixture
def browser(mockidp) -> Browser:
    mockidp.freeze(NOW)
    return Browser(mockidp.url)


def user_by_email(api: Api, email: str) -> dict:
    return api.get("/api/v2/users-by-email", params={"email": email}).json()[0]


# --- the code flow ---------------------------------------------------------------------------

def test_code_flow_with_pkce_gives_verified_tokens(mockidp, browser):
    page = browser.login_page()
    html = browser.get(page)
    assert html.status_code == 200 and "Welcome" in html.text and "mockidp SPA" in html.text
    response = browser.post(page, data={"username": ALICE[0], "password": ALICE[1]})
    assert response.headers["Location"].startswith(SPA_CALLBACK + "?code=")
    params = redirect_params(response)
    assert params["state"] == "state-1" and len(params["code"]) >= 40

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("auth0=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http: see docs/authentication.md

    tokens = exchange_code(mockidp.url, params["code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert list(body) == ["access_token", "id_token", "scope", "expires_in", "token_type"]
    assert body["scope"] == "openid profile email" and body["token_type"] == "Bearer"
    assert tokens.headers["Cache-Control"] == "no-store"

    claims = verify_id_token(mockidp.url, body["id_token"], nonce="nonce-1")
    assert claims["sub"].startswith("auth0|") and claims["aud"] == SPA_ID
    assert claims["iat"] == NOW_TS and claims["exp"] == NOW_TS + 36000 and claims["auth_time"] == NOW_TS
    assert claims["sid"] == browser.session_cookie
    assert claims["email"] == ALICE[0] and claims["email_verified"] is True
    assert claims["name"] == "Alice Example" and claims["nickname"] == "alice"
    assert {"picture", "updated_at", "given_name", "family_name"} <= set(claims)

    access = unverified_claims(body["access_token"])
    assert access["aud"] == f"{mockidp.url}/userinfo" and access["azp"] == SPA_ID
    assert access["scope"] == "openid profile email" and "gty" not in access
    assert body["expires_in"] == 86400


def test_a_login_updates_logins_count_last_login_and_last_ip(mockidp, browser, api):
    before = user_by_email(api, ALICE[0])
    assert "logins_count" not in before and "last_login" not in before
    browser.sign_in(*ALICE)
    browser.sign_in(*ALICE, prompt="login")
    after = user_by_email(api, ALICE[0])
    assert after["logins_count"] == 2
    assert after["last_login"] == "2030-01-01T00:00:00.000Z" and after["last_ip"] == "127.0.0.1"


def test_pkce_plain(mockidp, browser):
    params = browser.sign_in(*ALICE, code_challenge="plain-verifier-" + "x" * 40, code_challenge_method="plain")
    assert exchange_code(mockidp.url, params["code"], verifier="plain-verifier-" + "x" * 40).status_code == 200


def test_offline_access_gives_a_refresh_token_without_an_audience(mockidp, browser):
    params = browser.sign_in(*ALICE, scope="openid offline_access")
    body = exchange_code(mockidp.url, params["code"]).json()
    assert body["refresh_token"].startswith("v1.") and body["scope"] == "openid offline_access"


def test_audience_gives_an_access_token_for_the_api_and_userinfo(mockidp, browser):
    audience = f"{mockidp.url}/api/v2/"
    params = browser.sign_in(*ALICE, audience=audience, scope="openid read:current_user read:users offline_access")
    body = exchange_code(mockidp.url, params["code"]).json()
    access = unverified_claims(body["access_token"])
    assert access["aud"] == [audience, f"{mockidp.url}/userinfo"]
    # Management API: only current_user scopes for users; no offline access for it.
    assert access["scope"] == "openid read:current_user" and "refresh_token" not in body


def test_unknown_audience_is_access_denied(mockidp, browser):
    params = redirect_params(browser.authorize(audience="https://nowhere.example/"))
    assert params == {"error": "access_denied", "error_description": "Service not found: https://nowhere.example/",
                      "state": "state-1"}


# --- sessions: SSO, prompt, max_age --------------------------------------------------------

def test_a_session_gives_sso_to_another_application(mockidp, browser):
    first = browser.sign_in(*ALICE)
    spa_claims = unverified_claims(exchange_code(mockidp.url, first["code"]).json()["id_token"])
    mockidp.advance(120)
    response = browser.authorize(client_id=WEB_ID, redirect_uri=WEB_CALLBACK, code_challenge=None,
                                 code_challenge_method=None)
    params = redirect_params(response)
    assert response.headers["Location"].startswith(WEB_CALLBACK + "?code=")
    tokens = exchange_code(mockidp.url, params["code"], client_id=WEB_ID, redirect_uri=WEB_CALLBACK,
                           verifier=None, client_secret=WEB_SECRET)
    claims = verify_id_token(mockidp.url, tokens.json()["id_token"], audience=WEB_ID)
    assert claims["sid"] == spa_claims["sid"] and claims["auth_time"] == NOW_TS
    assert claims["iat"] == NOW_TS + 120


def test_prompt_none_without_a_session_is_login_required(browser):
    params = redirect_params(browser.authorize(prompt="none"))
    assert params == {"error": "login_required", "error_description": "Login required", "state": "state-1"}


def test_prompt_none_with_web_message_answers_with_a_page_that_posts_to_the_app(browser):
    browser.sign_in(*ALICE)
    response = browser.authorize(prompt="none", response_mode="web_message", redirect_uri="http://localhost:3000")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert "X-Frame-Options" not in response.headers  # it runs in an iframe
    assert 'var targetOrigin = "http://localhost:3000";' in response.text
    message = re.search(r'response: (\{.*?\})};', response.text).group(1)
    assert '"code": "' in message and '"state": "state-1"' in message
    assert "authorization_response" in response.text and "postMessage" in response.text


def test_prompt_none_without_session_via_web_message_posts_the_error(browser):
    response = browser.authorize(prompt="none", response_mode="web_message", redirect_uri="http://localhost:3000")
    assert response.status_code == 200
    assert ('{"error": "login_required", "error_description": "Login required", "state": "state-1"}'
            in response.text)


def test_prompt_login_shows_the_login_page_despite_a_session(browser):
    browser.sign_in(*ALICE)
    assert browser.authorize(prompt="login").headers["Location"].startswith("/u/login?state=")


def test_step_up_with_max_age(mockidp, browser):
    """Seed 002: re-authentication with max_age=0 before a sensitive change; auth_time moves."""
    browser.sign_in(*ALICE)
    mockidp.advance(600)
    # A session younger than max_age is used as is.
    params = redirect_params(browser.authorize(max_age="900"))
    assert unverified_claims(exchange_code(mockidp.url, params["code"]).json()["id_token"])["auth_time"] == NOW_TS
    # Older than max_age: silently impossible, so login_required; interactively, the login page,
    # pre-filled with the session's user.
    assert redirect_params(browser.authorize(max_age="300", prompt="none"))["error"] == "login_required"
    page = browser.login_page(max_age="0")
    assert 'value="alice@example.com"' in browser.get(page).text
    params = redirect_params(browser.post(page, data={"username": ALICE[0], "password": ALICE[1]}))
    claims = verify_id_token(mockidp.url, exchange_code(mockidp.url, params["code"]).json()["id_token"])
    assert claims["auth_time"] == NOW_TS + 600
    # max_age=0 always asks again, even right after a login.
    assert browser.authorize(max_age="0").headers["Location"].startswith("/u/login?state=")


def test_login_hint_prefills_the_login_page(browser):
    page = browser.login_page(login_hint="someone@example.com")
    assert 'value="someone@example.com"' in browser.get(page).text


# --- response modes and implicit flows --------------------------------------------------------

def test_fragment_response_mode(browser):
    browser.sign_in(*ALICE)
    response = browser.authorize(response_mode="fragment")
    assert re.match(re.escape(SPA_CALLBACK) + r"#code=[^&]+&state=state-1$", response.headers["Location"])


def test_form_post_response_mode(browser):
    browser.sign_in(*ALICE)
    response = browser.authorize(response_mode="form_post")
    assert response.status_code == 200
    assert f'action="{SPA_CALLBACK}"' in response.text
    assert re.search(r'name="code" value="[^"]+"', response.text)
    assert 'name="state" value="state-1"' in response.text


def test_implicit_id_token(mockidp, browser):
    browser.sign_in(*ALICE)
    params = redirect_params(browser.authorize(response_type="id_token", code_challenge=None,
                                               code_challenge_method=None, nonce="implicit-nonce"))
    assert set(params) == {"id_token", "state"}
    claims = verify_id_token(mockidp.url, params["id_token"], nonce="implicit-nonce")
    assert claims["auth_time"] == NOW_TS


def test_implicit_token_id_token_with_at_hash(mockidp, browser):
    from jose import jwt

    browser.sign_in(*ALICE)
    params = redirect_params(browser.authorize(response_type="token id_token", code_challenge=None,
                                               code_challenge_method=None))
    assert params["token_type"] == "Bearer" and params["expires_in"] == "86400"
    jwks = requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=30).json()
    claims = jwt.decode(params["id_token"], jwks, algorithms=["RS256"], audience=SPA_ID,
                        issuer=f"{mockidp.url}/", access_token=params["access_token"])  # checks at_hash
    assert claims["nonce"] == "nonce-1"


def test_implicit_requires_a_nonce(browser):
    params = redirect_params(browser.authorize(response_type="id_token", nonce=None, code_challenge=None,
                                               code_challenge_method=None))
    assert params["error"] == "invalid_request" and "nonce" in params["error_description"].lower()


# --- signup, blocked users ------------------------------------------------------------------

def test_screen_hint_signup_creates_the_user_and_logs_them_in(mockidp, browser, api):
    response = browser.authorize(screen_hint="signup")
    page = response.headers["Location"]
    assert page.startswith("/u/signup?state=")
    assert "Create Your Account" in browser.get(page).text
    weak = browser.post(page, data={"email": "new@example.com", "password": "short"})
    assert weak.status_code == 400 and "Your password is too weak" in weak.text
    assert api.get("/api/v2/users-by-email", params={"email": "new@example.com"}).json() == []
    params = redirect_params(browser.post(page, data={"email": "new@example.com", "password": "Str0ng!pass"}))
    claims = verify_id_token(mockidp.url, exchange_code(mockidp.url, params["code"]).json()["id_token"])
    user = user_by_email(api, "new@example.com")
    assert claims["sub"] == user["user_id"] and user["logins_count"] == 1
    assert [m["template"] for m in mockidp.outbox(to="new@example.com")] == ["verify_email"]


def test_signup_of_an_existing_user_says_nothing_about_it(browser, api):
    page = browser.authorize(screen_hint="signup").headers["Location"]
    response = browser.post(page, data={"email": ALICE[0], "password": "Str0ng!pass"})
    assert response.status_code == 400 and "Something went wrong, please try again later" in response.text
    assert len(api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()) == 1


def test_a_blocked_user_is_sent_back_with_unauthorized_and_still_counted(browser, api):
    page = browser.login_page()
    response = browser.post(page, data={"username": CAROL[0], "password": CAROL[1]})
    assert response.headers["Location"] == (
        f"{SPA_CALLBACK}?error=unauthorized&error_description=user%20is%20blocked&state=state-1")
    assert browser.session_cookie is None
    assert user_by_email(api, CAROL[0])["logins_count"] == 1
    assert browser.get(page).status_code == 400  # the transaction is over


def test_a_user_blocked_after_login_cannot_use_the_session(mockidp, browser, api):
    browser.sign_in(*ALICE)
    user = user_by_email(api, ALICE[0])
    api.patch(f"/api/v2/users/{user['user_id']}", json={"blocked": True})
    params = redirect_params(browser.authorize(prompt="none"))
    assert params["error"] == "unauthorized" and params["error_description"] == "user is blocked"


def test_a_password_change_ends_the_users_sessions(browser, api):
    browser.sign_in(*ALICE)
    user = user_by_email(api, ALICE[0])
    assert api.patch(f"/api/v2/users/{user['user_id']}", json={"password": "An0ther!pass"}).status_code == 200
    assert redirect_params(browser.authorize(prompt="none"))["error"] == "login_required"


def test_wrong_password_keeps_the_transaction(browser):
    page = browser.login_page()
    wrong = browser.post(page, data={"username": ALICE[0], "password": "nope"})
    assert wrong.status_code == 400 and "Wrong email or password" in unescape(wrong.text)
    assert 'value="alice@example.com"' in wrong.text
    assert "code" in redirect_params(browser.post(page, data={"username": ALICE[0], "password": ALICE[1]}))


def test_the_session_expires_when_idle_on_the_tenant_clock(mockidp, browser):
    browser.sign_in(*ALICE)
    mockidp.advance(72 * 3600 - 1)
    assert "code" in redirect_params(browser.authorize(prompt="none"))  # and this use renews it
    mockidp.advance(72 * 3600 + 1)
    assert redirect_params(browser.authorize(prompt="none"))["error"] == "login_required"


def test_codes_are_not_handed_to_the_wrong_verifier(mockidp, browser):
    params = browser.sign_in(*ALICE, code_challenge=s256("another-verifier-" + "y" * 40))
    response = exchange_code(mockidp.url, params["code"], verifier=VERIFIER)
    assert response.status_code == 403
    assert response.json() == {"error": "invalid_grant", "error_description": "Failed to verify code verifier"}
