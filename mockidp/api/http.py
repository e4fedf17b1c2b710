"""Small helpers every blueprint shares: the tenant of this request, bodies, JSON responses,
and the issuer/domain the caller sees."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request

from ..core.errors import Auth0Error, ManagementError
from ..core.tenant import Tenant

MAX_BODY_BYTES = 1024 * 1024  # Auth0 caps payloads at 1 MB
JSON_TYPE = "application/json; charset=utf-8"


def tenant() -> Tenant:
    return current_app.extensions["mockidp.tenant"]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status=status, headers=headers, content_type=JSON_TYPE)


def empty_response(status: int = 204) -> Response:
    return Response(b"", status=status)


def error_response(error: Auth0Error) -> Response:
    return json_response(error.body, error.status, error.headers)


def public_base_url() -> str:
    """The base URL clients use: --public-url when set, else the scheme and host of this request."""
    configured = tenant().public_url
    base = configured or request.host_url
    return base.rstrip("/")


def issuer() -> str:
    return public_base_url() + "/"  # Auth0 issuers end with a slash


def domain() -> str:
    """host[:port] as the caller addressed it (what SDKs call the domain)."""
    return public_base_url().split("://", 1)[1]


def read_body(invalid_json: Auth0Error | None = None) -> dict[str, Any] | Any:
    """The request body as JSON (or a form as a flat dict). Empty bodies read as {}."""
    raw = request.get_data(cache=True)  # raises RequestEntityTooLarge past MAX_CONTENT_LENGTH
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid_json or ManagementError(400, "Invalid request payload JSON format") from None
