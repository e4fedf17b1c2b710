"""The official auth0-python SDK, unchanged, over HTTPS: a user's effective roles and permissions
(its pagers follow mockidp's `next` cursors) and the authentication-method calls."""
from __future__ import annotations

import pytest
from auth0.management import ManagementClient
from auth0.management.errors import NotFoundError
from conftest import Api, new_user

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

API = "https://notes.example.com/"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))  # what `mockidp ca-bundle` is for
    return ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def test_effective_roles_and_permissions_page_through_the_sdk(sdk: ManagementClient, api: Api):
    assert api.post("/api/v2/resource-servers", json={
        "identifier": API, "name": "Notes", "scopes": [{"value": "read:notes"}, {"value": "write:notes"}]}
    ).status_code == 201
    user_id = new_user(api)["user_id"]
    role_ids = []
    for name, scope in (("alpha", "read:notes"), ("beta", "write:notes"), ("gamma", "read:notes")):
        role = api.post("/api/v2/roles", json={"name": name}).json()
        api.post(f"/api/v2/roles/{role['id']}/permissions", json={"permissions": [
            {"resource_server_identifier": API, "permission_name": scope}]})
        role_ids.append(role["id"])
    assert api.post(f"/api/v2/users/{user_id}/roles", json={"roles": role_ids}).status_code == 204

    pager = sdk.users.effective_roles.list(user_id, take=1)
    assert [(role.name, role.sources) for role in pager] == [
        ("alpha", ["direct"]), ("beta", ["direct"]), ("gamma", ["direct"])]
    permissions = sdk.users.effective_permissions.list(user_id, resource_server_identifier=API, take=1)
    assert [(p.permission_name, p.sources) for p in permissions] == [("read:notes", ["roles"]),
                                                                    ("write:notes", ["roles"])]
    with pytest.raises(NotFoundError):
        list(sdk.users.effective_roles.list("auth0|nobody"))


def test_authentication_methods_through_the_sdk(sdk: ManagementClient, api: Api):
    user_id = new_user(api)["user_id"]
    created = sdk.users.authentication_methods.create(user_id, type="totp", name="Phone app", totp_secret=SECRET)
    assert (created.type, created.name) == ("totp", "Phone app")
    sdk.users.authentication_methods.update(user_id, created.id, name="Renamed")
    fetched = sdk.users.authentication_methods.get(user_id, created.id)
    assert (fetched.name, fetched.confirmed) == ("Renamed", True)
    sdk.users.multifactor.delete_provider(user_id, "google-authenticator")
    with pytest.raises(NotFoundError):
        sdk.users.authentication_methods.get(user_id, created.id)
    email = sdk.users.authentication_methods.create(user_id, type="email", email="dana@example.com")
    sdk.users.authentication_methods.delete(user_id, email.id)
    assert list(sdk.users.authentication_methods.list(user_id)) == []
