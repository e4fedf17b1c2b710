"""Running the Actions bound to a trigger: the `event` Auth0 builds, what the Actions' `api` calls
do afterwards, and the executions a test can read back (/_mock/actions/executions).

- post-login runs after the password was checked and the login counted (so `event.stats` already
  includes this login, as in Auth0), and before a session or tokens exist. Actions run in binding
  order; each sees the metadata set by the ones before it. The first `api.access.deny()` or
  uncaught error ends the flow after that Action; metadata changes are saved either way (Auth0:
  deny "will NOT cancel ... metadata changes").
- post-change-password runs after a password was changed on the reset page, asynchronously like
  Auth0's ("non-blocking"): the change never waits for it or fails because of it. Tests wait for
  it with POST /_mock/actions/wait instead of sleeping.

Node runs outside the tenant lock: an Action may call mockidp back (the Management API).
"""
from __future__ import annotations

import copy
import hashlib
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..applications import connections
from ..authorization import roles
from ..directory.users import update_user
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..tenant.clock import iso, monotonic
from ..tenant.errors import Auth0Error
from . import bindings

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor
    from pathlib import Path

    from ..tenant.tenant import Tenant
    from .runtime import ActionRun

MAX_EXECUTIONS = 200  # kept for /_mock/actions/executions, oldest dropped first
TRIGGER_TIME_LIMIT_S = 20.0  # Auth0: every execution of a trigger, all its Actions, within 20 s
# Claims Auth0 restricts (its "Create Custom Claims" page; fact sheet §11) and the OIDC standard
# claims it does not let Actions change: ignored when set, as there. Claims mockidp computes for
# a token also win over an Action's (core/user_tokens.py).
RESERVED_CLAIMS = {"acr", "act", "active", "amr", "at_hash", "ath", "attest", "aud", "auth_time",
                   "authorization_details", "azp", "c_hash", "client_id", "cnf", "cty", "dpop_jkt",
                   "exp", "gty", "htm", "htu", "iat", "internalService", "iss", "jku", "jti", "jwe",
                   "jwk", "kid", "may_act", "mfa", "nbf", "nonce", "org_id", "org_name", "permissions",
                   "roles", "s_hash", "scope", "sid", "sub", "tenant", "token_introspection", "typ",
                   "vc", "vp", "x5c", "x5t", "x5t#S256", "x5u",
                   "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
                   "profile", "picture", "website", "email", "email_verified", "gender", "birthdate",
                   "zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at"}
# What event.user leaves out of the stored profile: login statistics live in event.stats.
NOT_IN_EVENT_USER = {"logins_count", "last_login", "last_ip", "blocked"}


class PostLoginOutcome(NamedTuple):
    profile: dict                  # the user after the Actions' metadata changes
    denied: str | None             # why the login is refused (deny reason or error message)
    id_token_claims: dict
    access_token_claims: dict


class LoginContext(NamedTuple):
    """What post-login's event describes besides the user: who asked, how and from where."""

    client: dict
    connection: dict | None
    request: RequestInfo
    protocol: str                  # e.g. "oidc-basic-profile", "oauth2-password"
    query: dict                    # the /authorize parameters (browser flows)
    transaction: dict              # redirect_uri, requested_scopes, state, ...
    session_id: str | None = None
    body: Mapping[str, Any] = MappingProxyType({})  # a grant's parameters, secrets left out
    method: str = "POST"           # of the request the login completes on (GET /authorize for SSO)
    authenticated_at: int | None = None  # when the password was checked (the session's, for SSO)
    organization: dict | None = None     # the organization the login is for
    role_ids: tuple | None = None        # its member roles, which replace the user's tenant roles


