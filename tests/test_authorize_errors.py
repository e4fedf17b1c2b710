"""Bad input at /authorize and the hosted pages: Auth0's error page when the application cannot be
trusted with the answer, an error redirect when it can; never a 500, nothing half-created."""
from __future__ import annotations

from html import unescape

import pytest
from oauth_helpers import (
    ALICE,
    SPA_CALLBACK,
    WEB_CALLBACK,
    WEB_ID,
    Browser,
    redirect_params,
)


@pytest.fixture
def browser(mockidp) -> Browser:
    return Browser(mockidp.url)


def assert_error_page(response, error: str, description: str) -> None:
    assert response.status_code == 400, response.text
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    text = unescape(response.text)
    assert "Oops!, something went wrong" in text
    assert f"{error}: {description}" in text


def test_unknown_client_gets_the_error_page(browser):
    assert_error_page(browser.authorize(client_id="nosuchclient"), "invalid_request", "Unknown client: nosuchclient")


def test_missing_client_id_gets_the_error_page(browser):
    response = browser.get("/authorize?response_type=code&redirect_uri=" + SPA_CALLBACK)
    assert_error_page(response, "invalid_request", "Missing required parameter: client_id")


@pytest.mark.parametrize("redirect_uri", ["https://evil.example/callback", SPA_CALLBACK + "/extra",
                                          "http://localhost:3000/callback?x=1", WEB_CALLBACK, ""])
def test_an_unregistered_redirect_uri_is_never_redirected_to(browser, redirect_uri):
    assert_error_page(browser.authorize(redirect_uri=redirect_uri), "unauthorized_client",
                      f"Callback URL mismatch. {redirect_uri} is not in the list of allowed callback URLs")


def test_without_redirect_uri_the_first_callback_is_used(browser):
    response = browser.authorize(redirect_uri=None, prompt="none")
    assert response.headers["Location"].startswith(SPA_CALLBACK + "?error=login_required")


@pytest.mark.parametrize("overrides, error, description", [
    ({"response_type": None}, "invalid_request", "Missing required parameter: response_type"),
    ({"response_type": "bogus"}, "unsupported_response_type", "Unsupported response type: bogus"),
    ({"response_type": "code code"}, "unsupported_response_type", "Unsupported response type: code code"),
    ({"code_challenge_method": "S512"}, "invalid_request", "Unsupported code_challenge_method: S512"),
    ({"code_challenge": None}, "invalid_request", "Missing required parameter: code_challenge"),
    ({"prompt": "none login"}, "invalid_request", "prompt=none cannot be combined with other prompt values"),
    ({"prompt": "sometimes"}, "invalid_request", "Unsupported prompt: sometimes"),
    ({"max_age": "-5"}, "invalid_request", "max_age must be a non-negative integer"),
    ({"max_age": "soon"}, "invalid_request", "max_age must be a non-negative integer"),
    ({"connection": "nope"}, "invalid_request", "the connection was not found"),
    ({"organization": "org_doesnotexist"}, "invalid_request", "parameter organization is invalid: org_doesnotexist"),
])
def test_bad_parameters_go_back_to_the_application(browser, overrides, error, description):
    params = redirect_params(browser.authorize(**overrides))
    assert params == {"error": error, "error_description": description, "state": "state-1"}


def test_an_unknown_response_mode_is_refused_in_the_default_mode(browser):
    response = browser.authorize(response_mode="carrier_pigeon")
    assert response.headers["Location"].startswith(SPA_CALLBACK + "?error=invalid_request")


def test_a_grant_type_the_client_lacks(browser, api):
    # The fixture's Regular Web App has Auth0's default grants, implicit included: take it away.
    assert api.patch(f"/api/v2/clients/{WEB_ID}", json={"grant_types": ["authorization_code"]}).status_code == 200
    params = redirect_params(browser.authorize(client_id=WEB_ID, redirect_uri=WEB_CALLBACK, response_type="token",
                                               code_challenge=None, code_challenge_method=None))
    assert params["error"] == "unauthorized_client"
    assert params["error_description"] == "Grant type 'implicit' not allowed for the client."


def test_web_message_needs_an_allowed_web_origin(browser):
    response = browser.authorize(client_id=WEB_ID, redirect_uri=WEB_CALLBACK, response_mode="web_message",
                                 prompt="none", code_challenge=None, code_challenge_method=None)
    assert response.status_code == 400 and "Allowed Web Origins" in response.text


def test_an_unknown_or_used_login_state_gets_the_error_page(browser):
    assert browser.get("/u/login?state=nope").status_code == 400
    assert browser.post("/u/login?state=nope", data={"username": ALICE[0], "password": ALICE[1]}).status_code == 400
    assert browser.get("/u/login").status_code == 400
    assert browser.get("/u/signup?state=nope").status_code == 400


def test_the_login_transaction_expires_on_the_tenant_clock(mockidp, browser):
    mockidp.freeze()
    page = browser.login_page()
    mockidp.advance(3601)
    assert browser.post(page, data={"username": ALICE[0], "password": ALICE[1]}).status_code == 400


@pytest.mark.parametrize("form, message", [
    ({}, "Please enter an email address"),
    ({"password": "x"}, "Please enter an email address"),
    ({"username": ALICE[0]}, "Password is required"),
    ({"username": "   ", "password": "x"}, "Please enter an email address"),
])
def test_login_form_posts_with_missing_fields(browser, form, message):
    response = browser.post(browser.login_page(), data=form)
    assert response.status_code == 400 and message in response.text
    assert browser.session_cookie is None


@pytest.mark.parametrize("form, message", [
    ({}, "Please enter an email address"),
    ({"email": "not-an-email", "password": "Str0ng!pass"}, "Email is not valid."),
    ({"email": "x@example.com"}, "Password is required"),
])
def test_signup_form_posts_with_missing_fields(browser, api, form, message):
    page = browser.authorize(screen_hint="signup").headers["Location"]
    response = browser.post(page, data=form)
    assert response.status_code == 400 and message in response.text
    assert api.get("/api/v2/users-by-email", params={"email": "x@example.com"}).json() == []


@pytest.mark.parametrize("query", [
    "", "?client_id=", "?client_id=%00", "?client_id=" + "a" * 5000, "?response_type=code&client_id[]=x",
    "?client_id=mockidpSpaClient0000000000000000&redirect_uri=%ff%fe",
    "?client_id=mockidpSpaClient0000000000000000&response_type=code&redirect_uri=" + SPA_CALLBACK
    + "&max_age=99999999999999999999999",
])
def test_odd_authorize_queries_never_fail_hard(browser, query):
    response = browser.get("/authorize" + query)
    assert response.status_code in (200, 302, 400), response.text


def test_a_form_post_to_authorize_is_refused_politely(browser):
    response = browser.post("/authorize", data={"client_id": "x"})
    assert response.status_code == 405
