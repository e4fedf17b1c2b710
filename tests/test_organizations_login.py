"""Signing in to an organization through the hosted login: the client's organization_usage, org_id
in tokens, membership enforced (or assigned by the connection), and invitations accepted on the
mock clock: seed 000's "invitations that expire after 72 hours" the Auth0 way."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Api, server_beside_default
from oauth_helpers import ALICE, BOB, Browser, exchange_code, redirect_params, verify_id_token


APP = "orgAwareSpa000000000000000000000"
CALLBACK = "http://localhost:3000/callback"
ROLE_ID = "rol_InvitedMember0001"
FIXTURE = f"""
tenant:
  allow_organization_name_in_authentication_api: true
roles:
  - id: {ROLE_ID}
    name: member
clients:
  - name: org app
    client_id: {APP}
    app_type: spa
    token_endpoint_auth_method: none
    callbacks: [{CALLBACK}]
    initiate_login_uri: https://app.example.test/login
    organization_usage: allow
  - name: org-only app
    client_id: orgOnlyApp0000000000000000000000
    app_type: spa
    token_endpoint_auth_method: none
    callbacks: [{CALLBACK}]
    organization_usage: require
  - name: no-org app
    client_id: noOrgApp000000000000000000000000
    app_type: spa
    token_endpoint_auth_method: none
    callbacks: [{CALLBACK}]
    organization_usage: deny
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with server_beside_default(tmp_path_factory.mktemp("org-login"), FIXTURE) as running:
        yield running


@pytest.fixture
def api(server) -> Api:
    server.reset()
    server.freeze()  # now: the ID tokens are checked against wall time by python-jose
    return Api(server.url, server.management_token())


@pytest.fixture
def acme(api) -> dict:
    organization = api.post("/api/v2/organizations", json={"name": "acme", "display_name": "Acme"}).json()
    database = next(c["id"] for c in api.get("/api/v2/connections").json() if c["strategy"] == "auth0")
    api.post(f"/api/v2/organizations/{organization['id']}/enabled_connections", json={"connection_id": database})
    # The database connection must be enabled for the org app, as for any login.
    connection = api.get(f"/api/v2/connections/{database}").json()
    api.patch(f"/api/v2/connections/{database}",
              json={"enabled_clients": connection["enabled_clients"] + [APP, "orgOnlyApp0000000000000000000000",
                                                                        "noOrgApp000000000000000000000000"]})
    return organization


def user_id(api: Api, email: str) -> str:
    return api.get("/api/v2/users-by-email", params={"email": email}).json()[0]["user_id"]


def org_authorize(server, **params) -> tuple[Browser, dict]:
    browser = Browser(server.url)
    return browser, {"client_id": APP, "redirect_uri": CALLBACK, **params}


def tokens_for(server, code: str) -> dict:
    response = exchange_code(server.url, code, client_id=APP, redirect_uri=CALLBACK)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_member_signs_in_to_the_organization_and_gets_org_id(server, api, acme):
    api.post(f"/api/v2/organizations/{acme['id']}/members", json={"members": [user_id(api, ALICE[0])]})
    browser, params = org_authorize(server, organization="acme")  # by name: Auth0 takes either
    code = browser.sign_in(*ALICE, **params)["code"]
    body = tokens_for(server, code)
    claims = verify_id_token(server.url, body["id_token"], audience=APP)
    assert (claims["org_id"], claims["org_name"]) == (acme["id"], "acme")


def test_a_non_member_is_sent_back_with_access_denied(server, api, acme):
    browser, params = org_authorize(server, organization=acme["id"])
    result = browser.sign_in(*BOB, **params)
    assert result["error"] == "access_denied"
    assert result["error_description"] == f"user {user_id(api, BOB[0])} is not part of the {acme['id']} organization"
    assert api.get(f"/api/v2/organizations/{acme['id']}/members").json() == []


def test_a_connection_that_assigns_membership_makes_the_user_a_member(server, api, acme):
    database = api.get(f"/api/v2/organizations/{acme['id']}/enabled_connections").json()[0]["connection_id"]
    api.patch(f"/api/v2/organizations/{acme['id']}/enabled_connections/{database}",
              json={"assign_membership_on_login": True})
    browser, params = org_authorize(server, organization=acme["id"])
    assert "code" in browser.sign_in(*BOB, **params)
    assert [m["user_id"] for m in api.get(f"/api/v2/organizations/{acme['id']}/members").json()] == [user_id(api, BOB[0])]


@pytest.mark.parametrize("client_id, organization, description", [
    ("noOrgApp000000000000000000000000", "acme", "parameter organization is not allowed for this client"),
    ("orgOnlyApp0000000000000000000000", None, "parameter organization is required for this client"),
    (APP, "no-such-org", "parameter organization is invalid: no-such-org"),
])
def test_the_clients_organization_usage_is_enforced(server, api, acme, client_id, organization, description):
    browser = Browser(server.url)
    response = browser.authorize(client_id=client_id, redirect_uri=CALLBACK, organization=organization)
    assert redirect_params(response) == {"error": "invalid_request", "error_description": description,
                                         "state": "state-1"}


