"""credentials-exchange: the Actions that run when /oauth/token issues an access token through the
client credentials grant, after the grant was checked and before the token is signed. They block:
in binding order, the first `api.access.deny(code, reason)` or uncaught error refuses the token and
no later Action runs; `api.accessToken.setCustomClaim` adds claims to it (claims Auth0 restricts are
ignored, as for post-login).

Node runs outside the tenant lock: an Action may call mockidp back.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from ..logs.events import RequestInfo
from ..tenant.clock import monotonic
from . import bindings, executions  # executions.TRIGGER_TIME_LIMIT_S read per run: tests shorten it
from .executions import execute, request_view, tenant_id
from .triggers import RESERVED_CLAIMS

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant


class Exchange(NamedTuple):
    """What credentials-exchange's event describes."""

    client: dict
    audience: str
    scopes: list[str]             # granted to the token
    requested_scopes: list[str]   # the request's `scope`
    request: RequestInfo
    body: Mapping                 # the token request's parameters, the secret left out


class ExchangeOutcome(NamedTuple):
    denied: str | None            # the reason the token is refused
    claims: dict                  # custom claims for the access token


def credentials_exchange(tenant: "Tenant", exchange: Exchange) -> ExchangeOutcome:
    bound = bindings.bound_actions(tenant, "credentials-exchange")
    claims: dict = {}
    if not bound:
        return ExchangeOutcome(None, claims)
    generation, deadline = tenant.generation, monotonic() + executions.TRIGGER_TIME_LIMIT_S
    trigger_run = executions.new_trigger_run(tenant)
    for action in bound:
        event = _event(tenant, exchange, action, claims)
        run = execute(tenant, action, "onExecuteCredentialsExchange", "credentials-exchange", event,
                      generation, deadline, trigger_run=trigger_run)
        if run.error is not None:
            return ExchangeOutcome(run.error.get("message") or "Action failed", {})
        denied = _apply_calls(run.commands, claims)
        if denied is not None:
            return ExchangeOutcome(denied, {})
    return ExchangeOutcome(None, claims)


def _apply_calls(commands: list[dict], claims: dict) -> str | None:
    for command in commands:
        op = command.get("op")
        if op == "access.deny":
            reason = command.get("reason")
            return reason if isinstance(reason, str) else str(command.get("code") or "")
        key = command.get("key")
        if op == "accessToken.setCustomClaim" and isinstance(key, str) and key and key not in RESERVED_CLAIMS:
            claims[key] = command.get("value")
    return None


def _event(tenant: "Tenant", exchange: Exchange, action: bindings.BoundAction, claims: dict) -> dict:
    client = exchange.client
    return {"client": {"client_id": client.get("client_id"), "name": client.get("name", ""),
                       "metadata": dict(client.get("client_metadata") or {})},
            "resource_server": {"identifier": exchange.audience},
            "request": {**request_view(exchange.request), "method": "POST", "body": dict(exchange.body)},
            "transaction": {"requested_scopes": list(exchange.requested_scopes)},
            "accessToken": {"scope": list(exchange.scopes), "customClaims": dict(claims)},
            "secrets": dict(action.secrets), "tenant": {"id": tenant_id(tenant)}}
