"""Trigger bindings of Auth0 Actions (/api/v2/actions/triggers/*): which deployed Actions run on
a trigger, in order (`bound_actions`), and the Management API's rules for changing them.
Records are never mutated once stored (see storage.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..tenant import ids
from ..tenant.errors import bad_request
from .modules import runnable_modules
from .storage import (
    DEFAULT_PER_PAGE,
    TRIGGERS,
    check_paging,
    check_trigger_id,
    deployed_version,
    find_by_name,
    public_view,
    stored_secrets,
    timestamp,
)

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant


class BoundAction(NamedTuple):
    """One deployed action bound to a trigger: what the runtime executes."""

    action_id: str
    name: str
    version_id: str
    code: str
    dependencies: list[str]    # npm package names
    secrets: dict[str, str]    # name -> value (the binding's secrets win over the version's)
    runtime: str
    # The module versions the deployed version names, for require('actions:<name>'):
    # ({name, code, dependencies, secrets}, ...) from modules.runnable_modules.
    modules: tuple = ()


# --- triggers and bindings ---------------------------------------------------------------------

def _binding_action_view(action: dict) -> dict:
    """The action inside a binding, as recorded from Auth0 minus `current_version` (which the
    spec's Action schema does not allow)."""
    return {key: value for key, value in public_view(action).items()
            if key in ("id", "name", "supported_triggers", "created_at", "updated_at",
                       "all_changes_deployed", "deployed_version")}


def binding_view(tenant: "Tenant", binding: dict) -> dict:
    return {"id": binding["id"], "trigger_id": binding["trigger_id"], "display_name": binding["display_name"],
            "action": _binding_action_view(tenant.directory.actions[binding["action_id"]]),
            "created_at": binding["created_at"], "updated_at": binding["updated_at"]}


def get_triggers() -> dict:
    """GET /actions/triggers."""
    triggers = []
    for trigger_id, version, status, runtimes, default_runtime, compatible in TRIGGERS:
        entry: dict[str, Any] = {"id": trigger_id, "version": version, "status": status,
                                 "runtimes": list(runtimes)}
        if default_runtime is not None:
            entry["default_runtime"] = default_runtime
        entry["compatible_triggers"] = [{"id": other, "version": v} for other, v in compatible]
        triggers.append(entry)
    return {"triggers": triggers}


def get_bindings(tenant: "Tenant", trigger_id: str, page: int | None = 0,
                 per_page: int | None = DEFAULT_PER_PAGE) -> dict:
    """GET /actions/triggers/{triggerId}/bindings, in execution order."""
    check_trigger_id(trigger_id)
    page, per_page = check_paging(page, per_page, "The maximum number of results to be returned in a single "
                                                  "request. 20 by default")
    with tenant.lock:
        bindings = tenant.directory.action_bindings.get(trigger_id, ())
        window = bindings[page * per_page:(page + 1) * per_page]
        views = [binding_view(tenant, binding) for binding in window]
    return {"bindings": views, "total": len(bindings), "page": page, "per_page": per_page}


def update_bindings(tenant: "Tenant", trigger_id: str, bindings: list[dict] | None) -> dict:
    """PATCH /actions/triggers/{triggerId}/bindings: the list sent replaces the trigger's bindings
    (its order is the execution order). A ref names an action by `action_id` or `action_name`
    (the default type), or keeps an existing binding by `binding_id`. An action already bound
    keeps its binding id and created_at. Nothing changes when any entry is refused; a body
    without `bindings` changes nothing."""
    check_trigger_id(trigger_id)
    with tenant.lock:
        current = tenant.directory.action_bindings.get(trigger_id, ())
        if bindings is None:
            return {"bindings": [binding_view(tenant, binding) for binding in current]}
        now = timestamp(tenant.clock.now())
        by_id = {binding["id"]: binding for binding in current}
        by_action = {binding["action_id"]: binding for binding in current}
        replaced: list[dict] = []
        for index, entry in enumerate(bindings):
            previous, action = _resolve_ref(tenant, trigger_id, entry.get("ref") or {}, index, by_id)
            if previous is None:
                previous = by_action.get(action["id"])
            if any(binding["action_id"] == action["id"] for binding in replaced):
                raise bad_request(f"The action '{action['name']}' is bound more than once (bindings[{index}]).",
                                  None)
            display_name = entry.get("display_name") or (previous or {}).get("display_name") or action["name"]
            record = {"id": previous["id"] if previous else ids.uuid4(tenant.rng), "trigger_id": trigger_id,
                      "action_id": action["id"], "display_name": display_name,
                      "created_at": previous["created_at"] if previous else now,
                      "updated_at": previous["updated_at"] if previous else now}
            secrets = entry.get("secrets")
            record["secrets"] = (stored_secrets(secrets, (previous or {}).get("secrets", []), now,
                                          f"bindings[{index}].secrets")
                                 if secrets is not None else list((previous or {}).get("secrets", [])))
            if previous is not None and (previous["display_name"] != display_name or
                                         previous.get("secrets", []) != record["secrets"]):
                record["updated_at"] = now
            replaced.append(record)
        if replaced:
            tenant.directory.action_bindings[trigger_id] = tuple(replaced)
        else:
            tenant.directory.action_bindings.pop(trigger_id, None)
        return {"bindings": [binding_view(tenant, binding) for binding in replaced]}


def _resolve_ref(tenant: "Tenant", trigger_id: str, ref: dict, index: int,
                 by_id: dict[str, dict]) -> tuple[dict | None, dict]:
    """(the existing binding a binding_id ref keeps, or None; the action)."""
    kind = ref.get("type") or "action_name"
    value = ref.get("value")
    if not isinstance(value, str) or not value:
        raise bad_request(f"Payload validation error: 'Missing required property: value' on property "
                          f"bindings[{index}].ref.")
    if kind == "binding_id":
        previous = by_id.get(value)
        if previous is None:
            raise bad_request(f"The binding '{value}' does not exist on the {trigger_id} trigger "
                              f"(bindings[{index}]).", None)
        return previous, tenant.directory.actions[previous["action_id"]]
    if kind == "action_id":
        action = tenant.directory.actions.get(value)
    else:
        action = find_by_name(tenant, value)
    if action is None:
        raise bad_request(f"That action does not exist: {kind} '{value}' (bindings[{index}]).", None)
    if not any(trigger["id"] == trigger_id for trigger in action["supported_triggers"]):
        raise bad_request(f"The action '{action['name']}' does not support the {trigger_id} trigger "
                          f"(bindings[{index}]).", None)
    if action["deployed_version_id"] is None:
        raise bad_request("Trying to create a binding for an action that has not been deployed yet.", None)
    return None, action


# --- what runs --------------------------------------------------------------------------------------

def bound_actions(tenant: "Tenant", trigger_id: str) -> list[BoundAction]:
    """The deployed version of each action bound to `trigger_id`, in execution order."""
    with tenant.lock:
        bindings = tenant.directory.action_bindings.get(trigger_id, ())
        bound = []
        for binding in bindings:
            action = tenant.directory.actions.get(binding["action_id"])
            version = deployed_version(action) if action is not None else None
            if version is None:
                continue
            secrets = {secret["name"]: secret["value"] for secret in version["secrets"]}
            secrets.update({secret["name"]: secret["value"] for secret in binding.get("secrets", [])})
            bound.append(BoundAction(action_id=action["id"], name=action["name"], version_id=version["id"],
                                     code=version["code"],
                                     dependencies=[d["name"] for d in version["dependencies"] if d.get("name")],
                                     secrets=secrets, runtime=version["runtime"],
                                     modules=runnable_modules(tenant, version.get("modules") or [])))
        return bound
