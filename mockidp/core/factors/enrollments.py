"""A user's MFA as the Management API shows and resets it: GET /users/{id}/enrollments,
POST /guardian/enrollments/ticket (a link, emailed on request, whose page enrolls a TOTP app),
DELETE /users/{id}/authenticators (reset MFA: the next login enrolls again),
DELETE /users/{id}/multifactor/{provider} (a legacy provider's enrollment) and
POST /users/{id}/recovery-code-regeneration. The authentication methods themselves are
methods.py's; both keep what is left of an enrollment the same way (`keep`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..directory.users import find_user
from ..email import templates, tickets
from ..tenant.errors import ManagementError, OAuthError
from . import mfa, totp

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant


def owned(tenant: "Tenant", user_id: str) -> tuple[dict, ...]:
    """The user's authenticators, or Auth0's 404 for an unknown user."""
    with tenant.lock:
        find_user(tenant, user_id)  # 404 inexistent_user
        return tenant.directory.authenticators.get(user_id, ())


# DELETE /users/{id}/multifactor/{provider}: the legacy providers' names and the authenticators
# each stands for. google-authenticator is a TOTP app; mockidp does not emulate Duo, so a user
# never has a Duo enrollment to remove.
LEGACY_PROVIDERS = {"google-authenticator": "otp", "duo": None}


def delete_legacy_provider(tenant: "Tenant", user_id: str, provider: str) -> None:
    """DELETE /users/{id}/multifactor/{provider}: the provider's authenticators go; 204 also when
    there were none (docs/behaviour.md)."""
    authenticator_type = LEGACY_PROVIDERS[provider]
    with tenant.lock:
        held = owned(tenant, user_id)
        keep(tenant, user_id, [each for each in held if each["authenticator_type"] != authenticator_type])


def keep(tenant: "Tenant", user_id: str, kept: list[dict]) -> None:
    """Store the user's remaining authenticators. A recovery code left alone goes too: it
    recovers an enrollment, and with none left the next login enrolls afresh (as after a reset)."""
    if all(each["authenticator_type"] == "recovery-code" for each in kept):
        kept = []
    if kept:
        tenant.directory.authenticators[user_id] = tuple(kept)
    else:
        tenant.directory.authenticators.pop(user_id, None)


def enrollments(tenant: "Tenant", user_id: str) -> list[dict]:
    """The Guardian enrollments: TOTP apps and phones (the recovery code and email are not ones)."""
    return [_enrollment(each) for each in owned(tenant, user_id)
            if each["authenticator_type"] == "otp" or each.get("oob_channel") == "sms"]


def _enrollment(authenticator: dict) -> dict:
    enrollment = {"id": authenticator["id"], "status": "confirmed" if authenticator["active"] else "pending",
                  "type": "authenticator", "auth_method": "authenticator", "enrolled_at": authenticator["created_at"]}
    if authenticator.get("oob_channel") == "sms":  # the spec's "name (usually phone number)"
        enrollment.update(type="sms", auth_method="sms", name=authenticator["name"],
                          phone_number=authenticator.get("address"))
    return enrollment


def delete_all(tenant: "Tenant", user_id: str) -> None:
    """Every authenticator goes, the recovery code too; an unknown user is no error (204)."""
    with tenant.lock:
        tenant.directory.authenticators.pop(user_id, None)


def regenerate_recovery_code(tenant: "Tenant", user_id: str) -> dict:
    """A new recovery code replaces the user's; a user without one is a 400 (docs/behaviour.md)."""
    with tenant.lock:
        held = owned(tenant, user_id)
        if not any(each["authenticator_type"] == "recovery-code" and each["active"] for each in held):
            raise ManagementError(400, "The user does not have a recovery code: enroll in MFA first.",
                                  "no_recovery_code")
        fresh = totp.new_recovery_code(tenant.rng)
        tenant.directory.authenticators[user_id] = tuple(
            {**each, "code": fresh} if each["authenticator_type"] == "recovery-code" else each for each in held)
        return {"recovery_code": fresh}


