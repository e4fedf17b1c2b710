"""Injected latency: PATCH /_mock/settings {"latency": ...}, --latency, fixtures' mockidp.latency."""
from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import threading
import time

import pytest
import requests
from conftest import new_user

from mockidp import cli
from mockidp.core.tenant.errors import FixtureError
from mockidp.core.tenant.errors import ControlError
from mockidp.core.traffic.latency import parse_startup_value
from mockidp.core.traffic.route_match import RouteMatch
from mockidp.runtime import build_tenant


def set_latency(mockidp, latency: dict) -> requests.Response:
    response = requests.patch(f"{mockidp.url}/_mock/settings", json={"latency": latency}, timeout=30)
    assert response.status_code == 200, response.text
    return response


def timed(call) -> tuple[requests.Response, float]:
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def test_a_latency_rule_slows_only_its_route(mockidp, api):
    user = new_user(api)
    set_latency(mockidp, {"routes": [{"method": "GET", "path": "/api/v2/users/*", "ms": 1000}]})
    slow, slow_seconds = timed(lambda: api.get(f"/api/v2/users/{user['user_id']}"))
    fast, fast_seconds = timed(lambda: api.get("/api/v2/users"))
    other_method, other_seconds = timed(lambda: api.patch(f"/api/v2/users/{user['user_id']}",
                                                          json={"name": "x"}))
    assert (slow.status_code, fast.status_code, other_method.status_code) == (200, 200, 200)
    assert slow_seconds >= 1.0
    assert slow.headers["x-mockidp-latency-ms"] == "1000"
    assert fast_seconds < 0.9 and other_seconds < 0.9  # generous: CI machines stall
    assert "x-mockidp-latency-ms" not in fast.headers and "x-mockidp-latency-ms" not in other_method.headers


def test_default_ms_applies_to_every_route_except_the_control_plane(mockidp, anonymous):
    set_latency(mockidp, {"default_ms": 800})
    discovery, discovery_seconds = timed(lambda: anonymous.get("/.well-known/jwks.json"))
    control, control_seconds = timed(lambda: anonymous.get("/_mock/health"))
    assert discovery_seconds >= 0.8 and discovery.headers["x-mockidp-latency-ms"] == "800"
    assert control_seconds < 0.7 and "x-mockidp-latency-ms" not in control.headers


def test_the_first_matching_route_wins_over_later_ones_and_the_default(mockidp, anonymous):
    set_latency(mockidp, {"default_ms": 30, "routes": [
        {"method": "*", "path": "/.well-known/jwks.json", "ms": 5},
        {"method": "GET", "path": "/.well-known/**", "ms": 10}]})
    assert anonymous.get("/.well-known/jwks.json").headers["x-mockidp-latency-ms"] == "5"
    assert anonymous.get("/.well-known/openid-configuration").headers["x-mockidp-latency-ms"] == "10"
    assert anonymous.get("/api/v2/users").headers["x-mockidp-latency-ms"] == "30"


def jitter_sequence(mockidp, anonymous) -> list[int]:
    set_latency(mockidp, {"routes": [{"method": "GET", "path": "/.well-known/*", "ms": 1, "jitter_ms": 40}]})
    return [int(anonymous.get("/.well-known/jwks.json").headers["x-mockidp-latency-ms"]) for _ in range(8)]


def test_the_same_seed_gives_the_same_jitter_sequence_after_a_reset(mockidp, anonymous):
    first = jitter_sequence(mockidp, anonymous)
    mockidp.reset()
    again = jitter_sequence(mockidp, anonymous)
    assert first == again
    assert all(1 <= delay <= 41 for delay in first)
    assert len(set(first)) > 1, "jitter should vary from request to request"


def test_jitter_does_not_shift_the_tenant_random_sequence(mockidp, api):
    """Traffic draws from streams of its own, so user ids do not depend on injected jitter."""
    plain_id = new_user(api, email="a@example.com")["user_id"]
    mockidp.reset()
    set_latency(mockidp, {"default_ms": 1, "default_jitter_ms": 5})
    api.get("/api/v2/users")
    assert new_user(api, email="a@example.com")["user_id"] == plain_id


