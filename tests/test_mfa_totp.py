"""MFA with TOTP through Auth0's MFA API, as an application drives it: the Guardian settings
through the Management API, the password grant answering `mfa_required` (auth0-python's
MfaRequiredError), /mfa/associate, /mfa/authenticators, /mfa/challenge and the mfa-otp grant
with a TOTP computed from the enrollment secret on the frozen mock clock; recovery codes."""
from __future__ import annotations

import pytest
import requests
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from jose import jwt
from management_spec import response_validator
from oauth_helpers import ALICE, WEB_ID, WEB_SECRET

MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"
MFA_RECOVERY = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
CLIENT = {"client_id": WEB_ID, "client_secret": WEB_SECRET}


@pytest.fixture
def mfa_always(mockidp, api):
    """OTP enabled, policy "always" (the default fixture's Web App has the MFA grants); the clock frozen."""
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": True}).json() == {"enabled": True}
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).json() == ["all-applications"]
    mockidp.freeze("2026-03-01T10:00:00Z")
    yield
    mockidp.reset()


def mfa_token(mockidp) -> str:
    domain = mockidp.url.split("://", 1)[1]
    with pytest.raises(Auth0Error) as required:
        GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol="http").login(
            *ALICE, realm="Username-Password-Authentication", scope="openid profile email")
    assert (required.value.status_code, required.value.error_code, required.value.message) == (
        403, "mfa_required", "Multifactor authentication required")
    return required.value.content["mfa_token"]


def post(mockidp, path: str, **kwargs) -> requests.Response:
    return requests.post(f"{mockidp.url}{path}", timeout=30, **kwargs)


def enroll(mockidp, token: str) -> dict:
    enrolled = post(mockidp, "/mfa/associate", headers={"Authorization": f"Bearer {token}"},
                    json={**CLIENT, "authenticator_types": ["otp"]})
    assert enrolled.status_code == 200, enrolled.text
    return enrolled.json()


def mfa_otp(mockidp, token: str, otp: str) -> requests.Response:
    return post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_OTP, "mfa_token": token, "otp": otp})


def test_guardian_settings_start_off(api):
    factors = api.get("/api/v2/guardian/factors").json()
    assert {"name": "otp", "enabled": False, "trial_expired": False} in factors
    assert api.get("/api/v2/guardian/policies").json() == []


def test_password_grant_without_mfa_policy_gives_tokens(mockidp, api):
    domain = mockidp.url.split("://", 1)[1]
    tokens = GetToken(domain, WEB_ID, client_secret=WEB_SECRET, protocol="http").login(
        *ALICE, realm="Username-Password-Authentication", scope="openid")
    assert "amr" not in jwt.get_unverified_claims(tokens["id_token"])


def test_enroll_challenge_and_mfa_otp_on_the_frozen_clock(mockidp, mfa_always):
    token = mfa_token(mockidp)
    enrollment = enroll(mockidp, token)
    secret = enrollment["secret"]
    assert len(secret) == 32 and enrollment["authenticator_type"] == "otp"
    assert enrollment["barcode_uri"].startswith("otpauth://totp/mockidp:alice%40example.com?secret=" + secret)
    [recovery_code] = enrollment["recovery_codes"]

    listed = requests.get(f"{mockidp.url}/mfa/authenticators", headers={"Authorization": f"Bearer {token}"},
                          timeout=30).json()
    assert [(a["authenticator_type"], a["active"]) for a in listed] == [("otp", False), ("recovery-code", False)]
    challenged = post(mockidp, "/mfa/challenge", json={**CLIENT, "mfa_token": token, "challenge_type": "otp",
                                                       "authenticator_id": listed[0]["id"]})
    assert challenged.json() == {"challenge_type": "otp"}

    code = mockidp.totp(secret)
    assert mockidp.totp(secret) == code  # frozen clock: a stable code
    tokens = mfa_otp(mockidp, token, code)
    assert tokens.status_code == 200, tokens.text
    claims = jwt.get_unverified_claims(tokens.json()["id_token"])
    assert claims["amr"] == ["mfa"] and claims["email"] == ALICE[0]
    assert jwt.get_unverified_claims(tokens.json()["access_token"])["amr"] == ["mfa"]

    # The next login: already enrolled (associate refused), the same code fails 90 s later.
    second = mfa_token(mockidp)
    refused = post(mockidp, "/mfa/associate", headers={"Authorization": f"Bearer {second}"},
                                     json={**CLIENT, "authenticator_types": ["otp"]})
    assert (refused.status_code, refused.json()["error"]) == (403, "access_denied"), refused.text
    mockidp.advance(90)
    stale = mfa_otp(mockidp, second, code)
    assert (stale.status_code, stale.json()) == (403, {"error": "invalid_grant",
                                                       "error_description": "Invalid otp_code."})
    assert mfa_otp(mockidp, second, mockidp.totp(secret)).status_code == 200

    third = mfa_token(mockidp)
    recovered = post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_RECOVERY, "mfa_token": third,
                                                    "recovery_code": recovery_code})
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["recovery_code"] not in ("", recovery_code)


