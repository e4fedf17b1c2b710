"""/api/v2/actions: actions, versions, triggers and bindings (storage, not execution), through the
official auth0-python SDK over HTTPS and raw requests, held to the spec's response schemas and to
the shapes recorded from live tenants (go-auth0 TestActionManager_* recordings)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from auth0.management import (
    ActionBindingRef,
    ActionBindingWithRef,
    ActionTrigger,
    ManagementClient,
)
from auth0.management.errors import BadRequestError, ForbiddenError, NotFoundError
from conftest import Api
from management_crud import assert_error, conforms, invalid_body, scoped
from management_spec import insufficient_scope_body

from mockidp.core.actions import bindings as core_bindings
from mockidp.core.actions import storage as core_actions
from mockidp.core.tenant.errors import FixtureError
from mockidp.runtime import build_tenant
from mockidp.testing import (
    DEFAULT_M2M_CLIENT_ID,
    DEFAULT_M2M_CLIENT_SECRET,
    MockIdPServer,
)

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
NANOS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")
LOGIN_CODE = "exports.onExecutePostLogin = async (event, api) => {}"
PASSWORD_CODE = "exports.onExecutePostChangePassword = async (event) => {}"
SECRET_VALUE = "s3cret-value-never-shown"
ACTIONS = "/api/v2/actions/actions"
NOT_DEPLOYED = "Trying to create a binding for an action that has not been deployed yet."


def create(api: Api, name: str = "my-action", **body) -> dict:
    body = {"name": name, "supported_triggers": [{"id": "post-login", "version": "v3"}], "code": LOGIN_CODE,
            **body}
    return conforms("POST /actions/actions", api.post(ACTIONS, json=body), 201)


def deploy(api: Api, action_id: str) -> dict:
    response = api.post(f"{ACTIONS}/{action_id}/deploy")
    return conforms("POST /actions/actions/{id}/deploy", response, 200, documented_as=202)


def bind(api: Api, trigger: str, *refs: dict) -> requests.Response:
    return api.patch(f"/api/v2/actions/triggers/{trigger}/bindings", json={"bindings": list(refs)})


def by_name(name: str, **extra) -> dict:
    return {"ref": {"type": "action_name", "value": name}, **extra}


def bindings_of(api: Api, trigger: str = "post-login") -> list[dict]:
    response = api.get(f"/api/v2/actions/triggers/{trigger}/bindings")
    return conforms("GET /actions/triggers/{triggerId}/bindings", response, 200)["bindings"]


def all_actions(api: Api) -> dict:
    return api.get(ACTIONS, params={"per_page": 100}).json()


def state(api: Api) -> dict:
    """Everything the Actions API shows."""
    listed = all_actions(api)
    return {"actions": listed,
            "versions": {a["id"]: api.get(f"{ACTIONS}/{a['id']}/versions").json() for a in listed["actions"]},
            "bindings": {t: bindings_of(api, t) for t in core_actions.TRIGGER_IDS}}


# --- the SDK, unchanged, over HTTPS -------------------------------------------------------------

@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    return ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def test_sdk_create_deploy_bind_and_delete(sdk, mockidp):
    created = sdk.actions.create(name="Force reset", supported_triggers=[ActionTrigger(id="post-login", version="v3")],
                                 code=LOGIN_CODE, secrets=[{"name": "API_KEY", "value": SECRET_VALUE}],
                                 dependencies=[{"name": "lodash", "version": "4.17.21"}])
    assert UUID4.fullmatch(created.id) and created.status == "built" and created.runtime == "node22"
    assert [(s.name, s.updated_at is not None) for s in created.secrets] == [("API_KEY", True)]
    assert sdk.actions.get(created.id).name == "Force reset"
    updated = sdk.actions.update(created.id, code=LOGIN_CODE + "\n")
    assert updated.code.endswith("\n") and updated.all_changes_deployed is False
    version = sdk.actions.deploy(created.id)
    assert version.number == 1 and version.deployed is True and version.action.id == created.id
    assert sdk.actions.get(created.id).deployed_version.id == version.id
    assert [v.id for v in sdk.actions.versions.list(created.id)] == [version.id]
    assert sdk.actions.versions.get(created.id, version.id).number == 1
    bound = sdk.actions.triggers.bindings.update_many(
        "post-login", bindings=[ActionBindingWithRef(ref=ActionBindingRef(type="action_name", value="Force reset"),
                                                     display_name="Reset first")])
    assert [(b.display_name, b.action.id) for b in bound.bindings] == [("Reset first", created.id)]
    assert [b.action.name for b in sdk.actions.triggers.bindings.list("post-login")] == ["Force reset"]
    triggers = {(t.id, t.version): t.status for t in sdk.actions.triggers.list().triggers}
    assert triggers[("post-login", "v3")] == "CURRENT" and triggers[("post-change-password", "v2")] == "CURRENT"
    with pytest.raises(BadRequestError):
        sdk.actions.delete(created.id, request_options={"max_retries": 0})
    sdk.actions.delete(created.id, force=True)
    with pytest.raises(NotFoundError):
        sdk.actions.get(created.id)
    assert list(sdk.actions.triggers.bindings.list("post-login")) == []
    assert SECRET_VALUE not in json.dumps(mockidp.tenant.directory.actions)  # deleted with its secrets


def test_sdk_lists_every_page(sdk):
    for index in range(5):
        sdk.actions.create(name=f"action-{index}", supported_triggers=[ActionTrigger(id="post-login")])
    assert [a.name for a in sdk.actions.list(per_page=2)] == [f"action-{i}" for i in range(5)]


def test_sdk_refused_without_scope(mockidp, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    sdk = ManagementClient(domain=mockidp.domain, token=mockidp.management_token(scope="read:actions"))
    assert list(sdk.actions.list()) == []
    with pytest.raises(ForbiddenError) as raised:
        sdk.actions.create(name="x", supported_triggers=[ActionTrigger(id="post-login")],
                           request_options={"max_retries": 0})
    assert raised.value.body == insufficient_scope_body("POST /actions/actions")


# --- create -------------------------------------------------------------------------------------

def test_default_m2m_token_may_manage_actions(api):
    """The default fixture's M2M client holds the actions scopes (fixtures/default.yaml)."""
    action = create(api)
    assert api.patch(f"{ACTIONS}/{action['id']}", json={"code": "x"}).status_code == 200
    assert api.delete(f"{ACTIONS}/{action['id']}").status_code == 204


