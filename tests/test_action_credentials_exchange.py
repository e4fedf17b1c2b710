"""credentials-exchange: what docs/actions.md promises. It runs when /oauth/token issues a token
through the client credentials grant (auth0-python's GetToken here); `api.accessToken.setCustomClaim`
puts claims into the signed M2M token, `api.access.deny(code, reason)` and a failing Action refuse
it with 403 access_denied and the reason; the event names the client, the API and the request.
"""
from __future__ import annotations

import json

import pytest
import requests
from action_helpers import install_action, management_sdk
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import ManagementClient
from jose import jwt

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

CLAIMS = """
exports.onExecuteCredentialsExchange = async (event, api) => {
  // the parts asserted: the whole event (the token's ~240 Management scopes) outgrows a log line
  console.log(JSON.stringify({client: event.client, resource_server: event.resource_server,
                              request: event.request}));
  api.accessToken.setCustomClaim('https://example.com/tier', event.client.metadata.tier || 'free');
  api.accessToken.setCustomClaim('sub', 'forged');  // restricted: ignored, as on Auth0
};
"""


@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    return management_sdk(mockidp, monkeypatch)


def get_token(mockidp) -> GetToken:
    return GetToken(mockidp.url.split("://")[1], DEFAULT_M2M_CLIENT_ID, client_secret=DEFAULT_M2M_CLIENT_SECRET,
                    protocol="http")


def install(sdk: ManagementClient, name: str, code: str) -> str:
    return install_action(sdk, name, code, trigger="credentials-exchange", version="v2")


def verified(mockidp, token: str, audience: str) -> dict:
    jwks = requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=30).json()
    return jwt.decode(token, jwks, algorithms=["RS256"], audience=audience, issuer=f"{mockidp.url}/")


def test_a_custom_claim_lands_in_the_m2m_token(mockidp, sdk):
    sdk.clients.update(DEFAULT_M2M_CLIENT_ID, client_metadata={"tier": "gold"})
    install(sdk, "tier-claim", CLAIMS)
    audience = f"{mockidp.url}/api/v2/"
    tokens = get_token(mockidp).client_credentials(audience)
    claims = verified(mockidp, tokens["access_token"], audience)
    assert claims["https://example.com/tier"] == "gold"
    assert claims["sub"] == f"{DEFAULT_M2M_CLIENT_ID}@clients" and claims["gty"] == "client-credentials"

    event = json.loads(mockidp.action_executions()[-1]["logs"][0])
    assert event["client"]["client_id"] == DEFAULT_M2M_CLIENT_ID and event["client"]["metadata"] == {"tier": "gold"}
    assert event["resource_server"] == {"identifier": audience}
    assert event["request"]["method"] == "POST" and event["request"]["body"]["grant_type"] == "client_credentials"
    assert DEFAULT_M2M_CLIENT_SECRET not in json.dumps(event)


def test_deny_refuses_the_token_with_access_denied(mockidp, sdk, api):
    install(sdk, "deny", """
exports.onExecuteCredentialsExchange = async (event, api) => {
  api.access.deny('invalid_request', 'Partner contract expired');
};""")
    with pytest.raises(Auth0Error) as refused:
        get_token(mockidp).client_credentials(f"{mockidp.url}/api/v2/")
    assert refused.value.status_code == 403
    assert (refused.value.error_code, refused.value.message) == ("access_denied", "Partner contract expired")
    [failed] = api.get("/api/v2/logs", params={"q": 'type:"feccft"'}).json()  # token taken before the Action
    assert failed["description"] == "Partner contract expired"
    execution = mockidp.action_executions()[-1]
    assert execution["commands"] == [{"op": "access.deny", "code": "invalid_request",
                                      "reason": "Partner contract expired"}]


def test_a_failing_action_refuses_the_token_without_a_500(mockidp, sdk):
    install(sdk, "broken", "exports.onExecuteCredentialsExchange = async () => { throw new Error('vault down'); };")
    response = requests.post(f"{mockidp.url}/oauth/token", timeout=30, json={
        "grant_type": "client_credentials", "client_id": DEFAULT_M2M_CLIENT_ID,
        "client_secret": DEFAULT_M2M_CLIENT_SECRET, "audience": f"{mockidp.url}/api/v2/"})
    assert response.status_code == 403
    assert response.json() == {"error": "access_denied", "error_description": "vault down"}
    assert mockidp.action_executions()[-1]["status"] == "failed"
