"""mockidp's local CA and server certificate, exercised the way users meet them: real HTTPS
connections from requests and the stdlib ssl module."""
from __future__ import annotations

import http.client
import ipaddress
import os
import shutil
import ssl
import stat
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import certifi
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mockidp import tls
from mockidp.core.tenant.clock import wall_clock_now
from mockidp.tls import TlsFiles, ca_bundle_path, default_cert_dir, ensure_certificates


class _OkHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def cert_dir(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "certs"  # ensure_certificates must create parents


@pytest.fixture
def tls_files(cert_dir: Path) -> TlsFiles:
    return ensure_certificates(cert_dir)


@pytest.fixture
def https_port(tls_files: TlsFiles):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OkHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    # A short poll interval keeps shutdown() from waiting the default half second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def san_of(path: Path) -> x509.SubjectAlternativeName:
    return load_cert(path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value


def https_get_with_stdlib(host: str, port: int, cafile: Path) -> bytes:
    context = ssl.create_default_context(cafile=str(cafile))
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=10)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read()
    finally:
        connection.close()


# --- trust from real clients --------------------------------------------------------------


def test_requests_trusts_server_via_ca_cert(tls_files: TlsFiles, https_port: int):
    response = requests.get(f"https://localhost:{https_port}/", verify=str(tls_files.ca_cert),
                            timeout=10)
    assert response.text == "ok"


def test_requests_trusts_server_via_bundle(cert_dir: Path, https_port: int):
    bundle = ca_bundle_path(cert_dir)
    response = requests.get(f"https://127.0.0.1:{https_port}/", verify=str(bundle), timeout=10)
    assert response.text == "ok"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_stdlib_ssl_verifies_hostname_and_chain(host: str, tls_files: TlsFiles, https_port: int):
    assert https_get_with_stdlib(host, https_port, tls_files.ca_cert) == b"ok"


def test_server_is_not_trusted_by_public_roots(https_port: int):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://localhost:{https_port}/", verify=certifi.where(), timeout=10)


def test_stdlib_rejects_server_without_the_ca(https_port: int):
    with pytest.raises(ssl.SSLCertVerificationError):
        https_get_with_stdlib("localhost", https_port, Path(certifi.where()))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")
def test_openssl_verifies_leaf_against_ca(tls_files: TlsFiles):
    result = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tls_files.ca_cert), str(tls_files.cert)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- certificate contents -----------------------------------------------------------------


def test_ca_is_a_constrained_self_signed_authority(tls_files: TlsFiles):
    ca = load_cert(tls_files.ca_cert)
    assert ca.subject == ca.issuer
    assert "NOT FOR PRODUCTION" in ca.subject.rfc4514_string()
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert ca.not_valid_after_utc - wall_clock_now() > timedelta(days=3600)


def test_leaf_is_a_short_lived_server_certificate(tls_files: TlsFiles):
    leaf = load_cert(tls_files.cert)
    now = wall_clock_now()
    assert leaf.not_valid_before_utc < now - timedelta(minutes=59)
    assert leaf.not_valid_after_utc - now <= timedelta(days=397)
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    san = san_of(tls_files.cert)
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}


def test_leaf_file_holds_only_the_leaf_and_key_matches(tls_files: TlsFiles):
    assert tls_files.cert.read_text().count("BEGIN CERTIFICATE") == 1
    key = serialization.load_pem_private_key(tls_files.key.read_bytes(), password=None)
    assert key.public_key() == load_cert(tls_files.cert).public_key()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_private_keys_are_readable_only_by_owner(tls_files: TlsFiles):
    for key_path in (tls_files.key, tls_files.ca_cert.with_name("ca-key.pem")):
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


# --- reuse and re-issue -------------------------------------------------------------------


def test_second_call_reuses_ca_and_leaf(cert_dir: Path, tls_files: TlsFiles):
    before = [p.read_bytes() for p in (tls_files.ca_cert, tls_files.cert, tls_files.key)]
    assert ensure_certificates(cert_dir) == tls_files
    assert [p.read_bytes() for p in (tls_files.ca_cert, tls_files.cert, tls_files.key)] == before


