"""Actions Modules (/api/v2/actions/modules/*) and deploying an earlier Action version
(POST /actions/actions/{actionId}/versions/{id}/deploy), over HTTP with every answer held to the
spec's schemas: stored state, versions and roll-backs, Actions naming module versions, what runs
at a real login (the module's code and secrets through require('actions:<name>'), the version
deployed last), bad input, unknown ids, scopes, fixtures, and the state export round trip."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
import yaml
from action_helpers import management_sdk
from auth0.management.core.api_error import ApiError
from conftest import Api
from management_crud import assert_error, conforms, invalid_body, scoped
from management_spec import insufficient_scope_body
from npm_packages import node_sdk_modules
from oauth_helpers import (
    ALICE,
    REALM,
    WEB_ID,
    WEB_SECRET,
    token_request,
    verify_id_token,
)
from test_deploy_cli import run_deploy_cli

from mockidp.core.fixtures.directory_export import read as read_directory_export
from mockidp.core.fixtures.files import DEFAULT_FIXTURE
from mockidp.core.tenant.errors import FixtureError
from mockidp.testing import MockIdPServer

MODULES = "/api/v2/actions/modules"
ACTIONS = "/api/v2/actions/actions"
MODULE_ID = re.compile(r"mod_[A-Za-z0-9]{16}")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
NANOS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")
CONNECTION = "Username-Password-Authentication"
CLAIM = "https://example.com/greeting"

# A module whose greeting uses its own secret (Auth0: `actions.secrets` inside a module).
GREETER = "module.exports = { greet: (name) => `${actions.secrets.GREETING}, ${name} (v1)` };"
GREETER_V2 = "module.exports = { greet: (name) => `${actions.secrets.GREETING}, ${name} (v2)` };"
USES_GREETER = f"""
const greeter = require('actions:greeter');
exports.onExecutePostLogin = async (event, api) => {{
  api.idToken.setCustomClaim('{CLAIM}', greeter.greet(event.user.email));
}};
"""


def claim_code(value: str) -> str:
    return (f"exports.onExecutePostLogin = async (event, api) => "
            f"{{ api.idToken.setCustomClaim('{CLAIM}', {json.dumps(value)}); }};")


# --- helpers ------------------------------------------------------------------------------------

def create_module(api: Api, name: str = "greeter", code: str = GREETER, **body) -> dict:
    body = {"name": name, "code": code, "secrets": [{"name": "GREETING", "value": "Hello"}], **body}
    return conforms("POST /actions/modules", api.post(MODULES, json=body), 201)


def publish(api: Api, module_id: str) -> dict:
    return conforms("POST /actions/modules/{id}/versions", api.post(f"{MODULES}/{module_id}/versions"), 200)


def get_module(api: Api, module_id: str) -> dict:
    return conforms("GET /actions/modules/{id}", api.get(f"{MODULES}/{module_id}"), 200)


def create_action(api: Api, name: str = "uses-greeter", code: str = USES_GREETER, **body) -> dict:
    body = {"name": name, "supported_triggers": [{"id": "post-login", "version": "v3"}], "code": code, **body}
    return conforms("POST /actions/actions", api.post(ACTIONS, json=body), 201)


def deploy(api: Api, action_id: str) -> dict:
    return conforms("POST /actions/actions/{id}/deploy", api.post(f"{ACTIONS}/{action_id}/deploy"), 200,
                    documented_as=202)


def bind(api: Api, *names: str) -> None:
    response = api.patch("/api/v2/actions/triggers/post-login/bindings",
                         json={"bindings": [{"ref": {"type": "action_name", "value": n}} for n in names]})
    assert response.status_code == 200, response.text


def everything(api: Api) -> dict:
    """All that the modules and actions APIs show, to prove a refused call wrote nothing."""
    modules = api.get(MODULES).json()
    return {"modules": modules, "actions": api.get(ACTIONS, params={"per_page": 100}).json(),
            "versions": {m["id"]: api.get(f"{MODULES}/{m['id']}/versions").json() for m in modules["modules"]}}


def greeting(base_url: str) -> str | None:
    """Alice signs in (password-realm grant): the claim the post-login Actions put in her ID token."""
    response = token_request(base_url, grant_type=REALM, realm=CONNECTION, username=ALICE[0], password=ALICE[1],
                             client_id=WEB_ID, client_secret=WEB_SECRET, scope="openid")
    assert response.status_code == 200, response.text
    return verify_id_token(base_url, response.json()["id_token"], audience=WEB_ID).get(CLAIM)


# --- the official SDK, unchanged, over HTTPS -------------------------------------------------------

def test_sdk_modules_versions_rollback_and_an_action_using_them(mockidp, monkeypatch):
    sdk = management_sdk(mockidp, monkeypatch)
    module = sdk.actions.modules.create(name="greeter", code=GREETER, secrets=[{"name": "GREETING", "value": "Hi"}])
    first = sdk.actions.modules.versions.create(module.id)
    sdk.actions.modules.update(module.id, code=GREETER_V2)
    second = sdk.actions.modules.versions.create(module.id)
    assert [v.version_number for v in sdk.actions.modules.versions.list(module.id)] == [2, 1]
    assert sdk.actions.modules.versions.get(module.id, first.id).code == GREETER
    assert [m.name for m in sdk.actions.modules.list()] == ["greeter"]
    action = sdk.actions.create(name="uses-greeter", code=USES_GREETER,
                                supported_triggers=[{"id": "post-login", "version": "v3"}],
                                modules=[{"module_id": module.id, "module_version_id": second.id}])
    version = sdk.actions.deploy(action.id)
    assert version.modules[0].module_version_number == 2
    [user] = list(sdk.actions.modules.list_actions(module.id))
    assert (user.action_name, user.module_version_id) == ("uses-greeter", second.id)
    rolled = sdk.actions.versions.deploy(action.id, version.id)
    assert (rolled.number, rolled.code) == (2, USES_GREETER)
    assert sdk.actions.modules.rollback(module.id, module_version_id=first.id).code == GREETER
    with pytest.raises(ApiError) as refused:
        sdk.actions.modules.delete(module.id)
    assert refused.value.status_code == 412


# --- modules: create, read, list, update ----------------------------------------------------------

def test_create_answers_the_draft_without_secret_values(api):
    module = create_module(api, dependencies=[{"name": "lodash", "version": "4.17.21"}], api_version="1")
    assert MODULE_ID.fullmatch(module["id"]) and NANOS.fullmatch(module["created_at"])
    assert module == {"id": module["id"], "name": "greeter", "code": GREETER,
                      "dependencies": [{"name": "lodash", "version": "4.17.21"}],
                      "secrets": [{"name": "GREETING", "updated_at": module["created_at"]}],
                      "actions_using_module_total": 0, "all_changes_published": False,
                      "created_at": module["created_at"], "updated_at": module["created_at"]}
    assert get_module(api, module["id"]) == module
    listed = conforms("GET /actions/modules", api.get(MODULES), 200)
    assert listed == {"modules": [module], "total": 1, "page": 0, "per_page": 1}


def test_create_with_publish_answers_version_1(api):
    module = create_module(api, publish=True)
    assert module["latest_version_number"] == 1 and module["all_changes_published"] is True
    latest = module["latest_version"]
    assert UUID4.fullmatch(latest["id"])
    assert latest == {"id": latest["id"], "version_number": 1, "code": GREETER, "dependencies": [],
                      "secrets": [{"name": "GREETING", "updated_at": module["created_at"]}],
                      "created_at": module["created_at"]}
    item = api.get(MODULES).json()["modules"][0]
    assert "latest_version" not in item and item["latest_version_number"] == 1  # the list item schema


def test_names_are_unique(api):
    create_module(api)
    before = everything(api)
    response = api.post(MODULES, json={"name": "greeter", "code": "x"})
    assert_error(response, 409, "An action module with the name 'greeter' already exists.",
                 operation="POST /actions/modules")
    assert everything(api) == before


def test_list_pages_when_per_page_is_sent(api):
    made = [create_module(api, name=f"m{index}")["id"] for index in range(5)]
    page = conforms("GET /actions/modules", api.get(MODULES, params={"page": 1, "per_page": 2}), 200)
    assert [m["id"] for m in page["modules"]] == made[2:4]
    assert (page["total"], page["page"], page["per_page"]) == (5, 1, 2)
    assert [m["id"] for m in api.get(MODULES).json()["modules"]] == made  # paging disabled without per_page
    assert_error(api.get(MODULES, params={"page": -1}), 400,
                 "Query validation error: 'Value -1 is less than minimum 0' on property page (Page index of the "
                 "results to return. First page is 0.).", "invalid_query_string")
    assert_error(api.get(MODULES, params={"per_page": -1}), 400,
                 "Query validation error: 'Value -1 is less than minimum 0' on property per_page (Number of "
                 "results per page. Paging is disabled if parameter not sent.).", "invalid_query_string")


def test_patch_changes_the_draft_only(mockidp, api):
    module = create_module(api, publish=True)
    mockidp.advance(seconds=5)
    updated = conforms("PATCH /actions/modules/{id}", api.patch(f"{MODULES}/{module['id']}", json={
        "code": GREETER_V2, "secrets": [{"name": "GREETING", "value": "Hi"}, {"name": "OTHER", "value": "x"}]}), 200)
    assert updated["code"] == GREETER_V2 and updated["all_changes_published"] is False
    assert updated["updated_at"] > module["updated_at"] and updated["created_at"] == module["created_at"]
    assert [s["name"] for s in updated["secrets"]] == ["GREETING", "OTHER"]
    assert updated["latest_version"] == module["latest_version"]  # what is published is unchanged
    assert get_module(api, module["id"]) == updated


@pytest.mark.parametrize("path, body, message", [
    (MODULES, {"name": "m"}, "'Missing required property: code'."),
    (MODULES, {"code": "x"}, "'Missing required property: name'."),
    (MODULES, {"name": "m", "code": "x", "bogus": 1}, "'Additional properties not allowed: bogus'."),
    (MODULES, {"name": "m", "code": 5},
     "'Expected type string but found type integer' on property code (The source code of the action module)."),
    (MODULES, {"name": "m", "code": "x", "dependencies": [{"name": "lodash"}]},
     "'Missing required property: version' on property dependencies[0]."),
    (MODULES, {"name": "m", "code": "x", "secrets": [{"name": "S"}]},
     "'Missing required property: value' on property secrets[0]."),
    (MODULES, {"name": "m", "code": "x", "publish": "yes"},
     ("'Expected type boolean but found type string' on property publish (Whether to publish the module "
      "immediately after creation).")),
    ("{module}", {"name": "renamed"}, "'Additional properties not allowed: name'."),
    ("{module}/rollback", {}, "'Missing required property: module_version_id'."),
])
def test_bad_bodies_are_refused_without_writing(api, path, body, message):
    module = create_module(api, name="existing")
    before = everything(api)
    response = api.request("POST" if path != "{module}" else "PATCH",
                           path.replace("{module}", f"{MODULES}/{module['id']}"), json=body)
    assert (response.status_code, response.json()) == (400, invalid_body(message))
    assert everything(api) == before


# --- versions and roll-back -------------------------------------------------------------------------

def test_publish_versions_newest_first(mockidp, api):
    module = create_module(api)
    first = publish(api, module["id"])
    assert first == {"id": first["id"], "module_id": module["id"], "version_number": 1, "code": GREETER,
                     "dependencies": [], "secrets": [{"name": "GREETING", "updated_at": module["created_at"]}],
                     "created_at": first["created_at"]}
    assert_error(api.post(f"{MODULES}/{module['id']}/versions"), 409,
                 "No draft version is available to publish: the draft has no changes since version 1.",
                 operation="POST /actions/modules/{id}/versions")
    api.patch(f"{MODULES}/{module['id']}", json={"code": GREETER_V2})
    mockidp.advance(seconds=1)
    second = publish(api, module["id"])
    assert (second["version_number"], second["code"]) == (2, GREETER_V2)
    shown = get_module(api, module["id"])
    assert (shown["latest_version_number"], shown["latest_version"]["id"], shown["all_changes_published"]) == (
        2, second["id"], True)
    listed = conforms("GET /actions/modules/{id}/versions", api.get(f"{MODULES}/{module['id']}/versions"), 200)
    assert [v["id"] for v in listed["versions"]] == [second["id"], first["id"]]
    assert (listed["total"], listed["page"], listed["per_page"]) == (2, 0, 20)
    paged = api.get(f"{MODULES}/{module['id']}/versions", params={"page": 1, "per_page": 1}).json()
    assert [v["id"] for v in paged["versions"]] == [first["id"]]
    one = api.get(f"{MODULES}/{module['id']}/versions/{first['id']}")
    assert conforms("GET /actions/modules/{id}/versions/{versionId}", one, 200) == first


def test_rollback_copies_a_version_into_the_draft(api):
    module = create_module(api, publish=True)
    first = module["latest_version"]
    api.patch(f"{MODULES}/{module['id']}", json={"code": GREETER_V2, "secrets": [{"name": "NEW", "value": "n"}]})
    publish(api, module["id"])
    rolled = conforms("POST /actions/modules/{id}/rollback", api.post(
        f"{MODULES}/{module['id']}/rollback", json={"module_version_id": first["id"]}), 200)
    assert (rolled["code"], [s["name"] for s in rolled["secrets"]]) == (GREETER, ["GREETING"])
    assert rolled["latest_version_number"] == 2 and rolled["all_changes_published"] is False
    assert_error(api.post(f"{MODULES}/{module['id']}/rollback", json={"module_version_id": first["id"]}), 409,
                 "Version 1 is already the current draft version.", operation="POST /actions/modules/{id}/rollback")
    third = publish(api, module["id"])  # the rolled-back draft publishes as version 3, its secret value kept
    assert (third["version_number"], third["code"]) == (3, GREETER)


def test_unknown_module_or_version_is_404(api):
    module = create_module(api, publish=True)
    for operation, method, path, body in [
        ("GET /actions/modules/{id}", "GET", f"{MODULES}/nope", None),
        ("PATCH /actions/modules/{id}", "PATCH", f"{MODULES}/nope", {"code": "x"}),
        ("DELETE /actions/modules/{id}", "DELETE", f"{MODULES}/nope", None),
        ("GET /actions/modules/{id}/actions", "GET", f"{MODULES}/nope/actions", None),
        ("GET /actions/modules/{id}/versions", "GET", f"{MODULES}/nope/versions", None),
        ("POST /actions/modules/{id}/versions", "POST", f"{MODULES}/nope/versions", None),
        ("GET /actions/modules/{id}/versions/{versionId}", "GET", f"{MODULES}/nope/versions/x", None),
        ("POST /actions/modules/{id}/rollback", "POST", f"{MODULES}/nope/rollback", {"module_version_id": "x"}),
    ]:
        assert_error(api.request(method, path, json=body), 404, "That action module does not exist.",
                     operation=operation)
    for operation, method, path, body in [
        ("GET /actions/modules/{id}/versions/{versionId}", "GET", f"{MODULES}/{module['id']}/versions/nope", None),
        ("POST /actions/modules/{id}/rollback", "POST", f"{MODULES}/{module['id']}/rollback",
         {"module_version_id": "nope"}),
    ]:
        assert_error(api.request(method, path, json=body), 404, "That action module version does not exist.",
                     operation=operation)


# --- actions naming module versions ---------------------------------------------------------------

def test_an_action_names_a_module_version_by_name_or_id(api):
    module = create_module(api, publish=True)
    version = module["latest_version"]
    reference = {"module_id": module["id"], "module_name": "greeter", "module_version_id": version["id"],
                 "module_version_number": 1}
    by_name = create_action(api, name="by-name", modules=[{"module_name": "greeter", "module_version_number": 1}])
    by_id = create_action(api, name="by-id", modules=[{"module_id": module["id"], "module_version_id": version["id"]}])
    assert by_name["modules"] == by_id["modules"] == [reference]
    deployed = deploy(api, by_name["id"])
    assert deployed["modules"] == [reference]
    assert get_module(api, module["id"])["actions_using_module_total"] == 1  # deployed ones only
    users = conforms("GET /actions/modules/{id}/actions", api.get(f"{MODULES}/{module['id']}/actions"), 200)
    assert users == {"actions": [{"action_id": by_name["id"], "action_name": "by-name",
                                  "module_version_id": version["id"], "module_version_number": 1,
                                  "supported_triggers": [{"id": "post-login", "version": "v3"}]}],
                     "total": 1, "page": 0, "per_page": 20}


@pytest.mark.parametrize("modules, message, code", [
    ([{"module_name": "nope", "module_version_number": 1}],
     "That action module does not exist: module_name 'nope' (modules[0]).", None),
    ([{"module_id": "mod_nope", "module_version_number": 1}],
     "That action module does not exist: module_id 'mod_nope' (modules[0]).", None),
    ([{"module_name": "greeter", "module_version_number": 2}],
     "The action module 'greeter' has no published version 2 (modules[0]).", None),
    ([{"module_name": "greeter"}],
     "Payload validation error: 'Missing required property: module_version_id' on property modules[0].",
     "invalid_body"),
    ([{"module_name": "greeter", "module_version_number": 1}, {"module_name": "greeter", "module_version_number": 1}],
     "The action module 'greeter' is referenced more than once (modules[1]).", None),
    ([{"module_name": "greeter", "module_version_number": "1"}],
     ("Payload validation error: 'Expected type integer but found type string' on property "
      "modules[0].module_version_number (The version number of the module)."), "invalid_body"),
])
def test_bad_module_references_are_refused_without_writing(api, modules, message, code):
    create_module(api, publish=True)
    action = create_action(api, name="existing", code=claim_code("x"))
    before = everything(api)
    for response in (api.post(ACTIONS, json={"name": "new", "supported_triggers": [{"id": "post-login"}],
                                             "modules": modules}),
                     api.patch(f"{ACTIONS}/{action['id']}", json={"modules": modules})):
        assert_error(response, 400, message, code)
    assert everything(api) == before


def test_a_module_in_use_cannot_be_deleted(api):
    module = create_module(api, publish=True)
    action = create_action(api, modules=[{"module_name": "greeter", "module_version_number": 1}])
    before = everything(api)
    assert_error(api.delete(f"{MODULES}/{module['id']}"), 412,
                 "The action module is in use by the action 'uses-greeter': remove it from their modules and "
                 "deploy them first.", operation="DELETE /actions/modules/{id}")
    assert everything(api) == before
    deploy(api, action["id"])
    api.patch(f"{ACTIONS}/{action['id']}", json={"modules": []})
    assert api.delete(f"{MODULES}/{module['id']}").status_code == 412  # the deployed version still uses it
    assert [m["id"] for m in everything(api)["modules"]["modules"]] == [module["id"]]
    deploy(api, action["id"])
    response = api.delete(f"{MODULES}/{module['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert_error(api.get(f"{MODULES}/{module['id']}"), 404, "That action module does not exist.")


# --- what runs at a login ---------------------------------------------------------------------------

def test_a_login_runs_the_module_version_the_deployed_action_names(mockidp, api):
    module = create_module(api, publish=True)
    action = create_action(api, modules=[{"module_name": "greeter", "module_version_number": 1}])
    deploy(api, action["id"])
    bind(api, "uses-greeter")
    assert greeting(mockidp.url) == "Hello, alice@example.com (v1)"
    # A new module version changes nothing until the Action names it and is deployed again.
    api.patch(f"{MODULES}/{module['id']}", json={"code": GREETER_V2, "secrets": [{"name": "GREETING", "value": "Hey"}]})
    publish(api, module["id"])
    assert greeting(mockidp.url) == "Hello, alice@example.com (v1)"
    api.patch(f"{ACTIONS}/{action['id']}", json={"modules": [{"module_name": "greeter", "module_version_number": 2}]})
    assert greeting(mockidp.url) == "Hello, alice@example.com (v1)"
    deploy(api, action["id"])
    assert greeting(mockidp.url) == "Hey, alice@example.com (v2)"


def test_an_action_requires_only_the_modules_it_names(mockidp, api):
    create_module(api, publish=True)
    create_action(api, modules=[], deploy=True)  # names no module: require('actions:greeter') fails
    bind(api, "uses-greeter")
    response = token_request(mockidp.url, grant_type=REALM, realm=CONNECTION, username=ALICE[0],
                             password=ALICE[1], client_id=WEB_ID, client_secret=WEB_SECRET, scope="openid")
    assert response.status_code == 403, response.text
    assert response.json()["error_description"] == "Cannot find module 'actions:greeter'"


def test_the_test_endpoint_runs_the_drafts_modules(api):
    create_module(api, publish=True)
    action = create_action(api, modules=[{"module_name": "greeter", "module_version_number": 1}])
    response = api.post(f"{ACTIONS}/{action['id']}/test", json={"payload": {"user": {"email": "x@example.com"}}})
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["commands"] == [
        {"op": "idToken.setCustomClaim", "key": CLAIM, "value": "Hello, x@example.com (v1)"}]


def run_test(api: Api, module_code: str, action_code: str) -> dict:
    """The test endpoint's payload for an Action naming one module (published with `module_code`)."""
    create_module(api, name="lib", code=module_code, publish=True)
    action = create_action(api, name="probe", code=action_code,
                           secrets=[{"name": "ACTION_ONLY", "value": "a"}],
                           modules=[{"module_name": "lib", "module_version_number": 1}])
    response = api.post(f"{ACTIONS}/{action['id']}/test", json={"payload": {}})
    assert response.status_code == 200, response.text
    return response.json()["payload"]


