"""SMS as an MFA factor: the factor enabled through the Management API; a phone enrolled through
Auth0's MFA API (/mfa/associate with oob_channels ["sms"]) or the hosted pages; codes texted into
the phone outbox (/_mock/sms) with the Guardian phone templates; the mfa-oob grant with the
binding_code finishes the login. The phone provider selection is stored, and with Auth0's custom
provider ("phone-message-hook") the bound send-phone-message Action sends the message, with Auth0's
event shape, instead of the built-in sender."""
from __future__ import annotations

import json

import pytest
import requests
from action_helpers import install_action, management_sdk
from oauth_helpers import ALICE, VERIFIER, Browser, exchange_code, redirect_params, unverified_claims
from test_hosted_mfa import password_step, text_of
from test_mfa_totp import CLIENT, assert_spec, mfa_token, post

MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
PHONE = "+14155550100"


@pytest.fixture
def sms_factor(mockidp, api):
    assert api.put("/api/v2/guardian/factors/sms", json={"enabled": True}).json() == {"enabled": True}
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).status_code == 200
    mockidp.freeze("2026-03-01T10:00:00Z")


def associate(mockidp, token: str, **body) -> requests.Response:
    return post(mockidp, "/mfa/associate", headers={"Authorization": f"Bearer {token}"},
                json={**CLIENT, "authenticator_types": ["oob"], "oob_channels": ["sms"], **body})


def oob_grant(mockidp, token: str, oob_code: str, binding_code: str) -> requests.Response:
    return post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_OOB, "mfa_token": token,
                                               "oob_code": oob_code, "binding_code": binding_code})


def test_enroll_a_phone_and_be_challenged_through_the_mfa_api(mockidp, api, sms_factor):
    token = mfa_token(mockidp)
    enrolled = associate(mockidp, token, phone_number=PHONE)
    assert enrolled.status_code == 200, enrolled.text
    body = enrolled.json()
    assert (body["authenticator_type"], body["oob_channel"], body["binding_method"]) == ("oob", "sms", "prompt")
    assert len(body["recovery_codes"][0]) == 24  # as recorded for an SMS enrollment
    texted = mockidp.sms(to=PHONE)[-1]
    assert texted["template"] == "mfa_enrollment" and texted["provider"] == "auth0"
    assert texted["body"] == (f"{texted['code']} is your verification code for mockidp. "
                              "Please enter this code to verify your enrollment.")
    assert oob_grant(mockidp, token, body["oob_code"], "999999" if texted["code"] != "999999" else "1").json() == {
        "error": "invalid_grant", "error_description": "Invalid binding_code."}
    tokens = oob_grant(mockidp, token, body["oob_code"], texted["code"])
    assert tokens.status_code == 200, tokens.text
    assert unverified_claims(tokens.json()["id_token"])["amr"] == ["mfa"]

    second = mfa_token(mockidp)
    listed = requests.get(f"{mockidp.url}/mfa/authenticators", headers={"Authorization": f"Bearer {second}"},
                          timeout=30).json()
    [phone] = [each for each in listed if each["authenticator_type"] == "oob"]
    assert (phone["oob_channel"], phone["name"], phone["active"]) == ("sms", "XXXXXXX0100", True)
    assert phone["id"].startswith("sms|dev_")
    challenged = post(mockidp, "/mfa/challenge", json={**CLIENT, "mfa_token": second, "challenge_type": "oob",
                                                       "authenticator_id": phone["id"]}).json()
    assert challenged["challenge_type"] == "oob" and challenged["binding_method"] == "prompt"
    code = mockidp.sms(to=PHONE)[-1]
    assert code["template"] == "mfa_second-factor-authentication"
    assert code["body"] == f"{code['code']} is your verification code for mockidp"
    assert oob_grant(mockidp, second, challenged["oob_code"], code["code"]).status_code == 200

    user_id = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]
    methods = api.get(f"/api/v2/users/{user_id}/authentication-methods").json()
    # The Management API masks the number as recorded: every character but the last four
    assert [(m["type"], m.get("phone_number")) for m in methods] == [("phone", "XXXXXXXX0100"), ("recovery-code", None)]
    assert_spec("GET /users/{id}/authentication-methods", 200, methods)
    enrolled = api.get(f"/api/v2/users/{user_id}/enrollments").json()
    assert_spec("GET /users/{id}/enrollments", 200, enrolled)
    assert [(e["auth_method"], e["phone_number"], e["status"]) for e in enrolled] == [("sms", PHONE, "confirmed")]
    logged = [e["type"] for e in api.get("/api/v2/logs", params={"q": "type:gd_*", "sort": "date:1"}).json()]
    assert logged == ["gd_send_sms", "gd_auth_failed", "gd_auth_succeed", "gd_enrollment_complete", "gd_send_sms",
                      "gd_auth_succeed"]


def test_bad_sms_enrollments_change_nothing(mockidp, api, sms_factor):
    token = mfa_token(mockidp)
    missing = associate(mockidp, token)
    assert (missing.status_code, missing.json()) == (400, {
        "error": "invalid_request", "error_description": "phone_number is required for the sms channel"})
    invalid = associate(mockidp, token, phone_number="0100")
    assert (invalid.status_code, invalid.json()["error"]) == (400, "invalid_request")
    assert associate(mockidp, "nope", phone_number=PHONE).json()["error_description"] == "Malformed mfa_token"
    assert mockidp.sms() == []
    assert api.put("/api/v2/guardian/factors/sms", json={"enabled": False}).status_code == 200
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": True}).status_code == 200
    disabled = associate(mockidp, token, phone_number=PHONE)
    assert (disabled.status_code, disabled.json()["error"]) == (403, "unsupported_challenge_type")
    listed = requests.get(f"{mockidp.url}/mfa/authenticators", headers={"Authorization": f"Bearer {token}"},
                          timeout=30).json()
    assert listed == []


