"""Bring Your Own Key over HTTP: a customer-provided root key's public wrapping key, and the
import of key material wrapped with it the way Auth0 documents (CKM_RSA_AES_KEY_WRAP: RSA-OAEP
SHA-256 around a temporary AES-256 key, then AES key wrap with padding)."""
from __future__ import annotations

import base64
import secrets

from conftest import Api
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from management_crud import assert_error, conforms, invalid_body, scoped

KEYS = "/api/v2/keys/encryption"


def _root_key(api: Api) -> str:
    created = api.post(KEYS, json={"type": "customer-provided-root-key"})
    assert created.status_code == 201, created.text
    return created.json()["kid"]


def _wrapped(public_key_pem: str, material: bytes) -> str:
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(public_key, rsa.RSAPublicKey)
    temporary = secrets.token_bytes(32)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    blob = public_key.encrypt(temporary, oaep) + aes_key_wrap_with_padding(temporary, material)
    return base64.b64encode(blob).decode()


def test_key_material_wrapped_with_the_wrapping_key_activates_the_root_key(api: Api):
    kid = _root_key(api)
    wrapping = conforms("POST /keys/encryption/{kid}/wrapping-key", api.post(f"{KEYS}/{kid}/wrapping-key"), 201)
    assert wrapping["algorithm"] == "CKM_RSA_AES_KEY_WRAP"
    assert wrapping["public_key"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert serialization.load_pem_public_key(wrapping["public_key"].encode()).key_size == 3072  # Auth0 on AWS
    assert "wrapping_key" not in api.get(f"{KEYS}/{kid}").json()  # remembered, not shown
    imported = conforms("POST /keys/encryption/{kid}", api.post(
        f"{KEYS}/{kid}", json={"wrapped_key": _wrapped(wrapping["public_key"], secrets.token_bytes(32))}), 201)
    assert imported["kid"] == kid and imported["state"] == "active"
    assert conforms("GET /keys/encryption/{kid}", api.get(f"{KEYS}/{kid}"), 200) == imported
    assert_error(api.post(f"{KEYS}/{kid}/wrapping-key"), 409,
                 "Failed precondition. Create new encryption key without the key material first.",
                 operation="POST /keys/encryption/{kid}/wrapping-key")


def test_material_not_wrapped_with_the_latest_wrapping_key_is_refused_and_changes_nothing(api: Api):
    kid = _root_key(api)
    no_import_yet = api.post(f"{KEYS}/{kid}", json={"wrapped_key": base64.b64encode(b"x" * 424).decode()})
    assert_error(no_import_yet, 409, "Failed precondition. Key import not in progress or unable to find the "
                 "wrapping key. Make sure you have followed all the steps to import a key.",
                 operation="POST /keys/encryption/{kid}")
    first = api.post(f"{KEYS}/{kid}/wrapping-key").json()["public_key"]
    latest = api.post(f"{KEYS}/{kid}/wrapping-key").json()["public_key"]
    assert first != latest
    invalid = "Invalid input. Wrapped key material is invalid or unsupported key type."
    for wrapped in (_wrapped(first, secrets.token_bytes(32)),  # an older wrapping key
                    _wrapped(latest, secrets.token_bytes(16)),  # not an AES-256 key
                    "not base64!"):
        assert_error(api.post(f"{KEYS}/{kid}", json={"wrapped_key": wrapped}), 400, invalid,
                     operation="POST /keys/encryption/{kid}")
    assert api.get(f"{KEYS}/{kid}").json()["state"] == "pre-activation"
    assert api.post(f"{KEYS}/{kid}", json={}).json() == invalid_body("'Missing required property: wrapped_key'.")


def test_unknown_keys_other_key_types_and_missing_scopes_are_refused(mockidp, api: Api):
    assert_error(api.post(f"{KEYS}/0f0e7b1a-4a4b-4c1d-9e5f-000000000000/wrapping-key"), 404,
                 "The encryption key does not exist.")
    assert_error(api.post(f"{KEYS}/0f0e7b1a-4a4b-4c1d-9e5f-000000000000", json={"wrapped_key": "AAAA"}), 400,
                 "The key ID was not found.", operation="POST /keys/encryption/{kid}")
    other = api.post(KEYS, json={"type": "tenant-encryption-key"})  # Auth0 holds its material itself
    assert other.status_code == 201
    assert_error(api.post(f"{KEYS}/{other.json()['kid']}/wrapping-key"), 400,
                 "Invalid key id or unsupported key type.", operation="POST /keys/encryption/{kid}/wrapping-key")
    kid = _root_key(api)
    reader = scoped(mockidp, "read:encryption_keys")
    assert_error(reader.post(f"{KEYS}/{kid}/wrapping-key"), 403,
                 "Insufficient scope, expected any of: create:encryption_keys", "insufficient_scope")
