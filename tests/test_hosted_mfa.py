"""MFA on the hosted login pages with policy "always": the first login enrolls TOTP (secret and
otpauth URI on the page, the first code activates it, the recovery code is shown once), the next
login is challenged; wrong codes keep the user on the page; the recovery code works instead of a
TOTP code. Driven with form posts (a real browser: test_browser_mfa.py)."""
from __future__ import annotations

import re

import pytest
from email_helpers import email_settings
from oauth_helpers import ALICE, VERIFIER, Browser, exchange_code, redirect_params, unverified_claims


@pytest.fixture
def mfa_always(mockidp, api):
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": True}).status_code == 200
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).status_code == 200
    mockidp.freeze("2026-03-01T10:00:00Z")
    yield
    mockidp.reset()


def text_of(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]+)<', html)
    assert match, html[:2000]
    return match.group(1)


def password_step(browser: Browser) -> str:
    """/authorize and the password: the MFA page the login goes to next."""
    login_page = browser.login_page()
    answer = browser.post(login_page, data={"username": ALICE[0], "password": ALICE[1]})
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_first_login_enrolls_and_the_second_is_challenged(mockidp, mfa_always):
    browser = Browser(mockidp.url)
    enroll_page = password_step(browser)
    assert enroll_page.startswith("/u/mfa-otp-enrollment-qr?state=")
    html = browser.get(enroll_page).text
    secret = text_of(html, "secret")
    assert text_of(html, "otpauth-uri").startswith("otpauth://totp/mockidp:alice%40example.com?secret=")
    assert browser.get(enroll_page).text.count(secret) >= 1  # a reload shows the same secret

    wrong = browser.post(enroll_page, data={"code": "000000" if mockidp.totp(secret) != "000000" else "1"})
    assert wrong.status_code == 400 and "The code you entered is invalid" in wrong.text
    shown = browser.post(enroll_page, data={"code": mockidp.totp(secret)})
    assert shown.headers["Location"].startswith("/u/mfa-recovery-code-enrollment?state=")
    recovery_code = text_of(browser.get(shown.headers["Location"]).text, "recovery-code")
    assert len(recovery_code) == 24
    params = redirect_params(browser.post(shown.headers["Location"], data={"saved": "on"}))
    tokens = exchange_code(mockidp.url, params["code"], verifier=VERIFIER).json()
    claims = unverified_claims(tokens["id_token"])
    assert claims["email"] == ALICE[0] and claims["amr"] == ["mfa"]
    assert unverified_claims(tokens["access_token"])["amr"] == ["mfa"]

    second = Browser(mockidp.url)
    challenge_page = password_step(second)
    assert challenge_page.startswith("/u/mfa-otp-challenge?state=")
    mockidp.advance(90)
    assert second.post(challenge_page, data={"code": mockidp.totp(secret, offset_seconds=-90)}).status_code == 400
    assert "code" in redirect_params(second.post(challenge_page, data={"code": mockidp.totp(secret)}))

    third = Browser(mockidp.url)
    challenge_page = password_step(third)
    replaced = third.post(challenge_page, data={"recovery_code": recovery_code})
    new_code = text_of(third.get(replaced.headers["Location"]).text, "recovery-code")
    assert new_code != recovery_code
    assert "code" in redirect_params(third.post(replaced.headers["Location"], data={"saved": "on"}))


def test_mfa_pages_need_a_waiting_transaction(mockidp, mfa_always):
    browser = Browser(mockidp.url)
    state = browser.login_page().split("state=", 1)[1]
    for path in ("/u/mfa-otp-enrollment-qr", "/u/mfa-otp-challenge", "/u/mfa-recovery-code-enrollment"):
        assert browser.get(f"{path}?state={state}").status_code == 400  # the password step is not done
        assert browser.get(f"{path}?state=nope").status_code == 400


def test_no_policy_no_mfa_pages(mockidp):
    params = Browser(mockidp.url).sign_in(*ALICE)
    tokens = exchange_code(mockidp.url, params["code"], verifier=VERIFIER).json()
    assert "amr" not in unverified_claims(tokens["id_token"])


@pytest.fixture
def email_factor(mockidp, api):
    assert api.put("/api/v2/guardian/factors/email", json={"enabled": True}).status_code == 200
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).status_code == 200
    mockidp.freeze("2026-03-01T10:00:00Z")
    yield
    mockidp.reset()


def test_email_factor_waits_for_a_manual_delivery(mockidp, anonymous, email_factor):
    email_settings(anonymous, delivery="manual")
    browser = Browser(mockidp.url)
    email_page = password_step(browser)
    assert email_page.startswith("/u/mfa-email-challenge?state=")
    assert text_of(browser.get(email_page).text, "email") == ALICE[0]
    assert mockidp.outbox(to=ALICE[0]) == []  # held: the login waits
    [message] = mockidp.flush_emails()
    assert message["template"] == "mfa_oob_code" and message["code"] in message["text"]
    assert browser.get(email_page).status_code == 200 and mockidp.flush_emails() == []  # no second email
    wrong = browser.post(email_page, data={"code": "x" + message["code"]})
    assert wrong.status_code == 400 and "The code you entered is invalid" in wrong.text
    params = redirect_params(browser.post(email_page, data={"code": message["code"]}))
    assert "code" in params


def test_email_code_expires_on_the_mock_clock(mockidp, email_factor):
    browser = Browser(mockidp.url)
    email_page = password_step(browser)
    browser.get(email_page)
    code = mockidp.outbox(to=ALICE[0])[-1]["code"]
    mockidp.advance(301)
    assert browser.post(email_page, data={"code": code}).status_code == 400  # and a new one is sent
    fresh = mockidp.outbox(to=ALICE[0])[-1]["code"]
    assert len(mockidp.outbox(to=ALICE[0])) == 2
    assert "code" in redirect_params(browser.post(email_page, data={"code": fresh}))


def test_email_factor_needs_a_verified_email(mockidp, email_factor):
    params = Browser(mockidp.url).sign_in("bob@example.com", "Passw0rd!bob")  # bob is unverified
    assert "code" in params
