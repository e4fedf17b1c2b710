"""Wrong second-factor codes, counted per user across every kind (TOTP, codes sent by email or
SMS, recovery codes) so alternating between them cannot dodge the limit: Guardian's limit of 10
wrong codes in a row (tenant log `gd_otp_rate_limit_exceed`: "more than the maximum allowed number
of times ... more than 10 times in a row") blocks the user's second factor for OTP_BLOCK_SECONDS
on the tenant clock (Auth0 does not publish how long: docs/behaviour.md). A right code resets the
count; unblocking the user (DELETE /api/v2/user-blocks/{id}) lifts the block too.

Every check logs as Guardian does: `gd_auth_succeed` / `gd_auth_failed` for codes,
`gd_recovery_succeed` / `gd_recovery_failed` for recovery codes; a confirmed enrollment logs
`gd_enrollment_complete`. State: the Directory's
`otp_failures` (user_id -> {count, blocked_until}). Every function runs under the tenant lock.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..logs import events as logs
from ..tenant.errors import OAuthError

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MAX_FAILURES = 10
OTP_BLOCK_SECONDS = 900
TOO_MANY_FAILURES = "Too many failed attempts. Please try again later."
RECOVERY_CODE = "recovery-code"


def ensure_not_blocked(tenant: "Tenant", user_id: str) -> None:
    """429 `too_many_attempts` while the user's second factor is blocked."""
    failures = tenant.directory.otp_failures.get(user_id) or {}
    if failures.get("blocked_until", 0) > tenant.clock.timestamp():
        raise OAuthError(429, "too_many_attempts", TOO_MANY_FAILURES)


def is_blocked(tenant: "Tenant", user_id: str) -> bool:
    try:
        ensure_not_blocked(tenant, user_id)
    except OAuthError:
        return True
    return False


def failed(tenant: "Tenant", user_id: str, authenticator: str) -> None:
    """One more wrong code in a row (`authenticator`: otp, email, sms or recovery-code)."""
    now = tenant.clock.timestamp()
    count = (tenant.directory.otp_failures.get(user_id) or {}).get("count", 0) + 1
    _log(tenant, "gd_recovery_failed" if authenticator == RECOVERY_CODE else "gd_auth_failed",
         "Wrong recovery code" if authenticator == RECOVERY_CODE else "Wrong code", user_id, authenticator)
    if count < MAX_FAILURES:
        tenant.directory.otp_failures[user_id] = {"count": count, "blocked_until": 0}
        return
    tenant.directory.otp_failures[user_id] = {"count": 0, "blocked_until": now + OTP_BLOCK_SECONDS}
    _log(tenant, "gd_otp_rate_limit_exceed", "Too many failures", user_id, authenticator)


def succeeded(tenant: "Tenant", user_id: str, authenticator: str) -> None:
    tenant.directory.otp_failures.pop(user_id, None)
    _log(tenant, "gd_recovery_succeed" if authenticator == RECOVERY_CODE else "gd_auth_succeed", "", user_id,
         authenticator)


def enrolled(tenant: "Tenant", user_id: str, authenticator: str) -> None:
    """A first factor confirmed (its first accepted code): `gd_enrollment_complete`."""
    _log(tenant, "gd_enrollment_complete", "", user_id, authenticator)


def unblock(tenant: "Tenant", user_id: str) -> None:
    tenant.directory.otp_failures.pop(user_id, None)


def _log(tenant: "Tenant", event_type: str, description: str, user_id: str, authenticator: str) -> None:
    record = tenant.directory.users.get(user_id)
    logs.record(tenant, event_type, description, user=record.profile if record else None, user_id=user_id,
                details={"authenticator": authenticator})
