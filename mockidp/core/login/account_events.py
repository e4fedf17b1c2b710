"""Tenant log events for the account flows that live in the email pipeline (core/dbconnections.py,
core/tickets.py, core/emails.py, core/mail.py): signups (`ss`/`fs`), password-reset requests
(`scpr`/`fcpr`), password changes through a reset link (`scp`/`fcp`), used verification links
(`sv`) and emails that failed (`fv` for verification emails, `fn` for the others).

The web layer calls these wrappers instead of the bare functions, so the pipeline itself stays
free of logging. Details follow Auth0's log schema (passwords shown as "*****").
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..actions import triggers as action_triggers
from ..applications.connections import connection_of
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..tenant.errors import DbConnectionError
from . import dbconnections

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

USER_DOES_NOT_EXIST = "User does not exist."


def _client_and_connection(tenant: "Tenant", params: dict) -> tuple[dict | None, dict | None]:
    with tenant.lock:
        client_id = params.get("client_id")
        client = tenant.directory.clients.get(client_id) if isinstance(client_id, str) else None
        name = params.get("connection")
        connection = tenant.directory.connection_by_name(name) if isinstance(name, str) else None
    return client, connection


def _shown_body(params: dict, tenant: "Tenant") -> dict:
    body = {key: value for key, value in params.items() if key != "password"}
    if "password" in params:
        body["password"] = "*****"
    body["tenant"] = tenant.tenant_settings.get("friendly_name") or "mockidp"
    return body


def signup(tenant: "Tenant", params: dict, base_url: str, request: RequestInfo) -> dict:
    """/dbconnections/signup (and the hosted signup page), logged `ss` or `fs`."""
    client, connection = _client_and_connection(tenant, params)
    try:
        created = dbconnections.signup(tenant, params, base_url, request)
    except DbConnectionError as error:
        description = (error.log_description or error.body.get("message")
                       or error.body.get("description"))
        logs.record(tenant, "fs", description if isinstance(description, str) else "Invalid sign up",
                    request=request, client=client, client_id=params.get("client_id")
                    if isinstance(params.get("client_id"), str) else None, connection=connection,
                    user_name=params.get("email") if isinstance(params.get("email"), str) else None,
                    details={"body": _shown_body(params, tenant)})
        raise
    with tenant.lock:
        record = tenant.directory.users.get(f"auth0|{created['_id']}")
    logs.record(tenant, "ss", "", request=request, client=client, connection=connection,
                user=record.profile if record else None, details={"body": _shown_body(params, tenant)})
    return created


def request_password_reset(tenant: "Tenant", params: dict, base_url: str, request: RequestInfo) -> None:
    """/dbconnections/change_password (and the forgot-password page): `scpr` when an email went
    to an existing user, `fcpr` ("User does not exist.") otherwise."""
    dbconnections.request_password_reset(tenant, params, base_url)
    client, connection = _client_and_connection(tenant, params)
    with tenant.lock:
        email = str(params.get("email", "")).lower()
        user_id = tenant.directory.users_by_connection_email.get(((connection or {}).get("name"), email))
        record = tenant.directory.users.get(user_id) if user_id else None
    details = {"body": _shown_body(params, tenant)}
    if record is None:
        logs.record(tenant, "fcpr", USER_DOES_NOT_EXIST, request=request, client=client, connection=connection,
                    user_name=email, details=details)
    else:
        logs.record(tenant, "scpr", "", request=request, client=client, connection=connection,
                    user=record.profile, details=details)


def password_changed(tenant: "Tenant", user: dict, request: RequestInfo) -> None:
    """A password set on the reset-password page: `scp`, then the post-change-password Actions
    (queued: they never hold up or undo the change)."""
    logs.record(tenant, "scp", "", request=request, connection=connection_of(tenant, user), user=user,
                details={"email": user.get("email", ""), "title": "Password Change"})
    action_triggers.password_changed(tenant, user, request)


def password_change_failed(tenant: "Tenant", ticket: dict, request: RequestInfo, description: str) -> None:
    """A password refused on the reset-password page: `fcp`."""
    with tenant.lock:
        record = tenant.directory.users.get(ticket.get("user_id"))
    user = record.profile if record else {"user_id": ticket.get("user_id"), "email": ticket.get("email")}
    logs.record(tenant, "fcp", description, request=request, connection=connection_of(tenant, user),
                user=user, details={"email": user.get("email", ""), "title": "Password Change"})


def email_verified(tenant: "Tenant", user: dict, request: RequestInfo) -> None:
    """A verification link was used: `sv`."""
    logs.record(tenant, "sv", "", request=request, connection=connection_of(tenant, user), user=user,
                details={"email": user.get("email", ""), "title": "Email Verification"})

