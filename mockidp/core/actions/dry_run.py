"""Auth0's Actions test endpoint and execution records for the Management API:
POST /api/v2/actions/actions/{id}/test runs an Action's current (draft) code once with the event
the caller gives, for the Action's first supported trigger, and answers what it did; nothing is
applied to the tenant and no execution is recorded (a test is not a real execution). Triggers with
no flow in mockidp yet (send-phone-message, ...) can be run this way.

GET /api/v2/actions/executions/{id}: one run of a trigger (all its Actions, as recorded by
executions.py), in Auth0's shape.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..tenant.errors import not_found
from .modules import runnable_modules
from .runtime import default_settings, run_action
from .storage import action_not_found

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

HANDLERS = {"post-login": "onExecutePostLogin", "credentials-exchange": "onExecuteCredentialsExchange",
            "pre-user-registration": "onExecutePreUserRegistration",
            "post-user-registration": "onExecutePostUserRegistration",
            "post-change-password": "onExecutePostChangePassword",
            "send-phone-message": "onExecuteSendPhoneMessage"}


def test_action(tenant: "Tenant", action_id: str, payload: dict) -> dict:
    """{"payload": {"logs", "commands", "error"}}: the event's `secrets` default to the Action's."""
    with tenant.lock:
        action = tenant.directory.actions.get(action_id)
        if action is None:
            raise action_not_found()
        trigger = action["supported_triggers"][0]["id"]
        code = action["code"]
        dependencies = [d["name"] for d in action.get("dependencies") or [] if d.get("name")]
        secrets = {secret["name"]: secret["value"] for secret in action.get("secrets") or []}
        modules = runnable_modules(tenant, action.get("modules") or [])  # the draft's module versions
        settings = default_settings(tenant.actions.ca_file)
        now = tenant.clock.timestamp()
    event = copy.deepcopy(payload)
    event["secrets"] = {**secrets, **(event.get("secrets") if isinstance(event.get("secrets"), dict) else {})}
    handler = HANDLERS.get(trigger, "onExecute" + "".join(part.title() for part in trigger.split("-")))
    run = run_action(code, handler, trigger, event, dependencies=dependencies, settings=settings,  # Node: no lock
                     context={"now": now, "issuer": "", "state": None}, modules=modules)
    return {"payload": {"logs": "\n".join(run.logs), "commands": run.commands, "error": run.error}}


def get_execution(tenant: "Tenant", execution_id: str) -> dict:
    """One run of a trigger: its Actions in the order they ran (`trigger_run_id` in
    /_mock/actions/executions). The id of a single Action's execution reads back that Action alone."""
    with tenant.lock:
        runs = [e for e in tenant.actions.executions if e.get("trigger_run_id") == execution_id]
        runs = runs or [e for e in tenant.actions.executions if e["id"] == execution_id]
    if not runs:
        raise not_found("That execution does not exist.")  # wording ours (UNCONFIRMED)
    # Auth0's statuses have no "failed": a failed Action is a final execution whose result has an error.
    return {"id": execution_id, "trigger_id": runs[0]["trigger_id"], "status": "final",
            "results": [_result(run) for run in runs], "created_at": runs[0]["started_at"],
            "updated_at": runs[-1]["ended_at"]}


def _result(execution: dict) -> dict:
    result = {"action_name": execution["action_name"], "started_at": execution["started_at"],
              "ended_at": execution["ended_at"]}
    if execution["error"] is not None:
        result["error"] = {"id": execution["error"].get("name") or "Error",
                           "msg": execution["error"].get("message") or ""}
    return result
