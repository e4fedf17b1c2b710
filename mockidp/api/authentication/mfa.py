"""Auth0's MFA API for the password grants: POST /mfa/associate, GET and DELETE
/mfa/authenticators, and POST /mfa/challenge, thin views over core/factors/mfa.py (TOTP) and oob.py (codes by email or SMS). The mfa_token comes as a bearer token
(associate, authenticators) or in the body (challenge)."""
from __future__ import annotations

from flask import Blueprint, request

from ...core.factors import enrollments, mfa, oob
from ...core.login import grants
from ...core.tenant.errors import OAuthError
from ..caller import request_info
from ..http import empty_response, json_response, public_base_url, read_body, tenant
from .cors import add_cors_headers
from .oauth import client_credentials

mfa_endpoints = Blueprint("mfa", __name__)
mfa_endpoints.after_request(add_cors_headers)


def _body() -> dict:
    body = read_body(OAuthError(400, "invalid_request", "Invalid JSON body"))
    if not isinstance(body, dict):
        raise OAuthError(400, "invalid_request", "The request body must be an object")
    return body


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


@mfa_endpoints.post("/mfa/associate")
def associate():
    body = _body()
    current = tenant()
    client = grants.authenticate_client(current, client_credentials(body))
    if body.get("authenticator_types") == ["oob"]:
        contact = {"email": body.get("email"), "phone_number": body.get("phone_number")}
        return json_response(oob.associate(current, client, _bearer(), body.get("oob_channels"), contact,
                                           base_url=public_base_url(), request=request_info()))
    return json_response(mfa.associate(current, client, _bearer(), body.get("authenticator_types")))


@mfa_endpoints.get("/mfa/authenticators")
def authenticators():
    return json_response(mfa.list_for_token(tenant(), _bearer()))


@mfa_endpoints.delete("/mfa/authenticators/<path:authenticator_id>")
def delete_authenticator(authenticator_id: str):
    enrollments.delete_for_mfa_token(tenant(), _bearer(), authenticator_id)
    return empty_response(204)


@mfa_endpoints.post("/mfa/challenge")
def challenge():
    body = _body()
    current = tenant()
    client = grants.authenticate_client(current, client_credentials(body))
    if "oob" in str(body.get("challenge_type")).split():
        return json_response(oob.challenge(current, client, body.get("mfa_token"), body.get("authenticator_id"),
                                           base_url=public_base_url(), request=request_info()))
    return json_response(mfa.challenge(current, client, body.get("mfa_token"), body.get("challenge_type"),
                                       body.get("authenticator_id")))
