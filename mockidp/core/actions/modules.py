"""Actions Modules (/api/v2/actions/modules/*): shared code that Actions `require('actions:<name>')`,
its published versions, and the references Actions hold to those versions.

A module record holds the editable draft (code, npm dependencies, secrets with their values) and
its immutable published versions, oldest first. An Action names module versions in `modules`
(ActionModuleReference); a reference is resolved when the Action's draft is written, stored with
all four of its fields, copied into the Action's versions when it is deployed, and what a bound
Action runs is the module *version* its deployed version names (`runnable_modules`).

Choices where Auth0's behaviour is unknown (docs/behaviour.md, "Actions Modules"):
- ids: modules `mod_` + 16 characters, versions UUIDs (as action versions are);
- `all_changes_published` is true when the draft's code, dependencies and secrets equal the latest
  version's; publishing without such a change is 409, as is rolling back to the draft's content;
- a module referenced by an Action's draft or deployed version cannot be deleted (412); the count
  and list of actions "using" a module are those whose *deployed* version names it;
- `GET /actions/modules` without `per_page` answers every module (the spec: paging disabled).

Records are never mutated once stored (see storage.py).
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..tenant import ids
from ..tenant.errors import ManagementError, bad_request, conflict
from . import storage
from .storage import DEFAULT_PER_PAGE, check_paging, secrets_view, stored_secrets, timestamp

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

PAGE_DESCRIPTION = "Page index of the results to return. First page is 0."  # the spec's, for the 400 wording

# --- errors ---------------------------------------------------------------------------------------

def module_not_found() -> ManagementError:
    return ManagementError(404, "That action module does not exist.")  # wording ours, as for actions


def module_version_not_found() -> ManagementError:
    return ManagementError(404, "That action module version does not exist.")


# --- views ----------------------------------------------------------------------------------------

def _content(record: dict) -> tuple:
    """What publishing copies: a draft equal to a version in this has nothing new to publish."""
    return (record["code"], record["dependencies"],
            [(secret["name"], secret["value"]) for secret in record["secrets"]])


def _latest(module: dict) -> dict | None:
    return module["versions"][-1] if module["versions"] else None


def version_view(module: dict, version: dict) -> dict:
    """ActionModuleVersion."""
    return {"id": version["id"], "module_id": module["id"], "version_number": version["version_number"],
            "code": version["code"], "dependencies": copy.deepcopy(version["dependencies"]),
            "secrets": secrets_view(version["secrets"]), "created_at": version["created_at"]}


def _list_item(tenant: "Tenant", module: dict) -> dict:
    """ActionModuleListItem: the draft, with what is published and how many deployed Actions use it."""
    latest = _latest(module)
    view = {"id": module["id"], "name": module["name"], "code": module["code"],
            "dependencies": copy.deepcopy(module["dependencies"]), "secrets": secrets_view(module["secrets"]),
            "actions_using_module_total": len(_deployed_users(tenant, module["id"])),
            "all_changes_published": latest is not None and _content(latest) == _content(module),
            "created_at": module["created_at"], "updated_at": module["updated_at"]}
    if latest is not None:
        view["latest_version_number"] = latest["version_number"]
    return view


def module_view(tenant: "Tenant", module: dict) -> dict:
    """GetActionModuleResponseContent: the list item plus the latest version itself."""
    view = _list_item(tenant, module)
    latest = _latest(module)
    if latest is not None:
        view["latest_version"] = {key: value for key, value in version_view(module, latest).items()
                                  if key != "module_id"}
    return view


# --- lookups ---------------------------------------------------------------------------------------

def _find(tenant: "Tenant", module_id: str) -> dict:
    module = tenant.directory.action_modules.get(module_id)
    if module is None:
        raise module_not_found()
    return module


def _by_name(tenant: "Tenant", name: str) -> dict | None:
    return next((m for m in tenant.directory.action_modules.values() if m["name"] == name), None)


def _find_version(module: dict, version_id: str) -> dict:
    for version in module["versions"]:
        if version["id"] == version_id:
            return version
    raise module_version_not_found()


def _deployed_users(tenant: "Tenant", module_id: str) -> list[tuple[dict, dict]]:
    """(action, its reference) for each Action whose deployed version names the module."""
    users = []
    for action in tenant.directory.actions.values():
        deployed = storage.deployed_version(action)
        for reference in (deployed or {}).get("modules") or []:
            if reference["module_id"] == module_id:
                users.append((action, reference))
    return users


def _referencing_actions(tenant: "Tenant", module_id: str) -> list[str]:
    """Names of the Actions whose draft or deployed version names the module."""
    names = []
    for action in tenant.directory.actions.values():
        drafts = action.get("modules") or []
        deployed = (storage.deployed_version(action) or {}).get("modules") or []
        if any(reference["module_id"] == module_id for reference in [*drafts, *deployed]):
            names.append(action["name"])
    return names


# --- modules -----------------------------------------------------------------------------------

def create_module(tenant: "Tenant", body: dict) -> dict:
    """POST /actions/modules (schema-validated body); `publish: true` publishes version 1 at once.
    `api_version` is accepted and not kept: no answer of Auth0's spec shows it."""
    with tenant.lock:
        if _by_name(tenant, body["name"]) is not None:
            raise conflict(f"An action module with the name '{body['name']}' already exists.")
        now = timestamp(tenant.clock.now())
        module_id = ids.prefixed("mod", tenant.rng)
        while module_id in tenant.directory.action_modules:
            module_id = ids.prefixed("mod", tenant.rng)
        module = {"id": module_id, "name": body["name"], "code": body["code"],
                  "dependencies": copy.deepcopy(body.get("dependencies") or []),
                  "secrets": stored_secrets(body.get("secrets") or [], [], now),
                  "created_at": now, "updated_at": now, "versions": ()}
        if body.get("publish"):
            module = _published(tenant, module, now)
        tenant.directory.action_modules[module_id] = module
        return module_view(tenant, module)