def test_a_code_works_thirty_seconds_either_side(mockidp, mfa_always):
    token = mfa_token(mockidp)
    secret = enroll(mockidp, token)["secret"]
    assert mfa_otp(mockidp, token, mockidp.totp(secret, offset_seconds=30)).status_code == 200


def test_bad_mfa_input_changes_nothing(mockidp, api, mfa_always):
    token = mfa_token(mockidp)
    assert mfa_otp(mockidp, "not-a-token", "123456").json() == {
        "error": "invalid_grant", "error_description": "Malformed mfa_token"}
    not_enrolled = mfa_otp(mockidp, token, "123456")
    assert (not_enrolled.status_code, not_enrolled.json()["error"]) == (403, "invalid_grant")
    missing = post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_OTP, "mfa_token": token})
    assert missing.json()["error_description"] == "Missing required parameter: otp"
    secret = enroll(mockidp, token)["secret"]
    wrong = "000000" if mockidp.totp(secret) != "000000" else "111111"
    assert mfa_otp(mockidp, token, wrong).json()["error_description"] == "Invalid otp_code."
    mockidp.advance(601)
    expired = mfa_otp(mockidp, token, mockidp.totp(secret))
    assert (expired.status_code, expired.json()["error"]) == (403, "expired_token")
    types = [event["type"] for event in api.get("/api/v2/logs", params={"q": "type:feotpft"}).json()]
    assert len(types) == 5  # malformed token, not enrolled, missing otp, wrong code, expired


def test_unknown_factor_and_bad_policy(api):
    assert api.put("/api/v2/guardian/factors/carrier-pigeon", json={"enabled": True}).status_code == 404
    assert api.put("/api/v2/guardian/policies", json=["sometimes"]).status_code == 400
    assert api.get("/api/v2/guardian/policies").json() == []


def assert_spec(operation: str, status: int, body) -> None:
    validator = response_validator(operation, status)
    if validator is not None:
        validator.validate(body)


def test_management_api_shows_resets_and_regenerates(mockidp, api, mfa_always):
    token = mfa_token(mockidp)
    enrollment = enroll(mockidp, token)
    assert mfa_otp(mockidp, token, mockidp.totp(enrollment["secret"])).status_code == 200
    user_id = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]

    methods = api.get(f"/api/v2/users/{user_id}/authentication-methods").json()
    assert_spec("GET /users/{id}/authentication-methods", 200, methods)
    assert [(m["type"], m["confirmed"]) for m in methods] == [("totp", True), ("recovery-code", True)]
    totals = api.get(f"/api/v2/users/{user_id}/authentication-methods", params={"include_totals": "true"}).json()
    assert totals["total"] == 2 and len(totals["authenticators"]) == 2
    enrolled = api.get(f"/api/v2/users/{user_id}/enrollments").json()
    assert_spec("GET /users/{id}/enrollments", 200, enrolled)
    assert [(e["status"], e["auth_method"]) for e in enrolled] == [("confirmed", "authenticator")]

    regenerated = api.post(f"/api/v2/users/{user_id}/recovery-code-regeneration").json()
    assert regenerated["recovery_code"] != enrollment["recovery_codes"][0]
    old = post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_RECOVERY, "mfa_token": mfa_token(mockidp),
                                              "recovery_code": enrollment["recovery_codes"][0]})
    assert old.json() == {"error": "invalid_grant", "error_description": "Invalid recovery_code."}

    assert api.delete(f"/api/v2/users/{user_id}/authenticators").status_code == 204
    assert api.get(f"/api/v2/users/{user_id}/authentication-methods").json() == []
    again = enroll(mockidp, mfa_token(mockidp))  # reset: the next login enrolls afresh
    assert again["secret"] != enrollment["secret"] and "recovery_codes" in again
    assert api.post(f"/api/v2/users/{user_id}/recovery-code-regeneration").status_code == 400
    assert api.get("/api/v2/users/auth0%7Cnobody/enrollments").status_code == 404


def test_ten_wrong_codes_in_a_row_block_otp_for_a_while(mockidp, api, mfa_always):
    token = mfa_token(mockidp)
    secret = enroll(mockidp, token)["secret"]
    wrong = "000000" if mockidp.totp(secret) != "000000" else "111111"
    for _ in range(10):
        assert mfa_otp(mockidp, token, wrong).json()["error_description"] == "Invalid otp_code."
    blocked = mfa_otp(mockidp, token, mockidp.totp(secret))
    assert (blocked.status_code, blocked.json()["error"]) == (429, "too_many_attempts")
    assert [e["type"] for e in api.get("/api/v2/logs", params={"q": "type:gd_otp_rate_limit_exceed"}).json()] == [
        "gd_otp_rate_limit_exceed"]
    mockidp.advance(300)  # the mfa_token lives 600 s; the block 900 s
    assert mfa_otp(mockidp, token, mockidp.totp(secret)).status_code == 429
    mockidp.advance(600)
    token = mfa_token(mockidp)
    assert mfa_otp(mockidp, token, mockidp.totp(secret)).status_code == 200


