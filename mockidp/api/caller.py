"""Who is calling: the request details Auth0 records in tenant logs and `last_ip`."""
from __future__ import annotations

from flask import request

from ..core.logs.events import RequestInfo
from .http import domain


def request_info(forwarded_for_trusted: bool = False) -> RequestInfo:
    """`forwarded_for_trusted`: the client is marked "trust token endpoint IP header", so the
    `auth0-forwarded-for` header names the end user's IP (server-side password grants)."""
    ip = request.remote_addr or ""
    forwarded = request.headers.get("auth0-forwarded-for", "").strip()
    if forwarded_for_trusted and forwarded:
        ip = forwarded
    return RequestInfo(ip=ip, user_agent=request.headers.get("User-Agent", ""), hostname=domain())
