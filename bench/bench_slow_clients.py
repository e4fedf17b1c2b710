"""Does mockidp keep answering while idle and slow clients hold sockets, over HTTP and HTTPS; how
does it take an 8 MB query string; and how long does the wildcard search that once backtracked take?

    .venv/bin/python bench/bench_slow_clients.py [--repo PATH] [--clients 64] [--probes 20]

Serves mockidp (HTTP and HTTPS, default fixture, certificates in a temporary directory) in a
subprocess from `--repo` (default: this checkout; point it at an older export to get "before"
numbers), then:
  0. times `--probes` GET /_mock/health over HTTP and over HTTPS with no slow client (the baseline);
  1. HTTP: opens `--clients` idle TCP connections (connected, nothing sent) and as many slowloris
     ones (a partial request, then one more header byte per round), and times `--probes` requests
     to GET /_mock/health over HTTP, one per round, each on a new connection;
  2. HTTPS: opens `--clients` idle TCP connections to the HTTPS port and as many slow TLS clients
     (a ClientHello sent one byte per round, so the handshake never ends), and times `--probes`
     rounds of GET /_mock/health over HTTPS (a new TLS connection each) and over HTTP;
     a probe with no answer within 5 s counts as a timeout;
  3. sends GET /api/v2/users?q=<8 MB> (with a Management API token) and prints the time to the answer, its status, and the server's
     resident memory (VmRSS) before and after and its peak (VmHWM) (answer awaited at most 60 s);
  4. creates a user named 196 `a`s and, after one untimed search that loads the parser, times
     GET /api/v2/users?q=name:*a*a*a*a*a*a*a*a*a*a*a*b (answer awaited at most 20 s).
Prints numbers and the load average; asserts nothing. Every loop has a fixed count, so the script
always ends.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER = """
import sys
from mockidp.runtime import MockIdP
mock = MockIdP(port=0, tls=True, cert_dir=sys.argv[1]).start()
print(mock.listeners[0].port, mock.listeners[1].port, mock.ca_file, flush=True)
sys.stdin.read()  # until the bench closes our stdin
"""
M2M = ("mockidpM2MClient0000000000000000",
       "mockidp-m2m-secret-0000000000000000000000000000000000000000000000")
REDOS_QUERY = "name:*a*a*a*a*a*a*a*a*a*a*a*b"
BIG_QUERY_BYTES = 8_000_000
PROBE_TIMEOUT, SEARCH_TIMEOUT, BIG_QUERY_TIMEOUT = 5, 20, 60


class Server:
    """mockidp in a subprocess: its ports, its CA, its memory."""

    def __init__(self, repo: Path, cert_dir: str):
        env = {**os.environ, "PYTHONPATH": str(repo)}
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, cert_dir], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env, cwd=repo)
        http_port, https_port, ca_file = self.process.stdout.readline().split()
        self.http_port, self.https_port = int(http_port), int(https_port)
        self.tls_context = ssl.create_default_context(cafile=ca_file.decode())

    def memory_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return -1

    def connection(self, https: bool, timeout: float) -> http.client.HTTPConnection:
        if https:
            return http.client.HTTPSConnection("localhost", self.https_port, timeout=timeout,
                                               context=self.tls_context)
        return http.client.HTTPConnection(HOST, self.http_port, timeout=timeout)

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None,
                timeout: float = PROBE_TIMEOUT, https: bool = False) -> tuple[int, bytes]:
        connection = self.connection(https, timeout)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            connection.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.kill()  # a server stuck in a search would not leave on its own
        self.process.wait(timeout=30)
        self.process.stdout.close()


def client_hello() -> bytes:
    """A TLS client's first flight, made without a network."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def probe(server: Server, https: bool) -> float | None:
    """Milliseconds to a health answer on a new connection; None if none came in time."""
    started = time.perf_counter()
    try:
        server.request("GET", "/_mock/health", https=https)
        return (time.perf_counter() - started) * 1000
    except (OSError, http.client.HTTPException):
        return None


def send_to_each(sockets: list[socket.socket], data: bytes) -> None:
    for sock in sockets:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server closed it (the deadline)


