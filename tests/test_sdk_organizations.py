"""Organizations through the official SDKs, unchanged, over HTTPS: auth0-python's
ManagementClient and node-auth0's ManagementClient."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from auth0.management import ManagementClient
from auth0.management.errors import ConflictError, NotFoundError
from npm_packages import ensure_installed

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

NODE_DIR = Path(__file__).parent / "node_sdk"


@pytest.fixture
def inviting_client(mockidp) -> str:
    """The default Regular Web App, given the login route an invitation link needs."""
    token = mockidp.management_token()
    client_id = "mockidpWebClient0000000000000000"
    response = requests.patch(f"{mockidp.url}/api/v2/clients/{client_id}", timeout=30,
                              headers={"Authorization": f"Bearer {token}"},
                              json={"initiate_login_uri": "https://app.example.test/login"})
    assert response.status_code == 200, response.text
    return client_id


def test_auth0_python_manages_organizations(mockidp, monkeypatch, inviting_client):
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    sdk = ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                           client_secret=DEFAULT_M2M_CLIENT_SECRET)
    organizations = sdk.organizations
    created = organizations.create(name="py-org", display_name="Py Org")
    assert created.id.startswith("org_") and created.display_name == "Py Org"
    assert organizations.get_by_name("py-org").id == created.id
    with pytest.raises(ConflictError):
        organizations.create(name="py-org")
    alice = sdk.users.list_users_by_email(email="alice@example.com")[0].user_id
    organizations.members.create(created.id, members=[alice])
    assert [member.user_id for member in organizations.members.list(created.id)] == [alice]
    invitation = organizations.invitations.create(created.id, inviter={"name": "Py"},
                                                  invitee={"email": "py.invitee@example.com"},
                                                  client_id=inviting_client)
    assert invitation.invitation_url.startswith("https://app.example.test/login?invitation=")
    assert [m["to"] for m in mockidp.outbox(template="user_invitation")] == ["py.invitee@example.com"]
    assert [entry.id for entry in organizations.invitations.list(created.id)] == [invitation.id]
    assert [org.name for org in organizations.list()] == ["py-org"]
    organizations.delete(created.id)
    with pytest.raises(NotFoundError):
        organizations.get(created.id)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_auth0_manages_organizations(mockidp, inviting_client):
    ensure_installed(NODE_DIR, NODE_DIR / "node_modules" / "auth0" / "package.json")
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file), "MOCKIDP_DOMAIN": mockidp.domain,
           "MOCKIDP_CLIENT_ID": DEFAULT_M2M_CLIENT_ID, "MOCKIDP_CLIENT_SECRET": DEFAULT_M2M_CLIENT_SECRET,
           "MOCKIDP_INVITING_CLIENT_ID": inviting_client}
    result = subprocess.run(["node", str(NODE_DIR / "organizations.mjs")], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["created"]["name"] == "node-org" and out["byName"] == out["created"]
    assert out["members"] == ["alice@example.com"]
    assert out["invitation"]["invitee"] == {"email": "node.invitee@example.com"}
    assert out["invitations"] == [out["invitation"]["id"]] and out["organizations"] == ["node-org"]
    assert out["afterDelete"] == {"statusCode": 404, "body": {
        "statusCode": 404, "error": "Not Found", "message": "No organization found by that id or name"}}
