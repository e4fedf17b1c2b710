"""/api/v2/actions: actions, their versions, triggers and bindings, and Actions Modules (storage
only; running them is core/actions/triggers.py). Rules and choices live in core/actions/
(storage.py, bindings.py, modules.py)."""
from __future__ import annotations

from ...core.actions import bindings, dry_run, modules
from ...core.actions import storage as actions
from ..http import empty_response, json_response, read_body, tenant
from ..validation import validate_body
from .common import payload, query_args
from .registry import operation


@operation("GET /actions/actions")
def list_actions():
    args = query_args("GET /actions/actions")
    return json_response(actions.list_actions(
        tenant(), trigger_id=args.get("triggerId"), action_name=args.get("actionName"),
        deployed=args.get("deployed"), installed=args.get("installed"), page=args.get("page"),
        per_page=args.get("per_page")))


@operation("POST /actions/actions")
def create_action():
    body = payload("POST /actions/actions")
    return json_response(modules.create_action(tenant(), body), 201)


@operation("GET /actions/actions/{id}")
def get_action(id: str):
    query_args("GET /actions/actions/{id}")
    return json_response(actions.get_action(tenant(), id))


@operation("PATCH /actions/actions/{id}")
def update_action(id: str):
    body = payload("PATCH /actions/actions/{id}")
    return json_response(modules.update_action(tenant(), id, body))


@operation("DELETE /actions/actions/{id}")
def delete_action(id: str):
    read_body()
    args = query_args("DELETE /actions/actions/{id}")
    actions.delete_action(tenant(), id, force=bool(args.get("force")))
    return empty_response(204)


@operation("POST /actions/actions/{id}/deploy")
def deploy_action(id: str):
    read_body()  # no body is defined: anything sent is ignored, as hapi does without a schema
    query_args("POST /actions/actions/{id}/deploy")
    # 200 as recorded from a live tenant (go-auth0); the spec documents 202.
    return json_response(actions.deploy_action(tenant(), id))


@operation("GET /actions/actions/{actionId}/versions")
def list_versions(actionId: str):
    args = query_args("GET /actions/actions/{actionId}/versions")
    return json_response(actions.list_versions(tenant(), actionId, args.get("page"), args.get("per_page")))


@operation("GET /actions/actions/{actionId}/versions/{id}")
def get_version(actionId: str, id: str):
    query_args("GET /actions/actions/{actionId}/versions/{id}")
    return json_response(actions.get_version(tenant(), actionId, id))


@operation("POST /actions/actions/{actionId}/versions/{id}/deploy")
def deploy_version(actionId: str, id: str):
    body = payload("POST /actions/actions/{actionId}/versions/{id}/deploy")  # null allowed: go-auth0 sends `null`
    update_draft = bool((body or {}).get("update_draft"))
    # 200 as recorded from a live tenant (go-auth0 TestActionManager_DeployVersion); the spec documents 202.
    return json_response(actions.deploy_version(tenant(), actionId, id, update_draft))


@operation("GET /actions/triggers")
def list_triggers():
    query_args("GET /actions/triggers")
    return json_response(bindings.get_triggers())


@operation("GET /actions/triggers/{triggerId}/bindings")
def get_bindings(triggerId: str):
    args = query_args("GET /actions/triggers/{triggerId}/bindings")
    return json_response(bindings.get_bindings(tenant(), triggerId, args.get("page"), args.get("per_page")))


@operation("PATCH /actions/triggers/{triggerId}/bindings")
def update_bindings(triggerId: str):
    body = read_body()
    query_args("PATCH /actions/triggers/{triggerId}/bindings")
    actions.check_trigger_id(triggerId)
    validate_body("UpdateActionBindingsRequestContent", body)
    return json_response(bindings.update_bindings(tenant(), triggerId, body.get("bindings")))


@operation("POST /actions/actions/{id}/test")
def test_action(id: str):
    body = payload("POST /actions/actions/{id}/test")
    return json_response(dry_run.test_action(tenant(), id, body["payload"]))


@operation("GET /actions/executions/{id}")
def get_execution(id: str):
    query_args("GET /actions/executions/{id}")
    return json_response(dry_run.get_execution(tenant(), id))


# --- Actions Modules -----------------------------------------------------------------------------

@operation("GET /actions/modules")
def list_modules():
    args = query_args("GET /actions/modules")
    return json_response(modules.list_modules(tenant(), args.get("page"), args.get("per_page")))


@operation("POST /actions/modules")
def create_module():
    body = payload("POST /actions/modules")
    return json_response(modules.create_module(tenant(), body), 201)


@operation("GET /actions/modules/{id}")
def get_module(id: str):
    query_args("GET /actions/modules/{id}")
    return json_response(modules.get_module(tenant(), id))


@operation("PATCH /actions/modules/{id}")
def update_module(id: str):
    body = payload("PATCH /actions/modules/{id}")
    return json_response(modules.update_module(tenant(), id, body))


@operation("DELETE /actions/modules/{id}")
def delete_module(id: str):
    read_body()
    query_args("DELETE /actions/modules/{id}")
    modules.delete_module(tenant(), id)
    return empty_response(204)


@operation("GET /actions/modules/{id}/actions")
def list_module_actions(id: str):
    args = query_args("GET /actions/modules/{id}/actions")
    return json_response(modules.module_actions(tenant(), id, args.get("page"), args.get("per_page")))


@operation("GET /actions/modules/{id}/versions")
def list_module_versions(id: str):
    args = query_args("GET /actions/modules/{id}/versions")
    return json_response(modules.list_versions(tenant(), id, args.get("page"), args.get("per_page")))


@operation("POST /actions/modules/{id}/versions")
def publish_module_version(id: str):
    read_body()  # no body is defined: anything sent is ignored, as for an action's deploy
    query_args("POST /actions/modules/{id}/versions")
    return json_response(modules.publish_version(tenant(), id))  # 200, as the spec documents


@operation("GET /actions/modules/{id}/versions/{versionId}")
def get_module_version(id: str, versionId: str):
    query_args("GET /actions/modules/{id}/versions/{versionId}")
    return json_response(modules.get_version(tenant(), id, versionId))


@operation("POST /actions/modules/{id}/rollback")
def rollback_module(id: str):
    body = payload("POST /actions/modules/{id}/rollback")
    return json_response(modules.rollback(tenant(), id, body["module_version_id"]))
