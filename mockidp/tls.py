"""mockidp's own certificate authority, so clients that insist on https can trust the mock.

On first use mockidp creates a local CA and a server (leaf) certificate in a cert directory and
reuses them on later runs; users trust the CA once (or point SSL_CERT_FILE, REQUESTS_CA_BUNDLE or
NODE_EXTRA_CA_CERTS at `ca_bundle_path()`). Validity follows real time, never the mock clock,
because TLS clients check certificates against their own clock.
"""
from __future__ import annotations

import contextlib
import ipaddress
import os
import selectors
import ssl
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

import certifi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mockidp.core.tenant.clock import wall_clock_now

CA_COMMON_NAME = "mockidp local CA (NOT FOR PRODUCTION)"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")

CA_LIFETIME = timedelta(days=3650)
# Chromium and Apple reject server certificates valid for more than 398 days.
LEAF_LIFETIME = timedelta(days=397)
# Backdate so a client whose clock lags slightly behind still accepts a fresh certificate.
BACKDATE = timedelta(hours=1)
RENEW_BEFORE_EXPIRY = timedelta(days=30)

CA_CERT_NAME = "ca.pem"
CA_KEY_NAME = "ca-key.pem"
LEAF_CERT_NAME = "server.pem"
LEAF_KEY_NAME = "server-key.pem"
BUNDLE_NAME = "bundle.pem"
LOCK_NAME = ".lock"
PLAIN_HTTP_MESSAGE = b"The client sent a plain HTTP request, but this server only speaks HTTPS."
PLAIN_HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(PLAIN_HTTP_MESSAGE), PLAIN_HTTP_MESSAGE))

class TlsFiles(NamedTuple):
    ca_cert: Path     # PEM of mockidp's CA certificate (what users trust)
    cert: Path        # PEM of the server certificate (leaf), followed by nothing else
    key: Path         # PEM of the server's private key (unencrypted)


def default_cert_dir() -> Path:
    """$XDG_CACHE_HOME/mockidp/certs, else ~/.cache/mockidp/certs."""
    cache_home = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache_home) if cache_home else Path.home() / ".cache"
    return base / "mockidp" / "certs"


def ensure_certificates(cert_dir: Path, extra_hosts: Iterable[str] = ()) -> TlsFiles:
    """Create (or reuse) the CA and a leaf certificate in cert_dir.
    The leaf covers localhost, 127.0.0.1 and ::1 plus extra_hosts (DNS names or IP literals,
    e.g. the host of a --public-url, or 'host.docker.internal'). Reuse the existing CA whenever it
    is present and valid; re-issue the leaf only if it is missing, expires within 30 days, does not
    cover the requested hosts, or was not signed by the current CA."""
    cert_dir = Path(cert_dir)
    hosts = _normalize_hosts([*DEFAULT_HOSTS, *extra_hosts])
    files = _tls_files(cert_dir)
    # Fast path (every start-up after the first): only read and parse the two certificates.
    ca = _usable_ca_cert(cert_dir)
    if ca is not None and _leaf_is_usable(cert_dir, ca, hosts):
        return files
    with _directory_lock(cert_dir):
        # Another process may have done the work while we waited for the lock.
        ca, ca_key = _ensure_ca(cert_dir)
        if not _leaf_is_usable(cert_dir, ca, hosts):
            # Keep hosts the previous leaf covered, so alternating configurations do not
            # re-issue the leaf on every start.
            _issue_leaf(cert_dir, ca, ca_key, hosts | _reusable_leaf_hosts(cert_dir, ca))
    return files


def ca_bundle_path(cert_dir: Path) -> Path:
    """Ensure the CA exists, then write cert_dir/'bundle.pem' = certifi's public roots + mockidp's
    CA (suitable for SSL_CERT_FILE, REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS); rewrite it only
    when its content would change; return its path."""
    cert_dir = Path(cert_dir)
    if _usable_ca_cert(cert_dir) is None:
        with _directory_lock(cert_dir):
            _ensure_ca(cert_dir)
    bundle_path = cert_dir / BUNDLE_NAME
    bundle = _bundle_content(cert_dir)
    if _read_bytes_or_none(bundle_path) != bundle:
        _write_atomically(bundle_path, bundle, mode=0o644)
    return bundle_path


