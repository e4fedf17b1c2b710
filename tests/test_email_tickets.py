"""Tickets (Management API) and the hosted pages they lead to: lifetimes on the tenant clock,
single use, redirects, policy errors, emailed-link superseding, bad input."""
from __future__ import annotations

import pytest
from conftest import Api, new_user
from email_helpers import (
    STRONG_PASSWORD,
    TICKET_URL,
    advance,
    change_password,
    freeze,
    get_user,
    install_template,
    management_api,
    outbox,
    page_path,
    query_of,
    submit_password,
    ticket_of,
)

RESULT_URL = "https://app.example.com/after-reset"


def password_ticket(api: Api, **body) -> str:
    response = api.post("/api/v2/tickets/password-change", json=body)
    assert response.status_code == 201, response.text
    assert list(response.json()) == ["ticket"]
    return response.json()["ticket"]


def verification_ticket(api: Api, **body) -> str:
    response = api.post("/api/v2/tickets/email-verification", json=body)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def bob(api: Api) -> dict:
    return api.get("/api/v2/users-by-email", params={"email": "bob@example.com"}).json()[0]


# --- the Management API ---------------------------------------------------------------------

def test_password_change_ticket_url_and_no_email(mockidp, api, anonymous):
    link = password_ticket(api, user_id=bob(api)["user_id"])
    match = TICKET_URL.match(link)
    assert match and match["page"] == "reset-password" and match["base"] == mockidp.url
    assert outbox(anonymous) == []


def test_password_change_ticket_by_email_and_connection_id(api, anonymous):
    connection_id = api.get("/api/v2/connections").json()[0]["id"]
    link = password_ticket(api, email="Bob@Example.com", connection_id=connection_id)
    page = anonymous.get(page_path(link))
    assert page.status_code == 200 and "bob@example.com" in page.text


@pytest.mark.parametrize("body, status, fragment", [
    ({"user_id": "auth0|x", "email": "bob@example.com", "connection_id": "con_0000000000000001"}, 400,
     "cannot be specified together"),
    ({}, 400, "Missing required property: user_id"),
    ({"email": "bob@example.com"}, 400, "Missing required property: connection_id"),
    ({"user_id": "auth0|000000000000000000000000"}, 404, "The user does not exist."),
    ({"email": "bob@example.com", "connection_id": "con_0000000000000001"}, 404, "The connection does not exist"),
    ({"user_id": "x", "ttl_sec": -1}, 400, "Value -1 is less than minimum 0"),
    ({"user_id": "x", "result_url": "not a url"}, 400, "format url"),
    ({"user_id": "x", "lifetime": 3}, 400, "Additional properties not allowed: lifetime"),
    ({"user_id": "x", "client_id": "nope"}, 404, None),
])
def test_password_change_ticket_bad_input(api, body, status, fragment):
    if body.get("user_id") == "x":
        body["user_id"] = bob(api)["user_id"]
    response = api.post("/api/v2/tickets/password-change", json=body)
    assert response.status_code == status, response.text
    if fragment:
        assert fragment in response.json()["message"]


def test_ticket_scope(mockidp):
    reader = Api(mockidp.url, mockidp.management_token(scope="read:users"))
    response = reader.post("/api/v2/tickets/password-change", json={"user_id": "auth0|x"})
    assert response.status_code == 403
    assert response.json()["message"] == "Insufficient scope, expected any of: create:user_tickets"


def test_email_verification_ticket_bad_input(api):
    assert api.post("/api/v2/tickets/email-verification", json={}).json()["message"] == \
        "Payload validation error: 'Missing required property: user_id'."
    both = api.post("/api/v2/tickets/email-verification", json={
        "user_id": bob(api)["user_id"], "result_url": RESULT_URL, "client_id": "mockidpSpaClient0000000000000000"})
    assert both.status_code == 400
    missing = api.post("/api/v2/tickets/email-verification", json={"user_id": "auth0|000000000000000000000000"})
    assert missing.status_code == 404 and missing.json()["errorCode"] == "inexistent_user"


# --- /u/reset-password ----------------------------------------------------------------------

def test_reset_page_form(api, anonymous):
    link = password_ticket(api, user_id=bob(api)["user_id"])
    page = anonymous.get(page_path(link))
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    for text in ("Change Your Password", "Enter a new password below to change your password.",
                 "New password", "Re-enter new password", "Your password must contain:",
                 "At least 8 characters in length", "Reset password", "bob@example.com"):
        assert text in page.text


