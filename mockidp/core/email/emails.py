"""The emails Auth0 sends, and when. Each `send_*`/`after_*` function decides under the tenant
lock (template enabled? user there?), creates the link's ticket and queues the email in the same
lock hold, then delivers what is due once the lock is released. Callers must not hold the lock.
`queue_*` functions are the under-the-lock halves, for callers that queue as part of a larger
change (jobs, the verification page).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..directory.records import UserRecord
from . import templates, tickets

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant


def queue_verification_email(tenant: "Tenant", record: UserRecord, *, base_url: str,
                             client_id: str | None = None) -> str | None:
    """verify_email with a fresh email-verification link; None when the template is disabled or
    the user has no email address. Under the tenant lock."""
    return _queue_link_email(tenant, "verify_email", tickets.EMAIL_VERIFICATION, record,
                             base_url=base_url, client_id=client_id)


def queue_password_reset_email(tenant: "Tenant", record: UserRecord, *, base_url: str,
                               client_id: str | None = None) -> str | None:
    """reset_email with a fresh reset link, which retires the user's earlier emailed links."""
    return _queue_link_email(tenant, "reset_email", tickets.PASSWORD_CHANGE, record,
                             base_url=base_url, client_id=client_id)


def _queue_link_email(tenant: "Tenant", template_name: str, ticket_kind: str, record: UserRecord, *,
                      base_url: str, client_id: str | None) -> str | None:
    """An email carrying a fresh ticket link, the ticket shaped by the template's settings."""
    template = templates.effective(tenant, template_name)
    email = record.profile.get("email")
    if not templates.is_enabled(template) or not email:
        return None
    ticket = tickets.issue(tenant, ticket_kind, record, base_url=base_url,
                           ttl_sec=templates.link_lifetime(template), emailed=True,
                           result_url=template.get("resultUrl"), client_id=client_id,
                           include_email=bool(template.get("includeEmailInRedirect", True)))
    return tenant.mailroom.enqueue(template_name, to=email, user_id=record.user_id, base_url=base_url,
                                   url=tickets.url(ticket), client_id=client_id)


def queue_welcome_email(tenant: "Tenant", record: UserRecord, *, base_url: str,
                        client_id: str | None = None) -> str | None:
    email = record.profile.get("email")
    if not templates.is_enabled(templates.effective(tenant, "welcome_email")) or not email:
        return None
    return tenant.mailroom.enqueue("welcome_email", to=email, user_id=record.user_id,
                                   base_url=base_url, client_id=client_id)


# --- triggers -----------------------------------------------------------------------------------

def send_verification_email(tenant: "Tenant", user_id: str, *, base_url: str,
                            client_id: str | None = None) -> str | None:
    with tenant.lock:
        record = tenant.directory.users.get(user_id)
        message_id = queue_verification_email(tenant, record, base_url=base_url,
                                              client_id=client_id) if record else None
    tenant.mailroom.deliver_due()
    return message_id


def send_password_reset_email(tenant: "Tenant", connection: str, email: str, *, base_url: str,
                              client_id: str | None = None) -> str | None:
    """/dbconnections/change_password: an email only when the user exists (the caller answers
    the same either way)."""
    with tenant.lock:
        user_id = tenant.directory.users_by_connection_email.get((connection, email.lower()))
        record = tenant.directory.users.get(user_id) if user_id else None
        message_id = queue_password_reset_email(tenant, record, base_url=base_url,
                                                client_id=client_id) if record else None
    tenant.mailroom.deliver_due()
    return message_id


def after_signup(tenant: "Tenant", user_id: str, *, base_url: str, client_id: str | None) -> None:
    """A public signup gets verify_email; the welcome email waits for the verification, unless
    verification emails are disabled, in which case it goes out now (Auth0's documented order)."""
    with tenant.lock:
        record = tenant.directory.users.get(user_id)
        if record is not None and queue_verification_email(tenant, record, base_url=base_url,
                                                           client_id=client_id) is None:
            queue_welcome_email(tenant, record, base_url=base_url, client_id=client_id)
    tenant.mailroom.deliver_due()


def wants_verification_email(body: dict) -> bool:
    """POST /users: `verify_email` decides; when absent, an unverified email gets one (OAS)."""
    if "verify_email" in body:
        return bool(body["verify_email"])
    return not body.get("email_verified", False)


def after_user_created(tenant: "Tenant", user: dict, body: dict, base_url: str) -> None:
    if user.get("email") and wants_verification_email(body):
        send_verification_email(tenant, user["user_id"], base_url=base_url, client_id=body.get("client_id"))


def after_user_updated(tenant: "Tenant", user: dict, body: dict, base_url: str) -> None:
    """PATCH with a new email and verify_email: true sends verify_email to the new address."""
    if body.get("email") and body.get("verify_email") is True:
        send_verification_email(tenant, user["user_id"], base_url=base_url, client_id=body.get("client_id"))


def use_verification_link(tenant: "Tenant", ticket_id: str) -> tickets.Redemption:
    """The /u/email-verification page: verify, then send the welcome email where enabled."""
    def welcome(redemption: tickets.Redemption) -> None:
        record = tenant.directory.users.get(redemption.user["user_id"])
        if record is not None:  # a linked secondary's verification sends no welcome email
            queue_welcome_email(tenant, record, base_url=redemption.ticket["base_url"],
                                client_id=redemption.ticket.get("client_id"))

    redemption = tickets.verify_email(tenant, ticket_id, after=welcome)
    tenant.mailroom.deliver_due()
    return redemption
