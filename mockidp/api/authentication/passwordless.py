"""POST /passwordless/start and GET /passwordless/verify_redirect (the magic link): thin views
over core/factors/passwordless.py and core/login/login_flow.py."""
from __future__ import annotations

from flask import Blueprint, request

from ...core.factors import passwordless
from ...core.login import grants, login_flow, sessions
from ...core.login.authorize import AuthorizePageError, AuthorizeRedirectError
from ...core.tenant.errors import OAuthError
from ..caller import request_info
from ..http import issuer, json_response, public_base_url, read_body, tenant
from .authorize import error_page, send, set_session_cookie
from .cors import add_cors_headers
from .oauth import client_credentials

passwordless_endpoints = Blueprint("passwordless", __name__)
passwordless_endpoints.after_request(add_cors_headers)  # auth0.js starts passwordless from the browser


@passwordless_endpoints.post("/passwordless/start")
def start():
    body = read_body(OAuthError(400, "invalid_request", "Invalid JSON body"))
    if not isinstance(body, dict):
        raise OAuthError(400, "invalid_request", "The request body must be an object")
    current = tenant()
    client = grants.authenticate_client(current, client_credentials(body))
    return json_response(passwordless.start(current, client, body, base_url=public_base_url(),
                                            request=request_info()))


@passwordless_endpoints.get(passwordless.LINK_PATH)
def verify_redirect():
    current = tenant()
    params = {key: value for key, value in request.args.items()}
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    try:
        response, session = login_flow.magic_link(current, params, session, issuer=issuer(), info=request_info())
    except AuthorizePageError as problem:
        return error_page(problem.error, problem.description)
    except AuthorizeRedirectError as problem:
        return send(problem.response)
    if session is None:
        return send(response)
    return set_session_cookie(send(response), session["id"])
