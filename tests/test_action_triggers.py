"""What docs/actions.md promises about running post-login and post-change-password Actions, beyond
seed 003: custom claims in the tokens, several Actions in binding order and their metadata, errors,
the `event` an Action sees, SSO and silent logins, Node missing, a failing post-change-password,
the /_mock/actions control plane, Actions from fixture files, and deployed-versus-draft code.

Everything goes through what a user of Auth0 drives: Actions are created, deployed and bound with
the official auth0-python SDK over HTTPS, users sign in through /authorize and the hosted login
page (tests/oauth_helpers.py `Browser`) or the password-realm grant, and the Actions really run in
Node. Nothing sleeps: asynchronous Actions are awaited with POST /_mock/actions/wait.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from action_helpers import install_action
from auth0.management import ManagementClient
from conftest import Api
from jose import jwt
from oauth_helpers import (
    ALICE,
    REALM,
    SPA_ID,
    WEB_ID,
    WEB_SECRET,
    Browser,
    exchange_code,
    redirect_params,
    token_request,
    verify_id_token,
)

import mockidp as mockidp_package
from mockidp.testing import (
    DEFAULT_M2M_CLIENT_ID,
    DEFAULT_M2M_CLIENT_SECRET,
    MockIdPServer,
)

CONNECTION = "Username-Password-Authentication"
API_AUDIENCE = "https://api.example.com/"
DEFAULT_FIXTURE = Path(mockidp_package.__file__).parent / "fixtures" / "default.yaml"
NODE_MISSING = "mockidp cannot run Actions: no `node` executable found"

DUMP_EVENT = "exports.onExecutePostLogin = async (event, api) => { console.log(JSON.stringify(event)); };"


def deny(reason: str) -> str:
    return f"exports.onExecutePostLogin = async (event, api) => {{ api.access.deny({json.dumps(reason)}); }};"


# --- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    """auth0-python's ManagementClient over HTTPS, trusting mockidp's CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    return ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def sign_in(mockidp, credentials: tuple[str, str] = ALICE, browser: Browser | None = None,
            **params) -> dict[str, str]:
    """A browser login through the hosted page: what the SPA's callback receives."""
    return (browser or Browser(mockidp.url)).sign_in(*credentials, **params)


def password_grant(mockidp, credentials: tuple[str, str] = ALICE, **extra) -> requests.Response:
    username, password = credentials
    body = {"scope": "openid profile email", **extra}
    return token_request(mockidp.url, grant_type=REALM, realm=CONNECTION, username=username, password=password,
                         client_id=WEB_ID, client_secret=WEB_SECRET, **body)


def verify_access_token(base_url: str, token: str, audience: str) -> dict:
    jwks = requests.get(f"{base_url}/.well-known/jwks.json", timeout=30).json()
    return jwt.decode(token, jwks, algorithms=["RS256"], audience=audience, issuer=f"{base_url}/",
                      options={"verify_at_hash": False})


def executions_of(mockidp, name: str | None = None) -> list[dict]:
    return [e for e in mockidp.action_executions() if name is None or e["action_name"] == name]


def logged_event(execution: dict) -> dict:
    """The `event` an Action printed with console.log(JSON.stringify(event))."""
    assert execution["status"] == "final", execution["error"]
    assert len(execution["logs"]) == 1, execution["logs"]
    return json.loads(execution["logs"][0])


def tenant_logs(mockidp, event_type: str) -> list[dict]:
    response = Api(mockidp.url, mockidp.management_token()).get("/api/v2/logs", params={"per_page": 100})
    assert response.status_code == 200, response.text
    return [entry for entry in response.json() if entry["type"] == event_type]


def user_by_email(sdk: ManagementClient, email: str):
    users = sdk.users.list_users_by_email(email=email)
    assert len(users) == 1, users
    return sdk.users.get(users[0].user_id)


# --- 1. custom claims -----------------------------------------------------------------------------

