"""send-phone-message: the Actions that send MFA text messages when the tenant's phone provider is
Auth0's custom one ("phone-message-hook", PUT /api/v2/guardian/factors/phone/selected-provider).
They block, as on Auth0 ("blocking (synchronous)"): the enrolment or challenge waits for them, in
binding order; the first uncaught error fails the sending and no later Action runs. `api` has
`cache` only. Node runs outside the tenant lock."""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, NamedTuple

from ..logs.events import RequestInfo
from ..tenant.clock import monotonic
from . import bindings, executions
from .executions import execute, request_view, tenant_id

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

TRIGGER = "send-phone-message"
# What the event leaves out of the stored profile (login statistics, the admin block).
NOT_IN_EVENT_USER = {"logins_count", "last_login", "last_ip", "blocked"}


class PhoneMessage(NamedTuple):
    """event.message_options, and who the message is for."""

    action: str                   # "enrollment" or "second-factor-authentication"
    code: str
    recipient: str
    text: str
    user: dict
    client: dict | None
    request: RequestInfo
    message_type: str = "sms"


def is_bound(tenant: "Tenant") -> bool:
    return bool(bindings.bound_actions(tenant, TRIGGER))


def send_phone_message(tenant: "Tenant", message: PhoneMessage) -> str | None:
    """Run the bound send-phone-message Actions: why sending failed, or None."""
    bound = bindings.bound_actions(tenant, TRIGGER)
    if not bound:
        return "No send-phone-message Action is bound"
    generation, deadline = tenant.generation, monotonic() + executions.TRIGGER_TIME_LIMIT_S
    trigger_run = executions.new_trigger_run(tenant)
    for action in bound:
        run = execute(tenant, action, "onExecuteSendPhoneMessage", TRIGGER, _event(tenant, message, action),
                      generation, deadline, trigger_run=trigger_run)
        if run.error is not None:
            return run.error.get("message") or "Action failed"
    return None


def _event(tenant: "Tenant", message: PhoneMessage, action: bindings.BoundAction) -> dict:
    user = {key: value for key, value in copy.deepcopy(message.user).items() if key not in NOT_IN_EVENT_USER}
    user.setdefault("app_metadata", {})
    user.setdefault("user_metadata", {})
    event = {"message_options": {"action": message.action, "code": message.code, "message_type": message.message_type,
                                 "recipient": message.recipient, "text": message.text},
             "user": user,
             "request": {**request_view(message.request), "method": "POST", "query": {}, "body": {}},
             "secrets": dict(action.secrets), "tenant": {"id": tenant_id(tenant)}}
    if message.client is not None:
        event["client"] = {"client_id": message.client.get("client_id"), "name": message.client.get("name", ""),
                           "metadata": dict(message.client.get("client_metadata") or {})}
    return event
