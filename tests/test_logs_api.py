"""Tenant logs: events written by the login, signup, token and password flows with Auth0's type
codes and shape (§9.2), read through GET /api/v2/logs (paging, sort, fields, q, checkpoint),
GET /api/v2/logs/{id} and GET /api/v2/users/{id}/logs."""
from __future__ import annotations

import re

import pytest
import requests
from conftest import Api
from oauth_helpers import (
    ALICE,
    CAROL,
    SPA_ID,
    WEB_ID,
    WEB_SECRET,
    Browser,
    exchange_code,
    token_request,
)

NOW = "2030-01-01T00:00:00Z"


@pytest.fixture
def logs_api(mockidp) -> Api:
    """A Management API client minted after the clock is frozen at NOW (and one seccft event)."""
    mockidp.freeze(NOW)
    return Api(mockidp.url, mockidp.management_token())


def events(api: Api, **params) -> list[dict]:
    response = api.get("/api/v2/logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def types(api: Api, **params) -> list[str]:
    return [event["type"] for event in events(api, sort="date:1", per_page=100, **params)]


def password_login(mockidp, username: str, password: str) -> requests.Response:
    return token_request(mockidp.url, grant_type="password", client_id=WEB_ID, client_secret=WEB_SECRET,
                         username=username, password=password)


def test_a_hosted_login_writes_an_s_event_shaped_like_auth0s(mockidp, logs_api):
    browser = Browser(mockidp.url)
    browser.session.headers["User-Agent"] = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                                             "Gecko) Chrome/120.0.6099.71 Safari/537.36")
    code = browser.sign_in(*ALICE)["code"]
    exchange_code(mockidp.url, code)
    assert types(logs_api) == ["seccft", "s", "seacft"]
    login = events(logs_api, q='type:"s"')[0]
    assert re.fullmatch(r"\d{56}", login["log_id"]) and login["_id"] == login["log_id"]
    assert login["log_id"].startswith("90020300101000000000")
    assert login["date"] == "2030-01-01T00:00:00.000Z" and login["description"] == ""
    assert login["client_id"] == SPA_ID and login["client_name"] == "mockidp SPA"
    assert login["connection"] == "Username-Password-Authentication" and login["connection_id"].startswith("con_")
    assert (login["strategy"], login["strategy_type"]) == ("auth0", "database")
    assert login["user_name"] == ALICE[0] and login["user_id"].startswith("auth0|")
    assert login["ip"] == "127.0.0.1" and login["hostname"] == mockidp.url.split("://")[1]
    assert login["user_agent"] == "Chrome 120.0.6099 / Linux 0.0.0" and login["isMobile"] is False
    assert login["details"]["session_id"] == browser.session_cookie
    assert login["details"]["stats"] == {"loginsCount": 1}
    exchange = events(logs_api, q="type:seacft")[0]
    assert exchange["audience"] == f"{mockidp.url}/userinfo" and exchange["scope"] == "openid profile email"


def test_failed_logins_are_fu_fp_and_f(mockidp, logs_api):
    password_login(mockidp, "nobody@example.com", "x")
    password_login(mockidp, ALICE[0], "wrong")
    password_login(mockidp, *CAROL)
    password_login(mockidp, *ALICE)
    assert types(logs_api)[1:] == ["fu", "fp", "f", "sepft"]
    unknown, wrong, blocked = (events(logs_api, q=f"type:{kind}")[0] for kind in ("fu", "fp", "f"))
    assert unknown["description"] == wrong["description"] == "Wrong email or password."
    assert unknown["user_name"] == "nobody@example.com" and "user_id" not in unknown
    assert wrong["user_name"] == ALICE[0] and wrong["user_id"].startswith("auth0|")
    assert blocked["description"] == "user is blocked"


