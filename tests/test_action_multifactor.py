"""api.multifactor.enable in post-login Actions, with the tenant's MFA policy "never": a browser
login goes to the hosted MFA pages once the Actions ran (enrolment first for a user with no
factor, a challenge later), the Actions do not run again and the tokens carry `amr: ["mfa"]`;
allowRememberBrowser lets the browser's SSO session skip the second factor, without it every login
asks; the password and refresh-token grants answer Auth0's `mfa_required`; the providers Auth0 names
(any, guardian, google-authenticator, none) and the one mockidp does not emulate (duo). Also
`amr: ["mfa"]` on SSO logins from a session that passed MFA, and after /continue.

Actions are installed with auth0-python over HTTPS and run in Node; logins are driven with
requests (tests/oauth_helpers.py `Browser`), TOTP codes computed on the frozen mock clock.
"""
from __future__ import annotations

import json

import pytest
import requests
from action_helpers import install_action, management_sdk
from oauth_helpers import (
    ALICE,
    REALM,
    VERIFIER,
    WEB_ID,
    WEB_SECRET,
    Browser,
    exchange_code,
    redirect_params,
    token_request,
    unverified_claims,
)
from test_hosted_mfa import text_of

MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"
CLIENT = {"client_id": WEB_ID, "client_secret": WEB_SECRET}
CONNECTION = "Username-Password-Authentication"
METHODS_CLAIM = "https://example.com/methods"


def enable_mfa(provider: str = "any", options: dict | None = None) -> str:
    """An Action that asks for MFA and says which authentication methods it saw."""
    return f"""
exports.onExecutePostLogin = async (event, api) => {{
  api.idToken.setCustomClaim('{METHODS_CLAIM}', event.authentication.methods.map((m) => m.name));
  api.multifactor.enable({json.dumps(provider)}, {json.dumps(options or {})});
}};
"""


@pytest.fixture
def otp_on(mockidp, api):
    """The otp factor enabled, the policy left at "never"; the clock frozen."""
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": True}).status_code == 200
    assert api.get("/api/v2/guardian/policies").json() == []
    mockidp.freeze("2026-03-01T10:00:00Z")


@pytest.fixture
def sdk(mockidp, monkeypatch):
    return management_sdk(mockidp, monkeypatch)


def password_step(browser: Browser) -> str:
    page = browser.login_page()
    answer = browser.post(page, data={"username": ALICE[0], "password": ALICE[1]})
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def enroll_in_browser(mockidp, browser: Browser) -> tuple[str, dict]:
    """The first login: the enrolment page, its first code, the recovery code; (secret, callback params)."""
    enroll_page = password_step(browser)
    assert enroll_page.startswith("/u/mfa-otp-enrollment-qr?state="), enroll_page
    secret = text_of(browser.get(enroll_page).text, "secret")
    shown = browser.post(enroll_page, data={"code": mockidp.totp(secret)})
    assert shown.headers["Location"].startswith("/u/mfa-recovery-code-enrollment?state=")
    return secret, redirect_params(browser.post(shown.headers["Location"], data={"saved": "on"}))


def id_claims(mockidp, params: dict) -> dict:
    assert "code" in params, params
    return unverified_claims(exchange_code(mockidp.url, params["code"], verifier=VERIFIER).json()["id_token"])


def test_an_action_requires_enrolment_then_a_challenge(mockidp, sdk, otp_on):
    install_action(sdk, "require-mfa", enable_mfa("any"))
    browser = Browser(mockidp.url)
    secret, params = enroll_in_browser(mockidp, browser)
    claims = id_claims(mockidp, params)
    assert claims["amr"] == ["mfa"]
    assert claims[METHODS_CLAIM] == ["pwd"]  # set before the second factor, kept: the Action ran once
    assert len(mockidp.action_executions()) == 1

    again = Browser(mockidp.url)  # another browser: no session
    challenge = password_step(again)
    assert challenge.startswith("/u/mfa-otp-challenge?state=")
    assert id_claims(mockidp, redirect_params(again.post(challenge, data={"code": mockidp.totp(secret)})))[
        "amr"] == ["mfa"]


def test_without_remember_browser_every_sso_login_asks(mockidp, sdk, otp_on):
    install_action(sdk, "require-mfa", enable_mfa("any", {"allowRememberBrowser": False}))
    browser = Browser(mockidp.url)
    secret, _ = enroll_in_browser(mockidp, browser)
    sso = browser.authorize()  # the session's cookie: no login page, but the Action asks again
    assert sso.status_code == 302 and sso.headers["Location"].startswith("/u/mfa-otp-challenge?state=")
    done = redirect_params(browser.post(sso.headers["Location"], data={"code": mockidp.totp(secret)}))
    assert id_claims(mockidp, done)["amr"] == ["mfa"]
    silent = redirect_params(browser.authorize(prompt="none"))
    assert (silent["error"], silent["error_description"]) == ("login_required", "Multifactor authentication required")


def test_remember_browser_lets_the_session_skip_it(mockidp, sdk, otp_on):
    install_action(sdk, "require-mfa", enable_mfa("guardian", {"allowRememberBrowser": True}))
    browser = Browser(mockidp.url)
    enroll_in_browser(mockidp, browser)
    claims = id_claims(mockidp, redirect_params(browser.authorize()))
    assert claims["amr"] == ["mfa"]  # the session passed MFA
    assert claims[METHODS_CLAIM] == ["pwd", "mfa"]
    silent = id_claims(mockidp, redirect_params(browser.authorize(prompt="none")))
    assert silent["amr"] == ["mfa"]