def post_login(tenant: "Tenant", profile: dict, context: LoginContext) -> PostLoginOutcome:
    """Run the bound post-login Actions; a denied login is logged `f` here, for every flow."""
    bound = bindings.bound_actions(tenant, "post-login")
    if not bound:
        return PostLoginOutcome(profile, None, {}, {})
    generation, deadline = tenant.generation, monotonic() + TRIGGER_TIME_LIMIT_S
    changes = _MetadataChanges()
    id_claims: dict = {}
    access_claims: dict = {}
    denied = None
    for action in bound:
        event = _post_login_event(tenant, changes.apply(profile), context, action)
        run = _execute(tenant, action, "onExecutePostLogin", "post-login", event, generation, deadline)
        if run.error is not None:  # a failed Action's calls are discarded; the login is denied
            denied = run.error.get("message") or "Action failed"
            break
        denied = _apply_post_login_calls(run.commands, changes, id_claims, access_claims)
        if denied is not None:
            break  # the Action finished; no later Action runs
    if changes:
        try:
            profile = _save_metadata(tenant, profile, changes, generation)
        except Auth0Error as error:  # e.g. a metadata key Auth0 refuses, or the user was deleted
            denied = denied if denied is not None else str(error.body.get("message") or error.body)
    outcome = PostLoginOutcome(profile, denied, id_claims, access_claims)
    if denied is not None:
        _log_denied(tenant, outcome, context)
    return outcome


def _apply_post_login_calls(commands: list[dict], changes: "_MetadataChanges", id_claims: dict,
                            access_claims: dict) -> str | None:
    """Apply one Action's api calls in order; the reason it denied the login, if it did."""
    denied = None
    for command in commands:
        op = command.get("op")
        if op == "access.deny" and denied is None:
            denied = str(command.get("reason") or "")
        elif op in ("user.setAppMetadata", "user.setUserMetadata"):
            changes.record(op, command.get("key"), command.get("value"))
        elif op == "idToken.setCustomClaim":
            _set_claim(id_claims, command)
        elif op == "accessToken.setCustomClaim":
            _set_claim(access_claims, command)
        elif op == "redirect.sendUserTo" and denied is None:
            denied = "mockidp does not emulate api.redirect.sendUserTo yet"
    return denied


def _log_denied(tenant: "Tenant", outcome: PostLoginOutcome, context: LoginContext) -> None:
    """A login an Action refused: `f`, with the reason as description."""
    reason = outcome.denied or ""
    logs.record(tenant, "f", reason, request=context.request, client=context.client,
                connection=context.connection, user=outcome.profile,
                details={"error": {"message": reason, "oauthError": "access_denied"},
                         "stats": {"loginsCount": outcome.profile.get("logins_count", 0)}})


def password_changed(tenant: "Tenant", user: dict, request: RequestInfo) -> None:
    """Queue the post-change-password Actions (a copy of the user as it is now)."""
    bound = bindings.bound_actions(tenant, "post-change-password")
    if bound:
        generation, user = tenant.generation, copy.deepcopy(user)
        tenant.actions.queue.submit(lambda: _run_post_change_password(tenant, bound, user, request, generation))


PASSWORD_EVENT_USER_KEYS = ("user_id", "email", "email_verified", "username", "phone_number",
                            "phone_verified", "last_password_reset")


def _run_post_change_password(tenant: "Tenant", bound: list, user: dict, request: RequestInfo,
                              generation: int) -> None:
    deadline = monotonic() + TRIGGER_TIME_LIMIT_S
    for action in bound:
        if tenant.generation != generation:
            return  # reset since it was queued: it belongs to a test that is over
        event = {"user": {key: user[key] for key in PASSWORD_EVENT_USER_KEYS if key in user},
                 "connection": _connection_view(connections.connection_of(tenant, user)),
                 "request": {**_request_view(request), "method": "POST"},
                 "secrets": dict(action.secrets), "tenant": {"id": _tenant_id(tenant)},
                 "transaction": {}}
        run = _execute(tenant, action, "onExecutePostChangePassword", "post-change-password", event,
                       generation, deadline)
        if run.error is not None and tenant.generation == generation:  # "Failed Post Change Password Hook"
            logs.record(tenant, "fcph", run.error.get("message") or "", request=request, user=user,
                        details={"error": run.error, "action_name": action.name})


