"""The event stream over HTTP (GET /api/v2/events, Server-Sent Events): users and organizations
created, updated and deleted through the Management API or a signup come out as CloudEvents, each
message held to the spec's schema, read from a cursor, filtered by type; bad cursors refused."""
from __future__ import annotations

import json

import pytest
import requests
from conftest import Api, new_user
from management_crud import assert_error, scoped
from management_spec import schema_validator
from oauth_helpers import SPA_ID

MESSAGE = "EventStreamSubscribeEventsResponseContent"


def read(api: Api, **params) -> list[dict]:
    """The stream's messages as the SDKs hand them out: the JSON of `data`, `type` from `event`."""
    response = api.get("/api/v2/events", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    messages = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        message = {"type": fields["event"], **json.loads(fields["data"])}
        assert fields["id"] == message["offset"]
        errors = list(schema_validator(MESSAGE).iter_errors(message))
        assert not errors, [error.message for error in errors[:3]]
        messages.append(message)
    assert messages[-1]["type"] == "offset-only"  # the last message tells where to resume
    return messages


def test_changes_to_users_and_organizations_come_out_in_order_from_a_cursor(api: Api):
    start = read(api)[-1]["offset"]  # no cursor: the stream starts at its end
    user = new_user(api, email="stream@example.com")
    api.patch(f"/api/v2/users/{user['user_id']}", json={"name": "Streamed"})
    organization = api.post("/api/v2/organizations", json={"name": "acme", "display_name": "Acme"}).json()
    members = f"/api/v2/organizations/{organization['id']}/members"
    assert api.post(members, json={"members": [user["user_id"]]}).status_code == 204
    assert api.delete(members, json={"members": [user["user_id"]]}).status_code == 204
    api.delete(f"/api/v2/organizations/{organization['id']}")
    api.delete(f"/api/v2/users/{user['user_id']}")
    messages = read(api, **{"from": start})
    assert [message["type"] for message in messages] == [
        "user.created", "user.updated", "organization.created", "organization.member.added",
        "organization.member.deleted", "organization.deleted", "user.deleted", "offset-only"]
    membership = {"organization": {"id": organization["id"]}, "user": {"user_id": user["user_id"]}}
    assert [message["event"]["data"]["object"] for message in messages[3:5]] == [membership, membership]
    created, updated, org_created, org_deleted, deleted = (messages[index]["event"] for index in (0, 1, 2, 5, 6))
    assert created["data"]["object"]["user_id"] == user["user_id"] == deleted["data"]["object"]["user_id"]
    assert updated["data"]["object"]["name"] == "Streamed" and "deleted_at" in deleted["data"]["object"]
    assert org_created["data"]["object"] == {"id": organization["id"], "name": "acme", "display_name": "Acme"}
    assert org_deleted["data"]["object"] == {"id": organization["id"]}
    assert len({message["event"]["id"] for message in messages[:-1]}) == 7
    resume = messages[-1]["offset"]
    assert resume == messages[-2]["offset"]
    assert [message["type"] for message in read(api, **{"from": resume})] == ["offset-only"]
    halfway = read(api, **{"from": messages[1]["offset"]})  # after the update
    assert [message["type"] for message in halfway][:1] == ["organization.created"]


def test_event_types_filter_and_a_signup_is_a_user_created(mockidp, api: Api):
    start = read(api)[-1]["offset"]
    signup = requests.post(f"{mockidp.url}/dbconnections/signup", timeout=30, json={
        "client_id": SPA_ID, "connection": "Username-Password-Authentication", "email": "signed@example.com",
        "password": "Sup3r$ecret!"})
    assert signup.status_code == 200, signup.text
    api.post("/api/v2/organizations", json={"name": "acme"})
    only_users = read(api, **{"from": start, "event_type": "user.created"})
    assert [message["type"] for message in only_users] == ["user.created", "offset-only"]
    assert only_users[0]["event"]["data"]["object"]["email"] == "signed@example.com"


def test_from_timestamp_starts_at_that_time(mockidp, api: Api):
    mockidp.freeze("2030-01-01T00:00:00Z")
    api = Api(mockidp.url, mockidp.management_token())
    new_user(api, email="early@example.com")
    mockidp.advance(60)
    new_user(api, email="late@example.com")
    messages = read(api, from_timestamp="2030-01-01T00:00:30Z")
    assert [message["event"]["data"]["object"]["email"] for message in messages[:-1]] == ["late@example.com"]


@pytest.mark.parametrize("params, status, message, code", [
    ({"from": "not-a-cursor"}, 400, "Invalid cursor format.", "invalid_cursor"),
    ({"from": "o999999999999"}, 400, "Invalid cursor format.", "invalid_cursor"),  # beyond the stream's end
    ({"event_type": "user.exploded"}, 400,
     "Query validation error: 'No enum match for: \"user.exploded\"' on property event_type[0].", "invalid_query_string"),
])
def test_bad_cursors_and_types_are_refused(api: Api, params, status, message, code):
    assert_error(api.get("/api/v2/events", params=params), status, message, code, operation="GET /events")


def test_reset_empties_the_stream_and_the_scope_is_needed(mockidp, api: Api):
    start = read(api)[-1]["offset"]
    new_user(api, email="gone@example.com")
    mockidp.reset()
    assert [message["type"] for message in read(api, **{"from": start})] == ["offset-only"]
    assert_error(scoped(mockidp, "read:logs").get("/api/v2/events"), 403,
                 "Insufficient scope, expected any of: read:events", "insufficient_scope")