def test_signup_reset_request_and_password_change_events(mockidp, logs_api):
    requests.post(f"{mockidp.url}/dbconnections/signup", timeout=30, json={
        "client_id": SPA_ID, "connection": "Username-Password-Authentication", "email": "new@example.com",
        "password": "Str0ng!pass"})
    requests.post(f"{mockidp.url}/dbconnections/signup", timeout=30, json={
        "client_id": SPA_ID, "connection": "Username-Password-Authentication", "email": "weak@example.com",
        "password": "weak"})
    for email in ("new@example.com", "ghost@example.com"):
        requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=30,
                      json={"email": email, "connection": "Username-Password-Authentication"})
    verify = mockidp.outbox(to="new@example.com", template="verify_email")[-1]["url"].split("#")[0]
    requests.get(verify, timeout=30)
    link = mockidp.outbox(to="new@example.com", template="reset_email")[-1]["url"].split("#")[0]
    requests.post(link, data={"password": "weak"}, timeout=30)
    requests.post(link, data={"password": "An0ther!pass"}, timeout=30)
    assert types(logs_api)[1:] == ["ss", "fs", "scpr", "fcpr", "sv", "fcp", "scp"]
    signup = events(logs_api, q="type:ss")[0]
    assert signup["details"]["body"]["password"] == "*****" and signup["user_name"] == "new@example.com"
    assert events(logs_api, q="type:fs")[0]["description"] == "Password is too weak"
    assert events(logs_api, q="type:fcpr")[0]["description"] == "User does not exist."


def test_silent_auth_logout_refresh_and_revoke_events(mockidp, logs_api):
    browser = Browser(mockidp.url)
    browser.authorize(prompt="none")
    code = browser.sign_in(*ALICE, scope="openid offline_access")["code"]
    refresh_token = exchange_code(mockidp.url, code).json()["refresh_token"]
    browser.authorize(prompt="none")
    token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID, refresh_token=refresh_token)
    requests.post(f"{mockidp.url}/oauth/revoke", json={"client_id": SPA_ID, "token": refresh_token}, timeout=30)
    token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID, refresh_token=refresh_token)
    browser.get("/v2/logout?client_id=" + SPA_ID + "&returnTo=http%3A%2F%2Flocalhost%3A3000")
    assert types(logs_api)[1:] == ["fsa", "s", "seacft", "ssa", "sertft", "srrt", "fertft", "slo"]
    assert events(logs_api, q="type:fsa")[0]["description"] == "Login required"
    logout = events(logs_api, q="type:slo")[0]
    assert logout["details"]["return_to"] == "http://localhost:3000" and logout["user_name"] == ALICE[0]


def test_paging_sort_totals_and_fields(mockidp, logs_api):
    for _ in range(3):
        password_login(mockidp, ALICE[0], "wrong")
        mockidp.advance(1)
    newest_first = events(logs_api)
    assert [event["type"] for event in newest_first] == ["fp", "fp", "fp", "seccft"]
    assert [e["date"] for e in newest_first] == sorted((e["date"] for e in newest_first), reverse=True)
    page = logs_api.get("/api/v2/logs", params={"page": 1, "per_page": 2, "include_totals": "true"}).json()
    assert {key: page[key] for key in ("start", "limit", "length", "total")} == {
        "start": 2, "limit": 2, "length": 2, "total": 4}
    assert page["logs"] == newest_first[2:]
    assert [e["type"] for e in events(logs_api, sort="date:1")] == ["seccft", "fp", "fp", "fp"]
    picked = events(logs_api, fields="type,date", include_fields="true")
    assert all(set(event) == {"type", "date"} for event in picked)
    dropped = events(logs_api, fields="details", include_fields="false")
    assert all("details" not in event and "log_id" in event for event in dropped)


