"""GET/DELETE /api/v2/user-blocks (by user id and by identifier) and GET/PATCH
/api/v2/attack-protection/brute-force-protection: exact shapes, errors and scopes (fact sheet
§5.1, §5.2), over plain HTTP and through the official auth0-python SDK over HTTPS."""
from __future__ import annotations

import pytest
import requests
from auth0.management import ManagementClient
from auth0.management.errors import BadRequestError, NotFoundError
from conftest import Api
from oauth_helpers import ALICE, REALM, WEB_ID, WEB_SECRET

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

NOW = "2030-01-01T00:00:00Z"
CONNECTION = "Username-Password-Authentication"
SETTINGS_PATH = "/api/v2/attack-protection/brute-force-protection"
DEFAULT_SETTINGS = {"enabled": True, "shields": ["block", "user_notification"],
                    "mode": "count_per_identifier_and_ip", "allowlist": [], "max_attempts": 10}
ALICE_BLOCK = {"identifier": ALICE[0], "ip": "127.0.0.1", "connection": CONNECTION}


@pytest.fixture
def frozen(mockidp):
    mockidp.freeze(NOW)
    return mockidp


def block(mockidp, username: str = ALICE[0], times: int = 10) -> None:
    for _ in range(times):
        response = requests.post(f"{mockidp.url}/oauth/token", timeout=30, data={
            "grant_type": REALM, "realm": CONNECTION, "username": username, "password": "wrong",
            "client_id": WEB_ID, "client_secret": WEB_SECRET})
        assert response.status_code == 403


def alice_id(api: Api) -> str:
    return api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]


def assert_error(response: requests.Response, status: int, message: str, code: str | None) -> None:
    reasons = {400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
    body = {"statusCode": status, "error": reasons[status], "message": message}
    if code:
        body["errorCode"] = code
    assert (response.status_code, response.json()) == (status, body)


# --- user-blocks -----------------------------------------------------------------------------------

def test_nothing_blocked_is_an_empty_list(frozen, api):
    assert api.get(f"/api/v2/user-blocks/{alice_id(api)}").json() == {"blocked_for": []}
    response = api.get("/api/v2/user-blocks", params={"identifier": ALICE[0]})
    assert (response.status_code, response.json()) == (200, {"blocked_for": []})


def test_get_by_user_id_and_by_identifier(frozen, api):
    block(frozen)
    assert api.get(f"/api/v2/user-blocks/{alice_id(api)}").json() == {"blocked_for": [ALICE_BLOCK]}
    by_identifier = api.get("/api/v2/user-blocks", params={"identifier": "ALICE@example.com"})
    assert by_identifier.json() == {"blocked_for": [ALICE_BLOCK]}  # identifiers are case-insensitive


def test_below_the_threshold_is_not_a_block(frozen, api):
    block(frozen, times=9)
    assert api.get(f"/api/v2/user-blocks/{alice_id(api)}").json() == {"blocked_for": []}


def test_delete_by_user_id(frozen, api):
    block(frozen)
    response = api.delete(f"/api/v2/user-blocks/{alice_id(api)}")
    assert (response.status_code, response.content) == (204, b"")
    assert api.get(f"/api/v2/user-blocks/{alice_id(api)}").json() == {"blocked_for": []}
    [released] = api.get("/api/v2/logs", params={"q": 'type:"ublkdu"'}).json()
    assert released["user_id"] == alice_id(api)


def test_delete_by_identifier(frozen, api):
    block(frozen)
    response = api.delete("/api/v2/user-blocks", params={"identifier": ALICE[0]})
    assert (response.status_code, response.content) == (204, b"")
    assert api.get("/api/v2/user-blocks", params={"identifier": ALICE[0]}).json() == {"blocked_for": []}
    assert api.delete("/api/v2/user-blocks", params={"identifier": ALICE[0]}).status_code == 204  # idempotent


def test_unknown_user_is_404(frozen, api):
    for method in ("GET", "DELETE"):
        response = api.request(method, "/api/v2/user-blocks/auth0|000000000000000000000000")
        assert_error(response, 404, "The user does not exist.", "inexistent_user")


def test_identifier_is_required(frozen, api):
    for method in ("GET", "DELETE"):
        response = api.request(method, "/api/v2/user-blocks")
        assert_error(response, 400, "Query validation error: 'Missing required property: identifier'.",
                     "invalid_query_string")


def test_consider_brute_force_enablement(frozen, api):
    block(frozen)
    api.patch(SETTINGS_PATH, json={"enabled": False})
    user_path = f"/api/v2/user-blocks/{alice_id(api)}"
    assert api.get(user_path).json() == {"blocked_for": [ALICE_BLOCK]}  # stored blocks, regardless
    assert api.get(user_path, params={"consider_brute_force_enablement": "true"}).json() == {"blocked_for": []}
    api.patch(SETTINGS_PATH, json={"enabled": True, "allowlist": ["127.0.0.0/8"]})
    assert api.get(user_path, params={"consider_brute_force_enablement": "true"}).json() == {"blocked_for": []}
    api.patch(SETTINGS_PATH, json={"allowlist": []})
    assert api.get(user_path, params={"consider_brute_force_enablement": "true"}).json() == {
        "blocked_for": [ALICE_BLOCK]}


def test_scopes(frozen):
    reader = Api(frozen.url, frozen.management_token(scope="read:users"))
    assert reader.get("/api/v2/user-blocks", params={"identifier": ALICE[0]}).status_code == 200
    assert_error(reader.delete("/api/v2/user-blocks", params={"identifier": ALICE[0]}), 403,
                 "Insufficient scope, expected any of: update:users", "insufficient_scope")
    assert_error(reader.get(SETTINGS_PATH), 403,
                 "Insufficient scope, expected any of: read:attack_protection", "insufficient_scope")


# --- attack-protection/brute-force-protection -----------------------------------------------------------

def test_default_settings(frozen, api):
    response = api.get(SETTINGS_PATH)
    assert (response.status_code, response.json()) == (200, DEFAULT_SETTINGS)


def test_patch_merges_and_returns_the_settings(frozen, api):
    response = api.patch(SETTINGS_PATH, json={"max_attempts": 3, "mode": "count_per_identifier",
                                              "allowlist": ["10.0.0.1", "192.168.0.0/16", "::1"]})
    expected = {**DEFAULT_SETTINGS, "max_attempts": 3, "mode": "count_per_identifier",
                "allowlist": ["10.0.0.1", "192.168.0.0/16", "::1"]}
    assert (response.status_code, response.json()) == (200, expected)
    assert api.get(SETTINGS_PATH).json() == expected
    frozen.reset()
    assert api.get(SETTINGS_PATH).json() == DEFAULT_SETTINGS


@pytest.mark.parametrize("body, message", [
    ({"max_attempts": 0}, "Payload validation error: 'Value 0 is less than minimum 1' on property "
                          "max_attempts (Maximum number of unsuccessful attempts)."),
    ({"max_attempts": 101}, "Payload validation error: 'Value 101 is greater than maximum 100' on property "
                            "max_attempts (Maximum number of unsuccessful attempts)."),
    ({"enabled": "yes"}, "Payload validation error: 'Expected type boolean but found type string' on "
                         "property enabled (Whether or not brute force attack protections are active)."),
    ({"shields": ["captcha"]}, None),
    ({"mode": "per_ip"}, None),
    ({"unknown": 1}, "Payload validation error: 'Additional properties not allowed: unknown'."),
    ({"allowlist": ["not-an-ip"]}, "Payload validation error: 'Data does not match any schemas from "
                                   "'anyOf'' on property allowlist[0]."),
])
def test_bad_settings_are_refused_and_change_nothing(frozen, api, body, message):
    response = api.patch(SETTINGS_PATH, json={"max_attempts": 5, **body})
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"statusCode", "error", "message", "errorCode"}
    assert (error["statusCode"], error["error"], error["errorCode"]) == (400, "Bad Request", "invalid_body")
    if message:
        assert error["message"] == message
    assert api.get(SETTINGS_PATH).json() == DEFAULT_SETTINGS


