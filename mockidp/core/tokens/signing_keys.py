"""/api/v2/keys/signing: the tenant's keyring as Auth0's Management API shows and changes it.

A rotation makes the next key current (new tokens carry its kid) and the current key previous
(its tokens still verify); revoking a previous key takes it out of the JWKS and makes its tokens
fail everywhere this tenant checks one. Auth0 only revokes previously used keys.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..tenant.clock import iso
from ..tenant.errors import ManagementError, not_found
from .keyring import KeySlot

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant


def list_keys(tenant: "Tenant") -> list[dict]:
    keyring = tenant.keys
    return [_view(tenant, slot) for slot in keyring.listed()]


def get_key(tenant: "Tenant", kid: str) -> dict:
    return _view(tenant, _slot(tenant, kid))


def rotate(tenant: "Tenant") -> dict:
    """The key that is current after the rotation."""
    with tenant.lock:
        return _view(tenant, tenant.keys.rotate(iso(tenant.clock.now())))


def revoke(tenant: "Tenant", kid: str) -> dict:
    """Revoke a previous key; revoking it again answers the same (mockidp's choice)."""
    with tenant.lock:
        slot = _slot(tenant, kid)
        if tenant.keys.role(slot) != "previous":
            raise ManagementError(400, f"The {tenant.keys.role(slot)} signing key cannot be revoked; "
                                       "only a previously used key can.", "invalid_key")
        if slot.revoked_at is None:
            slot = tenant.keys.revoke(slot, iso(tenant.clock.now()))
        return _view(tenant, slot)


def _slot(tenant: "Tenant", kid: str) -> KeySlot:
    slot = tenant.keys.slot_of(kid)
    if slot is None:
        raise not_found("The signing key does not exist", "inexistent_key")
    return slot


def _view(tenant: "Tenant", slot: KeySlot) -> dict:
    """Auth0's shape: the JWKS certificate in PEM and PKCS#7, its SHA-1 as fingerprint
    (colon-separated) and thumbprint, the key's role, and the times that apply to it."""
    key = tenant.keys.material(slot.number)
    role = tenant.keys.role(slot)
    digest = key.sha1_fingerprint()
    body: dict = {"kid": key.kid, "cert": key.certificate_pem(), "pkcs7": key.pkcs7_pem(),
                  "current": role == "current", "next": role == "next", "previous": role == "previous"}
    if slot.current_since is not None:
        body["current_since"] = slot.current_since
    if slot.current_until is not None:
        body["current_until"] = slot.current_until
    body.update({"fingerprint": ":".join(digest[i:i + 2] for i in range(0, len(digest), 2)),
                 "thumbprint": digest, "revoked": slot.revoked_at is not None})
    if slot.revoked_at is not None:
        body["revoked_at"] = slot.revoked_at
    return body