CLAIMS = """
exports.onExecutePostLogin = async (event, api) => {
  console.log(event.transaction.protocol + ' ' + event.stats.logins_count);
  api.idToken.setCustomClaim('https://example.com/roles', ['admin']);
  api.accessToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan);
  api.idToken.setCustomClaim('sub', 'impostor');
  api.idToken.setCustomClaim('aud', 'someone-else');
  api.accessToken.setCustomClaim('sub', 'impostor');
  api.accessToken.setCustomClaim('aud', 'https://evil.example/');
  api.accessToken.setCustomClaim('scope', 'delete:everything');
  api.accessToken.setCustomClaim('permissions', ['delete:everything']);
  api.idToken.setCustomClaim('email', 'impostor@evil.example');
};
"""


@pytest.fixture
def claims_action(sdk):
    sdk.resource_servers.create(identifier=API_AUDIENCE, name="Example API", scopes=[{"value": "read:things"}],
                                allow_offline_access=True)
    install_action(sdk, "add-claims", CLAIMS)
    return user_by_email(sdk, ALICE[0]).user_id


def assert_claims(id_claims: dict, access_claims: dict, user_id: str, scope: str) -> None:
    assert id_claims["https://example.com/roles"] == ["admin"]
    assert "https://example.com/plan" not in id_claims
    assert access_claims["https://example.com/plan"] == "pro"
    assert "https://example.com/roles" not in access_claims
    assert id_claims["sub"] == access_claims["sub"] == user_id  # reserved claims are ignored
    assert access_claims["scope"] == scope
    assert "permissions" not in access_claims  # reserved, and not set by mockidp either (no RBAC)
    assert "email" not in id_claims  # OIDC standard claims are not an Action's to set


