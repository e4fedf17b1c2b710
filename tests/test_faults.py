"""Injected faults (POST /_mock/faults): Auth0-shaped errors, dropped connections and timeouts,
seen through real clients (requests and the official auth0-python SDK)."""
from __future__ import annotations

import time

import pytest
import requests
from auth0.authentication import GetToken
from auth0.authentication.exceptions import RateLimitError
from auth0.management import ManagementClient
from auth0.management.errors import TooManyRequestsError
from conftest import new_user

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

FROZEN_AT = "2030-01-01T00:00:00Z"
FROZEN_EPOCH = 1893456000


def add_fault(mockidp, rule: dict) -> dict:
    response = requests.post(f"{mockidp.url}/_mock/faults", json=rule, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def fault(mockidp, rule_id: str) -> dict:
    return requests.get(f"{mockidp.url}/_mock/faults/{rule_id}", timeout=30).json()


@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    return ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


# --- what the issue asks to show ------------------------------------------------------------------

def test_the_sdk_retries_a_429_and_succeeds_once_the_rule_is_spent(mockidp, api, sdk):
    user = new_user(api)
    rule = add_fault(mockidp, {"method": "GET", "path": "/api/v2/users/*", "status": 429, "times": 2})
    assert rule["id"] and rule["remaining"] == 2
    start = time.monotonic()
    fetched = sdk.users.get(user["user_id"])  # two 429s, then the real answer
    elapsed = time.monotonic() - start
    assert fetched.user_id == user["user_id"]
    assert fault(mockidp, rule["id"]) | {"matched": 2, "fired": 2, "remaining": 0} == fault(mockidp, rule["id"])
    assert 1.9 <= elapsed < 10, "the SDK waited Retry-After (1 s) before each of its two retries"


def test_a_429_carries_auth0s_rate_limit_headers_and_body(mockidp, api, sdk):
    mockidp.freeze(FROZEN_AT)
    add_fault(mockidp, {"method": "GET", "path": "/api/v2/users", "status": 429})
    with pytest.raises(TooManyRequestsError) as raised:
        sdk.users.list(request_options={"max_retries": 0})
    error = raised.value
    assert error.body == {"statusCode": 429, "error": "Too Many Requests",
                          "message": "Global limit has been reached", "errorCode": "too_many_requests"}
    assert error.headers["x-ratelimit-limit"] == "50"
    assert error.headers["x-ratelimit-remaining"] == "0"
    assert error.headers["x-ratelimit-reset"] == str(FROZEN_EPOCH + 1)  # tenant clock, epoch seconds
    assert error.headers["retry-after"] == "1"


def test_authentication_api_429_uses_the_oauth_envelope(mockidp):
    mockidp.freeze(FROZEN_AT)
    add_fault(mockidp, {"method": "POST", "path": "/oauth/token", "status": 429,
                        "rate_limit": {"limit": 300, "remaining": 0, "reset_s": 30, "retry_after": False}})
    client = GetToken(mockidp.url.split("://")[1], DEFAULT_M2M_CLIENT_ID,
                      client_secret=DEFAULT_M2M_CLIENT_SECRET, protocol="http")
    with pytest.raises(RateLimitError) as raised:
        client.client_credentials(f"{mockidp.url}/api/v2/")
    assert raised.value.error_code == "too_many_requests"
    assert raised.value.reset_at == FROZEN_EPOCH + 30
    response = requests.post(f"{mockidp.url}/oauth/token", json={}, timeout=30)
    assert response.json()["error"] == "too_many_requests"
    assert "X-RateLimit-Reset" in response.json()["error_description"]
    assert response.headers["x-ratelimit-limit"] == "300" and "retry-after" not in response.headers


def test_a_5xx_rule_fires_exactly_n_times(mockidp, api):
    rule = add_fault(mockidp, {"method": "POST", "path": "/api/v2/users", "status": 503, "times": 3})
    statuses = [api.post("/api/v2/users", json={"connection": "Username-Password-Authentication",
                                                "email": f"u{i}@example.com", "password": "Sup3r$ecret!"}).status_code
                for i in range(5)]
    assert statuses == [503, 503, 503, 201, 201]
    assert fault(mockidp, rule["id"])["fired"] == 3


def test_the_sdk_retries_a_5xx_honouring_a_custom_retry_after(mockidp, sdk):
    rule = add_fault(mockidp, {"method": "POST", "path": "/api/v2/users", "status": 500, "times": 1,
                               "headers": {"Retry-After": "1"}})
    created = sdk.users.create(connection="Username-Password-Authentication", email="retry@example.com",
                               password="Sup3r$ecret!")
    assert created.email == "retry@example.com"
    assert fault(mockidp, rule["id"])["fired"] == 1


def test_drop_closes_the_connection_without_a_response(mockidp, anonymous):
    rule = add_fault(mockidp, {"method": "GET", "path": "/.well-known/jwks.json", "kind": "drop", "times": 1})
    with pytest.raises(requests.ConnectionError):
        anonymous.get("/.well-known/jwks.json")
    assert anonymous.get("/.well-known/jwks.json").status_code == 200  # the rule is spent
    assert fault(mockidp, rule["id"])["fired"] == 1


def test_drop_over_https_too(mockidp):
    add_fault(mockidp, {"path": "/.well-known/jwks.json", "kind": "drop", "times": 1})
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{mockidp.https_url}/.well-known/jwks.json", verify=str(mockidp.ca_bundle), timeout=30)


def test_timeout_outlasts_the_client_and_a_reset_frees_the_server(mockidp, anonymous):
    add_fault(mockidp, {"path": "/.well-known/jwks.json", "kind": "timeout", "delay_ms": 20_000})
    start = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=0.3)
    assert time.monotonic() - start < 5
    mockidp.reset()  # cuts the held request short: no server thread stays parked for 20 s
    assert anonymous.get("/.well-known/jwks.json").status_code == 200


