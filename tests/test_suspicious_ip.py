"""Suspicious IP throttling over HTTP (fact sheet §5.3): failed logins from one IP, whatever the
account, block the IP (429, limit_mu) until its bucket refills an attempt or an admin unblocks it;
/api/v2/anomaly/blocks/ips/{ip} tells and ends it."""
from __future__ import annotations

import pytest
import requests
from management_crud import assert_error, scoped
from oauth_helpers import ALICE, BOB, REALM, WEB_ID, WEB_SECRET, Browser

SUSPICIOUS = {"error": "too_many_attempts",
              "error_description": "We have detected suspicious login behavior and further attempts will be "
                                   "blocked. Please contact the administrator."}
GENERIC_404 = {"statusCode": 404, "error": "Not Found", "message": "Not Found"}
IP = "10.20.30.40"


@pytest.fixture
def frozen(mockidp):
    mockidp.freeze("2030-01-01T00:00:00Z")
    return mockidp


@pytest.fixture
def throttled(frozen, api):
    """Three failed logins per IP, one more granted a minute; the Web App names its end users' IPs."""
    assert api.patch(f"/api/v2/clients/{WEB_ID}", json={"is_token_endpoint_ip_header_trusted": True}).ok
    assert api.patch("/api/v2/attack-protection/suspicious-ip-throttling", json={
        "stage": {"pre-login": {"max_attempts": 3, "rate": 60000},
                  "pre-user-registration": {"max_attempts": 50, "rate": 1200}}}).ok
    return frozen


def login(mockidp, username: str, password: str, ip: str = IP) -> requests.Response:
    return requests.post(f"{mockidp.url}/oauth/token", timeout=30, headers={"auth0-forwarded-for": ip}, data={
        "grant_type": REALM, "realm": "Username-Password-Authentication", "username": username,
        "password": password, "scope": "openid", "client_id": WEB_ID, "client_secret": WEB_SECRET})


def block(mockidp, ip: str = IP) -> None:
    """Three failures from `ip`, each against another account (brute-force protection, which
    counts per account, never sees more than one)."""
    for username in (ALICE[0], BOB[0], "nobody@example.com"):
        assert login(mockidp, username, "wrong", ip).status_code == 403


def test_failed_logins_from_one_ip_block_it_for_every_account(throttled, api):
    block(throttled)
    refused = login(throttled, *ALICE)
    assert (refused.status_code, refused.json()) == (429, SUSPICIOUS)  # the right password too
    assert login(throttled, *BOB, ip="10.20.30.41").status_code == 200  # another IP is not blocked
    checked = api.get(f"/api/v2/anomaly/blocks/ips/{IP}")
    assert (checked.status_code, checked.content) == (200, b"")
    other = api.get("/api/v2/anomaly/blocks/ips/10.20.30.41")
    assert (other.status_code, other.json()) == (404, GENERIC_404)  # Auth0's answer (recorded)
    logged = api.get("/api/v2/logs", params={"q": 'type:"limit_mu"'}).json()
    assert [entry["ip"] for entry in logged] == [IP]


def test_the_block_ends_when_an_attempt_is_granted_again_or_an_admin_lifts_it(throttled, api):
    block(throttled)
    throttled.advance(59)
    assert login(throttled, *ALICE).status_code == 429
    throttled.advance(1)  # one attempt a minute: the bucket has one again
    assert api.get(f"/api/v2/anomaly/blocks/ips/{IP}").status_code == 404
    assert login(throttled, ALICE[0], "wrong").status_code == 403  # ...which this failure takes
    assert login(throttled, *ALICE).status_code == 429
    assert api.delete(f"/api/v2/anomaly/blocks/ips/{IP}").status_code == 204
    assert api.get(f"/api/v2/anomaly/blocks/ips/{IP}").status_code == 404
    assert login(throttled, *ALICE).status_code == 200  # and the bucket is full again
    assert api.delete(f"/api/v2/anomaly/blocks/ips/{IP}").status_code == 204  # not blocked: 204 too (recorded)


def test_a_disabled_or_allowlisted_throttling_blocks_nothing(throttled, api):
    api.patch("/api/v2/attack-protection/suspicious-ip-throttling", json={"allowlist": ["10.20.0.0/16"]})
    block(throttled)
    assert login(throttled, *ALICE).status_code == 200
    api.patch("/api/v2/attack-protection/suspicious-ip-throttling", json={"allowlist": [], "enabled": False})
    block(throttled, "10.99.0.1")
    assert login(throttled, *ALICE, ip="10.99.0.1").status_code == 200
    assert api.get("/api/v2/anomaly/blocks/ips/10.99.0.1").status_code == 404


def test_the_hosted_login_page_counts_failures_and_says_the_ip_is_blocked(throttled):
    browser = Browser(throttled.url)
    page = browser.login_page()
    for username in (ALICE[0], BOB[0], "nobody@example.com"):
        response = browser.post(page, data={"username": username, "password": "wrong"})
        assert response.status_code == 400 and "Wrong email or password" in response.text
    response = browser.post(page, data={"username": ALICE[0], "password": ALICE[1]})
    assert response.status_code == 400 and SUSPICIOUS["error_description"] in response.text


def test_bad_ips_and_missing_scopes_are_refused(mockidp, api):
    assert_error(api.get("/api/v2/anomaly/blocks/ips/x1"), 400,
                 "Path validation error: 'Data does not match any schemas from 'oneOf'' on property id "
                 "(IP address to check.).", "invalid_uri", operation="GET /anomaly/blocks/ips/{id}")
    assert api.get("/api/v2/anomaly/blocks/ips/2001:db8::1").status_code == 404  # IPv6 is an IP too
    reader = scoped(mockidp, "read:anomaly_blocks")
    assert_error(reader.delete(f"/api/v2/anomaly/blocks/ips/{IP}"), 403,
                 "Insufficient scope, expected any of: delete:anomaly_blocks", "insufficient_scope")