def test_create_answers_the_recorded_shape(api, mockidp):
    action = create(api, secrets=[{"name": "API_KEY", "value": SECRET_VALUE}],
                    dependencies=[{"name": "lodash", "version": "4.0.0", "registry_url": "https://r.example"}])
    assert UUID4.fullmatch(action["id"]) and NANOS.fullmatch(action["created_at"])
    assert action == {"id": action["id"], "name": "my-action",
                      "supported_triggers": [{"id": "post-login", "version": "v3"}],
                      "created_at": action["created_at"], "updated_at": action["created_at"], "code": LOGIN_CODE,
                      "dependencies": [{"name": "lodash", "version": "4.0.0", "registry_url": "https://r.example"}],
                      "runtime": "node22", "status": "built",
                      "secrets": [{"name": "API_KEY", "updated_at": action["created_at"]}],
                      "all_changes_deployed": False}
    assert conforms("GET /actions/actions/{id}", api.get(f"{ACTIONS}/{action['id']}"), 200) == action


def test_create_defaults(api):
    response = api.post(ACTIONS, json={"name": "bare", "supported_triggers": [{"id": "post-change-password"}]})
    action = conforms("POST /actions/actions", response, 201)
    assert action["code"] == "module.exports = () => {}" and action["runtime"] == "node22"
    assert action["supported_triggers"] == [{"id": "post-change-password", "version": "v2"}]  # the CURRENT one
    assert action["dependencies"] == [] and action["secrets"] == []


def test_create_and_deploy_at_once(api):
    action = create(api, deploy=True)
    assert action["all_changes_deployed"] is True
    assert action["deployed_version"]["number"] == 1 and action["deployed_version"]["deployed"] is True
    assert bind(api, "post-login", by_name("my-action")).status_code == 200


def test_names_are_unique(api):
    first = create(api)
    other = create(api, name="other")
    before = state(api)
    assert_error(api.post(ACTIONS, json={"name": "my-action", "supported_triggers": [{"id": "post-login"}]}),
                 409, "An action with the name 'my-action' already exists.")
    assert_error(api.patch(f"{ACTIONS}/{other['id']}", json={"name": "my-action"}),
                 409, "An action with the name 'my-action' already exists.")
    assert state(api) == before
    assert api.patch(f"{ACTIONS}/{first['id']}", json={"name": "my-action"}).status_code == 200  # its own name


