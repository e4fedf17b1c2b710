"""The /_mock control plane: health, clock, reset, bad input."""
from __future__ import annotations

import pytest
from conftest import Api, new_user


def test_health(anonymous):
    response = anonymous.get("/_mock/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["mock"] is True


def test_clock_freeze_set_and_advance(anonymous):
    frozen = anonymous.put("/_mock/clock", json={"now": "2030-01-01T00:00:00Z", "frozen": True})
    assert frozen.json() == {"now": "2030-01-01T00:00:00.000Z", "frozen": True}
    assert anonymous.get("/_mock/clock").json()["now"] == "2030-01-01T00:00:00.000Z"
    advanced = anonymous.post("/_mock/clock/advance", json={"seconds": 259201})
    assert advanced.json() == {"now": "2030-01-04T00:00:01.000Z", "frozen": True}


def test_set_clock_without_offset_means_utc_and_keeps_frozen_state(anonymous):
    anonymous.put("/_mock/clock", json={"frozen": True})
    response = anonymous.put("/_mock/clock", json={"now": "2031-06-01T12:30:00"})
    assert response.json() == {"now": "2031-06-01T12:30:00.000Z", "frozen": True}


def test_running_clock_moves_by_offset(anonymous):
    start = anonymous.put("/_mock/clock", json={"now": "2040-01-01T00:00:00Z", "frozen": False}).json()
    assert start["frozen"] is False
    later = anonymous.post("/_mock/clock/advance", json={"seconds": 3600}).json()
    assert later["now"].startswith("2040-01-01T01:00:")


def test_user_timestamps_follow_the_clock(mockidp, anonymous):
    anonymous.put("/_mock/clock", json={"now": "2030-05-05T05:05:05.123Z", "frozen": True})
    api = Api(mockidp.url, mockidp.management_token())  # tokens issued before the jump expired
    user = new_user(api)
    assert user["created_at"] == user["updated_at"] == "2030-05-05T05:05:05.123Z"


def test_reset_restores_fixtures_ids_and_clock(mockidp, api, anonymous):
    first = new_user(api, email="first@example.com")
    alice = api.get("/api/v2/users-by-email", params={"email": "alice@example.com"}).json()[0]
    assert api.delete(f"/api/v2/users/{alice['user_id']}").status_code == 204
    anonymous.put("/_mock/clock", json={"now": "2099-01-01T00:00:00Z", "frozen": True})
    assert anonymous.post("/_mock/reset").status_code == 200
    api = Api(mockidp.url, mockidp.management_token())
    emails = [u["email"] for u in api.get("/api/v2/users").json()]
    assert emails == ["alice@example.com", "bob@example.com", "carol@example.com"]
    assert anonymous.get("/_mock/clock").json()["frozen"] is False
    # Same seed, same requests after a reset: the same ids.
    assert new_user(api, email="first@example.com")["user_id"] == first["user_id"]


@pytest.mark.parametrize("method, path, body, fragment", [
    ("PUT", "/_mock/clock", {"now": "yesterday"}, "ISO-8601"),
    ("PUT", "/_mock/clock", {"now": 5}, "ISO-8601"),
    ("PUT", "/_mock/clock", {"frozen": "yes"}, "true or false"),
    ("PUT", "/_mock/clock", {"tz": "UTC"}, "Unknown key"),
    ("PUT", "/_mock/clock", [1, 2], "JSON object"),
    ("POST", "/_mock/clock/advance", {"seconds": -1}, "non-negative"),
    ("POST", "/_mock/clock/advance", {"seconds": "10"}, "non-negative"),
    ("POST", "/_mock/clock/advance", {"seconds": True}, "non-negative"),
    ("POST", "/_mock/clock/advance", {}, "non-negative"),
    ("PATCH", "/_mock/settings", {"nope": {}}, "Unknown settings section"),
])
def test_bad_control_input_is_rejected_without_change(anonymous, method, path, body, fragment):
    before = anonymous.put("/_mock/clock", json={"now": "2030-01-01T00:00:00Z", "frozen": True}).json()
    response = anonymous.request(method, path, json=body)
    assert response.status_code == 400
    assert fragment in response.json()["message"]
    assert anonymous.get("/_mock/clock").json() == before


def test_malformed_json_on_control_plane(anonymous):
    response = anonymous.put("/_mock/clock", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "message": "The body is not valid JSON."}


def test_unknown_control_path_and_method(anonymous):
    assert anonymous.get("/_mock/nothing-here").status_code == 404
    assert anonymous.delete("/_mock/clock").status_code == 405


def test_ca_certificate_is_served(mockidp, anonymous):
    response = anonymous.get("/_mock/ca.pem")
    assert response.status_code == 200
    assert response.text.startswith("-----BEGIN CERTIFICATE-----")
    assert response.text == mockidp.ca_file.read_text()
