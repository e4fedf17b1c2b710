"""The round trip of a social or enterprise login, the way Auth0 runs it with a real provider:

1. /authorize (with `connection=`, or a button on the login page) has a login transaction;
   `start` opens an upstream login for it and sends the browser to the mock provider's page
   (/_mock/upstream/{connection}/authorize?state=...), or, when `login_hint` names an identity the
   provider knows (or the control plane set the connection's next identity), straight back as if
   the provider had answered at once (headless tests).
2. The mock provider answers (`answer`: a single-use code for the chosen identity, or `deny`:
   `error=access_denied`) by sending the browser to mockidp's /login/callback.
3. `complete` checks the callback against the upstream login it belongs to (state and code, each
   usable once), finds or creates the user (profiles.py) and ends the login like any other
   (login_flow.after_login: post-login Actions, session, code or tokens for the application).

Upstream logins are kept in `tenant.directory.upstream_logins` (reset clears them), expire with
their login transaction, and state and code come from the tenant RNG.
"""
from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote

from ..login import authorize, login_flow, logins
from ..login.authorize import AuthorizationResponse, AuthorizeRequest
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..applications import strategies
from . import known, profiles

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

STATE_LENGTH = 32
CODE_LENGTH = 32
CALLBACK_PATH = "/login/callback"
DENIED = "User did not authorize the request"
# Auth0's page for a callback whose login it cannot find (replayed, tampered or expired).
LOST_SESSION = ("You may have pressed the back button, refreshed during login, opened too many login dialogs, "
                "or there is some issue with cookies, since we couldn't find your session. Try logging in "
                "again from the application and if the problem persists please contact the administrator.")


