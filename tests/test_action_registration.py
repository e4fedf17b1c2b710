"""pre-user-registration: what docs/actions.md promises. It runs before a database signup (the
hosted signup page and POST /dbconnections/signup), never for an administrator's POST /api/v2/users;
`api.access.deny(reason, userMessage)` refuses the signup (the page shows the userMessage, the API
answers its envelope, the tenant log keeps the reason) and creates no user; `api.user.set*Metadata`
go into the created user; a failing Action refuses the signup rather than answering 500.

Actions are installed with auth0-python over HTTPS and run in Node, as in tests/test_action_triggers.py.
"""
from __future__ import annotations

import json
from html import unescape

import pytest
import requests
from action_helpers import install_action, management_sdk
from auth0.management import ManagementClient
from conftest import Api
from oauth_helpers import WEB_ID, Browser, redirect_params

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Sign-up-pass-1!"

# Auth0's documented use case, by email domain instead of geoip (mockidp has no geoip).
DENY_DOMAIN = """
exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith('@blocked.example')) {
    api.access.deny('signup_from_blocked_domain', 'Sign-ups from this domain are not allowed.');
  }
};
"""


@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    return management_sdk(mockidp, monkeypatch)


def install(sdk: ManagementClient, name: str, code: str) -> str:
    return install_action(sdk, name, code, trigger="pre-user-registration", version="v2")


def signup(mockidp, email: str, **extra) -> requests.Response:
    return requests.post(f"{mockidp.url}/dbconnections/signup", timeout=30, json={
        "client_id": WEB_ID, "connection": CONNECTION, "email": email, "password": PASSWORD, **extra})


def users_with_email(api: Api, email: str) -> list:
    return api.get("/api/v2/users-by-email", params={"email": email}).json()


def test_the_hosted_signup_page_shows_the_user_message_and_creates_no_user(mockidp, sdk, api):
    install(sdk, "deny-domain", DENY_DOMAIN)
    browser = Browser(mockidp.url)
    page = browser.authorize(screen_hint="signup").headers["Location"]
    refused = browser.post(page, data={"email": "eve@blocked.example", "password": PASSWORD})
    assert refused.status_code == 400
    assert "Sign-ups from this domain are not allowed." in unescape(refused.text)
    assert 'name="email"' in refused.text  # the form again, to try another address
    assert users_with_email(api, "eve@blocked.example") == []
    assert browser.session_cookie is None

    [failed] = api.get("/api/v2/logs", params={"q": 'type:"fs"'}).json()
    assert failed["description"] == "signup_from_blocked_domain"  # the internal reason, as Auth0
    execution = mockidp.action_executions()[-1]
    assert execution["trigger_id"] == "pre-user-registration" and execution["status"] == "final"
    assert execution["commands"][0] == {"op": "access.deny", "reason": "signup_from_blocked_domain",
                                        "userMessage": "Sign-ups from this domain are not allowed."}

    allowed = redirect_params(browser.post(page, data={"email": "ann@fine.example", "password": PASSWORD}))
    assert "code" in allowed and len(users_with_email(api, "ann@fine.example")) == 1


def test_the_signup_endpoint_answers_the_extensibility_error(mockidp, sdk, api):
    install(sdk, "deny-domain", DENY_DOMAIN)
    refused = signup(mockidp, "eve@blocked.example")
    assert refused.status_code == 400
    assert refused.json() == {"name": "BadRequestError", "code": "extensibility_error",
                              "description": "Sign-ups from this domain are not allowed.", "statusCode": 400}
    assert users_with_email(api, "eve@blocked.example") == []


def test_metadata_set_by_the_actions_is_in_the_created_user(mockidp, sdk, api):
    install(sdk, "enrich", """
exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setUserMetadata('screen_name', event.user.email.split('@')[0]);
  api.user.setAppMetadata('plan', 'trial');
  console.log(JSON.stringify(event));
};""")
    install(sdk, "sees-the-first", """
exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setAppMetadata('seen_plan', event.user.app_metadata.plan);
};""")
    created = signup(mockidp, "ann@fine.example", user_metadata={"lang": "fr"})
    assert created.status_code == 200, created.text
    [user] = users_with_email(api, "ann@fine.example")
    assert user["user_metadata"] == {"lang": "fr", "screen_name": "ann"}
    assert user["app_metadata"] == {"plan": "trial", "seen_plan": "trial"}

    event = json.loads(mockidp.action_executions()[0]["logs"][0])
    assert "user_id" not in event["user"] and event["user"]["email"] == "ann@fine.example"
    assert event["user"]["user_metadata"] == {"lang": "fr"} and event["user"]["app_metadata"] == {}
    assert event["client"]["client_id"] == WEB_ID and event["connection"]["name"] == CONNECTION
    assert event["request"]["method"] == "POST" and "password" not in event["request"]["body"]
    assert PASSWORD not in json.dumps(event)


def test_an_administrator_creating_a_user_does_not_run_it(mockidp, sdk, api):
    install(sdk, "deny-all", "exports.onExecutePreUserRegistration = async (e, api) => api.access.deny('no', 'No.');")
    created = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "eve@blocked.example",
                                              "password": PASSWORD})
    assert created.status_code == 201
    assert mockidp.action_executions() == []


@pytest.mark.parametrize("code, message", [
    ("exports.onExecutePreUserRegistration = async () => { throw new Error('lookup failed'); };", "lookup failed"),
    ("exports.onExecutePreUserRegistration = async ( => {};", None),
    ("exports.other = 1;", "exports.onExecutePreUserRegistration is not a function"),
])
def test_a_failing_action_refuses_the_signup_without_a_500(mockidp, sdk, api, code, message):
    install(sdk, "broken", code)
    refused = signup(mockidp, "ann@fine.example")
    assert refused.status_code == 400 and refused.json()["code"] == "extensibility_error"
    if message is not None:
        assert refused.json()["description"] == message
    assert users_with_email(api, "ann@fine.example") == []
    assert mockidp.action_executions()[-1]["status"] == "failed"


def test_validation_error_refuses_with_its_code(mockidp, sdk, api):
    install(sdk, "validate", """
exports.onExecutePreUserRegistration = async (event, api) => {
  api.validation.error('invalid_username', 'Pick another name.');
};""")
    refused = signup(mockidp, "ann@fine.example")
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["description"]) == ("invalid_username", "Pick another name.")
    assert users_with_email(api, "ann@fine.example") == []


@pytest.mark.parametrize("code, message", [
    ("exports.onExecutePreUserRegistration = () => new Promise(() => {});",  # nothing left to run: Node exits
     "The Action never completed: its promise never settled"),
    ("exports.onExecutePreUserRegistration = () => { setInterval(() => {}, 1000); return new Promise(() => {}); };",
     "Script execution time limit exceeded"),
], ids=["settles-never", "keeps-running"])
def test_an_action_that_never_resolves_refuses_the_signup_in_time(mockidp, sdk, api, monkeypatch, code, message):
    monkeypatch.setattr("mockidp.core.actions.executions.TRIGGER_TIME_LIMIT_S", 3.0)  # Auth0's is 20 s
    install(sdk, "hangs", code)
    refused = signup(mockidp, "ann@fine.example")
    assert refused.status_code == 400 and refused.json()["code"] == "extensibility_error"
    assert refused.json()["description"].startswith(message)
    assert users_with_email(api, "ann@fine.example") == []
    assert mockidp.action_executions()[-1]["status"] == "failed"
