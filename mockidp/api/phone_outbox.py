"""/_mock/sms: the text messages mockidp "sent" (passwordless SMS codes), newest last, for tests
to read like the email outbox (core/factors/phone_outbox.py)."""
from __future__ import annotations

from flask import Blueprint, request

from ..core.factors import phone_outbox
from ..core.tenant.errors import ControlError
from .http import json_response, tenant

sms_outbox = Blueprint("sms_outbox", __name__, url_prefix="/_mock")


def _to() -> str | None:
    unknown = sorted(set(request.args) - {"to"})
    if unknown:
        raise ControlError(400, f"Unknown query parameter(s): {', '.join(unknown)}. Filter with: to.")
    return request.args.get("to")


@sms_outbox.get("/sms")
def list_sms():
    return json_response({"messages": phone_outbox.messages(tenant(), _to())})


@sms_outbox.get("/sms/latest")
def latest_sms():
    to = _to()
    found = phone_outbox.messages(tenant(), to)
    if not found:
        raise ControlError(404, f"No text message for {to or 'any number'}.", "not_found")
    return json_response(found[-1])


@sms_outbox.delete("/sms")
def clear_sms():
    return json_response({"deleted": phone_outbox.clear(tenant())})
