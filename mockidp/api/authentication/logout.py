"""Logout: GET /v2/logout (Auth0's own) and GET|POST /oidc/logout (RP-initiated logout).

Both end the session behind the `auth0` cookie, log `slo` and redirect only to an allowed logout
URL: the application's Allowed Logout URLs when it is named (client_id, or the id_token_hint's
audience), else the tenant's `allowed_logout_urls`. Anything else is an error page, and nothing
is ended.
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, request

from ...core.email.tickets import with_query
from ...core.login import sessions
from ...core.login.authorize import url_matches
from ...core.logs import events as logs
from ...core.tokens import jwt as tokens
from ..caller import request_info
from ..hosted import message_page, page
from ..http import tenant
from .authorize import clear_session_cookie, error_page

logout_endpoints = Blueprint("logout", __name__)
DASHBOARD = "https://manage.auth0.com/#"


@logout_endpoints.get("/v2/logout")
def v2_logout():
    current = tenant()
    client_id = request.args.get("client_id") or None
    return_to = request.args.get("returnTo") or None
    client = _client(client_id)
    if client_id and client is None:
        return error_page("invalid_request", f"Unknown client: {client_id}")
    allowed = _allowed_logout_urls(client)
    if return_to and not any(url_matches(url, return_to, ignore_query=True) for url in allowed):
        settings_page = f"{DASHBOARD}/applications/{client_id}/settings" if client else f"{DASHBOARD}/tenant/advanced"
        return error_page("invalid_request", f'The "returnTo" querystring parameter "{return_to}" is not defined '
                          f'as a valid URL in "Allowed Logout URLs". To add a new URL, please do it here: '
                          f"{settings_page}")
    if return_to is None and client is not None and allowed:
        return_to = allowed[0]  # Auth0 falls back to the application's first logout URL
    _end_session(current, client, protocol="v2", return_to=return_to, allowed=allowed)
    response = redirect(return_to, 302) if return_to else Response("OK", 200, content_type="text/plain; charset=utf-8")
    return clear_session_cookie(response)


@logout_endpoints.route("/oidc/logout", methods=["GET", "POST"])
def oidc_logout():
    current = tenant()
    params = {**request.args.to_dict(), **request.form.to_dict()}
    hint_claims = None
    if params.get("id_token_hint"):
        hint_claims = _id_token_hint(params["id_token_hint"])
        if hint_claims is None:
            return error_page("invalid_request", "The id_token_hint is not a valid ID token of this tenant")
    client_id = params.get("client_id") or (hint_claims or {}).get("aud")
    if hint_claims and params.get("client_id") and params["client_id"] != hint_claims.get("aud"):
        return error_page("invalid_request", "The client_id does not match the id_token_hint's audience")
    client = _client(client_id)
    if client_id and client is None:
        return error_page("invalid_request", f"Unknown client: {client_id}")
    target = params.get("post_logout_redirect_uri")
    allowed = _allowed_logout_urls(client)
    if target and not any(url_matches(url, target, ignore_query=True) for url in allowed):
        return error_page("invalid_request", f'The "post_logout_redirect_uri" parameter "{target}" is not '
                          'defined as a valid URL in "Allowed Logout URLs"')
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    if not _confirmed(params, hint_claims, session):
        return page("ul_logout_confirm.html", 200, page_title="Log out", fields=params)
    _end_session(current, client, protocol="oidc", return_to=target, allowed=allowed)
    if target:
        extra = [("state", params["state"])] if params.get("state") else []
        return clear_session_cookie(redirect(with_query(target, extra), 302))
    return clear_session_cookie(message_page("success", "Logged out", "You have been logged out.",
                                             page_title="Log out"))


def _confirmed(params: dict, hint_claims: dict | None, session: dict | None) -> bool:
    """Without an id_token_hint (or a logout_hint naming the current session) Auth0 asks the user
    to confirm; the confirmation page posts back with `confirm=yes`."""
    if hint_claims is not None or params.get("confirm") == "yes":
        return True
    return bool(session and params.get("logout_hint") == session["id"])


def _id_token_hint(token: str) -> dict | None:
    """The hint's claims if this tenant signed it; an expired hint is fine (OIDC allows it)."""
    try:
        claims = tokens.verified_by_keyring(tenant().keys, token)
    except tokens.TokenError:
        return None
    return claims if isinstance(claims.get("aud"), str) else None


def _client(client_id: str | None) -> dict | None:
    if not client_id:
        return None
    current = tenant()
    with current.lock:
        return current.directory.clients.get(client_id)


def _allowed_logout_urls(client: dict | None) -> list[str]:
    if client is not None:
        return list(client.get("allowed_logout_urls") or [])
    return list(tenant().tenant_settings.get("allowed_logout_urls") or [])


def _end_session(current, client: dict | None, *, protocol: str, return_to: str | None,
                 allowed: list[str]) -> None:
    ended = sessions.end(current, request.cookies.get(sessions.COOKIE_NAME))
    details = {"return_to": return_to or "", "allowed_logout_url": allowed, "protocol": protocol}
    user = None
    if ended is not None:
        details["session_id"] = ended["id"]
        with current.lock:
            record = current.directory.users.get(ended["user_id"])
        user = record.profile if record else {"user_id": ended["user_id"]}
    logs.record(current, "slo", "", request=request_info(), client=client, user=user, details=details)
