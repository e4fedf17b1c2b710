"""Who may drive /_mock, and which host emailed links may name.

A web page open in the developer's browser must not drive the control plane or read the outbox's
reset links: /_mock answers only requests whose Host is allowed (loopback names, the --public-url
host, names given with --allowed-host), refuses a cross-site Origin, takes JSON bodies only as
application/json (a text/plain form post cannot smuggle JSON in) and, with --control-token, wants
`Authorization: Bearer <token>`. The base URL of issuers and emailed links is the configured
public URL, else the request's host only when it is allowed, never an arbitrary Host header.
"""
from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from flask import current_app, request

from ..core.tenant.errors import ControlError

LOOPBACK_NAMES = frozenset(("localhost", "localhost.localdomain"))
ALLOWED_HOSTS_KEY = "MOCKIDP_ALLOWED_HOSTS"
CONTROL_TOKEN_KEY = "MOCKIDP_CONTROL_TOKEN"
CONTROL_PREFIX = "/_mock/"


def hostname_of(authority: str) -> str | None:
    """The host name of `host[:port]` (or of a URL), lower-case; None if it does not parse."""
    try:
        parts = urlsplit(authority if "//" in authority else f"//{authority}")
        return parts.hostname
    except ValueError:
        return None


def is_allowed_host(hostname: str | None) -> bool:
    if not hostname:
        return False
    if hostname in LOOPBACK_NAMES or hostname.endswith(".localhost"):
        return True
    try:
        if ipaddress.ip_address(hostname).is_loopback:
            return True
    except ValueError:
        pass
    return hostname in current_app.config.get(ALLOWED_HOSTS_KEY, frozenset())


def request_host_allowed() -> bool:
    return is_allowed_host(hostname_of(request.host))


def guard_control_plane() -> None:
    """before_request: /_mock only for allowed hosts, same-site origins and the control token."""
    if not request.path.startswith(CONTROL_PREFIX):
        return
    if not request_host_allowed():
        raise ControlError(403, f"Host {request.host!r} may not use the control plane: use localhost, "
                                "the --public-url host, or name it with --allowed-host.", "forbidden_host")
    origin = request.headers.get("Origin")
    if origin is not None and not is_allowed_host(hostname_of(origin)):
        raise ControlError(403, f"Cross-site requests to the control plane are refused (Origin {origin}).",
                           "forbidden_origin")
    token = current_app.config.get(CONTROL_TOKEN_KEY)
    if token and not _presents(token):
        raise ControlError(401, "The control plane needs the control token: send "
                                "'Authorization: Bearer <token>' (see --control-token).", "unauthorized")


def _presents(token: str) -> bool:
    scheme, _, sent = (request.headers.get("Authorization") or "").partition(" ")
    sent = sent.strip() if scheme.lower() == "bearer" else request.args.get("control_token", "")
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), token.encode("utf-8"))


def require_json_content_type() -> None:
    """A control-plane body must say it is JSON (a browser's cross-site form post cannot)."""
    if request.mimetype != "application/json":
        raise ControlError(415, "Send control-plane bodies as JSON with Content-Type: application/json.",
                           "unsupported_media_type")