@pytest.mark.parametrize("body, message", [
    ({}, "'Missing required property: name'."),
    ({"name": "a"}, "'Missing required property: supported_triggers'."),
    ({"name": "a", "supported_triggers": []},
     "'Array is too short (0), minimum 1' on property supported_triggers (The list of triggers that this action "
     "supports. At this time, an action can only target a single trigger at a time)."),
    ({"name": "a", "supported_triggers": [{"id": "post-logn"}]},
     "'No enum match for: \"post-logn\"' on property supported_triggers[0].id (An actions extensibility point)."),
    ({"name": "a", "supported_triggers": [{"id": "post-login"}], "bogus": 1},
     "'Additional properties not allowed: bogus'."),
    ({"name": "a", "supported_triggers": [{"id": "post-login"}], "code": 5},
     "'Expected type string but found type integer' on property code (The source code of the action)."),
    ({"name": "a", "supported_triggers": [{"id": "post-login"}], "secrets": [{"value": "v"}]},
     "'Missing required property: name' on property secrets[0]."),
])
def test_create_refuses_bad_bodies(api, body, message):
    create(api, name="existing")
    before = state(api)
    response = api.post(ACTIONS, json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


# --- read and list ------------------------------------------------------------------------------

def test_unknown_action_is_404(api):
    for response in (api.get(f"{ACTIONS}/nope"), api.patch(f"{ACTIONS}/nope", json={"code": "x"}),
                     api.delete(f"{ACTIONS}/nope"), api.post(f"{ACTIONS}/nope/deploy"),
                     api.get(f"{ACTIONS}/nope/versions")):
        assert_error(response, 404, "That action does not exist.")  # recorded, no errorCode


def test_list_filters_and_pages(api):
    login = create(api, name="login")
    deploy(api, login["id"])
    create(api, name="password", supported_triggers=[{"id": "post-change-password"}], code=PASSWORD_CODE)
    for index in range(21):
        create(api, name=f"filler-{index:02d}")

    def names(**params) -> list[str]:
        body = conforms("GET /actions/actions", api.get(ACTIONS, params=params), 200)
        return [action["name"] for action in body["actions"]]

    first = conforms("GET /actions/actions", api.get(ACTIONS), 200)
    assert (first["total"], first["page"], first["per_page"], len(first["actions"])) == (23, 0, 20, 20)
    assert names(page=1) == ["filler-18", "filler-19", "filler-20"]
    assert names(page=5) == []
    assert names(per_page=2, page=0) == ["login", "password"]
    assert names(triggerId="post-change-password") == ["password"]
    assert names(actionName="login") == ["login"]
    assert names(actionName="nobody") == []
    assert names(deployed="true") == ["login"]
    assert len(names(deployed="false", per_page=50)) == 22
    assert names(installed="true") == []  # no Marketplace integrations in mockidp
    assert len(names(installed="false", per_page=50)) == 23


@pytest.mark.parametrize("query, message", [
    ({"per_page": -1}, "'Value -1 is less than minimum 0' on property per_page (The maximum number of results "
                       "to be returned by the server in single response. 20 by default)."),
    ({"page": "abc"}, "'Expected type integer but found type string' on property page (Use this field to request "
                      "a specific page of the list results)."),
    ({"include_totals": "true"}, "'Additional properties not allowed: include_totals'."),  # as deploy-cli notes
    ({"triggerId": "nope"}, "'No enum match for: \"nope\"' on property triggerId (An actions extensibility point)."),
])
def test_list_refuses_bad_queries(api, query, message):
    response = api.get(ACTIONS, params=query)
    assert_error(response, 400, f"Query validation error: {message}", "invalid_query_string",
                 operation="GET /actions/actions")


# --- update -------------------------------------------------------------------------------------

def frozen_api(mockidp) -> Api:
    """The clock frozen at 2030-01-01T00:00:00Z, and a token issued then."""
    mockidp.freeze("2030-01-01T00:00:00Z")
    return Api(mockidp.url, mockidp.management_token())


def test_patch_changes_only_what_is_sent(mockidp):
    api = frozen_api(mockidp)
    action = create(api, dependencies=[{"name": "lodash", "version": "4.0.0"}])
    deploy(api, action["id"])
    mockidp.advance(60)
    response = api.patch(f"{ACTIONS}/{action['id']}", json={"code": "exports.onExecutePostLogin = 1",
                                                          "runtime": "node18"})
    updated = conforms("PATCH /actions/actions/{id}", response, 200)
    assert updated["code"] == "exports.onExecutePostLogin = 1" and updated["runtime"] == "node18"
    assert updated["dependencies"] == [{"name": "lodash", "version": "4.0.0"}]
    assert updated["created_at"] == "2030-01-01T00:00:00.000000000Z"
    assert updated["updated_at"] == "2030-01-01T00:01:00.000000000Z"
    assert updated["all_changes_deployed"] is False
    assert updated["deployed_version"]["code"] == LOGIN_CODE  # the deployed version is untouched
    assert deploy(api, action["id"])["number"] == 2
    assert api.get(f"{ACTIONS}/{action['id']}").json()["all_changes_deployed"] is True


def test_patch_refuses_bad_bodies_without_writing(api):
    action = create(api)
    before = state(api)
    for body, message in (({"deploy": True}, "'Additional properties not allowed: deploy'."),
                          ({"supported_triggers": []}, "'Array is too short (0), minimum 1' on property "
                           "supported_triggers (The list of triggers that this action supports. At this time, "
                           "an action can only target a single trigger at a time)."),
                          ({"name": 3}, "'Expected type string but found type integer' on property name "
                                        "(The name of an action).")):
        response = api.patch(f"{ACTIONS}/{action['id']}", json=body)
        assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert state(api) == before


def test_a_bound_action_cannot_leave_its_trigger(api):
    action = create(api, deploy=True)
    assert bind(api, "post-login", by_name("my-action")).status_code == 200
    before = state(api)
    response = api.patch(f"{ACTIONS}/{action['id']}", json={"supported_triggers": [{"id": "post-change-password"}]})
    assert_error(response, 400, "can't upgrade to this trigger.")
    assert state(api) == before


# --- secrets --------------------------------------------------------------------------------------

def test_secret_values_are_never_returned(api):
    action = create(api, secrets=[{"name": "API_KEY", "value": SECRET_VALUE}], deploy=True)
    answers = [action, api.get(f"{ACTIONS}/{action['id']}").json(), all_actions(api),
               api.patch(f"{ACTIONS}/{action['id']}", json={"secrets": [{"name": "API_KEY", "value": SECRET_VALUE},
                                                                      {"name": "OTHER", "value": SECRET_VALUE}]}).json(),
               deploy(api, action["id"]), api.get(f"{ACTIONS}/{action['id']}/versions").json(),
               bind(api, "post-login", by_name("my-action", secrets=[{"name": "B", "value": SECRET_VALUE}])).json(),
               bindings_of(api)]
    for answer in answers:
        text = json.dumps(answer)
        assert SECRET_VALUE not in text and '"value"' not in text, text


def test_patch_secrets_is_the_new_set_of_names(mockidp):
    api = frozen_api(mockidp)
    action = create(api, secrets=[{"name": "KEEP", "value": "kept"}, {"name": "CHANGE", "value": "old"},
                                  {"name": "DROP", "value": "dropped"}], deploy=True)
    bind(api, "post-login", by_name("my-action"))
    mockidp.advance(5)
    updated = api.patch(f"{ACTIONS}/{action['id']}", json={"secrets": [
        {"name": "KEEP"}, {"name": "CHANGE", "value": "new"}, {"name": "ADDED", "value": "added"}]}).json()
    assert updated["secrets"] == [{"name": "KEEP", "updated_at": "2030-01-01T00:00:00.000000000Z"},
                                  {"name": "CHANGE", "updated_at": "2030-01-01T00:00:05.000000000Z"},
                                  {"name": "ADDED", "updated_at": "2030-01-01T00:00:05.000000000Z"}]
    running = core_bindings.bound_actions(mockidp.tenant, "post-login")
    assert running[0].secrets == {"KEEP": "kept", "CHANGE": "old", "DROP": "dropped"}  # until deployed
    deploy(api, action["id"])
    running = core_bindings.bound_actions(mockidp.tenant, "post-login")
    assert running[0].secrets == {"KEEP": "kept", "CHANGE": "new", "ADDED": "added"}


# --- deploy and versions ------------------------------------------------------------------------

def test_deploy_answers_a_version(api):
    action = create(api, secrets=[{"name": "K", "value": "v"}])
    version = deploy(api, action["id"])
    assert UUID4.fullmatch(version["id"]) and version["id"] != action["id"]
    assert {key: version[key] for key in ("action_id", "code", "deployed", "number", "status", "runtime",
                                          "supported_triggers", "secrets")} == {
        "action_id": action["id"], "code": LOGIN_CODE, "deployed": True, "number": 1, "status": "built",
        "runtime": "node22", "supported_triggers": action["supported_triggers"], "secrets": action["secrets"]}
    assert version["action"] == {"id": action["id"], "name": "my-action",
                                 "supported_triggers": action["supported_triggers"],
                                 "created_at": action["created_at"], "updated_at": action["updated_at"],
                                 "all_changes_deployed": True}
    deployed = api.get(f"{ACTIONS}/{action['id']}").json()["deployed_version"]
    assert deployed == {key: value for key, value in version.items() if key != "action"}


def test_versions_newest_first(api):
    action = create(api)
    first = deploy(api, action["id"])
    api.patch(f"{ACTIONS}/{action['id']}", json={"code": "second"})
    second = deploy(api, action["id"])
    listed = conforms("GET /actions/actions/{actionId}/versions", api.get(f"{ACTIONS}/{action['id']}/versions"), 200)
    assert [(v["number"], v["deployed"], v["code"]) for v in listed["versions"]] == [
        (2, True, "second"), (1, False, LOGIN_CODE)]
    assert (listed["total"], listed["page"], listed["per_page"]) == (2, 0, 20)
    paged = api.get(f"{ACTIONS}/{action['id']}/versions", params={"per_page": 1, "page": 1}).json()
    assert [v["id"] for v in paged["versions"]] == [first["id"]]
    one = api.get(f"{ACTIONS}/{action['id']}/versions/{first['id']}")
    assert conforms("GET /actions/actions/{actionId}/versions/{id}", one, 200)["deployed"] is False
    assert api.get(f"{ACTIONS}/{action['id']}/versions/{second['id']}").json()["deployed"] is True
    assert_error(api.get(f"{ACTIONS}/{action['id']}/versions/nope"), 404, "That action version does not exist.",
                 operation="GET /actions/actions/{actionId}/versions/{id}")
    assert conforms("GET /actions/actions/{actionId}/versions",
                    api.get(f"{ACTIONS}/{create(api, name='new')['id']}/versions"), 200)["versions"] == []


def test_what_runs_is_the_deployed_version(api, mockidp):
    action = create(api, dependencies=[{"name": "auth0", "version": "4.0.0"}], secrets=[{"name": "K", "value": "1"}])
    version = deploy(api, action["id"])
    bind(api, "post-login", by_name("my-action"))
    expected = [core_bindings.BoundAction(action_id=action["id"], name="my-action", version_id=version["id"],
                                         code=LOGIN_CODE, dependencies=["auth0"], secrets={"K": "1"},
                                         runtime="node22")]
    assert core_bindings.bound_actions(mockidp.tenant, "post-login") == expected
    api.patch(f"{ACTIONS}/{action['id']}", json={"code": "changed", "runtime": "node18", "dependencies": []})
    assert core_bindings.bound_actions(mockidp.tenant, "post-login") == expected
    second = deploy(api, action["id"])
    assert core_bindings.bound_actions(mockidp.tenant, "post-login") == [core_bindings.BoundAction(
        action_id=action["id"], name="my-action", version_id=second["id"], code="changed", dependencies=[],
        secrets={"K": "1"}, runtime="node18")]
    assert core_bindings.bound_actions(mockidp.tenant, "post-change-password") == []


# --- triggers and bindings ----------------------------------------------------------------------

def test_triggers(api):
    triggers = conforms("GET /actions/triggers", api.get("/api/v2/actions/triggers"), 200)["triggers"]
    current = {t["id"]: t for t in triggers if t["status"] == "CURRENT"}
    assert current["post-login"]["version"] == "v3" and current["post-change-password"]["version"] == "v2"
    assert current["post-login"]["default_runtime"] == "node22" and "node22" in current["post-login"]["runtimes"]
    assert current["post-login"]["compatible_triggers"] == [{"id": "post-login", "version": "v2"}]
    assert set(current) == set(core_actions.TRIGGER_IDS)
    assert {t["status"] for t in triggers} == {"CURRENT", "DEPRECATED"}


def test_bindings_replace_the_list_in_order(api, mockidp):
    one, two, three = (create(api, name=name, deploy=True) for name in ("one", "two", "three"))
    response = bind(api, "post-login", by_name("one"), {"ref": {"type": "action_id", "value": two["id"]},
                                                        "display_name": "Second"})
    bound = conforms("PATCH /actions/triggers/{triggerId}/bindings", response, 200)["bindings"]
    assert [(b["display_name"], b["action"]["id"], b["trigger_id"]) for b in bound] == [
        ("one", one["id"], "post-login"), ("Second", two["id"], "post-login")]
    assert all(UUID4.fullmatch(b["id"]) for b in bound)
    assert bound[0]["action"]["deployed_version"]["deployed"] is True
    assert bindings_of(api) == bound
    replaced = bind(api, "post-login", by_name("three"), {"ref": {"type": "binding_id", "value": bound[0]["id"]}}).json()
    assert [b["action"]["name"] for b in replaced["bindings"]] == ["three", "one"]
    assert replaced["bindings"][1]["id"] == bound[0]["id"]  # a kept binding keeps its id
    assert [a.name for a in core_bindings.bound_actions(mockidp.tenant, "post-login")] == ["three", "one"]
    assert bind(api, "post-login").json() == {"bindings": []}  # recorded: [] unbinds everything
    assert bindings_of(api) == []
    assert three["id"]


def test_binding_the_same_action_again_keeps_the_binding(api):
    create(api, deploy=True)
    first = bind(api, "post-login", by_name("my-action")).json()["bindings"][0]
    again = bind(api, "post-login", by_name("my-action", display_name="Renamed")).json()["bindings"][0]
    assert (again["id"], again["created_at"], again["display_name"]) == (first["id"], first["created_at"], "Renamed")


def test_binding_pages(api):
    for index in range(3):
        create(api, name=f"a{index}", deploy=True)
    bind(api, "post-login", *(by_name(f"a{index}") for index in range(3)))
    response = api.get("/api/v2/actions/triggers/post-login/bindings", params={"per_page": 2, "page": 1})
    body = conforms("GET /actions/triggers/{triggerId}/bindings", response, 200)
    assert ([b["action"]["name"] for b in body["bindings"]], body["total"], body["page"], body["per_page"]) == (
        ["a2"], 3, 1, 2)


def test_bindings_refuse_what_cannot_run(api):
    create(api, name="draft")
    create(api, name="password", supported_triggers=[{"id": "post-change-password"}], deploy=True)
    bound = create(api, name="bound", deploy=True)
    bind(api, "post-login", by_name("bound"))
    before = state(api)
    cases = [
        ([by_name("bound"), by_name("draft")], NOT_DEPLOYED),
        ([by_name("password")], "The action 'password' does not support the post-login trigger (bindings[0])."),
        ([by_name("ghost")], "That action does not exist: action_name 'ghost' (bindings[0])."),
        ([{"ref": {"type": "action_id", "value": "ghost"}}], "That action does not exist: action_id 'ghost' (bindings[0])."),
        ([{"ref": {"type": "binding_id", "value": "ghost"}}],
         "The binding 'ghost' does not exist on the post-login trigger (bindings[0])."),
        ([by_name("bound"), {"ref": {"type": "action_id", "value": bound["id"]}}],
         "The action 'bound' is bound more than once (bindings[1])."),
    ]
    for refs, message in cases:
        assert_error(bind(api, "post-login", *refs), 400, message,
                     operation="PATCH /actions/triggers/{triggerId}/bindings")
    response = bind(api, "post-login", {"id_type": "action_name", "id_value": "bound"})  # node-auth0 #740
    assert (response.status_code, response.json()) == (400, invalid_body(
        "'Data does not match any schemas from 'oneOf'' on property bindings[0]."))
    response = bind(api, "post-login", {"ref": {"type": "action_name"}})
    assert (response.status_code, response.json()) == (400, invalid_body(
        "'Missing required property: value' on property bindings[0].ref."))
    assert state(api) == before


def test_unknown_trigger_is_a_path_error(api):
    message = ("Path validation error: 'No enum match for: \"post-logn\"' on property triggerId "
               "(An actions extensibility point).")
    assert_error(api.get("/api/v2/actions/triggers/post-logn/bindings"), 400, message, "invalid_uri")
    assert_error(bind(api, "post-logn"), 400, message, "invalid_uri")


def test_a_body_without_bindings_changes_nothing(api):
    create(api, deploy=True)
    bound = bind(api, "post-login", by_name("my-action")).json()
    response = api.patch("/api/v2/actions/triggers/post-login/bindings", json={})
    assert conforms("PATCH /actions/triggers/{triggerId}/bindings", response, 200) == bound


# --- delete -------------------------------------------------------------------------------------

def test_delete(api):
    loose = create(api, name="loose", deploy=True)
    bound = create(api, name="bound", deploy=True)
    bind(api, "post-login", by_name("bound"))
    before = state(api)
    assert_error(api.delete(f"{ACTIONS}/{bound['id']}"), 400,
                 "The action is bound to the post-login trigger: remove its bindings first, or delete it with "
                 "force=true.", operation="DELETE /actions/actions/{id}")
    assert_error(api.delete(f"{ACTIONS}/{bound['id']}", params={"force": "false"}), 400,
                 "The action is bound to the post-login trigger: remove its bindings first, or delete it with "
                 "force=true.")
    assert state(api) == before
    assert api.delete(f"{ACTIONS}/{loose['id']}").status_code == 204  # recorded: deployed, unbound
    response = api.delete(f"{ACTIONS}/{bound['id']}", params={"force": "true"})
    assert (response.status_code, response.content) == (204, b"")
    assert bindings_of(api) == [] and all_actions(api)["actions"] == []


# --- authorization ------------------------------------------------------------------------------

@pytest.mark.parametrize("operation, method, path, held", [
    ("POST /actions/actions", "POST", ACTIONS, "read:actions"),
    ("GET /actions/actions", "GET", ACTIONS, "create:actions"),
    ("PATCH /actions/actions/{id}", "PATCH", f"{ACTIONS}/x", "read:actions"),
    ("DELETE /actions/actions/{id}", "DELETE", f"{ACTIONS}/x", "update:actions"),
    ("POST /actions/actions/{id}/deploy", "POST", f"{ACTIONS}/x/deploy", "update:actions"),
    ("GET /actions/triggers", "GET", "/api/v2/actions/triggers", "update:actions"),
    ("PATCH /actions/triggers/{triggerId}/bindings", "PATCH", "/api/v2/actions/triggers/post-login/bindings",
     "read:actions"),
])
def test_scopes(mockidp, api, anonymous, operation, method, path, held):
    before = state(api)
    response = scoped(mockidp, held).request(method, path, json={"name": "x", "supported_triggers": [{"id": "post-login"}]})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body(operation))
    assert_error(anonymous.request(method, path, json={}), 401, "Missing authentication")
    assert state(api) == before


