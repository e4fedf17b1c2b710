"""OpenID discovery and the JWKS. The issuer is the base URL the caller used (or --public-url)."""
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
        "device_authorization_endpoint": f"{base}/oauth/device/code",
        "userinfo_endpoint": f"{base}/userinfo",
        "mfa_challenge_endpoint": f"{base}/mfa/challenge",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "registration_endpoint": f"{base}/oidc/register",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "end_session_endpoint": f"{base}/oidc/logout",
        "scopes_supported": ["openid", "profile", "offline_access", "name", "given_name",
                             "family_name", "nickname", "email", "email_verified", "picture",
                             "created_at", "identities", "phone", "address"],
        "response_types_supported": ["code", "token", "id_token", "code token", "code id_token",
                                     "token id_token", "code token id_token"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "private_key_jwt"],
        "claims_supported": ["aud", "auth_time", "created_at", "email", "email_verified", "exp",
                             "family_name", "given_name", "iat", "identities", "iss", "name",
                             "nickname", "phone_number", "picture", "sub"],
        "request_uri_parameter_supported": False,
        "request_parameter_supported": False,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "PS256"],
    })


@discovery.get("/.well-known/jwks.json")
def jwks():
    return json_response({"keys": [tenant().keys.signing_key.jwk]})
