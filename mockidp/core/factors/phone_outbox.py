"""The phone outbox: every text message Auth0 would send (passwordless SMS codes, MFA codes: sms.py) is kept here
for tests to read, like the mailroom's outbox for emails. Nothing leaves the process; a message
is "sent" at once, at the tenant clock's time. Messages live in the Directory (`sms_outbox`), so
reset empties it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..tenant import ids
from ..tenant.clock import iso

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MAX_STORED = 1000


def send(tenant: "Tenant", *, to: str, body: str, code: str | None, user_id: str | None,
         template: str = "passwordless", provider: str = "auth0") -> dict:
    """Store one message (`provider`: the phone provider that sent it). Under the tenant lock."""
    message = {"id": ids.prefixed("sms", tenant.rng), "to": to, "body": body, "code": code,
               "template": template, "provider": provider, "user_id": user_id, "sent_at": iso(tenant.clock.now())}
    stored = tenant.directory.sms_outbox
    stored[message["id"]] = message
    while len(stored) > MAX_STORED:
        del stored[next(iter(stored))]
    return dict(message)


def messages(tenant: "Tenant", to: str | None = None) -> list[dict]:
    """Sent messages, oldest first, optionally to one number."""
    with tenant.lock:
        found = [dict(message) for message in tenant.directory.sms_outbox.values()]
    return [message for message in found if to is None or message["to"] == to]


def clear(tenant: "Tenant") -> int:
    with tenant.lock:
        count = len(tenant.directory.sms_outbox)
        tenant.directory.sms_outbox = {}
    return count
