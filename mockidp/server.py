"""Serving the WSGI app with cheroot, a production multithreaded WSGI server (pure Python, TLS
through the standard library), in the foreground (CLI) or on a background thread (tests).

cheroot hands every new connection to a worker thread at once, and the worker then waits for the
request: 16 idle or slow-sending (slowloris) sockets would hold all 16 workers; and it shakes hands
with a TLS client on its one accept thread, so one silent HTTPS peer stalls every new HTTPS
connection. HeaderBufferingServer does both on cheroot's selector thread, without blocking: the TLS
handshake advances whenever the socket is ready, then the request line and headers are read as
they come, and a connection reaches a worker only once its headers are complete. Idle and slow
clients cost a socket, never a worker. A connection that has not completed its handshake and
headers within HEADER_TIMEOUT seconds of arriving is closed by cheroot's own expiry. A request line
or header block too long to be a real Auth0 request is refused (414, 431) once its limit is passed,
never read in full. A worker that has just answered on a plain-HTTP keep-alive connection serves
the client's next request itself when it comes within KEEPALIVE_WAIT and no other connection waits
for a worker, its headers read the same way (bench/README.md, issue #18).
"""
from __future__ import annotations

import logging
import os
import select
import selectors
import socket
import threading
import time
from pathlib import Path
from typing import NamedTuple

from cheroot.wsgi import Server as WSGIServer

from . import wire
from .wire import MAX_HEADER_BYTES, READ_CHUNK

DEFAULT_THREADS = 16
HEADER_TIMEOUT = 10  # seconds to shake hands and send the request line and headers; also the keep-alive idle limit
DISCARD_READS_PER_WAKE = 64  # up to 4 MiB dropped per turn of the selector loop, then the others' turn
# How long a worker that has just answered waits for the same client's next request before giving
# the socket back to the selector thread: SDKs and test suites send it at once, and serving it on
# the same worker spares the selector's wake-up, the queue and their thread switches.
KEEPALIVE_WAIT = 0.002


class HeaderBufferingServer(WSGIServer):
    """cheroot's WSGI server, but a worker only gets a connection with its handshake done and
    its headers whole."""

    # cheroot's default (10) answers `Connection: close` whenever more than 10 connections wait
    # in the selector: with 32 keep-alive clients one answer in ten closed its connection and the
    # client paid a new one, and every answer took the selector's lock to count them. Idle
    # keep-alive connections still close after `timeout`, like connections that never send.
    keep_alive_conn_limit = None
    ConnectionClass = wire.Connection

    def process_conn(self, conn) -> None:
        if conn.rfile.has_data():
            super().process_conn(conn)  # buffered data is a pipelined request
            return
        if getattr(conn, "mockidp_refused", False):
            self._discard_input(conn)
            return
        if getattr(conn, "mockidp_pending", None) is None:
            conn.mockidp_pending = bytearray()
            # Wall time, not the tenant clock: cheroot expires idle sockets against time.time().
            conn.last_used = time.time()  # the deadline counts from here, never reset
        if self._handshake_done(conn) and self._buffer_headers(conn):
            super().process_conn(conn)

    def put_conn(self, conn) -> None:
        """After a keep-alive answer, on the worker: serve the client's next request here if it
        comes within KEEPALIVE_WAIT, else give the socket back to the selector."""
        try:
            while self._next_request_soon(conn):
                conn.mockidp_pending = bytearray()
                conn.last_used = time.time()  # the header deadline, as in process_conn
                if not self._buffer_headers(conn):
                    return  # closed, refused, or its headers still coming: the selector has it
                if not conn.communicate():
                    conn.close()
                    return
        except Exception:  # noqa: BLE001 - an exception here would stop cheroot's whole server
            logging.getLogger("cheroot").exception("mockidp: a keep-alive connection failed")
            conn.close()
            return
        super().put_conn(conn)

    def _next_request_soon(self, conn) -> bool:
        if not self.ready or self.ssl_adapter is not None or conn.rfile.has_data() or self.requests.qsize:
            return False  # TLS as before; a pipelined request, or others waiting: the queue's turn
        try:
            return bool(select.select([conn.socket], [], [], KEEPALIVE_WAIT)[0])
        except (OSError, ValueError):  # closed, or a descriptor select() cannot watch
            return False

    def _handshake_done(self, conn) -> bool:
        """True once TLS (if any) is set up; else the step is taken and the socket waits."""
        if self.ssl_adapter is None or getattr(conn, "mockidp_tls_ready", False):
            return True
        from .tls import HandshakeFailed  # loaded with the HTTPS listener's adapter

        try:
            waiting_for = self.ssl_adapter.advance_handshake(conn.socket)
        except HandshakeFailed:
            conn.close()
            return False
        if waiting_for is not None:
            self._wait_for(conn, waiting_for)
            return False
        conn.mockidp_tls_ready = True
        conn.ssl_env = self.ssl_adapter.get_environ(conn.socket)
        return True

    def _buffer_headers(self, conn) -> bool:
        """True once the headers are whole and the worker may read the request; otherwise the
        connection waits in the selector, or is refused or closed."""
        pending = conn.mockidp_pending
        room = MAX_HEADER_BYTES + 1 - len(pending)
        chunk = self._read_available(conn, room)
        if chunk is None:
            return False
        pending += chunk
        headers_end = wire.headers_end(pending)
        refusal = wire.too_large(pending, headers_end)
        if refusal:
            self._refuse(conn, *refusal)
            return False
        if chunk and headers_end == -1:
            self._wait_for(conn)  # not yet whole; cheroot's expiry closes it at the deadline
            return False
        if headers_end != -1 and wire.unknown_transfer_coding(pending, headers_end):
            self._refuse(conn, 400, "Bad Request")
            return False
        del conn.mockidp_pending
        if not pending:
            conn.close()  # closed before sending anything
            return False
        previous, conn.rfile = conn.rfile, wire.PrefixedReader(conn.socket, bytes(pending))
        previous.close()  # only its reference to the socket; the socket stays open
        return True

    def _read_available(self, conn, limit: int) -> bytes | None:
        """Up to `limit` bytes the socket holds now (b"" at end of stream); None when there is
        nothing yet (the socket waits again) or after closing a broken one. A plain socket is
        read with read(2) on its descriptor (see PLAIN_IO in wire.py) until a short read says
        the kernel's buffer is drained; TLS until the socket would block, switched to
        non-blocking for it: it may hold decrypted bytes that the selector cannot see."""
        sock, received = conn.socket, bytearray()
        plain = wire.PLAIN_IO and self.ssl_adapter is None and sock.gettimeout() is not None
        if plain:
            descriptor = sock.fileno()
            receive, would_block = (lambda size: os.read(descriptor, size)), BlockingIOError
        else:
            receive, would_block = sock.recv, getattr(self.ssl_adapter, "WOULD_BLOCK", BlockingIOError)
        try:
            if not plain:
                sock.setblocking(False)
            while len(received) < limit:
                wanted = min(READ_CHUNK, limit - len(received))
                chunk = receive(wanted)
                if not chunk:
                    return bytes(received)  # end of stream (after what came before it)
                received += chunk
                if plain and len(chunk) < wanted:
                    break
        except would_block:
            if not received:
                self._wait_for(conn)  # a spurious wake-up: nothing to read yet
                return None
        except OSError:
            conn.close()
            return None
        finally:
            if not plain and sock.fileno() != -1:
                sock.settimeout(self.timeout)
        return bytes(received)

    def _refuse(self, conn, status: int, reason: str) -> None:
        """Answer now, then read and drop what the client still sends until it hangs up or the
        deadline passes: closing with unread input would reset the connection before the client
        reads the answer."""
        del conn.mockidp_pending
        try:
            conn.socket.setblocking(False)
            conn.socket.send(wire.refusal(status, reason))  # small: fits an empty send buffer
        except OSError:
            conn.close()
            return
        conn.mockidp_refused = True
        self._wait_for(conn)

    def _discard_input(self, conn) -> None:
        """Drop what has arrived, a bounded amount per wake-up, into one reused buffer."""
        sock, scratch = conn.socket, bytearray(READ_CHUNK)
        would_block = getattr(self.ssl_adapter, "WOULD_BLOCK", BlockingIOError)
        try:
            sock.setblocking(False)
            for _ in range(DISCARD_READS_PER_WAKE):
                if not sock.recv_into(scratch):
                    conn.close()  # the client hung up: done
                    return
        except would_block:
            pass
        except OSError:
            conn.close()
            return
        self._wait_for(conn)

    def _wait_for(self, conn, event: int = selectors.EVENT_READ) -> None:
        self._connections._selector.register(conn.socket.fileno(), event, data=conn)


