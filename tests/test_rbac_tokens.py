"""RBAC's effect on user tokens, end to end: an API with RBAC on and the `access_token_authz`
dialect, a user holding a role, tokens from the hosted login (code + PKCE) and from the password
grant whose `scope` and `permissions` carry exactly the role's requested permissions, and a
refresh after the role is removed that drops them. Roles are managed with auth0-python over
HTTPS; a post-login Action copies event.authorization.roles into the access token (the recipe
Auth0 documents), running in Node."""
from __future__ import annotations

import pytest
from action_helpers import install_action
from auth0.management import ManagementClient
from jose import jwt
from oauth_helpers import ALICE, REALM, SPA_ID, WEB_ID, WEB_SECRET, Browser, exchange_code, token_request, unverified_claims

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

API = "https://reports.example.com/"
REQUESTED = "openid read:reports write:reports delete:reports offline_access"
ROLES_CLAIM = "https://example.com/roles"
ROLES_TO_TOKEN = f"""
exports.onExecutePostLogin = async (event, api) => {{
  api.accessToken.setCustomClaim('{ROLES_CLAIM}', event.authorization.roles);
}};
"""


@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    return ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def reports_api(sdk: ManagementClient, **settings) -> None:
    created = sdk.resource_servers.create(
        identifier=API, name="Reports", allow_offline_access=True,
        scopes=[{"value": name, "description": name} for name in ("read:reports", "write:reports", "delete:reports")])
    sdk.resource_servers.update(created.id, **settings)


@pytest.fixture
def editor(sdk: ManagementClient) -> tuple[str, str]:
    """(role id, alice's user id): the editor role reads and writes reports; alice holds it."""
    reports_api(sdk, enforce_policies=True, token_dialect="access_token_authz")
    role = sdk.roles.create(name="editor", description="Edits reports")
    sdk.roles.permissions.add(role.id, permissions=[
        {"resource_server_identifier": API, "permission_name": "read:reports"},
        {"resource_server_identifier": API, "permission_name": "write:reports"}])
    alice = sdk.users.list_users_by_email(email=ALICE[0])[0].user_id
    sdk.users.roles.assign(alice, roles=[role.id])
    return role.id, alice


def assert_carries(body: dict, permissions: list[str]) -> dict:
    claims = unverified_claims(body["access_token"])
    assert body["scope"] == " ".join(["openid", *permissions, "offline_access"])
    assert claims["scope"] == body["scope"]
    assert claims["permissions"] == permissions
    return claims


def refreshed(mockidp, client: dict, refresh_token: str) -> dict:
    response = token_request(mockidp.url, grant_type="refresh_token", refresh_token=refresh_token, **client)
    assert response.status_code == 200, response.text
    return response.json()


def test_hosted_login_then_refresh_after_the_role_is_removed(mockidp, sdk, editor):
    role_id, alice = editor
    params = Browser(mockidp.url).sign_in(*ALICE, audience=API, scope=REQUESTED)
    tokens = exchange_code(mockidp.url, params["code"])
    assert tokens.status_code == 200, tokens.text
    assert_carries(tokens.json(), ["read:reports", "write:reports"])

    sdk.users.roles.delete(alice, roles=[role_id])
    assert_carries(refreshed(mockidp, {"client_id": SPA_ID}, tokens.json()["refresh_token"]), [])


def test_password_grant_then_refresh_after_the_role_is_removed(mockidp, sdk, editor):
    role_id, alice = editor
    client = {"client_id": WEB_ID, "client_secret": WEB_SECRET}
    response = token_request(mockidp.url, grant_type="password", username=ALICE[0], password=ALICE[1],
                             audience=API, scope=REQUESTED, **client)
    assert response.status_code == 200, response.text
    assert_carries(response.json(), ["read:reports", "write:reports"])

    sdk.roles.delete(role_id)  # deleting the role takes it from alice too
    assert_carries(refreshed(mockidp, client, response.json()["refresh_token"]), [])


@pytest.mark.parametrize("grant", [{"grant_type": "password"},
                                   {"grant_type": REALM, "realm": "Username-Password-Authentication"}])
