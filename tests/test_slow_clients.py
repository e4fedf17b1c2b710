"""Idle and slow clients cost a socket, never a worker: with more idle sockets and slowloris
connections (headers sent a few bytes at a time) than there are worker threads, other requests
are still answered. Before, each such socket held one of the 16 workers for 30 s. Over HTTPS the
same holds for silent and slow TLS handshakes, which once blocked cheroot's accept thread for up to
10 s each; and every such socket is closed at the header deadline."""
from __future__ import annotations

import http.client
import socket
import ssl
from contextlib import ExitStack
from urllib.parse import urlsplit

import requests

from mockidp.server import DEFAULT_THREADS, ServerThread, TlsConfig
from mockidp.tls import ensure_certificates

CLIENTS = 4 * DEFAULT_THREADS  # 64 idle and 64 slow sockets: four times the workers each


def connect(stack: ExitStack, url: str) -> socket.socket:
    parts = urlsplit(url)
    return stack.enter_context(socket.create_connection((parts.hostname, parts.port), timeout=10))


def test_idle_and_slowloris_connections_leave_workers_free(mockidp):
    with ExitStack() as stack:
        idle = [connect(stack, mockidp.url) for _ in range(CLIENTS)]
        slow = [connect(stack, mockidp.url) for _ in range(CLIENTS)]
        for sock in slow:
            sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        # Bounded waits well under the old 30 s hold: a starved server fails these.
        for _ in range(3):
            response = requests.get(f"{mockidp.url}/_mock/health", timeout=5)
            assert response.status_code == 200
        for sock in slow:  # the slow requests complete and are answered normally
            sock.sendall(b"1\r\n\r\n")
        for sock in slow[:4]:
            assert sock.recv(64).startswith(b"HTTP/1.1 200")
        assert all(sock.fileno() != -1 for sock in idle)


def test_a_request_in_one_piece_and_a_pipelined_body_still_work(mockidp):
    with ExitStack() as stack:
        sock = connect(stack, mockidp.url)
        body = b'{"frozen": true}'
        sock.sendall(b"PUT /_mock/clock HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and b'"frozen":true' in answer


def test_many_keep_alive_clients_keep_their_connections(mockidp):
    """32 clients, each idle on its keep-alive connection while the others are answered: none is
    told `Connection: close` (cheroot's default closes answers once 10 connections sit idle, and
    every client then paid a new connection)."""
    parts = urlsplit(mockidp.url)
    connections = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=10) for _ in range(32)]
    try:
        for _ in range(2):
            for connection in connections:
                connection.request("GET", "/_mock/health")
                response = connection.getresponse()
                response.read()
                assert (response.status, response.getheader("Connection")) == (200, None)
    finally:
        for connection in connections:
            connection.close()


def client_hello(hostname: str) -> bytes:
    """The first flight of a TLS client (its ClientHello), made without a network."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname=hostname)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass  # it waits for the server's answer, as expected
    return outgoing.read()


def health_answers_promptly(url: str, verify) -> None:
    # Before, the accept thread spent up to 10 s on each silent TLS peer's handshake: every
    # probe here waited behind them. The limit is generous for a loaded machine, far under 10 s.
    for _ in range(3):
        response = requests.get(f"{url}/_mock/health", timeout=3, verify=verify)
        assert response.status_code == 200


def test_idle_and_slow_tls_clients_hold_neither_the_accept_thread_nor_a_worker(mockidp):
    hello = client_hello("localhost")
    with ExitStack() as stack:
        idle = [connect(stack, mockidp.https_url) for _ in range(CLIENTS)]
        slow = [connect(stack, mockidp.https_url) for _ in range(CLIENTS)]
        for sock in slow:
            sock.sendall(hello[:5])  # a record header, then nothing: the handshake never ends
        health_answers_promptly(mockidp.https_url, mockidp.ca_file)
        for sock in slow:
            sock.sendall(hello[5:6])  # one more byte each: still a slowloris
        health_answers_promptly(mockidp.https_url, mockidp.ca_file)
        health_answers_promptly(mockidp.url, True)
        assert all(sock.fileno() != -1 for sock in idle)


def test_tls_clients_sending_headers_slowly_hold_no_worker(mockidp):
    context = ssl.create_default_context(cafile=str(mockidp.ca_file))
    with ExitStack() as stack:
        slow = [stack.enter_context(context.wrap_socket(connect(stack, mockidp.https_url),
                                                        server_hostname="localhost"))
                for _ in range(CLIENTS)]
        for sock in slow:
            sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        health_answers_promptly(mockidp.https_url, mockidp.ca_file)
        for sock in slow:  # the slow requests complete and are answered normally
            sock.sendall(b"1\r\n\r\n")
        for sock in slow[:4]:
            assert sock.recv(64).startswith(b"HTTP/1.1 200")


def test_plain_http_on_the_https_port_is_told_so(mockidp):
    with ExitStack() as stack:
        sock = connect(stack, mockidp.https_url)
        sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 400") and b"only speaks HTTPS" in answer


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server hangs up within the socket's timeout (a TimeoutError fails the test)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_silent_half_open_and_idle_tls_peers_are_closed_at_the_deadline(tmp_path):
    """The deadline (HEADER_TIMEOUT; 1 s here) covers the handshake and the headers alike."""
    files = ensure_certificates(tmp_path)
    server = ServerThread(hello_app, tls=TlsConfig(files.cert, files.key), header_timeout=1).start()
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    try:
        with ExitStack() as stack:
            silent = connect(stack, server.url)
            half_open = connect(stack, server.url)
            half_open.sendall(client_hello("localhost")[:5])
            idle_after_handshake = stack.enter_context(
                context.wrap_socket(connect(stack, server.url), server_hostname="localhost"))
            for sock in (silent, half_open, idle_after_handshake):
                sock.settimeout(8)  # far past the 1 s deadline and cheroot's 0.5 s expiry rounds
                assert closed_by_server(sock)
            answer = requests.get(f"{server.url}/", verify=str(files.ca_cert), timeout=5)
            assert answer.text == "hello"  # and the listener still serves
    finally:
        server.stop()
