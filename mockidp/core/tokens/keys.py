"""The tenant's RS256 signing keys: their material, JWKS entry and certificate; and the one
loader of cached key material (`load_or_create_private_key`), which other keys use too.

Generating an RSA key costs tens of milliseconds and parsing a PEM per signature costs far more,
so a key is loaded once per keyring and kept as a `cryptography` object. Keys are numbered (0 is
the first key a tenant signs with, 1 the next key, each rotation one more) and cached on disk
under their number (mockidp's state directory), so restarts keep the same keys and tokens stay
byte-identical across runs with the same seed, clock and requests.
"""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..tenant.clock import wall_clock_now
from ..tenant.state import default_state_dir, write_atomically, write_once

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


class SigningKey(NamedTuple):
    private_key: rsa.RSAPrivateKey
    kid: str
    jwk: dict

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def certificate_pem(self) -> str:
        """The JWKS's x5c certificate in PEM with CRLF line ends, as Auth0 lists it."""
        return pem_text("CERTIFICATE", self.jwk["x5c"][0])

    def pkcs7_pem(self) -> str:
        der = pkcs7_der(base64.b64decode(self.jwk["x5c"][0]))
        return pem_text("PKCS7", base64.b64encode(der).decode("ascii"))

    def sha1_fingerprint(self) -> str:
        """The certificate's SHA-1 in upper-case hex (Auth0's `thumbprint`)."""
        der = base64.b64decode(self.jwk["x5c"][0])
        return hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - what Auth0 shows


def pkcs7_der(certificate_der: bytes) -> bytes:
    """A certificate (DER) as a PKCS#7 bundle of one (DER): Auth0's `pkcs7` of a key."""
    from cryptography.hazmat.primitives.serialization import pkcs7

    certificate = x509.load_der_x509_certificate(certificate_der)
    return pkcs7.serialize_certificates([certificate], serialization.Encoding.DER)


def pem_text(label: str, b64: str) -> str:
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "\r\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def _public_jwk(private_key: rsa.RSAPrivateKey) -> tuple[str, dict]:
    numbers = private_key.public_key().public_numbers()
    n, e = b64url(int_bytes(numbers.n)), b64url(int_bytes(numbers.e))
    # RFC 7638 thumbprint, shortened to the length of Auth0's kids.
    thumbprint = hashlib.sha256(f'{{"e":"{e}","kty":"RSA","n":"{n}"}}'.encode()).digest()
    kid = b64url(thumbprint)[:21]
    cert = _self_signed_cert(private_key)
    der = cert.public_bytes(serialization.Encoding.DER)
    jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "n": n, "e": e, "kid": kid,
           "x5t": b64url(hashlib.sha1(der).digest()),  # noqa: S324 - x5t is SHA-1 by definition
           "x5c": [base64.b64encode(der).decode("ascii")]}
    return kid, jwk


def _self_signed_cert(private_key: rsa.RSAPrivateKey) -> x509.Certificate:
    """Auth0's JWKS carries an x5c certificate; some verifiers read the key from it."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mockidp signing key")])
    # Fixed validity derived from nothing random, so the JWKS bytes are stable for a given key.
    not_before = wall_clock_now().replace(year=2020, month=1, day=1, hour=0, minute=0, second=0,
                                          microsecond=0)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private_key.public_key()).serial_number(1)
            .not_valid_before(not_before).not_valid_after(not_before.replace(year=2100))
            .sign(private_key, hashes.SHA256()))


def key_file_name(number: int) -> str:
    """Key 0 keeps the name the single key of earlier versions had, so upgrading keeps it."""
    return "signing-key.pem" if number == 0 else f"signing-key-{number}.pem"


def load_or_create_signing_key(state_dir: Path | None = None, keep: bool = True,
                               number: int = 0) -> SigningKey:
    """Key `number`, cached in the state directory (made and kept on first use); with keep=False
    a new key that lives in memory only (a tenant created at run time: nothing left on disk)."""
    private_key = load_or_create_private_key(key_file_name(number), state_dir, keep)
    if not isinstance(private_key, rsa.RSAPrivateKey):  # cannot be: an RSA key is asked for
        raise ValueError("the signing key must be an RSA private key")
    return SigningKey(private_key, *_public_jwk(private_key))


def load_or_create_private_key(file_name: str, state_dir: Path | None = None, keep: bool = True,
                               kind: str = "RSA-2048") -> PrivateKey:
    """A private key of `kind` (RSA-<bits> or EC-<curve name>) cached under `file_name` in the
    state directory: the signing keys, a connection's keys, an encryption key's wrapping key.
    Generating costs up to a second (RSA-3072), so each is made once per machine; the key's
    role (which key is current, which connection holds it) is tenant state, kept elsewhere."""
    if not keep:
        return _generate(kind)
    path = (state_dir or default_state_dir()) / file_name
    try:
        return _from_pem(path.read_bytes(), kind)  # we wrote it (below)
    except OSError:
        unreadable = False
    except ValueError:
        unreadable = True
    key = _generate(kind)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if unreadable:
        write_atomically(path, pem)  # replace what is not a key of this kind
        return key
    kept = write_once(path, pem)  # if it cannot be kept, the next start makes a new key
    return key if kept == pem else _from_pem(kept, kind)  # another process made it first


def _from_pem(pem: bytes, kind: str) -> PrivateKey:
    # cryptography's RSA consistency checks (~35 ms, a tenth of start-up) are skipped: only
    # keys this module generated and cached itself are read here.
    key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    if _kind_of(key) != kind:
        raise ValueError(f"the cached key is not {kind}")
    return key  # type: ignore[return-value]


def _kind_of(key: object) -> str | None:
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC-{key.curve.name}"
    return None


def _generate(kind: str) -> PrivateKey:
    family, size = kind.split("-", 1)
    if family == "EC":
        return ec.generate_private_key({"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1()}[size])
    return rsa.generate_private_key(public_exponent=65537, key_size=int(size))
