"""Seed 004: invite an admin-created user with one email that verifies the address and sets the
password. The forum's recipe: the verification and welcome emails off, and a post-user-registration
hook that requests the change-password email with node-auth0's AuthenticationClient.

Everything as a user of Auth0 does it: the Action (the thread's hook ported to an Action, node-auth0
v7's AuthenticationClient from `auth0/legacy`) is created, deployed and bound with auth0-python; the
admin creates the user with auth0-python; the Action runs asynchronously and calls mockidp's
/dbconnections/change_password over HTTPS; the user follows the emailed link and signs in.
"""
from __future__ import annotations

import json

import pytest
import requests
from action_helpers import install_action, management_sdk
from auth0.management import ManagementClient
from conftest import Api
from email_helpers import install_template, outbox, submit_password
from npm_packages import node_sdk_modules
from oauth_helpers import WEB_ID, WEB_SECRET, Browser, exchange_code, verify_id_token

CONNECTION = "Username-Password-Authentication"
EMAIL, TEMPORARY, CHOSEN = "new.hire@example.com", "Temp0rary-Pass!", "Chosen-pass-2!"

# The thread's hook as a post-user-registration Action: same client, same request, same connection.
INVITE = """
exports.onExecutePostUserRegistration = async (event) => {
  const { AuthenticationClient } = require('auth0/legacy');
  const authClient = new AuthenticationClient({
    domain: event.secrets.DOMAIN,
    clientId: event.secrets.CLIENT_ID,
    clientSecret: event.secrets.CLIENT_SECRET,
  });
  await authClient.database.changePassword({ email: event.user.email, connection: event.connection.name });
  console.log('invited ' + event.user.user_id);
};
"""


@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    monkeypatch.setenv("MOCKIDP_ACTIONS_MODULES", str(node_sdk_modules()))
    return management_sdk(mockidp, monkeypatch)


def install_invitation(sdk: ManagementClient, mockidp, api: Api) -> None:
    install_template(api, "verify_email", enabled=False)   # the thread's step 1
    install_template(api, "welcome_email", enabled=False)
    install_action(sdk, "send-invitation", INVITE, trigger="post-user-registration", version="v2",
                   dependencies=[{"name": "auth0", "version": "7.1.0"}],
                   secrets=[{"name": "DOMAIN", "value": mockidp.domain},
                            {"name": "CLIENT_ID", "value": WEB_ID},
                            {"name": "CLIENT_SECRET", "value": WEB_SECRET}])


def test_an_admin_created_user_gets_one_email_that_verifies_and_sets_the_password(sdk, mockidp, api, anonymous):
    install_invitation(sdk, mockidp, api)
    user = sdk.users.create(connection=CONNECTION, email=EMAIL, password=TEMPORARY)  # by the admin
    assert user.email_verified is False

    mockidp.wait_for_actions()
    [execution] = mockidp.action_executions()
    assert (execution["trigger_id"], execution["status"]) == ("post-user-registration", "final"), execution["error"]
    assert execution["logs"] == [f"invited {user.user_id}"]
    [message] = outbox(anonymous, to=EMAIL)  # the only email: no verification, no welcome
    assert message["template"] == "reset_email"

    done = submit_password(anonymous, message["url"], CHOSEN)
    assert done.status_code == 200 and "Password Changed!" in done.text
    assert sdk.users.get(user.user_id).email_verified is True  # the link proved the address
    assert len(outbox(anonymous)) == 1

    browser = Browser(mockidp.url)
    refused = browser.post(browser.login_page(), data={"username": EMAIL, "password": TEMPORARY})
    assert refused.status_code == 400 and "Wrong email or password" in refused.text  # the temporary one is gone
    signed_in = browser.sign_in(EMAIL, CHOSEN)
    tokens = exchange_code(mockidp.url, signed_in["code"]).json()
    claims = verify_id_token(mockidp.url, tokens["id_token"], nonce="nonce-1")
    assert claims["email"] == EMAIL and claims["email_verified"] is True


def test_the_action_sees_the_created_user_and_the_admin_request(sdk, mockidp, api):
    install_action(sdk, "show-event", """
exports.onExecutePostUserRegistration = async (event, api) => {
  console.log(JSON.stringify({user: event.user, connection: event.connection.name, body: event.request.body,
                              method: event.request.method, api: Object.keys(api)}));
};""", trigger="post-user-registration", version="v2")
    user = sdk.users.create(connection=CONNECTION, email=EMAIL, password=TEMPORARY,
                            user_metadata={"team": "blue"})
    mockidp.wait_for_actions()
    [execution] = mockidp.action_executions()
    seen = json.loads(execution["logs"][0])
    assert seen["user"]["user_id"] == user.user_id and seen["user"]["user_metadata"] == {"team": "blue"}
    stored = api.get(f"/api/v2/users/{user.user_id}").json()
    assert seen["user"]["app_metadata"] == {} and seen["user"]["created_at"] == stored["created_at"]
    assert seen["connection"] == CONNECTION and seen["method"] == "POST" and seen["api"] == ["cache"]
    assert seen["body"]["email"] == EMAIL and "password" not in seen["body"]


def test_a_failing_action_never_fails_the_creation(sdk, mockidp, api):
    install_action(sdk, "broken", "exports.onExecutePostUserRegistration = async () => { throw new Error('boom'); };",
                   trigger="post-user-registration", version="v2")
    install_action(sdk, "no-handler", "exports.somethingElse = 1;", trigger="post-user-registration", version="v2")
    install_action(sdk, "syntax", "exports.onExecutePostUserRegistration = async ( => {};",
                   trigger="post-user-registration", version="v2")
    created = api.post("/api/v2/users", json={"connection": CONNECTION, "email": EMAIL, "password": TEMPORARY})
    assert created.status_code == 201
    mockidp.wait_for_actions()
    failed = mockidp.action_executions()
    assert [(run["action_name"], run["status"]) for run in failed] == \
        [("broken", "failed"), ("no-handler", "failed"), ("syntax", "failed")]
    assert failed[0]["error"]["message"] == "boom"
    assert failed[1]["error"]["message"] == "exports.onExecutePostUserRegistration is not a function"
    assert failed[2]["error"]["name"] == "SyntaxError"
    logged = api.get("/api/v2/logs", params={"q": 'type:"actions_execution_failed"'}).json()
    assert len(logged) == 3


def test_a_public_signup_runs_it_too(sdk, mockidp, anonymous):
    install_action(sdk, "count", "exports.onExecutePostUserRegistration = async (e) => console.log(e.user.email);",
                   trigger="post-user-registration", version="v2")
    signed_up = requests.post(f"{mockidp.url}/dbconnections/signup", timeout=30, json={
        "client_id": WEB_ID, "connection": CONNECTION, "email": "self@example.com", "password": CHOSEN})
    assert signed_up.status_code == 200, signed_up.text
    mockidp.wait_for_actions()
    assert [run["logs"] for run in mockidp.action_executions()] == [["self@example.com"]]
