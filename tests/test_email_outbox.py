"""The mailroom over HTTP: delivery modes on the tenant clock, render modes, the outbox and queue
endpoints, the email settings section, template failures and reset."""
from __future__ import annotations

import pytest
from conftest import new_user
from email_helpers import (
    MESSAGE_KEYS,
    TICKET_URL,
    advance,
    change_password,
    email_settings,
    flush,
    freeze,
    install_template,
    management_api,
    outbox,
    queue,
)

from mockidp.core.email import emails
from mockidp.runtime import build_tenant


def test_settings_default_and_patch(anonymous):
    assert anonymous.get("/_mock/settings").json()["email"] == {
        "delivery": "immediate", "delay_seconds": 0, "render": "delivery"}
    assert email_settings(anonymous, delivery="delayed", delay_seconds=90) == {
        "delivery": "delayed", "delay_seconds": 90, "render": "delivery"}
    assert email_settings(anonymous, render="enqueue")["render"] == "enqueue"


@pytest.mark.parametrize("patch, fragment", [
    ({"delivery": "later"}, '"delivery" must be one of immediate, delayed, manual'),
    ({"delay_seconds": -1}, "non-negative number"),
    ({"delay_seconds": "60"}, "non-negative number"),
    ({"delay_seconds": True}, "non-negative number"),
    ({"render": "sometime"}, '"render" must be one of delivery, enqueue'),
    ({"deliver": "manual"}, "Unknown email setting(s): deliver"),
    ("manual", "must be an object"),
])
def test_bad_settings_are_rejected_and_change_nothing(anonymous, patch, fragment):
    before = anonymous.get("/_mock/settings").json()
    # A valid latency change in the same PATCH must not apply either.
    response = anonymous.patch("/_mock/settings", json={"latency": {"default_ms": 5}, "email": patch})
    assert response.status_code == 400
    assert fragment in response.json()["message"]
    assert anonymous.get("/_mock/settings").json() == before


def test_immediate_delivery_message_shape(mockidp, anonymous):
    freeze(anonymous, "2030-02-03T04:05:06Z")
    user = new_user(management_api(mockidp), email="shape@example.com")  # unverified: Auth0 sends verify_email
    [message] = outbox(anonymous)
    assert set(message) == MESSAGE_KEYS
    assert message["to"] == "shape@example.com"
    assert message["template"] == "verify_email"
    assert message["user_id"] == user["user_id"]
    assert message["status"] == "delivered" and message["error"] is None
    assert message["subject"] == "Verify your email"
    assert message["from"] == "mockidp <no-reply@auth0user.net>"
    assert message["queued_at"] == message["delivered_at"] == "2030-02-03T04:05:06.000Z"
    assert message["links"] == [message["url"]]
    assert TICKET_URL.match(message["url"])["page"] == "email-verification"
    assert message["url"] in message["html"] and message["url"] in message["text"]
    assert "<" not in message["text"]
    assert queue(anonymous) == []


def test_delayed_delivery_follows_the_frozen_clock_in_queue_order(mockidp, anonymous):
    freeze(anonymous, "2030-01-01T00:00:00Z")
    api = management_api(mockidp)
    email_settings(anonymous, delivery="delayed", delay_seconds=600)
    new_user(api, email="first@example.com")
    advance(anonymous, 60)
    new_user(api, email="second@example.com")
    queued = queue(anonymous)
    assert [(m["to"], m["due_at"]) for m in queued] == [
        ("first@example.com", "2030-01-01T00:10:00.000Z"), ("second@example.com", "2030-01-01T00:11:00.000Z")]
    advance(anonymous, 539)  # 00:09:59: nothing due yet
    assert outbox(anonymous) == []
    advance(anonymous, 3600)  # both came due: delivered before the advance call returned
    delivered = outbox(anonymous)
    assert [m["to"] for m in delivered] == ["first@example.com", "second@example.com"]
    assert [m["delivered_at"] for m in delivered] == ["2030-01-01T00:10:00.000Z", "2030-01-01T00:11:00.000Z"]
    assert queue(anonymous) == []


def test_manual_delivery_holds_until_flushed(api, anonymous):
    email_settings(anonymous, delivery="manual")
    new_user(api, email="a@example.com")
    new_user(api, email="b@example.com")
    advance(anonymous, 10 * 86400)
    assert outbox(anonymous) == []
    held = queue(anonymous)
    assert [(m["to"], m["status"], m["due_at"]) for m in held] == [
        ("a@example.com", "queued", None), ("b@example.com", "queued", None)]
    flushed = flush(anonymous)
    assert [m["to"] for m in flushed] == ["a@example.com", "b@example.com"]
    assert [m["id"] for m in outbox(anonymous)] == [m["id"] for m in held]
    assert flush(anonymous) == []


