"""How the server writes an answer: the status line, headers and first body piece leave in one
write (wire.OneSendGateway), on a plain socket with one write(2) when the socket takes it all.
What must hold whatever the socket takes: an answer far larger than any send buffer arrives
whole and in order, over HTTP and HTTPS, and a streamed answer's pieces arrive in order."""
from __future__ import annotations

import hashlib
import http.client
from urllib.parse import urlsplit

import pytest
import requests

from mockidp.server import ServerThread, TlsConfig
from mockidp.tls import ensure_certificates

LARGE = bytes(range(256)) * (24 * 1024 * 1024 // 256)  # 24 MiB: several times any socket buffer
PIECES = [b"first;", b"x" * 300_000, b";last"]


def app(environ, start_response):
    if environ["PATH_INFO"] == "/large":
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(LARGE)))])
        return [LARGE]
    start_response("200 OK", [("Content-Type", "text/plain")])  # no length: chunked, piece by piece
    return iter(PIECES)


@pytest.fixture(scope="module", params=["http", "https"])
def server(request, tmp_path_factory):
    tls = None
    if request.param == "https":
        files = ensure_certificates(tmp_path_factory.mktemp("certs"))
        tls = TlsConfig(files.cert, files.key)
        verify = str(files.ca_cert)
    else:
        verify = True
    listener = ServerThread(app, tls=tls).start()
    yield listener, verify
    listener.stop()


def test_an_answer_larger_than_the_send_buffer_arrives_whole(server):
    listener, verify = server
    with requests.Session() as session:  # twice on one keep-alive connection
        for _ in range(2):
            answer = session.get(f"{listener.url}/large", verify=verify, timeout=60)
            assert answer.status_code == 200
            assert int(answer.headers["Content-Length"]) == len(LARGE)
            assert hashlib.sha256(answer.content).digest() == hashlib.sha256(LARGE).digest()


def test_a_streamed_answer_keeps_its_pieces_in_order(server):
    listener, verify = server
    answer = requests.get(f"{listener.url}/stream", verify=verify, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Transfer-Encoding"] == "chunked"
    assert answer.content == b"".join(PIECES)


def test_the_head_of_an_answer_and_its_body_share_one_segment_on_loopback(server):
    """Not a promise TCP makes, but on loopback one write(2) is one read for the client: the
    status line, the headers and a small body come back from a single recv."""
    listener, verify = server
    if verify is not True:
        pytest.skip("over TLS the records decide what one read returns")
    parts = urlsplit(listener.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", "/stream")
    first = connection.sock.recv(1 << 20)
    connection.close()
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\n\r\n6\r\nfirst;\r\n" in first