def test_timeout_answers_504_after_its_delay(mockidp, api):
    add_fault(mockidp, {"method": "GET", "path": "/api/v2/users", "kind": "timeout", "delay_ms": 200})
    response = api.get("/api/v2/users")
    assert response.elapsed.total_seconds() >= 0.2
    assert response.status_code == 504
    assert response.json() == {"statusCode": 504, "error": "Gateway Timeout", "message": "Gateway Timeout"}


def fraction_pattern(mockidp, anonymous) -> list[int]:
    add_fault(mockidp, {"method": "GET", "path": "/.well-known/jwks.json", "status": 502, "fraction": 0.5})
    return [anonymous.get("/.well-known/jwks.json").status_code for _ in range(24)]


def test_a_fraction_replays_the_same_pattern_for_the_same_seed(mockidp, anonymous):
    first = fraction_pattern(mockidp, anonymous)
    mockidp.reset()
    assert fraction_pattern(mockidp, anonymous) == first
    assert set(first) == {200, 502}
    rule = requests.get(f"{mockidp.url}/_mock/faults", timeout=30).json()["rules"][0]
    assert rule["matched"] == 24 and rule["fired"] == first.count(502) and rule["remaining"] is None


def test_fraction_and_times_together_cap_the_fires(mockidp, anonymous):
    rule = add_fault(mockidp, {"path": "/.well-known/jwks.json", "status": 500, "fraction": 0.5, "times": 2})
    statuses = [anonymous.get("/.well-known/jwks.json").status_code for _ in range(30)]
    assert statuses.count(500) == 2
    assert fault(mockidp, rule["id"])["remaining"] == 0


def test_request_body_subset_narrows_a_rule(mockidp, api):
    add_fault(mockidp, {"method": "POST", "path": "/api/v2/users", "status": 400,
                        "request_body": {"email": "blocked@example.com", "app_metadata": {"plan": "free"}}})
    base = {"connection": "Username-Password-Authentication", "password": "Sup3r$ecret!"}
    hit = api.post("/api/v2/users", json={**base, "email": "blocked@example.com",
                                          "app_metadata": {"plan": "free", "other": 1}})
    other_value = api.post("/api/v2/users", json={**base, "email": "blocked@example.com",
                                                  "app_metadata": {"plan": "paid"}})
    assert hit.status_code == 400 and hit.headers["x-mockidp-fault"]
    assert other_value.status_code == 201  # the route still read the body the rule looked at


def test_request_body_subset_matches_form_bodies(mockidp):
    add_fault(mockidp, {"method": "POST", "path": "/oauth/token", "status": 401,
                        "request_body": {"client_id": "someone-else"}})
    form = {"grant_type": "client_credentials", "client_id": DEFAULT_M2M_CLIENT_ID,
            "client_secret": DEFAULT_M2M_CLIENT_SECRET, "audience": f"{mockidp.url}/api/v2/"}
    assert requests.post(f"{mockidp.url}/oauth/token", data=form, timeout=30).status_code == 200
    faulted = requests.post(f"{mockidp.url}/oauth/token", data={**form, "client_id": "someone-else"}, timeout=30)
    assert faulted.status_code == 401 and faulted.json()["error"] == "unauthorized"