# --- executions ---------------------------------------------------------------------------------

def _execute(tenant: "Tenant", action: bindings.BoundAction, handler: str, trigger: str,
             event: dict, generation: int, deadline: float) -> "ActionRun":
    """Run one Action (no lock held) and record the execution, unless a reset came meanwhile."""
    from . import runtime as action_runtime  # subprocess and friends: loaded when an Action first runs

    started = iso(tenant.clock.now())
    settings = action_runtime.default_settings(tenant.actions.ca_file)  # env read per run: tests set it
    settings = settings._replace(timeout_s=max(0.001, deadline - monotonic()))
    run = action_runtime.run_action(action.code, handler, trigger, event,
                                    dependencies=list(action.dependencies), settings=settings)
    with tenant.lock:
        if tenant.generation != generation:
            return run
        execution = {"id": _execution_id(tenant), "trigger_id": trigger, "action_id": action.action_id,
                     "action_name": action.name, "version_id": action.version_id,
                     "status": "failed" if run.error else "final", "started_at": started,
                     "commands": run.commands, "logs": run.logs, "error": run.error}
        tenant.actions.executions.append(execution)
        del tenant.actions.executions[:-MAX_EXECUTIONS]
        if run.error is not None:
            logs.record(tenant, "actions_execution_failed", "Execution of an Action failed",
                        details={"trigger_id": trigger, "execution_id": execution["id"],
                                 "action_id": action.action_id, "action_name": action.name,
                                 "version_id": action.version_id, "error_class": run.error_class,
                                 "action_error": run.error})
    return run


