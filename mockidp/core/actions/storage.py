"""Auth0 Actions: storage and the Management API's rules (/api/v2/actions/*), not execution.

An action record holds the editable draft (code, dependencies, runtime, secrets with their values)
and its immutable versions; deploying snapshots the draft as version N+1 and makes it the one that
runs. A trigger's bindings are an ordered tuple of binding records. `bound_actions` is what a flow
executes: the *deployed* version of each bound action, in binding order, so editing an action
changes nothing until it is deployed again (as Auth0 documents for PATCH).

Choices where Auth0's behaviour is unknown are listed in docs/behaviour.md ("Actions (storage)"):
- builds are instant: `status` is always "built" and deploy answers the new version at once;
- timestamps have nine fractional digits like Auth0's Actions service (the tenant clock gives
  microseconds, so the last three are zeros);
- a secret's value is never shown; a PATCH's `secrets` list is the new set of names, and a name
  sent without a value keeps its old value;
- action names are unique (409), since bindings and fixtures name actions.

Records are never mutated once stored (reset relies on shallow directory copies): every change
stores new dicts and tuples.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..tenant import ids
from ..tenant.clock import UTC
from ..tenant.errors import ManagementError, bad_request, conflict

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

DEFAULT_CODE = "module.exports = () => {}"  # the spec's default for `code`
DEFAULT_RUNTIME = "node22"
RUNTIMES = ("node18", "node22")
DEFAULT_PER_PAGE = 20

# GET /actions/triggers: (id, version, status, runtimes, default runtime, compatible triggers).
# The CURRENT versions come from a live tenant's answer (go-auth0 recordings) and the spec's
# ActionTriggerTypeEnum; runtimes are what tenants offer today (node22 the default).
_CURRENT = "CURRENT"
_DEPRECATED = "DEPRECATED"
TRIGGERS: tuple[tuple[str, str, str, tuple[str, ...], str | None, tuple[tuple[str, str], ...]], ...] = (
    ("post-login", "v1", _DEPRECATED, ("node12",), "node12", ()),
    ("post-login", "v2", _DEPRECATED, ("node12", "node16", "node18"), "node16", ()),
    ("post-login", "v3", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, (("post-login", "v2"),)),
    ("credentials-exchange", "v1", _DEPRECATED, ("node12",), "node12", ()),
    ("credentials-exchange", "v2", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("pre-user-registration", "v1", _DEPRECATED, ("node12",), "node12", ()),
    ("pre-user-registration", "v2", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("post-user-registration", "v1", _DEPRECATED, ("node12",), "node12", ()),
    ("post-user-registration", "v2", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("post-change-password", "v1", _DEPRECATED, ("node12",), "node12", ()),
    ("post-change-password", "v2", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("send-phone-message", "v1", _DEPRECATED, ("node12",), None, ()),
    ("send-phone-message", "v2", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("custom-phone-provider", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("custom-email-provider", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("password-reset-post-challenge", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("custom-token-exchange", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("event-stream", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("password-hash-migration", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("login-post-identifier", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
    ("signup-post-identifier", "v1", _CURRENT, RUNTIMES, DEFAULT_RUNTIME, ()),
)
TRIGGER_IDS: tuple[str, ...] = tuple(dict.fromkeys(trigger[0] for trigger in TRIGGERS))
CURRENT_VERSIONS: dict[str, str] = {t[0]: t[1] for t in TRIGGERS if t[2] == _CURRENT}  # never mutated


# --- errors ---------------------------------------------------------------------------------------

def action_not_found() -> ManagementError:
    return ManagementError(404, "That action does not exist.")  # recorded (go-auth0), no errorCode


def version_not_found() -> ManagementError:
    return ManagementError(404, "That action version does not exist.")


def duplicate_name(name: str) -> ManagementError:
    return conflict(f"An action with the name '{name}' already exists.")


def check_trigger_id(trigger_id: str) -> None:
    """A path's `triggerId`, checked against the spec's enum in Auth0's wording."""
    if trigger_id not in TRIGGER_IDS:
        raise ManagementError(400, f"Path validation error: 'No enum match for: \"{trigger_id}\"' on property "
                                   "triggerId (An actions extensibility point).", "invalid_uri")


