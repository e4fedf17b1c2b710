"""Enterprise sign-in (a company's OIDC, SAML or Azure AD IdP) through the mock upstream provider:
an email whose domain is one of a connection's `domain_aliases` typed on the hosted login page is
routed to that connection (identifier-first home realm discovery), and enterprise users get
Auth0's ids (`oidc|<connection>|<id>`, `waad|<id>`) and `isSocial: false`."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import Api, server_beside_default
from oauth_helpers import Browser, exchange_code, verify_id_token
from upstream_helpers import follow_to_app

ENTERPRISE_FIXTURE = """
connections:
  - name: acme-oidc
    strategy: oidc
    enabled_clients: [mockidp SPA]
    options: {type: back_channel, issuer: "https://idp.acme.test", client_id: acme-app, domain_aliases: [acme.test]}
  - name: contoso
    strategy: waad
    enabled_clients: [mockidp SPA]
    options: {tenant_domain: contoso.test, domain_aliases: [contoso.test]}
  - name: globex-saml
    strategy: samlp
    enabled_clients: [mockidp Web App]
    options: {signInEndpoint: "https://idp.globex.test/sso", domain_aliases: [globex.test]}
upstreamIdentities:
  - {connection: contoso, user_id: 7f3c2a10-oid, email: dana@contoso.test, name: Dana}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with server_beside_default(tmp_path_factory.mktemp("enterprise"), ENTERPRISE_FIXTURE) as started:
        yield started


@pytest.fixture
def mock(server):
    server.reset()
    return server


@pytest.fixture
def admin(mock) -> Api:
    return Api(mock.url, mock.management_token(scope="read:users read:logs create:connections"))


def user(admin: Api, user_id: str) -> dict:
    response = admin.get("/api/v2/users/" + quote(user_id, safe=""))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("typed", ["bob@acme.test", "Bob@ACME.test"])
def test_an_email_of_a_domain_alias_is_routed_to_its_enterprise_connection(mock, admin, typed):
    browser = Browser(mock.url)
    page_path = browser.login_page()
    assert "Continue with" not in browser.get(page_path).text  # enterprise connections get no button
    routed = browser.post(page_path, data={"username": typed, "password": ""})
    location = routed.headers["Location"]
    assert location.startswith("/_mock/upstream/acme-oidc/authorize?state="), location
    assert f'value="{typed}"' in browser.get(location).text  # the IdP's page knows who is coming
    answered = browser.post(location, data={"action": "new", "email": typed, "user_id": "00u1bob",
                                            "email_verified": "true"})
    code = follow_to_app(browser, answered.headers["Location"])["code"]
    claims = verify_id_token(mock.url, exchange_code(mock.url, code).json()["id_token"])
    assert claims["sub"] == "oidc|acme-oidc|00u1bob"
    assert user(admin, claims["sub"])["identities"] == [
        {"provider": "oidc", "user_id": "acme-oidc|00u1bob", "connection": "acme-oidc", "isSocial": False}]


def test_other_domains_and_connections_of_other_applications_stay_on_the_page(mock):
    browser = Browser(mock.url)
    page_path = browser.login_page()
    for email in ("carol@globex.test", "eve@acme.test.evil", "alice@example.com"):  # globex: the web app's
        stayed = browser.post(page_path, data={"username": email, "password": ""})
        assert stayed.status_code == 400 and "Password is required" in stayed.text


def test_azure_ad_users_keep_the_provider_id_headlessly(mock, admin):
    browser = Browser(mock.url)
    response = browser.authorize(connection="contoso", login_hint="dana@contoso.test")
    code = follow_to_app(browser, response.headers["Location"])["code"]
    sub = verify_id_token(mock.url, exchange_code(mock.url, code).json()["id_token"])["sub"]
    assert sub == "waad|7f3c2a10-oid"
    assert user(admin, sub)["identities"][0]["isSocial"] is False
    logs = admin.get("/api/v2/logs", params={"q": 'type:"s"'}).json()
    assert (logs[0]["strategy"], logs[0]["strategy_type"], logs[0]["connection"]) == ("waad", "enterprise", "contoso")


def test_an_enterprise_connection_created_through_the_management_api_routes_its_domain(mock, admin):
    created = admin.post("/api/v2/connections", json={
        "name": "initech", "strategy": "okta", "enabled_clients": ["mockidpSpaClient0000000000000000"],
        "options": {"domain": "initech.okta.test", "client_id": "x", "client_secret": "y",
                    "domain_aliases": ["initech.test"]}})
    assert created.status_code == 201, created.text
    browser = Browser(mock.url)
    routed = browser.post(browser.login_page(), data={"username": "peter@initech.test"})
    assert routed.headers["Location"].startswith("/_mock/upstream/initech/authorize?state=")