def test_render_at_delivery_uses_the_user_as_sent(api, anonymous):
    install_template(api, "verify_email", body="Hello {{ user.given_name }}")
    email_settings(anonymous, delivery="manual")
    user = new_user(api, email="late@example.com", given_name="Before")
    api.patch(f"/api/v2/users/{user['user_id']}", json={"given_name": "After"})
    [message] = flush(anonymous)
    assert message["html"] == "Hello After"


def test_render_at_enqueue_uses_the_user_as_queued(api, anonymous):
    install_template(api, "verify_email", body="Hello {{ user.given_name }}")
    email_settings(anonymous, delivery="manual", render="enqueue")
    user = new_user(api, email="early@example.com", given_name="Before")
    api.patch(f"/api/v2/users/{user['user_id']}", json={"given_name": "After"})
    api.patch("/api/v2/email-templates/verify_email", json={"body": "Changed {{ user.given_name }}"})
    [message] = flush(anonymous)
    assert message["html"] == "Hello Before"


def test_liquid_variables(api, anonymous):
    body = ("{{ user.email }}|{{ user.email_verified }}|{{ user.app_metadata.plan }}|"
            "{{ user.user_metadata.locale }}|{{ application.name }}|{{ friendly_name }}|{{ tenant }}|"
            "{{ support_email }}|{{ connection.name }}|{{ url }}|{{ 'now' | date: '%Y' }}")
    install_template(api, "reset_email", body=body, subject="Reset for {{ user.name }}",
                     **{"from": "{{ friendly_name }} <help@example.com>"})
    freeze(anonymous, "2031-05-01T00:00:00Z")  # the token expires; the template is already there
    assert change_password(anonymous, "alice@example.com", client_id="mockidpSpaClient0000000000000000").status_code == 200
    [message] = outbox(anonymous, template="reset_email")
    fields = message["html"].split("|")
    assert fields[:9] == ["alice@example.com", "true", "pro", "en", "mockidp SPA", "mockidp", "localhost",
                          "support@mockidp.local", "Username-Password-Authentication"]
    assert TICKET_URL.match(fields[9])["page"] == "reset-password"
    assert fields[10] == "2031"  # the date filter's "now" is the tenant clock
    assert message["subject"] == "Reset for Alice Example"
    assert message["from"] == "mockidp <help@example.com>"


@pytest.mark.parametrize("field, source, fragment", [
    ("body", "{% if user.email_verified %}unclosed", "body:"),
    ("body", "{{ user.email | no_such_filter }}", "no_such_filter"),
    ("subject", "{{ user.email | append }}", "subject:"),
])
def test_template_errors_fail_the_message_not_the_request(api, anonymous, field, source, fragment):
    install_template(api, "reset_email", **{field: source})
    response = change_password(anonymous, "bob@example.com")
    assert response.status_code == 200
    [message] = outbox(anonymous, to="bob@example.com")
    assert message["status"] == "failed"
    assert fragment in message["error"]
    assert message["html"] is None and message["subject"] is None and message["links"] == []
    assert message["url"]  # the link still exists: only the rendering failed


def test_disabled_template_sends_nothing(api, anonymous):
    install_template(api, "reset_email", enabled=False)
    assert change_password(anonymous, "bob@example.com").status_code == 200
    assert outbox(anonymous) == [] and queue(anonymous) == []


def test_filters_latest_by_id_and_delete(api, anonymous):
    user = new_user(api, email="one@example.com")
    change_password(anonymous, "one@example.com")
    change_password(anonymous, "alice@example.com")
    everything = outbox(anonymous)
    assert [(m["to"], m["template"]) for m in everything] == [
        ("one@example.com", "verify_email"), ("one@example.com", "reset_email"), ("alice@example.com", "reset_email")]
    assert [m["template"] for m in outbox(anonymous, to="ONE@example.com")] == ["verify_email", "reset_email"]
    assert [m["to"] for m in outbox(anonymous, template="reset_email")] == ["one@example.com", "alice@example.com"]
    assert len(outbox(anonymous, user_id=user["user_id"])) == 2
    latest = anonymous.get("/_mock/outbox/latest", params={"to": "one@example.com"}).json()
    assert latest == everything[1]
    assert anonymous.get(f"/_mock/outbox/{everything[2]['id']}").json() == everything[2]
    missing = anonymous.get("/_mock/outbox/latest", params={"to": "nobody@example.com"})
    assert missing.status_code == 404 and "nobody@example.com" in missing.json()["message"]
    assert anonymous.get("/_mock/outbox/msg_doesnotexist0000").status_code == 404
    bad_filter = anonymous.get("/_mock/outbox", params={"recipient": "x"})
    assert bad_filter.status_code == 400 and "recipient" in bad_filter.json()["message"]
    assert anonymous.delete("/_mock/outbox").json() == {"deleted": 3}
    assert outbox(anonymous) == []


