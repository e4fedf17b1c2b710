"""GET /authorize, and how an authorization response reaches the application in each response
mode: query and fragment (302), form_post (an auto-submitting form) and web_message (a page that
posts {type: "authorization_response", response} to the opener or parent window, which is how
auth0-spa-js does silent authentication in a hidden iframe)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, Response, redirect, render_template, request

from ...core.applications import strategies
from ...core.email.tickets import with_query
from ...core.login import authorize as authorization
from ...core.login import login_flow, sessions
from ...core.login.authorize import AuthorizationResponse, AuthorizePageError, AuthorizeRedirectError
from ...core.upstream import flow as upstream_flow
from ..caller import request_info
from ..hosted import page
from ..http import issuer, local_path, public_base_url, tenant

WEB_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "web" / "templates"
authorize_endpoint = Blueprint("authorize", __name__, template_folder=str(WEB_TEMPLATES))
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
ERROR_TITLE = "Oops!, something went wrong"


@authorize_endpoint.get("/authorize")
def authorize():
    current = tenant()
    params = {key: value for key, value in request.args.items()}  # first value of each
    try:
        auth_request = authorization.parse(current, params)
    except AuthorizePageError as problem:
        return error_page(problem.error, problem.description)
    except AuthorizeRedirectError as problem:
        return send(problem.response)
    if auth_request.organization_prompt and auth_request.silent:  # a page must ask: not silently
        return send(authorization.error_response(auth_request, "interaction_required",
                                                 "parameter organization is required for this client"))
    if auth_request.organization_prompt == "pre":  # the organization first, then the login page
        return redirect(f"/u/organization?state={authorization.begin_transaction(current, auth_request)}", 302)
    session = sessions.active(current, request.cookies.get(sessions.COOKIE_NAME))
    # "post": the organization is picked after the login page (an SSO session does not skip it).
    if not auth_request.organization_prompt and not authorization.needs_login(auth_request, session,
                                                                              current.clock.timestamp()):
        return send(login_flow.with_session(current, auth_request, session, issuer=issuer(), info=request_info()))
    if auth_request.silent:
        return send(login_flow.silent_login_failed(current, auth_request, request_info()))
    transaction = authorization.begin_transaction(current, auth_request)
    connection = authorization.login_connection(current, auth_request) if auth_request.connection else None
    if strategies.is_upstream(connection):  # social/enterprise: no login page, off to the provider
        return redirect(upstream_flow.start(current, transaction, auth_request, connection), 302)
    screen = "signup" if auth_request.screen_hint == "signup" else "login"
    return redirect(local_path(f"/u/{screen}?state={transaction}"), 302)


# --- sending the response ---------------------------------------------------------------------

def send(response: AuthorizationResponse) -> Response:
    params = list(response.params)
    if response.response_mode == "form_post":
        html = render_template("authorize_form_post.html", action=response.redirect_uri, params=params)
        return Response(html, 200, headers=NO_STORE, content_type="text/html; charset=utf-8")
    if response.response_mode == "web_message":
        html = render_template("authorize_web_message.html", target_origin=_origin(response.redirect_uri),
                               response=dict(params))
        return Response(html, 200, headers=NO_STORE, content_type="text/html; charset=utf-8")
    if response.response_mode == authorization.HOSTED_PAGE:
        target = with_query(local_path(response.redirect_uri), params)
    elif response.response_mode == "fragment":
        target = response.redirect_uri.split("#", 1)[0] + "#" + urlencode(params, quote_via=quote)
    else:
        target = with_query(response.redirect_uri.split("#", 1)[0], params)
    redirected = redirect(target, 302)
    redirected.headers.update(NO_STORE)
    return redirected


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def error_page(error: str, description: str, status: int = 400) -> Response:
    """Auth0's tenant error page: a title, the description and the technical details."""
    return page("ul_error.html", status, page_title="Error", title=ERROR_TITLE, error=error,
                description=description)


# --- the session cookie ------------------------------------------------------------------------

def set_session_cookie(response: Response, session_id: str) -> Response:
    """`auth0=<session id>`, HttpOnly. Over https SameSite=None; Secure (as Auth0, so silent auth
    works from an application on another site); over plain http SameSite=Lax, since Chromium
    refuses SameSite=None without Secure (silent auth then needs the app on the same site, e.g.
    localhost on another port)."""
    secure = public_base_url().startswith("https://")
    response.set_cookie(sessions.COOKIE_NAME, session_id, httponly=True, path=_cookie_path(), secure=secure,
                        samesite="None" if secure else "Lax")
    return response


def clear_session_cookie(response: Response) -> Response:
    secure = public_base_url().startswith("https://")
    response.delete_cookie(sessions.COOKIE_NAME, path=_cookie_path(), secure=secure, httponly=True,
                           samesite="None" if secure else "Lax")
    return response


def _cookie_path() -> str:
    """Each tenant's session cookie is scoped to its own prefix, so tenants on one host never
    overwrite each other's sessions."""
    return local_path("/")