REPORT = """exports.onExecutePostLogin = async (event, api) => {
  const lib = require('actions:lib');
  api.idToken.setCustomClaim('report', require('actions:lib').report());
  api.idToken.setCustomClaim('same', lib === require('actions:lib'));
};"""


def test_a_module_sees_its_own_secrets_and_loads_once(api):
    payload = run_test(api, """let loads = 0; loads += 1;
const hash = require('crypto').createHash('sha256').update('x').digest('hex').length;
module.exports = { report: () => ({ loads, secrets: Object.keys(actions.secrets), hash }) };""", REPORT)
    assert payload["error"] is None, payload
    assert payload["commands"] == [
        {"op": "idToken.setCustomClaim", "key": "report", "value": {"loads": 1, "secrets": ["GREETING"], "hash": 64}},
        {"op": "idToken.setCustomClaim", "key": "same", "value": True}]


def test_a_module_loads_the_npm_packages_it_declares(api, monkeypatch):
    monkeypatch.setenv("MOCKIDP_ACTIONS_MODULES", str(node_sdk_modules()))  # node-auth0, installed on first use
    create_module(api, name="lib", publish=True, dependencies=[{"name": "auth0", "version": "7.1.0"}],
                  code="module.exports = { report: () => typeof require('auth0').ManagementClient };")
    action = create_action(api, name="probe", modules=[{"module_name": "lib", "module_version_number": 1}],
                           code="""exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('module', require('actions:lib').report());
  try { require('auth0'); } catch (error) { api.idToken.setCustomClaim('action', error.message); }
};""")
    response = api.post(f"{ACTIONS}/{action['id']}/test", json={"payload": {}})
    assert response.status_code == 200, response.text
    assert [c["value"] for c in response.json()["payload"]["commands"]] == [
        "function", "Cannot find module 'auth0'"]  # the module's dependency is not the Action's


