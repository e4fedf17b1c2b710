"""The forum threads the email pipeline exists for, reproduced deterministically.

Seed 000: an invitation repurposes the reset email; a Liquid template branches on
user.email_verified and user.app_metadata.block_unverified_pw_reset; the app flips the flag right
after requesting the email. Whether the invitation or the "invalid reset" variant goes out
depends on when the email is rendered. Seed 004: one emailed link that sets the password and
verifies the email of an admin-created user.
"""
from __future__ import annotations

from conftest import Api, new_user
from email_helpers import (
    CONNECTION,
    STRONG_PASSWORD,
    TICKET_URL,
    advance,
    change_password,
    email_settings,
    flush,
    freeze,
    get_user,
    install_template,
    management_api,
    outbox,
    page_path,
    query_of,
    queue,
    submit_password,
)

# The forum post's own template (seed 000).
FORUM_TEMPLATE = """{% if user.email_verified == true %}
    # Password Reset Email
{% elsif user.app_metadata.block_unverified_pw_reset == false %}
    # Invitation Email
{% else %}
    # Invalid Password Reset Email - complete your invitation email, or contact your admin to send another invite
{% endif %}"""
SPA = "mockidpSpaClient0000000000000000"


def invite(api: Api, email: str) -> dict:
    """What the forum post's backend does: create the user unverified, flag false, no email."""
    return new_user(api, connection=CONNECTION, email=email, password="Gener4ted-Secret!", verify_email=False,
                    email_verified=False, app_metadata={"app_user_id": "someId", "block_unverified_pw_reset": False})


def send_invitation_then_block_resets(api: Api, anonymous: Api, user: dict) -> None:
    assert change_password(anonymous, user["email"], client_id=SPA).status_code == 200
    flipped = api.patch(f"/api/v2/users/{user['user_id']}", json={"app_metadata": {"block_unverified_pw_reset": True}})
    assert flipped.status_code == 200


def only_line(message: dict) -> str:
    return message["text"].strip()


def test_seed_000_render_at_delivery_sends_the_invalid_reset_variant(api, anonymous):
    install_template(api, "reset_email", body=FORUM_TEMPLATE, subject="Welcome")
    email_settings(anonymous, delivery="manual", render="delivery")
    user = invite(api, "invitee@example.com")
    send_invitation_then_block_resets(api, anonymous, user)
    assert outbox(anonymous) == [] and len(queue(anonymous)) == 1  # still queued when the flag flipped
    [message] = flush(anonymous)
    assert only_line(message).startswith("# Invalid Password Reset Email")  # the race the post feared


def test_seed_000_render_at_enqueue_sends_the_invitation(mockidp, api, anonymous):
    install_template(api, "reset_email", body=FORUM_TEMPLATE, subject="Welcome")
    email_settings(anonymous, delivery="manual", render="enqueue")
    user = invite(api, "invitee@example.com")
    send_invitation_then_block_resets(api, anonymous, user)
    [message] = mockidp.flush_emails()  # the pytest plugin's helpers
    assert only_line(message) == "# Invitation Email"
    assert mockidp.outbox(to="invitee@example.com") == [message]


def test_seed_000_immediate_delivery_sends_the_invitation(api, anonymous):
    install_template(api, "reset_email", body=FORUM_TEMPLATE, subject="Welcome")
    user = invite(api, "invitee@example.com")
    send_invitation_then_block_resets(api, anonymous, user)
    assert only_line(outbox(anonymous)[0]) == "# Invitation Email"
    # A stranger asking for a reset later gets the "invalid" variant, as the post intends.
    change_password(anonymous, "invitee@example.com")
    assert only_line(outbox(anonymous)[-1]).startswith("# Invalid Password Reset Email")


def test_seed_000_safe_alternative_a_72_hour_ticket(mockidp, anonymous):
    """A password-change ticket with ttl_sec = 259200: works before 72 h, expired after."""
    freeze(anonymous, "2030-03-01T09:00:00Z")
    api = management_api(mockidp)
    user = invite(api, "invitee@example.com")
    body = {"user_id": user["user_id"], "ttl_sec": 259200, "mark_email_as_verified": True,
            "result_url": "https://app.example.com/welcome"}
    used_in_time = api.post("/api/v2/tickets/password-change", json=body).json()["ticket"]
    left_alone = api.post("/api/v2/tickets/password-change", json=body).json()["ticket"]
    assert outbox(anonymous) == []  # tickets send nothing: the app emails the link itself

    advance(anonymous, 71 * 3600)
    assert "Change Your Password" in anonymous.get(page_path(used_in_time)).text
    done = submit_password(anonymous, used_in_time, STRONG_PASSWORD)
    assert done.status_code == 302
    assert query_of(done.headers["Location"])["success"] == ["true"]
    assert get_user(management_api(mockidp), user["user_id"])["email_verified"] is True

    advance(anonymous, 3600)  # exactly 72 h: still valid
    assert anonymous.get(page_path(left_alone)).status_code == 200
    advance(anonymous, 1)     # 259201 s after issue: expired
    expired = anonymous.get(page_path(left_alone))
    assert expired.status_code == 400 and "Link Expired" in expired.text
    refused = submit_password(anonymous, left_alone, "An0ther-Passw0rd!")
    assert refused.status_code == 400 and "Link Expired" in refused.text


def test_seed_004_one_email_sets_the_password_and_verifies(api, anonymous):
    """Welcome and verification emails off, the change-password email on: an admin-created user
    receives exactly one email, whose link sets the password and marks the email verified."""
    install_template(api, "verify_email", enabled=False)
    install_template(api, "welcome_email", enabled=False)
    user = new_user(api, email="new.hire@example.com", password="Temp0rary-Pass!")  # by the admin
    assert outbox(anonymous) == []
    # What the post-user-registration hook does: request the change-password email.
    assert change_password(anonymous, "new.hire@example.com", client_id=SPA).status_code == 200
    [message] = outbox(anonymous, to="new.hire@example.com")
    assert message["template"] == "reset_email" and message["links"] == [message["url"]]
    assert TICKET_URL.match(message["url"])["page"] == "reset-password"

    form = anonymous.get(page_path(message["url"]))
    assert form.status_code == 200 and "new.hire@example.com" in form.text
    done = submit_password(anonymous, message["url"], STRONG_PASSWORD)
    assert done.status_code == 200 and "Password Changed!" in done.text
    after = get_user(api, user["user_id"])
    assert after["email_verified"] is True and "last_password_reset" in after
    assert len(outbox(anonymous, to="new.hire@example.com")) == 1  # one email, nothing else sent
