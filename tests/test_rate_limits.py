"""Rate limits as Auth0 announces them: X-RateLimit-Limit, -Remaining and -Reset (epoch seconds
on the tenant clock) on the Management API and the rate-limited Authentication API endpoints,
buckets that refill as the mock clock advances, and the opt-in enforcing mode of
/_mock/settings (Auth0's 429), which auth0-python's retry honours: it waits until
X-RateLimit-Reset and then succeeds (its sleep is turned into a mock-clock advance, so the test
takes no real time)."""
from __future__ import annotations

import time
import types
from datetime import UTC, datetime

import pytest
import requests
from conftest import Api
from oauth_helpers import ALICE, Browser, exchange_code

MANAGEMENT_429 = {"statusCode": 429, "error": "Too Many Requests", "message": "Global limit has been reached",
                  "errorCode": "too_many_requests"}


def _limits(response: requests.Response) -> tuple[int, int, int]:
    headers = response.headers
    return (int(headers["X-RateLimit-Limit"]), int(headers["X-RateLimit-Remaining"]),
            int(headers["X-RateLimit-Reset"]))


def _freeze(mockidp) -> int:
    """Stop the tenant clock at a whole second near wall time (tokens already issued stay
    unexpired, and auth0-python's wait, reset minus wall time, is right); that second."""
    now = int(time.time())
    mockidp.set_clock(datetime.fromtimestamp(now, UTC).isoformat(), frozen=True)
    return now


def _settings(mockidp, rate_limits: dict) -> requests.Response:
    return requests.patch(f"{mockidp.url}/_mock/settings", json={"rate_limits": rate_limits}, timeout=30)


def test_management_answers_carry_the_buckets_level_and_reset_on_the_tenant_clock(mockidp, api: Api):
    now = _freeze(mockidp)
    first = api.get("/api/v2/users")
    assert first.status_code == 200 and _limits(first) == (50, 49, now + 1)  # 1 token short, refilled at 1000/min: full within a second
    assert _limits(api.get("/api/v2/users/nobody"))[:2] == (50, 48)  # errors count and carry them too
    assert _limits(api.get("/api/v2/clients"))[:2] == (50, 47)
    mockidp.advance(1)
    assert _limits(api.get("/api/v2/users")) == (50, 49, now + 2)


def test_authentication_endpoints_have_their_own_buckets(mockidp):
    now = _freeze(mockidp)
    token = requests.post(f"{mockidp.url}/oauth/token", timeout=30, data={"grant_type": "password"})
    assert _limits(token)[:2] == (30, 29)
    code = Browser(mockidp.url).sign_in(*ALICE)["code"]
    access_token = exchange_code(mockidp.url, code).json()["access_token"]
    userinfo = requests.get(f"{mockidp.url}/userinfo", headers={"Authorization": f"Bearer {access_token}"},
                            timeout=30)
    # 10 at once, then 5 a minute: one token back takes 12 s
    assert userinfo.status_code == 200 and _limits(userinfo) == (10, 9, now + 12)
    assert _limits(requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=30))[:2] == (20, 19)
    for untouched in ("/.well-known/openid-configuration", "/authorize", "/_mock/health"):
        assert "X-RateLimit-Limit" not in requests.get(mockidp.url + untouched, timeout=30,
                                                       allow_redirects=False).headers


def test_enforced_limits_answer_auth0s_429_until_the_bucket_refills(mockidp, api: Api):
    now = _freeze(mockidp)
    assert _settings(mockidp, {"enforce": True, "buckets": {"management": {"limit": 2, "per_second": 0.5}}}).ok
    assert [api.get("/api/v2/users").status_code for _ in range(2)] == [200, 200]
    refused = api.get("/api/v2/users")
    assert refused.status_code == 429 and refused.json() == MANAGEMENT_429
    assert _limits(refused) == (2, 0, now + 4)  # two tokens at 0.5 a second
    mockidp.advance(2)
    assert api.get("/api/v2/users").status_code == 200  # one token back
    assert api.get("/api/v2/users").status_code == 429
    mockidp.advance(4)
    assert [api.get("/api/v2/users").status_code for _ in range(3)] == [200, 200, 429]