@pytest.mark.parametrize("module_code, message", [
    ("require('lodash'); module.exports = {};", "Cannot find module 'lodash'"),  # not a declared dependency
    ("require('actions:greeter'); module.exports = {};",
     "Cannot find module 'actions:greeter' (an Actions Module cannot require another one)"),
    ("throw new Error('module broke');", "module broke"),
])
def test_what_a_module_cannot_do_fails_the_action(api, module_code, message):
    payload = run_test(api, module_code, REPORT)
    assert payload["error"]["message"] == message and payload["commands"] == []


# --- deploying an earlier action version -------------------------------------------------------------

def test_deploying_an_earlier_version_runs_it_at_the_next_login(mockidp, api):
    action = create_action(api, name="greets", code=claim_code("one"))
    first = deploy(api, action["id"])
    api.patch(f"{ACTIONS}/{action['id']}", json={"code": claim_code("two")})
    deploy(api, action["id"])
    bind(api, "greets")
    assert greeting(mockidp.url) == "two"
    mockidp.advance(seconds=3)
    response = api.post(f"{ACTIONS}/{action['id']}/versions/{first['id']}/deploy", json=None)
    rolled = conforms("POST /actions/actions/{actionId}/versions/{id}/deploy", response, 200, documented_as=202)
    assert UUID4.fullmatch(rolled["id"]) and rolled["id"] != first["id"]
    assert (rolled["number"], rolled["code"], rolled["deployed"]) == (3, claim_code("one"), True)
    assert rolled["created_at"] > first["created_at"]
    assert greeting(mockidp.url) == "one"
    shown = api.get(f"{ACTIONS}/{action['id']}").json()
    assert shown["code"] == claim_code("two")  # the draft is kept without update_draft
    assert shown["all_changes_deployed"] is False and shown["deployed_version"]["id"] == rolled["id"]
    versions = api.get(f"{ACTIONS}/{action['id']}/versions").json()["versions"]
    assert [(v["number"], v["deployed"]) for v in versions] == [(3, True), (2, False), (1, False)]