def test_custom_claims_reach_the_tokens_of_the_code_flow(mockidp, claims_action):
    params = sign_in(mockidp, audience=API_AUDIENCE, scope="openid profile read:things")
    tokens = exchange_code(mockidp.url, params["code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    id_claims = verify_id_token(mockidp.url, body["id_token"], nonce="nonce-1")  # aud is still the SPA
    access = verify_access_token(mockidp.url, body["access_token"], API_AUDIENCE)
    assert access["aud"] == [API_AUDIENCE, f"{mockidp.url}/userinfo"]
    assert_claims(id_claims, access, claims_action, "openid profile read:things")


def test_custom_claims_reach_the_tokens_of_the_password_realm_grant(mockidp, claims_action):
    response = password_grant(mockidp, audience=API_AUDIENCE, scope="openid read:things")
    assert response.status_code == 200, response.text
    body = response.json()
    id_claims = verify_id_token(mockidp.url, body["id_token"], audience=WEB_ID)
    access = verify_access_token(mockidp.url, body["access_token"], API_AUDIENCE)
    assert_claims(id_claims, access, claims_action, "openid read:things")


def test_a_refresh_token_exchange_runs_post_login_again_without_counting_a_login(mockidp, sdk, claims_action):
    params = sign_in(mockidp, audience=API_AUDIENCE, scope="openid read:things offline_access")
    refresh_token = exchange_code(mockidp.url, params["code"]).json()["refresh_token"]
    refreshed = token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID, refresh_token=refresh_token)
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    id_claims = verify_id_token(mockidp.url, body["id_token"])
    access = verify_access_token(mockidp.url, body["access_token"], API_AUDIENCE)
    assert_claims(id_claims, access, claims_action, "openid read:things offline_access")
    assert [e["logs"] for e in executions_of(mockidp, "add-claims")] == [["oidc-basic-profile 1"],
                                                                         ["oauth2-refresh-token 1"]]
    assert sdk.users.get(claims_action).logins_count == 1


# --- 2. several Actions, in binding order, and their metadata ---------------------------------------

FIRST_SETS_METADATA = """
exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('last_checked_login', event.stats.logins_count);
  api.user.setUserMetadata('locale', null);
  api.user.setUserMetadata('theme', 'dark');
};
"""
SECOND_READS_AND_DENIES = """
exports.onExecutePostLogin = async (event, api) => {
  console.log(JSON.stringify({app: event.user.app_metadata, user: event.user.user_metadata}));
  api.access.deny('second action says no');
};
"""


def test_later_actions_see_earlier_metadata_and_changes_are_saved_even_when_denied(mockidp, sdk):
    install_action(sdk, "first", FIRST_SETS_METADATA)
    install_action(sdk, "second", SECOND_READS_AND_DENIES)

    denied = sign_in(mockidp)
    assert denied == {"error": "access_denied", "error_description": "second action says no", "state": "state-1"}
    assert [e["action_name"] for e in mockidp.action_executions()] == ["first", "second"]
    seen = json.loads(executions_of(mockidp, "second")[0]["logs"][0])
    assert seen == {"app": {"plan": "pro", "last_checked_login": 1}, "user": {"theme": "dark"}}

    stored = user_by_email(sdk, ALICE[0])
    assert stored.app_metadata == {"plan": "pro", "last_checked_login": 1}
    assert stored.user_metadata == {"theme": "dark"}  # locale removed by setUserMetadata(key, null)


# --- 3. an uncaught error ---------------------------------------------------------------------------

THROWS = """
exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('from_failed_action', true);
  throw new Error('profile service unreachable');
};
"""


def test_an_uncaught_error_denies_with_its_message_and_stops_later_actions(mockidp, sdk):
    install_action(sdk, "throws", THROWS)
    install_action(sdk, "never-runs", deny("the second action ran"))

    denied = sign_in(mockidp)
    assert denied["error"] == "access_denied"
    assert denied["error_description"] == "profile service unreachable"
    executions = mockidp.action_executions()
    assert [e["action_name"] for e in executions] == ["throws"]
    assert executions[0]["status"] == "failed"
    assert executions[0]["error"]["name"] == "Error"
    assert executions[0]["error"]["message"] == "profile service unreachable"

    failed = tenant_logs(mockidp, "actions_execution_failed")
    assert len(failed) == 1
    assert failed[0]["details"]["action_name"] == "throws"
    assert failed[0]["details"]["trigger_id"] == "post-login"
    assert [entry["description"] for entry in tenant_logs(mockidp, "f")] == ["profile service unreachable"]
    assert user_by_email(sdk, ALICE[0]).app_metadata == {"plan": "pro"}  # the failed Action's calls are discarded

    grant = password_grant(mockidp)
    assert grant.status_code == 403
    assert grant.json() == {"error": "access_denied", "error_description": "profile service unreachable"}


# --- 4. the event ------------------------------------------------------------------------------------

NEWCOMER = ("newcomer@example.com", "Newc0mer!pass")


@pytest.fixture
def dumping_action(sdk):
    install_action(sdk, "dump-event", DUMP_EVENT, secrets=[{"name": "API_KEY", "value": "k-123"},
                                                     {"name": "REGION", "value": "eu"}])


def assert_common_event(event: dict, stored, client_id: str) -> None:
    assert not {"logins_count", "last_login", "last_ip", "blocked"} & set(event["user"])
    assert event["user"]["user_id"] == stored.user_id
    assert event["user"]["email"] == stored.email
    assert isinstance(event["user"]["app_metadata"], dict)
    assert isinstance(event["user"]["user_metadata"], dict)
    assert event["stats"]["logins_count"] == stored.logins_count  # this login included
    assert event["client"]["client_id"] == client_id
    assert event["connection"]["name"] == CONNECTION
    assert event["connection"]["strategy"] == "auth0"
    assert event["secrets"] == {"API_KEY": "k-123", "REGION": "eu"}
    assert event["tenant"]["id"] == "mockidp"


def test_the_event_of_a_browser_login(mockidp, sdk, dumping_action):
    sdk.users.create(connection=CONNECTION, email=NEWCOMER[0], password=NEWCOMER[1])  # no metadata at all
    params = sign_in(mockidp, NEWCOMER)
    assert "code" in params, params
    event = logged_event(mockidp.action_executions()[-1])
    stored = user_by_email(sdk, NEWCOMER[0])

    assert_common_event(event, stored, SPA_ID)
    assert event["stats"]["logins_count"] == 1
    assert event["user"]["app_metadata"] == {} and event["user"]["user_metadata"] == {}
    assert event["transaction"]["protocol"] == "oidc-basic-profile"
    assert event["transaction"]["redirect_uri"] == "http://localhost:3000/callback"
    assert event["transaction"]["state"] == "state-1"
    assert event["request"]["query"]["client_id"] == SPA_ID
    assert event["request"]["query"]["scope"] == "openid profile email"
    assert "session" not in event  # a fresh login, not SSO


def test_the_event_of_the_password_realm_grant(mockidp, sdk, dumping_action):
    sign_in(mockidp)  # a first login, so the grant's stats are not 1
    response = password_grant(mockidp)
    assert response.status_code == 200, response.text
    event = logged_event(mockidp.action_executions()[-1])
    stored = user_by_email(sdk, ALICE[0])

    assert_common_event(event, stored, WEB_ID)
    assert event["stats"]["logins_count"] == 2
    assert event["user"]["app_metadata"] == {"plan": "pro"}
    assert event["user"]["user_metadata"] == {"locale": "en"}
    assert event["transaction"]["protocol"] == "oauth2-password"
    body = event["request"]["body"]
    assert body["username"] == ALICE[0] and body["grant_type"] == REALM and body["realm"] == CONNECTION
    assert "password" not in body and "client_secret" not in body
    assert ALICE[1] not in json.dumps(event) and WEB_SECRET not in json.dumps(event)


def test_signup_runs_post_login_for_the_new_user(mockidp, sdk):
    install_action(sdk, "signup-gate", """
exports.onExecutePostLogin = async (event, api) => {
  console.log(JSON.stringify({count: event.stats.logins_count, email: event.user.email}));
  api.access.deny('approval pending');
};""")
    browser = Browser(mockidp.url)
    page = browser.authorize(screen_hint="signup").headers["Location"]
    assert page.startswith("/u/signup?state="), page
    denied = redirect_params(browser.post(page, data={"email": NEWCOMER[0], "password": NEWCOMER[1]}))
    assert denied == {"error": "access_denied", "error_description": "approval pending", "state": "state-1"}
    assert json.loads(mockidp.action_executions()[-1]["logs"][0]) == {"count": 1, "email": NEWCOMER[0]}
    assert user_by_email(sdk, NEWCOMER[0]).logins_count == 1  # the account exists; the login was refused
    assert browser.session_cookie is None


# --- 5. SSO and silent authentication ---------------------------------------------------------------

LOCKABLE = """
exports.onExecutePostLogin = async (event, api) => {
  console.log(JSON.stringify({count: event.stats.logins_count, session: event.session ? event.session.id : null,
                              method: event.request.method}));
  if (event.user.app_metadata.locked === true) api.access.deny('account locked');
};
"""


def test_sso_and_prompt_none_run_post_login_again(mockidp, sdk):
    install_action(sdk, "lockable", LOCKABLE)
    browser = Browser(mockidp.url)
    assert "code" in sign_in(mockidp, browser=browser)
    assert browser.session_cookie is not None
    user_id = user_by_email(sdk, ALICE[0]).user_id

    sso = redirect_params(browser.authorize())  # the session cookie: straight back to the application
    assert "code" in sso, sso
    silent = redirect_params(browser.authorize(prompt="none"))
    assert "code" in silent, silent
    seen = [json.loads(e["logs"][0]) for e in executions_of(mockidp, "lockable")]
    assert len(seen) == 3
    assert seen[0] == {"count": 1, "session": None, "method": "POST"}  # the login form's POST
    assert seen[1]["count"] == 2 and seen[1]["session"]  # the SSO login counts, and has a session
    assert seen[1]["method"] == "GET"  # GET /authorize
    assert seen[2]["session"] == seen[1]["session"]
    assert seen[2]["count"] == sdk.users.get(user_id).logins_count

    sdk.users.update(user_id, app_metadata={"locked": True})
    again = Browser(mockidp.url)  # the same session cookie in a second tab
    again.session.cookies.update(browser.session.cookies)
    for tab, params in ((browser, {}), (again, {"prompt": "none"})):
        response = tab.authorize(**params)
        assert response.headers["Location"].startswith("http://localhost:3000/callback?")
        assert redirect_params(response) == {"error": "access_denied", "error_description": "account locked",
                                             "state": "state-1"}
    assert len(executions_of(mockidp, "lockable")) == 5


# --- 6. Node missing --------------------------------------------------------------------------------

def test_without_node_a_bound_post_login_action_denies_the_login(mockidp, sdk, monkeypatch, tmp_path):
    install_action(sdk, "harmless", "exports.onExecutePostLogin = async () => {};")
    monkeypatch.setenv("MOCKIDP_NODE", str(tmp_path / "no-such-node"))

    denied = sign_in(mockidp)
    assert denied["error"] == "access_denied"
    assert denied["error_description"].startswith(NODE_MISSING), denied
    assert mockidp.action_executions()[-1]["status"] == "failed"

    monkeypatch.delenv("MOCKIDP_NODE")  # read at each execution: Node is back
    assert "code" in sign_in(mockidp)


# --- 7. a failing post-change-password ----------------------------------------------------------------

PASSWORD_HOOK_THROWS = """
exports.onExecutePostChangePassword = async (event, api) => {
  console.log(JSON.stringify({user: event.user, connection: event.connection.name, tenant: event.tenant.id}));
  throw new Error('directory sync down for ' + event.user.email);
};
"""
NEW_PASSWORD = "N3w-Passw0rd!alice"


def reset_password(mockidp, email: str, new_password: str) -> None:
    """/dbconnections/change_password, then the emailed link's form."""
    asked = requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=30,
                          json={"client_id": SPA_ID, "email": email, "connection": CONNECTION})
    assert asked.status_code == 200, asked.text
    link = mockidp.outbox(to=email, template="reset_email")[-1]["url"].split("#", 1)[0]
    changed = requests.post(link, data={"password": new_password, "re-enter-password": new_password}, timeout=30)
    assert changed.status_code == 200 and "Password Changed!" in changed.text


