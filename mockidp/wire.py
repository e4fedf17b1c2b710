"""What crosses a connection's socket in cheroot's hands, below the server's scheduling
(server.py): the checks on a request's header block before a worker sees it (414, 431, an
unknown Transfer-Encoding), the request stream that starts with the bytes the selector thread
already read, and the gateway that writes an answer's head together with its first body piece.
Plain sockets are read and written with one system call each (PLAIN_IO below; issue #18,
bench/README.md "Fourth pass")."""
from __future__ import annotations

import json
import os
import re
import socket

from cheroot.makefile import StreamReader
from cheroot.server import HTTPConnection, HTTPRequest, SizeCheckWrapper
from cheroot.wsgi import Gateway_10

# Auth0's edge (Cloudflare) answers 414 past a 32 KB URL; no Auth0 SDK or browser flow comes close.
MAX_REQUEST_LINE = 32 * 1024
MAX_HEADER_BYTES = 64 * 1024  # the request line and headers together; past this, 431
READ_CHUNK = 64 * 1024


class PrefixedReader(StreamReader):
    """The request stream of a connection whose headers the selector thread has already read:
    those bytes first, then the socket.

    Lines come straight out of the prefix: cheroot reads a header in 256-byte `readline` calls,
    and through `_pyio`'s buffered reader each costs a lock and a peek, so an 8 KB bearer token
    took 32 trips through pure-Python buffering on every request."""

    def __init__(self, sock: socket.socket, prefix: bytes):
        super().__init__(sock)
        self._prefix = prefix
        self._offset = 0

    def has_data(self) -> bool:
        return self._offset < len(self._prefix) or super().has_data()

    def readline(self, size: int | None = -1) -> bytes:
        if self._offset >= len(self._prefix):
            return super().readline(size)
        limit = len(self._prefix) if size is None or size < 0 else min(len(self._prefix), self._offset + size)
        newline = self._prefix.find(b"\n", self._offset, limit)
        line = self._take(limit if newline == -1 else newline + 1)
        if newline == -1 and limit == len(self._prefix) and (size is None or size < 0 or len(line) < size):
            rest = -1 if size is None or size < 0 else size - len(line)
            line += super().readline(rest)  # the line goes on past what the selector read
        return line

    def read(self, size: int | None = -1) -> bytes:
        if self._offset >= len(self._prefix):
            return super().read(size)
        if size is None or size < 0:
            return self._take(len(self._prefix)) + super().read()
        data = self._take(min(len(self._prefix), self._offset + size))
        return data + super().read(size - len(data)) if len(data) < size else data

    def _take(self, end: int) -> bytes:
        data = self._prefix[self._offset:end]
        self._offset = end
        self.bytes_read += len(data)
        return data


# A blank line's candidates; `headers_end` keeps the two endings of a header block. One regex pass
# finds them several times faster than a `find` per ending (an 8 KB bearer token: 2.4 against
# 11.7 us), and an alternation of the endings is slower still.
_BLANK_LINE = re.compile(rb"\n\r?\n")


class _WholeLineSizeCheck(SizeCheckWrapper):
    """cheroot's size check around the request line and headers, but a line is read in one call
    bounded by what the limit leaves, instead of 256 bytes at a time (an 8 KB bearer token was 32
    calls, ~21 us per request). A line past the limit is refused as before: one byte over it is
    read, and the check raises MaxSizeExceeded."""

    def readline(self, size: int | None = None) -> bytes:
        if size is None and self.maxlen:
            size = self.maxlen - self.bytes_read + 1
        return super().readline(size)


class _Request(HTTPRequest):
    """cheroot's request, reading its head through `_WholeLineSizeCheck`. cheroot builds the
    size check inside `parse_request`; swapping it as it is stored keeps the rest of that method
    cheroot's own."""

    @property
    def rfile(self):
        return self._rfile

    @rfile.setter
    def rfile(self, stream) -> None:
        if type(stream) is SizeCheckWrapper:
            stream = _WholeLineSizeCheck(stream.rfile, stream.maxlen)
        self._rfile = stream


class Connection(HTTPConnection):
    RequestHandlerClass = _Request


