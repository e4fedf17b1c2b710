"""A real browser (Playwright driving Debian's chromium) logs in with MFA policy "always": the
first login enrolls TOTP from the secret on the page and shows the recovery code once, the second
login (a new browser context, so no SSO session) is challenged for a code. And with policy "never",
a post-login Action's api.multifactor.enable makes the browser enroll a phone (SMS factor)."""
from __future__ import annotations

from urllib.parse import urlencode

from action_helpers import install_action, management_sdk
from browser_helpers import needs_chromium
from oauth_helpers import ALICE, WEB_ID
from test_browser_email import page  # noqa: F401  (fixture)
from test_hosted_mfa import mfa_always  # noqa: F401  (fixture)

pytestmark = needs_chromium


def start_login(mockidp, tab, callback: str) -> None:
    query = urlencode({"client_id": WEB_ID, "response_type": "code", "redirect_uri": callback,
                       "scope": "openid email", "state": "s1"})
    tab.goto(f"{mockidp.url}/authorize?{query}")
    tab.fill("#username", ALICE[0])
    tab.fill("#password", ALICE[1])
    tab.click("button[type=submit]")


def test_browser_login_enrolls_then_is_challenged(mockidp, api, mfa_always, chromium, page):  # noqa: F811
    callback = f"{mockidp.url}/_mock/health"  # any page the browser can land on
    callbacks = api.get(f"/api/v2/clients/{WEB_ID}").json()["callbacks"]
    assert api.patch(f"/api/v2/clients/{WEB_ID}", json={"callbacks": callbacks + [callback]}).status_code == 200

    start_login(mockidp, page, callback)
    page.wait_for_url("**/u/mfa-otp-enrollment-qr?state=*")
    secret = page.get_by_test_id("secret").inner_text()
    page.fill("#code", mockidp.totp(secret))
    page.click("form[data-testid=otp-form] button[type=submit]")
    page.wait_for_url("**/u/mfa-recovery-code-enrollment?state=*")
    assert len(page.get_by_test_id("recovery-code").inner_text()) == 24
    page.check("input[name=saved]")
    page.click("form[data-testid=recovery-code-form] button[type=submit]")
    page.wait_for_url("**/_mock/health?code=*")

    context = chromium.new_context()
    second = context.new_page()
    try:
        start_login(mockidp, second, callback)
        second.wait_for_url("**/u/mfa-otp-challenge?state=*")
        assert second.get_by_test_id("title").inner_text() == "Verify Your Identity"
        second.fill("#code", mockidp.totp(secret))
        second.click("form[data-testid=otp-form] button[type=submit]")
        second.wait_for_url("**/_mock/health?code=*")
    finally:
        context.close()


REQUIRE_MFA = "exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable('any'); };"


def test_browser_action_requires_mfa_and_enrolls_a_phone(mockidp, api, monkeypatch, chromium, page):  # noqa: F811
    """Policy "never", the sms factor on, a post-login Action calling api.multifactor.enable('any'):
    the browser enrolls a phone with the code from the phone outbox, then a second login (a new
    context) is challenged by SMS."""
    assert api.put("/api/v2/guardian/factors/sms", json={"enabled": True}).status_code == 200
    install_action(management_sdk(mockidp, monkeypatch), "require-mfa", REQUIRE_MFA)
    callback = f"{mockidp.url}/_mock/health"
    callbacks = api.get(f"/api/v2/clients/{WEB_ID}").json()["callbacks"]
    assert api.patch(f"/api/v2/clients/{WEB_ID}", json={"callbacks": callbacks + [callback]}).status_code == 200

    start_login(mockidp, page, callback)
    page.wait_for_url("**/u/mfa-sms-enrollment?state=*")
    page.fill("#phone", "+14155550100")
    page.click("form[data-testid=phone-form] button[type=submit]")
    page.wait_for_url("**/u/mfa-sms-challenge?state=*")
    assert page.get_by_test_id("phone").inner_text() == "+14155550100"
    page.fill("#code", mockidp.sms(to="+14155550100")[-1]["code"])
    page.click("form[data-testid=otp-form] button[type=submit]")
    page.wait_for_url("**/u/mfa-recovery-code-enrollment?state=*")
    page.check("input[name=saved]")
    page.click("form[data-testid=recovery-code-form] button[type=submit]")
    page.wait_for_url("**/_mock/health?code=*")

    context = chromium.new_context()
    second = context.new_page()
    try:
        start_login(mockidp, second, callback)
        second.wait_for_url("**/u/mfa-sms-challenge?state=*")
        second.fill("#code", mockidp.sms(to="+14155550100")[-1]["code"])
        second.click("form[data-testid=otp-form] button[type=submit]")
        second.wait_for_url("**/_mock/health?code=*")
    finally:
        context.close()
