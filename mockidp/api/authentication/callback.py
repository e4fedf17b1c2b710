"""GET /login/callback: where an upstream provider (here, mockidp's mock provider under
/_mock/upstream/) sends the browser back, with `code` and `state` or an OAuth error. Auth0's
callback URL for social and enterprise connections. Core: core/upstream/flow.py."""
from __future__ import annotations

from flask import Blueprint, request

from ...core.login import sessions
from ...core.upstream import flow
from ..caller import request_info
from ..http import issuer, tenant
from .authorize import error_page, send, set_session_cookie

callback_endpoint = Blueprint("login_callback", __name__)


@callback_endpoint.route(flow.CALLBACK_PATH, methods=["GET", "POST"])
def login_callback():
    current = tenant()
    params = {key: value for key, value in request.values.items()}  # form_post providers POST
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    try:
        response, session = flow.complete(current, params, session, issuer=issuer(), info=request_info())
    except flow.CallbackError as problem:
        return error_page(problem.error, problem.description)
    if session is None:  # the provider or a post-login Action said no: back to the app with the error
        return send(response)
    return set_session_cookie(send(response), session["id"])
