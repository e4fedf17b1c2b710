"""Small helpers every blueprint shares: the tenant of this request, bodies, JSON responses,
and the issuer/domain the caller sees."""
from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.utils import get_current_url

from ..core.tenant.errors import Auth0Error, ManagementError
from .posture import request_host_allowed

if TYPE_CHECKING:
    from ..core.tenant.tenant import Tenant

MAX_BODY_BYTES = 1024 * 1024  # Auth0 caps payloads at 1 MB
JSON_TYPE = "application/json; charset=utf-8"
# MongoDB, which stores Auth0's profiles, refuses documents nested deeper than 100 levels; a
# bound also keeps the recursive code downstream (deepcopy, schema validation) safe.
MAX_JSON_DEPTH = 100


TENANT_KEY = "mockidp.tenant"  # the WSGI environ key api/harness/tenants.py's TenantRouter sets
BASE_URL_KEY = "mockidp.base_url"  # public_base_url() of this request, once worked out
# A tenant listener's base URL under --public-url (its own port), set by api/harness/tenants.py's TenantSite.
LISTENER_BASE_KEY = "mockidp.listener_base"


def tenant() -> Tenant:
    """The tenant this request addresses: a named one under /t/{name}/, else the default."""
    return request.environ.get(TENANT_KEY) or current_app.extensions[TENANT_KEY]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    try:
        encoded = body.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800") was stored: escape it, as JavaScript's JSON.stringify does.
        encoded = json.dumps(data, separators=(",", ":")).encode("ascii")
    return Response(encoded, status=status, headers=headers, content_type=JSON_TYPE)


def empty_response(status: int = 204) -> Response:
    return Response(b"", status=status)


def error_response(error: Auth0Error) -> Response:
    return json_response(error.body, error.status, error.headers)


def public_base_url() -> str:
    """The base URL clients use: --public-url when set, else the scheme and host of this request
    when that host is allowed (api/posture.py), else the loopback name and port it arrived on: an
    arbitrary Host header never reaches an issuer or an emailed link. Then the tenant's prefix
    (/t/{name}) when the request addressed a named tenant. On a tenant's own listener,
    --public-url's host with that listener's port (listeners.py).

    Worked out once per request: a token request needs it for the issuer and the log event's
    hostname, and werkzeug's host parsing and URL building cost more than the rest of it."""
    base = request.environ.get(BASE_URL_KEY)
    if base is None:
        base = request.environ[BASE_URL_KEY] = _base_url()
    return base


def _base_url() -> str:
    configured = request.environ.get(LISTENER_BASE_KEY) or tenant().public_url
    if configured:
        base = configured
    elif request_host_allowed():
        base = _host_url(request.scheme, request.host)
    else:
        base = f"{request.scheme}://localhost:{request.environ.get('SERVER_PORT', '80')}"
    return base.rstrip("/") + request.script_root


@functools.lru_cache(maxsize=64)
def _host_url(scheme: str, host: str) -> str:
    """werkzeug's `request.host_url` (an IRI: percent-escapes and punycode decoded), which is a
    pure function of the two; a test run addresses a handful of hosts."""
    return get_current_url(scheme, host)


def local_path(path: str) -> str:
    """An absolute path on this tenant (`/u/login` → `/t/{name}/u/login` for a named tenant)."""
    return request.script_root + path


def issuer() -> str:
    return public_base_url() + "/"  # Auth0 issuers end with a slash


def domain() -> str:
    """host[:port] as the caller addressed it (what SDKs call the domain)."""
    return public_base_url().split("://", 1)[1]


def read_body(invalid_json: Auth0Error | None = None, limit: int = MAX_BODY_BYTES) -> dict[str, Any] | Any:
    """The request body as JSON (or a form as a flat dict). Empty bodies read as {}. `limit`:
    Auth0's 1 MB, unless a control-plane endpoint takes more (a state document)."""
    if limit != MAX_BODY_BYTES:
        request.max_content_length = limit
    raw = request.get_data(cache=True)  # raises RequestEntityTooLarge past the limit
    if request.content_length is None and len(raw) >= limit:
        # A chunked body: werkzeug stops reading at the limit instead of failing, so a body that
        # fills it is taken as too large (one of exactly 1 MB is the price of not reading on).
        raise RequestEntityTooLarge()
    if request.mimetype == "application/x-www-form-urlencoded":
        return form_fields(raw)
    if request.mimetype == "multipart/form-data":
        return request.form.to_dict()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = _INVALID
    if body is _INVALID or nesting_depth(body) > MAX_JSON_DEPTH or has_lone_surrogate(body):
        raise invalid_json or ManagementError(400, "Invalid request payload JSON format")
    return body


_INVALID = object()


def form_fields(raw: bytes) -> dict[str, str]:
    """A urlencoded body as `request.form.to_dict()` reads it (the first of repeated fields; no
    fields when it is not UTF-8), without werkzeug's form-parser machinery, which cost more than
    the token grant's own code on every /oauth/token call."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return {}  # werkzeug's parser is silent on undecodable forms
    fields: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        fields.setdefault(key, value)
    return fields


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python accepts NaN/Infinity; JSON.parse does not


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text} overflows a double")  # would come back as null from Auth0
    return number


def has_lone_surrogate(value: Any) -> bool:
    """True if a string (key or value) holds a lone UTF-16 surrogate such as "\\ud800": valid
    JSON text, but no UTF-8 string, so MongoDB (Auth0's store) cannot hold it and hashing,
    emailing or rendering it fails. Refused as malformed JSON on the way in."""
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return True
        elif isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def nesting_depth(value: Any) -> int:
    """How deeply objects and arrays nest in a JSON value (walked without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest
