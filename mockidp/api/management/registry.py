"""The /api/v2 blueprint and the `operation` decorator: one place that authenticates the bearer
token and checks the scopes Auth0's OpenAPI spec requires for each operation."""
from __future__ import annotations

import importlib
import re
from functools import wraps
from typing import Callable

from flask import Blueprint, g, request

from ...core.logs import events
from ...core.tenant import journal
from ...core.tenant.errors import ManagementError
from ...core.tokens import blacklist, jwt as tokens
from ..http import tenant
from ..caller import request_info
from ..validation import gap_operation_keys, operation_keys, operation_summary, scopes_for

management = Blueprint("management", __name__, url_prefix="/api/v2")

RESOURCE_MODULES = ("users", "applications.clients", "applications.connections", "applications.resource_servers",
                    "applications.client_grants", "applications.signing_keys",
                    "email_templates", "tickets", "jobs", "logs", "user_blocks", "attack_protection",
                    "actions", "roles", "organizations", "factors.guardian",
                    "declared.views")  # declared last: it serves what no module above does
_registered_operations: list[str] = []  # filled once at import time; read-only afterwards


# A resource server is addressed by id or by identifier, and an identifier is a URL: sent as
# `https:%2F%2Fapi.example.com%2F`, it reaches routing decoded (WSGI's PATH_INFO), slashes and all.
SLASHED_IDS = frozenset({"/resource-servers/{id}"})


def _flask_path(path: str) -> str:
    if path in SLASHED_IDS:
        return re.sub(r"{(\w+)}$", r"<path:\1>", path)
    return re.sub(r"{(\w+)}", r"<\1>", path)


def operation(key: str) -> Callable:
    """Register a view for `"<METHOD> <path>"` (the spec's path, relative to /api/v2)."""
    method, path = key.split(" ", 1)

    def decorator(view: Callable) -> Callable:
        needed = scopes_for(key)

        @wraps(view)
        def guarded(**kwargs):
            g.operation_key = key  # for the audit log (audit below)
            g.caller = authenticate()
            _note_user(path, kwargs, g.caller.claims)
            require_any_scope(needed)
            return view(**kwargs)

        # werkzeug would merge the `//` of a slashed identifier (https://...) into one slash
        management.add_url_rule(_flask_path(path), endpoint=key, view_func=guarded, methods=[method],
                                merge_slashes=path not in SLASHED_IDS)
        _registered_operations.append(key)
        return view

    return decorator


def authenticate() -> tokens.ManagementCaller:
    """The bearer checks of hapi-auth-jwt, whose messages Auth0 returns: no header or another
    scheme is "Missing authentication"; a header that is not two words, or a token that is not
    three dot-separated parts (an opaque token), is a 400 whose errorCode is the scheme name."""
    parts = request.headers.get("Authorization", "").split()
    if not parts or (len(parts) == 2 and parts[0].lower() != "bearer"):
        raise ManagementError(401, "Missing authentication", headers={"WWW-Authenticate": "Bearer"})
    if len(parts) != 2 or len(parts[1].split(".")) != 3:
        raise ManagementError(400, "Bad HTTP authentication header format", "Bearer")
    current = tenant()
    return tokens.verify_management_token(current.keys, parts[1], current.clock.timestamp(),
                                          current.verified_tokens,
                                          refused=lambda claims: blacklist.refused(current, claims))


def _note_user(path: str, kwargs: dict, claims: dict) -> None:
    """For the journal: the user a call addresses (/users/{id}...), else the token's user."""
    if path.startswith(("/users/{id}", "/user-blocks/{id}")):
        journal.note_user(kwargs["id"])
    elif isinstance(claims.get("sub"), str) and not claims["sub"].endswith("@clients"):
        journal.note_user(claims["sub"])


def granted_scopes() -> frozenset[str]:
    return g.caller.scopes


def token_claims() -> dict:
    return g.caller.claims


def require_any_scope(needed: list[str]) -> None:
    if needed and g.caller.scopes.isdisjoint(needed):
        raise ManagementError(403, f"Insufficient scope, expected any of: {','.join(needed)}",
                              "insufficient_scope")


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MASKED = frozenset({"password", "client_secret", "signing_secret"})


@management.after_request
def audit(response):
    """Every successful Management write is logged as Auth0 logs it: a `sapi` entry named after
    the operation ("Create a User") with the request and the response (reference §9.2)."""
    key = g.get("operation_key")
    if key and request.method in WRITES and response.status_code < 400 and "caller" in g:
        claims = g.caller.claims
        details = {
            "request": {"channel": "api", "method": request.method.lower(), "path": request.path,
                        "query": request.args.to_dict(), "body": _masked(_logged_body()),
                        "ip": request.remote_addr, "userAgent": request.headers.get("User-Agent", ""),
                        "auth": {"strategy": "jwt", "credentials": {"scopes": sorted(g.caller.scopes)}}},
            "response": {"statusCode": response.status_code, "body": _masked(response.get_json(silent=True))},
        }
        events.record(tenant(), "sapi", operation_summary(key), request=request_info(),
                      client_id=claims.get("azp") or str(claims.get("sub", "")).removesuffix("@clients"),
                      details=details)
    return response


def _logged_body():
    """The JSON body, or a multipart upload's fields (a user import: its file is not logged)."""
    if request.mimetype == "multipart/form-data":
        return request.form.to_dict()
    return request.get_json(silent=True)


def _masked(body):
    if isinstance(body, dict):
        return {key: "*****" if key in MASKED else value for key, value in body.items()}
    return body if body is not None else {}


def load_resources() -> Blueprint:
    for module in RESOURCE_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    return management


def supported_scopes() -> list[str]:
    """Every scope some operation of Auth0's spec accepts: what the Management API system
    resource server offers and what the default M2M client is granted. Taken from the spec, not
    from the routes, so the declared resources (loaded on first use) need not load at start-up."""
    keys = operation_keys() + gap_operation_keys()  # blacklist:tokens is only beyond the spec
    scopes = {scope for key in keys for scope in scopes_for(key)}
    return sorted(scope for scope in scopes if "current_user" not in scope)  # user-token scopes


def registered_operations() -> list[str]:
    """Every implemented operation as `"<METHOD> <spec path>"`, in registration order."""
    load_resources()
    return list(_registered_operations)