def _execution_id(tenant: "Tenant") -> str:
    """A UUID from the seed and a counter, not from the tenant RNG: asynchronous executions end
    at moments no test controls, and must not shift the ids of users created meanwhile."""
    tenant.actions.execution_count += 1
    digest = hashlib.sha256(f"{tenant.config.seed}:execution:{tenant.actions.execution_count}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


class ActionRuns:
    """The part of a tenant that actions/ owns (`tenant.actions`): the CA file Actions trust to
    call mockidp over HTTPS (MockIdP sets it), the queue of asynchronous triggers, and the recent
    executions. A reset cancels queued runs and forgets executions; closing stops the worker."""

    def __init__(self, tenant: "Tenant"):
        self.ca_file: "Path | None" = None
        self.executions: list[dict] = []
        self.execution_count = 0  # numbers execution ids; reset with them
        self._queue: "ActionQueue | None" = None
        self._lock = threading.Lock()
        tenant.on_reset(self._forget)
        tenant.on_close(self._shutdown)
        tenant.on_snapshot(lambda: (list(self.executions), self.execution_count), self._restore)

    @property
    def queue(self) -> "ActionQueue":
        with self._lock:
            if self._queue is None:
                self._queue = ActionQueue()
        return self._queue

    def _forget(self) -> None:
        self.executions.clear()
        self.execution_count = 0
        if self._queue is not None:
            self._queue.cancel_pending()

    def _restore(self, captured: tuple[list[dict], int]) -> None:
        self._forget()  # runs queued before the restore are cancelled, as on reset
        executions, self.execution_count = captured
        self.executions = list(executions)

    def _shutdown(self) -> None:
        if self._queue is not None:
            self._queue.shutdown()


class ActionQueue:
    """One worker thread per tenant for asynchronous triggers, and a way to wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future] = set()

    def submit(self, job) -> None:
        from concurrent.futures import ThreadPoolExecutor  # only once an Action is queued

        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mockidp-actions")
            future = self._executor.submit(job)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def cancel_pending(self) -> None:
        """Drop what has not started (a reset); a running job sees the new generation and stops."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.cancel()

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def wait(self, timeout_s: float) -> bool:
        """True once nothing is queued or running; False if `timeout_s` passed first."""
        from concurrent.futures import wait

        with self._lock:
            pending = set(self._pending)
        _, not_done = wait(pending, timeout=timeout_s)
        return not not_done


# --- the event -------------------------------------------------------------------------------------

def _post_login_event(tenant: "Tenant", profile: dict, context: LoginContext,
                      action: bindings.BoundAction) -> dict:
    user = {key: value for key, value in copy.deepcopy(profile).items() if key not in NOT_IN_EVENT_USER}
    user.setdefault("app_metadata", {})   # "never undefined in Actions"
    user.setdefault("user_metadata", {})
    client = context.client
    event = {"user": user, "stats": {"logins_count": int(profile.get("logins_count") or 0)},
             "client": {"client_id": client.get("client_id"), "name": client.get("name", ""),
                        "metadata": dict(client.get("client_metadata") or {})},
             "connection": _connection_view(context.connection),
             "request": {**_request_view(context.request), "method": context.method,
                         "query": dict(context.query), "body": dict(context.body)},
             "transaction": {"protocol": context.protocol, **context.transaction},
             "authentication": {"methods": [{"name": "pwd", "timestamp": _authenticated_at(tenant, context)}]},
             "authorization": {"roles": roles.role_names(tenant, profile["user_id"], context.role_ids)},
             "secrets": dict(action.secrets),
             "tenant": {"id": _tenant_id(tenant)}}
    if context.session_id:
        event["session"] = {"id": context.session_id}
    if context.organization is not None:
        organization = context.organization
        event["organization"] = {"id": organization["id"], "name": organization["name"],
                                 "display_name": organization.get("display_name", organization["name"]),
                                 "metadata": dict(organization.get("metadata") or {})}
    return event


def _authenticated_at(tenant: "Tenant", context: LoginContext) -> str:
    if context.authenticated_at is None:
        return iso(tenant.clock.now())
    return iso(datetime.fromtimestamp(context.authenticated_at, timezone.utc))


def _request_view(request: RequestInfo) -> dict:
    view = {"ip": request.ip, "geoip": {}}
    if request.hostname:
        view["hostname"] = request.hostname
    if request.user_agent:
        view["user_agent"] = request.user_agent
    return view


def _connection_view(connection: dict | None) -> dict:
    connection = connection or {}
    return {"id": connection.get("id"), "name": connection.get("name"),
            "strategy": connection.get("strategy", "auth0"), "metadata": dict(connection.get("metadata") or {})}


def _tenant_id(tenant: "Tenant") -> str:
    return "mockidp"  # Auth0 gives the tenant's name; a mock tenant has none of its own


def _set_claim(claims: dict, command: dict) -> None:
    key = command.get("key")
    if isinstance(key, str) and key and key not in RESERVED_CLAIMS:
        claims[key] = command.get("value")


# --- metadata ----------------------------------------------------------------------------------------

class _MetadataChanges:
    """setAppMetadata / setUserMetadata calls, batched into one update at the end (Auth0 does the
    same), and shown to the Actions that run after the one that made them."""

    FIELDS = {"user.setAppMetadata": "app_metadata", "user.setUserMetadata": "user_metadata"}

    def __init__(self) -> None:
        self._changes: dict[str, dict] = {"app_metadata": {}, "user_metadata": {}}

    def __bool__(self) -> bool:
        return any(self._changes.values())

    def record(self, op: str, key: Any, value: Any) -> None:
        if isinstance(key, str) and key:
            self._changes[self.FIELDS[op]][key] = value

    def apply(self, profile: dict) -> dict:
        updated = dict(profile)
        for field, changes in self._changes.items():
            if changes:
                merged = {**(profile.get(field) or {}), **changes}
                updated[field] = {key: value for key, value in merged.items() if value is not None}
        return updated

    def as_body(self) -> dict:
        return {field: dict(changes) for field, changes in self._changes.items() if changes}


def _save_metadata(tenant: "Tenant", profile: dict, changes: _MetadataChanges, generation: int) -> dict:
    """One update with every change (users.update_user checks keys as PATCH /users does)."""
    with tenant.lock:
        if tenant.generation != generation:
            return profile  # reset while Node ran: that user's tenant is gone
        return update_user(tenant, profile["user_id"], changes.as_body())