def test_deploying_a_version_with_update_draft_replaces_the_draft(api):
    action = create_action(api, name="greets", code=claim_code("one"), secrets=[{"name": "K", "value": "1"}])
    first = deploy(api, action["id"])
    api.patch(f"{ACTIONS}/{action['id']}", json={"code": claim_code("two"), "secrets": [], "runtime": "node18"})
    deploy(api, action["id"])
    response = api.post(f"{ACTIONS}/{action['id']}/versions/{first['id']}/deploy", json={"update_draft": True})
    rolled = conforms("POST /actions/actions/{actionId}/versions/{id}/deploy", response, 200, documented_as=202)
    assert rolled["action"]["all_changes_deployed"] is True
    shown = api.get(f"{ACTIONS}/{action['id']}").json()
    assert (shown["code"], shown["runtime"], [s["name"] for s in shown["secrets"]]) == (
        claim_code("one"), "node22", ["K"])


def test_deploying_a_version_refuses_bad_input(api):
    action = create_action(api, name="greets", code=claim_code("one"))
    first = deploy(api, action["id"])
    before = everything(api)
    path = f"{ACTIONS}/{action['id']}/versions/{first['id']}/deploy"
    response = api.post(path, json={"update_draft": "yes"})
    assert (response.status_code, response.json()) == (400, invalid_body(
        "'Expected type boolean but found type string' on property update_draft (True if the draft of the "
        "action should be updated with the reverted version)."))
    assert_error(api.post(f"{ACTIONS}/{action['id']}/versions/nope/deploy"), 404,
                 "That action version does not exist.")
    assert_error(api.post(f"{ACTIONS}/nope/versions/{first['id']}/deploy"), 404, "That action does not exist.")
    assert everything(api) == before


