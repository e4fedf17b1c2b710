"""The registration triggers of database connections.

- pre-user-registration runs before a signup creates its user (POST /dbconnections/signup and the
  hosted signup page), never for users an administrator creates (the Management API), as Auth0.
  It blocks: Actions run in binding order; the first `api.access.deny(reason, userMessage)`,
  `api.validation.error(code, message)` or uncaught error refuses the signup and no later Action
  runs. `api.user.setUserMetadata/setAppMetadata` go into the user about to be created.
- post-user-registration runs after every database user creation Auth0 runs it for (signups and
  the Management API), asynchronously ("non-blocking"): the creation never waits for it, and its
  api (the cache only) changes nothing. Tests wait for it with POST /_mock/actions/wait.

Node runs outside the tenant lock: an Action may call mockidp back.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from ..applications import connections
from ..logs.events import RequestInfo
from ..tenant.clock import monotonic
from . import bindings, executions  # executions.TRIGGER_TIME_LIMIT_S read per run: tests shorten it
from .executions import connection_view, execute, request_view, tenant_id
from .metadata import MetadataChanges

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# The would-be user of pre-user-registration: what a signup can set (Auth0's event.user has no user_id).
PRE_REGISTRATION_USER_KEYS = ("email", "username", "phone_number", "name", "nickname", "given_name",
                              "family_name", "picture", "user_metadata", "app_metadata")


class Refusal(NamedTuple):
    """Why pre-user-registration refused a signup."""

    code: str           # "extensibility_error" (deny or a failed Action) or the validation error's code
    user_message: str   # what the application may show (Auth0's userMessage)
    reason: str         # what the tenant log says


class SignupOutcome(NamedTuple):
    refusal: Refusal | None
    metadata: dict      # the user's app_metadata / user_metadata after the Actions' changes


class Signup(NamedTuple):
    """What pre-user-registration's event describes: the request and where it signs up."""

    user: dict                       # the would-be user (email, username, user_metadata, ...)
    connection: dict
    client: dict | None
    request: RequestInfo
    body: Mapping                    # the signup's parameters, password left out


def pre_user_registration(tenant: "Tenant", signup: Signup) -> SignupOutcome:
    """Run the bound pre-user-registration Actions; a signup goes ahead only without a refusal."""
    bound = bindings.bound_actions(tenant, "pre-user-registration")
    if not bound:
        return SignupOutcome(None, {})
    changes, trigger_run = MetadataChanges(), executions.new_trigger_run(tenant)
    generation, deadline = tenant.generation, monotonic() + executions.TRIGGER_TIME_LIMIT_S
    for action in bound:
        event = _pre_registration_event(tenant, changes.apply(signup.user), signup, action)
        run = execute(tenant, action, "onExecutePreUserRegistration", "pre-user-registration", event,
                      generation, deadline, trigger_run=trigger_run)
        if run.error is not None:  # Auth0 refuses the signup; the failed Action's calls are discarded
            message = run.error.get("message") or "Action failed"
            return SignupOutcome(Refusal("extensibility_error", message, message), {})
        refusal = _apply_pre_registration_calls(run.commands, changes)
        if refusal is not None:
            return SignupOutcome(refusal, {})
    if not changes:
        return SignupOutcome(None, {})
    applied = changes.apply(signup.user)
    return SignupOutcome(None, {field: applied[field] for field in ("app_metadata", "user_metadata")
                                if field in applied})


def _apply_pre_registration_calls(commands: list[dict], changes: MetadataChanges) -> Refusal | None:
    for command in commands:
        op = command.get("op")
        if op == "access.deny":
            reason = _text(command.get("reason"))
            return Refusal("extensibility_error", _text(command.get("userMessage")) or reason, reason)
        if op == "validation.error":
            message = _text(command.get("message"))
            return Refusal(_text(command.get("code")) or "extensibility_error", message, message)
        if op in ("user.setAppMetadata", "user.setUserMetadata"):
            changes.record(op, command.get("key"), command.get("value"))
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _pre_registration_event(tenant: "Tenant", user: dict, signup: Signup, action: bindings.BoundAction) -> dict:
    event_user = {key: copy.deepcopy(user[key]) for key in PRE_REGISTRATION_USER_KEYS if key in user}
    event_user.setdefault("app_metadata", {})
    event_user.setdefault("user_metadata", {})
    event = {"user": event_user, "connection": connection_view(signup.connection),
             "request": {**request_view(signup.request), "method": "POST", "query": {},
                         "body": dict(signup.body)},
             "transaction": {}, "secrets": dict(action.secrets), "tenant": {"id": tenant_id(tenant)}}
    if signup.client is not None:
        client = signup.client
        event["client"] = {"client_id": client.get("client_id"), "name": client.get("name", ""),
                           "metadata": dict(client.get("client_metadata") or {})}
    return event


# --- post-user-registration ----------------------------------------------------------------------

def user_registered(tenant: "Tenant", user: dict, request: RequestInfo, body: Mapping | None = None) -> None:
    """Queue the post-user-registration Actions for a new database user (`user` as created).
    `body`: the request's parameters (event.request.body), the password left out by the caller."""
    bound = bindings.bound_actions(tenant, "post-user-registration")
    if bound:
        generation, user = tenant.generation, copy.deepcopy(user)
        request_body = dict(body or {})
        tenant.actions.queue.submit(
            lambda: _run_post_user_registration(tenant, bound, user, request, request_body, generation))


def _run_post_user_registration(tenant: "Tenant", bound: list, user: dict, request: RequestInfo,
                                body: dict, generation: int) -> None:
    deadline, trigger_run = monotonic() + executions.TRIGGER_TIME_LIMIT_S, executions.new_trigger_run(tenant)
    connection = connection_view(connections.connection_of(tenant, user))
    for action in bound:
        if tenant.generation != generation:
            return  # reset since it was queued: it belongs to a test that is over
        event_user = copy.deepcopy(user)
        event_user.setdefault("app_metadata", {})
        event_user.setdefault("user_metadata", {})
        event = {"user": event_user, "connection": connection,
                 "request": {**request_view(request), "method": "POST", "query": {}, "body": body},
                 "transaction": {}, "secrets": dict(action.secrets), "tenant": {"id": tenant_id(tenant)}}
        # A failure changes nothing for the user (Auth0: the trigger cannot block); the execution
        # and the actions_execution_failed log record it.
        execute(tenant, action, "onExecutePostUserRegistration", "post-user-registration", event,
                generation, deadline, trigger_run=trigger_run)
