"""Wrong second-factor codes count towards one limit per user: TOTP codes, codes sent by email and
recovery codes alike. Ten wrong in a row block the second factor (429 too_many_attempts, logged
gd_otp_rate_limit_exceed) for 900 s on the mock clock; each check is logged gd_auth_* or
gd_recovery_*; unblocking the user through the Management API lifts the block."""
from __future__ import annotations

import pytest
from oauth_helpers import ALICE, Browser, redirect_params
from test_hosted_mfa import password_step
from test_mfa_totp import CLIENT, enroll, mfa_always, mfa_otp, mfa_token, post  # noqa: F401  (fixture)

MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
MFA_RECOVERY = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
TOO_MANY = {"error": "too_many_attempts", "error_description": "Too many failed attempts. Please try again later."}


def log_types(api, prefix: str = "gd_") -> list[str]:
    events = api.get("/api/v2/logs", params={"q": f"type:{prefix}*", "per_page": 100, "sort": "date:1"}).json()
    return [event["type"] for event in events]


def recovery(mockidp, token: str, code: str):
    return post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_RECOVERY, "mfa_token": token,
                                               "recovery_code": code})


def user_id(api) -> str:
    return api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]


def test_wrong_recovery_codes_block_and_an_unblock_lifts_it(mockidp, api, mfa_always):
    token = mfa_token(mockidp)
    enrollment = enroll(mockidp, token)
    assert mfa_otp(mockidp, token, mockidp.totp(enrollment["secret"])).status_code == 200
    [recovery_code] = enrollment["recovery_codes"]
    assert log_types(api) == ["gd_auth_succeed", "gd_enrollment_complete"]

    token = mfa_token(mockidp)
    for _ in range(10):
        wrong = recovery(mockidp, token, "WRONG" + recovery_code[5:])
        assert (wrong.status_code, wrong.json()) == (403, {"error": "invalid_grant",
                                                           "error_description": "Invalid recovery_code."})
    blocked = recovery(mockidp, token, recovery_code)
    assert (blocked.status_code, blocked.json()) == (429, TOO_MANY)
    assert mfa_otp(mockidp, token, mockidp.totp(enrollment["secret"])).status_code == 429  # one block for all
    assert log_types(api).count("gd_recovery_failed") == 10
    assert log_types(api).count("gd_otp_rate_limit_exceed") == 1

    assert api.delete(f"/api/v2/user-blocks/{user_id(api)}").status_code == 204
    accepted = recovery(mockidp, token, recovery_code)
    assert accepted.status_code == 200, accepted.text
    assert log_types(api)[-1] == "gd_recovery_succeed"


def test_kinds_of_wrong_codes_add_up(mockidp, api, mfa_always):
    token = mfa_token(mockidp)
    enrollment = enroll(mockidp, token)
    secret = enrollment["secret"]
    wrong_otp = "000000" if mockidp.totp(secret) != "000000" else "111111"
    for _ in range(5):
        assert mfa_otp(mockidp, token, wrong_otp).status_code == 403
    assert mfa_otp(mockidp, token, mockidp.totp(secret)).status_code == 200  # a right code resets the count

    token = mfa_token(mockidp)
    for _ in range(5):
        assert mfa_otp(mockidp, token, wrong_otp).status_code == 403
        assert recovery(mockidp, token, "X" * 24).status_code == 403
    assert mfa_otp(mockidp, token, mockidp.totp(secret)).json() == TOO_MANY
    assert log_types(api, "gd_auth").count("gd_auth_failed") == 10
    mockidp.advance(901)  # the block ends on the mock clock (the mfa_token too: a new login)
    assert mfa_otp(mockidp, mfa_token(mockidp), mockidp.totp(secret)).status_code == 200


@pytest.fixture
def email_factor(mockidp, api):
    assert api.put("/api/v2/guardian/factors/email", json={"enabled": True}).status_code == 200
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).status_code == 200
    mockidp.freeze("2026-03-01T10:00:00Z")
    yield
    mockidp.reset()


def test_wrong_email_binding_codes_count(mockidp, api, email_factor):
    token = mfa_token(mockidp)
    enrolled = post(mockidp, "/mfa/associate", headers={"Authorization": f"Bearer {token}"},
                    json={**CLIENT, "authenticator_types": ["oob"], "oob_channels": ["email"]}).json()
    binding = mockidp.outbox(to=ALICE[0], template="mfa_oob_code")[-1]["code"]

    def oob_grant(binding_code):
        return post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_OOB, "mfa_token": token,
                                                   "oob_code": enrolled["oob_code"], "binding_code": binding_code})
    for _ in range(10):
        assert oob_grant("x" + binding).json()["error_description"] == "Invalid binding_code."
    blocked = oob_grant(binding)
    assert (blocked.status_code, blocked.json()) == (429, TOO_MANY)
    events = api.get("/api/v2/logs", params={"q": "type:gd_otp_rate_limit_exceed"}).json()
    assert [event["details"]["authenticator"] for event in events] == ["email"]


def test_hosted_email_page_blocks_after_ten_wrong_codes(mockidp, api, email_factor):
    browser = Browser(mockidp.url)
    email_page = password_step(browser)
    browser.get(email_page)
    code = mockidp.outbox(to=ALICE[0])[-1]["code"]
    for _ in range(10):
        wrong = browser.post(email_page, data={"code": "x" + code})
        assert wrong.status_code == 400 and "The code you entered is invalid" in wrong.text
    blocked = browser.post(email_page, data={"code": code})
    assert blocked.status_code == 400 and "Too many failed codes" in blocked.text
    assert api.delete(f"/api/v2/user-blocks/{user_id(api)}").status_code == 204
    assert "code" in redirect_params(browser.post(email_page, data={"code": code}))
    assert log_types(api)[-1] == "gd_auth_succeed"