# --- authorization --------------------------------------------------------------------------------

@pytest.mark.parametrize("operation, method, path, held", [
    ("GET /actions/modules", "GET", MODULES, "create:actions"),
    ("POST /actions/modules", "POST", MODULES, "read:actions"),
    ("GET /actions/modules/{id}", "GET", f"{MODULES}/x", "update:actions"),
    ("PATCH /actions/modules/{id}", "PATCH", f"{MODULES}/x", "read:actions"),
    ("DELETE /actions/modules/{id}", "DELETE", f"{MODULES}/x", "update:actions"),
    ("GET /actions/modules/{id}/actions", "GET", f"{MODULES}/x/actions", "delete:actions"),
    ("GET /actions/modules/{id}/versions", "GET", f"{MODULES}/x/versions", "create:actions"),
    ("POST /actions/modules/{id}/versions", "POST", f"{MODULES}/x/versions", "read:actions"),
    ("GET /actions/modules/{id}/versions/{versionId}", "GET", f"{MODULES}/x/versions/y", "update:actions"),
    ("POST /actions/modules/{id}/rollback", "POST", f"{MODULES}/x/rollback", "read:actions"),
    ("POST /actions/actions/{actionId}/versions/{id}/deploy", "POST", f"{ACTIONS}/x/versions/y/deploy",
     "update:actions"),
])
def test_scopes(mockidp, api, anonymous, operation, method, path, held):
    before = everything(api)
    response = scoped(mockidp, held).request(method, path, json={"name": "x", "code": "y"})
    assert (response.status_code, response.json()) == (403, insufficient_scope_body(operation))
    assert_error(anonymous.request(method, path, json={}), 401, "Missing authentication")
    assert everything(api) == before