def test_search_queries(mockidp, logs_api):
    password_login(mockidp, *ALICE)
    password_login(mockidp, ALICE[0], "wrong")
    user_id = events(logs_api, q="type:sepft")[0]["user_id"]
    assert [e["type"] for e in events(logs_api, q=f'user_id:"{user_id}"', sort="date:1")] == ["sepft", "fp"]
    assert [e["type"] for e in events(logs_api, q='type:"fp" OR type:"sepft"', sort="date:1")] == ["sepft", "fp"]
    assert events(logs_api, q=f"client_id:{WEB_ID} AND type:fp")[0]["type"] == "fp"
    assert events(logs_api, search="type:seccft")[0]["type"] == "seccft"
    bad = logs_api.get("/api/v2/logs", params={"q": "type:("})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_query_string"


def test_checkpoint_paging(mockidp, logs_api):
    for _ in range(4):
        password_login(mockidp, ALICE[0], "wrong")
    ascending = events(logs_api, sort="date:1")
    first = ascending[0]["log_id"]
    after = events(logs_api, **{"from": first, "take": 2})
    assert [e["log_id"] for e in after] == [e["log_id"] for e in ascending[1:3]]
    assert events(logs_api, **{"from": ascending[-1]["log_id"], "take": 10}) == []
    assert [e["log_id"] for e in events(logs_api, take=2)] == [e["log_id"] for e in ascending[::-1][:2]]
    assert logs_api.get("/api/v2/logs", params={"take": 101}).status_code == 400


def test_one_log_and_a_users_logs(mockidp, logs_api):
    password_login(mockidp, *ALICE)
    password_login(mockidp, ALICE[0], "wrong")
    event = events(logs_api, q="type:fp")[0]
    assert logs_api.get(f"/api/v2/logs/{event['log_id']}").json() == event
    missing = logs_api.get("/api/v2/logs/90020300101000000000000000000000000000000000000000000000")
    assert missing.status_code == 404 and missing.json()["message"] == "Log not found"
    mine = logs_api.get(f"/api/v2/users/{event['user_id']}/logs").json()
    assert [e["type"] for e in mine] == ["fp", "sepft"]
    totals = logs_api.get(f"/api/v2/users/{event['user_id']}/logs", params={"include_totals": "true",
                                                                             "per_page": 1}).json()
    assert totals["total"] == 2 and totals["length"] == 1 and totals["logs"] == mine[:1]
    assert logs_api.get("/api/v2/users/auth0%7Cnobody/logs").json() == []


def test_logs_need_read_logs(mockidp, logs_api):
    narrow = Api(mockidp.url, mockidp.management_token(scope="read:users"))
    response = narrow.get("/api/v2/logs")
    assert response.status_code == 403
    assert response.json()["message"] == "Insufficient scope, expected any of: read:logs,read:logs_users"
    assert Api(mockidp.url, mockidp.management_token(scope="read:logs_users")).get("/api/v2/logs").status_code == 200


def test_reset_clears_the_log_and_ids_repeat(mockidp, logs_api):
    password_login(mockidp, ALICE[0], "wrong")
    first = [event["log_id"] for event in events(logs_api)]
    mockidp.reset()
    mockidp.freeze(NOW)
    api = Api(mockidp.url, mockidp.management_token())
    password_login(mockidp, ALICE[0], "wrong")
    assert [event["log_id"] for event in events(api)] == first


def test_a_verification_email_that_cannot_be_sent_is_fv(mockidp, logs_api):
    assert logs_api.patch("/_mock/settings", json={"email": {"delivery": "manual"}}).status_code == 200
    requests.post(f"{mockidp.url}/dbconnections/signup", timeout=30, json={
        "client_id": SPA_ID, "connection": "Username-Password-Authentication", "email": "gone@example.com",
        "password": "Str0ng!pass"})
    user_id = logs_api.get("/api/v2/users-by-email", params={"email": "gone@example.com"}).json()[0]["user_id"]
    logs_api.delete(f"/api/v2/users/{user_id}")
    assert logs_api.post("/_mock/email-queue/flush").status_code == 200
    failed = events(logs_api, q="type:fv")[0]
    assert failed["user_name"] == "gone@example.com" and failed["details"]["email_type"] == "verify_email"
    assert failed["details"]["error"]
