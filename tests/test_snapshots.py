"""/_mock/snapshots: a snapshot names the whole state of a tenant; restoring it makes the same
requests give the same ids, and brings back the outbox, the email queue, the clock and sessions."""
from __future__ import annotations

import pytest
import requests
from conftest import Api

CONNECTION = "Username-Password-Authentication"
SPA = "mockidpSpaClient0000000000000000"


def control(mockidp, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{mockidp.url}/_mock{path}", timeout=10, **kwargs)


@pytest.fixture(autouse=True)
def forget_snapshots(mockidp):
    """Snapshots survive resets (that is their point), so each test deletes the ones it took."""
    yield
    for snapshot in control(mockidp, "GET", "/snapshots").json()["snapshots"]:
        control(mockidp, "DELETE", f"/snapshots/{snapshot['name']}")


def create_user(api: Api, email: str) -> str:
    made = api.post("/api/v2/users", json={"connection": CONNECTION, "email": email, "password": "Sup3r$ecret!"})
    assert made.status_code == 201, made.text
    return made.json()["user_id"]


def test_restore_returns_to_the_moment_and_replays_the_same_ids(mockidp):
    mockidp.freeze("2030-01-01T00:00:00Z")
    api = Api(mockidp.url, mockidp.management_token())
    create_user(api, "before@example.com")
    control(mockidp, "PATCH", "/settings", json={"email": {"delivery": "manual"}})
    requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=10,
                  json={"client_id": SPA, "email": "before@example.com", "connection": CONNECTION})
    taken = control(mockidp, "POST", "/snapshots", json={"name": "world-1"})
    assert taken.status_code == 201
    assert taken.json() == {"name": "world-1", "clock": {"now": "2030-01-01T00:00:00.000Z", "frozen": True}}
    outbox, queue = mockidp.outbox(), control(mockidp, "GET", "/email-queue").json()["messages"]
    assert [m["to"] for m in outbox] == ["before@example.com"] and len(queue) == 1  # the reset email waits

    first_run = [create_user(api, "after@example.com"), create_user(api, "later@example.com")]
    mockidp.advance(7200)
    mockidp.flush_emails()
    logs_after = api.get("/api/v2/logs").json()

    restored = control(mockidp, "POST", "/snapshots/world-1/restore")
    assert restored.json() == {"restored": "world-1", "clock": {"now": "2030-01-01T00:00:00.000Z", "frozen": True}}
    assert api.get("/api/v2/users-by-email", params={"email": "after@example.com"}).json() == []
    assert mockidp.outbox() == outbox
    assert control(mockidp, "GET", "/email-queue").json()["messages"] == queue
    assert control(mockidp, "GET", "/settings").json()["email"]["delivery"] == "manual"

    second_run = [create_user(api, "after@example.com"), create_user(api, "later@example.com")]
    assert second_run == first_run  # same state, same requests: same ids
    mockidp.advance(7200)
    mockidp.flush_emails()
    assert api.get("/api/v2/logs").json() == logs_after
    # The snapshot is unchanged by what happened after it: restore it again.
    control(mockidp, "POST", "/snapshots/world-1/restore")
    assert api.get("/api/v2/users-by-email", params={"email": "later@example.com"}).json() == []


def test_snapshots_survive_reset_and_belong_to_their_tenant(mockidp, api):
    create_user(api, "kept@example.com")
    assert control(mockidp, "POST", "/snapshots", json={"name": "kept"}).status_code == 201
    mockidp.reset()
    assert api.get("/api/v2/users-by-email", params={"email": "kept@example.com"}).json() == []
    assert [s["name"] for s in control(mockidp, "GET", "/snapshots").json()["snapshots"]] == ["kept"]
    assert control(mockidp, "POST", "/snapshots/kept/restore").status_code == 200
    assert len(api.get("/api/v2/users-by-email", params={"email": "kept@example.com"}).json()) == 1

    made = control(mockidp, "POST", "/tenants", json={"name": "snapshot-owner"}).json()
    try:
        other = requests.get(f"{made['url']}/_mock/snapshots", timeout=10).json()
        assert other == {"snapshots": []}
        assert requests.post(f"{made['url']}/_mock/snapshots/kept/restore", timeout=10).status_code == 404
    finally:
        control(mockidp, "DELETE", "/tenants/snapshot-owner")
    # A deleted tenant's snapshots are gone with it.
    assert requests.post(f"{made['url']}/_mock/snapshots", json={"name": "x"}, timeout=10).status_code == 404
    assert control(mockidp, "DELETE", "/snapshots/kept").status_code == 204
    assert control(mockidp, "GET", "/snapshots").json() == {"snapshots": []}


def test_bad_snapshot_requests(mockidp):
    assert control(mockidp, "POST", "/snapshots", json={"name": "one"}).status_code == 201
    for body in ({}, {"name": ""}, {"name": "a b"}, {"name": 3}, {"name": "ok", "extra": 1}, [1]):
        answer = control(mockidp, "POST", "/snapshots", json=body)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request", body
    duplicate = control(mockidp, "POST", "/snapshots", json={"name": "one"})
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "conflict"
    assert control(mockidp, "POST", "/snapshots/none/restore").status_code == 404
    assert control(mockidp, "DELETE", "/snapshots/none").status_code == 404
    assert [s["name"] for s in control(mockidp, "GET", "/snapshots").json()["snapshots"]] == ["one"]
