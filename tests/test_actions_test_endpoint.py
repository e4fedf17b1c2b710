"""Auth0's Actions test endpoint and execution records, over the Management API with requests:
POST /api/v2/actions/actions/{id}/test runs the draft code once with the given event (secrets
default to the Action's), answers its console output, api calls and error, and changes nothing;
send-phone-message, which no flow runs yet, is runnable this way. GET /api/v2/actions/executions/{id}
reads back an execution a trigger recorded.
"""
from __future__ import annotations

from conftest import Api
from oauth_helpers import Browser

CONNECTION = "Username-Password-Authentication"

SEND_SMS = """
exports.onExecuteSendPhoneMessage = async (event, api) => {
  console.log(`to ${event.message_options.recipient} via ${event.secrets.PROVIDER}: ${event.message_options.text}`);
};
"""


def create(api: Api, name: str, code: str, trigger: str, **extra) -> dict:
    created = api.post("/api/v2/actions/actions", json={
        "name": name, "code": code, "supported_triggers": [{"id": trigger, "version": "v2"}], **extra})
    assert created.status_code == 201, created.text
    return created.json()


def test_a_send_phone_message_action_runs_through_the_test_endpoint(api):
    action = create(api, "sms", SEND_SMS, "send-phone-message", secrets=[{"name": "PROVIDER", "value": "acme-sms"}])
    event = {"message_options": {"recipient": "+15555550100", "text": "Your code is 123456",
                                 "action": "enrollment", "message_type": "sms", "code": "123456"},
             "user": {"user_id": "auth0|1"}}
    tested = api.post(f"/api/v2/actions/actions/{action['id']}/test", json={"payload": event})
    assert tested.status_code == 200, tested.text
    assert tested.json() == {"payload": {"logs": "to +15555550100 via acme-sms: Your code is 123456",
                                         "commands": [], "error": None}}


def test_the_test_endpoint_answers_the_api_calls_and_errors_and_applies_nothing(api, mockidp):
    action = create(api, "deny", "exports.onExecutePostLogin = async (e, api) => { api.access.deny('nope'); };",
                    "post-login")
    tested = api.post(f"/api/v2/actions/actions/{action['id']}/test", json={"payload": {"user": {}}})
    assert tested.json()["payload"]["commands"] == [{"op": "access.deny", "reason": "nope"}]
    assert mockidp.action_executions() == []  # a test is not an execution

    broken = create(api, "broken", "exports.onExecutePostLogin = async ( => {};", "post-login")
    failed = api.post(f"/api/v2/actions/actions/{broken['id']}/test", json={"payload": {}}).json()["payload"]
    assert failed["error"]["name"] == "SyntaxError" and failed["commands"] == []

    missing = api.post("/api/v2/actions/actions/00000000-0000-4000-8000-000000000000/test", json={"payload": {}})
    assert missing.status_code == 404
    no_payload = api.post(f"/api/v2/actions/actions/{action['id']}/test", json={})
    assert no_payload.status_code == 400


def test_an_execution_reads_back_by_id_with_every_action_of_the_trigger_run(api, mockidp):
    ok = create(api, "logs", "exports.onExecutePostLogin = async () => { console.log('first'); };", "post-login")
    fails = create(api, "fails", "exports.onExecutePostLogin = async () => { throw new Error('boom'); };",
                   "post-login")
    for action in (ok, fails):
        assert api.post(f"/api/v2/actions/actions/{action['id']}/deploy").status_code == 200
    refs = [{"ref": {"type": "action_id", "value": action["id"]}, "display_name": action["name"]}
            for action in (ok, fails)]
    bound = api.patch("/api/v2/actions/triggers/post-login/bindings", json={"bindings": refs})
    assert bound.status_code == 200, bound.text
    assert Browser(mockidp.url).sign_in("alice@example.com", "Passw0rd!alice")["error"] == "access_denied"

    first, second = mockidp.action_executions()
    assert first["trigger_run_id"] == second["trigger_run_id"] != first["id"]
    execution = api.get(f"/api/v2/actions/executions/{first['trigger_run_id']}")
    assert execution.status_code == 200
    body = execution.json()
    assert (body["id"], body["trigger_id"], body["status"]) == (first["trigger_run_id"], "post-login", "final")
    assert body["results"] == [
        {"action_name": "logs", "started_at": first["started_at"], "ended_at": first["ended_at"]},
        {"action_name": "fails", "started_at": second["started_at"], "ended_at": second["ended_at"],
         "error": {"id": "Error", "msg": "boom"}}]
    assert (body["created_at"], body["updated_at"]) == (first["started_at"], second["ended_at"])
    assert api.get("/api/v2/actions/executions/nope").status_code == 404
