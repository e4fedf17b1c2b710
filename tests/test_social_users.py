"""Social users as the rest of mockidp sees them: connections created through the Management API,
account linking with a database user (seed 002's thread with a social identity), post-login
Actions' event, the provider's tokens behind read:user_idp_tokens, updates, search, deletion and
blocking."""
from __future__ import annotations

from oauth_helpers import ALICE, SPA_ID, Browser, exchange_code, verify_id_token
from upstream_helpers import (  # noqa: F401 - server, mock, admin and reader are fixtures
    GRACE_ID,
    admin,
    follow_to_app,
    log_types,
    mock,
    reader,
    server,
    user_path,
)


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