def test_a_failing_post_change_password_action_never_undoes_the_change(mockidp, sdk):
    install_action(sdk, "password-hook", PASSWORD_HOOK_THROWS, trigger="post-change-password", version="v2")

    reset_password(mockidp, ALICE[0], NEW_PASSWORD)
    mockidp.wait_for_actions()

    execution = executions_of(mockidp, "password-hook")[-1]
    assert execution["trigger_id"] == "post-change-password"
    assert execution["status"] == "failed"
    assert execution["error"]["message"] == f"directory sync down for {ALICE[0]}"
    seen = json.loads(execution["logs"][0])  # console output is kept when the Action throws
    user_id = user_by_email(sdk, ALICE[0]).user_id
    assert seen["connection"] == CONNECTION and seen["tenant"] == "mockidp"
    assert set(seen["user"]) == {"user_id", "email", "email_verified", "last_password_reset"}  # no metadata
    assert (seen["user"]["user_id"], seen["user"]["email"]) == (user_id, ALICE[0])
    logged = tenant_logs(mockidp, "fcph")
    assert [entry["description"] for entry in logged] == [f"directory sync down for {ALICE[0]}"]

    assert password_grant(mockidp, (ALICE[0], NEW_PASSWORD)).status_code == 200
    assert password_grant(mockidp).status_code == 403  # the old password is gone