def check_paging(page: Any, per_page: Any, description: str,
                 page_description: str = "Use this field to request a specific page of the list results"
                 ) -> tuple[int, int]:
    """`page`/`per_page` already typed by query validation; negatives are refused, the message
    quoting each parameter's description in the spec, as Auth0's validator does."""
    page = 0 if page is None else int(page)
    per_page = DEFAULT_PER_PAGE if per_page is None else int(per_page)
    for name, value, text in (("page", page, page_description), ("per_page", per_page, description)):
        if value < 0:
            raise bad_request(f"Query validation error: 'Value {value} is less than minimum 0' on property "
                              f"{name} ({text}).", "invalid_query_string")
    return page, per_page


# --- views ----------------------------------------------------------------------------------------

def timestamp(now: datetime) -> str:
    """Auth0's Actions format: ISO-8601 UTC with nine fractional digits and Z."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


def secrets_view(secrets: list[dict]) -> list[dict]:
    """Secrets as Auth0 shows them: names and dates, never values (Actions and modules alike)."""
    return [{"name": secret["name"], "updated_at": secret["updated_at"]} for secret in secrets]


def _base_view(action: dict) -> dict:
    """ActionBase: what a version says about its action."""
    return {"id": action["id"], "name": action["name"],
            "supported_triggers": copy.deepcopy(action["supported_triggers"]),
            "created_at": action["created_at"], "updated_at": action["updated_at"],
            "all_changes_deployed": action["all_changes_deployed"]}


def _version_view(action: dict, version: dict, *, with_action: bool = True) -> dict:
    view = {"id": version["id"], "action_id": action["id"], "code": version["code"],
            "dependencies": copy.deepcopy(version["dependencies"]),
            "deployed": version["id"] == action["deployed_version_id"], "number": version["number"],
            "secrets": secrets_view(version["secrets"]), "status": "built",
            "runtime": version["runtime"], "supported_triggers": copy.deepcopy(version["supported_triggers"]),
            "built_at": version["built_at"], "created_at": version["created_at"],
            "updated_at": version["updated_at"]}
    if "modules" in version:
        view["modules"] = copy.deepcopy(version["modules"])
    if with_action:
        view["action"] = _base_view(action)
    return view


def deployed_version(action: dict) -> dict | None:
    for version in action["versions"]:
        if version["id"] == action["deployed_version_id"]:
            return version
    return None


def public_view(action: dict) -> dict:
    """The action as GET /actions/actions/{id} shows it: secret values never included."""
    view = {"id": action["id"], "name": action["name"],
            "supported_triggers": copy.deepcopy(action["supported_triggers"]),
            "created_at": action["created_at"], "updated_at": action["updated_at"],
            "code": action["code"], "dependencies": copy.deepcopy(action["dependencies"]),
            "runtime": action["runtime"], "status": "built", "secrets": secrets_view(action["secrets"]),
            "all_changes_deployed": action["all_changes_deployed"]}
    if "modules" in action:
        view["modules"] = copy.deepcopy(action["modules"])
    deployed = deployed_version(action)
    if deployed is not None:
        view["deployed_version"] = _version_view(action, deployed, with_action=False)
    return view


# --- lookups ---------------------------------------------------------------------------------------

def _find(tenant: "Tenant", action_id: str) -> dict:
    action = tenant.directory.actions.get(action_id)
    if action is None:
        raise action_not_found()
    return action


def find_by_name(tenant: "Tenant", name: str) -> dict | None:
    for action in tenant.directory.actions.values():
        if action["name"] == name:
            return action
    return None


def _bound_triggers(tenant: "Tenant", action_id: str) -> list[str]:
    return [trigger for trigger, bindings in tenant.directory.action_bindings.items()
            if any(binding["action_id"] == action_id for binding in bindings)]


# --- normalising request bodies ------------------------------------------------------------------

def _supported_triggers(triggers: list[dict]) -> list[dict]:
    """Trigger ids checked (the API's schema already did; fixtures rely on this); a missing
    version is the trigger's CURRENT one."""
    if not triggers:
        raise bad_request("Payload validation error: 'Array is too short (0), minimum 1' on property "
                          "supported_triggers (The list of triggers that this action supports. At this time, "
                          "an action can only target a single trigger at a time).")
    normalised = []
    for index, trigger in enumerate(triggers):
        if trigger.get("id") not in TRIGGER_IDS:
            raise bad_request(f"Payload validation error: 'No enum match for: {_js(trigger.get('id'))}' on "
                              f"property supported_triggers[{index}].id (An actions extensibility point).")
        entry = copy.deepcopy(trigger)
        entry.setdefault("version", CURRENT_VERSIONS[trigger["id"]])
        normalised.append(entry)
    return normalised


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def stored_secrets(sent: list[dict], previous: list[dict], now: str, where: str = "secrets") -> list[dict]:
    """The stored secrets after a create/PATCH: the names sent, in order (a repeated name: the
    last wins); a value sent replaces the old one and moves updated_at, no value keeps the old one
    (a new name without a value gets ""). Names not sent are dropped."""
    old = {secret["name"]: secret for secret in previous}
    result: dict[str, dict] = {}
    for index, secret in enumerate(sent):
        name = secret.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request(f"Payload validation error: 'Missing required property: name' on property "
                              f"{where}[{index}].")
        value = secret.get("value")
        if value is None and name in old:
            result[name] = dict(old[name])
        else:
            result[name] = {"name": name, "value": value or "", "updated_at": now}
    return list(result.values())


# --- actions -----------------------------------------------------------------------------------

def create_action(tenant: "Tenant", body: dict) -> dict:
    """POST /actions/actions (schema-validated body). `deploy: true` deploys it straight away."""
    with tenant.lock:
        if find_by_name(tenant, body["name"]) is not None:
            raise duplicate_name(body["name"])
        now = timestamp(tenant.clock.now())
        action = {"name": body["name"], "supported_triggers": _supported_triggers(body["supported_triggers"]),
                  "code": body.get("code", DEFAULT_CODE),
                  "dependencies": copy.deepcopy(body.get("dependencies") or []),
                  "runtime": body.get("runtime") or DEFAULT_RUNTIME,
                  "secrets": stored_secrets(body.get("secrets") or [], [], now),
                  "created_at": now, "updated_at": now, "all_changes_deployed": False,
                  "versions": (), "deployed_version_id": None}
        if "modules" in body:
            action["modules"] = copy.deepcopy(body["modules"])
        action_id = ids.uuid4(tenant.rng)
        while action_id in tenant.directory.actions:
            action_id = ids.uuid4(tenant.rng)
        action = {"id": action_id, **action}
        tenant.directory.actions[action_id] = action
        if body.get("deploy"):
            _deploy(tenant, action)
        return public_view(tenant.directory.actions[action_id])


def get_action(tenant: "Tenant", action_id: str) -> dict:
    return public_view(_find(tenant, action_id))


def list_actions(tenant: "Tenant", *, trigger_id: str | None = None, action_name: str | None = None,
                 deployed: bool | None = None, installed: bool | None = None, page: int | None = 0,
                 per_page: int | None = DEFAULT_PER_PAGE) -> dict:
    """GET /actions/actions: creation order. mockidp has no Marketplace, so `installed=true` finds
    nothing; `deployed=false` finds the actions never deployed."""
    page, per_page = check_paging(page, per_page, "The maximum number of results to be returned by the "
                                                  "server in single response. 20 by default")
    with tenant.lock:
        found = list(tenant.directory.actions.values())
    if trigger_id is not None:
        found = [a for a in found if any(t["id"] == trigger_id for t in a["supported_triggers"])]
    if action_name is not None:
        found = [a for a in found if a["name"] == action_name]
    if deployed is not None:
        found = [a for a in found if (a["deployed_version_id"] is not None) == deployed]
    if installed:
        found = []
    window = found[page * per_page:(page + 1) * per_page]
    return {"actions": [public_view(action) for action in window], "total": len(found),
            "page": page, "per_page": per_page}


def update_action(tenant: "Tenant", action_id: str, body: dict) -> dict:
    """PATCH /actions/actions/{id}: the attributes sent replace the draft's (`secrets` as
    secrets says); what runs is unchanged until the next deploy."""
    with tenant.lock:
        action = _find(tenant, action_id)
        if "name" in body and body["name"] != action["name"] and find_by_name(tenant, body["name"]) is not None:
            raise duplicate_name(body["name"])
        now = timestamp(tenant.clock.now())
        updated = dict(action)
        if "supported_triggers" in body:
            triggers = _supported_triggers(body["supported_triggers"])
            offered = {trigger["id"] for trigger in triggers}
            if any(bound not in offered for bound in _bound_triggers(tenant, action_id)):
                raise bad_request("can't upgrade to this trigger.", None)  # reported (auth0-cli #462)
            updated["supported_triggers"] = triggers
        for key in ("name", "code", "runtime"):
            if key in body:
                updated[key] = body[key]
        for key in ("dependencies", "modules"):
            if key in body:
                updated[key] = copy.deepcopy(body[key])
        if "secrets" in body:
            updated["secrets"] = stored_secrets(body["secrets"], action["secrets"], now)
        updated["updated_at"] = now
        updated["all_changes_deployed"] = False
        tenant.directory.actions[action_id] = updated
        return public_view(updated)


def delete_action(tenant: "Tenant", action_id: str, force: bool = False) -> None:
    """DELETE /actions/actions/{id}: a bound action is refused unless `force`, which unbinds it
    from every trigger first."""
    with tenant.lock:
        _find(tenant, action_id)
        bound = _bound_triggers(tenant, action_id)
        if bound and not force:
            raise bad_request(f"The action is bound to the {', '.join(bound)} trigger"
                              f"{'s' if len(bound) > 1 else ''}: remove its bindings first, or delete it "
                              "with force=true.", None)
        bindings = tenant.directory.action_bindings
        for trigger in bound:
            remaining = tuple(b for b in bindings[trigger] if b["action_id"] != action_id)
            if remaining:
                bindings[trigger] = remaining
            else:
                del bindings[trigger]
        del tenant.directory.actions[action_id]


def _deploy(tenant: "Tenant", action: dict) -> dict:
    now = timestamp(tenant.clock.now())
    version = {"id": ids.uuid4(tenant.rng), "number": len(action["versions"]) + 1, "code": action["code"],
               "dependencies": copy.deepcopy(action["dependencies"]), "runtime": action["runtime"],
               "secrets": [dict(secret) for secret in action["secrets"]],
               "supported_triggers": copy.deepcopy(action["supported_triggers"]),
               "created_at": now, "updated_at": now, "built_at": now}
    if "modules" in action:
        version["modules"] = copy.deepcopy(action["modules"])
    deployed = {**action, "versions": action["versions"] + (version,), "deployed_version_id": version["id"],
                "all_changes_deployed": True}
    tenant.directory.actions[action["id"]] = deployed
    return _version_view(deployed, version)


def deploy_action(tenant: "Tenant", action_id: str) -> dict:
    """POST /actions/actions/{id}/deploy: the draft becomes version N+1, built and deployed at
    once (bound triggers run it from now on); the answer is that version."""
    with tenant.lock:
        return _deploy(tenant, _find(tenant, action_id))


_VERSION_CONTENT = ("code", "dependencies", "runtime", "secrets", "supported_triggers", "modules")


def deploy_version(tenant: "Tenant", action_id: str, version_id: str, update_draft: bool = False) -> dict:
    """POST /actions/actions/{actionId}/versions/{id}/deploy (a roll-back): a copy of that version
    becomes version N+1, built and deployed at once, so bound triggers run it from now on. With
    `update_draft` the draft takes the version's content too; either way all_changes_deployed says
    whether the draft equals what now runs."""
    with tenant.lock:
        action = _find(tenant, action_id)
        earlier = next((v for v in action["versions"] if v["id"] == version_id), None)
        if earlier is None:
            raise version_not_found()
        now = timestamp(tenant.clock.now())
        version = {**copy.deepcopy(earlier), "id": ids.uuid4(tenant.rng), "number": len(action["versions"]) + 1,
                   "created_at": now, "updated_at": now, "built_at": now}
        draft = dict(action)
        if update_draft:
            for key in _VERSION_CONTENT:
                draft.pop(key, None)
                if key in earlier:
                    draft[key] = copy.deepcopy(earlier[key])
            draft["updated_at"] = now
        same = all(draft.get(key) == version.get(key) for key in _VERSION_CONTENT)
        deployed = {**draft, "versions": action["versions"] + (version,), "deployed_version_id": version["id"],
                    "all_changes_deployed": same}
        tenant.directory.actions[action_id] = deployed
        return _version_view(deployed, version)


def list_versions(tenant: "Tenant", action_id: str, page: int | None = 0,
                  per_page: int | None = DEFAULT_PER_PAGE) -> dict:
    """GET /actions/actions/{actionId}/versions: newest first."""
    page, per_page = check_paging(page, per_page, "This field specify the maximum number of results to be "
                                                  "returned by the server. 20 by default")
    action = _find(tenant, action_id)
    versions = list(reversed(action["versions"]))
    window = versions[page * per_page:(page + 1) * per_page]
    return {"versions": [_version_view(action, version) for version in window], "total": len(versions),
            "page": page, "per_page": per_page}


def get_version(tenant: "Tenant", action_id: str, version_id: str) -> dict:
    action = _find(tenant, action_id)
    for version in action["versions"]:
        if version["id"] == version_id:
            return _version_view(action, version)
    raise version_not_found()