def test_the_delay_is_spent_outside_any_lock(mockidp, api):
    user = new_user(api)
    set_latency(mockidp, {"routes": [{"method": "GET", "path": "/api/v2/users/*", "ms": 2500}]})
    slow_started, slow_done = threading.Event(), threading.Event()

    def slow_request():
        slow_started.set()
        api.get(f"/api/v2/users/{user['user_id']}")
        slow_done.set()

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert slow_started.wait(10)
    # A state change (takes the tenant lock) completes while the slow request is still asleep.
    updated, seconds = timed(lambda: api.patch(f"/api/v2/users/{user['user_id']}", json={"name": "meanwhile"}))
    assert updated.status_code == 200 and seconds < 2.0
    assert not slow_done.is_set()
    thread.join(30)
    assert slow_done.is_set()


def test_settings_show_latency_and_reset_restores_the_start_up_values(mockidp):
    set_latency(mockidp, {"default_ms": 5, "routes": [{"method": "post", "path": "/oauth/token", "ms": 7}]})
    settings = requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()
    assert settings["latency"] == {"default_ms": 5, "default_jitter_ms": 0, "routes": [
        {"method": "POST", "path": "/oauth/token", "ms": 7, "jitter_ms": 0}]}
    set_latency(mockidp, {"default_ms": 6})  # keys not named keep their values
    assert requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()["latency"]["routes"]
    mockidp.reset()
    settings = requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()
    assert settings["latency"] == {"default_ms": 0, "default_jitter_ms": 0, "routes": []}


@pytest.mark.parametrize("latency, message", [
    ({"default_ms": -1}, "latency.default_ms must not be negative"),
    ({"default_ms": 1.5}, "whole number of milliseconds"),
    ({"default_ms": True}, "whole number of milliseconds"),
    ({"default_ms": 120_001}, "at most 120000"),
    ({"speed": 1}, "unknown key(s) speed"),
    ({"routes": {}}, "latency.routes must be a list"),
    ({"routes": [{"method": "GET", "path": "api/v2/users", "ms": 1}]}, 'it must start with "/"'),
    ({"routes": [{"method": "GET", "path": "/api//users", "ms": 1}]}, "empty segment"),
    ({"routes": [{"method": "GET", "path": "/api/v2/", "ms": 1}]}, "empty segment"),
    ({"routes": [{"method": "GET", "path": "/api/**/users", "ms": 1}]}, '"**" must be a whole segment and the last'),
    ({"routes": [{"method": "GET", "path": "/api/v2/users?q=1", "ms": 1}]}, "match the path only"),
    ({"routes": [{"method": "FETCH", "path": "/api", "ms": 1}]}, '"method" must be one of'),
    ({"routes": [{"method": "GET", "path": "/api"}]}, '"ms" is required'),
    ({"routes": [{"method": "GET", "path": "/api", "ms": 5, "jitter_ms": -2}]}, "jitter_ms must not be negative"),
    ({"routes": [{"method": "GET", "path": "/api", "ms": 1, "request_body": {}}]}, "unknown key(s) request_body"),
])
def test_bad_latency_is_rejected_with_a_clear_message(mockidp, latency, message):
    response = requests.patch(f"{mockidp.url}/_mock/settings", json={"latency": latency}, timeout=30)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()["latency"]["default_ms"] == 0


def test_a_rejected_patch_applies_nothing(mockidp):
    response = requests.patch(f"{mockidp.url}/_mock/settings", timeout=30,
                              json={"latency": {"default_ms": 50}, "faults": {"rules": []}})
    assert response.status_code == 400
    assert "POST /_mock/faults" in response.json()["message"]
    assert requests.get(f"{mockidp.url}/_mock/settings", timeout=30).json()["latency"]["default_ms"] == 0


# --- start-up: fixtures and --latency ------------------------------------------------------------