# --- 8. the control plane -----------------------------------------------------------------------------

@pytest.mark.parametrize("body", [{"timeout_seconds": "x"}, {"timeout_seconds": 0}, {"timeout_seconds": 500},
                                  {"timeout_seconds": True}, {"timeout": 5}, ["timeout_seconds"]])
def test_wait_refuses_bad_bodies(mockidp, body):
    response = requests.post(f"{mockidp.url}/_mock/actions/wait", json=body, timeout=30)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert set(answer) == {"error", "message"}
    assert isinstance(answer["message"], str) and answer["message"]


def test_wait_with_nothing_queued_answers_at_once(mockidp):
    response = requests.post(f"{mockidp.url}/_mock/actions/wait", json={"timeout_seconds": 1}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"pending": 0, "executions": 0}
    default = requests.post(f"{mockidp.url}/_mock/actions/wait", timeout=30)  # no body: the default timeout
    assert default.status_code == 200 and default.json()["pending"] == 0


def test_reset_clears_the_executions(mockidp, sdk):
    install_action(sdk, "harmless", "exports.onExecutePostLogin = async () => { console.log('ran'); };")
    assert "code" in sign_in(mockidp)
    listed = requests.get(f"{mockidp.url}/_mock/actions/executions", timeout=30).json()["executions"]
    assert [(e["action_name"], e["status"], e["logs"]) for e in listed] == [("harmless", "final", ["ran"])]

    assert requests.post(f"{mockidp.url}/_mock/reset", timeout=30).status_code == 200
    assert requests.get(f"{mockidp.url}/_mock/actions/executions", timeout=30).json() == {"executions": []}
    assert "code" in sign_in(mockidp)  # and the Action is gone with the reset
    assert mockidp.action_executions() == []


