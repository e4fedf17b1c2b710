"""The control plane of one-time codes: /_mock/sms, the text messages mockidp "sent" (passwordless
SMS codes), newest last, read like the email outbox (core/factors/phone_outbox.py); and
/_mock/mfa/totp, the code a user's TOTP authenticator shows now on the tenant clock, for tests
that cannot compute RFC 6238 themselves."""
from __future__ import annotations

from flask import Blueprint, request

from ...core.factors import mfa, phone_outbox, totp
from ...core.tenant.errors import ControlError
from ..http import json_response, tenant

factors_control = Blueprint("factors_control", __name__, url_prefix="/_mock")


def _to() -> str | None:
    unknown = sorted(set(request.args) - {"to"})
    if unknown:
        raise ControlError(400, f"Unknown query parameter(s): {', '.join(unknown)}. Filter with: to.")
    return request.args.get("to")


@factors_control.get("/sms")
def list_sms():
    return json_response({"messages": phone_outbox.messages(tenant(), _to())})


@factors_control.get("/sms/latest")
def latest_sms():
    to = _to()
    found = phone_outbox.messages(tenant(), to)
    if not found:
        raise ControlError(404, f"No text message for {to or 'any number'}.", "not_found")
    return json_response(found[-1])


@factors_control.delete("/sms")
def clear_sms():
    return json_response({"deleted": phone_outbox.clear(tenant())})


@factors_control.get("/mfa/totp")
def current_totp():
    user_id = request.args.get("user_id")
    if not user_id:
        raise ControlError(400, "Missing query parameter: user_id.")
    current = tenant()
    found = [each for each in mfa.authenticators(current, user_id) if each["authenticator_type"] == "otp"]
    if not found:
        raise ControlError(404, f"User {user_id} has no TOTP authenticator.", "not_found")
    newest = found[-1]
    return json_response({"authenticator_id": newest["id"], "active": newest["active"], "secret": newest["secret"],
                          "code": totp.code_at(newest["secret"], current.clock.timestamp())})
