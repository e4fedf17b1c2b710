"""The request journal: every request to a tenant recorded with what it caused (emails, log
events) under one request id, secrets redacted, filters, HAR export, and the ring's bound."""
from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

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


def _entry(base_url: str, request_id: str) -> dict:
    [entry] = [e for e in journal(base_url).json()["entries"] if e["id"] == request_id]
    return entry


def test_entries_name_the_user_and_the_user_filter_finds_them(mockidp, api):
    from oauth_helpers import ALICE, Browser, exchange_code

    alice = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]
    requests.delete(f"{mockidp.url}/_mock/journal", timeout=10)
    browser = Browser(mockidp.url)
    login = browser.post(browser.login_page(), data={"username": ALICE[0], "password": ALICE[1]})
    code = parse_qs(urlsplit(login.headers["Location"]).query)["code"][0]
    exchanged = exchange_code(mockidp.url, code)
    userinfo = requests.get(f"{mockidp.url}/userinfo", timeout=10,
                            headers={"Authorization": f"Bearer {exchanged.json()['access_token']}"})
    addressed = api.get(f"/api/v2/users/{alice}")
    created = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "new@example.com",
                                              "password": "Sup3r$ecret!"})
    nobody = api.get("/api/v2/clients")

    by_request = {response.headers["x-mockidp-request-id"]: response
                  for response in (login, exchanged, userinfo, addressed, created, nobody)}
    users = {rid: _entry(mockidp.url, rid)["user_id"] for rid in by_request}
    assert users == {login.headers["x-mockidp-request-id"]: alice,        # who logged in
                     exchanged.headers["x-mockidp-request-id"]: alice,    # whose grant it was
                     userinfo.headers["x-mockidp-request-id"]: alice,     # the token's subject
                     addressed.headers["x-mockidp-request-id"]: alice,    # whom the call addresses
                     created.headers["x-mockidp-request-id"]: created.json()["user_id"],
                     nobody.headers["x-mockidp-request-id"]: None}
    found = [e["id"] for e in journal(mockidp.url, user=alice).json()["entries"]]
    assert found == [response.headers["x-mockidp-request-id"]
                     for response in (login, exchanged, userinfo, addressed)]
    har = requests.get(f"{mockidp.url}/_mock/journal.har", params={"user": alice}, timeout=10).json()
    assert [e["_mockidp"]["user_id"] for e in har["log"]["entries"]] == [alice] * 4


POST_LOGIN = "exports.onExecutePostLogin = async (event, api) => { console.log('hello'); };"
POST_REGISTRATION = "exports.onExecutePostUserRegistration = async (event) => { console.log(event.user.email); };"


def test_entries_list_the_action_executions_they_caused(mockidp, monkeypatch):
    """post-login runs during the login request; post-user-registration runs after the signup
    request was answered, and still lands on the signup's entry."""
    from action_helpers import install_action, management_sdk
    from oauth_helpers import BOB, Browser

    sdk = management_sdk(mockidp, monkeypatch)
    install_action(sdk, "hello", POST_LOGIN)
    install_action(sdk, "welcome", POST_REGISTRATION, trigger="post-user-registration", version="v2")
    browser = Browser(mockidp.url)
    login = browser.post(browser.login_page(), data={"username": BOB[0], "password": BOB[1]})
    signup = requests.post(f"{mockidp.url}/dbconnections/signup", timeout=10, json={
        "client_id": SPA, "connection": CONNECTION, "email": "dora@example.com", "password": "Sup3r$ecret!"})
    assert signup.status_code == 200, signup.text
    mockidp.wait_for_actions()
    executions = {e["trigger_id"]: e["id"] for e in mockidp.action_executions()}
    assert _entry(mockidp.url, login.headers["x-mockidp-request-id"])["actions"] == [executions["post-login"]]
    caused = journal(mockidp.url, action=executions["post-user-registration"]).json()["entries"]
    assert [e["id"] for e in caused] == [signup.headers["x-mockidp-request-id"]]
    signed_up = _entry(mockidp.url, signup.headers["x-mockidp-request-id"])
    assert signed_up["actions"] == [executions["post-user-registration"]]
    assert signed_up["user_id"] == "auth0|" + signup.json()["_id"]