def invite(api: Api, organization: dict, email: str, **extra) -> dict:
    response = api.post(f"/api/v2/organizations/{organization['id']}/invitations", json={
        "inviter": {"name": "Dana"}, "invitee": {"email": email}, "client_id": APP, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def follow(server, invitation: dict) -> tuple[Browser, dict]:
    """What the app's login route does with the link: /authorize with its organization and ticket."""
    query = {key: values[0] for key, values in parse_qs(urlsplit(invitation["invitation_url"]).query).items()}
    return org_authorize(server, organization=query["organization"], invitation=query["invitation"])


def test_seed_000_an_invitee_signs_up_within_72_hours_and_becomes_a_member(server, api, acme):
    invitation = invite(api, acme, "new.hire@example.com", ttl_sec=259200, roles=[ROLE_ID],
                        app_metadata={"plan": "team"})
    [email] = server.outbox(to="new.hire@example.com")
    assert invitation["invitation_url"] in email["links"]
    server.advance(71 * 3600)  # still valid a little before 72 hours
    api = Api(server.url, server.management_token())  # the first token expired meanwhile
    browser, params = follow(server, invitation)
    page = browser.authorize(**params).headers["Location"]
    assert page.startswith("/u/signup?state=")  # the invitee has no account yet
    assert 'value="new.hire@example.com"' in browser.get(page).text
    result = redirect_params(browser.post(page, data={"email": "new.hire@example.com", "password": "Str0ng!pass"}))
    claims = verify_id_token(server.url, tokens_for(server, result["code"])["id_token"], audience=APP)
    assert claims["org_id"] == acme["id"]
    member = api.get(f"/api/v2/users/{claims['sub']}").json()
    assert member.get("email") == "new.hire@example.com", member
    assert member["email_verified"] is True and member["app_metadata"] == {"plan": "team"}
    assert [r["id"] for r in api.get(f"/api/v2/organizations/{acme['id']}/members/{claims['sub']}/roles").json()] == [ROLE_ID]
    assert api.get(f"/api/v2/organizations/{acme['id']}/invitations").json() == []  # used up
    assert [e["type"] for e in api.get("/api/v2/logs", params={"q": 'type:"si"'}).json()] == ["si"]


def test_an_invitation_is_refused_after_72_hours(server, api, acme):
    invitation = invite(api, acme, "late@example.com", ttl_sec=259200)
    server.advance(72 * 3600)
    browser, params = follow(server, invitation)
    assert redirect_params(browser.authorize(**params)) == {
        "error": "invalid_request", "error_description": "invitation not found or expired", "state": "state-1"}


def test_an_invitation_is_only_for_its_invitee(server, api, acme):
    invitation = invite(api, acme, "someone.else@example.com")
    browser, params = follow(server, invitation)
    page = browser.authorize(**params, screen_hint="login").headers["Location"]
    result = redirect_params(browser.post(page, data={"username": ALICE[0], "password": ALICE[1]}))
    assert result["error"] == "access_denied"
    assert result["error_description"] == "the invitation was issued for another email address"
    assert api.get(f"/api/v2/organizations/{acme['id']}/members").json() == []
    assert [e["type"] for e in api.get("/api/v2/logs", params={"q": 'type:"fi"'}).json()] == ["fi"]


def test_an_existing_user_accepts_by_logging_in_and_a_second_use_fails(server, api, acme):
    invitation = invite(api, acme, ALICE[0])
    browser, params = follow(server, invitation)
    assert browser.authorize(**params).headers["Location"].startswith("/u/login?state=")  # Alice exists
    assert "code" in browser.sign_in(*ALICE, **params)
    assert [m["email"] for m in api.get(f"/api/v2/organizations/{acme['id']}/members").json()] == [ALICE[0]]
    again, params = follow(server, invitation)
    assert redirect_params(again.authorize(**params))["error_description"] == "invitation not found or expired"


def test_the_invitation_race_only_the_live_link_works(server, api, acme):
    """The inviter deletes and re-sends before the first email goes out (manual delivery)."""
    server.control("PATCH", "/settings", {"email": {"delivery": "manual"}})
    first = invite(api, acme, "racer@example.com")
    api.delete(f"/api/v2/organizations/{acme['id']}/invitations/{first['id']}")
    second = invite(api, acme, "racer@example.com")
    emails = server.flush_emails()
    assert [e["to"] for e in emails] == ["racer@example.com", "racer@example.com"]
    stale, params = follow(server, first)
    assert redirect_params(stale.authorize(**params))["error_description"] == "invitation not found or expired"
    live, params = follow(server, second)
    page = live.authorize(**params).headers["Location"]
    result = redirect_params(live.post(page, data={"email": "racer@example.com", "password": "Str0ng!pass"}))
    assert "code" in result


def test_a_password_reset_by_a_non_member_never_yields_membership(server, api, acme):
    requests_api = Api(server.url)
    requests_api.post("/dbconnections/change_password", json={
        "client_id": APP, "email": BOB[0], "connection": "Username-Password-Authentication"})
    assert api.get(f"/api/v2/organizations/{acme['id']}/members").json() == []
    browser, params = org_authorize(server, organization=acme["id"])
    assert browser.sign_in(*BOB, **params)["error"] == "access_denied"


def test_two_concurrent_acceptances_of_one_invitation_exactly_one_wins(server, api, acme):
    from concurrent.futures import ThreadPoolExecutor

    invitation = invite(api, acme, ALICE[0])
    pages = []
    for _ in range(2):
        browser, params = follow(server, invitation)
        pages.append((browser, browser.authorize(**params).headers["Location"]))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda entry: redirect_params(entry[0].post(entry[1], data={
            "username": ALICE[0], "password": ALICE[1]})), pages))
    assert sorted("code" in result for result in results) == [False, True]
    [refused] = [result for result in results if "code" not in result]
    assert refused["error_description"] == "invitation not found or expired"
    assert [m["email"] for m in api.get(f"/api/v2/organizations/{acme['id']}/members").json()] == [ALICE[0]]


