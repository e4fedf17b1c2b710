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


def _unauthorized(message: str) -> ManagementError:
    return ManagementError(401, message, attributes={"error": message})


def verify_management_token(key: SigningKey, token: str, now: int) -> dict:
    """Verify a bearer token for the Management API against the tenant clock.

    Expiry is checked here (not by python-jose, which would use wall time) so that advancing the
    mock clock expires tokens.
    """
    try:
        header = jwt.get_unverified_header(token)
    except (JOSEError, ValueError):
        raise _unauthorized("Invalid token") from None
    if header.get("alg") != "RS256" or header.get("kid") != key.kid:
        raise _unauthorized("Invalid token")
    try:
        claims = jwt.decode(token, key.public_key, algorithms=["RS256"],
                            options={"verify_aud": False, "verify_exp": False, "verify_iat": False,
                                     "verify_nbf": False, "verify_iss": False, "verify_sub": False})
    except JWTError as exc:
        if "signature" in str(exc).lower():
            raise _unauthorized("Invalid signature received for JSON Web Token validation") from None
        raise _unauthorized("Invalid token") from None
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        raise _unauthorized("Expired token received for JSON Web Token validation")
    return claims