# --- state export, reset and fixtures --------------------------------------------------------------

def test_modules_survive_the_state_export_round_trip(mockidp, api):
    mockidp.freeze()
    module = create_module(api, publish=True)
    create_action(api, modules=[{"module_name": "greeter", "module_version_number": 1}], deploy=True)
    bind(api, "uses-greeter")
    exported = requests.get(f"{mockidp.url}/_mock/state", timeout=30).content
    control = Api(mockidp.url)
    made = control.post("/_mock/tenants", json={"name": "modules-copy", "state": json.loads(exported)})
    try:
        assert made.status_code == 201, made.text
        copy_url = made.json()["url"]
        assert requests.get(f"{copy_url}/_mock/state", timeout=30).content == exported
        copy_api = Api(copy_url, mockidp.management_token(base_url=copy_url))
        assert everything(copy_api) == everything(api)
        assert get_module(copy_api, module["id"])["actions_using_module_total"] == 1
        assert greeting(copy_url) == "Hello, alice@example.com (v1)"  # the loaded module still runs
    finally:
        control.delete("/_mock/tenants/modules-copy")
    requests.post(f"{mockidp.url}/_mock/reset", timeout=30)
    assert api.get(MODULES).json()["modules"] == []  # reset forgets modules made since the fixtures


def test_a_snapshot_restores_modules_as_they_were(mockidp, api):
    snapshots = f"{mockidp.url}/_mock/snapshots"
    module = create_module(api, publish=True)
    create_action(api, modules=[{"module_name": "greeter", "module_version_number": 1}], deploy=True)
    before = everything(api)
    assert requests.post(snapshots, json={"name": "modules-1"}, timeout=10).status_code == 201
    try:
        api.patch(f"{MODULES}/{module['id']}", json={"code": GREETER_V2})
        publish(api, module["id"])
        create_module(api, name="another")
        assert requests.post(f"{snapshots}/modules-1/restore", timeout=10).status_code == 200
        assert everything(api) == before
    finally:
        requests.delete(f"{snapshots}/modules-1", timeout=10)


