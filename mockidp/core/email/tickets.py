"""Password-change and email-verification tickets (and MFA enrollment tickets, core/factors/enrollments.py): the links in Auth0's emails and the ones
POST /api/v2/tickets/* returns, and what using them does.

Tickets live in the Directory (records replaced, never mutated), so reset and snapshots cover
them. Lifetimes follow the tenant clock. Choices where Auth0's behaviour is unknown:
- An emailed reset link is valid only while it is the user's most recent *emailed* reset link
  (documented by Auth0). Tickets from the Management API are independent: a newer ticket does
  not invalidate an older one, and emailed links and API tickets do not affect each other.
- A link is valid up to and including its expiry instant (expired once the clock is past it).
"""
from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Callable, NamedTuple
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ..applications.passwords import PolicyCheck, check_password, hash_password
from ..directory import changes, identities, users
from ..directory.records import UserRecord
from ..tenant import ids, journal
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request
from .mailroom import application_variables
from .templates import DEFAULT_LINK_LIFETIME, TemplateError

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

PASSWORD_CHANGE = "password_change"
EMAIL_VERIFICATION = "email_verification"
PAGE_PATHS = {PASSWORD_CHANGE: "/u/reset-password", EMAIL_VERIFICATION: "/u/email-verification"}
TICKET_ID = re.compile(r"[A-Za-z0-9]{32}")

# Redirect messages Auth0 appends to result_url (fact sheet §7.4).
VERIFIED_MESSAGE = "Your email was verified. You can continue using the application."
PASSWORD_CHANGED_MESSAGE = "You can now login to the application with the new password."
PROBLEM_MESSAGES = {
    "used": "This URL can be used only once",
    "expired": "Access expired.",
    "invalid": "User account does not exist or verification code is invalid.",
    "already_verified": "This account is already verified.",
    "email_changed": "Your email address could not be verified.",
}

