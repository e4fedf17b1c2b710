"""The official auth0-python authentication classes against mockidp, unchanged: GetToken (password
realm, authorization code with and without PKCE, refresh), Database (signup, change_password),
Users (userinfo), RevokeToken, and TokenVerifier on the ID tokens, over plain HTTP
(`protocol="http"`) and over HTTPS with mockidp's CA trusted."""
from __future__ import annotations

import pytest
from auth0.authentication import Database, GetToken, RevokeToken, Users
from auth0.authentication.exceptions import Auth0Error
from auth0.authentication.token_verifier import (
    AsymmetricSignatureVerifier,
    TokenVerifier,
)
from oauth_helpers import (
    ALICE,
    CAROL,
    SPA_CALLBACK,
    SPA_ID,
    VERIFIER,
    WEB_ID,
    WEB_SECRET,
    Browser,
)

CONNECTION = "Username-Password-Authentication"


@pytest.fixture(params=["http", "https"])
def target(request, mockidp, monkeypatch):
    """(domain, protocol, base URL) for one scheme; HTTPS trusts mockidp's CA through requests."""
    if request.param == "https":
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp.ca_bundle))
        return mockidp.domain, "https", mockidp.https_url
    return mockidp.url.split("://", 1)[1], "http", mockidp.url


def verifier(base: str, audience: str) -> TokenVerifier:
    return TokenVerifier(signature_verifier=AsymmetricSignatureVerifier(f"{base}/.well-known/jwks.json"),
                         issuer=f"{base}/", audience=audience)


def test_password_realm_login_and_verified_id_token(target):
    domain, protocol, base = target
    tokens = GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol=protocol).login(
        ALICE[0], ALICE[1], realm=CONNECTION, scope="openid profile email offline_access")
    claims = verifier(base, WEB_ID).verify(tokens["id_token"])
    assert claims["email"] == ALICE[0] and claims["iss"] == f"{base}/"
    assert tokens["refresh_token"].startswith("v1.")
    profile = Users(domain, protocol=protocol).userinfo(tokens["access_token"])
    assert profile["sub"] == claims["sub"] and profile["email"] == ALICE[0]


def test_login_without_realm_uses_the_default_directory(target):
    domain, protocol, _ = target
    tokens = GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol=protocol).login(*ALICE, scope="openid")
    assert tokens["id_token"]


def test_login_errors_surface_as_auth0_errors(target):
    domain, protocol, _ = target
    client = GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol=protocol)
    with pytest.raises(Auth0Error) as wrong:
        client.login(ALICE[0], "wrong", realm=CONNECTION)
    assert (wrong.value.status_code, wrong.value.error_code, wrong.value.message) == (
        403, "invalid_grant", "Wrong email or password.")
    with pytest.raises(Auth0Error) as blocked:
        client.login(*CAROL, realm=CONNECTION)
    assert (blocked.value.status_code, blocked.value.error_code, blocked.value.message) == (
        401, "unauthorized", "user is blocked")


def test_authorization_code_pkce_refresh_and_revoke(target):
    domain, protocol, base = target
    params = Browser(base).sign_in(*ALICE, scope="openid profile offline_access", nonce="sdk-nonce")
    spa = GetToken(domain, SPA_ID, protocol=protocol)
    tokens = spa.authorization_code_pkce(VERIFIER, params["code"], SPA_CALLBACK)
    verifier(base, SPA_ID).verify(tokens["id_token"], nonce="sdk-nonce")
    refreshed = spa.refresh_token(tokens["refresh_token"])
    assert refreshed["id_token"] and "refresh_token" not in refreshed
    RevokeToken(domain, SPA_ID, protocol=protocol).revoke_refresh_token(tokens["refresh_token"])
    with pytest.raises(Auth0Error) as revoked:
        spa.refresh_token(tokens["refresh_token"])
    assert revoked.value.message == "Unknown or invalid refresh token."


def test_authorization_code_for_a_confidential_client(target):
    domain, protocol, base = target
    params = Browser(base).sign_in(*ALICE, client_id=WEB_ID, redirect_uri="http://localhost:5000/callback",
                                   code_challenge=None, code_challenge_method=None)
    tokens = GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol=protocol).authorization_code(
        params["code"], "http://localhost:5000/callback")
    assert verifier(base, WEB_ID).verify(tokens["id_token"], nonce="nonce-1")["auth_time"]


def test_signup_then_login(target):
    domain, protocol, base = target
    created = Database(domain, SPA_ID, protocol=protocol).signup("sdk.user@example.com", "Str0ng!pass", CONNECTION)
    assert set(created) == {"_id", "email", "email_verified"}
    tokens = GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol=protocol).login(
        "sdk.user@example.com", "Str0ng!pass", realm=CONNECTION, scope="openid")
    assert verifier(base, WEB_ID).verify(tokens["id_token"])["sub"] == f"auth0|{created['_id']}"


def test_change_password_then_login_with_the_emailed_link(target, mockidp):
    """Seed 004, login half: the password set from the emailed link logs in."""
    import requests

    domain, protocol, base = target
    message = Database(domain, SPA_ID, protocol=protocol).change_password(ALICE[0], CONNECTION)
    assert message == "We've just sent you an email to reset your password."
    link = mockidp.outbox(to=ALICE[0], template="reset_email")[-1]["url"]
    page = link.split("#", 1)[0]
    reset = requests.post(page, data={"password": "Brand-n3w!pass", "re-enter-password": "Brand-n3w!pass"},
                          timeout=30, allow_redirects=False)
    assert reset.status_code == 200, reset.text
    login = GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol=protocol)
    assert login.login(ALICE[0], "Brand-n3w!pass", realm=CONNECTION, scope="openid")["id_token"]
    with pytest.raises(Auth0Error):
        login.login(*ALICE, realm=CONNECTION)