class CallbackError(Exception):
    """A callback that cannot go back to an application: shown on Auth0's error page."""

    def __init__(self, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


class PendingLogin(NamedTuple):
    """An upstream login waiting at the mock provider: what its page shows."""

    state: str
    connection: dict
    request: AuthorizeRequest
    client_name: str
    login_hint: str  # pre-fills the page's email


# --- 1. off to the provider ------------------------------------------------------------------

def start(tenant: "Tenant", transaction_id: str, request: AuthorizeRequest, connection: dict, *,
          typed_email: str | None = None) -> str:
    """Where the browser goes next: the mock provider's page, or the callback when login_hint
    picks a known identity. `typed_email`: what the user typed on the login page (home realm
    discovery), which the provider's page pre-fills as a real IdP would."""
    with tenant.lock:
        now = tenant.clock.timestamp()
        pending = tenant.directory.upstream_logins
        authorize.drop_stale(pending, now)
        state = tenant.rng.alnum(STATE_LENGTH)
        pending[state] = {"transaction": transaction_id, "connection": connection["name"],
                          "expires_ts": now + authorize.TRANSACTION_LIFETIME, "code": None,
                          "login_hint": typed_email or request.login_hint or ""}
    hinted = (known.find_by_hint(tenant, connection["name"], request.login_hint)
              or known.take_next(tenant, connection["name"]))
    if hinted is not None:
        return callback_url(answer(tenant, state, hinted))
    return f"/_mock/upstream/{quote(connection['name'], safe='')}/authorize?state={quote(state)}"


def callback_url(params: list[tuple[str, str]]) -> str:
    return CALLBACK_PATH + "?" + "&".join(f"{name}={quote(value, safe='')}" for name, value in params)


def pending_login(tenant: "Tenant", connection_name: str, state: str | None) -> PendingLogin | None:
    """The upstream login the provider's page is for, while it still waits for an answer."""
    with tenant.lock:
        record = tenant.directory.upstream_logins.get(state or "")
        if record is None or record["code"] is not None or record["connection"] != connection_name:
            return None
        if tenant.clock.timestamp() > record["expires_ts"]:
            return None
        connection = tenant.directory.connection_by_name(connection_name)
        request = authorize.find_transaction(tenant, record["transaction"])
        if connection is None or request is None:
            return None
        client = tenant.directory.clients.get(request.client_id) or {}
    return PendingLogin(state, connection, request, client.get("name", "the application"), record["login_hint"])


# --- 2. the provider answers -----------------------------------------------------------------

def answer(tenant: "Tenant", state: str, identity: dict) -> list[tuple[str, str]]:
    """The provider's success answer for `identity`: the callback's parameters."""
    with tenant.lock:
        record = tenant.directory.upstream_logins[state]
        code = tenant.rng.alnum(CODE_LENGTH)
        tenant.directory.upstream_logins[state] = {**record, "code": code, "identity": identity["user_id"]}
    return [("code", code), ("state", state)]


def deny(state: str) -> list[tuple[str, str]]:
    """The provider's answer when the person declines: OAuth's access_denied."""
    return [("error", "access_denied"), ("error_description", DENIED), ("state", state)]


# --- 3. back at mockidp's callback ----------------------------------------------------------

def complete(tenant: "Tenant", params: dict[str, str], current_session: dict | None, *, issuer: str,
             info: RequestInfo) -> tuple[AuthorizationResponse, dict | None]:
    """(the application's response, the new session or None); CallbackError for a callback
    that belongs to no login. The upstream login is used up either way."""
    with tenant.lock:
        record = tenant.directory.upstream_logins.pop(params.get("state") or "", None)
        request = authorize.find_transaction(tenant, record["transaction"]) if record else None
        if record is None or request is None or tenant.clock.timestamp() > record["expires_ts"]:
            raise CallbackError("invalid_request", LOST_SESSION)
        connection = tenant.directory.connection_by_name(record["connection"])
        client = tenant.directory.clients.get(request.client_id)
    if "error" in params:
        return _failed(tenant, record, request, client, connection, params, info), None
    if record["code"] is None or not hmac.compare_digest(record["code"], params.get("code") or ""):
        authorize.end_transaction(tenant, record["transaction"])
        raise CallbackError("invalid_request", LOST_SESSION)
    problem = _unusable(connection, request)
    if problem:
        authorize.end_transaction(tenant, record["transaction"])
        return authorize.error_response(request, "invalid_request", problem), None
    identity = known.find(tenant, connection["name"], record["identity"])
    if identity is None:  # removed while the browser was at the provider
        authorize.end_transaction(tenant, record["transaction"])
        raise CallbackError("invalid_request", LOST_SESSION)
    return _signed_in(tenant, record["transaction"], request, client, connection, identity, current_session,
                      issuer=issuer, info=info)


def _unusable(connection: dict | None, request: AuthorizeRequest) -> str | None:
    """Why the connection can no longer sign this client in (changed during the login)."""
    if connection is None or not strategies.is_upstream(connection):
        return "the connection was not found"
    if request.client_id not in (connection.get("enabled_clients") or []):
        return "the connection is not enabled"
    return None


def _failed(tenant: "Tenant", record: dict, request: AuthorizeRequest, client: dict | None,
            connection: dict | None, params: dict[str, str], info: RequestInfo) -> AuthorizationResponse:
    """The provider answered with an error: `f`, and the error goes back to the application."""
    error = params.get("error") or "access_denied"
    description = params.get("error_description") or DENIED
    authorize.end_transaction(tenant, record["transaction"])
    logs.record(tenant, "f", description, request=info, client=client, connection=connection,
                details={"error": {"message": description, "oauthError": error}})
    return authorize.error_response(request, "access_denied" if error == "access_denied" else error, description)


def _signed_in(tenant: "Tenant", transaction_id: str, request: AuthorizeRequest, client: dict | None,
               connection: dict, identity: dict, current_session: dict | None, *, issuer: str,
               info: RequestInfo) -> tuple[AuthorizationResponse, dict | None]:
    with tenant.lock:
        signed = profiles.sign_in(tenant, connection, identity, info)
    if signed.created:
        logs.record(tenant, "ss", "", request=info, client=client, connection=connection, user=signed.profile)
    if signed.profile.get("blocked"):  # counted, logged `f`, and back to the app (as database logins)
        logins.log_blocked(tenant, connection, client or {}, info, signed.profile)
        authorize.end_transaction(tenant, transaction_id)
        return authorize.error_response(request, "unauthorized", logins.USER_BLOCKED), None
    return login_flow.after_login(tenant, transaction_id, request, signed.profile, connection, current_session,
                                  issuer=issuer, info=info)
