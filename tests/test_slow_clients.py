"""Idle and slow clients cost a socket, never a worker: with more idle sockets and slowloris
connections (headers sent a few bytes at a time) than there are worker threads, other requests
are still answered. Before, each such socket held one of the 16 workers for 30 s."""
from __future__ import annotations

import socket
from contextlib import ExitStack
from urllib.parse import urlsplit

import requests

from mockidp.server import DEFAULT_THREADS

CLIENTS = 2 * DEFAULT_THREADS


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