def test_an_enforced_authentication_bucket_answers_oauths_429(mockidp):
    assert _settings(mockidp, {"enforce": True, "buckets": {"oauth_token": {"limit": 1, "per_second": 0}}}).ok
    requests.post(f"{mockidp.url}/oauth/token", data={"grant_type": "password"}, timeout=30)
    refused = requests.post(f"{mockidp.url}/oauth/token", data={"grant_type": "password"}, timeout=30)
    assert refused.status_code == 429
    assert refused.json() == {"error": "too_many_requests", "error_description": "Global limit has been reached"}


def test_reset_refills_and_stops_enforcing(mockidp, api: Api):
    assert _settings(mockidp, {"enforce": True, "buckets": {"management": {"limit": 1, "per_second": 0}}}).ok
    api.get("/api/v2/users")
    assert api.get("/api/v2/users").status_code == 429
    mockidp.reset()
    assert _limits(api.get("/api/v2/users"))[:2] == (50, 49)
    current = requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()["rate_limits"]
    assert current["enforce"] is False and current["buckets"]["management"]["limit"] == 50


@pytest.mark.parametrize("patch, message", [
    ({"enforce": "yes"}, '"rate_limits.enforce" must be true or false; got \'yes\'.'),
    ({"buckets": {"nope": {}}}, "Unknown rate-limit bucket(s): nope."),
    ({"buckets": {"management": {"limit": 0}}}, '"rate_limits.buckets.management.limit" must be a whole number'),
    ({"buckets": {"userinfo": {"per_second": -1}}}, '"rate_limits.buckets.userinfo.per_second" must be a number'),
])
def test_bad_settings_are_refused_and_change_nothing(mockidp, patch, message):
    before = requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()
    answer = _settings(mockidp, patch)
    assert answer.status_code == 400 and message in answer.json()["message"]
    assert requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json() == before


def test_auth0_python_waits_until_the_reset_and_its_retry_succeeds(mockidp, monkeypatch):
    """auth0-python's client sleeps X-RateLimit-Reset minus wall time; here its sleep advances the
    mock clock instead, which runs at wall time so the two agree."""
    from action_helpers import management_sdk
    from auth0.management.core import http_client

    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        mockidp.advance(seconds)

    monkeypatch.setattr(http_client, "time", types.SimpleNamespace(time=time.time, sleep=sleep))
    mockidp.set_clock(datetime.now(UTC).isoformat(), frozen=False)
    assert _settings(mockidp, {"enforce": True, "buckets": {"management": {"limit": 1, "per_second": 0.1}}}).ok
    sdk = management_sdk(mockidp, monkeypatch)
    first = sdk.keys.signing.list()  # the bucket's one token
    assert sdk.keys.signing.list() == first  # 429, a wait until the reset (~10 s of mock time), then 200
    assert len(sleeps) == 1 and 5 < sleeps[0] <= 13  # from X-RateLimit-Reset, not the 1 s backoff


def test_a_snapshot_restores_the_rate_limit_settings(mockidp, api: Api):
    strict = {"enforce": True, "buckets": {"management": {"limit": 1, "per_second": 0.0}}}
    assert _settings(mockidp, strict).ok
    mockidp.control("POST", "/snapshots", {"name": "strict"})
    assert _settings(mockidp, {"enforce": False}).ok
    api.get("/api/v2/users")
    assert api.get("/api/v2/users").status_code == 200
    mockidp.control("POST", "/snapshots/strict/restore")
    current = requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()["rate_limits"]
    assert current["enforce"] is True and current["buckets"]["management"] == {"limit": 1, "per_second": 0.0}
    assert [api.get("/api/v2/users").status_code for _ in range(2)] == [200, 429]  # restored buckets start full