def test_insufficient_scope_names_create_actions(mockidp):
    response = scoped(mockidp, "read:actions").post(ACTIONS, json={"name": "x", "supported_triggers": [{"id": "post-login"}]})
    assert response.json()["message"] == "Insufficient scope, expected any of: create:actions"


# --- reset --------------------------------------------------------------------------------------

def test_reset_forgets_actions_created_since(mockidp, api):
    create(api, deploy=True)
    bind(api, "post-login", by_name("my-action"))
    mockidp.reset()
    assert all_actions(api)["actions"] == [] and bindings_of(api) == []
    assert core_bindings.bound_actions(mockidp.tenant, "post-login") == []


# --- fixtures -----------------------------------------------------------------------------------

FIXTURE = """
clients:
  - {name: tester, client_id: testerClient0000000000000000000, client_secret: s3cret,
     app_type: non_interactive, grant_types: [client_credentials]}
clientGrants:
  - {client_id: tester, audience: "https://##AUTH0_DOMAIN##/api/v2/",
     scope: [read:actions, create:actions, update:actions, delete:actions]}
actions:
  - name: force-reset
    code: ./actions/force-reset/code.js
    runtime: node22
    dependencies: [{name: lodash, version: 4.17.21}]
    secrets: [{name: M2M_SECRET, value: shh}]
    supported_triggers: [{id: post-login, version: v3}]
    deployed: true
    status: built
  - name: after-change
    code: |
      exports.onExecutePostChangePassword = async (event) => {};
    supported_triggers: [{id: post-change-password, version: v2}]
    deployed: true
  - name: draft
    code: "exports.onExecutePostLogin = async () => {}"
    supported_triggers: [{id: post-login}]
triggers:
  post-login:
    - {action_name: force-reset, display_name: Force a reset}
  post-change-password:
    - action_name: after-change
  credentials-exchange: []
"""
FILE_CODE = "exports.onExecutePostLogin = async (event, api) => { api.access.deny('reset'); };\n"