class TlsConfig(NamedTuple):
    cert: Path
    key: Path


class ServerThread:
    """One listening socket (HTTP or HTTPS) serving `app` on a daemon thread."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, tls: TlsConfig | None = None,
                 threads: int = DEFAULT_THREADS, header_timeout: float = HEADER_TIMEOUT):
        self.scheme = "https" if tls else "http"
        self.host = host
        self._server = HeaderBufferingServer((host, port), app, numthreads=threads, server_name="mockidp",
                                             request_queue_size=128, timeout=header_timeout,
                                             shutdown_timeout=2)
        self._server.gateway = wire.OneSendGateway
        # Requests pipelined behind another skip the selector; cheroot then bounds them itself.
        self._server.max_request_header_size = MAX_HEADER_BYTES
        if tls:
            from .tls import DeferredHandshakeAdapter  # only HTTPS pays for ssl's import

            self._server.ssl_adapter = DeferredHandshakeAdapter(str(tls.cert), str(tls.key))
        self._thread: threading.Thread | None = None

    def bind(self) -> ServerThread:
        """Take the port now (OSError if it cannot be had), without serving yet."""
        if not self._server.ready:
            self._server.prepare()  # binds, listens and starts the worker threads
        return self

    def start(self) -> "ServerThread":
        self.bind()  # the port is known before we return
        self._thread = threading.Thread(target=self._server.serve, name=f"mockidp-{self.scheme}",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def app(self):
        return self._server.wsgi_app

    @app.setter
    def app(self, app) -> None:
        """The WSGI app to serve from now on (a tenant listener binds before its tenant exists)."""
        self._server.wsgi_app = app

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "::1") else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def stop(self) -> None:
        self._wake_to_stop()
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _wake_to_stop(self) -> None:
        """cheroot's stop() waits for its selector loop to notice, which sleeps up to half a second
        in select(); deleting a tenant stops two listeners, and tests stop servers often. Asking
        the loop to stop (cheroot's own flag) and then connecting wakes it at once."""
        connections = getattr(self._server, "_connections", None)
        if not self._server.ready or connections is None or self._thread is None:
            return
        connections._stop_requested = True
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        try:
            socket.create_connection((host, self.port), timeout=1).close()
        except OSError:
            pass  # cheroot's loop still notices within its half second


def quiet_cheroot() -> None:
    """cheroot logs every client that hangs up mid-TLS-handshake; that is noise for a mock."""
    logging.getLogger("cheroot").setLevel(logging.ERROR)
