"""CORS for the endpoints browsers call from an application's origin (/oauth/token, /oauth/revoke,
/userinfo): an origin is allowed when some client lists it in Allowed Web Origins or Allowed
Origins (CORS), or it is the origin of one of a client's callback URLs. A preflight carries no
client_id, so the check is tenant-wide."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, request

from ...core.login.authorize import url_matches
from ..http import tenant

PREFLIGHT_MAX_AGE = "86400"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def allowed_origin(origin: str) -> bool:
    current = tenant()
    with current.lock:
        clients = list(current.directory.clients.values())
    for client in clients:
        listed = (client.get("web_origins") or []) + (client.get("allowed_origins") or [])
        if any(url_matches(entry.rstrip("/"), origin) for entry in listed):
            return True
        if any(origin_of(callback) == origin for callback in client.get("callbacks") or []):
            return True
    return False


def add_cors_headers(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if not origin or not allowed_origin(origin):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers.add("Vary", "Origin")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            response.headers["Access-Control-Allow-Headers"] = requested
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
