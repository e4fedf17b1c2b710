"""OpenID discovery and the JWKS. The issuer is the base URL the caller used (or --public-url).
Discovery advertises only what mockidp serves (tested): an endpoint that 404s here would send a
client library down a path that cannot work."""
from __future__ import annotations

from flask import Blueprint

from ..http import issuer, json_response, public_base_url, tenant

discovery = Blueprint("discovery", __name__)


@discovery.get("/.well-known/openid-configuration")
def openid_configuration():
    base = public_base_url()
    return json_response({
        "issuer": issuer(),
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "end_session_endpoint": f"{base}/oidc/logout",
        "mfa_challenge_endpoint": f"{base}/mfa/challenge",
        "scopes_supported": ["openid", "profile", "offline_access", "name", "given_name",
                             "family_name", "nickname", "email", "email_verified", "picture",
                             "created_at", "identities", "phone", "address"],
        "response_types_supported": ["code", "token", "id_token", "code token", "code id_token",
                                     "token id_token", "code token id_token"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "claims_supported": ["aud", "auth_time", "created_at", "email", "email_verified", "exp",
                             "family_name", "given_name", "iat", "identities", "iss", "name",
                             "nickname", "phone_number", "picture", "sub"],
        "request_uri_parameter_supported": False,
        "request_parameter_supported": False,
    })


@discovery.get("/.well-known/jwks.json")
def jwks():
    return json_response({"keys": [key.jwk for key in tenant().keys.published()]})
