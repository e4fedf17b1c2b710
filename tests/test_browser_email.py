"""A real browser (Playwright driving Debian's chromium) through the outbox page and the hosted
reset-password page: what a developer does with mockidp open in a tab."""
from __future__ import annotations

import pytest
from browser_helpers import WAIT_MS, needs_chromium
from email_helpers import (
    STRONG_PASSWORD,
    change_password,
    email_settings,
    install_template,
    outbox,
)

pytestmark = needs_chromium


@pytest.fixture
def page(chromium, tmp_path):
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    yield tab
    tab.screenshot(path=str(tmp_path / "last.png"))  # kept by pytest for a look after a failure
    context.close()


def test_reset_link_from_the_outbox_to_the_result_url(mockidp, api, anonymous, page):
    result_url = f"{mockidp.url}/_mock/health"  # any page the browser can land on
    install_template(api, "reset_email", resultUrl=result_url,
                     body="<p>Hi {{ user.email }}</p><p><a href=\"{{ url }}\">Reset my password</a></p>")
    change_password(anonymous, "bob@example.com")
    [message] = outbox(anonymous)

    page.goto(f"{mockidp.url}/_mock/outbox.html")
    assert page.get_by_test_id("message").count() == 1
    page.get_by_test_id("link").first.click()
    page.wait_for_url("**/u/reset-password?ticket=*")
    assert page.get_by_role("heading", name="Change Your Password").is_visible()

    page.fill("#password", "weakpass")
    page.fill("#re-enter-password", "weakpass")
    page.click("button[type=submit]")
    assert page.get_by_test_id("error").inner_text().strip().endswith("Password is too weak")

    page.fill("#password", STRONG_PASSWORD)
    page.fill("#re-enter-password", STRONG_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(result_url + "?**")
    assert "success=true" in page.url and "email=bob%40example.com" in page.url
    bob = api.get("/api/v2/users-by-email", params={"email": "bob@example.com"}).json()[0]
    assert bob["email_verified"] is True and "last_password_reset" in bob

    page.goto(message["url"])  # the link again: used up
    assert page.get_by_role("heading", name="Invalid Link").is_visible()


def test_outbox_page_renders_emails_and_flushes_the_queue(mockidp, api, anonymous, page):
    email_settings(anonymous, delivery="manual")
    change_password(anonymous, "alice@example.com")
    page.goto(f"{mockidp.url}/_mock/outbox.html")
    assert page.get_by_test_id("empty").is_visible()
    assert "alice@example.com" in page.get_by_test_id("queue").inner_text()

    with page.expect_navigation():
        page.click("#flush")
    assert page.get_by_test_id("message").count() == 1
    frame = page.frame_locator("iframe").first
    assert frame.get_by_role("heading", name="Reset your password").is_visible()
    with page.expect_navigation():  # a link inside the rendered email opens in the tab
        frame.get_by_role("link", name="Reset password").click()
    assert "/u/reset-password?ticket=" in page.url

    page.goto(f"{mockidp.url}/_mock/outbox.html")
    with page.expect_navigation():
        page.click("#clear")
    assert page.get_by_test_id("empty").is_visible()