# --- CA -----------------------------------------------------------------------------------


def _ensure_ca(cert_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The current CA and its key, creating a new CA if the stored one is unusable.
    Call with the directory lock held."""
    ca = _usable_ca_cert(cert_dir)
    if ca is not None:
        ca_key = _load_private_key(cert_dir / CA_KEY_NAME)
        if ca_key is not None and _public_keys_match(ca_key, ca):
            return ca, ca_key
    return _create_ca(cert_dir)


def _usable_ca_cert(cert_dir: Path) -> x509.Certificate | None:
    """The stored CA certificate if it can still issue leaves (key present, not near expiry)."""
    ca = _load_cert(cert_dir / CA_CERT_NAME)
    if ca is None or not (cert_dir / CA_KEY_NAME).is_file():
        return None
    if not _valid_for_a_while(ca, wall_clock_now()):
        return None
    return ca


def _create_ca(cert_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = wall_clock_now()
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockidp"),
    ])
    ca = (
        _certificate_builder(name, name, key.public_key(), now, now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(digital_signature=False, key_cert_sign=True, crl_sign=True),
                       critical=True)
        .sign(key, hashes.SHA256())
    )
    # Key before certificate: a reader that sees the new certificate also finds its key.
    _write_atomically(cert_dir / CA_KEY_NAME, _private_key_pem(key), mode=0o600)
    _write_atomically(cert_dir / CA_CERT_NAME, ca.public_bytes(serialization.Encoding.PEM),
                      mode=0o644)
    return ca, key


# --- leaf ---------------------------------------------------------------------------------


def _leaf_is_usable(cert_dir: Path, ca: x509.Certificate, hosts: set) -> bool:
    leaf = _load_cert(cert_dir / LEAF_CERT_NAME)
    if leaf is None or not (cert_dir / LEAF_KEY_NAME).is_file():
        return False
    return (_valid_for_a_while(leaf, wall_clock_now())
            and _issued_by(leaf, ca)
            and hosts <= _san_hosts(leaf))


def _reusable_leaf_hosts(cert_dir: Path, ca: x509.Certificate) -> set:
    leaf = _load_cert(cert_dir / LEAF_CERT_NAME)
    if leaf is None or not _issued_by(leaf, ca):
        return set()
    return _san_hosts(leaf)


def _issue_leaf(cert_dir: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
                hosts: set) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = wall_clock_now()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    not_after = min(now + LEAF_LIFETIME, ca.not_valid_after_utc)
    leaf = (
        _certificate_builder(subject, ca.subject, key.public_key(), now, not_after)
        .add_extension(x509.SubjectAlternativeName(_san_entries(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # EC keys sign the handshake; they never encipher keys, so no key_encipherment.
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_atomically(cert_dir / LEAF_KEY_NAME, _private_key_pem(key), mode=0o600)
    _write_atomically(cert_dir / LEAF_CERT_NAME, leaf.public_bytes(serialization.Encoding.PEM),
                      mode=0o644)


def _san_entries(hosts: set) -> list[x509.GeneralName]:
    ips = sorted((h for h in hosts if not isinstance(h, str)), key=lambda ip: (ip.version, ip))
    names = sorted(h for h in hosts if isinstance(h, str))
    return [*map(x509.DNSName, names), *map(x509.IPAddress, ips)]


def _san_hosts(cert: x509.Certificate) -> set:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {name.lower() for name in san.get_values_for_type(x509.DNSName)} | set(
        san.get_values_for_type(x509.IPAddress))


def _normalize_hosts(hosts: Iterable[str]) -> set:
    """DNS names lower-cased, IP literals (bracketed or not) as ipaddress objects."""
    normalized: set = set()
    for host in hosts:
        host = host.strip().strip("[]").rstrip(".")
        if not host:
            continue
        try:
            normalized.add(ipaddress.ip_address(host))
        except ValueError:
            normalized.add(host.lower())
    return normalized


# --- shared helpers -----------------------------------------------------------------------


def _certificate_builder(subject: x509.Name, issuer: x509.Name, public_key, now: datetime,
                         not_after: datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        # Real randomness on purpose: serials are security material, not reproducible tenant state,
        # and browsers reject a re-issued certificate that repeats an earlier serial.
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, digital_signature: bool, key_cert_sign: bool = False,
               crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign,
        crl_sign=crl_sign, encipher_only=False, decipher_only=False)


def _valid_for_a_while(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now and now + RENEW_BEFORE_EXPIRY < cert.not_valid_after_utc


def _issued_by(leaf: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _public_keys_match(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> bool:
    return key.public_key() == cert.public_key()


def _load_cert(path: Path) -> x509.Certificate | None:
    data = _read_bytes_or_none(path)
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        return None


def _load_private_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    data = _read_bytes_or_none(path)
    if data is None:
        return None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _bundle_content(cert_dir: Path) -> bytes:
    roots = Path(certifi.where()).read_bytes()
    if not roots.endswith(b"\n"):
        roots += b"\n"
    ca_pem = (cert_dir / CA_CERT_NAME).read_bytes()
    return roots + b"\n# " + CA_COMMON_NAME.encode() + b"\n" + ca_pem


def _tls_files(cert_dir: Path) -> TlsFiles:
    return TlsFiles(ca_cert=cert_dir / CA_CERT_NAME, cert=cert_dir / LEAF_CERT_NAME,
                    key=cert_dir / LEAF_KEY_NAME)


def _read_bytes_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Readers see either the old file or the new one, never half of one."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            os.chmod(tmp_name, mode)  # mkstemp creates 0o600; certificates should be readable.
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def _directory_lock(cert_dir: Path) -> Iterator[None]:
    """Serialize certificate creation across processes and threads: without it two servers
    starting at once could each write a CA and leave one's key beside the other's certificate.
    Each call opens its own file, so flock also excludes other threads of this process."""
    cert_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(cert_dir / LOCK_NAME, "a+b") as lock_file:
        _lock_file(lock_file)
        yield  # closing the file releases the lock


def _lock_file(lock_file) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt
        lock_file.seek(0)
        msvcrt.locking(lock_file.fileno(), msvcrt.LK_LOCK, 1)
    else:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)


class HandshakeFailed(Exception):
    """The peer left mid-handshake, or did not speak TLS at all."""


class DeferredHandshakeAdapter(BuiltinSSLAdapter):
    """cheroot's TLS adapter, minus the handshake at accept time.

    cheroot's own adapter shakes hands on its one accept thread, in blocking mode: a peer that
    connects and stays silent, or sends its ClientHello a byte at a time, stops every other HTTPS
    connection from being accepted for up to the socket timeout (10 s). Here accepting only wraps
    the socket; the server's selector loop then advances the handshake whenever the socket is
    ready (`advance_handshake`), so a silent peer costs a socket and nothing else.
    """

    WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)

    def wrap(self, sock):
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, {}  # the WSGI TLS variables are known once the handshake is done

    def advance_handshake(self, sock: ssl.SSLSocket) -> int | None:
        """One non-blocking step: the selector event to wait for, or None once it is done."""
        sock.setblocking(False)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            return selectors.EVENT_READ
        except ssl.SSLWantWriteError:
            return selectors.EVENT_WRITE
        except ssl.SSLError as error:
            if "http request" in str(error).lower():
                _answer_plain_http(sock)
            raise HandshakeFailed(str(error)) from error
        except OSError as error:
            raise HandshakeFailed(str(error)) from error
        return None


def _answer_plain_http(sock: ssl.SSLSocket) -> None:
    """Tell a plain-HTTP client it reached the HTTPS port, as cheroot's adapter does."""
    with contextlib.suppress(OSError):
        socket_send = super(ssl.SSLSocket, sock).send  # the TCP socket under the TLS layer
        socket_send(PLAIN_HTTP_ANSWER)
