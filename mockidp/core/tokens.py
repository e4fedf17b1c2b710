"""JWTs shaped like Auth0's: RS256 with a kid, claims per the Auth0 access-token profile."""
from __future__ import annotations

from typing import Any

from jose import jwt
from jose.exceptions import JOSEError, JWTError

from .errors import ManagementError
from .keys import SigningKey


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def access_token_claims(*, issuer: str, subject: str, audience: str | list[str], client_id: str,
                        scope: str, issued_at: int, lifetime: int, grant_type: str | None) -> dict:
    claims: dict[str, Any] = {"iss": issuer, "sub": subject, "aud": audience, "iat": issued_at,
                              "exp": issued_at + lifetime, "scope": scope, "azp": client_id}
    if grant_type:
        claims["gty"] = grant_type
    return claims


def unauthorized(message: str) -> ManagementError:
    """A 401 the way hapi's Boom.unauthorized(message, "Bearer") builds it: the message is repeated
    in `attributes` and in the WWW-Authenticate challenge."""
    challenge = 'Bearer error="{}"'.format(message.replace('"', '\\"'))
    return ManagementError(401, message, attributes={"error": message},
                           headers={"WWW-Authenticate": challenge})


def verify_management_token(key: SigningKey, token: str, now: int) -> dict:
    """Verify a bearer token for the Management API against the tenant clock.

    Expiry is checked here (not by python-jose, which would use wall time) so that advancing the
    mock clock expires tokens.
    """
    try:
        header = jwt.get_unverified_header(token)
    except (JOSEError, ValueError):
        raise unauthorized("Invalid token") from None
    if header.get("alg") != "RS256" or header.get("kid") != key.kid:
        raise unauthorized("Invalid token")
    try:
        claims = jwt.decode(token, key.public_key, algorithms=["RS256"],
                            options={"verify_aud": False, "verify_exp": False, "verify_iat": False,
                                     "verify_nbf": False, "verify_iss": False, "verify_sub": False})
    except JWTError as exc:
        if "signature" in str(exc).lower():
            raise unauthorized("Invalid signature received for JSON Web Token validation") from None
        raise unauthorized("Invalid token") from None
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        raise unauthorized("Expired token received for JSON Web Token validation")
    return claims
