"""Social sign-in through mockidp's mock upstream provider, driven over HTTP as a browser would:
/authorize?connection=google-oauth2 → the mock provider's page (or straight back with login_hint)
→ /login/callback → the application, and the Auth0-shaped social user that results. Bad input
(denied, replayed or tampered callbacks, unknown or disabled connections) gets Auth0's errors and
creates no user."""
from __future__ import annotations

import pytest
from oauth_helpers import ALICE, SPA_ID, Browser, exchange_code, redirect_params, verify_id_token
from upstream_helpers import (  # noqa: F401 - server, mock, admin, anonymous and reader are fixtures
    GRACE_ID,
    admin,
    anonymous,
    follow_to_app,
    log_types,
    mock,
    provider_page,
    reader,
    server,
    user_path,
)


# --- headless: login_hint picks a known identity --------------------------------------------

def test_login_hint_signs_a_known_identity_in_without_any_page(mock, admin, reader):
    browser = Browser(mock.url)
    response = browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test")
    assert response.headers["Location"].startswith("/login/callback?code=")
    params = follow_to_app(browser, response.headers["Location"])
    assert params["state"] == "state-1"
    tokens = exchange_code(mock.url, params["code"]).json()
    claims = verify_id_token(mock.url, tokens["id_token"], audience=SPA_ID, nonce="nonce-1")
    assert claims["sub"] == GRACE_ID
    assert claims["email"] == "grace@gmail.test" and claims["name"] == "Grace Hopper"
    user = reader.get(user_path(GRACE_ID)).json()
    assert user["identities"] == [{"provider": "google-oauth2", "user_id": "104425867201936412345",
                                   "connection": "google-oauth2", "isSocial": True}]
    assert (user["email_verified"], user["given_name"], user["family_name"], user["nickname"], user["locale"]) == \
        (True, "Grace", "Hopper", "grace", "en")
    assert user["logins_count"] == 1 and user["last_login"] >= user["created_at"]  # the clock runs
    assert log_types(admin)[-2:] == ["ss", "s"]
    success = admin.get("/api/v2/logs", params={"q": 'type:"s"'}).json()[0]
    assert (success["user_id"], success["strategy"], success["strategy_type"]) == (GRACE_ID, "google-oauth2", "social")
    assert browser.session_cookie  # an SSO session like any login
    again = browser.authorize(connection="google-oauth2")
    assert redirect_params(again)["code"]  # the session answers without the provider


def test_an_identity_registered_through_the_control_plane_signs_in(mock, admin):
    created = mock.control("POST", "/upstream-identities", {"connection": "google-oauth2", "email": "Ada@Gmail.test",
                                                           "name": "Ada Lovelace"})
    assert created["user_id"].isdigit() and created["email"] == "ada@gmail.test" and created["email_verified"]
    listed = mock.control("GET", "/upstream-identities?connection=google-oauth2")
    assert [identity["email"] for identity in listed] == ["grace@gmail.test", "ada@gmail.test"]
    browser = Browser(mock.url)
    location = browser.authorize(connection="google-oauth2", login_hint="ada@gmail.test").headers["Location"]
    code = follow_to_app(browser, location)["code"]
    sub = verify_id_token(mock.url, exchange_code(mock.url, code).json()["id_token"])["sub"]
    assert sub == f"google-oauth2|{created['user_id']}"


# --- the mock provider's page ----------------------------------------------------------------

def test_the_provider_page_is_marked_as_the_mock_and_lists_known_identities(mock):
    browser = Browser(mock.url)
    page = browser.get(provider_page(browser))
    assert page.status_code == 200
    assert "mockidp mock identity provider" in page.text and "not the real google-oauth2" in page.text
    assert "Grace Hopper" in page.text and "104425867201936412345" in page.text


def test_picking_an_identity_on_the_page_returns_to_the_application(mock, admin):
    browser = Browser(mock.url)
    location = provider_page(browser)
    answered = browser.post(location, data={"action": "pick", "identity": "104425867201936412345"})
    assert answered.headers["Location"].startswith("/login/callback?code=")
    code = follow_to_app(browser, answered.headers["Location"])["code"]
    assert verify_id_token(mock.url, exchange_code(mock.url, code).json()["id_token"])["sub"] == GRACE_ID


def test_a_typed_identity_becomes_a_new_social_user(mock, admin):
    browser = Browser(mock.url)
    location = provider_page(browser)
    answered = browser.post(location, data={"action": "new", "email": "lin@gmail.test", "name": "Lin",
                                            "user_id": "555", "email_verified": "true"})
    follow_to_app(browser, answered.headers["Location"])
    user = admin.get(user_path("google-oauth2|555")).json()
    assert (user["email"], user["name"], user["email_verified"]) == ("lin@gmail.test", "Lin", True)