def test_a_client_that_asks_for_the_organization_first_shows_the_prompt(server, api, acme):
    api.patch("/api/v2/clients/orgOnlyApp0000000000000000000000",
              json={"organization_require_behavior": "pre_login_prompt"})
    api.post(f"/api/v2/organizations/{acme['id']}/members", json={"members": [user_id(api, ALICE[0])]})
    browser = Browser(server.url)
    prompt = browser.authorize(client_id="orgOnlyApp0000000000000000000000", redirect_uri=CALLBACK).headers["Location"]
    assert prompt.startswith("/u/organization?state=")
    assert "Enter your organization" in browser.get(prompt).text
    unknown = browser.post(prompt, data={"organizationName": "initech"})
    assert unknown.status_code == 400 and "We could not find an organization with that name" in unknown.text
    login_page = browser.post(prompt, data={"organizationName": "acme"}).headers["Location"]
    assert login_page.startswith("/u/login?state=")
    result = redirect_params(browser.post(login_page, data={"username": ALICE[0], "password": ALICE[1]}))
    tokens = exchange_code(server.url, result["code"], client_id="orgOnlyApp0000000000000000000000",
                           redirect_uri=CALLBACK).json()
    assert verify_id_token(server.url, tokens["id_token"], audience="orgOnlyApp0000000000000000000000")["org_id"] == acme["id"]
    silent = browser.authorize(client_id="orgOnlyApp0000000000000000000000", redirect_uri=CALLBACK, prompt="none")
    assert redirect_params(silent)["error"] == "interaction_required"


def test_a_client_that_asks_after_the_login_lets_the_user_pick_an_organization(server, api, acme):
    api.patch("/api/v2/clients/orgOnlyApp0000000000000000000000",
              json={"organization_require_behavior": "post_login_prompt"})
    initech = api.post("/api/v2/organizations", json={"name": "initech", "display_name": "Initech"}).json()
    alice = user_id(api, ALICE[0])
    for organization in (acme, initech):
        api.post(f"/api/v2/organizations/{organization['id']}/members", json={"members": [alice]})
    browser = Browser(server.url)
    params = {"client_id": "orgOnlyApp0000000000000000000000", "redirect_uri": CALLBACK}
    login_page = browser.authorize(**params).headers["Location"]
    assert login_page.startswith("/u/login?state=")
    chooser = browser.post(login_page, data={"username": ALICE[0], "password": ALICE[1]}).headers["Location"]
    assert chooser.startswith("/u/organization/choose?state=")
    page = browser.get(chooser).text
    assert "Acme" in page and "Initech" in page
    assert browser.post(chooser, data={"organization": "org_notoneofhers000"}).status_code == 400
    result = redirect_params(browser.post(chooser, data={"organization": initech["id"]}))
    tokens = exchange_code(server.url, result["code"], client_id=params["client_id"], redirect_uri=CALLBACK).json()
    assert verify_id_token(server.url, tokens["id_token"], audience=params["client_id"])["org_id"] == initech["id"]
    assert redirect_params(browser.authorize(**params, prompt="none"))["error"] == "interaction_required"

    outsider = Browser(server.url)
    page = outsider.authorize(**params).headers["Location"]
    chooser = outsider.post(page, data={"username": BOB[0], "password": BOB[1]}).headers["Location"]
    assert redirect_params(outsider.get(chooser)) == {
        "error": "access_denied", "error_description": "user is not a member of any organization", "state": "state-1"}
