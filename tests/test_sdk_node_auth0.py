"""The official node-auth0 SDK (`auth0` 7.x on npm), unchanged, over HTTPS against mockidp: its
ManagementClient fetches a client-credentials token itself and trusts mockidp's CA through
NODE_EXTRA_CA_CERTS, as a user's Node service would."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from npm_packages import ensure_installed

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

NODE_DIR = Path(__file__).parent / "node_sdk"
SDK_MARKER = NODE_DIR / "node_modules" / "auth0" / "package.json"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def node_sdk_script() -> Path:
    """management.mjs, with the SDK installed (once per machine)."""
    ensure_installed(NODE_DIR, SDK_MARKER)
    return NODE_DIR / "management.mjs"


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    return node_sdk_script()


def test_management_client_crud_search_and_errors(mockidp, node_sdk):
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file), "MOCKIDP_DOMAIN": mockidp.domain,
           "MOCKIDP_CLIENT_ID": DEFAULT_M2M_CLIENT_ID, "MOCKIDP_CLIENT_SECRET": DEFAULT_M2M_CLIENT_SECRET}
    result = subprocess.run(["node", str(node_sdk)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    created = out["created"]
    assert created["user_id"].startswith("auth0|") and created["email"] == "node.user@example.com"
    assert out["fetched"] == created
    assert out["searched"] == ["node.user@example.com"] and out["flagged"] == ["node.user@example.com"]
    assert out["updated"]["user_metadata"] == {"theme": "dark"}
    assert out["duplicate"] == {"isManagementError": True, "statusCode": 409, "body": {
        "statusCode": 409, "error": "Conflict", "message": "The user already exists.",
        "errorCode": "auth0_idp_error"}}
    assert out["afterDelete"] == {"statusCode": 404, "body": {
        "statusCode": 404, "error": "Not Found", "message": "The user does not exist.",
        "errorCode": "inexistent_user"}}


def test_management_client_manages_roles(mockidp, node_sdk):
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file), "MOCKIDP_DOMAIN": mockidp.domain,
           "MOCKIDP_CLIENT_ID": DEFAULT_M2M_CLIENT_ID, "MOCKIDP_CLIENT_SECRET": DEFAULT_M2M_CLIENT_SECRET}
    result = subprocess.run(["node", str(node_sdk.with_name("roles.mjs"))], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    role = out["role"]
    assert role == {"id": role["id"], "name": "node-editor", "description": "Edits things"}
    api = "https://node.example.com/"
    assert out["rolePermissions"] == [{"permission_name": "read:things", "description": "Read things",
                                       "resource_server_name": "Node API", "resource_server_identifier": api}]
    assert [user["email"] for user in out["roleUsers"]] == ["roles.user@example.com"]
    assert out["userRoles"] == [role]
    assert [(p["permission_name"], [s["source_type"] for s in p["sources"]]) for p in out["userPermissions"]] == [
        ("read:things", ["ROLE"]), ("write:things", ["DIRECT"])]
    assert out["updated"]["description"] == "Edits all things"
    assert out["filtered"] == ["node-editor"]
    assert out["duplicate"] == {"statusCode": 409, "body": {
        "statusCode": 409, "error": "Conflict", "message": "The role already exists."}}
    assert out["userRolesAfterDelete"] == []
    assert out["afterDelete"] == {"statusCode": 404, "body": {
        "statusCode": 404, "error": "Not Found", "message": "The role does not exist."}}


def test_management_client_with_client_credentials_against_a_listener_tenant(mockidp, node_sdk):
    """A named tenant on a listener of its own has a bare `domain` (localhost:PORT), which
    node-auth0 v5 takes with client credentials unchanged; under /t/{name}/ it would refuse it
    (tests/test_tenants.py)."""
    named = mockidp.new_tenant(f"node-listener-{os.getpid()}", listener=True)
    try:
        env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file), "MOCKIDP_DOMAIN": named.domain,
               "MOCKIDP_CLIENT_ID": DEFAULT_M2M_CLIENT_ID, "MOCKIDP_CLIENT_SECRET": DEFAULT_M2M_CLIENT_SECRET}
        assert "/" not in named.domain
        result = subprocess.run(["node", str(node_sdk)], env=env, capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["created"]["email"] == "node.user@example.com" and out["searched"] == ["node.user@example.com"]
        assert out["afterDelete"]["statusCode"] == 404
        # The SDK's calls reached the listener tenant, and only it.
        token = named.management_token()
        logs = requests.get(f"{named.url}/api/v2/logs", headers={"Authorization": f"Bearer {token}"},
                            params={"q": "type:sapi"}, timeout=30).json()
        assert logs != []
        default_token = mockidp.management_token()
        default_logs = requests.get(f"{mockidp.url}/api/v2/logs", headers={"Authorization": f"Bearer {default_token}"},
                                    params={"q": "type:sapi"}, timeout=30).json()
        assert default_logs == []  # no Management API call reached the default tenant
    finally:
        named.stop()