def test_custom_body_and_headers(mockidp, anonymous):
    add_fault(mockidp, {"path": "/.well-known/jwks.json", "status": 418, "body": {"teapot": True},
                        "headers": {"X-Custom": "yes", "Content-Type": "application/problem+json"}})
    add_fault(mockidp, {"path": "/.well-known/openid-configuration", "status": 500, "body": "plain failure"})
    teapot = anonymous.get("/.well-known/jwks.json")
    assert (teapot.status_code, teapot.json(), teapot.headers["X-Custom"]) == (418, {"teapot": True}, "yes")
    assert teapot.headers["Content-Type"] == "application/problem+json"
    plain = anonymous.get("/.well-known/openid-configuration")
    assert plain.text == "plain failure" and plain.headers["Content-Type"].startswith("text/plain")


def test_rules_are_listed_deleted_and_cleared_by_reset(mockidp, anonymous):
    first = add_fault(mockidp, {"path": "/a", "status": 500})
    second = add_fault(mockidp, {"method": "delete", "path": "/b/**", "kind": "drop"})
    listed = requests.get(f"{mockidp.url}/_mock/faults", timeout=30).json()["rules"]
    assert [rule["id"] for rule in listed] == [first["id"], second["id"]]
    assert listed[1] == {"id": second["id"], "method": "DELETE", "path": "/b/**", "kind": "drop",
                         "times": None, "matched": 0, "fired": 0, "remaining": None}
    settings = requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()
    assert settings["faults"]["rules"] == listed
    assert requests.delete(f"{mockidp.url}/_mock/faults/{first['id']}", timeout=30).status_code == 204
    assert requests.get(f"{mockidp.url}/_mock/faults/{first['id']}", timeout=30).status_code == 404
    assert requests.delete(f"{mockidp.url}/_mock/faults/{first['id']}", timeout=30).status_code == 404
    mockidp.reset()
    assert requests.get(f"{mockidp.url}/_mock/faults", timeout=30).json() == {"rules": []}
    assert add_fault(mockidp, {"path": "/c", "status": 500})["id"] == first["id"], "ids restart after a reset"
    assert requests.delete(f"{mockidp.url}/_mock/faults", timeout=30).status_code == 204
    assert requests.get(f"{mockidp.url}/_mock/faults", timeout=30).json() == {"rules": []}


def test_the_control_plane_is_never_faulted(mockidp):
    add_fault(mockidp, {"path": "/**", "kind": "drop"})
    assert requests.get(f"{mockidp.url}/_mock/health", timeout=30).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=30)


@pytest.mark.parametrize("rule, message", [
    ({"path": "/a", "kind": "explode"}, 'Unknown fault "kind" \'explode\''),
    ({"path": "/a"}, '"status" is required'),
    ({"path": "/a", "status": 200}, '"status" must be a whole number from 400 to 599'),
    ({"path": "a", "status": 500}, 'it must start with "/"'),
    ({"path": "/a/**/b", "status": 500}, '"**" must be a whole segment'),
    ({"status": 500}, '"path" must be a path pattern'),
    ({"path": "/a", "method": "BREW", "status": 500}, '"method" must be one of'),
    ({"path": "/a", "status": 500, "times": 0}, '"times" must be a whole number from 1'),
    ({"path": "/a", "status": 500, "fraction": 1.5}, '"fraction" must be a number greater than 0'),
    ({"path": "/a", "status": 500, "fraction": 0}, '"fraction" must be a number greater than 0'),
    ({"path": "/a", "kind": "timeout", "delay_ms": -1}, '"delay_ms" must be a whole number from 0'),
    ({"path": "/a", "kind": "timeout", "delay_ms": 120_001}, '"delay_ms" must be a whole number from 0 to 120000'),
    ({"path": "/a", "kind": "drop", "status": 500}, 'Key(s) status not allowed for kind "drop"'),
    ({"path": "/a", "status": 500, "delay_ms": 5}, 'Key(s) delay_ms not allowed for kind "status"'),
    ({"path": "/a", "status": 500, "rate_limit": {}}, '"rate_limit" applies to "status": 429 only'),
    ({"path": "/a", "status": 429, "rate_limit": {"remaining": 60}}, '"remaining" must be a whole number from 0 to 50'),
    ({"path": "/a", "status": 500, "headers": {"Bad Header": "x"}}, "is not a header mockidp can set"),
    ({"path": "/a", "status": 500, "headers": {"X-A": "1\r\nX-B: 2"}}, "must be a one-line string"),
    ({"path": "/a", "status": 500, "request_body": [1]}, '"request_body" must be a JSON object'),
    ([], "A fault rule must be a JSON object"),
])
def test_bad_rules_are_rejected_and_nothing_is_added(mockidp, rule, message):
    response = requests.post(f"{mockidp.url}/_mock/faults", json=rule, timeout=30)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert requests.get(f"{mockidp.url}/_mock/faults", timeout=30).json() == {"rules": []}


def test_invalid_json_is_a_400(mockidp):
    response = requests.post(f"{mockidp.url}/_mock/faults", data="{nope", timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["message"]
