"""Blacklisted tokens (POST/GET /api/v2/blacklists/tokens, beyond Auth0's spec: data/spec_gaps.json):
a token's `jti`, optionally for one audience, that the Management API refuses from then on.

The entries are stored by the declared engine (core/resources/catalog/legacy.py) in
`tenant.directory.resources[PATH]`, so reset and snapshots cover them; this module only reads
them. An entry with an `aud` matches a token whose audience, `azp` or `client_id` is that value
(Auth0's blacklist names a client id in its recording, its tokens an API audience); one without
matches any token carrying the jti (docs/behaviour.md)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

PATH = "/blacklists/tokens"


def entry_id(body: dict) -> str:
    """One entry per (aud, jti): blacklisting it again changes nothing."""
    return f"{body.get('aud') or ''} {body['jti']}"


def refused(tenant: "Tenant", claims: dict) -> bool:
    """Whether the token's jti is blacklisted for it."""
    jti = claims.get("jti")
    if not isinstance(jti, str):
        return False  # mockidp's client-credentials tokens carry none, as Auth0's
    entries = tenant.directory.resources.get(PATH, {})
    if not entries:
        return False
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    names = {*audiences, claims.get("azp"), claims.get("client_id")}
    return any(entry.get("jti") == jti and (not entry.get("aud") or entry["aud"] in names)
               for entry in entries.values())
