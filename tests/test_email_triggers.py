"""The Management API's email side effects: POST /users verify_email, PATCH email +
verify_email (seed 002's flow), and the verification-email job."""
from __future__ import annotations

import re

import pytest
from conftest import Api, new_user
from email_helpers import (
    TICKET_URL,
    email_settings,
    flush,
    get_user,
    install_template,
    outbox,
    page_path,
)


@pytest.mark.parametrize("body, sent", [
    ({}, True),                                                 # unverified: verify_email
    ({"email_verified": True}, False),
    ({"verify_email": False}, False),
    ({"email_verified": True, "verify_email": True}, True),     # verify_email overrides
])
def test_create_user_verification_email(api, anonymous, body, sent):
    user = new_user(api, email="created@example.com", **body)
    messages = outbox(anonymous)
    assert [(m["template"], m["user_id"]) for m in messages] == ([("verify_email", user["user_id"])] if sent else [])


def test_change_email_with_verify_email(api, anonymous):
    """Seed 002: PATCH email + verify_email sends verify_email to the new address; the user stays
    unverified until the link is followed."""
    alice = api.get("/api/v2/users-by-email", params={"email": "alice@example.com"}).json()[0]
    response = api.patch(f"/api/v2/users/{alice['user_id']}", json={
        "email": "alice.new@example.com", "verify_email": True, "client_id": "mockidpWebClient0000000000000000"})
    assert response.status_code == 200
    assert response.json()["email"] == "alice.new@example.com" and response.json()["email_verified"] is False
    [message] = outbox(anonymous)
    assert (message["template"], message["to"]) == ("verify_email", "alice.new@example.com")
    assert anonymous.get(page_path(message["url"])).status_code == 200
    assert get_user(api, alice["user_id"])["email_verified"] is True


def test_verification_link_for_an_address_no_longer_the_users(api, anonymous):
    alice = api.get("/api/v2/users-by-email", params={"email": "alice@example.com"}).json()[0]
    api.patch(f"/api/v2/users/{alice['user_id']}", json={"email": "first@example.com", "verify_email": True})
    api.patch(f"/api/v2/users/{alice['user_id']}", json={"email": "second@example.com"})
    [message] = outbox(anonymous)
    response = anonymous.get(page_path(message["url"]))
    assert response.status_code == 400 and "Your email address could not be verified." in response.text
    assert get_user(api, alice["user_id"])["email_verified"] is False


def test_patch_without_verify_email_sends_nothing(api, anonymous):
    alice = api.get("/api/v2/users-by-email", params={"email": "alice@example.com"}).json()[0]
    api.patch(f"/api/v2/users/{alice['user_id']}", json={"email": "quiet@example.com"})
    api.patch(f"/api/v2/users/{alice['user_id']}", json={"given_name": "A", "verify_email": True})
    assert outbox(anonymous) == []


# --- jobs -----------------------------------------------------------------------------------

def bob_id(api: Api) -> str:
    return api.get("/api/v2/users-by-email", params={"email": "bob@example.com"}).json()[0]["user_id"]


def test_verification_email_job(api, anonymous):
    email_settings(anonymous, delivery="manual")
    response = api.post("/api/v2/jobs/verification-email", json={
        "user_id": bob_id(api), "identity": {"user_id": bob_id(api).split("|")[1], "provider": "auth0"}})
    assert response.status_code == 201
    job = response.json()
    assert list(job) == ["type", "status", "created_at", "id"]
    assert job["type"] == "verification_email" and job["status"] == "pending"
    assert re.fullmatch(r"job_[A-Za-z0-9]{16}", job["id"])
    assert api.get(f"/api/v2/jobs/{job['id']}").json() == job
    [message] = flush(anonymous)
    assert (message["template"], message["to"]) == ("verify_email", "bob@example.com")
    assert TICKET_URL.match(message["url"])["page"] == "email-verification"
    assert api.get(f"/api/v2/jobs/{job['id']}").json() == {**job, "status": "completed"}
    anonymous.delete("/_mock/outbox")
    assert api.get(f"/api/v2/jobs/{job['id']}").json()["status"] == "completed"


def test_job_fails_when_the_email_cannot_be_sent(api, anonymous):
    install_template(api, "verify_email", body="{{ user.email | nope }}")
    failed_render = api.post("/api/v2/jobs/verification-email", json={"user_id": bob_id(api)}).json()
    assert api.get(f"/api/v2/jobs/{failed_render['id']}").json()["status"] == "failed"
    api.patch("/api/v2/email-templates/verify_email", json={"enabled": False})
    disabled = api.post("/api/v2/jobs/verification-email", json={"user_id": bob_id(api)}).json()
    assert disabled["status"] == "pending"
    assert api.get(f"/api/v2/jobs/{disabled['id']}").json()["status"] == "failed"


@pytest.mark.parametrize("body, status, fragment", [
    ({}, 400, "Missing required property: user_id"),
    ({"user_id": "auth0|000000000000000000000000"}, 404, "The user does not exist."),
    ({"user_id": "BOB", "client_id": "nope"}, 404, "The client does not exist"),
    ({"user_id": "BOB", "extra": 1}, 400, "Additional properties not allowed: extra"),
])
def test_job_bad_input(api, anonymous, body, status, fragment):
    if body.get("user_id") == "BOB":
        body["user_id"] = bob_id(api)
    response = api.post("/api/v2/jobs/verification-email", json=body)
    assert response.status_code == status
    assert fragment in response.json()["message"]
    assert outbox(anonymous) == []


def test_unknown_job_and_scopes(mockidp, api):
    missing = api.get("/api/v2/jobs/job_0000000000000000")
    assert missing.status_code == 404 and missing.json()["errorCode"] == "inexistent_job"
    reader = Api(mockidp.url, mockidp.management_token(scope="read:users"))
    denied = reader.post("/api/v2/jobs/verification-email", json={"user_id": bob_id(api)})
    assert denied.status_code == 403
    assert denied.json()["message"] == "Insufficient scope, expected any of: update:users"