class TicketProblem(Exception):
    """Why a link cannot be used: invalid, expired, used, already_verified or email_changed."""

    def __init__(self, reason: str, ticket: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.ticket = ticket

    @property
    def message(self) -> str:
        return PROBLEM_MESSAGES[self.reason]


class WeakPassword(Exception):
    def __init__(self, check: PolicyCheck):
        super().__init__("PasswordStrengthError: Password is too weak")
        self.check = check


class Redemption(NamedTuple):
    """A ticket that was just used, and the user as it is afterwards."""

    ticket: dict
    user: dict


# --- issuing ------------------------------------------------------------------------------------

def issue(tenant: "Tenant", kind: str, record: UserRecord, *, base_url: str, ttl_sec: int | None,
          emailed: bool, result_url: str | None = None, client_id: str | None = None,
          organization_id: str | None = None, include_email: bool = False,
          mark_email_as_verified: bool = False, extra: dict | None = None) -> dict:
    """Store a new ticket for `record` and return it. Under the tenant lock. `extra`: what one
    kind of ticket keeps besides (an MFA enrollment ticket's factor and its options)."""
    journal.note_user(record.user_id)
    now = tenant.clock.now()
    lifetime = ttl_sec or DEFAULT_LINK_LIFETIME
    ticket = {
        "id": ids.ticket_id(tenant.rng), "kind": kind, "user_id": record.user_id,
        "email": record.profile.get("email"), "connection": record.connection,
        "created_at": iso(now), "expires_at": iso(now + timedelta(seconds=lifetime)),
        "expires_ts": now.timestamp() + lifetime, "emailed": emailed, "base_url": base_url,
        "result_url": result_url or None, "client_id": client_id, "organization_id": organization_id,
        "include_email": include_email, "mark_email_as_verified": mark_email_as_verified,
        "used_at": None, "superseded": False, **(extra or {}),
    }
    if emailed and kind == PASSWORD_CHANGE:
        _supersede_emailed_reset_links(tenant, record.user_id)
    tenant.directory.tickets[ticket["id"]] = ticket
    return copy.deepcopy(ticket)


def _supersede_emailed_reset_links(tenant: "Tenant", user_id: str) -> None:
    stored = tenant.directory.tickets
    for ticket_id, ticket in list(stored.items()):
        if (ticket["kind"] == PASSWORD_CHANGE and ticket["emailed"] and ticket["user_id"] == user_id
                and not ticket["superseded"]):
            stored[ticket_id] = {**ticket, "superseded": True}


def url(ticket: dict) -> str:
    """Auth0's New Universal Login shape, trailing `#` included."""
    return f"{ticket['base_url']}{PAGE_PATHS[ticket['kind']]}?ticket={ticket['id']}#"


# --- Management API tickets ---------------------------------------------------------------------

def create_password_change_ticket(tenant: "Tenant", body: dict, base_url: str) -> str:
    _check_password_ticket_fields(body)
    with tenant.lock:
        record = _ticket_user(tenant, body)
        _check_references(tenant, body)
        ticket = issue(tenant, PASSWORD_CHANGE, record, base_url=base_url, ttl_sec=body.get("ttl_sec"),
                       emailed=False, result_url=body.get("result_url"), client_id=body.get("client_id"),
                       organization_id=body.get("organization_id"),
                       include_email=bool(body.get("includeEmailInRedirect", False)),
                       mark_email_as_verified=bool(body.get("mark_email_as_verified", False)))
    return url(ticket)


def create_email_verification_ticket(tenant: "Tenant", body: dict, base_url: str) -> str:
    if body.get("result_url") and (body.get("client_id") or body.get("organization_id")):
        raise bad_request("Payload validation error: 'result_url cannot be specified together "
                          "with client_id or organization_id'.")
    with tenant.lock:
        record = users.find_user(tenant, body["user_id"])
        if not record.profile.get("email"):
            raise bad_request("The user does not have an email address.")
        _check_references(tenant, body)
        ticket = issue(tenant, EMAIL_VERIFICATION, record, base_url=base_url,
                       ttl_sec=body.get("ttl_sec"), emailed=False, result_url=body.get("result_url"),
                       client_id=body.get("client_id"), organization_id=body.get("organization_id"),
                       include_email=bool(body.get("includeEmailInRedirect", False)))
    return url(ticket)


def _check_password_ticket_fields(body: dict) -> None:
    """user_id, or email + connection_id, never both (the spec's prose; wording UNCONFIRMED)."""
    by_email = "email" in body or "connection_id" in body
    if "user_id" in body and by_email:
        raise bad_request("Payload validation error: 'user_id cannot be specified together with "
                          "email or connection_id'.")
    if not by_email and "user_id" not in body:
        raise bad_request("Payload validation error: 'Missing required property: user_id'.")
    for needed in ("email", "connection_id"):
        if by_email and needed not in body:
            raise bad_request(f"Payload validation error: 'Missing required property: {needed}'.")
    if body.get("result_url") and body.get("organization_id"):
        raise bad_request("Payload validation error: 'result_url cannot be specified together with "
                          "organization_id'.")


def _ticket_user(tenant: "Tenant", body: dict) -> UserRecord:
    if "user_id" in body:
        return users.find_user(tenant, body["user_id"])
    connection = tenant.directory.connections.get(body["connection_id"])
    if connection is None:
        raise ManagementError(404, "The connection does not exist", "inexistent_connection")
    user_id = tenant.directory.users_by_connection_email.get((connection["name"], body["email"].lower()))
    record = tenant.directory.users.get(user_id) if user_id else None
    if record is None:  # also a linked secondary's address: no standalone user has it
        raise users.inexistent_user()
    return record


def _check_references(tenant: "Tenant", body: dict) -> None:
    client_id = body.get("client_id")
    if client_id and client_id not in tenant.directory.clients:
        raise ManagementError(404, "The client does not exist", "inexistent_client")
    organization_id = body.get("organization_id")
    if organization_id and organization_id not in getattr(tenant.directory, "organizations", {}):
        raise ManagementError(404, "No organization found by that id or name")


# --- using tickets ------------------------------------------------------------------------------

def usable(tenant: "Tenant", ticket_id: str, kind: str) -> dict:
    """The ticket behind a link, if it can still be used; TicketProblem otherwise."""
    with tenant.lock:
        return copy.deepcopy(_usable(tenant, ticket_id, kind))


def _usable(tenant: "Tenant", ticket_id: str, kind: str) -> dict:
    ticket = tenant.directory.tickets.get(ticket_id) if TICKET_ID.fullmatch(ticket_id or "") else None
    if ticket is None or ticket["kind"] != kind:
        raise TicketProblem("invalid")
    if ticket["used_at"]:
        raise TicketProblem("used", ticket)
    if ticket["superseded"]:
        raise TicketProblem("invalid", ticket)
    if tenant.clock.now().timestamp() > ticket["expires_ts"]:
        raise TicketProblem("expired", ticket)
    if ticket["user_id"] not in tenant.directory.users and not (
            kind == EMAIL_VERIFICATION and ticket["user_id"] in tenant.directory.linked):
        raise TicketProblem("invalid", ticket)  # a linked secondary's address can still be verified
    return ticket


def annotate(tenant: "Tenant", ticket_id: str, kind: str, **fields) -> dict:
    """Keep more on a usable ticket (an MFA enrollment's secret); TicketProblem otherwise."""
    with tenant.lock:
        ticket = {**_usable(tenant, ticket_id, kind), **fields}
        tenant.directory.tickets[ticket_id] = ticket
        return copy.deepcopy(ticket)


def spend(tenant: "Tenant", ticket_id: str, kind: str) -> dict:
    """Use up a ticket that is still usable (single use); TicketProblem otherwise."""
    with tenant.lock:
        return _use(tenant, _usable(tenant, ticket_id, kind), iso(tenant.clock.now()))


def password_connection(tenant: "Tenant", ticket: dict) -> dict:
    """The connection whose password policy the reset page applies."""
    with tenant.lock:
        return copy.deepcopy(tenant.directory.connection_by_name(ticket["connection"]) or {})


def reset_password(tenant: "Tenant", ticket_id: str, password: str) -> Redemption:
    """Set the password, verify the email where Auth0 does, use up the ticket: all or nothing."""
    with tenant.lock:
        ticket = _usable(tenant, ticket_id, PASSWORD_CHANGE)
        record = tenant.directory.users[ticket["user_id"]]
        check = check_password(tenant.directory.connection_by_name(record.connection) or {}, password)
        if not check.verified:
            raise WeakPassword(check)
        now = iso(tenant.clock.now())
        profile = copy.deepcopy(record.profile)
        profile["last_password_reset"] = now
        profile["updated_at"] = now
        if ticket["emailed"] or ticket["mark_email_as_verified"]:
            profile["email_verified"] = True  # following an emailed link proves the address
        updated = record._replace(profile=profile,
                                      password_hash=hash_password(password, tenant.rng.hex(16)))
        tenant.directory.put_user(updated, record)
        used = _use(tenant, ticket, now)
        changes.password_changed(tenant, record)  # ends its sessions and brute-force blocks
        return Redemption(used, users.public_profile(updated))


def verify_email(tenant: "Tenant", ticket_id: str,
                 after: Callable[[Redemption], None] | None = None) -> Redemption:
    """Mark the ticket's address verified. `after` runs under the same lock hold, so follow-up
    email (the welcome email) is queued atomically with the change."""
    with tenant.lock:
        redemption = _verify_email(tenant, ticket_id)
        if after is not None:
            after(redemption)
        return redemption


def _verify_email(tenant: "Tenant", ticket_id: str) -> Redemption:
    ticket = _usable(tenant, ticket_id, EMAIL_VERIFICATION)
    if ticket["user_id"] in tenant.directory.linked:
        try:
            verified = identities.verify_linked_email(tenant, ticket["user_id"], ticket["email"])
        except LookupError as problem:
            raise TicketProblem(str(problem), ticket) from None
        return Redemption(_use(tenant, ticket, verified["updated_at"]), verified)
    record = tenant.directory.users[ticket["user_id"]]
    if record.profile.get("email") != ticket["email"]:
        raise TicketProblem("email_changed", ticket)  # the address changed since the link was made
    if record.profile.get("email_verified"):
        raise TicketProblem("already_verified", ticket)
    now = iso(tenant.clock.now())
    profile = {**copy.deepcopy(record.profile), "email_verified": True, "updated_at": now}
    updated = record._replace(profile=profile)
    tenant.directory.put_user(updated, record)
    return Redemption(_use(tenant, ticket, now), users.public_profile(updated))


def _use(tenant: "Tenant", ticket: dict, now: str) -> dict:
    used = {**ticket, "used_at": now}
    tenant.directory.tickets[ticket["id"]] = used
    return copy.deepcopy(used)


# --- where the user goes next -------------------------------------------------------------------

def redirect_url(tenant: "Tenant", ticket: dict | None, *, success: bool, message: str) -> str | None:
    """result_url with Auth0's success/message (and email, organization) parameters, or None
    when the ticket has no result URL. Emailed links take the template's resultUrl, which may use
    {{ application.* }}; it is rendered here, outside the lock."""
    if not ticket or not ticket.get("result_url"):
        return None
    target = ticket["result_url"]
    if ticket["emailed"]:
        with tenant.lock:
            application = application_variables(tenant, ticket.get("client_id"))
        try:
            target = tenant.mailroom.renderer.render("resultUrl", target, {
                "application": application, "client": application})
        except TemplateError:
            return None
    target = target.strip()
    if not urlsplit(target).scheme:
        return None
    params = [("success", "true" if success else "false"), ("message", message)]
    if ticket.get("include_email") and ticket.get("email"):
        params.append(("email", ticket["email"]))
    if ticket.get("organization_id"):
        params.append(("organization_id", ticket["organization_id"]))
    return with_query(target, params)


def with_query(target: str, params: list[tuple[str, str]]) -> str:
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