def test_password_grant_answers_mfa_required(mockidp, sdk, otp_on):
    install_action(sdk, "require-mfa", enable_mfa("google-authenticator"))
    grant = {**CLIENT, "grant_type": REALM, "realm": CONNECTION, "username": ALICE[0], "password": ALICE[1],
             "scope": "openid"}
    required = token_request(mockidp.url, **grant)
    assert required.status_code == 403, required.text
    body = required.json()
    assert (body["error"], body["error_description"]) == ("mfa_required", "Multifactor authentication required")
    enrolled = token_request(mockidp.url, **CLIENT, grant_type=MFA_OTP, mfa_token=body["mfa_token"], otp="000000")
    assert enrolled.json()["error_description"] == "User is not enrolled."
    secret = requests.post(f"{mockidp.url}/mfa/associate", headers={"Authorization": f"Bearer {body['mfa_token']}"},
                           json={**CLIENT, "authenticator_types": ["otp"]}, timeout=30).json()["secret"]
    tokens = token_request(mockidp.url, **CLIENT, grant_type=MFA_OTP, mfa_token=body["mfa_token"],
                           otp=mockidp.totp(secret))
    assert tokens.status_code == 200, tokens.text
    claims = unverified_claims(tokens.json()["id_token"])
    # The Actions run again for the second exchange and see the second factor.
    assert claims["amr"] == ["mfa"] and claims[METHODS_CLAIM] == ["pwd", "mfa"]


REQUIRE_FOR_FLAGGED = """
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.require_mfa) api.multifactor.enable('any');
};
"""


def test_refresh_grant_answers_mfa_required(mockidp, sdk, api, otp_on):
    install_action(sdk, "require-mfa-when-flagged", REQUIRE_FOR_FLAGGED)
    grant = {**CLIENT, "grant_type": REALM, "realm": CONNECTION, "username": ALICE[0], "password": ALICE[1],
             "scope": "openid offline_access"}
    refresh_token = token_request(mockidp.url, **grant).json()["refresh_token"]
    user_id = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]
    assert api.patch(f"/api/v2/users/{user_id}", json={"app_metadata": {"require_mfa": True}}).status_code == 200
    refreshed = token_request(mockidp.url, **CLIENT, grant_type="refresh_token", refresh_token=refresh_token)
    assert (refreshed.status_code, refreshed.json()["error"]) == (403, "mfa_required")
    assert refreshed.json()["mfa_token"]


NONE_AFTER_ANY = """
exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable('none'); };
"""


def test_providers(mockidp, sdk, api, otp_on):
    install_action(sdk, "require-mfa", enable_mfa("any"))
    install_action(sdk, "then-none", NONE_AFTER_ANY)  # a later Action removes the requirement
    assert "amr" not in id_claims(mockidp, Browser(mockidp.url).sign_in(*ALICE))

    sdk.actions.triggers.bindings.update_many("post-login", bindings=[])
    install_action(sdk, "duo", enable_mfa("duo"))
    denied = Browser(mockidp.url).sign_in(*ALICE)
    assert denied["error"] == "access_denied" and "duo" in denied["error_description"]

    sdk.actions.triggers.bindings.update_many("post-login", bindings=[])
    install_action(sdk, "typo", enable_mfa("gogle-authenticator"))
    assert "unknown provider" in Browser(mockidp.url).sign_in(*ALICE)["error_description"]

    sdk.actions.triggers.bindings.update_many("post-login", bindings=[])
    install_action(sdk, "totp-only", enable_mfa("google-authenticator"))
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": False}).status_code == 200
    assert api.put("/api/v2/guardian/factors/email", json={"enabled": True}).status_code == 200
    refused = Browser(mockidp.url).sign_in(*ALICE)
    assert refused["error"] == "access_denied" and "no MFA factor" in refused["error_description"]


# --- amr on SSO logins and after /continue, with the tenant's policy -----------------------------------

@pytest.fixture
def mfa_always(mockidp, api):
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": True}).status_code == 200
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).status_code == 200
    mockidp.freeze("2026-03-01T10:00:00Z")


def test_sso_logins_from_a_session_that_passed_mfa_carry_amr(mockidp, api, mfa_always):
    browser = Browser(mockidp.url)
    enroll_in_browser(mockidp, browser)
    assert id_claims(mockidp, redirect_params(browser.authorize()))["amr"] == ["mfa"]
    session = api.get(f"/api/v2/sessions/{browser.session_cookie}").json()
    assert [method["name"] for method in session["authentication"]["methods"]] == ["pwd", "mfa"]

    assert api.put("/api/v2/guardian/policies", json=[]).status_code == 200
    plain = Browser(mockidp.url)
    plain.sign_in(*ALICE)
    assert "amr" not in id_claims(mockidp, redirect_params(plain.authorize()))  # this session did no MFA


REDIRECT_ONCE = """
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.app_metadata.seen_notice) api.redirect.sendUserTo('https://notice.example/page');
};
exports.onContinuePostLogin = async (event, api) => { api.user.setAppMetadata('seen_notice', true); };
"""


def test_a_login_resumed_at_continue_keeps_amr(mockidp, sdk, mfa_always):
    install_action(sdk, "notice", REDIRECT_ONCE)
    browser = Browser(mockidp.url)
    enroll_page = password_step(browser)
    secret = text_of(browser.get(enroll_page).text, "secret")
    shown = browser.post(enroll_page, data={"code": mockidp.totp(secret)})
    sent_away = browser.post(shown.headers["Location"], data={"saved": "on"})
    assert sent_away.headers["Location"].startswith("https://notice.example/page?state=")
    state = redirect_params(sent_away)["state"]
    resumed = redirect_params(browser.get(f"/continue?state={state}"))
    assert id_claims(mockidp, resumed)["amr"] == ["mfa"]
