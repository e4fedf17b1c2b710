"""Out-of-band MFA through Auth0's MFA API, by email (factor `email`) or text message (factor
`sms`): /mfa/associate with `authenticator_types: ["oob"], oob_channels: ["email"]` (or `["sms"]`
with a `phone_number`) and /mfa/challenge with `challenge_type: "oob"` send a 6-digit binding code
(email `mfa_oob_code` through the mailroom; SMS through sms.py into the phone outbox) and answer
an `oob_code`; the `mfa-oob` grant (core/login/grants.py) takes both. A pending email
enrollment is confirmed by its first accepted code. Codes live OOB_CODE_LIFETIME seconds on the
tenant clock in the Directory's `mfa_tokens` under "oob|<oob_code>", are single use, and are
bound to the mfa_token they were sent for."""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from ..logs.events import RequestInfo
from ..tenant.clock import iso
from ..tenant.errors import OAuthError
from . import attempts, guardian, mfa, sms

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

OOB_CODE_LIFETIME = 300
INVALID_BINDING_CODE = "Invalid binding_code."
INVALID_OOB_CODE = "Invalid oob_code."


def _bad(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def associate(tenant: "Tenant", client: dict, mfa_token: str | None, channels, contact: dict, *, base_url: str,
              request: RequestInfo) -> dict:
    """Enroll the user's email (`contact["email"]`, else the user's) or phone (`contact["phone_number"]`),
    inactive until the code sent there is accepted; the first enrollment also gets the recovery code."""
    pending = mfa.pending_login(tenant, mfa_token, client["client_id"])
    channel = _channel(tenant, channels)
    with tenant.lock:
        profile = tenant.directory.users[pending["user_id"]].profile
        address, name = _address(channel, contact, profile)
        existing = tenant.directory.authenticators.get(pending["user_id"], ())
        if any(each["active"] for each in existing):
            raise OAuthError(403, "access_denied", mfa.ALREADY_ENROLLED)
        prefix = "sms" if channel == "sms" else "email"
        authenticator = {"id": f"{prefix}|dev_{tenant.rng.alnum(16)}", "authenticator_type": "oob",
                         "oob_channel": channel, "name": name, "address": address, "active": False,
                         "created_at": iso(tenant.clock.now())}
        added: tuple[dict, ...] = (authenticator,)
        answer = {"authenticator_type": "oob", "binding_method": "prompt"}
        if channel == "sms" and not any(each["authenticator_type"] == "recovery-code" for each in existing):
            recovery = mfa.new_recovery_authenticator(tenant)  # as recorded for an SMS enrollment
            added += (recovery,)
            answer["recovery_codes"] = [recovery["code"]]
        kept = tuple(each for each in existing if each["active"] or each["authenticator_type"] != "oob")
        tenant.directory.authenticators[pending["user_id"]] = kept + added
        answer["oob_channel"] = channel
        answer["oob_code"], outgoing = _send_code(tenant, client, pending, authenticator, base_url, sms.ENROLLMENT)
    _deliver(tenant, outgoing, request)
    return answer


def _channel(tenant: "Tenant", channels) -> str:
    """The one channel asked for, with its factor enabled."""
    if channels not in (["email"], ["sms"]):
        raise _bad("oob_channels must be [\"email\"] or [\"sms\"]: mockidp sends out-of-band codes by email "
                   "or text message")
    channel = channels[0]
    if not guardian.is_enabled(tenant, channel):
        raise OAuthError(403, "unsupported_challenge_type", f"The {channel} factor is not enabled")
    return channel


def _address(channel: str, contact: dict, profile: dict) -> tuple[str, str]:
    """(where codes go, the authenticator's name): the email as it is, a phone number masked."""
    if channel == "sms":
        number = sms.phone_number(contact.get("phone_number"))
        if number is None:
            raise _bad("phone_number is required for the sms channel" if not contact.get("phone_number")
                       else sms.INVALID_PHONE)
        return number, sms.masked(number)
    email = contact.get("email")
    address = email if isinstance(email, str) and email else profile.get("email")
    if not address:
        raise _bad("email is required for the email channel")
    return address, address


def challenge(tenant: "Tenant", client: dict, mfa_token: str | None, authenticator_id, *, base_url: str,
              request: RequestInfo) -> dict:
    """Send a binding code to the user's (chosen) email or SMS authenticator."""
    pending = mfa.pending_login(tenant, mfa_token, client["client_id"])
    with tenant.lock:
        owned = [each for each in tenant.directory.authenticators.get(pending["user_id"], ())
                 if each["authenticator_type"] == "oob" and (authenticator_id is None or each["id"] == authenticator_id)]
        if not owned:
            raise OAuthError(403, "unsupported_challenge_type", "User does not have any enrolled authenticator "
                                                                "of the requested challenge types")
        oob_code, outgoing = _send_code(tenant, client, pending, owned[-1], base_url, sms.CHALLENGE)
        answer = {"challenge_type": "oob", "oob_code": oob_code, "binding_method": "prompt"}
    _deliver(tenant, outgoing, request)
    return answer


def _send_code(tenant: "Tenant", client: dict, pending: dict, authenticator: dict, base_url: str,
               action: str) -> tuple[str, "sms.Outgoing | None"]:
    """A fresh binding code for the authenticator: queued by email at once, or the text message to
    send once the lock is released; (the oob_code that names it, that message). Under the lock."""
    oob_code = tenant.rng.alnum(32)
    address = authenticator.get("address") or authenticator["name"]
    outgoing = None
    if authenticator.get("oob_channel") == "sms":
        outgoing = sms.new_code(tenant, to=address, user_id=pending["user_id"], client=client, action=action)
        binding_code = outgoing.code
    else:
        binding_code = tenant.rng.digits(6)
        tenant.mailroom.enqueue("mfa_oob_code", to=address, user_id=pending["user_id"], base_url=base_url,
                                client_id=client["client_id"], extra={"code": binding_code})
    tenant.directory.mfa_tokens[f"oob|{oob_code}"] = {
        "mfa_token": pending["mfa_token"], "user_id": pending["user_id"], "authenticator_id": authenticator["id"],
        "binding_code": binding_code, "expires_at": tenant.clock.timestamp() + OOB_CODE_LIFETIME}
    return oob_code, outgoing


def _deliver(tenant: "Tenant", outgoing: "sms.Outgoing | None", request: RequestInfo) -> None:
    """Outside the lock: the text message (an Action may send it), or the due emails."""
    if outgoing is not None:
        sms.send(tenant, outgoing, request)
    else:
        tenant.mailroom.deliver_due()


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
        if any(each["id"] == sent["authenticator_id"] and not each["active"] for each in owned):
            attempts.enrolled(tenant, pending["user_id"], channel)
        confirmed = (sent["authenticator_id"], *(each["id"] for each in owned
                                                if each["authenticator_type"] == "recovery-code"))
        tenant.directory.authenticators[pending["user_id"]] = tuple(
            {**each, "active": True} if each["id"] in confirmed else each for each in owned)
        del tenant.directory.mfa_tokens[f"oob|{oob_code}"]
        del tenant.directory.mfa_tokens[pending["mfa_token"]]
    return pending


def _channel_of(tenant: "Tenant", user_id: str, authenticator_id: str) -> str:
    """email or sms: the channel of the authenticator a code was sent to. Under the lock."""
    return next((each.get("oob_channel", "email") for each in tenant.directory.authenticators.get(user_id, ())
                 if each["id"] == authenticator_id), "email")
