"""Brute-force protection over HTTP (fact sheet §5.2, §9.3, §10.4): counting failed password
logins per identifier and IP on /oauth/token and the hosted login page, the 429 block, the
blocked_account email and its unblock link, limit_wc / ublkdu logs, and every way a block ends."""
from __future__ import annotations

import pytest
import requests
from oauth_helpers import (
    ALICE,
    BOB,
    REALM,
    WEB_ID,
    WEB_SECRET,
    Browser,
    redirect_params,
)

NOW = "2030-01-01T00:00:00Z"
CONNECTION = "Username-Password-Authentication"
TOO_MANY_ATTEMPTS = {"error": "too_many_attempts",
                     "error_description": "Your account has been blocked after multiple consecutive login "
                                          "attempts. We've sent you an email with instructions on how to "
                                          "unblock it."}
WRONG_CREDENTIALS = {"error": "invalid_grant", "error_description": "Wrong email or password."}
DAY = 24 * 3600


@pytest.fixture
def frozen(mockidp):
    mockidp.freeze(NOW)
    return mockidp


@pytest.fixture
def trusted(frozen, api):
    """The Web App trusts auth0-forwarded-for, so each test can pick its end-user IPs."""
    response = api.patch(f"/api/v2/clients/{WEB_ID}", json={"is_token_endpoint_ip_header_trusted": True})
    assert response.status_code == 200, response.text
    return frozen


def login(mockidp, username: str, password: str, ip: str | None = None) -> requests.Response:
    headers = {"auth0-forwarded-for": ip} if ip else {}
    return requests.post(f"{mockidp.url}/oauth/token", timeout=30, headers=headers, data={
        "grant_type": REALM, "realm": CONNECTION, "username": username, "password": password,
        "scope": "openid", "client_id": WEB_ID, "client_secret": WEB_SECRET})


def fail(mockidp, username: str, times: int, ip: str | None = None) -> None:
    for _ in range(times):
        response = login(mockidp, username, "not-the-password", ip)
        assert (response.status_code, response.json()) == (403, WRONG_CREDENTIALS)


def blocked(response: requests.Response) -> bool:
    if response.status_code == 429:
        assert response.json() == TOO_MANY_ATTEMPTS
        return True
    return False


def settings(api, **patch) -> dict:
    response = api.patch("/api/v2/attack-protection/brute-force-protection", json=patch)
    assert response.status_code == 200, response.text
    return response.json()


def log_types(api, type_: str) -> list[dict]:
    return api.get("/api/v2/logs", params={"q": f'type:"{type_}"'}).json()


def alice_id(api) -> str:
    return api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]


# --- lockout -------------------------------------------------------------------------------------

def test_ten_failures_block_the_identifier_from_127_0_0_1(frozen, api):
    fail(frozen, ALICE[0], 10)
    assert blocked(login(frozen, *ALICE))  # the right password is refused too
    assert blocked(login(frozen, ALICE[0], "wrong"))
    assert login(frozen, *BOB).status_code == 200  # other identifiers are unaffected
    [event] = log_types(api, "limit_wc")  # logged once, when the block started
    assert event["user_name"] == ALICE[0] and event["ip"] == "127.0.0.1"
    assert event["user_id"] == alice_id(api) and event["connection"] == CONNECTION


def test_nine_failures_then_a_success_reset_the_counter(frozen):
    fail(frozen, ALICE[0], 9)
    assert login(frozen, *ALICE).status_code == 200
    fail(frozen, ALICE[0], 9)
    assert login(frozen, *ALICE).status_code == 200


def test_per_ip_mode_blocks_only_the_attacking_ip(trusted, api):
    fail(trusted, ALICE[0], 10, ip="10.0.0.1")
    assert blocked(login(trusted, *ALICE, ip="10.0.0.1"))
    assert login(trusted, *ALICE, ip="10.0.0.2").status_code == 200


def test_account_lockout_mode_blocks_every_ip(trusted, api):
    settings(api, mode="count_per_identifier", max_attempts=3)
    fail(trusted, ALICE[0], 2, ip="10.0.0.1")
    fail(trusted, ALICE[0], 1, ip="10.0.0.2")  # the failures add up across IPs
    assert blocked(login(trusted, *ALICE, ip="10.0.0.3"))
    assert api.get(f"/api/v2/user-blocks/{alice_id(api)}").json() == {
        "blocked_for": [{"identifier": ALICE[0], "connection": CONNECTION}]}  # no ip: every IP


def test_the_forwarded_ip_is_ignored_unless_the_client_is_trusted(frozen):
    fail(frozen, ALICE[0], 10, ip="10.0.0.1")  # untrusted: counted for 127.0.0.1
    assert blocked(login(frozen, *ALICE, ip="10.0.0.2"))