def test_custom_templates_through_the_management_api(mockidp, api, sms_factor):
    templates = {"enrollment_message": "Enroll with {{code}}", "verification_message": "{{tenant.friendly_name}}: {{code}}"}
    assert api.put("/api/v2/guardian/factors/phone/templates", json=templates).status_code == 200
    assert associate(mockidp, mfa_token(mockidp), phone_number=PHONE).status_code == 200
    texted = mockidp.sms(to=PHONE)[-1]
    assert texted["body"] == f"Enroll with {texted['code']}"


SEND_WITH_ACTION = """
exports.onExecuteSendPhoneMessage = async (event, api) => {
  console.log(JSON.stringify(event));
  if (event.message_options.recipient.endsWith('0199')) throw new Error('carrier refused');
};
"""


def test_a_send_phone_message_action_sends_with_the_custom_provider(mockidp, api, monkeypatch, sms_factor):
    sdk = management_sdk(mockidp, monkeypatch)
    install_action(sdk, "my-sms-provider", SEND_WITH_ACTION, trigger="send-phone-message", version="v2")
    assert api.get("/api/v2/guardian/factors/phone/selected-provider").json() == {"provider": "auth0"}
    chosen = api.put("/api/v2/guardian/factors/phone/selected-provider", json={"provider": "phone-message-hook"})
    assert chosen.json() == {"provider": "phone-message-hook"}
    assert api.get("/api/v2/guardian/factors/phone/selected-provider").json() == {"provider": "phone-message-hook"}
    assert api.put("/api/v2/guardian/factors/phone/message-types", json={"message_types": ["sms"]}).status_code == 200

    token = mfa_token(mockidp)
    body = associate(mockidp, token, phone_number=PHONE).json()
    [execution] = mockidp.action_executions()
    assert (execution["trigger_id"], execution["status"]) == ("send-phone-message", "final")
    event = json.loads(execution["logs"][0])
    options = event["message_options"]
    texted = mockidp.sms(to=PHONE)[-1]
    assert options == {"action": "enrollment", "code": texted["code"], "message_type": "sms", "recipient": PHONE,
                       "text": texted["body"]}
    assert texted["provider"] == "phone-message-hook"
    assert event["user"]["email"] == ALICE[0] and "logins_count" not in event["user"]
    assert event["client"]["client_id"] == CLIENT["client_id"] and event["tenant"] == {"id": "mockidp"}
    assert oob_grant(mockidp, token, body["oob_code"], texted["code"]).status_code == 200

    user_id = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]
    assert api.delete(f"/api/v2/users/{user_id}/authenticators").status_code == 204  # enroll another phone
    refused = associate(mockidp, mfa_token(mockidp), phone_number="+14155550199")
    assert refused.status_code == 200  # the enrollment exists; the message never left
    assert mockidp.sms(to="+14155550199") == []
    [failure] = api.get("/api/v2/logs", params={"q": "type:gd_send_sms_failure"}).json()
    assert failure["description"] == "carrier refused"


def test_hosted_pages_enroll_a_phone_then_challenge(mockidp, api, sms_factor):
    browser = Browser(mockidp.url)
    enroll_page = password_step(browser)
    assert enroll_page.startswith("/u/mfa-sms-enrollment?state=")
    assert browser.get(enroll_page).status_code == 200
    wrong = browser.post(enroll_page, data={"phone": "555"})
    assert wrong.status_code == 400 and "phone number is invalid" in wrong.text
    assert mockidp.sms() == []
    challenge_page = browser.post(enroll_page, data={"phone": PHONE}).headers["Location"]
    assert challenge_page.startswith("/u/mfa-sms-challenge?state=")
    assert text_of(browser.get(challenge_page).text, "phone") == PHONE
    [texted] = mockidp.sms(to=PHONE)  # a reload sends nothing more
    assert browser.post(challenge_page, data={"code": "x"}).status_code == 400
    shown = browser.post(challenge_page, data={"code": texted["code"]})
    assert shown.headers["Location"].startswith("/u/mfa-recovery-code-enrollment?state=")
    assert len(text_of(browser.get(shown.headers["Location"]).text, "recovery-code")) == 24
    params = redirect_params(browser.post(shown.headers["Location"], data={"saved": "on"}))
    tokens = exchange_code(mockidp.url, params["code"], verifier=VERIFIER).json()
    assert unverified_claims(tokens["id_token"])["amr"] == ["mfa"]

    second = Browser(mockidp.url)
    challenge_page = password_step(second)
    assert challenge_page.startswith("/u/mfa-sms-challenge?state=")
    second.get(challenge_page)
    code = mockidp.sms(to=PHONE)[-1]
    assert code["template"] == "mfa_second-factor-authentication"
    mockidp.advance(301)  # expired on the mock clock: a new code is texted, the old one fails
    assert second.post(challenge_page, data={"code": code["code"]}).status_code == 400
    fresh = mockidp.sms(to=PHONE)[-1]
    assert fresh["id"] != code["id"]
    assert "code" in redirect_params(second.post(challenge_page, data={"code": fresh["code"]}))
