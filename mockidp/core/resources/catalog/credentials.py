"""A client's credentials (the public keys and certificates it authenticates with under
private_key_jwt or mTLS). Stored under the client, with what Auth0 derives from the PEM: a
public key's kid (its RFC 7638 thumbprint) and alg, a certificate's SHA-256 thumbprint, expiry
and subject DN. `cryptography` loads on the first credential only."""
from __future__ import annotations

import base64
import hashlib
import json

from ...applications.clients import find_client
from ...tenant.clock import iso
from ...tenant.errors import bad_request
from .. import store
from ..model import Resource

_SUBJECT_ORDER = ("C", "ST", "L", "O", "OU", "CN")


def _client_exists(tenant, client_id: str) -> None:
    find_client(tenant, client_id)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _derived(tenant, record: dict) -> dict:
    """What Auth0 reads from the PEM; a PEM it cannot read is refused (nothing stored)."""
    pem = record.pop("pem", None)
    record.pop("parse_expiry_from_cert", None)
    if pem is None:
        if record["credential_type"] != "cert_subject_dn" or not record.get("subject_dn"):
            raise bad_request("Payload validation error: 'Missing required property: pem'.")
        return record
    try:
        return {**record, **_read_pem(record["credential_type"], pem.encode(), record)}
    except ValueError:
        raise bad_request("The PEM could not be parsed.") from None


def _read_pem(kind: str, pem: bytes, record: dict) -> dict:
    from cryptography import x509  # ~40 ms: the first credential only
    from cryptography.hazmat.primitives import serialization
    if kind == "public_key":
        key = (x509.load_pem_x509_certificate(pem).public_key() if b"CERTIFICATE" in pem
               else serialization.load_pem_public_key(pem))
        return {"kid": record.get("kid") or _thumbprint(key), "alg": record.get("alg") or "RS256"}
    certificate = x509.load_pem_x509_certificate(pem)
    if kind == "x509_cert":
        der = certificate.public_bytes(serialization.Encoding.DER)
        return {"thumbprint_sha256": _b64url(hashlib.sha256(der).digest()),
                "expires_at": iso(certificate.not_valid_after_utc)}
    names = {attribute.oid._name: attribute.value for attribute in certificate.subject}  # noqa: SLF001
    short = {"countryName": "C", "stateOrProvinceName": "ST", "localityName": "L",
             "organizationName": "O", "organizationalUnitName": "OU", "commonName": "CN"}
    parts = {short[name]: value for name, value in names.items() if name in short}
    return {"subject_dn": "\n".join(f"{key}={parts[key]}" for key in _SUBJECT_ORDER if key in parts)}


def _thumbprint(key) -> str:
    """RFC 7638: the SHA-256 of the JWK's required members, in lexical order."""
    numbers = key.public_numbers()
    def encode(value: int) -> str:
        return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))
    members = {"e": encode(numbers.e), "kty": "RSA", "n": encode(numbers.n)}
    return _b64url(hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).digest())


CREDENTIALS = Resource(
    "/clients/{client_id}/credentials", "credential", id_prefix="cred", id_length=22, owner="client_id",
    hidden=("client_id",), parent=_client_exists, on_create=_derived, created_at="created_at",
    updated_at="updated_at", not_found="Credential not found", not_found_code="inexistent_credential",
    delete_missing_ok=True)

RESOURCES = [CREDENTIALS]


# --- credentials written inline in a client's authentication methods ---------------------------

def check_inline(methods: dict | None) -> None:
    """Refuse (400) a new credential in `client_authentication_methods` whose PEM cannot be read,
    before anything is stored."""
    for credential in _new_inline(methods):
        _derived(None, dict(credential))


def store_inline(tenant, client_id: str, methods: dict | None) -> tuple[dict, dict] | None:
    """Each new credential of the methods (one without an id) becomes a credential of the
    client. Returns the methods as stored (credentials named by id, as GET shows them) and as
    the write answers them (a new credential in full, as recorded); None when there is none."""
    if not any(True for _ in _new_inline(methods)):
        return None
    stored, shown = {}, {}
    for method, settings in methods.items():
        created = [credential if "id" in credential else
                   store.view(tenant, CREDENTIALS, store.create(tenant, CREDENTIALS, credential, owner_id=client_id))
                   for credential in settings.get("credentials") or []]
        stored[method] = {**settings, "credentials": [{"id": credential["id"]} for credential in created]}
        shown[method] = {**settings, "credentials": created}
    return stored, shown


def _new_inline(methods: dict | None):
    for settings in (methods or {}).values():
        for credential in (settings or {}).get("credentials") or []:
            if "id" not in credential:
                yield credential