def headers_end(data: bytearray) -> int:
    """Where the first b"\r\n\r\n" or b"\n\n" starts in `data`, -1 if none is there."""
    position = 0
    while (match := _BLANK_LINE.search(data, position)) is not None:
        start = match.start()
        if match.end() - start == 2:
            return start  # \n\n
        if start > 0 and data[start - 1] == 13:
            return start - 1  # \r\n\r\n, from its \r
        position = start + 1  # a bare \n, then \r\n: neither ending starts here
    return -1


def too_large(pending: bytearray, headers_end: int) -> tuple[int, str] | None:
    """The status and reason refusing what has arrived so far, or None while it may still be fine."""
    line_end = pending.find(b"\n")
    if line_end > MAX_REQUEST_LINE or (line_end == -1 and len(pending) > MAX_REQUEST_LINE):
        return 414, "Request-URI Too Large"
    if headers_end > MAX_HEADER_BYTES or (headers_end == -1 and len(pending) > MAX_HEADER_BYTES):
        return 431, "Request Header Fields Too Large"
    return None


# A Transfer-Encoding header line from the newline before it, its value in group 1 (names compared
# as cheroot does: no case). Anchored on b"\n" rather than a MULTILINE "^", which the engine tries
# at every byte: 40 us against 3 us on an 8 KB header block.
_TRANSFER_ENCODING = re.compile(rb"\n[ \t]*transfer-encoding[ \t]*:([^\n]*)", re.IGNORECASE)


def unknown_transfer_coding(pending: bytearray, headers_end: int) -> bool:
    """A Transfer-Encoding other than chunked, which cheroot would answer 501 with no body: a
    server error for what is the client's mistake (Auth0's Node front answers such a request 400).
    Searched in place, from the request line's newline to the end of the headers: no copy, no split."""
    request_line_end = pending.find(b"\n")
    for match in _TRANSFER_ENCODING.finditer(pending, request_line_end, headers_end):
        codings = [coding.strip().lower() for coding in match.group(1).split(b",") if coding.strip()]
        if any(coding != b"chunked" for coding in codings):
            return True
    return False


_REFUSALS = {414: "The request line is too long.", 431: "The request's header fields are too large.",
             400: "The request's Transfer-Encoding is not supported."}


def refusal(status: int, reason: str) -> bytes:
    """A whole HTTP response in Auth0's Management API error envelope."""
    message = _REFUSALS[status]
    body = json.dumps({"statusCode": status, "error": reason, "message": message}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("ascii") + body


# PLAIN_IO: a plain socket with a timeout is non-blocking underneath (Python emulates the timeout
# with poll), so read(2) and write(2) on its descriptor return at once, EAGAIN when they cannot.
# Python's own recv/send on such a socket poll first and the header read switched its mode twice
# (two ioctls): every one of those system calls let go of the GIL, and under load each is a
# hand-off between threads. TLS sockets always go through their SSL object, and so does every
# socket where a socket is no file descriptor (Windows).
PLAIN_IO = os.name == "posix"


class OneSendGateway(Gateway_10):
    """cheroot's WSGI gateway, but the status line and headers leave in the same `send` as the
    first piece of the body: cheroot writes each straight through, so every answer cost two
    sends (each a poll and a send with the GIL let go, and a second TCP segment for the client
    to read). Later pieces (a stream's events, a download's chunks) are sent as they come."""

    def write(self, chunk: bytes) -> None:
        if self.req.sent_headers:
            super().write(chunk)
            return
        wfile = self.req.conn.wfile
        held: list[bytes] = []
        wfile.write = held.append  # shadows the method for this one call (headers, framing, chunk)
        try:
            super().write(chunk)
        finally:
            del wfile.write
            if held:
                self._send(wfile, b"".join(held))

    def _send(self, wfile, data: bytes) -> None:
        """One write(2) when the socket takes it all at once (an answer fits an empty send
        buffer); what it does not take goes through cheroot's writer, which waits for room."""
        sent = 0
        sock = self.req.conn.socket
        if PLAIN_IO and self.req.server.ssl_adapter is None and sock.gettimeout() is not None:
            try:
                sent = os.write(sock.fileno(), data)  # see PLAIN_IO
            except BlockingIOError:
                sent = 0
        wfile.bytes_written += sent
        if sent < len(data):
            wfile.write(data[sent:] if sent else data)
