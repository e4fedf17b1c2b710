"""POST /oauth/token."""
from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from flask import Blueprint, request

from ...core import grants
from ...core.errors import OAuthError
from ..http import issuer, json_response, read_body, tenant

oauth = Blueprint("oauth", __name__)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client_credentials(params: dict) -> grants.ClientCredentials:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise grants.unauthorized_client_auth() from None
        client_id, _, secret = decoded.partition(":")
        return grants.ClientCredentials(unquote(client_id), unquote(secret), "client_secret_basic")
    secret = params.get("client_secret")
    return grants.ClientCredentials(params.get("client_id"), secret,
                                    "client_secret_post" if secret else "none")


def _string_params(body) -> dict[str, str]:
    if not isinstance(body, dict):
        raise OAuthError(400, "invalid_request", "The request body must be an object")
    return {key: value for key, value in body.items() if isinstance(value, str)}


@oauth.post("/oauth/token")
def token():
    params = _string_params(read_body(OAuthError(400, "invalid_request", "Invalid JSON body")))
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
    current = tenant()
    client = grants.authenticate_client(current, _client_credentials(params))
    if grant_type == "client_credentials":
        body = grants.client_credentials(current, client, params.get("audience"), params.get("scope"),
                                         issuer())
        return json_response(body, 200, NO_STORE)
    raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