def test_unknown_identifiers_are_counted_and_blocked_without_an_email(frozen, api):
    fail(frozen, "nobody@example.com", 10)
    assert blocked(login(frozen, "nobody@example.com", "whatever"))
    assert api.get("/api/v2/user-blocks", params={"identifier": "nobody@example.com"}).json() == {
        "blocked_for": [{"identifier": "nobody@example.com", "ip": "127.0.0.1", "connection": CONNECTION}]}
    assert frozen.outbox(template="blocked_account") == []


def test_disabled_protection_allowlist_and_connection_option_do_not_count(trusted, api):
    settings(api, max_attempts=2, allowlist=["10.1.0.0/16"])
    fail(trusted, ALICE[0], 3, ip="10.1.2.3")
    assert login(trusted, *ALICE, ip="10.1.2.3").status_code == 200
    settings(api, enabled=False)
    fail(trusted, ALICE[0], 3, ip="10.0.0.1")
    assert login(trusted, *ALICE, ip="10.0.0.1").status_code == 200
    settings(api, enabled=True)
    connection = api.get("/api/v2/connections", params={"name": CONNECTION}).json()[0]
    response = api.patch(f"/api/v2/connections/{connection['id']}",
                         json={"options": {**connection["options"], "brute_force_protection": False}})
    assert response.status_code == 200, response.text
    fail(trusted, ALICE[0], 3, ip="10.0.0.1")
    assert login(trusted, *ALICE, ip="10.0.0.1").status_code == 200


def test_without_the_block_shield_nothing_is_blocked(frozen, api):
    settings(api, shields=["user_notification"], max_attempts=2)
    fail(frozen, ALICE[0], 3)
    assert login(frozen, *ALICE).status_code == 200
    assert log_types(api, "limit_wc") == []
    assert len(frozen.outbox(template="blocked_account")) == 1


def test_concurrent_failures_start_exactly_one_block(frozen, api):
    from concurrent.futures import ThreadPoolExecutor

    settings(api, max_attempts=5)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: login(frozen, ALICE[0], "wrong"), range(20)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [403] * 5 + [429] * 15
    assert len(log_types(api, "limit_wc")) == 1
    assert len(frozen.outbox(template="blocked_account")) == 1
    refused = log_types(api, "f")
    assert len(refused) == 15 and refused[0]["description"] == TOO_MANY_ATTEMPTS["error_description"]


# --- the email and the unblock link ----------------------------------------------------------------

def test_the_blocked_account_email_carries_a_working_unblock_link(frozen, api):
    fail(frozen, ALICE[0], 10)
    [message] = frozen.outbox(template="blocked_account")
    assert message["to"] == ALICE[0] and message["status"] == "delivered"
    assert "127.0.0.1" in message["html"]  # user.source_ip
    link = message["url"]
    assert link.startswith(f"{frozen.url}/u/unblock?ticket=") and link in message["links"]
    assert requests.head(link, timeout=30).status_code == 200  # a link scanner does not use it up
    page = requests.get(link, timeout=30)
    assert page.status_code == 200 and "Account Unblocked" in page.text
    assert login(frozen, *ALICE).status_code == 200
    [released] = log_types(api, "ublkdu")
    assert released["user_id"] == alice_id(api)
    again = requests.get(link, timeout=30)
    assert again.status_code == 400 and "This URL can be used only once" in again.text


def test_at_most_one_email_per_ip_per_hour(trusted, api):
    settings(api, max_attempts=2)
    fail(trusted, ALICE[0], 2, ip="10.0.0.1")
    fail(trusted, BOB[0], 2, ip="10.0.0.1")  # the same IP within the hour: no second email
    fail(trusted, BOB[0], 2, ip="10.0.0.2")  # another IP: emailed
    assert [(m["to"], "10.0.0.2" in m["html"]) for m in trusted.outbox(template="blocked_account")] == [
        (ALICE[0], False), (BOB[0], True)]
    trusted.advance(3600)
    api.delete("/api/v2/user-blocks", params={"identifier": BOB[0]})
    fail(trusted, BOB[0], 2, ip="10.0.0.1")
    assert len(trusted.outbox(template="blocked_account")) == 3


def test_a_disabled_template_sends_nothing(frozen, api):
    response = api.post("/api/v2/email-templates", json={
        "template": "blocked_account", "enabled": False, "syntax": "liquid", "from": "a@example.com",
        "subject": "Blocked", "body": "<p>{{ url }}</p>"})
    assert response.status_code in (200, 201), response.text
    fail(frozen, ALICE[0], 10)
    assert blocked(login(frozen, *ALICE))
    assert frozen.outbox(template="blocked_account") == []


