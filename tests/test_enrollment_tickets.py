"""POST /api/v2/guardian/enrollments/ticket and POST /api/v2/refresh-tokens/revoke, with their
real effects: an enrollment ticket's URL opens a page that enrolls a TOTP app (single use, on the
tenant clock, emailed with send_mail), and revoked refresh tokens stop working at /oauth/token."""
from __future__ import annotations

import re

import pytest
import requests
from conftest import Api, new_user
from management_crud import assert_error, conforms, scoped
from oauth_helpers import ALICE, BOB, SPA_ID, Browser, exchange_code, token_request

TICKETS = "/api/v2/guardian/enrollments/ticket"
REVOKE = "/api/v2/refresh-tokens/revoke"


def text_of(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]+)<', html)
    assert match, html[:2000]
    return match.group(1)


@pytest.fixture
def user(api: Api) -> dict:
    return new_user(api, email="enrollee@example.com")


def ticket_for(api: Api, user: dict, **extra) -> dict:
    return conforms("POST /guardian/enrollments/ticket",
                    api.post(TICKETS, json={"user_id": user["user_id"], **extra}), 200)


# --- enrollment tickets -------------------------------------------------------------------------

def test_the_ticket_as_recorded(mockidp, api: Api, user):
    ticket = ticket_for(api, user, email="jon@example.com", factor="push-notification",
                        allow_multiple_enrollments=True)
    assert set(ticket) == {"ticket_id", "ticket_url"} and len(ticket["ticket_id"]) == 32
    assert ticket["ticket_url"] == f"{mockidp.url}/mfa/enrollment?ticket={ticket['ticket_id']}"
    assert mockidp.outbox(template="enrollment_email") == []  # no send_mail: no email


def test_the_ticket_page_enrolls_a_totp_app_once(mockidp, api: Api, user):
    link = ticket_for(api, user)["ticket_url"]
    page = requests.get(link, timeout=30)
    secret = text_of(page.text, "secret")
    assert text_of(requests.get(link, timeout=30).text, "secret") == secret  # a reload: the same secret
    wrong = requests.post(link, data={"code": "000000" if mockidp.totp(secret) != "000000" else "1"}, timeout=30)
    assert wrong.status_code == 400 and "The code you entered is invalid" in wrong.text
    done = requests.post(link, data={"code": mockidp.totp(secret)}, timeout=30)
    assert done.status_code == 200 and len(text_of(done.text, "recovery-code")) == 24
    [enrollment] = api.get(f"/api/v2/users/{user['user_id']}/enrollments").json()
    assert (enrollment["status"], enrollment["type"]) == ("confirmed", "authenticator")
    again = requests.get(link, timeout=30)
    assert again.status_code == 400 and "This URL can be used only once" in again.text


def test_an_enrolled_user_needs_allow_multiple_enrollments(mockidp, api: Api, user):
    first = ticket_for(api, user)["ticket_url"]
    secret = text_of(requests.get(first, timeout=30).text, "secret")
    assert requests.post(first, data={"code": mockidp.totp(secret)}, timeout=30).status_code == 200
    refused = requests.get(ticket_for(api, user)["ticket_url"], timeout=30)
    assert refused.status_code == 400 and "already enrolled" in refused.text
    another = ticket_for(api, user, allow_multiple_enrollments=True)["ticket_url"]
    second = text_of(requests.get(another, timeout=30).text, "secret")
    done = requests.post(another, data={"code": mockidp.totp(second)}, timeout=30)
    assert done.status_code == 200 and "Your authenticator app is enrolled." in done.text  # no new recovery code
    assert len(api.get(f"/api/v2/users/{user['user_id']}/enrollments").json()) == 2


def test_the_ticket_expires_on_the_tenant_clock(mockidp, api: Api, user):
    link = ticket_for(api, user)["ticket_url"]
    mockidp.advance(5 * 86400 - 1)
    assert requests.get(link, timeout=30).status_code == 200
    mockidp.advance(2)
    expired = requests.get(link, timeout=30)
    assert expired.status_code == 400 and "Access expired." in expired.text
    assert requests.get(f"{mockidp.url}/mfa/enrollment?ticket=nope", timeout=30).status_code == 400


