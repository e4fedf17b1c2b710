"""A request line or header block longer than any real Auth0 request is refused as soon as its
limit is passed (414, 431 in Auth0's error envelope), never read in full: before, an 8 MB query
string was buffered whole by a worker and parsed."""
from __future__ import annotations

import random
import re
import socket
import ssl
from contextlib import closing
from urllib.parse import urlsplit

import pytest
import requests

from mockidp.wire import MAX_HEADER_BYTES, MAX_REQUEST_LINE, headers_end


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=5)


def test_an_8_mb_query_string_is_refused_with_414(mockidp):
    response = requests.get(f"{mockidp.url}/api/v2/users", params={"q": "a" * 8_000_000}, timeout=30)
    assert response.status_code == 414
    assert response.json() == {"statusCode": 414, "error": "Request-URI Too Large",
                               "message": "The request line is too long."}


def test_the_refusal_comes_before_the_request_line_ends(mockidp):
    """Only the limit's worth is sent, and no line end: the server answers without waiting for
    the rest (which a server that reads the whole line would)."""
    with closing(connect(mockidp.url)) as sock:
        sock.sendall(b"GET /?q=" + b"a" * (MAX_REQUEST_LINE + 1))
        assert sock.recv(64).startswith(b"HTTP/1.1 414 Request-URI Too Large")


def test_a_long_url_within_the_limit_still_reaches_the_api(mockidp):
    response = requests.get(f"{mockidp.url}/_mock/health", params={"x": "a" * (MAX_REQUEST_LINE - 100)},
                            timeout=30)
    assert response.status_code == 200


def test_an_oversized_header_block_is_refused_with_431(mockidp):
    headers = {f"X-Big-{index}": "b" * 1000 for index in range(MAX_HEADER_BYTES // 1000 + 1)}
    response = requests.get(f"{mockidp.url}/_mock/health", headers=headers, timeout=30)
    assert response.status_code == 431
    assert response.json()["error"] == "Request Header Fields Too Large"


def test_https_is_bounded_alike(mockidp):
    context = ssl.create_default_context(cafile=str(mockidp.ca_file))
    with closing(connect(mockidp.https_url)) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as sock:
        sock.sendall(b"GET /?q=" + b"a" * (MAX_REQUEST_LINE + 1))
        assert sock.recv(64).startswith(b"HTTP/1.1 414")


@pytest.mark.parametrize("header_lines", [
    b"Transfer-Encoding: gzip, chunked\r\nContent-Type: application/json\r\n",
    b"Content-Type: application/json\r\nX-Bulk: " + b"t" * 9000 + b"\r\ntransfer-ENCODING:GZIP\r\n",
], ids=["first", "last-after-a-long-header-any-case"])
def test_an_unknown_transfer_coding_is_the_clients_error_not_a_server_error(mockidp, header_lines):
    """cheroot answers 501 with no body; found by the schemathesis sweep (issue #20)."""
    with closing(connect(mockidp.url)) as sock:
        sock.sendall(b"POST /api/v2/actions/actions HTTP/1.1\r\nHost: localhost\r\n" + header_lines + b"\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b'{"statusCode": 400, "error": "Bad Request", '
                           b'"message": "The request\'s Transfer-Encoding is not supported."}')


def test_a_chunked_body_still_reaches_the_api(mockidp):
    token = mockidp.management_token()
    response = requests.post(f"{mockidp.url}/api/v2/roles", data=iter([b'{"name": ', b'"chunked"}']),
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                             timeout=30)
    assert response.status_code == 200 and response.json()["name"] == "chunked"


def test_the_header_block_ends_at_the_first_crlf_crlf_or_lf_lf():
    """The server's one-pass search (`wire.headers_end`) agrees with looking for each ending on its own,
    on every short mix of the bytes that make line ends (seeded, 20,000 draws)."""
    draw = random.Random(18)
    for _ in range(20_000):
        data = bytearray(draw.choice(b"\r\nab") for _ in range(draw.randint(0, 14)))
        found = [index for index in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if index != -1]
        assert headers_end(data) == min(found, default=-1), bytes(data)


def _pipelined(mockidp, second_headers: bytes) -> list[bytes]:
    """Two requests in one send, the second closing the connection: the status lines answered."""
    first = b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    second = b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + second_headers + b"\r\n"
    received = bytearray()
    with closing(connect(mockidp.url)) as sock:
        sock.sendall(first + second)
        while chunk := sock.recv(65536):
            received += chunk
    return re.findall(rb"HTTP/1\.1 \d{3} [^\r]*", bytes(received))  # answers follow bodies directly


def test_a_pipelined_request_with_a_long_header_line_is_read_whole(mockidp):
    """The second request never passes the selector's checks: cheroot reads it from the buffer,
    a header line in one call (wire._WholeLineSizeCheck)."""
    assert _pipelined(mockidp, b"Authorization: Bearer " + b"t" * 20_000 + b"\r\n") == [b"HTTP/1.1 200 OK"] * 2


def test_a_pipelined_header_block_over_the_limit_is_still_refused(mockidp):
    statuses = _pipelined(mockidp, b"X-Huge: " + b"h" * (MAX_HEADER_BYTES + 10) + b"\r\n")
    assert statuses[0] == b"HTTP/1.1 200 OK"
    assert statuses[1].startswith(b"HTTP/1.1 4"), statuses