# --- 9. Actions from a fixture file ---------------------------------------------------------------------

FIXTURE_ACTIONS = """
actions:
  - name: deny-from-fixture
    code: ./actions/deny/code.js
    runtime: node22
    deployed: true
    supported_triggers:
      - id: post-login
        version: v3
triggers:
  post-login:
    - action_name: deny-from-fixture
      display_name: Deny everyone
"""


@pytest.fixture
def fixture_server(tmp_path):
    (tmp_path / "actions" / "deny").mkdir(parents=True)
    (tmp_path / "actions" / "deny" / "code.js").write_text(deny("closed for maintenance") + "\n")
    (tmp_path / "tenant.yaml").write_text(FIXTURE_ACTIONS)
    server = MockIdPServer(fixtures=[DEFAULT_FIXTURE, tmp_path / "tenant.yaml"], tls=False)
    yield server
    server.stop()


def test_a_fixture_action_denies_the_login(fixture_server):
    denied = sign_in(fixture_server)
    assert denied == {"error": "access_denied", "error_description": "closed for maintenance", "state": "state-1"}
    assert [e["action_name"] for e in fixture_server.action_executions()] == ["deny-from-fixture"]
    grant = password_grant(fixture_server)
    assert grant.status_code == 403 and grant.json()["error_description"] == "closed for maintenance"


# --- 10. only the deployed version runs -----------------------------------------------------------------

def test_an_updated_but_undeployed_action_keeps_running_its_deployed_code(mockidp, sdk):
    action_id = install_action(sdk, "versioned", deny("version one"))
    first_version = sdk.actions.get(action_id).deployed_version.id
    sdk.actions.update(action_id, code=deny("version two"))
    assert sdk.actions.get(action_id).code == deny("version two")  # the draft changed

    assert sign_in(mockidp)["error_description"] == "version one"
    assert mockidp.action_executions()[-1]["version_id"] == first_version

    sdk.actions.deploy(action_id)  # deploying the draft makes it the one that runs
    assert sign_in(mockidp)["error_description"] == "version two"
    assert mockidp.action_executions()[-1]["version_id"] != first_version


