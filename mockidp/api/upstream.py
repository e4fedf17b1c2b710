"""The built-in mock upstream identity provider (/_mock/upstream/{connection}/authorize): the page
a social or enterprise login goes to instead of Google, GitHub or a company's IdP. The tester
picks an identity the provider knows, types a new one, or declines; the page answers by sending
the browser to mockidp's /login/callback as the provider would.

Also the control plane's list of known upstream identities (/_mock/upstream-identities), which
lets tests register identities and skip the page with `login_hint`. Core: core/upstream/. And
the other things the outside world publishes that mockidp would otherwise fetch: Client ID
Metadata Documents (/_mock/client-metadata-documents; core/applications/cimd.py).
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, request

from ..core.applications import cimd
from ..core.tenant.errors import ControlError
from ..core.upstream import flow, known
from .authentication.authorize import NO_STORE, error_page
from .control import json_body
from .hosted import WEB_TEMPLATES, page
from .http import json_response, tenant
from .posture import sign_in_page

upstream = Blueprint("upstream", __name__, url_prefix="/_mock", template_folder=str(WEB_TEMPLATES))
TYPED_FIELDS = ("user_id", "email", "name", "given_name", "family_name", "picture")


@upstream.route("/upstream/<connection>/authorize", methods=["GET", "POST"])
@sign_in_page
def provider_page(connection: str):
    current = tenant()
    state = request.values.get("state")
    pending = flow.pending_login(current, connection, state)
    if pending is None:
        return error_page("invalid_request", flow.LOST_SESSION)
    if request.method == "GET":
        return _page(pending)
    choice = request.form.get("action", "")
    if choice == "deny":
        return _back(flow.deny(pending.state))
    if choice == "pick":
        identity = known.find(current, connection, request.form.get("identity", ""))
        if identity is None:
            return _page(pending, error="Pick one of the identities listed.")
    elif choice == "new":
        try:
            identity = known.register(current, _typed_identity(connection))
        except ControlError as problem:
            return _page(pending, error=problem.message)
    else:
        return _page(pending, error="Pick an identity, type a new one, or deny.")
    return _back(flow.answer(current, pending.state, identity))


def _typed_identity(connection: str) -> dict:
    identity: dict = {"connection": connection, "email_verified": request.form.get("email_verified") == "true"}
    for field in TYPED_FIELDS:
        value = request.form.get(field, "").strip()
        if value:
            identity[field] = value
    if "email" not in identity and "user_id" not in identity:
        raise ControlError(400, "Type at least an email or a user id.")
    return identity


def _page(pending: flow.PendingLogin, *, error: str | None = None) -> Response:
    name = pending.connection["name"]
    return page("mock_upstream.html", 400 if error else 200, page_title=f"Mock provider: {name}",
                connection=name, strategy=pending.connection["strategy"], application=pending.client_name,
                identities=known.listed(tenant(), name), state=pending.state, error=error,
                login_hint=pending.login_hint)


def _back(params: list[tuple[str, str]]) -> Response:
    """The provider's answer: the browser goes to mockidp's callback."""
    response = redirect(flow.callback_url(params), 302)
    response.headers.update(NO_STORE)
    return response


# --- the control plane's list of known identities ----------------------------------------

@upstream.post("/upstream-identities")
def register_identity():
    return json_response(known.register(tenant(), json_body()), 201)


@upstream.get("/upstream-identities")
def list_identities():
    connection = request.args.get("connection") or None
    if connection is not None:
        known.upstream_connection(tenant(), connection)
    return json_response(known.listed(tenant(), connection))


@upstream.put("/upstream/<connection>/next")
def set_next_identity(connection: str):
    return json_response(known.set_next(tenant(), connection, json_body()))


@upstream.delete("/upstream/<connection>/next")
def clear_next_identity(connection: str):
    known.clear_next(tenant(), connection)
    return json_response({"connection": connection, "next": None})


# --- documents the outside world publishes: Client ID Metadata Documents (core/applications/cimd.py)

@upstream.post("/client-metadata-documents")
def host_client_metadata_document():
    return json_response(cimd.host_document(tenant(), json_body()), 201)


@upstream.get("/client-metadata-documents")
def list_client_metadata_documents():
    return json_response(cimd.hosted_documents(tenant()))
