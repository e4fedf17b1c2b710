"""Rules, rules configs, hooks and hook secrets (core/resources/catalog/legacy.py): refused with
403 on a tenant created after Auth0 retired them (the default), stored CRUD with Auth0's recorded
shapes and errors on a tenant created before (`mockidp: {rules_and_hooks: true}`)."""
from __future__ import annotations

import re

import pytest
from conftest import Api, server_beside_default
from management_crud import assert_error, conforms

SCRIPT = "function (user, context, callback) { callback(null, user, context); }"
HOOK = {"name": "hook-one", "script": "module.exports = function (user, context, cb) { cb(null, { user }); };",
        "triggerId": "pre-user-registration"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with server_beside_default(tmp_path_factory.mktemp("legacy"), "mockidp: {rules_and_hooks: true}\n") as started:
        yield started


@pytest.fixture
def old(server) -> Api:
    server.reset()
    return Api(server.url, server.management_token())


def test_a_new_tenant_refuses_them(api: Api):
    for method, path in (("GET", "/rules"), ("POST", "/hooks"), ("GET", "/hooks/x1/secrets"),
                         ("PUT", "/rules-configs/foo")):
        assert_error(api.request(method, "/api/v2" + path, json={}), 403,
                     "Rules and Hooks are not available for this tenant: use Actions instead.", "feature_not_enabled")


def test_a_rule_is_created_with_auth0s_defaults_ordered_after_the_others(old: Api):
    created = conforms("POST /rules", old.post("/api/v2/rules", json={"name": "first", "script": SCRIPT}), 201)
    assert created["id"].startswith("rul_") and len(created["id"]) == 20
    assert {key: created[key] for key in ("enabled", "order", "stage")} == \
        {"enabled": True, "order": 1, "stage": "login_success"}
    second = old.post("/api/v2/rules", json={"name": "second", "script": SCRIPT, "enabled": False}).json()
    assert second["order"] == 2
    assert_error(old.post("/api/v2/rules", json={"name": "first", "script": SCRIPT}), 409,
                 "A rule with the same name already exists.")
    assert_error(old.post("/api/v2/rules", json={"name": "third", "script": SCRIPT, "order": 1}), 409,
                 "A rule with the same order already exists.")
    item = f"/api/v2/rules/{created['id']}"
    assert conforms("PATCH /rules/{id}", old.patch(item, json={"order": 5}), 200)["order"] == 5
    listed = old.get("/api/v2/rules", params={"include_totals": "true", "fields": "id", "include_fields": "true"})
    assert listed.json() == {"total": 2, "start": 0, "limit": 50, "rules": [{"id": created["id"]}, {"id": second["id"]}]}
    assert old.delete(item).status_code == 204 and old.delete(item).status_code == 204  # as recorded
    assert_error(old.get(item), 404, "The rule does not exist", "inexistent_rule")


def test_a_rules_config_is_put_listed_by_key_and_deleted(old: Api):
    assert conforms("PUT /rules-configs/{key}", old.put("/api/v2/rules-configs/foo", json={"value": "bar"}), 200) == \
        {"key": "foo", "value": "bar"}
    assert old.put("/api/v2/rules-configs/foo", json={"value": "baz"}).json() == {"key": "foo", "value": "baz"}
    listed = old.get("/api/v2/rules-configs", params={"include_totals": "true", "per_page": 50})  # a spec gap
    assert listed.json() == [{"key": "foo"}]  # values are never listed
    assert old.delete("/api/v2/rules-configs/foo").status_code == 204
    assert old.delete("/api/v2/rules-configs/foo").status_code == 204
    assert old.get("/api/v2/rules-configs").json() == []


def test_a_hook_has_a_ulid_and_its_secrets_are_never_shown(old: Api):
    hook = conforms("POST /hooks", old.post("/api/v2/hooks", json=HOOK), 201)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", hook["id"])
    assert (hook["enabled"], hook["dependencies"]) == (False, {})
    assert_error(old.post("/api/v2/hooks", json=HOOK), 409, "Hook with the same name already exists.")
    secrets = f"/api/v2/hooks/{hook['id']}/secrets"
    added = old.post(secrets, json={"SECRET1": "one", "SECRET2": "two"})
    assert (added.status_code, added.json()) == (201, {})
    assert_error(old.post(secrets, json={"SECRET1": "again"}), 409, "Secret with the same name already exists.")
    assert old.patch(secrets, json={"SECRET1": "changed"}).status_code == 201
    assert_error(old.patch(secrets, json={"MISSING": "x"}), 404, "Hook or secret not found.")
    assert old.delete(secrets, json=["SECRET2"]).status_code == 204
    assert old.get(secrets).json() == {"SECRET1": "_VALUE_NOT_SHOWN_"}
    assert "secrets" not in old.get(f"/api/v2/hooks/{hook['id']}").json()
    listed = conforms("GET /hooks", old.get("/api/v2/hooks", params={"include_totals": "true"}), 200)
    assert [entry["id"] for entry in listed["hooks"]] == [hook["id"]]
    assert old.delete(f"/api/v2/hooks/{hook['id']}").status_code == 204
    missing = old.delete(f"/api/v2/hooks/{hook['id']}")  # unlike a rule's, recorded as 404
    assert_error(missing, 404, "Error: Hook does not exist", "HookDoesNotExist")
    assert_error(old.get(secrets), 404, "Error: Hook does not exist", "HookDoesNotExist")