def test_reuse_generates_no_keys(cert_dir: Path, tls_files: TlsFiles, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("key generation on the reuse path")
    monkeypatch.setattr(tls.ec, "generate_private_key", fail)
    ensure_certificates(cert_dir)
    ca_bundle_path(cert_dir)


def test_extra_host_reissues_leaf_but_keeps_ca(cert_dir: Path, tls_files: TlsFiles):
    ca_before, leaf_before = tls_files.ca_cert.read_bytes(), tls_files.cert.read_bytes()
    ensure_certificates(cert_dir, ["host.docker.internal", "10.1.2.3", "[fd00::7]"])
    assert tls_files.ca_cert.read_bytes() == ca_before
    assert tls_files.cert.read_bytes() != leaf_before
    san = san_of(tls_files.cert)
    assert "host.docker.internal" in san.get_values_for_type(x509.DNSName)
    assert {ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("fd00::7")} <= set(
        san.get_values_for_type(x509.IPAddress))


def test_previously_covered_hosts_do_not_reissue(cert_dir: Path, tls_files: TlsFiles):
    ensure_certificates(cert_dir, ["a.example"])
    ensure_certificates(cert_dir, ["b.example"])
    leaf = tls_files.cert.read_bytes()
    ensure_certificates(cert_dir, ["A.example"])
    ensure_certificates(cert_dir)
    assert tls_files.cert.read_bytes() == leaf


def test_leaf_from_another_ca_is_reissued(cert_dir: Path, tls_files: TlsFiles):
    old_ca, old_leaf = tls_files.ca_cert.read_bytes(), tls_files.cert.read_bytes()
    tls_files.ca_cert.unlink()
    ensure_certificates(cert_dir)
    assert tls_files.ca_cert.read_bytes() != old_ca
    assert tls_files.cert.read_bytes() != old_leaf
    load_cert(tls_files.cert).verify_directly_issued_by(load_cert(tls_files.ca_cert))


def test_leaf_expiring_within_30_days_is_reissued(cert_dir: Path, tls_files: TlsFiles,
                                                  monkeypatch):
    ca_before, leaf_before = tls_files.ca_cert.read_bytes(), tls_files.cert.read_bytes()
    expiry = load_cert(tls_files.cert).not_valid_after_utc
    monkeypatch.setattr(tls, "wall_clock_now", lambda: expiry - timedelta(days=29))
    ensure_certificates(cert_dir)
    assert tls_files.ca_cert.read_bytes() == ca_before
    assert tls_files.cert.read_bytes() != leaf_before
    assert load_cert(tls_files.cert).not_valid_after_utc > expiry


def test_corrupt_leaf_is_reissued(cert_dir: Path, tls_files: TlsFiles):
    tls_files.cert.write_text("not a certificate")
    ensure_certificates(cert_dir)
    load_cert(tls_files.cert).verify_directly_issued_by(load_cert(tls_files.ca_cert))


def test_concurrent_first_start_yields_one_consistent_pair(cert_dir: Path):
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def start_server() -> None:
        try:
            start.wait(timeout=10)
            ensure_certificates(cert_dir)
        except BaseException as error:  # surfaced below; threads cannot fail the test
            errors.append(error)

    threads = [threading.Thread(target=start_server) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    files = ensure_certificates(cert_dir)
    ca, leaf = load_cert(files.ca_cert), load_cert(files.cert)
    leaf.verify_directly_issued_by(ca)
    ca_key = serialization.load_pem_private_key((cert_dir / "ca-key.pem").read_bytes(), None)
    assert ca_key.public_key() == ca.public_key()
    assert not [p for p in cert_dir.iterdir() if p.name.endswith(".tmp")]


# --- CA bundle ----------------------------------------------------------------------------


def test_bundle_holds_public_roots_and_mockidp_ca(cert_dir: Path):
    bundle = ca_bundle_path(cert_dir)
    assert bundle == cert_dir / "bundle.pem"
    content = bundle.read_bytes()
    assert content.startswith(Path(certifi.where()).read_bytes())
    assert (cert_dir / "ca.pem").read_bytes() in content
    assert ssl.create_default_context(cafile=str(bundle)).cert_store_stats()["x509_ca"] > 100


def test_bundle_is_not_rewritten_when_unchanged(cert_dir: Path):
    bundle = ca_bundle_path(cert_dir)
    long_ago = 1_000_000_000_000_000_000  # 2001, in ns: any rewrite would move it
    os.utime(bundle, ns=(long_ago, long_ago))
    content = bundle.read_bytes()
    ca_bundle_path(cert_dir)
    assert bundle.stat().st_mtime_ns == long_ago
    assert bundle.read_bytes() == content


def test_bundle_follows_a_new_ca(cert_dir: Path):
    bundle = ca_bundle_path(cert_dir)
    (cert_dir / "ca.pem").unlink()
    ca_bundle_path(cert_dir)
    assert (cert_dir / "ca.pem").read_bytes() in bundle.read_bytes()


# --- default location ---------------------------------------------------------------------


def test_default_cert_dir_honours_xdg_cache_home(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cert_dir() == tmp_path / "mockidp" / "certs"


def test_default_cert_dir_falls_back_to_home_cache(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert default_cert_dir() == tmp_path / ".cache" / "mockidp" / "certs"
