"""Logout (/v2/logout, /oidc/logout) and the session cookie over HTTPS."""
from __future__ import annotations

from html import unescape
from urllib.parse import quote

import pytest

from oauth_helpers import (
    ALICE,
    SPA_CALLBACK,
    SPA_ID,
    VERIFIER,
    WEB_ID,
    Browser,
    exchange_code,
    redirect_params,
    unverified_claims,
)

APP = "http://localhost:3000"


def signed_in(mockidp) -> Browser:
    browser = Browser(mockidp.url)
    browser.sign_in(*ALICE)
    return browser


def still_signed_in(browser: Browser) -> bool:
    return "code" in redirect_params(browser.authorize(prompt="none"))


def test_v2_logout_ends_the_session_and_returns_to_an_allowed_url(mockidp):
    browser = signed_in(mockidp)
    response = browser.get(f"/v2/logout?client_id={SPA_ID}&returnTo={quote(APP)}")
    assert response.status_code == 302 and response.headers["Location"] == APP
    assert "auth0=;" in response.headers["Set-Cookie"]
    assert not still_signed_in(browser)


def test_v2_logout_refuses_a_return_url_it_does_not_know_and_ends_nothing(mockidp):
    browser = signed_in(mockidp)
    response = browser.get(f"/v2/logout?client_id={SPA_ID}&returnTo={quote('https://evil.example/')}")
    assert response.status_code == 400 and "Location" not in response.headers
    assert ('The "returnTo" querystring parameter "https://evil.example/" is not defined as a valid URL in '
            '"Allowed Logout URLs".') in unescape(response.text)
    assert still_signed_in(browser)
    # Without a client_id the tenant's list applies (empty in the default fixture).
    assert browser.get(f"/v2/logout?returnTo={quote(APP)}").status_code == 400
    assert browser.get("/v2/logout?client_id=nosuchclient").status_code == 400


def test_v2_logout_without_return_to(mockidp):
    browser = signed_in(mockidp)
    fallback = browser.get(f"/v2/logout?client_id={WEB_ID}")
    assert fallback.status_code == 302 and fallback.headers["Location"] == "http://localhost:5000"
    plain = browser.get("/v2/logout")
    assert plain.status_code == 200 and plain.text == "OK"


def test_oidc_logout_with_an_id_token_hint(mockidp):
    browser = Browser(mockidp.url)
    id_token = exchange_code(mockidp.url, browser.sign_in(*ALICE)["code"]).json()["id_token"]
    response = browser.get(f"/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={quote(APP)}&state=xyz")
    assert response.status_code == 302 and response.headers["Location"] == f"{APP}?state=xyz"
    assert not still_signed_in(browser)


def test_oidc_logout_checks_its_parameters(mockidp):
    browser = Browser(mockidp.url)
    id_token = exchange_code(mockidp.url, browser.sign_in(*ALICE)["code"]).json()["id_token"]
    tampered = id_token[:-6] + "AAAAAA"
    assert browser.get(f"/oidc/logout?id_token_hint={tampered}").status_code == 400
    assert browser.get(f"/oidc/logout?id_token_hint={id_token}&client_id={WEB_ID}").status_code == 400
    evil = browser.get(f"/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://evil.example/")
    assert evil.status_code == 400
    assert still_signed_in(browser)


def test_oidc_logout_without_a_hint_asks_first(mockidp):
    browser = signed_in(mockidp)
    confirm = browser.get(f"/oidc/logout?client_id={SPA_ID}&post_logout_redirect_uri={quote(APP)}")
    assert confirm.status_code == 200 and "Are you sure you want to log out?" in confirm.text
    assert still_signed_in(browser)
    done = browser.post("/oidc/logout", data={"client_id": SPA_ID, "post_logout_redirect_uri": APP,
                                              "confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"] == APP
    assert not still_signed_in(browser)


def test_oidc_logout_with_the_sessions_logout_hint(mockidp):
    browser = signed_in(mockidp)
    response = browser.get(f"/oidc/logout?client_id={SPA_ID}&logout_hint={browser.session_cookie}")
    assert response.status_code == 200 and "You have been logged out." in response.text
    assert not still_signed_in(browser)


def test_over_https_the_cookie_is_samesite_none_and_secure(mockidp):
    browser = Browser(mockidp.https_url, ca_file=str(mockidp.ca_bundle))
    page = browser.login_page()
    response = browser.post(page, data={"username": ALICE[0], "password": ALICE[1]})
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    code = redirect_params(response)["code"]
    tokens = browser.post("/oauth/token", data={"grant_type": "authorization_code", "client_id": SPA_ID,
                                                "code": code, "code_verifier": VERIFIER,
                                                "redirect_uri": SPA_CALLBACK})
    assert unverified_claims(tokens.json()["id_token"])["iss"] == f"{mockidp.https_url}/"


@pytest.mark.parametrize("return_to", [
    APP + "/",                                # Authlib's logout sends the trailing slash
    APP + "/?signed_out=1#top",               # the query string and fragment are ignored
    "HTTP://LocalHost:3000",                  # scheme and host compare without regard to case
])
def test_v2_logout_matches_return_to_as_auth0_does(mockidp, return_to):
    browser = signed_in(mockidp)
    response = browser.get(f"/v2/logout?client_id={SPA_ID}&returnTo={quote(return_to)}")
    assert response.status_code == 302, response.text
    assert response.headers["Location"].lower() == return_to.lower()  # werkzeug lowercases the host
    assert not still_signed_in(browser)


@pytest.mark.parametrize("return_to", [APP + "/other", "https://localhost:3000", "http://localhost:3001"])
def test_v2_logout_still_refuses_another_path_scheme_or_port(mockidp, return_to):
    browser = signed_in(mockidp)
    assert browser.get(f"/v2/logout?client_id={SPA_ID}&returnTo={quote(return_to)}").status_code == 400
    assert still_signed_in(browser)


def test_a_callback_matches_with_another_case_of_scheme_and_host_but_not_of_path(mockidp):
    browser = signed_in(mockidp)
    accepted = browser.authorize(prompt="none", redirect_uri="HTTP://LOCALHOST:3000/callback")
    assert accepted.status_code == 302 and "code" in redirect_params(accepted)
    refused = browser.authorize(prompt="none", redirect_uri="http://localhost:3000/CALLBACK")
    assert refused.status_code == 400
