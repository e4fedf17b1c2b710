"""The official auth0-python SDK, unchanged, over HTTPS against mockidp."""
from __future__ import annotations

import pytest
import requests
from auth0.management import ManagementClient
from auth0.management.errors import ConflictError, ForbiddenError, NotFoundError

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

CONNECTION = "Username-Password-Authentication"


@pytest.fixture
def trust_mockidp(mockidp, monkeypatch):
    """What a user does: point SSL_CERT_FILE at `mockidp ca-bundle`."""
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    return mockidp


@pytest.fixture
def sdk(trust_mockidp) -> ManagementClient:
    return ManagementClient(domain=trust_mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def test_create_get_update_delete(sdk):
    created = sdk.users.create(connection=CONNECTION, email="Dana@Example.com", password="Sup3r$ecret!",
                               app_metadata={"flag": True}, email_verified=False)
    assert created.user_id.startswith("auth0|")
    assert created.email == "dana@example.com"  # Auth0 lowercases database emails
    fetched = sdk.users.get(created.user_id)
    assert fetched.app_metadata == {"flag": True}
    updated = sdk.users.update(created.user_id, user_metadata={"theme": "dark"}, given_name="Dana")
    assert updated.given_name == "Dana" and updated.user_metadata == {"theme": "dark"}
    sdk.users.delete(created.user_id)
    with pytest.raises(NotFoundError):
        sdk.users.get(created.user_id)


def test_list_and_search(sdk):
    alice = sdk.users.list(q='email:"alice@example.com"')
    assert [u.email for u in alice] == ["alice@example.com"]
    flagged = sdk.users.list(q="app_metadata.block_unverified_pw_reset:true")
    assert [u.email for u in flagged] == ["bob@example.com"]
    everyone = [u.email for u in sdk.users.list()]
    assert everyone == ["alice@example.com", "bob@example.com", "carol@example.com"]


def log_in(mockidp, email: str, password: str) -> None:
    """A real login through the password-realm grant, with the Web App client."""
    response = requests.post(f"{mockidp.url}/oauth/token", timeout=30, data={
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": CONNECTION,
        "username": email, "password": password, "scope": "openid",
        "client_id": "mockidpWebClient0000000000000000",
        "client_secret": "mockidp-web-secret-0000000000000000000000000000000000000000000000"})
    assert response.status_code == 200, response.text


def test_search_by_logins_count_range(sdk, mockidp):
    assert list(sdk.users.list(q="logins_count:[1 TO *]")) == []
    log_in(mockidp, "alice@example.com", "Passw0rd!alice")
    log_in(mockidp, "alice@example.com", "Passw0rd!alice")
    log_in(mockidp, "bob@example.com", "Passw0rd!bob")
    assert [(u.email, u.logins_count) for u in sdk.users.list(q="logins_count:[1 TO *]")] == [
        ("alice@example.com", 2), ("bob@example.com", 1)]
    assert [u.email for u in sdk.users.list(q="logins_count:[2 TO *]")] == ["alice@example.com"]
    assert [u.email for u in sdk.users.list(q="NOT _exists_:logins_count")] == ["carol@example.com"]


def test_duplicate_create_raises_conflict(sdk):
    sdk.users.create(connection=CONNECTION, email="twice@example.com", password="Sup3r$ecret!")
    with pytest.raises(ConflictError) as raised:
        sdk.users.create(connection=CONNECTION, email="twice@example.com", password="Sup3r$ecret!",
                         request_options={"max_retries": 0})
    assert raised.value.body["errorCode"] == "auth0_idp_error"


def test_token_without_update_scope_is_refused(trust_mockidp):
    token = trust_mockidp.management_token(scope="read:users")
    sdk = ManagementClient(domain=trust_mockidp.domain, token=token)
    assert [u.email for u in sdk.users.list(q='email:"alice@example.com"')] == ["alice@example.com"]
    with pytest.raises(ForbiddenError) as raised:
        sdk.users.update("auth0|doesnotmatter", name="x", request_options={"max_retries": 0})
    assert raised.value.body == {"statusCode": 403, "error": "Forbidden",
                                 "message": "Insufficient scope, expected any of: update:users,update:users_app_metadata,update:current_user_metadata",
                                 "errorCode": "insufficient_scope"}


def test_roles_user_roles_and_user_permissions(sdk):
    api = "https://py.example.com/"
    sdk.resource_servers.create(identifier=api, name="Python API",
                                scopes=[{"value": "read:things", "description": "Read things"}, {"value": "write:things"}])
    user = sdk.users.create(connection=CONNECTION, email="py.roles@example.com", password="Sup3r$ecret!")
    role = sdk.roles.create(name="py-editor", description="Edits things")
    assert role.id.startswith("rol_") and role.name == "py-editor"
    sdk.roles.permissions.add(role.id, permissions=[{"resource_server_identifier": api, "permission_name": "read:things"}])
    assert [(p.permission_name, p.resource_server_name) for p in sdk.roles.permissions.list(role.id)] == [
        ("read:things", "Python API")]
    sdk.roles.users.assign(role.id, users=[user.user_id])
    assert [u.email for u in sdk.roles.users.list(role.id)] == ["py.roles@example.com"]
    assert [r.id for r in sdk.users.roles.list(user.user_id)] == [role.id]
    sdk.users.permissions.create(user.user_id, permissions=[{"resource_server_identifier": api,
                                                             "permission_name": "write:things"}])
    # auth0-python's model does not declare `sources`: it keeps them as plain dicts.
    held = {p.permission_name: [s["source_type"] for s in p.sources] for p in sdk.users.permissions.list(user.user_id)}
    assert held == {"read:things": ["ROLE"], "write:things": ["DIRECT"]}
    assert sdk.roles.update(role.id, description="Edits all things").description == "Edits all things"
    with pytest.raises(ConflictError):
        sdk.roles.create(name="py-editor")
    sdk.users.roles.delete(user.user_id, roles=[role.id])
    assert list(sdk.users.roles.list(user.user_id)) == []
    sdk.roles.delete(role.id)
    with pytest.raises(NotFoundError):
        sdk.roles.get(role.id)