def test_reset_with_api_ticket_redirects_and_marks_verified_only_when_asked(api, anonymous):
    user = bob(api)
    plain = password_ticket(api, user_id=user["user_id"])
    done = submit_password(anonymous, plain, STRONG_PASSWORD)
    assert done.status_code == 200 and "Password Changed!" in done.text
    after = get_user(api, user["user_id"])
    assert after["email_verified"] is False and "last_password_reset" in after

    marking = password_ticket(api, user_id=user["user_id"], result_url=RESULT_URL, mark_email_as_verified=True,
                              includeEmailInRedirect=True)
    redirected = submit_password(anonymous, marking, "An0ther-Passw0rd!")
    assert redirected.status_code == 302
    location = redirected.headers["Location"]
    assert location.startswith(RESULT_URL + "?")
    assert query_of(location) == {"success": ["true"], "email": ["bob@example.com"],
                                  "message": ["You can now login to the application with the new password."]}
    assert get_user(api, user["user_id"])["email_verified"] is True


def test_reset_link_is_single_use(api, anonymous):
    link = password_ticket(api, user_id=bob(api)["user_id"])
    assert submit_password(anonymous, link, STRONG_PASSWORD).status_code == 200
    for used in (anonymous.get(page_path(link)), submit_password(anonymous, link, "An0ther-Passw0rd!")):
        assert used.status_code == 400
        assert "Invalid Link" in used.text and "This link has already been used." in used.text


@pytest.mark.parametrize("password, confirmation, error", [
    ("abcdefg!", None, "Password is too weak"),
    ("short", None, "Password is too weak"),
    (STRONG_PASSWORD, "Different-Passw0rd!", "Passwords don&#39;t match."),
])
def test_reset_policy_errors_change_nothing(api, anonymous, password, confirmation, error):
    user = bob(api)
    link = password_ticket(api, user_id=user["user_id"])
    response = submit_password(anonymous, link, password, confirmation)
    assert response.status_code == 400
    assert error in response.text
    assert "Your password must contain:" in response.text
    assert get_user(api, user["user_id"]) == user  # nothing changed
    assert submit_password(anonymous, link, STRONG_PASSWORD).status_code == 200  # link still usable


def test_default_lifetime_is_five_days(mockidp, anonymous):
    freeze(anonymous)
    api = management_api(mockidp)
    link = password_ticket(api, user_id=bob(api)["user_id"])
    advance(anonymous, 432000)
    assert anonymous.get(page_path(link)).status_code == 200  # valid up to its expiry instant
    advance(anonymous, 1)
    expired = anonymous.get(page_path(link))
    assert expired.status_code == 400
    assert "Link Expired" in expired.text
    assert "Forgot Your Password" in expired.text


def test_api_tickets_do_not_invalidate_each_other(api, anonymous):
    user_id = bob(api)["user_id"]
    first, second = password_ticket(api, user_id=user_id), password_ticket(api, user_id=user_id)
    assert ticket_of(first) != ticket_of(second)
    assert submit_password(anonymous, second, STRONG_PASSWORD).status_code == 200
    assert submit_password(anonymous, first, "An0ther-Passw0rd!").status_code == 200


def test_only_the_latest_emailed_reset_link_works(api, anonymous):
    change_password(anonymous, "bob@example.com")
    change_password(anonymous, "bob@example.com")
    older, newer = (m["url"] for m in outbox(anonymous))
    api_ticket = password_ticket(api, user_id=bob(api)["user_id"])
    superseded = anonymous.get(page_path(older))
    assert superseded.status_code == 400 and "Invalid Link" in superseded.text
    assert anonymous.get(page_path(newer)).status_code == 200
    assert anonymous.get(page_path(api_ticket)).status_code == 200  # tickets are separate


def test_emailed_reset_link_verifies_the_email_and_uses_the_template_result_url(api, anonymous):
    install_template(api, "reset_email", resultUrl="https://{{ application.name | downcase | replace: ' ', '-' }}.example.com/done")
    change_password(anonymous, "bob@example.com", client_id="mockidpSpaClient0000000000000000")
    [message] = outbox(anonymous)
    response = submit_password(anonymous, message["url"], STRONG_PASSWORD)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("https://mockidp-spa.example.com/done?success=true&message=")
    assert query_of(location)["email"] == ["bob@example.com"]  # includeEmailInRedirect defaults to true
    assert get_user(api, bob(api)["user_id"])["email_verified"] is True