# --- how a block ends ---------------------------------------------------------------------------------

def test_a_block_lapses_30_days_after_the_last_failure(frozen):
    fail(frozen, ALICE[0], 10)
    frozen.advance(30 * DAY - 1)
    assert blocked(login(frozen, *ALICE))  # refused attempts do not extend it
    frozen.advance(1)
    assert login(frozen, *ALICE).status_code == 200


def test_a_password_change_through_the_api_ends_the_block(frozen, api):
    fail(frozen, ALICE[0], 10)
    response = api.patch(f"/api/v2/users/{alice_id(api)}", json={"password": "N3w-Passw0rd!"})
    assert response.status_code == 200
    assert login(frozen, ALICE[0], "N3w-Passw0rd!").status_code == 200


def test_a_password_reset_link_ends_the_block(frozen, api):
    fail(frozen, ALICE[0], 10)
    ticket = api.post("/api/v2/tickets/password-change", json={"user_id": alice_id(api)}).json()["ticket"]
    response = requests.post(ticket.rstrip("#"), data={"password": "N3w-Passw0rd!",
                                                       "re-enter-password": "N3w-Passw0rd!"},
                             timeout=30, allow_redirects=False)
    assert response.status_code == 200, response.text
    assert login(frozen, ALICE[0], "N3w-Passw0rd!").status_code == 200


def test_raising_max_attempts_above_the_count_ends_the_block(frozen, api):
    fail(frozen, ALICE[0], 10)
    settings(api, max_attempts=11)
    assert login(frozen, *ALICE).status_code == 200


def test_reset_clears_counters_and_blocks(frozen):
    fail(frozen, ALICE[0], 10)
    frozen.reset()
    assert login(frozen, *ALICE).status_code == 200


# --- the admin block is independent ---------------------------------------------------------------

def test_admin_block_and_brute_force_block_are_independent(frozen, api):
    user_id = alice_id(api)
    fail(frozen, ALICE[0], 10)
    assert api.patch(f"/api/v2/users/{user_id}", json={"blocked": False}).status_code == 200
    assert blocked(login(frozen, *ALICE))  # blocked:false leaves the brute-force block alone
    assert api.patch(f"/api/v2/users/{user_id}", json={"blocked": True}).status_code == 200
    assert api.delete(f"/api/v2/user-blocks/{user_id}").status_code == 204
    response = login(frozen, *ALICE)  # the admin block stays
    assert (response.status_code, response.json()) == (401, {"error": "unauthorized",
                                                             "error_description": "user is blocked"})
    assert api.get(f"/api/v2/users/{user_id}").json()["blocked"] is True


# --- the hosted login page ----------------------------------------------------------------------------

def test_the_hosted_login_page_counts_and_shows_the_block(frozen, api):
    browser = Browser(frozen.url)
    page = browser.login_page()
    settings(api, max_attempts=3)
    for _ in range(3):
        response = browser.post(page, data={"username": ALICE[0], "password": "wrong"})
        assert response.status_code == 400 and "Wrong email or password" in response.text
    response = browser.post(page, data={"username": ALICE[0], "password": ALICE[1]})
    assert response.status_code == 400
    assert "Your account has been blocked after multiple consecutive login attempts." in response.text
    assert len(log_types(api, "limit_wc")) == 1
    assert len(frozen.outbox(template="blocked_account")) == 1
    assert api.delete("/api/v2/user-blocks", params={"identifier": ALICE[0]}).status_code == 204
    assert "code" in redirect_params(browser.post(page, data={"username": ALICE[0], "password": ALICE[1]}))


def test_hosted_page_and_token_endpoint_share_the_counter(frozen, api):
    settings(api, max_attempts=4)
    fail(frozen, ALICE[0], 2)
    browser = Browser(frozen.url)
    page = browser.login_page()
    for _ in range(2):
        browser.post(page, data={"username": ALICE[0], "password": "wrong"})
    assert blocked(login(frozen, *ALICE))


# --- linked accounts (core/identities.py) ----------------------------------------------------------------

SECONDARY = ("second@example.com", "Sec0nd$ecret!")


def linked_secondary(api) -> str:
    """A second database user linked into Alice; its credentials now sign Alice in."""
    from conftest import new_user

    secondary = new_user(api, email=SECONDARY[0], password=SECONDARY[1])
    response = api.post(f"/api/v2/users/{alice_id(api)}/identities",
                        json={"provider": "auth0", "user_id": secondary["user_id"].split("|", 1)[1]})
    assert response.status_code == 201, response.text
    return secondary["user_id"]