def write_fixture(tmp_path: Path, text: str = FIXTURE) -> Path:
    (tmp_path / "actions" / "force-reset").mkdir(parents=True, exist_ok=True)
    (tmp_path / "actions" / "force-reset" / "code.js").write_text(FILE_CODE)
    path = tmp_path / "tenant.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def fixture_server(tmp_path):
    server = MockIdPServer(fixtures=[write_fixture(tmp_path)], tls=False)
    yield server
    server.stop()


def test_fixture_actions_and_bindings(fixture_server):
    api = Api(fixture_server.url, fixture_server.management_token(client_id="testerClient0000000000000000000",
                                                                   client_secret="s3cret"))
    listed = conforms("GET /actions/actions", api.get(ACTIONS), 200)["actions"]
    by = {action["name"]: action for action in listed}
    assert list(by) == ["force-reset", "after-change", "draft"]
    assert by["force-reset"]["code"] == FILE_CODE
    assert by["after-change"]["code"] == "exports.onExecutePostChangePassword = async (event) => {};\n"
    assert by["force-reset"]["deployed_version"]["number"] == 1 and "deployed_version" not in by["draft"]
    assert by["draft"]["supported_triggers"] == [{"id": "post-login", "version": "v3"}]
    assert [(b["display_name"], b["action"]["name"]) for b in bindings_of(api)] == [("Force a reset", "force-reset")]
    assert [b["display_name"] for b in bindings_of(api, "post-change-password")] == ["after-change"]
    running = core_bindings.bound_actions(fixture_server.tenant, "post-login")
    assert [(a.name, a.code, a.dependencies, a.secrets, a.runtime) for a in running] == [
        ("force-reset", FILE_CODE, ["lodash"], {"M2M_SECRET": "shh"}, "node22")]