FIXTURE = """
actionModules:
  - name: greeter
    code: ./action-modules/greeter/code.js
    secrets: [{name: GREETING, value: Howdy}]
actions:
  - name: uses-greeter
    code: |
      const greeter = require('actions:greeter');
      exports.onExecutePostLogin = async (event, api) => {
        api.idToken.setCustomClaim('CLAIM', greeter.greet(event.user.email));
      };
    supported_triggers: [{id: post-login, version: v3}]
    modules: [{module_name: greeter, module_version_number: 1}]
    deployed: true
triggers:
  post-login:
    - action_name: uses-greeter
""".replace("CLAIM", CLAIM)


def test_fixture_modules_are_published_and_run(tmp_path: Path):
    (tmp_path / "action-modules" / "greeter").mkdir(parents=True)
    (tmp_path / "action-modules" / "greeter" / "code.js").write_text(GREETER)
    fixture = tmp_path / "tenant.yaml"
    fixture.write_text(FIXTURE)
    server = MockIdPServer(fixtures=[DEFAULT_FIXTURE, fixture], tls=False)  # Alice and the clients, and ours
    try:
        api = Api(server.url, server.management_token())
        module = api.get(MODULES).json()["modules"][0]
        assert (module["name"], module["code"], module["latest_version_number"]) == ("greeter", GREETER, 1)
        assert module["actions_using_module_total"] == 1
        assert greeting(server.url) == "Howdy, alice@example.com (v1)"
    finally:
        server.stop()


