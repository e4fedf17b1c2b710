"""Seed 003: force a new user to change their password on the first login, with a post-login
Action (deny on the first login, remember it in app_metadata) and a post-change-password Action
(clear the flag through the Management API, with node-auth0's ManagementClient).

Everything a user of Auth0 would do: the Actions are created, deployed and bound with the
official auth0-python SDK over HTTPS, the user signs in through /authorize and the hosted login
page, resets the password from the emailed link, and the post-change-password Action really runs
node-auth0 against mockidp's Management API over HTTPS (trusting mockidp's CA).
"""
from __future__ import annotations

import re
from html import unescape

import pytest
import requests
from action_helpers import FORUM_POST_LOGIN, install_action
from auth0.management import ManagementClient
from npm_packages import node_sdk_modules
from oauth_helpers import Browser, exchange_code, verify_id_token

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

CONNECTION = "Username-Password-Authentication"
EMAIL, PASSWORD, NEW_PASSWORD = "invited@example.com", "Initial-pass-1!", "Chosen-pass-2!"

# The forum post's post-login Action with its two bugs fixed (see the last test for the original):
# setAppMetadata takes (key, value), and the flag is read from event.user.
POST_LOGIN = """
exports.onExecutePostLogin = async (event, api) => {
  if (event.stats.logins_count === 1) {
    api.user.setAppMetadata('needsPasswordReset', true);
    return api.access.deny('Please reset your password!');
  }
  if (event.user.app_metadata.needsPasswordReset === true) {
    return api.access.deny('Please reset your password!');
  }
};
"""

# The forum post's post-change-password Action, in node-auth0 v5+'s API (what `auth0` installs today).
POST_CHANGE_PASSWORD = """
exports.onExecutePostChangePassword = async (event) => {
  const { ManagementClient } = require('auth0');
  const management = new ManagementClient({
    domain: event.secrets.DOMAIN,
    clientId: event.secrets.CLIENT_ID,
    clientSecret: event.secrets.CLIENT_SECRET,
  });
  await management.users.update(event.user.user_id, { app_metadata: { needsPasswordReset: false } });
  console.log('cleared needsPasswordReset for ' + event.user.user_id);
};
"""



@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    monkeypatch.setenv("MOCKIDP_ACTIONS_MODULES", str(node_sdk_modules()))
    return ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def install_recipe(sdk: ManagementClient, mockidp) -> None:
    install_action(sdk, "force-password-reset", POST_LOGIN)
    install_action(sdk, "clear-password-reset-flag", POST_CHANGE_PASSWORD,
                   trigger="post-change-password", version="v2",
                   dependencies=[{"name": "auth0", "version": "7.1.0"}],
                   secrets=[{"name": "DOMAIN", "value": mockidp.domain},
                            {"name": "CLIENT_ID", "value": DEFAULT_M2M_CLIENT_ID},
                            {"name": "CLIENT_SECRET", "value": DEFAULT_M2M_CLIENT_SECRET}])


def reset_password(browser: Browser, mockidp) -> None:
    """Forgot password on the hosted login page, then the emailed link."""
    login = browser.login_page()
    forgot = unescape(re.search(r'href="(/u/reset-password/request/[^"]+)"', browser.get(login).text).group(1))
    assert browser.post(forgot, data={"email": EMAIL}).status_code == 200
    link = mockidp.outbox(to=EMAIL, template="reset_email")[-1]["url"].split("#", 1)[0]
    changed = requests.post(link, data={"password": NEW_PASSWORD, "re-enter-password": NEW_PASSWORD}, timeout=30)
    assert changed.status_code == 200 and "Password Changed!" in changed.text


