"""The dev console at /_mock/ (and /t/{name}/_mock/, and /_mock/ on a tenant's own listener): one HTML page, its CSS and per-panel
scripts inlined from web/templates/console/ (no build step, nothing fetched from a CDN, works
offline), driving the control plane's JSON APIs from the browser; and /_mock/console/token, the
Management API token its users panel and logs panel send.

Why a token minted here rather than one from /oauth/token: a tenant's fixtures need not hold an
M2M client with a grant on the Management API, and the console must work on every tenant. The
token adds no power: whoever may call /_mock may already replace the whole state (PUT
/_mock/state). It is guarded like the rest of /_mock (api/posture.py: Host allow-list, same-site
Origin, the control token), so a cross-site page gets none, and it carries only the scopes the
console uses.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from ... import __version__
from ...core.tokens import jwt as tokens
from ..control import json_body
from ..http import json_response, public_base_url, tenant
from ..hosted import PAGE_HEADERS, WEB_TEMPLATES
from ..posture import control_page
from .tenants import LISTENER_NAME_KEY

CONSOLE_CLIENT_ID = "mockidp-console"
CONSOLE_SCOPES = ("read:users", "update:users", "delete:users", "read:logs")
TOKEN_LIFETIME_S = 3600  # on the tenant clock: advancing it past an hour expires it, and the console asks again
# Inlined in this order: the shared helpers, then one script per panel.
SCRIPTS = ("core", "lists", "tenants", "users", "outbox", "journal", "logs", "clock", "traffic", "snapshots")

console = Blueprint("console", __name__, url_prefix="/_mock", template_folder=str(WEB_TEMPLATES))


@console.get("/")
@control_page
def console_page():
    html = render_template("console/console.html", version=__version__, scripts=SCRIPTS,
                           tenant_name=tenant().tenant_settings.get("friendly_name") or "mockidp",
                           listener_tenant=request.environ.get(LISTENER_NAME_KEY), server_console=_server_console())
    return Response(html, 200, headers=PAGE_HEADERS, content_type="text/html; charset=utf-8")


def _server_console() -> str | None:
    """On a tenant's own listener, where the server's console is (tenants are managed there)."""
    if request.environ.get(LISTENER_NAME_KEY) is None:
        return None
    main = current_app.config.get("MOCKIDP_LISTENERS", dict)()
    root = current_app.config.get("MOCKIDP_PUBLIC_URL") or main.get(request.scheme) or main.get("http")
    return f"{root.rstrip('/')}/_mock/" if root else None


@console.post("/console/token")
def console_token():
    """A Management API token for this tenant, with the console's scopes, on the tenant clock."""
    json_body()  # an empty body is fine; a body must be JSON like every other /_mock body
    current = tenant()
    base = public_base_url()
    claims = tokens.access_token_claims(
        issuer=base + "/", subject=f"{CONSOLE_CLIENT_ID}@clients", audience=base + "/api/v2/",
        client_id=CONSOLE_CLIENT_ID, scope=" ".join(CONSOLE_SCOPES), issued_at=current.clock.timestamp(),
        lifetime=TOKEN_LIFETIME_S, grant_type="client-credentials")
    return json_response({"access_token": tokens.sign(current.keys.signing_key, claims),
                          "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_S,
                          "scope": " ".join(CONSOLE_SCOPES)})
