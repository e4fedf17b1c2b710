"""Authorization codes: issued at the end of a browser login, single use, bound to the client,
the redirect_uri and the PKCE challenge, expiring on the tenant clock; redeemed by the
authorization_code grant (core/login/grants.py)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from ..tenant.errors import OAuthError
from .authorize import AuthorizeRequest, drop_stale

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

CODE_LIFETIME = 600            # seconds; RFC 6749's recommended maximum (Auth0's is unpublished)
CODE_LENGTH = 43


def issue_code(tenant: "Tenant", request: AuthorizeRequest, *, user_id: str, scope: list[str],
               session_id: str | None, auth_time: int, organization_id: str | None = None,
               custom_claims: dict | None = None) -> str:
    with tenant.lock:
        now = tenant.clock.now().timestamp()
        codes = tenant.directory.authorization_codes
        drop_stale(codes, now)
        code = tenant.rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", CODE_LENGTH)
        codes[code] = {"client_id": request.client_id, "redirect_uri": request.redirect_uri,
                       "user_id": user_id, "scope": list(scope), "audience": request.audience,
                       "nonce": request.nonce, "code_challenge": request.code_challenge,
                       "code_challenge_method": request.code_challenge_method,
                       "session_id": session_id, "auth_time": auth_time,
                       "organization_id": organization_id, "expires_ts": now + CODE_LIFETIME,
                       "custom_claims": custom_claims or {}}  # set by post-login Actions
        return code


def invalid_code() -> OAuthError:
    return OAuthError(403, "invalid_grant", "Invalid authorization code")


def redeem_code(tenant: "Tenant", code: str | None, client_id: str, redirect_uri: str | None,
                code_verifier: str | None) -> dict:
    """What the code grants; it is used up by the attempt, even a failed one (a wrong verifier
    burns the code: one guess per code)."""
    if not code:
        raise OAuthError(400, "invalid_request", "Missing required parameter: code")
    with tenant.lock:
        grant = tenant.directory.authorization_codes.pop(code, None)
        if grant is None or grant["client_id"] != client_id:
            if grant is not None:  # another client's code stays usable by its owner
                tenant.directory.authorization_codes[code] = grant
            raise invalid_code()
        if tenant.clock.now().timestamp() > grant["expires_ts"]:
            raise invalid_code()
    if redirect_uri is not None and redirect_uri != grant["redirect_uri"]:
        raise OAuthError(403, "invalid_grant", "Invalid redirect_uri")
    if grant["code_challenge"] and not pkce_verified(grant, code_verifier):
        raise OAuthError(403, "invalid_grant", "Failed to verify code verifier")
    return grant


def pkce_verified(grant: dict, verifier: str | None) -> bool:
    if not verifier:
        return False
    if grant["code_challenge_method"] == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode(), grant["code_challenge"].encode())
