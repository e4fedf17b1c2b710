"""MFA on the hosted login pages. Once the password is right and MFA applies, the login
transaction waits for a second factor: the first login enrolls TOTP (the page shows the secret
and its otpauth URI; the first accepted code activates it and the recovery code is shown once),
later logins are challenged for a TOTP code or the recovery code. With the email factor (and no
TOTP enrolled) a user with a verified email gets a code by email (`mfa_oob_code`, through the
mailroom: with manual delivery the login waits until the outbox is flushed). With the sms factor
a user with no other factor enrolls a phone number (the code texted to it confirms it) and is
challenged with a texted code later (sms.py: the phone outbox, or a send-phone-message Action).

What a transaction waits for is kept in the Directory's `mfa_tokens` under "ul|<state>" (so reset
clears it), with the same lifetime as an mfa_token.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..logs.events import RequestInfo
from ..tenant.clock import iso
from ..tenant.errors import OAuthError
from . import attempts, guardian, mfa, sms

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

ENROLL_PAGE = "/u/mfa-otp-enrollment-qr"
CHALLENGE_PAGE = "/u/mfa-otp-challenge"
RECOVERY_CODE_PAGE = "/u/mfa-recovery-code-enrollment"
EMAIL_PAGE = "/u/mfa-email-challenge"
SMS_ENROLL_PAGE = "/u/mfa-sms-enrollment"
SMS_CHALLENGE_PAGE = "/u/mfa-sms-challenge"
EMAIL_CODE_LIFETIME = 300


def _key(state: str) -> str:
    return f"ul|{state}"


def begin(tenant: "Tenant", state: str, user_id: str, *, count: bool, factors: tuple[str, ...] | None = None,
          resume: dict | None = None) -> str | None:
    """The first factor is done: remember who, and return the page that asks for the second
    (None when the user can use no enabled factor: the caller decides whether the login goes on).
    `factors` narrows the enabled factors (an Action's provider); `resume` is kept for the caller
    (an Action's outcome, when an Action asked for MFA) and given back by finish()."""
    with tenant.lock:
        usable = tuple(name for name in guardian.EMULATED
                       if guardian.is_enabled(tenant, name) and (factors is None or name in factors))
        active = [each for each in tenant.directory.authenticators.get(user_id, ()) if each["active"]]
        enrolled = any(each["authenticator_type"] == "otp" for each in active)
        has_phone = any(each.get("oob_channel") == "sms" for each in active)
        profile = tenant.directory.users[user_id].profile
        if "otp" in usable and enrolled:
            page = CHALLENGE_PAGE
        elif "sms" in usable and has_phone:
            page = SMS_CHALLENGE_PAGE
        elif "email" in usable and profile.get("email") and profile.get("email_verified"):
            page = EMAIL_PAGE
        elif "otp" in usable:
            page = ENROLL_PAGE
        else:
            page = SMS_ENROLL_PAGE if "sms" in usable else None
        if page is not None:
            tenant.directory.mfa_tokens[_key(state)] = {
                "user_id": user_id, "count": count, "enrolled": enrolled, "page": page, "resume": resume,
                "expires_at": tenant.clock.timestamp() + mfa.MFA_TOKEN_LIFETIME}
    return page


def send_email_code(tenant: "Tenant", state: str, *, base_url: str, client_id: str) -> str:
    """Email a code (once per wait, again when it expired): the address it went to."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        email = tenant.directory.users[waiting["user_id"]].profile["email"]
        now = tenant.clock.timestamp()
        if waiting.get("email_expires_at", 0) <= now:
            code = tenant.rng.digits(6)
            tenant.directory.mfa_tokens[_key(state)] = {**waiting, "email_code": code,
                                                        "email_expires_at": now + EMAIL_CODE_LIFETIME}
            tenant.mailroom.enqueue("mfa_oob_code", to=email, user_id=waiting["user_id"], base_url=base_url,
                                    client_id=client_id, extra={"code": code})
    tenant.mailroom.deliver_due()  # outside the lock
    return email


def verify_email_code(tenant: "Tenant", state: str, code: str) -> str | None:
    """The emailed code, typed before it expired; single use. None when accepted, else the
    error (`invalid_grant`, or `too_many_attempts`: wrong codes count towards the user's limit)."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        try:
            attempts.ensure_not_blocked(tenant, waiting["user_id"])
        except OAuthError as failure:
            return failure.error
        sent = waiting.get("email_code")
        if not sent or waiting["email_expires_at"] <= tenant.clock.timestamp() or code != sent:
            attempts.failed(tenant, waiting["user_id"], "email")
            return "invalid_grant"
        attempts.succeeded(tenant, waiting["user_id"], "email")
        tenant.directory.mfa_tokens[_key(state)] = {**waiting, "verified": True, "email_code": None}
        return None


def enroll_phone(tenant: "Tenant", state: str, number: str, *, client: dict | None,
                 request: RequestInfo) -> str | None:
    """The phone number typed on the SMS enrollment page: a code is texted to it and the wait moves
    to the SMS challenge page. None, or the error (`invalid_phone`)."""
    number = sms.phone_number(number)
    if number is None:
        return "invalid_phone"
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        outgoing = sms.new_code(tenant, to=number, user_id=waiting["user_id"], client=client, action=sms.ENROLLMENT)
        tenant.directory.mfa_tokens[_key(state)] = {**waiting, "page": SMS_CHALLENGE_PAGE, "sms": _sent(
            tenant, outgoing, enrolling=True)}
    sms.send(tenant, outgoing, request)
    return None


def send_sms_code(tenant: "Tenant", state: str, *, client: dict | None, request: RequestInfo) -> str | None:
    """Text a code (once per wait, again when it expired) to the number being enrolled, else to the
    user's SMS authenticator: the number it went to (None: the user has no phone any more)."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        sent = waiting.get("sms")
        if sent is not None and sent["expires_at"] > tenant.clock.timestamp():
            return sent["to"]
        enrolling = bool(sent and sent["enrolling"])
        to = sent["to"] if sent else next((each["address"] for each in tenant.directory.authenticators.get(
            waiting["user_id"], ()) if each["active"] and each.get("oob_channel") == "sms"), None)
        if to is None:  # the phone was removed meanwhile (Management API): enroll one instead
            tenant.directory.mfa_tokens[_key(state)] = {**waiting, "page": SMS_ENROLL_PAGE}
            return None
        outgoing = sms.new_code(tenant, to=to, user_id=waiting["user_id"], client=client,
                                action=sms.ENROLLMENT if enrolling else sms.CHALLENGE)
        tenant.directory.mfa_tokens[_key(state)] = {**waiting, "sms": _sent(tenant, outgoing, enrolling=enrolling)}
    sms.send(tenant, outgoing, request)
    return to


def _sent(tenant: "Tenant", outgoing: "sms.Outgoing", *, enrolling: bool) -> dict:
    return {"to": outgoing.to, "code": outgoing.code, "enrolling": enrolling,
            "expires_at": tenant.clock.timestamp() + sms.CODE_LIFETIME}


def verify_sms_code(tenant: "Tenant", state: str, code: str) -> str | None:
    """The texted code, typed before it expired; single use. None when accepted (a new phone is
    then enrolled, with the recovery code on the user's first enrollment), else the error."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        user_id, sent = waiting["user_id"], waiting.get("sms") or {}
        try:
            attempts.ensure_not_blocked(tenant, user_id)
        except OAuthError as failure:
            return failure.error
        if not sent.get("code") or sent["expires_at"] <= tenant.clock.timestamp() or code != sent["code"]:
            attempts.failed(tenant, user_id, "sms")
            return "invalid_grant"
        attempts.succeeded(tenant, user_id, "sms")
        done = {**waiting, "verified": True, "sms": {**sent, "code": None}}
        if sent["enrolling"]:
            done["enrollment"] = _enroll_phone(tenant, user_id, sent["to"])
        tenant.directory.mfa_tokens[_key(state)] = done
        return None


def _enroll_phone(tenant: "Tenant", user_id: str, number: str) -> dict:
    """The confirmed phone as an active SMS authenticator (and a first recovery code). Under the lock."""
    existing = tenant.directory.authenticators.get(user_id, ())
    added = [{"id": f"sms|dev_{tenant.rng.alnum(16)}", "authenticator_type": "oob", "oob_channel": "sms",
              "name": sms.masked(number), "address": number, "active": True, "created_at": iso(tenant.clock.now())}]
    shown = {}
    if not any(each["authenticator_type"] == "recovery-code" for each in existing):
        recovery = {**mfa.new_recovery_authenticator(tenant), "active": True}
        added.append(recovery)
        shown = {"recovery_codes": [recovery["code"]]}
    tenant.directory.authenticators[user_id] = existing + tuple(added)
    attempts.enrolled(tenant, user_id, "sms")
    return shown


def pending(tenant: "Tenant", state: str) -> dict | None:
    """What the transaction waits for, unless it expired or the user is gone."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens.get(_key(state))
        if waiting is None or waiting["expires_at"] <= tenant.clock.timestamp() or \
                waiting["user_id"] not in tenant.directory.users:
            return None
        return waiting


def enrollment(tenant: "Tenant", state: str) -> dict:
    """The secret the enrollment page shows: drawn on the first view, the same on a reload."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        if "enrollment" not in waiting:
            waiting = {**waiting, "enrollment": mfa.enroll_otp(tenant, waiting["user_id"])}
            tenant.directory.mfa_tokens[_key(state)] = waiting
        return waiting["enrollment"]


def verify_code(tenant: "Tenant", state: str, code: str) -> str | None:
    """A TOTP code typed on the enrollment or challenge page: None when accepted, else the
    error (`invalid_grant`, or `too_many_attempts` once wrong codes hit the limit)."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        try:
            mfa.check_otp(tenant, waiting["user_id"], code)
        except OAuthError as failure:
            return failure.error
        tenant.directory.mfa_tokens[_key(state)] = {**waiting, "verified": True}
        return None


def verify_recovery_code(tenant: "Tenant", state: str, code: str) -> str | None:
    """The recovery code typed instead of a TOTP code: None when accepted (the new code is then
    shown once), else the error, as verify_code."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens[_key(state)]
        try:
            attempts.ensure_not_blocked(tenant, waiting["user_id"])
        except OAuthError as failure:
            return failure.error
        fresh = mfa.replace_recovery_code(tenant, waiting["user_id"], code)
        if fresh is None:
            return "invalid_grant"
        tenant.directory.mfa_tokens[_key(state)] = {**waiting, "verified": True,
                                                    "enrollment": {"recovery_codes": [fresh]}}
        return None


def recovery_code_to_show(tenant: "Tenant", state: str) -> str | None:
    """The recovery code of this login's enrollment (or a replacement), shown once."""
    waiting = pending(tenant, state) or {}
    codes = (waiting.get("enrollment") or {}).get("recovery_codes") or []
    return codes[0] if waiting.get("verified") and codes else None


def finish(tenant: "Tenant", state: str) -> dict | None:
    """The verified second factor ends the wait: (user_id, count), or None when not verified."""
    with tenant.lock:
        waiting = tenant.directory.mfa_tokens.get(_key(state))
        if waiting is None or not waiting.get("verified"):
            return None
        del tenant.directory.mfa_tokens[_key(state)]
        return waiting
