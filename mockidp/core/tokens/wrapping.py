"""Bring Your Own Key: the public wrapping key of a customer-provided root key
(/api/v2/keys/encryption/{kid}/wrapping-key) and the unwrapping of the key material a customer
imports with it (POST /api/v2/keys/encryption/{kid}).

The algorithm is Auth0's on AWS (its documentation): CKM_RSA_AES_KEY_WRAP with a 3072-bit RSA
key, i.e. a temporary AES-256 key encrypted with RSA-OAEP (SHA-256, MGF1 SHA-256), followed by the
key material wrapped with that AES key (AES key wrap with padding, RFC 5649); the key material
is a 256-bit AES key. Wrapping key N of a tenant is cached like the signing keys (the keyring's
`other_key`), so the same requests give the same public key on one machine.
"""
from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

ALGORITHM = "CKM_RSA_AES_KEY_WRAP"
KIND = "RSA-3072"
MADE = "/keys/encryption#wrapping-keys"  # how many wrapping keys the tenant has made
ROOT_KEY_BYTES = 32                      # the imported material: an AES-256 key


def new_wrapping_key(tenant: "Tenant") -> tuple[int, str]:
    """The number naming a new wrapping key (kept on the encryption key) and its public key in
    PEM, as Auth0 answers it (SubjectPublicKeyInfo, LF line ends). Under the tenant lock."""
    from cryptography.hazmat.primitives import serialization

    number = tenant.directory.take_number(MADE)
    public_key = _private_key(tenant, number).public_key()
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return number, pem.decode("ascii")


def unwrap(tenant: "Tenant", number: int, wrapped_key: str) -> bytes | None:
    """The key material inside `wrapped_key` (base64), or None when it was not wrapped with
    wrapping key `number` this way or is not an AES-256 key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

    private_key = _private_key(tenant, number)
    try:
        blob = base64.b64decode(wrapped_key, validate=True)
    except (binascii.Error, ValueError):
        return None
    head, tail = blob[:private_key.key_size // 8], blob[private_key.key_size // 8:]
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    try:
        material = aes_key_unwrap_with_padding(private_key.decrypt(head, oaep), tail)
    except (ValueError, InvalidUnwrap):
        return None
    return material if len(material) == ROOT_KEY_BYTES else None


def _private_key(tenant: "Tenant", number: int):
    return tenant.keys.other_key(f"wrapping-key-{number}.{KIND}.pem", KIND)
