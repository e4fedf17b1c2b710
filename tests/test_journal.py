"""The request journal: every request to a tenant recorded with what it caused (emails, log
events) under one request id, secrets redacted, filters, HAR export, and the ring's bound."""
from __future__ import annotations

import subprocess
import sys

import requests
from conftest import Api
from test_pytest_plugin import _listening_url

SPA = "mockidpSpaClient0000000000000000"
CONNECTION = "Username-Password-Authentication"


def journal(base_url: str, **filters) -> requests.Response:
    return requests.get(f"{base_url}/_mock/journal", params=filters, timeout=10)


def test_change_password_links_request_email_and_log(mockidp):
    requests.delete(f"{mockidp.url}/_mock/journal", timeout=10)
    answer = requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=10,
                           json={"client_id": SPA, "email": "alice@example.com", "connection": CONNECTION})
    request_id = answer.headers["x-mockidp-request-id"]
    [entry] = journal(mockidp.url, path="/dbconnections/").json()["entries"]
    assert entry["id"] == request_id and entry["method"] == "POST" and entry["status"] == 200
    assert entry["client_id"] == SPA and entry["request"]["body"]["email"] == "alice@example.com"
    [message] = mockidp.outbox(to="alice@example.com")
    assert entry["emails"] == [message["id"]] and message["request_id"] == request_id
    token = mockidp.management_token()
    logs = requests.get(f"{mockidp.url}/api/v2/logs", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).json()
    scpr = [log for log in logs if log["type"] == "scpr"]
    assert [log["log_id"] for log in scpr] == entry["logs"]


def test_secrets_are_redacted_and_tokens_shortened(mockidp):
    token = mockidp.management_token()
    Api(mockidp.url, token).post("/api/v2/users", json={"connection": CONNECTION, "email": "j@example.com",
                                                        "password": "Sup3r$ecret!"})
    entries = journal(mockidp.url, method="post").json()["entries"]
    issued = [e for e in entries if e["path"] == "/oauth/token"][-1]
    assert issued["request"]["body"]["client_secret"] == "[redacted]"
    assert issued["response"]["body"]["access_token"] == token[:8] + "…"
    created = [e for e in entries if e["path"] == "/api/v2/users"][-1]
    assert created["request"]["body"]["password"] == "[redacted]" and created["status"] == 201
    assert "Sup3r$ecret!" not in requests.get(f"{mockidp.url}/_mock/journal.har", timeout=10).text


def test_filters_har_and_bad_filters(mockidp):
    requests.delete(f"{mockidp.url}/_mock/journal", timeout=10)
    requests.get(f"{mockidp.url}/api/v2/users", timeout=10)  # 401
    first = requests.get(f"{mockidp.url}/_mock/clock", timeout=10).headers["x-mockidp-request-id"]
    requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=10)
    assert [e["status"] for e in journal(mockidp.url, status="4xx").json()["entries"]] == [401]
    assert [e["path"] for e in journal(mockidp.url, since=first).json()["entries"]] == ["/.well-known/jwks.json"]
    har = requests.get(f"{mockidp.url}/_mock/journal.har", timeout=10).json()["log"]
    assert har["version"] == "1.2" and [e["response"]["status"] for e in har["entries"]] == [401, 200, 200]
    for bad in ({"status": "teapot"}, {"path": "api"}, {"since": "req_99999999"}, {"colour": "red"}):
        answer = journal(mockidp.url, **bad)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request", bad


def test_each_tenant_has_its_own_journal(mockidp):
    control = Api(mockidp.url)
    made = control.post("/_mock/tenants", json={"name": "journaled"}).json()
    try:
        requests.delete(f"{mockidp.url}/_mock/journal", timeout=10)
        requests.get(f"{made['url']}/_mock/clock", timeout=10)
        assert [e["path"] for e in journal(made["url"]).json()["entries"]] == ["/t/journaled/_mock/clock"]
        assert journal(mockidp.url).json()["entries"] == []
    finally:
        control.delete("/_mock/tenants/journaled")


def test_the_ring_keeps_the_latest_entries():
    from mockidp.runtime import MockIdP

    server = MockIdP(tls=False, journal_size=3).start()  # what `mockidp serve --journal-size 3` builds
    try:
        url = server.url_for("http")
        ids = [requests.get(f"{url}/_mock/clock", timeout=10).headers["x-mockidp-request-id"] for _ in range(5)]
        assert [e["id"] for e in journal(url).json()["entries"]] == ids[2:]
    finally:
        server.stop()


def _serve(tmp_path, *options: str) -> tuple[str, subprocess.Popen]:
    process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return _listening_url(process), process


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return output.decode()


def test_serve_prints_an_access_line_per_request_unless_quiet(tmp_path):
    url, process = _serve(tmp_path)
    request_id = requests.get(f"{url}/_mock/clock", params={"x": "1"}, timeout=10).headers["x-mockidp-request-id"]
    requests.get(f"{url}/api/v2/users", timeout=10)
    output = _stop(process)
    assert "GET /_mock/clock?x=1 200 " in output and request_id in output
    assert "GET /api/v2/users 401 " in output

    url, process = _serve(tmp_path, "--quiet")
    requests.get(f"{url}/_mock/clock", timeout=10)
    assert "GET /_mock/clock" not in _stop(process)