def test_direct_permissions_count_and_the_plain_dialect_has_no_permissions_claim(mockidp, sdk, grant):
    reports_api(sdk, enforce_policies=True, token_dialect="access_token")
    alice = sdk.users.list_users_by_email(email=ALICE[0])[0].user_id
    sdk.users.permissions.create(alice, permissions=[{"resource_server_identifier": API, "permission_name": "delete:reports"}])
    response = token_request(mockidp.url, username=ALICE[0], password=ALICE[1], audience=API,
                             scope=REQUESTED, client_id=WEB_ID, client_secret=WEB_SECRET, **grant)
    assert response.json()["scope"] == "openid delete:reports offline_access"
    assert "permissions" not in unverified_claims(response.json()["access_token"])


def test_without_rbac_requested_scopes_are_granted(mockidp, sdk):
    reports_api(sdk, enforce_policies=False, token_dialect="access_token_authz")
    response = token_request(mockidp.url, grant_type="password", username=ALICE[0], password=ALICE[1], audience=API,
                             scope=REQUESTED, client_id=WEB_ID, client_secret=WEB_SECRET)
    assert response.json()["scope"] == REQUESTED
    assert "permissions" not in unverified_claims(response.json()["access_token"])


def test_a_post_login_action_adds_the_users_roles_to_the_access_token(mockidp, sdk, editor):
    install_action(sdk, "roles-to-token", ROLES_TO_TOKEN)
    params = Browser(mockidp.url).sign_in(*ALICE, audience=API, scope=REQUESTED)
    claims = unverified_claims(exchange_code(mockidp.url, params["code"]).json()["access_token"])
    assert claims[ROLES_CLAIM] == ["editor"]
    assert claims["permissions"] == ["read:reports", "write:reports"]


def test_the_rfc9068_authz_profile(mockidp, sdk):
    reports_api(sdk, enforce_policies=True, token_dialect="rfc9068_profile_authz")
    alice = sdk.users.list_users_by_email(email=ALICE[0])[0].user_id
    sdk.users.permissions.create(alice, permissions=[{"resource_server_identifier": API, "permission_name": "read:reports"}])
    response = token_request(mockidp.url, grant_type="password", username=ALICE[0], password=ALICE[1], audience=API,
                             scope="openid read:reports", client_id=WEB_ID, client_secret=WEB_SECRET)
    token = response.json()["access_token"]
    claims = unverified_claims(token)
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    assert claims["client_id"] == WEB_ID and "azp" not in claims and "gty" not in claims
    assert len(claims["jti"]) == 32
    assert claims["permissions"] == ["read:reports"] and claims["scope"] == "openid read:reports"


def test_a_login_through_an_organization_applies_the_members_roles_there(mockidp, sdk, editor):
    """Auth0: organization member roles "are applied when users log in through the organization":
    they replace the user's tenant roles (editor) in the token and in event.authorization.roles."""
    _, alice = editor
    viewer = sdk.roles.create(name="org-viewer")
    sdk.roles.permissions.add(viewer.id, permissions=[{"resource_server_identifier": API, "permission_name": "read:reports"}])
    acme = sdk.organizations.create(name="acme")
    database = next(c.id for c in sdk.connections.list() if c.strategy == "auth0")
    sdk.organizations.enabled_connections.add(acme.id, connection_id=database)
    sdk.organizations.members.create(acme.id, members=[alice])
    sdk.organizations.members.roles.assign(acme.id, alice, roles=[viewer.id])
    sdk.clients.update(SPA_ID, organization_usage="allow")
    install_action(sdk, "roles-to-token", ROLES_TO_TOKEN)

    params = Browser(mockidp.url).sign_in(*ALICE, audience=API, scope=REQUESTED, organization=acme.id)
    body = exchange_code(mockidp.url, params["code"]).json()
    claims = assert_carries(body, ["read:reports"])
    assert claims["org_id"] == acme.id and claims[ROLES_CLAIM] == ["org-viewer"]
    again = unverified_claims(refreshed(mockidp, {"client_id": SPA_ID}, body["refresh_token"])["access_token"])
    assert (again["permissions"], again[ROLES_CLAIM]) == (["read:reports"], ["org-viewer"])


def test_client_credentials_keep_their_client_grant_and_list_it_as_permissions(mockidp, sdk, editor):
    sdk.client_grants.create(client_id=WEB_ID, audience=API, scope=["delete:reports"])
    response = token_request(mockidp.url, grant_type="client_credentials", audience=API, client_id=WEB_ID,
                             client_secret=WEB_SECRET)
    assert response.json()["scope"] == "delete:reports"
    assert unverified_claims(response.json()["access_token"])["permissions"] == ["delete:reports"]
