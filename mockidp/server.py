"""Serving the WSGI app with cheroot, a production multithreaded WSGI server (pure Python, TLS
through the standard library), in the foreground (CLI) or on a background thread (tests).

cheroot hands every new connection to a worker thread at once, and the worker then waits for the
request: 16 idle or slow-sending (slowloris) sockets would hold all 16 workers. HeaderBufferingServer
reads plain-HTTP request headers on cheroot's selector thread, without blocking, and hands a
connection to a worker only once its headers are complete, so idle and slow clients cost a socket,
never a worker. A connection that has not completed its headers within HEADER_TIMEOUT seconds of
arriving is closed by cheroot's own expiry.
"""
from __future__ import annotations

import io
import logging
import selectors
import socket
import threading
import time
from pathlib import Path
from typing import NamedTuple

from cheroot.makefile import StreamReader
from cheroot.wsgi import Server as WSGIServer

DEFAULT_THREADS = 16
HEADER_TIMEOUT = 10  # seconds to send the request line and headers; also the keep-alive idle limit
MAX_HEADER_BYTES = 64 * 1024  # past this, the worker reads on and cheroot answers 413/400 itself
HEADERS_END = (b"\r\n\r\n", b"\n\n")


class _PrefixedSocketIO(socket.SocketIO):
    """A socket's raw reader that first returns the bytes already read on the selector thread."""

    def __init__(self, sock: socket.socket, prefix: bytes):
        super().__init__(sock, "rb")
        self._prefix = memoryview(prefix)

    def readinto(self, buffer) -> int:
        if not self._prefix:
            return super().readinto(buffer)
        count = min(len(buffer), len(self._prefix))
        buffer[:count] = self._prefix[:count]
        self._prefix = self._prefix[count:]
        return count


class _PrefixedReader(StreamReader):
    def __init__(self, sock: socket.socket, prefix: bytes):
        # StreamReader.__init__ would wrap the socket itself; its base class takes our raw reader.
        super(StreamReader, self).__init__(_PrefixedSocketIO(sock, prefix), io.DEFAULT_BUFFER_SIZE)
        self.bytes_read = 0


class HeaderBufferingServer(WSGIServer):
    """cheroot's WSGI server, but a worker only gets a plain-HTTP connection with whole headers."""

    def process_conn(self, conn) -> None:
        if self.ssl_adapter is not None or conn.rfile.has_data():
            super().process_conn(conn)  # TLS reads need the handshake; buffered data is a request
            return
        pending = getattr(conn, "mockidp_pending", None)
        if pending is None:
            pending = conn.mockidp_pending = bytearray()
            # Wall time, not the tenant clock: cheroot expires idle sockets against time.time().
            conn.last_used = time.time()  # the header deadline counts from here, never reset
        chunk = self._read_available(conn)
        if chunk is None:
            return
        pending += chunk
        if chunk and not any(end in pending for end in HEADERS_END) and len(pending) < MAX_HEADER_BYTES:
            # Not yet whole: back to the selector, keeping last_used (cheroot's expiry closes it).
            self._connections._selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)
            return
        del conn.mockidp_pending
        if not pending:
            conn.close()  # closed before sending anything
            return
        previous, conn.rfile = conn.rfile, _PrefixedReader(conn.socket, bytes(pending))
        previous.close()  # only its reference to the socket; the socket stays open
        super().process_conn(conn)

    def _read_available(self, conn) -> bytes | None:
        """What the socket holds now (b"" at end of stream); None after closing a broken one."""
        sock = conn.socket
        try:
            sock.setblocking(False)
            return sock.recv(MAX_HEADER_BYTES)
        except BlockingIOError:
            return self._reregister(conn)  # a spurious wake-up: nothing to read yet
        except OSError:
            conn.close()
            return None
        finally:
            if sock.fileno() != -1:
                sock.settimeout(self.timeout)

    def _reregister(self, conn) -> None:
        self._connections._selector.register(conn.socket.fileno(), selectors.EVENT_READ, data=conn)
        return None


class TlsConfig(NamedTuple):
    cert: Path
    key: Path


class ServerThread:
    """One listening socket (HTTP or HTTPS) serving `app` on a daemon thread."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, tls: TlsConfig | None = None,
                 threads: int = DEFAULT_THREADS):
        self.scheme = "https" if tls else "http"
        self.host = host
        self._server = HeaderBufferingServer((host, port), app, numthreads=threads, server_name="mockidp",
                                             request_queue_size=128, timeout=HEADER_TIMEOUT,
                                             shutdown_timeout=2)
        if tls:
            from cheroot.ssl.builtin import BuiltinSSLAdapter  # only HTTPS pays for ssl's import

            self._server.ssl_adapter = BuiltinSSLAdapter(str(tls.cert), str(tls.key))
        self._thread: threading.Thread | None = None

    def start(self) -> "ServerThread":
        self._server.prepare()  # binds now, so the port is known before we return
        self._thread = threading.Thread(target=self._server.serve, name=f"mockidp-{self.scheme}",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "::1") else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)


def quiet_cheroot() -> None:
    """cheroot logs every client that hangs up mid-TLS-handshake; that is noise for a mock."""
    logging.getLogger("cheroot").setLevel(logging.ERROR)
