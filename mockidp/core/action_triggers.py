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
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from . import actions, ids, logs
from .clock import iso
from .logs import RequestInfo

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from .action_runtime import ActionRun
    from .tenant import Tenant

MAX_EXECUTIONS = 200  # kept for /_mock/actions/executions, oldest dropped first
# Claims Auth0 refuses to let an Action set (fact sheet §11): silently ignored there, and here.
RESERVED_CLAIMS = {"acr", "amr", "aud", "auth_time", "azp", "cnf", "exp", "gty", "iat", "iss",
                   "jti", "nbf", "nonce", "org_id", "org_name", "permissions", "scope", "sid",
                   "sub", "tenant"}
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


def post_login(tenant: "Tenant", profile: dict, context: LoginContext) -> PostLoginOutcome:
    bound = actions.bound_actions(tenant, "post-login")
    if not bound:
        return PostLoginOutcome(profile, None, {}, {})
    changes = _MetadataChanges()
    id_claims: dict = {}
    access_claims: dict = {}
    denied = None
    for action in bound:
        event = _post_login_event(tenant, changes.apply(profile), context, action)
        run = _execute(tenant, action, "onExecutePostLogin", "post-login", event)
        for command in run.commands:
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
        if run.error is not None and denied is None:
            denied = run.error.get("message") or "Action failed"
        if denied is not None:
            break
    if changes:
        profile = _save_metadata(tenant, profile, changes)
    return PostLoginOutcome(profile, denied, id_claims, access_claims)


def log_denied(tenant: "Tenant", outcome: PostLoginOutcome, context: LoginContext) -> None:
    """A login an Action refused: `f`, with the reason as description."""
    reason = outcome.denied or ""
    logs.record(tenant, "f", reason, request=context.request, client=context.client,
                connection=context.connection, user=outcome.profile,
                details={"error": {"message": reason, "oauthError": "access_denied"},
                         "stats": {"loginsCount": outcome.profile.get("logins_count", 0)}})


def password_changed(tenant: "Tenant", user: dict, request: RequestInfo) -> None:
    """Queue the post-change-password Actions (a copy of the user as it is now)."""
    bound = actions.bound_actions(tenant, "post-change-password")
    if bound:
        tenant.action_queue.submit(lambda: _run_post_change_password(tenant, bound, copy.deepcopy(user), request))


def _run_post_change_password(tenant: "Tenant", bound: list, user: dict, request: RequestInfo) -> None:
    for action in bound:
        event = {"user": {key: user[key] for key in ("user_id", "email", "email_verified", "username",
                                                     "phone_number", "phone_verified") if key in user},
                 "connection": _connection_view(tenant, user), "request": _request_view(request),
                 "secrets": dict(action.secrets), "tenant": {"id": _tenant_id(tenant)},
                 "transaction": {}}
        run = _execute(tenant, action, "onExecutePostChangePassword", "post-change-password", event)
        if run.error is not None:  # Auth0's "Failed Post Change Password Hook"
            logs.record(tenant, "fcph", run.error.get("message") or "", request=request, user=user,
                        details={"error": run.error, "action_name": action.name})


# --- executions ---------------------------------------------------------------------------------

def _execute(tenant: "Tenant", action: actions.BoundAction, handler: str, trigger: str,
             event: dict) -> "ActionRun":
    from . import action_runtime  # subprocess and friends: loaded when an Action first runs

    started = iso(tenant.clock.now())
    settings = action_runtime.default_settings(tenant.action_ca_file)  # env read per run: tests set it
    run = action_runtime.run_action(action.code, handler, trigger, event,
                                    dependencies=list(action.dependencies), settings=settings)
    with tenant.lock:
        execution = {"id": ids.uuid4(tenant.rng), "trigger_id": trigger, "action_id": action.action_id,
                     "action_name": action.name, "version_id": action.version_id,
                     "status": "failed" if run.error else "final", "started_at": started,
                     "commands": run.commands, "logs": run.logs, "error": run.error}
        tenant.action_executions.append(execution)
        del tenant.action_executions[:-MAX_EXECUTIONS]
    if run.error is not None:
        logs.record(tenant, "actions_execution_failed", "Execution of an Action failed",
                    details={"trigger_id": trigger, "execution_id": execution["id"], "action_id": action.action_id,
                             "action_name": action.name, "version_id": action.version_id,
                             "error_class": "action_error", "action_error": run.error})
    return run


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

    def wait(self, timeout_s: float) -> bool:
        """True once nothing is queued or running; False if `timeout_s` passed first."""
        from concurrent.futures import wait

        with self._lock:
            pending = set(self._pending)
        _, not_done = wait(pending, timeout=timeout_s)
        return not not_done


# --- the event -------------------------------------------------------------------------------------

def _post_login_event(tenant: "Tenant", profile: dict, context: LoginContext,
                      action: actions.BoundAction) -> dict:
    user = {key: value for key, value in copy.deepcopy(profile).items() if key not in NOT_IN_EVENT_USER}
    user.setdefault("app_metadata", {})   # "never undefined in Actions"
    user.setdefault("user_metadata", {})
    client = context.client
    event = {"user": user, "stats": {"logins_count": int(profile.get("logins_count") or 0)},
             "client": {"client_id": client.get("client_id"), "name": client.get("name", ""),
                        "metadata": dict(client.get("client_metadata") or {})},
             "connection": _connection_record_view(context.connection),
             "request": {**_request_view(context.request), "query": dict(context.query),
                         "body": dict(context.body)},
             "transaction": {"protocol": context.protocol, **context.transaction},
             "authentication": {"methods": [{"name": "pwd", "timestamp": iso(tenant.clock.now())}]},
             "authorization": {"roles": []}, "secrets": dict(action.secrets),
             "tenant": {"id": _tenant_id(tenant)}}
    if context.session_id:
        event["session"] = {"id": context.session_id}
    return event


def _request_view(request: RequestInfo) -> dict:
    view = {"ip": request.ip, "method": "POST", "geoip": {}}
    if request.hostname:
        view["hostname"] = request.hostname
    if request.user_agent:
        view["user_agent"] = request.user_agent
    return view


def _connection_record_view(connection: dict | None) -> dict:
    connection = connection or {}
    return {"id": connection.get("id"), "name": connection.get("name"),
            "strategy": connection.get("strategy", "auth0"), "metadata": dict(connection.get("metadata") or {})}


def _connection_view(tenant: "Tenant", user: dict) -> dict:
    identities = user.get("identities") or [{}]
    with tenant.lock:
        connection = tenant.directory.connection_by_name(identities[0].get("connection", ""))
    return _connection_record_view(connection)


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


def _save_metadata(tenant: "Tenant", profile: dict, changes: _MetadataChanges) -> dict:
    from .users import update_user  # users imports the login modules that import this one

    return update_user(tenant, profile["user_id"], changes.as_body())