def get_module(tenant: "Tenant", module_id: str) -> dict:
    with tenant.lock:
        return module_view(tenant, _find(tenant, module_id))


def list_modules(tenant: "Tenant", page: int | None = None, per_page: int | None = None) -> dict:
    """GET /actions/modules, in creation order; every module when `per_page` is not sent."""
    with tenant.lock:
        found = list(tenant.directory.action_modules.values())
        paged = per_page is not None
        page, per_page = check_paging(page, per_page if paged else len(found),
                                      "Number of results per page. Paging is disabled if parameter not sent.",
                                      PAGE_DESCRIPTION)
        window = found[page * per_page:(page + 1) * per_page] if paged else found
        page = page if paged else 0
        return {"modules": [_list_item(tenant, module) for module in window], "total": len(found),
                "page": page, "per_page": per_page}


def update_module(tenant: "Tenant", module_id: str, body: dict) -> dict:
    """PATCH /actions/modules/{id}: the draft's code, dependencies or secrets (the new set of
    names) as sent; published versions, and so every Action using them, are unchanged."""
    with tenant.lock:
        module = dict(_find(tenant, module_id))
        now = timestamp(tenant.clock.now())
        if "code" in body:
            module["code"] = body["code"]
        if "dependencies" in body:
            module["dependencies"] = copy.deepcopy(body["dependencies"])
        if "secrets" in body:
            module["secrets"] = stored_secrets(body["secrets"], module["secrets"], now)
        module["updated_at"] = now
        tenant.directory.action_modules[module_id] = module
        return module_view(tenant, module)


def delete_module(tenant: "Tenant", module_id: str) -> None:
    """DELETE /actions/modules/{id}: refused (412) while an Action's draft or deployed version uses it."""
    with tenant.lock:
        _find(tenant, module_id)
        users = _referencing_actions(tenant, module_id)
        if users:
            raise ManagementError(412, "The action module is in use by the action"
                                       f"{'s' if len(users) > 1 else ''} {', '.join(repr(n) for n in users)}: "
                                       "remove it from their modules and deploy them first.")
        del tenant.directory.action_modules[module_id]


def module_actions(tenant: "Tenant", module_id: str, page: int | None = 0,
                   per_page: int | None = DEFAULT_PER_PAGE) -> dict:
    """GET /actions/modules/{id}/actions: the Actions whose deployed version uses the module."""
    page, per_page = check_paging(page, per_page, "Number of results per page.", PAGE_DESCRIPTION)
    with tenant.lock:
        _find(tenant, module_id)
        users = _deployed_users(tenant, module_id)
    window = users[page * per_page:(page + 1) * per_page]
    return {"actions": [{"action_id": action["id"], "action_name": action["name"],
                         "module_version_id": reference["module_version_id"],
                         "module_version_number": reference["module_version_number"],
                         "supported_triggers": copy.deepcopy(action["supported_triggers"])}
                        for action, reference in window],
            "total": len(users), "page": page, "per_page": per_page}


# --- versions ----------------------------------------------------------------------------------

def _published(tenant: "Tenant", module: dict, now: str) -> dict:
    version = {"id": ids.uuid4(tenant.rng), "version_number": len(module["versions"]) + 1,
               "code": module["code"], "dependencies": copy.deepcopy(module["dependencies"]),
               "secrets": [dict(secret) for secret in module["secrets"]], "created_at": now}
    return {**module, "versions": module["versions"] + (version,)}


def publish_version(tenant: "Tenant", module_id: str) -> dict:
    """POST /actions/modules/{id}/versions: the draft becomes version N+1; the draft stays."""
    with tenant.lock:
        module = _find(tenant, module_id)
        latest = _latest(module)
        if latest is not None and _content(latest) == _content(module):
            raise conflict("No draft version is available to publish: the draft has no changes since "
                           f"version {latest['version_number']}.")
        published = _published(tenant, module, timestamp(tenant.clock.now()))
        tenant.directory.action_modules[module_id] = published
        return version_view(published, published["versions"][-1])


