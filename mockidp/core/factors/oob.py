"""Out-of-band MFA by email through Auth0's MFA API (factor `email`): /mfa/associate with
`authenticator_types: ["oob"], oob_channels: ["email"]` and /mfa/challenge with
`challenge_type: "oob"` email a 6-digit binding code (`mfa_oob_code`, through the mailroom) and
answer an `oob_code`; the `mfa-oob` grant (core/login/grants.py) takes both. A pending email
enrollment is confirmed by its first accepted code. Codes live OOB_CODE_LIFETIME seconds on the
tenant clock in the Directory's `mfa_tokens` under "oob|<oob_code>", are single use, and are
bound to the mfa_token they were sent for."""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from ..tenant.clock import iso
from ..tenant.errors import OAuthError
from . import attempts, guardian, mfa

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

OOB_CODE_LIFETIME = 300
INVALID_BINDING_CODE = "Invalid binding_code."
INVALID_OOB_CODE = "Invalid oob_code."


def _bad(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def associate(tenant: "Tenant", client: dict, mfa_token: str | None, channels, email, *, base_url: str) -> dict:
    """Enroll the user's email (inactive until the emailed code is accepted)."""
    pending = mfa.pending_login(tenant, mfa_token, client["client_id"])
    if channels != ["email"]:
        raise _bad("oob_channels must be [\"email\"]: mockidp sends out-of-band codes by email only")
    if not guardian.is_enabled(tenant, "email"):
        raise OAuthError(403, "unsupported_challenge_type", "The email factor is not enabled")
    with tenant.lock:
        profile = tenant.directory.users[pending["user_id"]].profile
        address = email if isinstance(email, str) and email else profile.get("email")
        if not address:
            raise _bad("email is required for the email channel")
        existing = tenant.directory.authenticators.get(pending["user_id"], ())
        if any(each["active"] for each in existing):
            raise OAuthError(403, "access_denied", mfa.ALREADY_ENROLLED)
        authenticator = {"id": f"email|dev_{tenant.rng.alnum(16)}", "authenticator_type": "oob",
                         "oob_channel": "email", "name": address, "active": False,
                         "created_at": iso(tenant.clock.now())}
        kept = tuple(each for each in existing if each["active"] or each["authenticator_type"] != "oob")
        tenant.directory.authenticators[pending["user_id"]] = kept + (authenticator,)
        answer = {"authenticator_type": "oob", "binding_method": "prompt", "oob_channel": "email",
                  "oob_code": _send_code(tenant, client, pending, authenticator, base_url)}
    tenant.mailroom.deliver_due()  # outside the lock
    return answer


def challenge(tenant: "Tenant", client: dict, mfa_token: str | None, authenticator_id, *, base_url: str) -> dict:
    """Email a binding code to the user's (chosen) email authenticator."""
    pending = mfa.pending_login(tenant, mfa_token, client["client_id"])
    with tenant.lock:
        owned = [each for each in tenant.directory.authenticators.get(pending["user_id"], ())
                 if each["authenticator_type"] == "oob" and (authenticator_id is None or each["id"] == authenticator_id)]
        if not owned:
            raise OAuthError(403, "unsupported_challenge_type", "User does not have any enrolled authenticator "
                                                                "of the requested challenge types")
        answer = {"challenge_type": "oob", "oob_code": _send_code(tenant, client, pending, owned[-1], base_url),
                  "binding_method": "prompt"}
    tenant.mailroom.deliver_due()
    return answer


def _send_code(tenant: "Tenant", client: dict, pending: dict, authenticator: dict, base_url: str) -> str:
    """Queue the email with a fresh binding code; the oob_code that names it. Under the lock."""
    oob_code = tenant.rng.alnum(32)
    binding_code = tenant.rng.digits(6)
    tenant.directory.mfa_tokens[f"oob|{oob_code}"] = {
        "mfa_token": pending["mfa_token"], "user_id": pending["user_id"], "authenticator_id": authenticator["id"],
        "binding_code": binding_code, "expires_at": tenant.clock.timestamp() + OOB_CODE_LIFETIME}
    tenant.mailroom.enqueue("mfa_oob_code", to=authenticator["name"], user_id=pending["user_id"], base_url=base_url,
                            client_id=client["client_id"], extra={"code": binding_code})
    return oob_code


def verify(tenant: "Tenant", client: dict, mfa_token: str | None, oob_code: str, binding_code: str) -> dict:
    """The `mfa-oob` grant's check: the login, once the emailed code matches. Confirms the
    authenticator, spends the oob_code and the mfa_token."""
    pending = mfa.pending_login(tenant, mfa_token, client["client_id"])
    with tenant.lock:
        sent = tenant.directory.mfa_tokens.get(f"oob|{oob_code}")
        if sent is None or sent["mfa_token"] != pending["mfa_token"] or sent["expires_at"] <= tenant.clock.timestamp():
            raise OAuthError(403, "invalid_grant", INVALID_OOB_CODE)
        attempts.ensure_not_blocked(tenant, pending["user_id"])
        channel = _channel_of(tenant, pending["user_id"], sent["authenticator_id"])
        if not hmac.compare_digest(sent["binding_code"].encode(), binding_code.strip().encode()):
            attempts.failed(tenant, pending["user_id"], channel)
            raise OAuthError(403, "invalid_grant", INVALID_BINDING_CODE)
        attempts.succeeded(tenant, pending["user_id"], channel)
        owned = tenant.directory.authenticators.get(pending["user_id"], ())
        tenant.directory.authenticators[pending["user_id"]] = tuple(
            {**each, "active": True} if each["id"] == sent["authenticator_id"] else each for each in owned)
        del tenant.directory.mfa_tokens[f"oob|{oob_code}"]
        del tenant.directory.mfa_tokens[pending["mfa_token"]]
    return pending


def _channel_of(tenant: "Tenant", user_id: str, authenticator_id: str) -> str:
    """email or sms: the channel of the authenticator a code was sent to. Under the lock."""
    return next((each.get("oob_channel", "email") for each in tenant.directory.authenticators.get(user_id, ())
                 if each["id"] == authenticator_id), "email")
