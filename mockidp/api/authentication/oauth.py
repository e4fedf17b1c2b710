"""POST /oauth/token."""
from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from flask import Blueprint, Response, request

from ...core.login import grants, refresh_tokens
from ...core.logs import events as logs
from ...core.tenant.errors import OAuthError
from ..caller import request_info
from ..http import issuer, json_response, read_body, tenant
from .cors import add_cors_headers

oauth = Blueprint("oauth", __name__)
oauth.after_request(add_cors_headers)  # SPAs call /oauth/token and /oauth/revoke cross-origin
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def client_credentials(params: dict) -> grants.ClientCredentials:
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


def _authenticated_client(params: dict[str, str], grant_type: str) -> dict:
    current = tenant()
    credentials = client_credentials(params)
    try:
        return grants.authenticate_client(current, credentials)
    except OAuthError as error:
        grants.log_failure(current, grant_type, error, request_info(), client_id=credentials.client_id)
        raise


@oauth.post("/oauth/token")
def token():
    params = _string_params(read_body(OAuthError(400, "invalid_request", "Invalid JSON body")))
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
    client = _authenticated_client(params, grant_type)
    info = request_info(forwarded_for_trusted=bool(client.get("is_token_endpoint_ip_header_trusted")))
    body = grants.exchange(tenant(), client, grant_type, params, issuer(), info)
    return json_response(body, 200, NO_STORE)


@oauth.post("/oauth/revoke")
def revoke():
    """Revoke a refresh token (and its family): 200 with an empty body, also for a token that is
    unknown or already revoked (RFC 7009), as Auth0 answers."""
    params = _string_params(read_body(OAuthError(400, "invalid_request", "Invalid JSON body")))
    current = tenant()
    client = grants.authenticate_client(current, client_credentials(params))
    token = params.get("token")
    if not token:
        raise OAuthError(400, "invalid_request", "Missing required parameter: token")
    revoked = refresh_tokens.revoke(current, token, client["client_id"])
    if revoked is not None:
        with current.lock:
            record = current.directory.users.get(revoked["user_id"])
        logs.record(current, "srrt", "", request=request_info(), client=client,
                    user=record.profile if record else {"user_id": revoked["user_id"]},
                    details={"session_id": revoked.get("session_id") or "", "audience": revoked.get("audience") or ""})
    return Response(b"", 200)