def test_send_mail_emails_the_link(mockidp, api: Api, user):
    ticket = ticket_for(api, user, send_mail=True)
    [message] = mockidp.outbox(template="enrollment_email")
    assert message["to"] == "enrollee@example.com" and ticket["ticket_url"] in message["text"]
    ticket_for(api, user, send_mail=True, email="other@example.com")
    assert mockidp.outbox(template="enrollment_email")[-1]["to"] == "other@example.com"


def test_ticket_errors(mockidp, api: Api):
    assert_error(api.post(TICKETS, json={"user_id": "auth0|000000000000000000000000"}), 404,
                 "The user does not exist.", "inexistent_user")
    assert_error(api.post(TICKETS, json={}), 400, "Payload validation error: 'Missing required property: user_id'.",
                 "invalid_body")
    assert api.post(TICKETS, json={"user_id": "auth0|x", "ttl": 5}).status_code == 400
    reader = scoped(mockidp, "read:users")
    assert reader.post(TICKETS, json={"user_id": "auth0|x"}).status_code == 403


# --- bulk revocation of refresh tokens ----------------------------------------------------------

def _signed_in(mockidp, credentials=ALICE) -> str:
    params = Browser(mockidp.url).sign_in(*credentials, scope="openid offline_access")
    return exchange_code(mockidp.url, params["code"]).json()["refresh_token"]


def _refreshes(mockidp, refresh: str) -> bool:
    answer = token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID, refresh_token=refresh)
    return answer.status_code == 200


def _user_id(mockidp, email: str) -> str:
    return next(record.profile["user_id"] for record in mockidp.tenant.directory.users.values()
                if record.profile.get("email") == email)


def test_revoke_by_ids(mockidp, api: Api):
    first, second = _signed_in(mockidp), _signed_in(mockidp)
    family = mockidp.tenant.directory.refresh_tokens[first]["family_id"]
    answer = api.post(REVOKE, json={"ids": [family, "unknown"]})
    assert (answer.status_code, answer.json()) == (202, {})
    assert not _refreshes(mockidp, first) and _refreshes(mockidp, second)


def test_revoke_by_user_then_client(mockidp, api: Api):
    alices, bobs = _signed_in(mockidp), _signed_in(mockidp, BOB)
    alice = _user_id(mockidp, ALICE[0])
    assert api.post(REVOKE, json={"user_id": alice, "client_id": SPA_ID}).status_code == 202
    assert not _refreshes(mockidp, alices) and _refreshes(mockidp, bobs)
    assert api.get(f"/api/v2/users/{alice}/refresh-tokens").json() == {"tokens": []}


def test_revoke_refuses_bad_combinations_before_revoking_anything(mockidp, api: Api):
    refresh = _signed_in(mockidp)
    alice = _user_id(mockidp, ALICE[0])
    family = mockidp.tenant.directory.refresh_tokens[refresh]["family_id"]
    for body in ({}, {"client_id": SPA_ID}, {"ids": [family], "user_id": alice},
                 {"user_id": alice, "audience": "https://api"}):
        assert_error(api.post(REVOKE, json=body), 400, "Invalid combination of parameters.", "invalid_body")
    assert_error(api.post(REVOKE, json={"user_id": "auth0|000000000000000000000000"}), 400, "User not found.",
                 "invalid_body")
    assert_error(api.post(REVOKE, json={"user_id": alice, "client_id": "nope"}), 400, "Client not found.",
                 "invalid_body")
    assert_error(api.post(REVOKE, json={"user_id": alice, "client_id": SPA_ID, "audience": "https://nope"}),
                 400, "Resource server not found.", "invalid_body")
    assert api.post(REVOKE, json={"ids": []}).status_code == 400
    assert_error(api.post(REVOKE, json={"ids": [family] * 101}), 400,
                 "Payload validation error: 'Array is too long (101), maximum 100' on property ids.", "invalid_body")
    assert _refreshes(mockidp, refresh)