def test_a_later_login_updates_the_profile_from_the_provider(mock, admin):
    for name in ("Grace Hopper", "Rear Admiral Grace Hopper"):
        mock.control("POST", "/upstream-identities", {"connection": "google-oauth2", "user_id": "104425867201936412345",
                                                     "email": "grace@gmail.test", "name": name})
        browser = Browser(mock.url)
        location = browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test").headers["Location"]
        follow_to_app(browser, location)
    user = admin.get(user_path(GRACE_ID)).json()
    assert (user["name"], user["logins_count"]) == ("Rear Admiral Grace Hopper", 2)
    assert log_types(admin).count("ss") == 1


def test_denying_at_the_provider_is_access_denied_for_the_application(mock, admin):
    browser = Browser(mock.url)
    answered = browser.post(provider_page(browser), data={"action": "deny"})
    params = follow_to_app(browser, answered.headers["Location"])
    assert params == {"error": "access_denied", "error_description": "User did not authorize the request",
                      "state": "state-1"}
    assert admin.get(user_path(GRACE_ID)).status_code == 404
    assert log_types(admin)[-1] == "f"


# --- bad input ---------------------------------------------------------------------------------

def test_a_replayed_callback_shows_an_error_page_and_logs_nobody_in_twice(mock, admin):
    browser = Browser(mock.url)
    callback = browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test").headers["Location"]
    follow_to_app(browser, callback)
    replayed = browser.get(callback)
    assert replayed.status_code == 400 and "couldn&#39;t find your session" in replayed.text
    assert admin.get(user_path(GRACE_ID)).json()["logins_count"] == 1


@pytest.mark.parametrize("tamper", ["state", "code"])
def test_a_tampered_callback_shows_an_error_page_and_creates_no_user(mock, admin, tamper):
    browser = Browser(mock.url)
    callback = browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test").headers["Location"]
    tampered = callback.replace(f"{tamper}=", f"{tamper}=X")
    response = browser.get(tampered)
    assert response.status_code == 400 and "invalid_request" in response.text
    assert admin.get(user_path(GRACE_ID)).status_code == 404
    if tamper == "code":  # a wrong code uses the login up (one guess); an unknown state names none
        assert browser.get(callback).status_code == 400
        assert admin.get(user_path(GRACE_ID)).status_code == 404


def test_the_provider_page_without_a_login_to_answer_is_an_error_page(mock):
    browser = Browser(mock.url)
    assert browser.get("/_mock/upstream/google-oauth2/authorize?state=nope").status_code == 400
    location = provider_page(browser)
    other = location.replace("/google-oauth2/", "/github/")  # the state belongs to another connection
    assert browser.get(other).status_code == 400


@pytest.mark.parametrize("connection,description", [
    ("facebook", "the connection was not found"),
    ("github", "the connection is not enabled"),  # enabled for the web app only
])
def test_unknown_or_disabled_connections_go_back_with_auth0s_error(mock, connection, description):
    params = redirect_params(Browser(mock.url).authorize(connection=connection))
    assert params == {"error": "invalid_request", "error_description": description, "state": "state-1"}


def test_a_connection_disabled_during_the_login_creates_no_user(mock, admin):
    browser = Browser(mock.url)
    location = provider_page(browser)
    google = admin.get("/api/v2/connections", params={"name": "google-oauth2"}).json()[0]
    assert admin.patch(f"/api/v2/connections/{google['id']}", json={"enabled_clients": []}).status_code == 200
    answered = browser.post(location, data={"action": "pick", "identity": "104425867201936412345"})
    params = follow_to_app(browser, answered.headers["Location"])
    assert params["error"] == "invalid_request" and params["error_description"] == "the connection is not enabled"
    assert admin.get(user_path(GRACE_ID)).status_code == 404


@pytest.mark.parametrize("body,error", [
    ({"connection": "nope", "email": "a@b.test"}, "unknown_connection"),
    ({"connection": "Username-Password-Authentication", "email": "a@b.test"}, "not_an_upstream_connection"),
    ({"connection": "google-oauth2", "emial": "a@b.test"}, "invalid_request"),
    ({"connection": "google-oauth2", "user_id": "google-oauth2|1"}, "invalid_request"),
    ({"connection": "google-oauth2", "attributes": {"user_id": "x"}}, "invalid_request"),
    ({"connection": "google-oauth2", "email_verified": "yes"}, "invalid_request"),
])
def test_registering_a_bad_upstream_identity_is_a_400(mock, anonymous, body, error):
    response = anonymous.post("/_mock/upstream-identities", json=body)
    assert response.status_code == 400 and response.json()["error"] == error
    assert len(mock.control("GET", "/upstream-identities")) == 1


# --- reset ------------------------------------------------------------------------------------

