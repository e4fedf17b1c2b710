"""Roles in fixture files: auth0-deploy-cli's shape (name, description, permissions naming an API
and one of its scopes), users naming their roles and direct permissions, restored by reset, and
in effect on the tokens of an RBAC API."""
from __future__ import annotations

import requests
from conftest import Api

from mockidp.testing import MockIdPServer

TENANT = """
clients:
  - {name: backend, client_id: backendClient000000000000000000, client_secret: s3cret,
     app_type: regular_web, grant_types: [client_credentials, password]}
connections:
  - {name: db, strategy: auth0, enabled_clients: [backend], options: {passwordPolicy: none}}
tenant: {default_directory: db}
resourceServers:
  - identifier: https://reports.example.com/
    name: Reports
    enforce_policies: true
    token_dialect: access_token_authz
    scopes: [{value: read:reports, description: Read reports}, {value: write:reports}]
clientGrants:
  - client_id: backend
    audience: "https://##AUTH0_DOMAIN##/api/v2/"
    scope: [read:users, read:roles, create:roles, update:users]
roles:
  - name: reader
    description: Reads reports
    permissions:
      - {permission_name: read:reports, resource_server_identifier: https://reports.example.com/}
users:
  - email: dana@example.com
    password: x
    roles: [reader]
    permissions:
      - {permission_name: write:reports, resource_server_identifier: https://reports.example.com/}
"""


def test_fixture_roles_and_user_assignments_load_take_effect_and_survive_reset(tmp_path):
    path = tmp_path / "rbac.yaml"
    path.write_text(TENANT)
    server = MockIdPServer(fixtures=[path], tls=False)
    try:
        api = Api(server.url, server.management_token(client_id="backendClient000000000000000000",
                                                      client_secret="s3cret"))
        [role] = api.get("/api/v2/roles").json()
        assert {k: v for k, v in role.items() if k != "id"} == {"name": "reader", "description": "Reads reports"}
        [dana] = api.get("/api/v2/users").json()
        permissions = f"/api/v2/users/{dana['user_id']}/permissions"
        held = [(p["permission_name"], [s["source_type"] for s in p["sources"]]) for p in api.get(permissions).json()]
        assert held == [("read:reports", ["ROLE"]), ("write:reports", ["DIRECT"])]

        api.post("/api/v2/roles", json={"name": "temporary"})
        api.delete(f"/api/v2/users/{dana['user_id']}/roles", json={"roles": [role["id"]]})
        server.reset()
        assert api.get("/api/v2/roles").json() == [role]
        assert api.get(f"/api/v2/users/{dana['user_id']}/roles").json() == [role]

        token = requests.post(f"{server.url}/oauth/token", timeout=30, data={
            "grant_type": "password", "username": "dana@example.com", "password": "x",
            "audience": "https://reports.example.com/", "scope": "read:reports write:reports",
            "client_id": "backendClient000000000000000000", "client_secret": "s3cret"})
        assert token.json()["scope"] == "read:reports write:reports", token.text
    finally:
        server.stop()