def test_fixture_latency_is_the_start_up_value(tmp_path):
    fixture = tmp_path / "latency.yaml"
    fixture.write_text("mockidp:\n  latency:\n    routes:\n      - {method: GET, path: /api/v2/users/*, ms: 250}\n")
    tenant = build_tenant([fixture])
    assert tenant.mock_settings.current()["latency"]["routes"][0]["ms"] == 250
    tenant.mock_settings.patch({"latency": {"routes": []}})
    tenant.reset()
    assert tenant.mock_settings.current()["latency"]["routes"][0]["ms"] == 250


def test_the_latency_option_overrides_the_fixture_and_a_number_means_default_ms(tmp_path):
    fixture = tmp_path / "latency.yaml"
    fixture.write_text("mockidp:\n  latency: 100\n")
    assert build_tenant([fixture]).mock_settings.current()["latency"]["default_ms"] == 100
    overridden = build_tenant([fixture], latency=parse_startup_value("200"))
    assert overridden.mock_settings.current()["latency"]["default_ms"] == 200
    as_json = parse_startup_value('{"routes": [{"method": "POST", "path": "/oauth/token", "ms": 5}]}')
    assert as_json["routes"] == [{"method": "POST", "path": "/oauth/token", "ms": 5, "jitter_ms": 0}]


def test_serve_reads_latency_from_the_option_and_the_environment(tmp_path):
    """`mockidp serve`, as a user runs it: MOCKIDP_LATENCY, then --latency overriding it."""
    env = {**os.environ, "MOCKIDP_LATENCY": '{"default_ms": 7}'}
    for extra, expected in (([], 7), (["--latency", "150"], 150)):
        process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", "--port", "0", *extra],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        try:
            url = _listening_url(process)
            settings = requests.get(f"{url}/_mock/settings", timeout=30).json()
            assert settings["latency"]["default_ms"] == expected
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()


def _listening_url(process: subprocess.Popen, seconds: float = 60) -> str:
    """The first `listening` URL of the banner, waiting at most `seconds`."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    output, deadline = "", time.monotonic() + seconds
    while "listening" not in output or not output.endswith("\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(timeout=remaining):
            raise AssertionError(f"mockidp serve printed no listening URL: {output!r}")
        chunk = os.read(process.stdout.fileno(), 65536).decode()
        if not chunk:
            raise AssertionError(f"mockidp serve exited: {output!r}")
        output += chunk
    return re.search(r"listening\s+(\S+)", output).group(1)


def test_invalid_start_up_latency_fails_with_a_message(tmp_path, capsys):
    fixture = tmp_path / "latency.yaml"
    fixture.write_text("mockidp:\n  latency: {default_ms: -5}\n")
    with pytest.raises(FixtureError, match="mockidp.latency: latency.default_ms must not be negative"):
        build_tenant([fixture])
    with pytest.raises(ControlError, match="expected a number of milliseconds"):
        parse_startup_value("fast please")
    assert cli.main(["serve", "--port", "0", "--latency", '{"default_ms": -5}']) == 2
    assert "invalid --latency: latency.default_ms must not be negative" in capsys.readouterr().err


# --- path patterns -------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, path, expected", [
    ("/api/v2/users/*", "/api/v2/users/auth0|abc", True),
    ("/api/v2/users/*", "/api/v2/users", False),
    ("/api/v2/users/*", "/api/v2/users/auth0|abc/roles", False),
    ("/api/v2/users/auth0|*", "/api/v2/users/auth0|abc", True),
    ("/api/v2/users/auth0|*", "/api/v2/users/google|abc", False),
    ("/api/v2/**", "/api/v2", True),
    ("/api/v2/**", "/api/v2/users/x/roles", True),
    ("/api/v2/**", "/api/v2users", False),
    ("/**", "/anything/at/all", True),
    ("/", "/", True),
    ("/oauth/token", "/oauth/token", True),
    ("/oauth/token", "/oauth/tokens", False),
    ("/a.b/(c)", "/a.b/(c)", True),
    ("/a.b/(c)", "/aXb/(c)", False),
])
def test_path_patterns(pattern, path, expected):
    match = RouteMatch.parse({"method": "*", "path": pattern})
    assert match.matches("GET", path, lambda: None) is expected