def test_first_login_is_denied_until_the_password_is_changed(sdk, mockidp):
    install_recipe(sdk, mockidp)
    user = sdk.users.create(connection=CONNECTION, email=EMAIL, password=PASSWORD, email_verified=True)
    browser = Browser(mockidp.url)

    denied = browser.sign_in(EMAIL, PASSWORD)
    assert denied == {"error": "access_denied", "error_description": "Please reset your password!",
                      "state": "state-1"}
    after_first = sdk.users.get(user.user_id)
    assert after_first.app_metadata == {"needsPasswordReset": True}
    assert after_first.logins_count == 1  # a denied login still counts, as in Auth0
    assert browser.session_cookie is None  # no session for a denied login
    events = requests.get(f"{mockidp.url}/api/v2/users/{user.user_id}/logs", timeout=30,
                          headers={"Authorization": f"Bearer {mockidp.management_token()}"}).json()
    assert [(event["type"], event["description"]) for event in events if event["type"] == "f"] == \
        [("f", "Please reset your password!")]

    assert browser.sign_in(EMAIL, PASSWORD)["error_description"] == "Please reset your password!"

    reset_password(browser, mockidp)
    mockidp.wait_for_actions()
    assert sdk.users.get(user.user_id).app_metadata == {"needsPasswordReset": False}, mockidp.action_executions()[-1]["error"]
    execution = mockidp.action_executions()[-1]
    assert execution["action_name"] == "clear-password-reset-flag" and execution["status"] == "final"
    assert execution["logs"] == [f"cleared needsPasswordReset for {user.user_id}"]

    signed_in = browser.sign_in(EMAIL, NEW_PASSWORD)
    tokens = exchange_code(mockidp.url, signed_in["code"]).json()
    assert verify_id_token(mockidp.url, tokens["id_token"], nonce="nonce-1")["email"] == EMAIL
    assert sdk.users.get(user.user_id).logins_count == 3  # two denied, one signed in


def test_logging_in_before_the_async_action_finished_is_still_denied(sdk, mockidp):
    """Auth0 runs post-change-password asynchronously: hold the Action's PATCH with a barrier and
    the race a real user can hit (signing in right after the reset) happens every time."""
    install_recipe(sdk, mockidp)
    user = sdk.users.create(connection=CONNECTION, email=EMAIL, password=PASSWORD, email_verified=True)
    browser = Browser(mockidp.url)
    browser.sign_in(EMAIL, PASSWORD)
    gate = requests.post(f"{mockidp.url}/_mock/barriers", timeout=30,
                         json={"method": "PATCH", "path": f"/api/v2/users/{user.user_id}"}).json()

    reset_password(browser, mockidp)
    held = requests.get(f"{mockidp.url}/_mock/barriers/{gate['id']}?wait_for_held=1&timeout_ms=20000", timeout=30)
    assert held.status_code == 200, held.text
    assert browser.sign_in(EMAIL, NEW_PASSWORD)["error"] == "access_denied"  # flag not cleared yet

    requests.post(f"{mockidp.url}/_mock/barriers/{gate['id']}/release", json={}, timeout=30)
    mockidp.wait_for_actions()
    assert "code" in browser.sign_in(EMAIL, NEW_PASSWORD)


def test_the_password_grant_gets_a_403_from_the_same_action(sdk, mockidp):
    install_recipe(sdk, mockidp)
    sdk.users.create(connection=CONNECTION, email=EMAIL, password=PASSWORD, email_verified=True)
    response = requests.post(f"{mockidp.url}/oauth/token", timeout=30, data={
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": CONNECTION,
        "username": EMAIL, "password": PASSWORD, "scope": "openid",
        "client_id": "mockidpWebClient0000000000000000",
        "client_secret": "mockidp-web-secret-0000000000000000000000000000000000000000000000"})
    assert response.status_code == 403
    assert response.json() == {"error": "access_denied", "error_description": "Please reset your password!"}


def test_the_forum_code_as_written_locks_the_user_out(sdk, mockidp):
    """What the forum's code really does on Auth0: setAppMetadata(user_id, {...}) stores the flag
    under the user id, and the second login throws on the undefined `userData`, which Auth0 turns
    into access_denied with the error's message. mockidp reproduces both."""
    install_action(sdk, "forum-recipe", FORUM_POST_LOGIN)
    user = sdk.users.create(connection=CONNECTION, email=EMAIL, password=PASSWORD, email_verified=True)
    browser = Browser(mockidp.url)

    assert browser.sign_in(EMAIL, PASSWORD)["error_description"] == "Please reset your password!"
    assert sdk.users.get(user.user_id).app_metadata == {user.user_id: {"needsPasswordReset": True}}
    second = browser.sign_in(EMAIL, PASSWORD)
    assert second["error"] == "access_denied" and second["error_description"] == "userData is not defined"
    failed = mockidp.action_executions()[-1]
    assert failed["status"] == "failed" and failed["error"]["name"] == "ReferenceError"
