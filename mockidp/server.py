"""Serving the WSGI app with cheroot, a production multithreaded WSGI server (pure Python, TLS
through the standard library), in the foreground (CLI) or on a background thread (tests)."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import NamedTuple

from cheroot.wsgi import Server as WSGIServer

DEFAULT_THREADS = 16


class TlsConfig(NamedTuple):
    cert: Path
    key: Path


class ServerThread:
    """One listening socket (HTTP or HTTPS) serving `app` on a daemon thread."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, tls: TlsConfig | None = None,
                 threads: int = DEFAULT_THREADS):
        self.scheme = "https" if tls else "http"
        self.host = host
        self._server = WSGIServer((host, port), app, numthreads=threads, server_name="mockidp",
                                  request_queue_size=64, timeout=30, shutdown_timeout=2)
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