def test_filters_that_make_no_sense_are_refused(mockidp):
    for bad in ({"user": ""}, {"client_id": ""}, {"method": "FETCH"}, {"status": ["200", "404"]}, {"log": ""}):
        answer = journal(mockidp.url, **bad)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request", bad


def test_the_ring_is_bounded_by_bytes_too():
    """--journal-bytes: large bodies push the oldest entries out long before --journal-size does;
    the newest entry is kept even when it alone is over the bound."""
    from mockidp.runtime import MockIdP

    server = MockIdP(tls=False, journal_size=100, journal_bytes=40_000).start()
    try:
        url = server.url_for("http")
        fat = {"client_id": SPA, "connection": CONNECTION, "email": "fat@example.com", "password": "Sup3r$ecret!",
               "user_metadata": {"blob": "x" * 16_000}}  # refused (400), and journaled with its body
        ids = [requests.post(f"{url}/dbconnections/signup", json=fat, timeout=10).headers["x-mockidp-request-id"]
               for _ in range(5)]
        kept = journal(url).json()["entries"]
        assert [e["id"] for e in kept] == ids[-2:]  # 2 x (16 KB + 1 KB overhead) fit in 40,000 bytes; 3 do not
        assert kept[-1]["request"]["body"]["user_metadata"]["blob"] == "x" * 16_000
        small = [requests.get(f"{url}/_mock/clock", timeout=10).headers["x-mockidp-request-id"] for _ in range(10)]
        assert [e["id"] for e in journal(url).json()["entries"]] == ids[-1:] + small
    finally:
        server.stop()
    server = MockIdP(tls=False, journal_bytes=1000).start()
    try:
        url = server.url_for("http")
        requests.get(f"{url}/_mock/clock", timeout=10)
        newest = requests.post(f"{url}/dbconnections/signup", json=fat, timeout=10).headers["x-mockidp-request-id"]
        assert [e["id"] for e in journal(url).json()["entries"]] == [newest]
    finally:
        server.stop()


def test_the_journal_of_a_seed_000_run_links_request_email_and_log(mockidp, api, anonymous):
    """Seed 000 (an invitation sent as a reset email, the flag flipped right after): the journal
    shows the change_password request, the email it queued (delivered later, by a flush) and its
    scpr log event under one request id, and the user filter gives the run's story in order."""
    from email_helpers import email_settings, flush, install_template
    from test_email_seeds import FORUM_TEMPLATE, invite, send_invitation_then_block_resets

    install_template(api, "reset_email", body=FORUM_TEMPLATE, subject="Welcome")
    email_settings(anonymous, delivery="manual", render="delivery")
    requests.delete(f"{mockidp.url}/_mock/journal", timeout=10)
    user = invite(api, "invitee@example.com")
    send_invitation_then_block_resets(api, anonymous, user)
    [message] = flush(anonymous)

    story = journal(mockidp.url, user=user["user_id"]).json()["entries"]
    assert [(e["method"], e["path"]) for e in story] == [
        ("POST", "/api/v2/users"), ("POST", "/dbconnections/change_password"),
        ("PATCH", f"/api/v2/users/{user['user_id']}")]
    requested = story[1]
    assert requested["emails"] == [message["id"]] and message["request_id"] == requested["id"]
    logs = api.get("/api/v2/logs", params={"q": f'user_id:"{user["user_id"]}"'}).json()
    [scpr] = [event for event in logs if event["type"] == "scpr"]
    assert requested["logs"] == [scpr["log_id"]]
    # From the email or the log event back to the request that caused it.
    assert [e["id"] for e in journal(mockidp.url, email=message["id"]).json()["entries"]] == [requested["id"]]
    assert [e["id"] for e in journal(mockidp.url, log=scpr["log_id"]).json()["entries"]] == [requested["id"]]
    [flushed] = journal(mockidp.url, path="/_mock/email-queue/flush").json()["entries"]
    assert flushed["emails"] == []  # delivering is not queueing: the email stays the request's
