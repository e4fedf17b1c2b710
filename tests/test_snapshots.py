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


CONTROLS = {
    "latency": {"default_ms": 0, "default_jitter_ms": 0,
                "routes": [{"method": "GET", "path": "/.well-known/jwks.json", "ms": 5, "jitter_ms": 0}]},
    "fault": {"method": "GET", "path": "/userinfo", "status": 503, "fraction": 0.5, "times": 40},
    "barrier": {"method": "POST", "path": "/dbconnections/signup", "timeout_ms": 5000},
}


def install_controls(base_url: str) -> None:
    """Latency on JWKS, a fault firing at random on half the /userinfo calls, a barrier on signups."""
    def ok(answer: requests.Response) -> None:
        assert answer.status_code in (200, 201), answer.text

    ok(requests.patch(f"{base_url}/_mock/settings", json={"latency": CONTROLS["latency"]}, timeout=10))
    ok(requests.post(f"{base_url}/_mock/faults", json=CONTROLS["fault"], timeout=10))
    ok(requests.post(f"{base_url}/_mock/barriers", json=CONTROLS["barrier"], timeout=10))


def controls_of(base_url: str) -> dict:
    settings = requests.get(f"{base_url}/_mock/settings", timeout=10).json()
    return {key: settings[key] for key in ("latency", "faults", "barriers")}


def userinfo_statuses(base_url: str, count: int) -> list[int]:
    return [requests.get(f"{base_url}/userinfo", timeout=10).status_code for _ in range(count)]


def test_restore_brings_back_latency_faults_and_barriers(mockidp):
    install_controls(mockidp.url)
    userinfo_statuses(mockidp.url, 5)  # the fault's counters and its random stream move on
    before = controls_of(mockidp.url)
    assert before["faults"]["rules"][0]["matched"] == 5
    control(mockidp, "POST", "/snapshots", json={"name": "controls"})
    first_run = userinfo_statuses(mockidp.url, 12)
    assert set(first_run) == {401, 503}  # some faulted, some reached the route (no token: 401)

    control(mockidp, "DELETE", "/faults")
    control(mockidp, "DELETE", "/barriers")
    control(mockidp, "PATCH", "/settings", json={"latency": {"default_ms": 7, "routes": []}})
    control(mockidp, "POST", "/faults", json={"path": "/**", "status": 500})
    control(mockidp, "POST", "/snapshots/controls/restore")

    assert controls_of(mockidp.url) == before
    assert userinfo_statuses(mockidp.url, 12) == first_run  # the same calls fault the same way
    jwks = requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=10)
    assert jwks.headers["x-mockidp-latency-ms"] == "5"
    # New rules and barriers are numbered on from where the snapshot was.
    assert control(mockidp, "POST", "/faults", json={"path": "/x", "status": 500}).json()["id"] == "flt_2"
    assert control(mockidp, "POST", "/barriers", json={"path": "/x"}).json()["id"] == "brr_2"


def test_a_restore_answers_the_requests_held_at_a_barrier(mockidp):
    """A held request belongs to the state left behind: like a reset, a restore answers it 503
    and the restored barrier holds no one."""
    from concurrent.futures import ThreadPoolExecutor

    control(mockidp, "POST", "/snapshots", json={"name": "no-barrier"})
    barrier = control(mockidp, "POST", "/barriers", json=CONTROLS["barrier"]).json()
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(requests.post, f"{mockidp.url}/dbconnections/signup", timeout=10,
                           json={"client_id": SPA, "connection": CONNECTION, "email": "held@example.com",
                                 "password": "Sup3r$ecret!"})
        waited = control(mockidp, "GET", f"/barriers/{barrier['id']}", params={"wait_for_held": 1})
        assert waited.status_code == 200, waited.text
        control(mockidp, "POST", "/snapshots/no-barrier/restore")
        assert held.result().status_code == 503
    assert controls_of(mockidp.url)["barriers"] == {"barriers": []}
