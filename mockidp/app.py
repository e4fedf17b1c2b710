"""create_app(): the Flask application for a server's tenants, with Auth0-shaped errors everywhere."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .api.authentication.authorize import authorize_endpoint
from .api.authentication.callback import callback_endpoint
from .api.authentication.dbconnections import dbconnections
from .api.authentication.discovery import discovery
from .api.authentication.logout import logout_endpoints
from .api.authentication.mfa import mfa_endpoints
from .api.authentication.oauth import oauth
from .api.authentication.passwordless import passwordless_endpoints
from .api.authentication.userinfo import userinfo_endpoint
from .api.control import control
from .api.factors.control import factors_control
from .api.factors.pages import mfa_pages
from .api.harness.console import console
from .api.harness.journal import JournalMiddleware, journal
from .api.harness.snapshots import snapshots
from .api.harness.tenants import TenantFactory, TenantRouter, tenants_control
from .api.hosted import hosted, http_error_page
from .api.http import MAX_BODY_BYTES, error_response, json_response
from .api.login import login_pages
from .api.management.registry import load_resources
from .api.outbox import outbox
from .api.posture import ALLOWED_HOSTS_KEY, CONTROL_TOKEN_KEY, guard_control_plane, hostname_of
from .api.routing import LazyBuilderRule
from .api.traffic import TrafficMiddleware, traffic_control
from .api.upstream import upstream
from .core.tenant.errors import Auth0Error, ControlError, DbConnectionError, ManagementError, OAuthError
from .core.tenant.registry import TenantRegistry

if TYPE_CHECKING:
    from .core.tenant.tenant import Tenant

log = logging.getLogger("mockidp")


def create_app(tenant: Tenant, ca_file: Path | None = None, tenant_factory: TenantFactory | None = None, *,
               allowed_hosts: tuple[str, ...] = (), control_token: str | None = None) -> Flask:
    """The app serving `tenant` at the root and named tenants under /t/{name}/ (built by
    `tenant_factory` on POST /_mock/tenants)."""
    app = Flask("mockidp")
    app.url_rule_class = LazyBuilderRule  # before any blueprint adds its rules
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["MOCKIDP_CA_FILE"] = ca_file
    app.json.sort_keys = False
    app.config["MOCKIDP_TENANT_FACTORY"] = tenant_factory
    app.extensions["mockidp.tenant"] = tenant
    public_host = hostname_of(tenant.public_url) if tenant.public_url else None
    app.config[ALLOWED_HOSTS_KEY] = frozenset(
        name.lower() for name in (*allowed_hosts, public_host) if name)
    app.config[CONTROL_TOKEN_KEY] = control_token or None
    app.before_request(guard_control_plane)
    app.extensions["mockidp.tenants"] = tenants = TenantRegistry(tenant)
    for blueprint in (load_resources(), oauth, discovery, control, dbconnections, hosted, outbox,
                      authorize_endpoint, login_pages, userinfo_endpoint, logout_endpoints, callback_endpoint,
                      upstream, passwordless_endpoints, mfa_endpoints, mfa_pages, factors_control):
        app.register_blueprint(blueprint)
    app.register_error_handler(Auth0Error, error_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.register_blueprint(traffic_control)  # /_mock/faults, /_mock/barriers
    app.register_blueprint(tenants_control)  # /_mock/tenants
    app.register_blueprint(snapshots)  # /_mock/snapshots, /_mock/state
    app.register_blueprint(journal)  # /_mock/journal, /_mock/journal.har
    app.register_blueprint(console)  # /_mock/: the dev console, and its Management API token
    # Latency, faults and barriers act before Flask routes a request (see api/traffic.py), on
    # the tenant the request addressed (api/harness/tenants.py).
    # The journal records what the tenant's traffic controls did too (latency, faults).
    app.extensions["mockidp.journal"] = recorder = JournalMiddleware(TrafficMiddleware(app.wsgi_app))
    app.wsgi_app = TenantRouter(recorder, tenants)
    return app


def _http_error(error: HTTPException) -> Response:
    """Routing and protocol errors (404, 405, 413, ...) in the envelope of the API addressed."""
    status = error.code or 500
    path = request.path
    if path.startswith("/_mock"):
        return error_response(ControlError(status, error.description or error.name, "http_error"))
    if path.startswith("/u/"):  # hosted pages answer with a page, never JSON
        return http_error_page(error)
    if path.startswith("/dbconnections/") and status != 404:
        return error_response(DbConnectionError(status, "invalid_request", error.description or error.name,
                                                name=error.name.replace(" ", "") + "Error"))
    if status == 413:
        message = f"Payload content length greater than maximum allowed: {MAX_BODY_BYTES}"  # hapi's
        if path.startswith("/oauth"):  # token endpoint clients only parse OAuth error bodies
            return error_response(OAuthError(413, "invalid_request", message))
        return error_response(ManagementError(413, message))
    if path.startswith("/oauth") and status != 404:
        response = error_response(OAuthError(status, "invalid_request", error.description or error.name))
    else:
        response = error_response(ManagementError(status, "Not Found" if status == 404 else error.name))
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected_error(error: Exception) -> Response:
    log.exception("mockidp bug: unhandled error on %s %s", request.method, request.path)
    return json_response({"statusCode": 500, "error": "Internal Server Error",
                          "message": "An internal server error occurred"}, 500)