# --- enrollment tickets -------------------------------------------------------------------------
# A ticket is a tickets.py ticket of its own kind: single use, on the tenant clock, expiring
# after the enrollment_email template's urlLifetimeInSeconds (5 days by default: the spec's body
# has no ttl). Its page (ENROLLMENT_PAGE, the recorded path) enrolls a TOTP app and confirms it
# with a first code; the recovery code is shown once, as on the login's enrollment.

ENROLLMENT_TICKET = "mfa_enrollment"
ENROLLMENT_PAGE = "/mfa/enrollment"


def create_ticket(tenant: "Tenant", body: dict, base_url: str) -> dict:
    """The ticket and its URL; with `send_mail`, enrollment_email to `email` or the user's own."""
    with tenant.lock:
        record = find_user(tenant, body["user_id"])  # 404 inexistent_user
        template = templates.effective(tenant, "enrollment_email")
        options = {"factor": body.get("factor"),
                   "allow_multiple_enrollments": bool(body.get("allow_multiple_enrollments"))}
        ticket = tickets.issue(tenant, ENROLLMENT_TICKET, record, base_url=base_url,
                               ttl_sec=templates.link_lifetime(template), emailed=bool(body.get("send_mail")),
                               extra=options)
        link = ticket_url(ticket)
        to = body.get("email") or record.profile.get("email")
        if body.get("send_mail") and to and templates.is_enabled(template):
            tenant.mailroom.enqueue("enrollment_email", to=to, user_id=record.user_id, base_url=base_url, url=link)
    tenant.mailroom.deliver_due()  # outside the lock
    return {"ticket_id": ticket["id"], "ticket_url": link}


def ticket_url(ticket: dict) -> str:
    return f"{ticket['base_url']}{ENROLLMENT_PAGE}?ticket={ticket['id']}"


class AlreadyEnrolled(Exception):
    """The user has a confirmed factor and the ticket does not allow another."""


def ticket_enrollment(tenant: "Tenant", ticket_id: str) -> dict:
    """The TOTP secret the page shows: drawn on the first view, the same on a reload
    (tickets.TicketProblem for a ticket that is unknown, used or expired; AlreadyEnrolled for a
    user enrolled since, unless the ticket has `allow_multiple_enrollments`)."""
    with tenant.lock:
        ticket = tickets.usable(tenant, ticket_id, ENROLLMENT_TICKET)
        if not ticket["allow_multiple_enrollments"] and any(
                each["active"] for each in tenant.directory.authenticators.get(ticket["user_id"], ())):
            raise AlreadyEnrolled()
        if "enrollment" not in ticket:
            enrollment = mfa.enroll_otp(tenant, ticket["user_id"])
            ticket = tickets.annotate(tenant, ticket_id, ENROLLMENT_TICKET, enrollment=enrollment)
        return ticket["enrollment"]


def confirm_ticket(tenant: "Tenant", ticket_id: str, code: str) -> str | None:
    """The first code from the app: None when accepted (the enrollment is active and the ticket
    used up), else the error (`invalid_grant`, `too_many_attempts`). Raises TicketProblem."""
    with tenant.lock:
        ticket = tickets.usable(tenant, ticket_id, ENROLLMENT_TICKET)
        if "enrollment" not in ticket:
            return "invalid_grant"  # no secret was shown yet
        try:
            mfa.check_otp(tenant, ticket["user_id"], code)
        except OAuthError as failure:
            return failure.error
        tickets.spend(tenant, ticket_id, ENROLLMENT_TICKET)
        return None


def delete_for_mfa_token(tenant: "Tenant", mfa_token: str | None, authenticator_id: str) -> None:
    """DELETE /mfa/authenticators/{id} (the MFA API), the mfa_token as bearer: the authenticator
    no longer answers a challenge or a code, and a recovery code left alone goes with it (keep)."""
    user_id = mfa.pending_login(tenant, mfa_token)["user_id"]
    with tenant.lock:
        held = tenant.directory.authenticators.get(user_id, ())
        gone = next((each for each in held if each["id"] == authenticator_id), None)
        if gone is None:
            raise OAuthError(404, "not_found", "Authenticator not found.")
        keep(tenant, user_id, [each for each in held if each is not gone])