def report(label: str, latencies: list[float | None]) -> None:
    answered = sorted(value for value in latencies if value is not None)
    missed = len(latencies) - len(answered)
    if not answered:
        print(f"  {label}: no answer to any of {len(latencies)} probes within {PROBE_TIMEOUT} s")
        return
    print(f"  {label}: p50 {statistics.median(answered):.1f} ms, max {answered[-1]:.1f} ms, "
          f"{missed}/{len(latencies)} probes got no answer in {PROBE_TIMEOUT} s")


def health_alone(server: Server, probes: int) -> None:
    """The same probes with no slow client open: what this machine's load alone costs."""
    over_http = [probe(server, https=False) for _ in range(probes)]
    over_https = [probe(server, https=True) for _ in range(probes)]
    print("no slow clients (baseline):")
    report("health over HTTP ", over_http)
    report("health over HTTPS", over_https)


def health_under_slow_http_clients(server: Server, clients: int, probes: int) -> None:
    idle = [socket.create_connection((HOST, server.http_port)) for _ in range(clients)]
    slow = [socket.create_connection((HOST, server.http_port)) for _ in range(clients)]
    send_to_each(slow, b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    latencies = []
    for _ in range(probes):
        send_to_each(slow, b"a")  # one more byte: the headers never end
        latencies.append(probe(server, https=False))
    for sock in idle + slow:
        sock.close()
    print(f"HTTP port, {clients} idle + {clients} slowloris connections:")
    report("health over HTTP", latencies)


def health_under_slow_tls_clients(server: Server, clients: int, probes: int) -> None:
    hello = client_hello()
    idle = [socket.create_connection((HOST, server.https_port)) for _ in range(clients)]
    slow = [socket.create_connection((HOST, server.https_port)) for _ in range(clients)]
    over_https, over_http = [], []
    for round_number in range(probes):
        send_to_each(slow, hello[round_number:round_number + 1])  # the handshake never ends
        over_https.append(probe(server, https=True))
        over_http.append(probe(server, https=False))
    for sock in idle + slow:
        sock.close()
    print(f"HTTPS port, {clients} idle + {clients} slow TLS handshakes:")
    report("health over HTTPS", over_https)
    report("health over HTTP ", over_http)


def management_token(server: Server) -> str:
    status, body = server.request("POST", "/oauth/token", {
        "grant_type": "client_credentials", "client_id": M2M[0], "client_secret": M2M[1],
        "audience": f"http://localhost:{server.http_port}/api/v2/"})
    return json.loads(body)["access_token"]


def big_query(server: Server, token: str) -> None:
    rss_before = server.memory_kib("VmRSS")
    started = time.perf_counter()
    try:
        status, _ = server.request("GET", "/api/v2/users?q=" + "a" * BIG_QUERY_BYTES, token=token,
                                   timeout=BIG_QUERY_TIMEOUT)
        outcome = f"status {status}"
    except (OSError, http.client.HTTPException) as error:
        outcome = f"no answer ({type(error).__name__})"
    elapsed = (time.perf_counter() - started) * 1000
    print(f"8 MB query string: {elapsed:.1f} ms, {outcome}; server RSS {rss_before / 1024:.1f} -> "
          f"{server.memory_kib('VmRSS') / 1024:.1f} MiB, peak {server.memory_kib('VmHWM') / 1024:.1f} MiB")


def redos_search(server: Server, token: str) -> None:
    server.request("POST", "/api/v2/users", {"connection": "Username-Password-Authentication",
                                             "email": "redos@example.com", "password": "Sup3r$ecret!",
                                             "name": "a" * 196}, token)
    server.request("GET", "/api/v2/users?q=name:warm-up", token=token)  # loads the query parser
    started = time.perf_counter()
    try:
        status, _ = server.request("GET", f"/api/v2/users?q={quote(REDOS_QUERY)}", token=token,
                                   timeout=SEARCH_TIMEOUT)
        print(f"ReDoS search {REDOS_QUERY!r} over a 196-character name: "
              f"{(time.perf_counter() - started) * 1000:.1f} ms (status {status})")
    except (OSError, http.client.HTTPException):
        print(f"ReDoS search {REDOS_QUERY!r}: no answer within {SEARCH_TIMEOUT} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as cert_dir:
        server = Server(args.repo.resolve(), cert_dir)
        try:
            health_alone(server, args.probes)
            health_under_slow_http_clients(server, args.clients, args.probes)
            health_under_slow_tls_clients(server, args.clients, args.probes)
            token = management_token(server)
            big_query(server, token)
            redos_search(server, token)
        finally:
            server.stop()
    print(f"load average at end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
