"""Who may drive /_mock, and which host emailed links may name.

A web page open in the developer's browser must not drive the control plane or read the outbox's
reset links: /_mock answers only requests whose Host is allowed (loopback names, the --public-url
host, names given with --allowed-host), refuses a cross-site Origin, takes JSON bodies only as
application/json (a text/plain form post cannot smuggle JSON in) and, with --control-token, wants
`Authorization: Bearer <token>`. The base URL of issuers and emailed links is the configured
public URL, else the request's host only when it is allowed, never an arbitrary Host header.

Pages under /_mock that a person opens (the outbox, the console) are marked `@control_page`. With a
control token, such a page is opened once as `<page>?control_token=<token>`: the answer redirects
to the same page without the token and sets an HttpOnly, SameSite=Strict cookie holding it, so the
page's own same-origin fetch() calls carry it and no script ever reads it. The cookie counts only on
same-origin requests (Sec-Fetch-Site, Origin), which a cross-site page cannot make, and belongs to
the host name it was set for, which a DNS-rebinding page does not share (and the Host allow-list
refuses anyway). docs/control-plane.md says more.
"""
from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlencode, urlsplit

from flask import Response, current_app, redirect, render_template, request

from ..core.tenant.errors import ControlError

LOOPBACK_NAMES = frozenset(("localhost", "localhost.localdomain"))
ALLOWED_HOSTS_KEY = "MOCKIDP_ALLOWED_HOSTS"
CONTROL_TOKEN_KEY = "MOCKIDP_CONTROL_TOKEN"
CONTROL_PREFIX = "/_mock/"
TOKEN_PARAMETER = "control_token"
COOKIE_PREFIX = "mockidp_control_"  # + the listening port: cookies ignore ports, two servers must not mix
SAME_ORIGIN_FETCH_SITES = ("same-origin", "none")  # "none": the person opened the URL themselves
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def control_page(view):
    """Marks a /_mock view as a page for a person: it may be opened once with ?control_token=."""
    view.mockidp_control_page = True
    return view


def sign_in_page(view):
    """Marks a /_mock view as a step of a browser sign-in (the mock upstream provider's page): part
    of the login flow every user of the mock goes through, not the control plane, so it needs no
    control token (the Host and Origin checks still apply)."""
    view.mockidp_sign_in_page = True
    return view


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


def guard_control_plane() -> Response | None:
    """before_request: /_mock only for allowed hosts, same-site origins and the control token."""
    if not request.path.startswith(CONTROL_PREFIX):
        return None
    if not request_host_allowed():
        raise ControlError(403, f"Host {request.host!r} may not use the control plane: use localhost, "
                                "the --public-url host, or name it with --allowed-host.", "forbidden_host")
    origin = request.headers.get("Origin")
    if origin is not None and not is_allowed_host(hostname_of(origin)):
        raise ControlError(403, f"Cross-site requests to the control plane are refused (Origin {origin}).",
                           "forbidden_origin")
    token = current_app.config.get(CONTROL_TOKEN_KEY)
    if not token or _view_marked("mockidp_sign_in_page") or _bearer_presents(token):
        return None
    in_query = _matches(request.args.get(TOKEN_PARAMETER), token)
    is_page = _view_marked("mockidp_control_page")
    if in_query and is_page and request.method == "GET":
        return _keep_token_in_cookie(token)
    if in_query or _cookie_presents(token):
        return None
    if is_page:
        return _token_form()
    raise ControlError(401, "The control plane needs the control token: send "
                            "'Authorization: Bearer <token>' (see --control-token), or open a page "
                            "once with ?control_token=<token>.", "unauthorized")


def _view_marked(mark: str) -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, mark, False)


def _bearer_presents(token: str) -> bool:
    scheme, _, sent = (request.headers.get("Authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and _matches(sent.strip(), token)


def _matches(sent: str | None, token: str) -> bool:
    if sent is None:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), token.encode("utf-8"))


def _cookie_name() -> str:
    return COOKIE_PREFIX + str(request.environ.get("SERVER_PORT", ""))


def _cookie_presents(token: str) -> bool:
    """The page's cookie, on a request that a page of this very origin made."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in SAME_ORIGIN_FETCH_SITES:
        return False
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        return False
    return _matches(request.cookies.get(_cookie_name()), token)


def _keep_token_in_cookie(token: str) -> Response:
    """The same page without the token in its address (history, bookmarks, Referer), and the
    cookie that stands for it."""
    rest = [(name, value) for name, value in request.args.items(multi=True) if name != TOKEN_PARAMETER]
    target = request.script_root + request.path + (f"?{urlencode(rest)}" if rest else "")
    response = redirect(target, 303)
    response.headers.update(PAGE_HEADERS)
    response.set_cookie(_cookie_name(), token, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/")
    return response


def _token_form() -> Response:
    """A page opened without the token: a form asking for it (sent back as ?control_token=)."""
    fields = [(name, value) for name, value in request.args.items(multi=True) if name != TOKEN_PARAMETER]
    html = render_template("control_token.html", fields=fields)
    return Response(html, 401, headers=PAGE_HEADERS, content_type="text/html; charset=utf-8")


def require_json_content_type() -> None:
    """A control-plane body must say it is JSON (a browser's cross-site form post cannot)."""
    if request.mimetype != "application/json":
        raise ControlError(415, "Send control-plane bodies as JSON with Content-Type: application/json.",
                           "unsupported_media_type")