def test_reset_forgets_typed_identities_and_keeps_the_fixtures(mock):
    mock.control("POST", "/upstream-identities", {"connection": "google-oauth2", "email": "x@gmail.test"})
    mock.reset()
    assert [identity["email"] for identity in mock.control("GET", "/upstream-identities")] == ["grace@gmail.test"]


# --- the hosted login page's buttons ---------------------------------------------------------

def test_the_login_page_shows_a_button_per_social_connection_of_the_application(mock):
    browser = Browser(mock.url)
    page_path = browser.login_page()
    page = browser.get(page_path)
    assert "Continue with Google" in page.text
    assert "Continue with GitHub" not in page.text  # github is enabled for the web app only
    chosen = browser.post(page_path, data={"connection": "google-oauth2"})
    assert chosen.headers["Location"].startswith("/_mock/upstream/google-oauth2/authorize?state=")
    answered = browser.post(chosen.headers["Location"], data={"action": "pick", "identity": "104425867201936412345"})
    code = follow_to_app(browser, answered.headers["Location"])["code"]
    assert verify_id_token(mock.url, exchange_code(mock.url, code).json()["id_token"])["sub"] == GRACE_ID


def test_a_login_to_an_organization_shows_only_the_buttons_the_organization_enables(mock, admin):
    connections = {c["name"]: c["id"] for c in admin.get("/api/v2/connections").json()}
    shown = admin.post("/api/v2/organizations", json={"name": "with-google", "enabled_connections": [
        {"connection_id": connections["google-oauth2"]},
        {"connection_id": connections["Username-Password-Authentication"]}]}).json()
    hidden = admin.post("/api/v2/organizations", json={"name": "database-only", "enabled_connections": [
        {"connection_id": connections["Username-Password-Authentication"]},
        {"connection_id": connections["google-oauth2"], "show_as_button": False}]}).json()
    for organization, has_button in ((shown, True), (hidden, False)):
        browser = Browser(mock.url)
        page = browser.get(browser.login_page(organization=organization["id"]))
        assert ("Continue with Google" in page.text) is has_button


@pytest.mark.parametrize("connection", ["github", "Username-Password-Authentication", "nope"])
def test_a_button_for_a_connection_the_page_does_not_offer_is_refused(mock, connection):
    browser = Browser(mock.url)
    page_path = browser.login_page()
    refused = browser.post(page_path, data={"connection": connection})
    assert refused.status_code == 400 and "This connection is not available" in refused.text


# --- the control plane's next identity ------------------------------------------------------

def test_the_next_identity_answers_the_connections_next_login_once(mock, admin):
    chosen = mock.control("PUT", "/upstream/google-oauth2/next", {"email": "next@gmail.test", "user_id": "777"})
    assert chosen["user_id"] == "777"
    browser = Browser(mock.url)
    page_path = browser.login_page()  # through the page's button: no login_hint possible
    answered = browser.post(page_path, data={"connection": "google-oauth2"})
    assert answered.headers["Location"].startswith("/login/callback?code=")
    follow_to_app(browser, answered.headers["Location"])
    assert admin.get(user_path("google-oauth2|777")).json()["email"] == "next@gmail.test"
    assert provider_page(Browser(mock.url))  # used once: the page again
    mock.control("PUT", "/upstream/google-oauth2/next", {"user_id": "104425867201936412345"})
    mock.control("DELETE", "/upstream/google-oauth2/next")
    assert provider_page(Browser(mock.url))


@pytest.mark.parametrize("connection,body,status", [
    ("google-oauth2", {"user_id": "404"}, 404),
    ("google-oauth2", {}, 400),
    ("Username-Password-Authentication", {"user_id": "1"}, 400),
])
def test_a_bad_next_identity_is_refused(mock, anonymous, connection, body, status):
    response = anonymous.put(f"/_mock/upstream/{connection}/next", json=body)
    assert response.status_code == status, response.text
    assert provider_page(Browser(mock.url))


def test_an_application_with_only_social_connections_gets_only_the_buttons(mock, admin):
    database = admin.get("/api/v2/connections", params={"name": "Username-Password-Authentication"}).json()[0]
    changed = admin.patch(f"/api/v2/connections/{database['id']}/clients",
                          json=[{"client_id": SPA_ID, "status": False}])
    assert changed.status_code == 204, changed.text
    browser = Browser(mock.url)
    page_path = browser.login_page()
    page = browser.get(page_path)
    assert page.status_code == 200 and "Continue with Google" in page.text
    assert 'name="password"' not in page.text and "Sign up" not in page.text
    assert browser.post(page_path, data={"username": ALICE[0], "password": ALICE[1]}).status_code == 400
    chosen = browser.post(page_path, data={"connection": "google-oauth2"})
    assert chosen.headers["Location"].startswith("/_mock/upstream/google-oauth2/authorize?state=")
