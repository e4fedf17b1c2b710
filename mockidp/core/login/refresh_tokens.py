"""Refresh tokens: issued with offline_access, exchanged at /oauth/token, revoked at
/oauth/revoke. Behaviour follows the client's `refresh_token` settings:

- `rotation_type: rotating`: every exchange returns a new token of the same family and retires the
  old one. Using a retired token again is reuse: within `leeway` seconds of its rotation it still
  works (Auth0's reuse interval); after that the whole family is revoked (Auth0's reuse detection).
  `non-rotating`: the token stays the same and the response carries no refresh_token.
- `expiration_type: expiring`: `token_lifetime` (absolute, for the family) and
  `idle_token_lifetime` (since the last exchange) apply unless `infinite_token_lifetime` /
  `infinite_idle_token_lifetime`; `non-expiring` tokens never expire. All on the tenant clock.
- Revoking a token revokes its family.

Records live in the Directory keyed by the token and are replaced, never mutated.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..tenant.errors import OAuthError
from .logins import USER_BLOCKED
from .user_tokens import UserGrant

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
TOKEN_LENGTH = 86
INVALID = "Unknown or invalid refresh token."
USER_GONE = "The refresh_token was generated for a user who doesn't exist anymore."


class RefreshTokenRejected(OAuthError):
    """A refused exchange; `reuse` tells reuse detection (log `ferrt`) from the rest (`fertft`)."""

    def __init__(self, description: str, *, reuse: bool = False, record: dict | None = None):
        super().__init__(403, "invalid_grant", description)
        self.reuse = reuse
        self.record = record


def _settings(client: dict) -> dict:
    return client.get("refresh_token") or {}


def rotates(client: dict) -> bool:
    return _settings(client).get("rotation_type") == "rotating"


def issue(tenant: "Tenant", grant: UserGrant, *, family: dict | None = None) -> str:
    """A new token for `grant`; with `family`, the next token of a rotating family. Under lock."""
    with tenant.lock:
        now = tenant.clock.now().timestamp()
        token = "v1." + tenant.rng.chars(TOKEN_ALPHABET, TOKEN_LENGTH)
        settings = _settings(grant.client)
        expiring = settings.get("expiration_type") == "expiring"
        absolute = None
        if expiring and not settings.get("infinite_token_lifetime", True):
            absolute = now + int(settings.get("token_lifetime") or 2592000)
        idle = None
        if expiring and not settings.get("infinite_idle_token_lifetime", True):
            idle = int(settings.get("idle_token_lifetime") or 1296000)
        tenant.directory.refresh_tokens[token] = {
            "token": token, "family_id": family["family_id"] if family else tenant.rng.alnum(24),
            "counter": family["counter"] + 1 if family else 1,
            "client_id": grant.client["client_id"], "user_id": grant.user["user_id"],
            "audience": grant.audience, "scope": list(grant.scope), "auth_time": grant.auth_time,
            "session_id": grant.session_id, "organization_id": grant.organization_id,
            "created_ts": now, "expires_ts": family["expires_ts"] if family else absolute,
            "idle_lifetime": idle, "idle_expires_ts": now + idle if idle else None,
            "rotated_ts": None, "revoked": False}
        return token


def exchange(tenant: "Tenant", token: str | None, client: dict,
             requested_scope: str | None = None) -> tuple[dict, dict]:
    """(record, user profile) for a usable token, after noting its use; RefreshTokenRejected
    otherwise. A requested scope may narrow the token's, never widen it. Rotation (a new token)
    is the caller's next step: `issue(..., family=record)`."""
    if not token:
        raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
    with tenant.lock:
        record = tenant.directory.refresh_tokens.get(token)
        if record is None or record["revoked"] or record["client_id"] != client["client_id"]:
            raise RefreshTokenRejected(INVALID, record=record)
        now = tenant.clock.now().timestamp()
        if _expired(record, now):
            raise RefreshTokenRejected(INVALID, record=record)
        if record["rotated_ts"] is not None and rotates(client):
            leeway = int(_settings(client).get("leeway") or 0)
            if now > record["rotated_ts"] + leeway:
                revoke_family(tenant, record["family_id"])
                raise RefreshTokenRejected(INVALID, reuse=True, record=record)
        user = tenant.directory.users.get(record["user_id"])
        if user is None:
            raise RefreshTokenRejected(USER_GONE, record=record)
        if user.profile.get("blocked"):
            raise RefreshTokenRejected(USER_BLOCKED, record=record)
        _check_narrower(record, requested_scope)
        used = dict(record)
        if used["idle_lifetime"]:
            used["idle_expires_ts"] = now + used["idle_lifetime"]
        if rotates(client) and used["rotated_ts"] is None:
            used["rotated_ts"] = now
        tenant.directory.refresh_tokens[token] = used
        return dict(used), dict(user.profile)


def _check_narrower(record: dict, requested_scope: str | None) -> None:
    extra = [scope for scope in (requested_scope or "").split() if scope not in record["scope"]]
    if extra:
        raise OAuthError(403, "invalid_scope", f"Refresh token was not granted the scopes: {' '.join(extra)}")


def _expired(record: dict, now: float) -> bool:
    return ((record["expires_ts"] is not None and now > record["expires_ts"])
            or (record["idle_expires_ts"] is not None and now > record["idle_expires_ts"]))


def revoke_family(tenant: "Tenant", family_id: str) -> None:
    with tenant.lock:
        stored = tenant.directory.refresh_tokens
        for token, record in list(stored.items()):
            if record["family_id"] == family_id and not record["revoked"]:
                stored[token] = {**record, "revoked": True}


def revoke_for_session(tenant: "Tenant", session_id: str) -> None:
    """Every refresh token issued in a session (POST /api/v2/sessions/{id}/revoke)."""
    with tenant.lock:
        stored = tenant.directory.refresh_tokens
        for token, record in list(stored.items()):
            if record.get("session_id") == session_id and not record["revoked"]:
                stored[token] = {**record, "revoked": True}


def revoke(tenant: "Tenant", token: str, client_id: str) -> dict | None:
    """Revoke `token` (and its family) if `client_id` owns it; the record, or None."""
    with tenant.lock:
        record = tenant.directory.refresh_tokens.get(token)
        if record is None or record["client_id"] != client_id:
            return None
        revoke_family(tenant, record["family_id"])
        return dict(record)
