"""JWTs shaped like Auth0's: RS256 with a kid, claims per the Auth0 access-token profile."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from ..applications.resource_servers import is_management_audience
from ..tenant.errors import ManagementError

if TYPE_CHECKING:
    from .keyring import Keyring
    from .keys import SigningKey

# Every registered claim check is done by mockidp itself against the tenant clock and its own
# rules; python-jose only checks the signature.
SIGNATURE_ONLY = {"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False,
                  "verify_iss": False, "verify_sub": False, "verify_at_hash": False}
REVOKED = "Token has been revoked"  # a blacklisted jti; Auth0's wording is unrecorded (docs/behaviour.md)


class TokenError(ValueError):
    """A JWT that cannot be parsed or whose signature does not verify."""

    def __init__(self, message: str, bad_signature: bool = False):
        super().__init__(message)
        self.bad_signature = bad_signature


def _jwt():
    # python-jose pulls in cryptography: imported on first use to keep start-up fast.
    from jose import jwt

    return jwt


def sign(key: "SigningKey", claims: dict[str, Any], typ: str = "JWT") -> str:
    """`typ` is "at+jwt" for RFC 9068 access tokens."""
    return _jwt().encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": typ})


def sign_hs256(claims: dict[str, Any], secret: str, typ: str = "JWT") -> str:
    return _jwt().encode(claims, secret, algorithm="HS256", headers={"typ": typ})


def unverified_header(token: str) -> dict:
    from jose.exceptions import JOSEError

    try:
        return _jwt().get_unverified_header(token)
    except (JOSEError, ValueError):
        raise TokenError("Invalid token") from None


def decode_rs256(token: str, key: "SigningKey") -> dict:
    """The claims of a token signed by `key` (signature checked; nothing else)."""
    from jose.exceptions import JOSEError, JWTError

    try:
        return _jwt().decode(token, key.public_key, algorithms=["RS256"], options=SIGNATURE_ONLY)
    except JWTError as exc:
        raise TokenError(str(exc), bad_signature="signature" in str(exc).lower()) from None
    except (JOSEError, ValueError) as exc:
        raise TokenError(str(exc)) from None


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


class ManagementCaller(NamedTuple):
    """Who a verified Management API token speaks for: its claims and its granted scopes."""

    claims: dict
    scopes: frozenset[str]


class VerifiedTokens:
    """Tokens already verified (signature and audience: a Management API caller, or the claims of
    a /userinfo token), so a client that reuses its token (every SDK does) pays the RSA check
    once. Bounded: past `limit` entries it starts over. Expiry is never cached: it is checked
    against the tenant clock on every use."""

    def __init__(self, limit: int = 4096):
        self._limit = limit
        self._callers: dict[str, Any] = {}

    def get(self, token: str) -> Any:
        return self._callers.get(token)

    def add(self, token: str, caller: Any) -> None:
        if len(self._callers) >= self._limit:
            self._callers = {}
        self._callers[token] = caller

    def clear(self) -> None:
        """Forget every token: their key may have been revoked."""
        self._callers = {}


def verify_management_token(keys: "Keyring", token: str, now: int,
                            verified: VerifiedTokens | None = None,
                            refused: Callable[[dict], bool] | None = None) -> ManagementCaller:
    """Verify a bearer token for the Management API against the tenant clock: signature, then
    expiry, then audience, the order of Auth0's messages; then `refused` (a blacklisted jti:
    blacklist.py), checked on every use since a token may be blacklisted after its first.

    Expiry is checked here (not by python-jose, which would use wall time) so that advancing the
    mock clock expires tokens.
    """
    caller = verified.get(token) if verified is not None else None
    if caller is not None:
        _check_expiry(caller.claims, now)
        _check_refused(caller.claims, refused)
        return caller
    claims = _verified_claims(keys, token)
    _check_expiry(claims, now)
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if not any(isinstance(a, str) and is_management_audience(a) for a in audiences):
        raise unauthorized(f"Bad audience: {' '.join(str(a) for a in audiences)}")
    _check_refused(claims, refused)
    caller = ManagementCaller(claims, frozenset(str(claims.get("scope", "")).split()))
    if verified is not None:
        verified.add(token, caller)
    return caller


def _check_refused(claims: dict, refused: Callable[[dict], bool] | None) -> None:
    if refused is not None and refused(claims):
        raise unauthorized(REVOKED)


def _check_expiry(claims: dict, now: int) -> None:
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        raise unauthorized("Expired token received for JSON Web Token validation")


def verified_by_keyring(keys: "Keyring", token: str) -> dict:
    """The claims of an RS256 token signed by one of the keyring's keys that still verify (the
    current key, or a previous key not revoked), signature checked; TokenError otherwise."""
    header = unverified_header(token)
    key = keys.verifying_key(header.get("kid")) if header.get("alg") == "RS256" else None
    if key is None:
        raise TokenError("Invalid token")
    return decode_rs256(token, key)


def _verified_claims(keys: "Keyring", token: str) -> dict:
    try:
        return verified_by_keyring(keys, token)
    except TokenError as exc:
        if exc.bad_signature:
            raise unauthorized("Invalid signature received for JSON Web Token validation") from None
        raise unauthorized("Invalid token") from None