def test_delete_leaves_the_queue_alone(api, anonymous):
    email_settings(anonymous, delivery="manual")
    new_user(api, email="held@example.com")
    anonymous.delete("/_mock/outbox")
    assert [m["to"] for m in flush(anonymous)] == ["held@example.com"]


def test_reset_empties_outbox_queue_and_settings(api, anonymous):
    new_user(api, email="before@example.com")
    email_settings(anonymous, delivery="manual", render="enqueue")
    new_user(api, email="held@example.com")
    assert anonymous.post("/_mock/reset").status_code == 200
    assert outbox(anonymous) == [] and queue(anonymous) == []
    assert anonymous.get("/_mock/settings").json()["email"]["delivery"] == "immediate"


def test_same_requests_after_reset_give_the_same_links(api, anonymous):
    def run() -> list[str]:
        anonymous.post("/_mock/reset")
        new_user(api, email="same@example.com")
        change_password(anonymous, "same@example.com")
        return [(m["id"], m["url"]) for m in outbox(anonymous)]

    assert run() == run()


def test_outbox_page_shows_messages_and_links(api, anonymous):
    empty = anonymous.get("/_mock/outbox.html")
    assert empty.status_code == 200 and "No email yet" in empty.text
    change_password(anonymous, "alice@example.com")
    [message] = outbox(anonymous)
    page = anonymous.get("/_mock/outbox.html")
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Reset your password" in page.text
    assert f'href="{message["url"]}"' in page.text
    assert "srcdoc=" in page.text


def test_outbox_wrong_method(anonymous):
    response = anonymous.put("/_mock/outbox")
    assert response.status_code == 405
    assert response.json()["error"] == "http_error"


def test_running_clock_worker_delivers_when_due():
    """With a running clock, the mailroom's own thread delivers a delayed email when it falls due
    (waited for with a condition, never a sleep)."""
    tenant = build_tenant()
    mailroom = tenant.mailroom
    with tenant.lock:
        tenant.mock_settings.patch({"email": {"delivery": "delayed", "delay_seconds": 0.2}})
    user_id = tenant.directory.users_by_email["bob@example.com"][0]
    message_id = emails.send_verification_email(tenant, user_id, base_url="http://localhost")
    assert [m["id"] for m in mailroom.pending()] == [message_id]
    assert mailroom.wait_for(lambda: mailroom.outcome(message_id) == "delivered", timeout=15)
    assert [m["to"] for m in mailroom.messages()] == ["bob@example.com"]


def test_concurrent_requests_each_get_their_email(api, anonymous):
    from concurrent.futures import ThreadPoolExecutor

    addresses = [f"user{index}@example.com" for index in range(12)]
    for address in addresses:
        new_user(api, email=address, verify_email=False)
    email_settings(anonymous, delivery="manual")
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda address: change_password(anonymous, address).status_code, addresses * 2))
    assert statuses == [200] * 24
    delivered = flush(anonymous)
    assert sorted(m["to"] for m in delivered) == sorted(addresses * 2)
    assert len({m["url"] for m in delivered}) == 24
    assert all(m["status"] == "delivered" for m in delivered)


def test_delivering_under_the_tenant_lock_is_deferred_not_deadlocked():
    """A clock listener fired while the tenant lock is held (say, by another feature) must not
    deliver there: the worker does it once the lock is free."""
    tenant = build_tenant()
    mailroom = tenant.mailroom
    user_id = tenant.directory.users_by_email["bob@example.com"][0]
    with tenant.lock:
        tenant.mock_settings.patch({"email": {"delivery": "delayed", "delay_seconds": 3600}})
    tenant.clock.set(None, frozen=True)
    message_id = emails.send_verification_email(tenant, user_id, base_url="http://localhost")
    with tenant.lock:
        tenant.clock.advance(3600)
        assert mailroom.outcome(message_id) == "queued"
    assert mailroom.wait_for(lambda: mailroom.outcome(message_id) == "delivered", timeout=15)