def test_reset_restores_fixture_actions(fixture_server):
    api = Api(fixture_server.url, fixture_server.management_token(client_id="testerClient0000000000000000000",
                                                                   client_secret="s3cret"))
    before = state(api)
    draft = next(a for a in before["actions"]["actions"] if a["name"] == "draft")
    api.patch(f"{ACTIONS}/{draft['id']}", json={"code": "changed"})
    deploy(api, draft["id"])
    bind(api, "post-login", by_name("draft"))
    forced = next(a for a in before["actions"]["actions"] if a["name"] == "after-change")
    api.delete(f"{ACTIONS}/{forced['id']}", params={"force": "true"})
    assert state(api) != before
    fixture_server.reset()
    assert state(api) == before  # same ids, same versions, same bindings
    assert [a.name for a in core_bindings.bound_actions(fixture_server.tenant, "post-login")] == ["force-reset"]


ACTION_HEAD = "actions:\n  - {name: a, supported_triggers: [{id: post-login}], "
BAD_ACTION_FIXTURES = {
    "missing code file": (ACTION_HEAD + "code: ./actions/missing/code.js}\n",
                          "actions[0].code: code file not found: {dir}/actions/missing/code.js"),
    "unknown trigger": ("actions:\n  - {name: a, code: x, supported_triggers: [{id: post-logn}]}\n",
                        "actions[0]: Payload validation error: 'No enum match for: \"post-logn\"' on property "
                        "supported_triggers[0].id"),
    "no code": ("actions:\n  - {name: a, supported_triggers: [{id: post-login}]}\n",
                "actions[0]: 'code' is a required property"),
    "unknown key": (ACTION_HEAD + "code: x, enabled: true}\n", "actions[0]: unknown key(s): 'enabled'"),
    "duplicate name": (ACTION_HEAD + "code: x}\n  - {name: a, code: y, supported_triggers: [{id: post-login}]}\n",
                       "actions[1]: An action with the name 'a' already exists."),
    "unknown trigger key": ("triggers:\n  post-logn: []\n", "triggers: unknown key(s): 'post-logn'"),
    "binding unknown action": ("triggers:\n  post-login: [{action_name: ghost}]\n",
                               "triggers.post-login[0].action_name: no action named 'ghost'"),
    "binding undeployed action": (ACTION_HEAD + "code: x}\ntriggers:\n  post-login: [{action_name: a}]\n",
                                  "triggers.post-login[0].action_name: the action 'a' is not deployed"),
    "binding on the wrong trigger": (ACTION_HEAD + "code: x, deployed: true}\n"
                                     "triggers:\n  post-change-password: [{action_name: a}]\n",
                                     "triggers.post-change-password: The action 'a' does not support the "
                                     "post-change-password trigger (bindings[0])."),
}


@pytest.mark.parametrize("name", sorted(BAD_ACTION_FIXTURES))
def test_bad_action_fixtures_name_file_path_and_problem(tmp_path, name):
    text, expected = BAD_ACTION_FIXTURES[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(FixtureError) as raised:
        build_tenant([path], state_dir=tmp_path / "state")
    assert str(raised.value).startswith(f"{path}: "), raised.value
    assert expected.format(dir=tmp_path) in str(raised.value), raised.value


def test_bad_action_fixture_fails_startup_cleanly(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_ACTION_FIXTURES["missing code file"][0])
    result = subprocess.run([sys.executable, "-m", "mockidp", "serve", "--port", "0", "--fixtures", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}: actions[0].code: code file not found: {tmp_path}/actions/missing/code.js" in result.stderr


def test_a_later_fixture_file_replaces_a_triggers_bindings(tmp_path):
    first = write_fixture(tmp_path)
    second = tmp_path / "more.yaml"
    second.write_text("triggers:\n  post-login: []\n")
    tenant = build_tenant([first, second], state_dir=tmp_path / "state")
    assert core_bindings.bound_actions(tenant, "post-login") == []
    assert [a.name for a in core_bindings.bound_actions(tenant, "post-change-password")] == ["after-change"]
