"""MFA for the password grants (Auth0's MFA API): a login that needs a second factor stops with
`mfa_required` and an `mfa_token`; with it the application enrolls an authenticator
(/mfa/associate), lists them (/mfa/authenticators), challenges (/mfa/challenge) and finishes
with the `mfa-otp` or `mfa-recovery-code` grant (core/login/grants.py).

An mfa_token remembers the login it interrupted (user, client, scope, audience, connection),
lives MFA_TOKEN_LIFETIME seconds on the tenant clock and is spent by the grant that finishes the
login. A TOTP enrollment stays inactive until its first code is accepted; the first enrollment
also creates the user's recovery code, shown once. Authenticators live in the Directory
(`authenticators`: user_id -> tuple of records, replaced, never changed in place).
"""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from ..tenant.clock import iso
from ..tenant.errors import OAuthError
from . import attempts, totp

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MFA_TOKEN_LIFETIME = 600
MFA_REQUIRED = "Multifactor authentication required"
MALFORMED_TOKEN = "Malformed mfa_token"
INVALID_OTP = "Invalid otp_code."
INVALID_RECOVERY_CODE = "Invalid recovery_code."
NOT_ENROLLED = "User is not enrolled."
ALREADY_ENROLLED = "User is already enrolled."


def _forbidden(error: str, description: str) -> OAuthError:
    return OAuthError(403, error, description)


# --- the interrupted login -------------------------------------------------------------------

def mfa_required(tenant: "Tenant", user_id: str, client: dict, connection: dict, *, scope: str,
                 audience: str | None) -> OAuthError:
    """The 403 `mfa_required` answer, with a fresh mfa_token for this login."""
    with tenant.lock:
        token = tenant.rng.alnum(48)
        tenant.directory.mfa_tokens[token] = {
            "user_id": user_id, "client_id": client["client_id"], "connection": connection["name"],
            "scope": scope, "audience": audience,
            "expires_at": tenant.clock.timestamp() + MFA_TOKEN_LIFETIME}
    error = OAuthError(403, "mfa_required", MFA_REQUIRED, mfa_token=token)
    error.logged = True  # not a failure: the login continues with a second factor
    return error


def pending_login(tenant: "Tenant", mfa_token: str | None, client_id: str | None = None) -> dict:
    """The login an mfa_token stands for (with `mfa_token`), or Auth0's error for a token
    that is unknown, expired, or another client's."""
    with tenant.lock:
        pending = tenant.directory.mfa_tokens.get(mfa_token or "")
        if pending is None or (client_id is not None and pending["client_id"] != client_id):
            raise _forbidden("invalid_grant", MALFORMED_TOKEN)
        if pending["expires_at"] <= tenant.clock.timestamp():
            raise _forbidden("expired_token", "mfa_token is expired")
        if pending["user_id"] not in tenant.directory.users:
            raise _forbidden("invalid_grant", MALFORMED_TOKEN)
        return {**pending, "mfa_token": mfa_token}


# --- authenticators --------------------------------------------------------------------------

def authenticators(tenant: "Tenant", user_id: str) -> tuple[dict, ...]:
    with tenant.lock:
        return tenant.directory.authenticators.get(user_id, ())


def public_view(authenticator: dict) -> dict:
    """What /mfa/authenticators shows of one (never its secret)."""
    view = {"id": authenticator["id"], "authenticator_type": authenticator["authenticator_type"],
            "active": authenticator["active"]}
    if "oob_channel" in authenticator:  # as recorded: {..., "oob_channel": "sms", "name": "XXXX9167"}
        view.update(oob_channel=authenticator["oob_channel"], name=authenticator["name"])
    return view


def list_for_token(tenant: "Tenant", mfa_token: str | None) -> list[dict]:
    """GET /mfa/authenticators with the mfa_token as bearer."""
    pending = pending_login(tenant, mfa_token)
    return [public_view(each) for each in authenticators(tenant, pending["user_id"])]


def associate(tenant: "Tenant", client: dict, mfa_token: str | None, types) -> dict:
    """POST /mfa/associate for `otp`: a new secret (inactive until its first code), plus the
    recovery code on the user's first enrollment."""
    pending = pending_login(tenant, mfa_token, client["client_id"])
    if not isinstance(types, list) or types != ["otp"]:
        raise OAuthError(400, "invalid_request", "authenticator_types must be [\"otp\"]: mockidp enrolls TOTP only")
    with tenant.lock:
        if any(each["active"] for each in tenant.directory.authenticators.get(pending["user_id"], ())):
            raise _forbidden("access_denied", ALREADY_ENROLLED)
        return enroll_otp(tenant, pending["user_id"])


