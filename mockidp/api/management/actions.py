"""/api/v2/actions: actions, their versions, triggers and bindings (storage only; running them is
core/action_triggers.py). Rules and choices live in core/actions.py."""
from __future__ import annotations

from ...core.actions import bindings, dry_run
from ...core.actions import storage as actions
from ..http import empty_response, json_response, read_body, tenant
from ..validation import validate_body
from .common import query_args
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
    body = read_body()
    query_args("POST /actions/actions")
    validate_body("CreateActionRequestContent", body)
    return json_response(actions.create_action(tenant(), body), 201)


@operation("GET /actions/actions/{id}")
def get_action(id: str):
    query_args("GET /actions/actions/{id}")
    return json_response(actions.get_action(tenant(), id))


@operation("PATCH /actions/actions/{id}")
def update_action(id: str):
    body = read_body()
    query_args("PATCH /actions/actions/{id}")
    validate_body("UpdateActionRequestContent", body)
    return json_response(actions.update_action(tenant(), id, body))


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
    body = read_body()
    query_args("POST /actions/actions/{id}/test")
    validate_body("TestActionRequestContent", body)
    return json_response(dry_run.test_action(tenant(), id, body["payload"]))


@operation("GET /actions/executions/{id}")
def get_execution(id: str):
    query_args("GET /actions/executions/{id}")
    return json_response(dry_run.get_execution(tenant(), id))
