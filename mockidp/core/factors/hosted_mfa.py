"""MFA on the hosted login pages. Once the password is right and MFA applies, the login
transaction waits for a second factor: the first login enrolls TOTP (the page shows the secret
and its otpauth URI; the first accepted code activates it and the recovery code is shown once),
later logins are challenged for a TOTP code or the recovery code. With the email factor (and no
TOTP enrolled) a user with a verified email gets a code by email (`mfa_oob_code`, through the
mailroom: with manual delivery the login waits until the outbox is flushed).

What a transaction waits for is kept in the Directory's `mfa_tokens` under "ul|<state>" (so reset
clears it), with the same lifetime as an mfa_token.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..tenant.errors import OAuthError
from . import attempts, guardian, mfa

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

ENROLL_PAGE = "/u/mfa-otp-enrollment-qr"
CHALLENGE_PAGE = "/u/mfa-otp-challenge"
RECOVERY_CODE_PAGE = "/u/mfa-recovery-code-enrollment"
EMAIL_PAGE = "/u/mfa-email-challenge"
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
        enrolled = any(each["active"] and each["authenticator_type"] == "otp"
                       for each in tenant.directory.authenticators.get(user_id, ()))
        profile = tenant.directory.users[user_id].profile
        if "otp" in usable and enrolled:
            page = CHALLENGE_PAGE
        elif "email" in usable and profile.get("email") and profile.get("email_verified"):
            page = EMAIL_PAGE
        else:
            page = ENROLL_PAGE if "otp" in usable else None
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