# --- review fixes: redirects, unsupported api members, refused metadata, resets, ids ---------------

CAN_REDIRECT = """
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://example.com/can_redirect', api.redirect.canRedirect());
};
"""


def test_can_redirect_is_true_in_the_browser_and_false_for_grants(mockidp, sdk):
    install_action(sdk, "can-redirect", CAN_REDIRECT)
    browser_code = sign_in(mockidp)["code"]
    browser_claims = verify_id_token(mockidp.url, exchange_code(mockidp.url, browser_code).json()["id_token"])
    assert browser_claims["https://example.com/can_redirect"] is True
    granted = password_grant(mockidp)
    assert granted.status_code == 200, granted.text
    grant_claims = jwt.get_unverified_claims(granted.json()["id_token"])
    assert grant_claims["https://example.com/can_redirect"] is False


def test_an_api_member_mockidp_does_not_emulate_fails_the_action_by_name(mockidp, sdk):
    install_action(sdk, "uses-session", "exports.onExecutePostLogin = async (event, api) => { api.session.revoke(); };")
    denied = sign_in(mockidp)
    assert denied["error"] == "access_denied"
    assert denied["error_description"] == "api.session.revoke is not supported by mockidp"


def test_metadata_the_management_api_would_refuse_denies_the_login_cleanly(mockidp, sdk):
    install_action(sdk, "bad-key", "exports.onExecutePostLogin = async (event, api) => "
                                   "{ api.user.setAppMetadata('a.b', 1); };")
    denied = sign_in(mockidp)
    assert denied["error"] == "access_denied" and denied["error_description"]
    assert user_by_email(sdk, ALICE[0]).app_metadata == {"plan": "pro"}  # nothing saved
    refused = password_grant(mockidp)
    assert refused.status_code == 403 and refused.json()["error"] == "access_denied"


PASSWORD_HOOK_CALLS_BACK = """
exports.onExecutePostChangePassword = async (event) => {
  const response = await fetch(event.secrets.BASE + '/api/v2/users', { method: 'PATCH' });
  throw new Error('the call came back with ' + response.status);
};
"""


def test_an_action_caught_by_a_reset_leaves_no_trace_in_the_fresh_tenant(mockidp, sdk):
    install_action(sdk, "slow-hook", PASSWORD_HOOK_CALLS_BACK, trigger="post-change-password", version="v2",
                   secrets=[{"name": "BASE", "value": mockidp.url}])
    gate = requests.post(f"{mockidp.url}/_mock/barriers", json={"method": "PATCH", "path": "/api/v2/users"},
                         timeout=30).json()
    reset_password(mockidp, ALICE[0], NEW_PASSWORD)
    held = requests.get(f"{mockidp.url}/_mock/barriers/{gate['id']}?wait_for_held=1&timeout_ms=20000", timeout=30)
    assert held.status_code == 200, held.text  # the Action is in Node, waiting on mockidp

    assert requests.post(f"{mockidp.url}/_mock/reset", timeout=30).status_code == 200  # ends the hold
    mockidp.wait_for_actions()
    assert mockidp.action_executions() == []
    assert tenant_logs(mockidp, "fcph") == [] and tenant_logs(mockidp, "actions_execution_failed") == []


def test_the_same_steps_after_a_reset_give_the_same_execution_and_user_ids(mockidp, sdk):
    def first_execution_and_new_user() -> tuple[str, str]:
        install_action(sdk, "harmless", "exports.onExecutePostLogin = async () => {};")
        assert "code" in sign_in(mockidp)
        created = sdk.users.create(connection=CONNECTION, email="after@example.com", password="Aft3r!pass")
        return mockidp.action_executions()[-1]["id"], created.user_id

    first = first_execution_and_new_user()
    mockidp.reset()
    assert first_execution_and_new_user() == first