def test_control_plane_gives_the_current_code(mockidp, api, mfa_always):
    token = mfa_token(mockidp)
    secret = enroll(mockidp, token)["secret"]
    user_id = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]
    current = mockidp.control("GET", f"/mfa/totp?user_id={user_id}")
    assert (current["secret"], current["code"], current["active"]) == (secret, mockidp.totp(secret), False)
    assert mfa_otp(mockidp, token, current["code"]).status_code == 200
    missing = requests.get(f"{mockidp.url}/_mock/mfa/totp", params={"user_id": "auth0|nobody"}, timeout=30)
    assert missing.status_code == 404


MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"


def test_email_oob_enrollment_challenge_and_grant(mockidp, api):
    assert api.put("/api/v2/guardian/factors/email", json={"enabled": True}).status_code == 200
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).status_code == 200
    try:
        token = mfa_token(mockidp)
        enrolled = post(mockidp, "/mfa/associate", headers={"Authorization": f"Bearer {token}"},
                        json={**CLIENT, "authenticator_types": ["oob"], "oob_channels": ["email"]})
        assert enrolled.status_code == 200, enrolled.text
        body = enrolled.json()
        assert (body["authenticator_type"], body["oob_channel"], body["binding_method"]) == ("oob", "email", "prompt")
        binding = mockidp.outbox(to=ALICE[0], template="mfa_oob_code")[-1]["code"]

        def oob_grant(mfa, oob_code, binding_code):
            return post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_OOB, "mfa_token": mfa,
                                                       "oob_code": oob_code, "binding_code": binding_code})
        wrong = oob_grant(token, body["oob_code"], "x" + binding)
        assert wrong.json() == {"error": "invalid_grant", "error_description": "Invalid binding_code."}
        tokens = oob_grant(token, body["oob_code"], binding)
        assert tokens.status_code == 200, tokens.text
        assert jwt.get_unverified_claims(tokens.json()["id_token"])["amr"] == ["mfa"]

        second = mfa_token(mockidp)
        listed = requests.get(f"{mockidp.url}/mfa/authenticators", timeout=30,
                              headers={"Authorization": f"Bearer {second}"}).json()
        [email] = [a for a in listed if a["authenticator_type"] == "oob"]
        assert (email["oob_channel"], email["name"], email["active"]) == ("email", ALICE[0], True)
        challenged = post(mockidp, "/mfa/challenge", json={**CLIENT, "mfa_token": second, "challenge_type": "oob",
                                                           "authenticator_id": email["id"]}).json()
        assert challenged["challenge_type"] == "oob" and challenged["binding_method"] == "prompt"
        code = mockidp.outbox(to=ALICE[0], template="mfa_oob_code")[-1]["code"]
        assert oob_grant(second, body["oob_code"], binding).json()["error_description"] == "Invalid oob_code."
        assert oob_grant(second, challenged["oob_code"], code).status_code == 200
    finally:
        mockidp.reset()


def test_deleting_an_authenticator_through_the_mfa_api(mockidp, mfa_always):
    """DELETE /mfa/authenticators/{id} (recorded: 204, no body): the app's code no longer works,
    the recovery code left alone goes too, and the next login enrolls afresh."""
    token = mfa_token(mockidp)
    secret = enroll(mockidp, token)["secret"]
    assert mfa_otp(mockidp, token, mockidp.totp(secret)).status_code == 200
    second = mfa_token(mockidp)
    bearer = {"Authorization": f"Bearer {second}"}
    [otp, _] = requests.get(f"{mockidp.url}/mfa/authenticators", headers=bearer, timeout=30).json()
    unknown = requests.delete(f"{mockidp.url}/mfa/authenticators/totp|dev_nothing", headers=bearer, timeout=30)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    deleted = requests.delete(f"{mockidp.url}/mfa/authenticators/{otp['id']}", headers=bearer, timeout=30)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert requests.get(f"{mockidp.url}/mfa/authenticators", headers=bearer, timeout=30).json() == []
    refused = mfa_otp(mockidp, second, mockidp.totp(secret))
    assert refused.status_code == 403, refused.text
    assert "secret" in enroll(mockidp, mfa_token(mockidp))  # not enrolled any more: associate works
    without_token = requests.delete(f"{mockidp.url}/mfa/authenticators/{otp['id']}", timeout=30)
    listed_without = requests.get(f"{mockidp.url}/mfa/authenticators", timeout=30)
    assert (without_token.status_code, without_token.json()) == (403, listed_without.json())