def list_versions(tenant: "Tenant", module_id: str, page: int | None = 0,
                  per_page: int | None = DEFAULT_PER_PAGE) -> dict:
    """GET /actions/modules/{id}/versions: newest first, like an Action's versions."""
    page, per_page = check_paging(page, per_page, "The maximum number of results to be returned by the "
                                                  "server in a single response. 20 by default.",
                                  "Use this field to request a specific page of the list results.")
    with tenant.lock:
        module = _find(tenant, module_id)
    versions = list(reversed(module["versions"]))
    window = versions[page * per_page:(page + 1) * per_page]
    return {"versions": [version_view(module, version) for version in window], "total": len(versions),
            "page": page, "per_page": per_page}


def get_version(tenant: "Tenant", module_id: str, version_id: str) -> dict:
    with tenant.lock:
        module = _find(tenant, module_id)
        return version_view(module, _find_version(module, version_id))


def rollback(tenant: "Tenant", module_id: str, version_id: str) -> dict:
    """POST /actions/modules/{id}/rollback: the version's code, dependencies and secrets (values
    included) become the draft; nothing is published and no Action changes."""
    with tenant.lock:
        module = _find(tenant, module_id)
        version = _find_version(module, version_id)
        if _content(version) == _content(module):
            raise conflict(f"Version {version['version_number']} is already the current draft version.")
        rolled = {**module, "code": version["code"], "dependencies": copy.deepcopy(version["dependencies"]),
                  "secrets": [dict(secret) for secret in version["secrets"]],
                  "updated_at": timestamp(tenant.clock.now())}
        tenant.directory.action_modules[module_id] = rolled
        return module_view(tenant, rolled)


# --- what Actions reference and run ---------------------------------------------------------------

def resolve_references(tenant: "Tenant", references: list[dict]) -> list[dict]:
    """An Action's `modules` as stored: each names a module (module_id or module_name) and one of
    its published versions (module_version_id or module_version_number); all four fields are kept.
    Caller holds the lock."""
    resolved: list[dict] = []
    for index, reference in enumerate(references):
        where = f"modules[{index}]"
        module = _referenced_module(tenant, reference, where)
        version = _referenced_version(module, reference, where)
        if any(entry["module_id"] == module["id"] for entry in resolved):
            raise bad_request(f"The action module '{module['name']}' is referenced more than once ({where}).", None)
        resolved.append({"module_id": module["id"], "module_name": module["name"],
                         "module_version_id": version["id"], "module_version_number": version["version_number"]})
    return resolved


def _referenced_module(tenant: "Tenant", reference: dict, where: str) -> dict:
    module_id, name = reference.get("module_id"), reference.get("module_name")
    if module_id is None and name is None:
        raise bad_request(f"Payload validation error: 'Missing required property: module_id' on property {where}.")
    module = tenant.directory.action_modules.get(module_id) if module_id is not None else _by_name(tenant, name)
    if module is None or (name is not None and module["name"] != name):
        raise bad_request(f"That action module does not exist: {_js_ref(module_id, name)} ({where}).", None)
    return module


def _referenced_version(module: dict, reference: dict, where: str) -> dict:
    version_id, number = reference.get("module_version_id"), reference.get("module_version_number")
    if version_id is None and number is None:
        raise bad_request("Payload validation error: 'Missing required property: module_version_id' on property "
                          f"{where}.")
    for version in module["versions"]:
        id_matches = version_id is None or version["id"] == version_id
        if id_matches and (number is None or version["version_number"] == number):
            return version
    raise bad_request(f"The action module '{module['name']}' has no published version "
                      f"{version_id if version_id is not None else number} ({where}).", None)


def _js_ref(module_id: Any, name: Any) -> str:
    return f"module_id '{module_id}'" if module_id is not None else f"module_name '{name}'"


def create_action(tenant: "Tenant", body: dict) -> dict:
    """POST /actions/actions with its `modules` resolved, under one lock (no partial write)."""
    with tenant.lock:
        if "modules" in body:
            body = {**body, "modules": resolve_references(tenant, body["modules"])}
        return storage.create_action(tenant, body)


def update_action(tenant: "Tenant", action_id: str, body: dict) -> dict:
    """PATCH /actions/actions/{id} with its `modules` resolved (an unknown action is still 404 first)."""
    with tenant.lock:
        if action_id not in tenant.directory.actions:
            raise storage.action_not_found()
        if "modules" in body:
            body = {**body, "modules": resolve_references(tenant, body["modules"])}
        return storage.update_action(tenant, action_id, body)


def runnable_modules(tenant: "Tenant", references: list[dict]) -> tuple[dict, ...]:
    """What the Node runner loads for `require('actions:<name>')`: each referenced module version's
    code, npm dependencies and secrets. A module deleted since (an old Action version deployed
    again) is left out, so its require fails like any unknown module. Caller holds the lock."""
    runnable = []
    for reference in references or []:
        module = tenant.directory.action_modules.get(reference["module_id"])
        version = next((v for v in (module or {}).get("versions", ()) if v["id"] == reference["module_version_id"]),
                       None)
        if version is not None:
            runnable.append({"name": module["name"], "code": version["code"],
                             "dependencies": [d["name"] for d in version["dependencies"] if d.get("name")],
                             "secrets": {secret["name"]: secret["value"] for secret in version["secrets"]}})
    return tuple(runnable)
