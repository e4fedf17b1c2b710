"""Social sign-in through mockidp's mock upstream provider, driven over HTTP as a browser would:
/authorize?connection=google-oauth2 → the mock provider's page (or straight back with login_hint)
→ /login/callback → the application, and the Auth0-shaped social user that results. Bad input
(denied, replayed or tampered callbacks, unknown or disabled connections) gets Auth0's errors and
creates no user."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import Api
from oauth_helpers import ALICE, SPA_ID, Browser, exchange_code, redirect_params, verify_id_token
from upstream_helpers import follow_to_app

from mockidp.testing import MockIdPServer

DEFAULT_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "default.yaml"
SOCIAL_FIXTURE = """
connections:
  - name: google-oauth2
    strategy: google-oauth2
    enabled_clients: [mockidp SPA, mockidp Web App]
    options: {email: true, profile: true, scope: [email, profile]}
  - name: github
    strategy: github
    enabled_clients: [mockidp Web App]
    options: {email: true}
upstreamIdentities:
  - connection: google-oauth2
    user_id: "104425867201936412345"
    email: Grace@Gmail.test
    name: Grace Hopper
    given_name: Grace
    family_name: Hopper
    attributes: {locale: en}
"""
GRACE_ID = "google-oauth2|104425867201936412345"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    social = tmp_path_factory.mktemp("social") / "social.yaml"
    social.write_text(SOCIAL_FIXTURE)
    started = MockIdPServer(fixtures=[DEFAULT_FIXTURE, social], tls=False)
    yield started
    started.stop()


@pytest.fixture
def mock(server):
    server.reset()
    return server


@pytest.fixture
def admin(mock) -> Api:
    return Api(mock.url, mock.management_token())


@pytest.fixture
def anonymous(mock) -> Api:
    """This module's server without a token (conftest's talks to the default server)."""
    return Api(mock.url)


@pytest.fixture
def reader(mock) -> Api:
    """A Management API token without read:user_idp_tokens."""
    return Api(mock.url, mock.management_token(scope="read:users"))


def user_path(user_id: str) -> str:
    return "/api/v2/users/" + quote(user_id, safe="")


def provider_page(browser: Browser, **params) -> str:
    response = browser.authorize(connection="google-oauth2", **params)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith("/_mock/upstream/google-oauth2/authorize?state="), location
    return location


def log_types(admin: Api) -> list[str]:
    """The login events (signup, success, failure) in order."""
    events = admin.get("/api/v2/logs", params={"sort": "date:1"}).json()
    return [event["type"] for event in events if event["type"] in ("ss", "s", "f")]


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
    assert user["logins_count"] == 1 and user["last_login"] == user["created_at"]
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


# --- connections through the Management API ------------------------------------------------

def test_a_social_connection_created_through_the_management_api_signs_users_in(mock, admin, reader):
    body = {"name": "my-github", "strategy": "github", "options": {"email": True, "scope": ["user:email"]},
            "enabled_clients": [SPA_ID]}
    created = admin.post("/api/v2/connections", json=body)
    assert created.status_code == 201, created.text
    connection = created.json()
    assert (connection["strategy"], connection["options"], connection["realms"]) == \
        ("github", {"email": True, "scope": ["user:email"]}, ["my-github"])
    mock.control("POST", "/upstream-identities", {"connection": "my-github", "user_id": "9919", "email": "oct@cat.test",
                                                 "nickname": "octocat"})
    browser = Browser(mock.url)
    location = browser.authorize(connection="my-github", login_hint="9919").headers["Location"]
    follow_to_app(browser, location)
    user = reader.get(user_path("github|9919")).json()
    assert user["identities"][0] == {"provider": "github", "user_id": "9919", "connection": "my-github",
                                     "isSocial": True}
    assert user["nickname"] == "octocat"


def test_reset_forgets_typed_identities_and_keeps_the_fixtures(mock):
    mock.control("POST", "/upstream-identities", {"connection": "google-oauth2", "email": "x@gmail.test"})
    mock.reset()
    assert [identity["email"] for identity in mock.control("GET", "/upstream-identities")] == ["grace@gmail.test"]


# --- account linking (seed 002's thread, with a social identity) -----------------------------

def test_a_social_identity_linked_to_a_database_user_signs_the_primary_in(mock, admin):
    browser = Browser(mock.url)
    location = browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test").headers["Location"]
    follow_to_app(browser, location)  # the social user exists once it has logged in
    alice = admin.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]
    linked = admin.post(user_path(alice["user_id"]) + "/identities",
                        json={"provider": "google-oauth2", "user_id": "104425867201936412345"})
    assert linked.status_code == 201, linked.text
    assert linked.json()[1]["provider"] == "google-oauth2" and linked.json()[1]["isSocial"] is True
    assert linked.json()[1]["profileData"]["email"] == "grace@gmail.test"
    assert admin.get(user_path(GRACE_ID)).status_code == 404  # no longer a standalone user
    social = Browser(mock.url)
    code = follow_to_app(social, social.authorize(connection="google-oauth2",
                                                  login_hint="grace@gmail.test").headers["Location"])["code"]
    password = Browser(mock.url).sign_in(*ALICE)["code"]
    subs = [verify_id_token(mock.url, exchange_code(mock.url, c).json()["id_token"])["sub"] for c in (code, password)]
    assert subs == [alice["user_id"], alice["user_id"]]


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


@pytest.mark.parametrize("connection", ["github", "Username-Password-Authentication", "nope"])
def test_a_button_for_a_connection_the_page_does_not_offer_is_refused(mock, connection):
    browser = Browser(mock.url)
    page_path = browser.login_page()
    refused = browser.post(page_path, data={"connection": connection})
    assert refused.status_code == 400 and "This connection is not available" in refused.text


# --- post-login Actions ------------------------------------------------------------------------

CLAIMS_ACTION = """
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://mockidp.test/strategy', event.connection.strategy);
  api.idToken.setCustomClaim('https://mockidp.test/identities', event.user.identities);
  api.idToken.setCustomClaim('https://mockidp.test/method', event.authentication.methods[0].name);
};
"""


def test_post_login_actions_see_the_social_connection_and_identities(mock, admin):
    action = admin.post("/api/v2/actions/actions", json={
        "name": "social-claims", "code": CLAIMS_ACTION, "supported_triggers": [{"id": "post-login", "version": "v3"}]})
    assert action.status_code == 201, action.text
    assert admin.post(f"/api/v2/actions/actions/{action.json()['id']}/deploy").status_code == 200
    bound = admin.patch("/api/v2/actions/triggers/post-login/bindings", json={"bindings": [
        {"ref": {"type": "action_name", "value": "social-claims"}, "display_name": "social-claims"}]})
    assert bound.status_code == 200, bound.text
    browser = Browser(mock.url)
    location = browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test").headers["Location"]
    claims = verify_id_token(mock.url, exchange_code(mock.url, follow_to_app(browser, location)["code"]).json()["id_token"])
    assert claims["https://mockidp.test/strategy"] == "google-oauth2"
    assert claims["https://mockidp.test/method"] == "federated"
    assert claims["https://mockidp.test/identities"] == [
        {"provider": "google-oauth2", "user_id": "104425867201936412345", "connection": "google-oauth2",
         "isSocial": True}]


# --- the provider's tokens ---------------------------------------------------------------------

def test_idp_tokens_are_shown_only_with_read_user_idp_tokens_and_renewed_at_each_login(mock, admin, reader):
    tokens = []
    for _ in range(2):
        browser = Browser(mock.url)
        follow_to_app(browser, browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test")
                      .headers["Location"])
        identity = admin.get(user_path(GRACE_ID)).json()["identities"][0]
        assert identity["expires_in"] == 3599
        tokens.append(identity["access_token"])
    assert tokens[0] != tokens[1]
    for shown in (reader.get(user_path(GRACE_ID)).json(), reader.get("/api/v2/users").json()[-1],
                  reader.get("/api/v2/users-by-email", params={"email": "grace@gmail.test"}).json()[0]):
        assert shown["user_id"] == GRACE_ID and "access_token" not in shown["identities"][0]
    assert admin.get("/api/v2/users").json()[-1]["identities"][0]["access_token"] == tokens[1]


# --- social users through the Management API -----------------------------------------------

def test_a_social_user_is_updated_searched_and_deleted_like_any_user(mock, admin):
    browser = Browser(mock.url)
    follow_to_app(browser, browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test")
                  .headers["Location"])
    patched = admin.patch(user_path(GRACE_ID), json={"app_metadata": {"plan": "pro"}, "blocked": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["app_metadata"] == {"plan": "pro"}
    for credential in ({"password": "Sup3r$ecret!x"}, {"username": "grace"}):
        refused = admin.patch(user_path(GRACE_ID), json=credential)
        assert refused.status_code == 400
        assert refused.json()["message"].startswith("Cannot update ") and "non-database" in refused.json()["message"]
    found = admin.get("/api/v2/users", params={"q": 'identities.connection:"google-oauth2"', "search_engine": "v3"})
    assert [user["user_id"] for user in found.json()] == [GRACE_ID]
    assert admin.delete(user_path(GRACE_ID)).status_code == 204
    assert admin.get(user_path(GRACE_ID)).status_code == 404


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


def test_a_blocked_social_user_is_sent_back_unauthorized(mock, admin):
    browser = Browser(mock.url)
    follow_to_app(browser, browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test")
                  .headers["Location"])
    assert admin.patch(user_path(GRACE_ID), json={"blocked": True}).status_code == 200
    again = Browser(mock.url)
    params = follow_to_app(again, again.authorize(connection="google-oauth2", login_hint="grace@gmail.test")
                           .headers["Location"])
    assert (params["error"], params["error_description"]) == ("unauthorized", "user is blocked")
    assert log_types(admin)[-1] == "f" and not again.session_cookie


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


def test_an_unlinked_social_identity_signs_itself_in_again(mock, admin):
    browser = Browser(mock.url)
    follow_to_app(browser, browser.authorize(connection="google-oauth2", login_hint="grace@gmail.test")
                  .headers["Location"])
    alice = admin.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]
    identities_path = user_path(alice["user_id"]) + "/identities"
    assert admin.post(identities_path, json={"provider": "google-oauth2", "user_id": GRACE_ID}).status_code == 201
    unlinked = admin.delete(identities_path + "/google-oauth2/104425867201936412345")
    assert unlinked.status_code == 200 and len(unlinked.json()) == 1
    again = Browser(mock.url)
    code = follow_to_app(again, again.authorize(connection="google-oauth2", login_hint="grace@gmail.test")
                         .headers["Location"])["code"]
    assert verify_id_token(mock.url, exchange_code(mock.url, code).json()["id_token"])["sub"] == GRACE_ID
    assert admin.get(user_path(GRACE_ID)).json()["logins_count"] == 2