def test_a_linked_secondarys_identifier_is_counted_as_typed_and_listed_for_the_primary(frozen, api):
    linked_secondary(api)
    settings(api, max_attempts=3)
    fail(frozen, SECONDARY[0], 3)
    assert blocked(login(frozen, *SECONDARY))
    assert login(frozen, *ALICE).status_code == 200  # the primary's own identifier is not blocked
    response = api.get(f"/api/v2/user-blocks/{alice_id(api)}")
    assert response.json() == {"blocked_for": [{"identifier": SECONDARY[0], "ip": "127.0.0.1",
                                                "connection": CONNECTION}]}
    [event] = log_types(api, "limit_wc")
    assert event["user_id"] == alice_id(api) and event["user_name"] == SECONDARY[0]
    assert [mail["to"] for mail in frozen.outbox(template="blocked_account")] == [ALICE[0]]
    assert api.delete(f"/api/v2/user-blocks/{alice_id(api)}").status_code == 204
    assert login(frozen, *SECONDARY).status_code == 200


def test_the_primarys_new_password_leaves_a_linked_secondarys_block(frozen, api):
    """The secondary's credentials keep their own password, so a new password for the primary
    does not end their block (it used to)."""
    linked_secondary(api)
    settings(api, max_attempts=3)
    fail(frozen, SECONDARY[0], 3)
    fail(frozen, ALICE[0], 3)
    assert api.patch(f"/api/v2/users/{alice_id(api)}", json={"password": "N3w-Passw0rd!"}).status_code == 200
    assert login(frozen, ALICE[0], "N3w-Passw0rd!").status_code == 200
    assert blocked(login(frozen, *SECONDARY))


# --- settings and a trusted client from a fixture ------------------------------------------------------

FIXTURE = """
attackProtection:
  bruteForceProtection: {max_attempts: 2, mode: count_per_identifier_and_ip, allowlist: [10.9.0.0/16]}
clients:
  - name: backend
    client_id: backendClient000000000000000000
    client_secret: backend-secret
    grant_types: [password, "http://auth0.com/oauth/grant-type/password-realm"]
    token_endpoint_auth_method: client_secret_post
    is_token_endpoint_ip_header_trusted: true
connections:
  - name: Username-Password-Authentication
    strategy: auth0
    enabled_clients: [backend]
    options: {passwordPolicy: none}
users:
  - {email: dana@example.com, password: right}
"""


@pytest.fixture(scope="module")
def custom(tmp_path_factory):
    from mockidp.testing import MockIdPServer

    path = tmp_path_factory.mktemp("bruteforce") / "tenant.yaml"
    path.write_text(FIXTURE)
    server = MockIdPServer(fixtures=[path], tls=False)
    yield server
    server.stop()


def backend_login(server, password: str, ip: str) -> requests.Response:
    return requests.post(f"{server.url}/oauth/token", timeout=30, headers={"auth0-forwarded-for": ip}, json={
        "grant_type": REALM, "realm": CONNECTION, "username": "dana@example.com", "password": password,
        "client_id": "backendClient000000000000000000", "client_secret": "backend-secret"})


def test_fixture_settings_and_trusted_client(custom):
    from mockidp.core.login import bruteforce  # the fixture has no M2M client: read the tenant directly

    custom.reset()
    assert bruteforce.settings(custom.tenant)["max_attempts"] == 2
    for _ in range(2):
        assert backend_login(custom, "wrong", "10.0.0.1").status_code == 403
    assert blocked(backend_login(custom, "right", "10.0.0.1"))
    assert backend_login(custom, "right", "10.0.0.2").status_code == 200
    for _ in range(3):  # allowlisted
        assert backend_login(custom, "wrong", "10.9.1.1").status_code == 403
    assert backend_login(custom, "right", "10.9.1.1").status_code == 200
    custom.reset()  # back to the fixture's settings, blocks gone
    assert bruteforce.settings(custom.tenant)["max_attempts"] == 2
    assert backend_login(custom, "right", "10.0.0.1").status_code == 200


def test_a_bad_allowlist_in_a_fixture_is_a_fixture_error(tmp_path):
    from mockidp.core.tenant.errors import FixtureError
    from mockidp.testing import MockIdPServer

    path = tmp_path / "bad.yaml"
    path.write_text("attackProtection:\n  bruteForceProtection: {allowlist: [not-an-ip]}\n")
    with pytest.raises(FixtureError, match="attackProtection.bruteForceProtection"):
        MockIdPServer(fixtures=[path], tls=False)