def enroll_otp(tenant: "Tenant", user_id: str) -> dict:
    """A new TOTP secret for the user (inactive until its first code) and, on the first
    enrollment, the recovery code: Auth0's /mfa/associate answer. Under the tenant lock."""
    existing = tenant.directory.authenticators.get(user_id, ())
    secret = totp.new_secret(tenant.rng)
    now = iso(tenant.clock.now())
    profile = tenant.directory.users[user_id].profile
    # The authenticator app shows "<tenant>:<user>", as Auth0's barcode names them.
    issuer_label = tenant.tenant_settings.get("friendly_name") or "mockidp"
    account_label = profile.get("email") or profile.get("name") or user_id
    added = [{"id": f"totp|dev_{tenant.rng.alnum(16)}", "authenticator_type": "otp", "active": False,
              "secret": secret, "created_at": now}]
    answer = {"authenticator_type": "otp", "secret": secret,
              "barcode_uri": totp.otpauth_uri(secret, issuer_label, account_label)}
    if not any(each["authenticator_type"] == "recovery-code" for each in existing):
        recovery = new_recovery_authenticator(tenant)
        added.append(recovery)
        answer["recovery_codes"] = [recovery["code"]]
    # Earlier unconfirmed secrets are dropped: only the newest enrollment can be confirmed.
    kept = tuple(each for each in existing if each["active"] or each["authenticator_type"] != "otp")
    tenant.directory.authenticators[user_id] = kept + tuple(added)
    return answer


def new_recovery_authenticator(tenant: "Tenant") -> dict:
    """The user's recovery code, inactive until the enrollment it came with is confirmed. Under the lock."""
    return {"id": f"recovery-code|dev_{tenant.rng.alnum(16)}", "authenticator_type": "recovery-code",
            "active": False, "code": totp.new_recovery_code(tenant.rng), "created_at": iso(tenant.clock.now())}


def challenge(tenant: "Tenant", client: dict, mfa_token: str | None, challenge_type, authenticator_id) -> dict:
    """POST /mfa/challenge: for TOTP nothing is sent; Auth0 answers `{"challenge_type": "otp"}`."""
    pending = pending_login(tenant, mfa_token, client["client_id"])
    owned = authenticators(tenant, pending["user_id"])
    if authenticator_id is not None and not any(each["id"] == authenticator_id for each in owned):
        raise _forbidden("invalid_request", "authenticator_id is invalid")
    if challenge_type is not None and "otp" not in str(challenge_type).split():
        raise _forbidden("unsupported_challenge_type", "User does not have any enrolled authenticator "
                                                        "of the requested challenge types")
    if not any(each["authenticator_type"] == "otp" for each in owned):
        raise _forbidden("unsupported_challenge_type", NOT_ENROLLED)
    return {"challenge_type": "otp"}


def verify_otp(tenant: "Tenant", client: dict, mfa_token: str | None, otp: str) -> dict:
    """The `mfa-otp` grant's check: the login, once a TOTP of the user's (pending or active)
    accepts `otp` at the tenant clock's time. Confirms a pending enrollment; spends the token."""
    pending = pending_login(tenant, mfa_token, client["client_id"])
    with tenant.lock:
        check_otp(tenant, pending["user_id"], otp)
        del tenant.directory.mfa_tokens[pending["mfa_token"]]
    return pending


def check_otp(tenant: "Tenant", user_id: str, otp: str) -> None:
    """A TOTP of the user's (pending or active) accepts `otp` at the tenant clock's time: the
    user's authenticators are active from then on. Under the tenant lock."""
    owned = tenant.directory.authenticators.get(user_id, ())
    otps = [each for each in owned if each["authenticator_type"] == "otp"]
    if not otps:
        raise _forbidden("invalid_grant", NOT_ENROLLED)
    now = tenant.clock.timestamp()
    attempts.ensure_not_blocked(tenant, user_id)
    if not any(totp.verify(each["secret"], otp, now) for each in otps):
        attempts.failed(tenant, user_id, "otp")
        raise _forbidden("invalid_grant", INVALID_OTP)
    attempts.succeeded(tenant, user_id, "otp")
    if not all(each["active"] for each in otps):
        attempts.enrolled(tenant, user_id, "otp")
    tenant.directory.authenticators[user_id] = tuple({**each, "active": True} for each in owned)


def verify_recovery_code(tenant: "Tenant", client: dict, mfa_token: str | None, code: str) -> tuple[dict, str]:
    """The `mfa-recovery-code` grant's check: (the login, the new recovery code replacing the used one)."""
    pending = pending_login(tenant, mfa_token, client["client_id"])
    with tenant.lock:
        attempts.ensure_not_blocked(tenant, pending["user_id"])
        fresh = replace_recovery_code(tenant, pending["user_id"], code)
        if fresh is None:
            raise _forbidden("invalid_grant", INVALID_RECOVERY_CODE)
        del tenant.directory.mfa_tokens[pending["mfa_token"]]
    return pending, fresh


def replace_recovery_code(tenant: "Tenant", user_id: str, code: str) -> str | None:
    """Spend the user's active recovery code: the new one that replaces it, or None when `code`
    is not it (a wrong code counts towards the user's limit). Under the tenant lock."""
    owned = tenant.directory.authenticators.get(user_id, ())
    recovery = next((each for each in owned if each["authenticator_type"] == "recovery-code" and each["active"]),
                    None)
    if recovery is None or not hmac.compare_digest(recovery["code"].encode(), code.strip().upper().encode()):
        attempts.failed(tenant, user_id, attempts.RECOVERY_CODE)
        return None
    attempts.succeeded(tenant, user_id, attempts.RECOVERY_CODE)
    fresh = totp.new_recovery_code(tenant.rng)
    tenant.directory.authenticators[user_id] = tuple({**each, "code": fresh} if each is recovery else each
                                                     for each in owned)
    return fresh
