"""GET/PUT /_mock/state, `mockidp serve --state FILE` and a tenant created from a state: a world
exported, loaded into a fresh server and exported again is byte-identical, and answers the same."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from conftest import Api
from test_pytest_plugin import _listening_url
from test_snapshots import controls_of, install_controls

CONNECTION = "Username-Password-Authentication"
SPA = "mockidpSpaClient0000000000000000"


@pytest.fixture
def world(mockidp):
    """A named tenant holding 50 users, an outbox of their verification emails and one reset
    email still queued (manual delivery), on a frozen clock, with latency, a fault rule and a
    barrier set."""
    control = Api(mockidp.url)
    made = control.post("/_mock/tenants", json={"name": "world-50", "seed": 50,
                                                 "clock": {"now": "2030-01-01T00:00:00Z", "frozen": True}}).json()
    api = Api(made["url"], mockidp.management_token(base_url=made["url"]))
    for index in range(50):
        created = api.post("/api/v2/users", json={"connection": CONNECTION, "email": f"user{index}@example.com",
                                                  "password": "Sup3r$ecret!"})
        assert created.status_code == 201, created.text
    requests.patch(f"{made['url']}/_mock/settings", json={"email": {"delivery": "manual"}}, timeout=10)
    requests.post(f"{made['url']}/dbconnections/change_password", timeout=10,
                  json={"client_id": SPA, "email": "user7@example.com", "connection": CONNECTION})
    install_controls(made["url"])
    yield made, api
    control.delete("/_mock/tenants/world-50")


def export(base_url: str) -> bytes:
    answer = requests.get(f"{base_url}/_mock/state", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    return answer.content


def test_export_load_into_a_fresh_server_export_again_is_byte_identical(world, tmp_path):
    made, api = world
    exported = export(made["url"])
    assert exported == export(made["url"])  # deterministic
    assert len(requests.get(f"{made['url']}/_mock/email-queue", timeout=10).json()["messages"]) == 1
    path = tmp_path / "world.json"
    path.write_bytes(exported)
    process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", "--port", "0", "--state", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        fresh = _listening_url(process)
        assert export(fresh) == exported
        queue = requests.get(f"{fresh}/_mock/email-queue", timeout=10).json()["messages"]
        assert [m["to"] for m in queue] == ["user7@example.com"]
        assert len(requests.get(f"{fresh}/_mock/outbox", timeout=10).json()["messages"]) == 50
        assert controls_of(fresh) == controls_of(made["url"])
        assert requests.get(f"{fresh}/.well-known/jwks.json", timeout=10).headers["x-mockidp-latency-ms"] == "5"
        # The same next request gives the same id in the original and in the loaded world.
        token = requests.post(f"{fresh}/oauth/token", timeout=10, json={
            "grant_type": "client_credentials", "client_id": "mockidpM2MClient0000000000000000",
            "client_secret": "mockidp-m2m-secret-0000000000000000000000000000000000000000000000",
            "audience": f"{fresh}/api/v2/"}).json()["access_token"]
        next_user = {"connection": CONNECTION, "email": "next@example.com", "password": "Sup3r$ecret!"}
        loaded = Api(fresh, token).post("/api/v2/users", json=next_user).json()
        original = api.post("/api/v2/users", json=next_user).json()
        assert loaded["user_id"] == original["user_id"]
        # Reset returns the loaded server to the state it was started from.
        requests.post(f"{fresh}/_mock/reset", timeout=10)
        assert export(fresh) == exported
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def test_a_tenant_created_from_a_state(mockidp, world):
    made, _ = world
    exported = export(made["url"])
    control = Api(mockidp.url)
    copy = control.post("/_mock/tenants", json={"name": "world-copy", "state": json.loads(exported)})
    try:
        assert copy.status_code == 201, copy.text
        assert export(copy.json()["url"]) == exported
    finally:
        control.delete("/_mock/tenants/world-copy")


@pytest.mark.parametrize("document, problem", [
    ({"format": "something-else"}, "not a mockidp state document"),
    ({"format": "mockidp-state", "version": 99}, "version 99 is not supported"),
    ({"format": "mockidp-state", "version": 2}, "the state has no clock, parts, rng"),
    ({"format": "mockidp-state", "version": 2, "clock": [], "rng": [], "parts": []}, "parts"),
    ({"format": "mockidp-state", "version": 2, "clock": [], "rng": [], "parts": [{"$obj": "Nope", "$f": {}}]},
     "unknown record type"),
])
def test_foreign_or_corrupt_states_load_nothing(mockidp, document, problem):
    mockidp.freeze()  # a running clock would change the export by itself
    before = export(mockidp.url)
    answer = requests.put(f"{mockidp.url}/_mock/state", json=document, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_state"
    assert problem in answer.json()["message"]
    assert export(mockidp.url) == before
    created = requests.post(f"{mockidp.url}/_mock/tenants", json={"name": "from-bad-state", "state": document},
                            timeout=10)
    assert created.status_code == 400 and created.json()["error"] == "invalid_state"
    assert requests.get(f"{mockidp.url}/_mock/tenants/from-bad-state", timeout=10).status_code == 404


def test_serve_refuses_a_bad_state_file_and_says_why(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "mockidp-state", "version": 2, "clock": [], "rng": [], "parts": []}')
    result = subprocess.run([sys.executable, "-m", "mockidp", "serve", "--port", "0", "--state", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"mockidp: invalid --state {bad}: the state has 0 parts" in result.stderr
    bad.write_text("{not json")
    result = subprocess.run([sys.executable, "-m", "mockidp", "serve", "--port", "0", "--state", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not JSON" in result.stderr


def test_a_state_whose_traffic_controls_are_corrupt_loads_nothing(mockidp, world):
    made, _ = world
    document = json.loads(export(made["url"]))
    [traffic] = [part for part in document["parts"] if isinstance(part, dict) and "faults" in part]
    traffic["faults"]["rules"][0]["status"] = 99
    mockidp.freeze()
    before = export(mockidp.url)
    answer = requests.put(f"{mockidp.url}/_mock/state", json=document, timeout=30)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_state"
    assert "is corrupt" in answer.json()["message"] and "status" in answer.json()["message"]
    assert export(mockidp.url) == before