# --- the official auth0-python SDK, over HTTPS ----------------------------------------------------------

@pytest.fixture
def sdk(frozen, monkeypatch) -> ManagementClient:
    monkeypatch.setenv("SSL_CERT_FILE", str(frozen.ca_bundle))
    return ManagementClient(domain=frozen.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def test_sdk_user_blocks(sdk, frozen, api):
    user_id = alice_id(api)
    assert sdk.user_blocks.list(user_id).blocked_for == []
    block(frozen)
    [found] = sdk.user_blocks.list(user_id).blocked_for
    assert (found.identifier, found.ip, found.connection) == (ALICE[0], "127.0.0.1", CONNECTION)
    assert len(sdk.user_blocks.list_by_identifier(identifier=ALICE[0]).blocked_for) == 1
    sdk.user_blocks.delete(user_id)
    assert sdk.user_blocks.list_by_identifier(identifier=ALICE[0]).blocked_for == []
    block(frozen)
    sdk.user_blocks.delete_by_identifier(identifier=ALICE[0])
    assert sdk.user_blocks.list(user_id).blocked_for == []
    with pytest.raises(NotFoundError):
        sdk.user_blocks.list("auth0|000000000000000000000000")


def test_sdk_brute_force_settings(sdk):
    current = sdk.attack_protection.brute_force_protection.get()
    assert (current.enabled, current.max_attempts, current.mode) == (True, 10, "count_per_identifier_and_ip")
    updated = sdk.attack_protection.brute_force_protection.update(max_attempts=5, shields=["block"])
    assert (updated.max_attempts, list(updated.shields)) == (5, ["block"])
    with pytest.raises(BadRequestError):
        sdk.attack_protection.brute_force_protection.update(max_attempts=1000)
