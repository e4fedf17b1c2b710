"""Forgot password from the hosted login page: the reset email through the mailroom, the emailed
link, and logging in with the new password (seed 004's login half, in the browser flow)."""
from __future__ import annotations

import re
from html import unescape

import requests
from oauth_helpers import (
    ALICE,
    Browser,
    exchange_code,
    redirect_params,
    verify_id_token,
)


def forgot_password_page(browser: Browser) -> tuple[str, str]:
    """(login page, forgot-password page) of a fresh transaction."""
    login = browser.login_page()
    link = re.search(r'href="(/u/reset-password/request/[^"]+)"', browser.get(login).text).group(1)
    return login, unescape(link)


def test_forgot_password_then_login_with_the_new_password(mockidp):
    browser = Browser(mockidp.url)
    login, forgot = forgot_password_page(browser)
    assert forgot.startswith("/u/reset-password/request/Username-Password-Authentication?state=")
    form = browser.get(forgot)
    assert form.status_code == 200 and "Forgot Your Password?" in form.text

    sent = browser.post(forgot, data={"email": ALICE[0]})
    assert sent.status_code == 200 and "Check Your Email" in sent.text and ALICE[0] in sent.text
    assert f'href="{login}"' in unescape(sent.text)  # back to the application
    message = mockidp.outbox(to=ALICE[0], template="reset_email")[-1]
    page = message["url"].split("#", 1)[0]
    changed = requests.post(page, data={"password": "Brand-n3w!pass", "re-enter-password": "Brand-n3w!pass"},
                            timeout=30)
    assert changed.status_code == 200 and "Password Changed!" in changed.text

    old = browser.post(login, data={"username": ALICE[0], "password": ALICE[1]})
    assert old.status_code == 400
    params = redirect_params(browser.post(login, data={"username": ALICE[0], "password": "Brand-n3w!pass"}))
    claims = verify_id_token(mockidp.url, exchange_code(mockidp.url, params["code"]).json()["id_token"])
    assert claims["email"] == ALICE[0]


def test_a_reset_ends_the_users_sessions(mockidp):
    browser = Browser(mockidp.url)
    browser.sign_in(*ALICE)
    assert "code" in redirect_params(browser.authorize(prompt="none"))
    requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=30,
                  json={"email": ALICE[0], "connection": "Username-Password-Authentication"})
    page = mockidp.outbox(to=ALICE[0], template="reset_email")[-1]["url"].split("#", 1)[0]
    requests.post(page, data={"password": "Brand-n3w!pass", "re-enter-password": "Brand-n3w!pass"}, timeout=30)
    assert redirect_params(browser.authorize(prompt="none"))["error"] == "login_required"


def test_forgot_password_for_an_unknown_email_looks_the_same_and_sends_nothing(mockidp):
    browser = Browser(mockidp.url)
    _, forgot = forgot_password_page(browser)
    sent = browser.post(forgot, data={"email": "nobody@example.com"})
    assert sent.status_code == 200 and "Check Your Email" in sent.text
    assert mockidp.outbox(to="nobody@example.com") == []


def test_forgot_password_form_errors(mockidp):
    browser = Browser(mockidp.url)
    _, forgot = forgot_password_page(browser)
    assert "Please enter an email address" in browser.post(forgot, data={}).text
    assert "Email is not valid." in browser.post(forgot, data={"email": "nope"}).text
    unknown = browser.post("/u/reset-password/request/NoSuchConnection", data={"email": ALICE[0]})
    assert unknown.status_code == 400 and mockidp.outbox() == []