def test_deploy_cli_imports_modules_and_its_export_loads_as_fixtures(mockidp, tmp_path: Path):
    """auth0-deploy-cli 8.x, unchanged: its import creates and publishes the module and an Action
    naming version 1; its export writes them back; that export starts a mockidp that runs them."""
    source = tmp_path / "in"
    (source / "action-modules" / "greeter").mkdir(parents=True)
    (source / "action-modules" / "greeter" / "code.js").write_text(GREETER)
    (source / "actions").mkdir()
    (source / "actions" / "uses-greeter.js").write_text(USES_GREETER)
    (source / "tenant.yaml").write_text(DEPLOY_CLI_TENANT)
    exported, directory = tmp_path / "out", tmp_path / "export-dir"  # -dir: deploy-cli's directory format
    result = run_deploy_cli(mockidp, [("import", source / "tenant.yaml"), ("export", exported),
                                      ("export", directory)])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert greeting(mockidp.url) == "Hello, alice@example.com (v1)"
    export = yaml.safe_load((exported / "tenant.yaml").read_text())
    [module] = export["actionModules"]
    assert {key: module[key] for key in ("name", "all_changes_published", "latest_version_number",
                                         "actions_using_module_total", "secrets")} == {
        "name": "greeter", "all_changes_published": True, "latest_version_number": 1,
        "actions_using_module_total": 1, "secrets": [{"name": "GREETING"}]}  # values are never exported
    [action] = [a for a in export["actions"] if a["name"] == "uses-greeter"]
    assert action["modules"] == [{"module_name": "greeter", "module_version_number": 1}]
    # Its Actions sections, beside the default fixture (which has the clients' secrets and Alice,
    # which no export holds); written into the export so its code paths resolve the same.
    sections = exported / "actions-only.yaml"
    sections.write_text(yaml.safe_dump({key: export[key] for key in ("actionModules", "actions", "triggers")}))
    server = MockIdPServer(fixtures=[DEFAULT_FIXTURE, sections], tls=False)
    try:
        module_code = Api(server.url, server.management_token()).get(MODULES).json()["modules"][0]["code"]
        assert module_code == GREETER
        assert greeting(server.url) == ", alice@example.com (v1)"  # secret values are not in the export
    finally:
        server.stop()
    # The directory format (action-modules/greeter.json naming its code.js) reads the same.
    assert read_directory_export(directory)["actionModules"] == [
        {**module, "code": str(directory / "action-modules" / "greeter" / "code.js")}]


DEPLOY_CLI_TENANT = """
actionModules:
  - name: greeter
    code: ./action-modules/greeter/code.js
    secrets: [{name: GREETING, value: Hello}]
    all_changes_published: true
actions:
  - name: uses-greeter
    code: ./actions/uses-greeter.js
    deployed: true
    supported_triggers: [{id: post-login, version: v3}]
    modules: [{module_name: greeter, module_version_number: 1}]
triggers:
  post-login:
    - {action_name: uses-greeter, display_name: uses-greeter}
"""


@pytest.mark.parametrize("reference, problem", [
    ("{module_name: nope, module_version_number: 1}",
     r"actions\[0\].*That action module does not exist: module_name 'nope' \(modules\[0\]\)"),
    ("{module_name: nope, module_version_number: '1'}", r"actions\[0\]\.modules\[0\]\.module_version_number"),
    ("{module: nope}", r"actions\[0\]\.modules\[0\].*module"),
])
def test_a_fixture_action_naming_a_bad_module_fails_startup(tmp_path: Path, reference, problem):
    fixture = tmp_path / "tenant.yaml"
    fixture.write_text("actions:\n  - name: a\n    code: x\n    supported_triggers: [{id: post-login}]\n"
                       f"    modules: [{reference}]\n")
    with pytest.raises(FixtureError, match=problem):
        MockIdPServer(fixtures=[fixture], tls=False)