@pytest.mark.parametrize("query", ["", "?ticket=", "?ticket=<script>alert(1)</script>",
                                   "?ticket=" + "A" * 32, "?ticket=" + "x" * 5000])
def test_reset_page_garbage_tickets(anonymous, query):
    for response in (anonymous.get("/u/reset-password" + query),
                     anonymous.post("/u/reset-password" + query, data={"password": STRONG_PASSWORD})):
        assert response.status_code == 400
        assert "Invalid Link" in response.text
        assert "<script>alert" not in response.text


def test_hosted_pages_wrong_method(anonymous):
    for response in (anonymous.put("/u/reset-password?ticket=x"), anonymous.post("/u/email-verification"),
                     anonymous.delete("/u/reset-password")):
        assert response.status_code == 405
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Method Not Allowed" in response.text
    assert anonymous.get("/u/nowhere").status_code == 404


def test_password_ticket_does_not_open_the_verification_page(api, anonymous):
    link = password_ticket(api, user_id=bob(api)["user_id"])
    response = anonymous.get(f"/u/email-verification?ticket={ticket_of(link)}")
    assert response.status_code == 400
    assert "User account does not exist or the verification code is invalid." in response.text


# --- /u/email-verification ----------------------------------------------------------------

def test_verification_ticket_page_then_reuse(api, anonymous):
    user = bob(api)
    link = verification_ticket(api, user_id=user["user_id"])
    assert TICKET_URL.match(link)["page"] == "email-verification"
    assert anonymous.request("HEAD", page_path(link)).status_code == 200  # a probe does not use it
    verified = anonymous.get(page_path(link))
    assert verified.status_code == 200 and "Email Verified" in verified.text
    assert get_user(api, user["user_id"])["email_verified"] is True
    again = anonymous.get(page_path(link))
    assert again.status_code == 400 and "This URL can be used only once" in again.text


def test_verification_redirects_with_success_and_failure(api, anonymous):
    link = verification_ticket(api, user_id=bob(api)["user_id"], result_url=RESULT_URL)
    first = anonymous.get(page_path(link), allow_redirects=False)
    assert first.status_code == 302
    assert query_of(first.headers["Location"]) == {
        "success": ["true"], "message": ["Your email was verified. You can continue using the application."]}
    second = anonymous.get(page_path(link), allow_redirects=False)
    assert second.headers["Location"] == RESULT_URL + "?success=false&message=This%20URL%20can%20be%20used%20only%20once"


def test_verification_link_expires_with_ttl(mockidp, anonymous):
    freeze(anonymous)
    api = management_api(mockidp)
    link = verification_ticket(api, user_id=bob(api)["user_id"], ttl_sec=60, result_url=RESULT_URL)
    advance(anonymous, 61)
    expired = anonymous.get(page_path(link), allow_redirects=False)
    assert query_of(expired.headers["Location"]) == {"success": ["false"], "message": ["Access expired."]}
    assert get_user(management_api(mockidp), bob(api)["user_id"])["email_verified"] is False


def test_already_verified(api, anonymous):
    alice = api.get("/api/v2/users-by-email", params={"email": "alice@example.com"}).json()[0]
    link = verification_ticket(api, user_id=alice["user_id"])
    response = anonymous.get(page_path(link))
    assert response.status_code == 400 and "This account is already verified." in response.text


def test_deleted_user(api, anonymous):
    user = new_user(api, email="gone@example.com", verify_email=False)
    link = verification_ticket(api, user_id=user["user_id"])
    api.delete(f"/api/v2/users/{user['user_id']}")
    response = anonymous.get(page_path(link))
    assert response.status_code == 400
    assert "User account does not exist or the verification code is invalid." in response.text


def test_emailed_link_lifetime_follows_the_template(mockidp, api, anonymous):
    install_template(api, "reset_email", urlLifetimeInSeconds=3600)
    freeze(anonymous)
    change_password(anonymous, "bob@example.com")
    [message] = outbox(anonymous)
    advance(anonymous, 3600)
    assert anonymous.get(page_path(message["url"])).status_code == 200
    advance(anonymous, 1)
    assert "Link Expired" in anonymous.get(page_path(message["url"])).text
