"""A connection's signing keys (/api/v2/connections/{id}/keys): the keys an OIDC or Okta
connection signs its `private_key_jwt` client assertions with, in Auth0's three roles: the
current key, the next key (published ahead of a rotation) and the previous key.

Which keys a connection has, their certificates and their roles are tenant state, kept in
`tenant.directory.resources[KEYS]` (connection id -> tuple of key records, oldest first; replaced,
never changed, so reset and snapshots cover them). A key's certificate is made when the key is:
validity from the tenant clock, serial number from the tenant RNG, signed deterministically, so
the same requests give the same certificates. The key pair itself cannot come from the seeded RNG
(`cryptography` generates from the OS); key N of a tenant is cached like the signing keys
(keys.load_or_create_private_key, via the keyring), so runs on one machine repeat exactly.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
from typing import TYPE_CHECKING

from ..applications.connections import find_connection
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, conflict

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

KEYS = "/connections/{id}/keys"
MADE = "/connections/{id}/keys#made"  # how many keys the tenant has made: names the next one's material
STRATEGIES = ("oidc", "okta")
KEY_KINDS = {"ES256": "EC-secp256r1", "ES384": "EC-secp384r1"}  # the RS* and PS* algorithms: RSA-2048
SHOWN = ("kid", "algorithm", "key_use", "subject_dn", "cert", "fingerprint", "thumbprint", "pkcs")


# --- the operations -----------------------------------------------------------------------------

def list_keys(tenant: "Tenant", connection_id: str) -> list[dict]:
    """Current key first, then the others oldest first (recorded)."""
    with tenant.lock:
        connection = _with_keys(tenant, connection_id, "keys are not available for this connection")
        return _views(_provisioned(tenant, connection))


def create_keys(tenant: "Tenant", connection_id: str, signing_alg: str | None) -> list[dict]:
    """POST: the first keys of a connection about to use private_key_jwt (current and next)."""
    with tenant.lock:
        connection = _with_keys(tenant, connection_id, "keys are not available for this connection")
        if _stored(tenant, connection_id) or _uses_private_key_jwt(connection):
            raise conflict("Keys have already been created for this connection.")
        keys = _first_keys(tenant, connection, signing_alg or _algorithm(connection))
        _save(tenant, connection_id, keys)
        return _views(keys)


def rotate(tenant: "Tenant", connection_id: str, signing_alg: str | None) -> dict:
    """The next key becomes current, the current one previous (the older previous key goes),
    and a new next key is made; the answer is that new key's kid and certificate (recorded)."""
    with tenant.lock:
        connection = _with_keys(tenant, connection_id, "Key rotation is not supported on this connection")
        if not _uses_private_key_jwt(connection):
            raise ManagementError(400, "Connection is not configured to use JWT Client Authentication")
        *_, current, upcoming = _provisioned(tenant, connection)
        made = _new_key(tenant, connection, signing_alg or upcoming["algorithm"])
        _save(tenant, connection_id, (current, upcoming, made))
        return {"kid": made["kid"], "cert": made["cert"]}


# --- state --------------------------------------------------------------------------------------

def _with_keys(tenant: "Tenant", connection_id: str, refusal: str) -> dict:
    connection = find_connection(tenant, connection_id)
    if connection.get("strategy") not in STRATEGIES:
        raise ManagementError(400, refusal)
    return connection


def _uses_private_key_jwt(connection: dict) -> bool:
    return (connection.get("options") or {}).get("token_endpoint_auth_method") == "private_key_jwt"


def _algorithm(connection: dict) -> str:
    return (connection.get("options") or {}).get("token_endpoint_auth_signing_alg") or "RS256"


def _stored(tenant: "Tenant", connection_id: str) -> tuple[dict, ...]:
    return tenant.directory.resources.get(KEYS, {}).get(connection_id, ())


def _provisioned(tenant: "Tenant", connection: dict) -> tuple[dict, ...]:
    """The connection's keys. Auth0 makes them when a connection is set to private_key_jwt;
    mockidp makes them the first time they are asked for, which no client can tell apart."""
    keys = _stored(tenant, connection["id"])
    if not keys and _uses_private_key_jwt(connection):
        keys = _first_keys(tenant, connection, _algorithm(connection))
        _save(tenant, connection["id"], keys)
    return keys


