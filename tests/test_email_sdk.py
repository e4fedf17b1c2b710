"""The official auth0-python SDK, unchanged, against the email pipeline (over HTTPS)."""
from __future__ import annotations

import pytest
from auth0.authentication import Database
from auth0.authentication.exceptions import Auth0Error
from auth0.management import ManagementClient
from auth0.management.errors import ConflictError
from email_helpers import CONNECTION, TICKET_URL, outbox

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

SPA = "mockidpSpaClient0000000000000000"


@pytest.fixture
def trusted(mockidp, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))       # httpx (Management API)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(mockidp.ca_bundle))  # requests (Authentication API)
    return mockidp


@pytest.fixture
def sdk(trusted) -> ManagementClient:
    return ManagementClient(domain=trusted.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


@pytest.fixture
def database(trusted) -> Database:
    return Database(trusted.domain, SPA)


def test_signup_and_change_password(database, anonymous):
    created = database.signup(email="sdk@example.com", password="Sup3r$ecret!", connection=CONNECTION)
    assert created["email"] == "sdk@example.com" and created["email_verified"] is False
    assert database.change_password(email="sdk@example.com", connection=CONNECTION) == \
        "We've just sent you an email to reset your password."
    templates = [m["template"] for m in outbox(anonymous, to="sdk@example.com")]
    assert templates == ["verify_email", "reset_email"]
    # Ticket links carry the HTTPS base URL the SDK called.
    assert all(TICKET_URL.match(m["url"])["base"].startswith("https://") for m in outbox(anonymous))


def test_signup_errors_surface_as_auth0_errors(database):
    with pytest.raises(Auth0Error) as raised:
        database.signup(email="weak@example.com", password="weak", connection=CONNECTION)
    assert raised.value.status_code == 400 and raised.value.error_code == "invalid_password"


def test_tickets_templates_and_jobs(sdk, anonymous):
    bob = sdk.users.list_users_by_email(email="bob@example.com")[0]
    ticket = sdk.tickets.change_password(user_id=bob.user_id, ttl_sec=3600, mark_email_as_verified=True)
    assert TICKET_URL.match(ticket.ticket)["page"] == "reset-password"
    verification = sdk.tickets.verify_email(user_id=bob.user_id)
    assert TICKET_URL.match(verification.ticket)["page"] == "email-verification"

    sdk.email_templates.create(template="verify_email", body="Hi {{ user.email }}", from_="me@example.com",
                               subject="Verify", syntax="liquid", enabled=True)
    with pytest.raises(ConflictError):
        sdk.email_templates.create(template="verify_email", body="x", from_="me@example.com", subject="x",
                                   syntax="liquid", enabled=True, request_options={"max_retries": 0})
    updated = sdk.email_templates.update("verify_email", subject="Please verify")
    assert updated.subject == "Please verify" and sdk.email_templates.get("verify_email").body == "Hi {{ user.email }}"

    job = sdk.jobs.verification_email.create(user_id=bob.user_id)
    assert job.type == "verification_email" and job.status == "pending"
    assert sdk.jobs.get(job.id).status == "completed"
    [message] = outbox(anonymous, template="verify_email")
    assert (message["subject"], message["html"]) == ("Please verify", "Hi bob@example.com")
