"""GET/POST /userinfo: the user's claims for an access token meant for /userinfo, per the token's
scopes. The token is checked (signature, expiry on the tenant clock, audience); a refused token
gets 401 `Unauthorized` with a Bearer challenge naming the problem (Auth0's exact body is
unrecorded)."""
from __future__ import annotations

from flask import Blueprint, Response, request

from ...core.login import user_tokens
from ..http import json_response, tenant
from .cors import add_cors_headers

userinfo_endpoint = Blueprint("userinfo", __name__)
userinfo_endpoint.after_request(add_cors_headers)


def _unauthorized(description: str) -> Response:
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    return Response("Unauthorized", 401, headers={"WWW-Authenticate": challenge},
                    content_type="text/plain; charset=utf-8")


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("access_token") or None  # RFC 6750 form-encoded body parameter
    return None


@userinfo_endpoint.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    token = _bearer_token()
    if token is None:
        return Response("Unauthorized", 401, headers={"WWW-Authenticate": 'Bearer realm="userinfo"'},
                        content_type="text/plain; charset=utf-8")
    current = tenant()
    try:
        claims = user_tokens.verify_userinfo_token(current, token)
    except user_tokens.InvalidAccessToken as problem:
        return _unauthorized(str(problem))
    with current.lock:
        record = current.directory.users.get(claims["sub"])
    if record is None:
        return _unauthorized("The user of the access token does not exist")
    scopes = str(claims.get("scope", "")).split()
    return json_response(user_tokens.userinfo_claims(record.profile, scopes),
                         headers={"Cache-Control": "no-cache"})