def _first_keys(tenant: "Tenant", connection: dict, algorithm: str) -> tuple[dict, dict]:
    return _new_key(tenant, connection, algorithm), _new_key(tenant, connection, algorithm)


def _save(tenant: "Tenant", connection_id: str, keys: tuple[dict, ...]) -> None:
    table = {**tenant.directory.resources.get(KEYS, {}), connection_id: tuple(keys)}
    tenant.directory.resources = {**tenant.directory.resources, KEYS: table}


def _views(keys: tuple[dict, ...]) -> list[dict]:
    """The current key (with `current_since`: when it was made, as recorded) first, then the
    previous and the next key, oldest first. None before any is provisioned."""
    if not keys:
        return []
    *older, current, upcoming = keys
    shown = [_view(current, current=True, current_since=current["created_at"])]
    shown += [_view(key, previous=True) for key in older]
    return shown + [_view(upcoming, next=True)]


def _view(key: dict, **role) -> dict:
    return {**{name: key[name] for name in SHOWN}, **role}


# --- key material and certificate ---------------------------------------------------------------

def _new_key(tenant: "Tenant", connection: dict, algorithm: str) -> dict:
    from .keys import pkcs7_der  # loads cryptography: on first use, not at start-up

    number = tenant.directory.take_number(MADE)
    kind = KEY_KINDS.get(algorithm, "RSA-2048")
    private_key = tenant.keys.other_key(f"connection-key-{number}.{kind}.pem", kind)
    now = tenant.clock.now()
    serial = 1 + int.from_bytes(tenant.rng.randbytes(8), "big")
    der = _certificate_der(private_key, connection["name"], now, serial)
    thumbprint = hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - what Auth0 shows
    return {"kid": _jwk_thumbprint(private_key.public_key()), "algorithm": algorithm, "key_use": "signing",
            "subject_dn": f"/CN={connection['name']}", "cert": _pem("CERTIFICATE", der),
            "fingerprint": ":".join(thumbprint[i:i + 2] for i in range(0, len(thumbprint), 2)),
            "thumbprint": thumbprint, "pkcs": _pem("PKCS7", pkcs7_der(der)), "created_at": iso(now)}


def _certificate_der(private_key, common_name: str, now: datetime.datetime, serial: int) -> bytes:
    """Self-signed, a year long, with the extensions Auth0's have (recorded): a CA, for digital
    signatures and certificate signing, with a subject key identifier."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = now.replace(microsecond=0)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                          crl_sign=False, encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(private_key.public_key()).serial_number(serial)
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
               .add_extension(usage, critical=True))
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        digest = hashes.SHA384() if private_key.curve.name == "secp384r1" else hashes.SHA256()
        certificate = builder.sign(private_key, digest, ecdsa_deterministic=True)  # same requests, same bytes
    else:
        certificate = builder.sign(private_key, hashes.SHA256())  # PKCS#1 v1.5: deterministic
    return certificate.public_bytes(serialization.Encoding.DER)


def _pem(label: str, der: bytes) -> str:
    """PEM with CRLF line ends and a final CRLF, as Auth0 shows a connection's keys (recorded)."""
    from .keys import pem_text  # loads cryptography: on first use, not at start-up

    return pem_text(label, base64.b64encode(der).decode("ascii")) + "\r\n"


def _jwk_thumbprint(public_key) -> str:
    """RFC 7638: the SHA-256 of the key's required JWK members, base64url (Auth0's kid, recorded)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from .keys import b64url, int_bytes

    numbers = public_key.public_numbers()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        size = (public_key.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384"}[public_key.curve.name]
        members = {"crv": crv, "kty": "EC", "x": b64url(numbers.x.to_bytes(size, "big")),
                   "y": b64url(numbers.y.to_bytes(size, "big"))}
    else:
        members = {"e": b64url(int_bytes(numbers.e)), "kty": "RSA", "n": b64url(int_bytes(numbers.n))}
    return b64url(hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).digest())
