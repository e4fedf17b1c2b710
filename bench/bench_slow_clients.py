"""Does mockidp keep answering while idle and slow clients hold sockets, and how long does the
wildcard search that once backtracked take?

    .venv/bin/python bench/bench_slow_clients.py [--repo PATH] [--clients 64] [--probes 20]

Serves mockidp (HTTP, default fixture) in a subprocess from `--repo` (default: this checkout; point
it at an older export to get "before" numbers), then:
  1. opens `--clients` idle TCP connections (connected, nothing sent) and as many slowloris ones
     (a partial request, then one more header byte per round), and times `--probes` requests to
     GET /_mock/health, one per round; a probe that gets no answer within 5 s counts as a timeout;
  2. creates a user named 196 `a`s and, after one untimed search that loads the parser, times GET /api/v2/users?q=name:*a*a*a*a*a*a*a*a*a*a*a*b
     (answer awaited at most 20 s).
Prints numbers; asserts nothing. Every loop has a fixed count, so the script always ends.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER = """
import sys
from mockidp.runtime import MockIdP
mock = MockIdP(port=0).start()
print(mock.listeners[0].port, flush=True)
sys.stdin.read()  # until the bench closes our stdin
"""
M2M = ("mockidpM2MClient0000000000000000",
       "mockidp-m2m-secret-0000000000000000000000000000000000000000000000")
REDOS_QUERY = "name:*a*a*a*a*a*a*a*a*a*a*a*b"
PROBE_TIMEOUT, SEARCH_TIMEOUT = 5, 20


def start_server(repo: Path) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    process = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=env, cwd=repo)
    return process, int(process.stdout.readline())


def request(port: int, method: str, path: str, body: dict | None = None, token: str | None = None,
            timeout: float = PROBE_TIMEOUT) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def health_under_slow_clients(port: int, clients: int, probes: int) -> None:
    idle = [socket.create_connection((HOST, port)) for _ in range(clients)]
    slow = [socket.create_connection((HOST, port)) for _ in range(clients)]
    for sock in slow:
        sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    latencies, timeouts = [], 0
    for _ in range(probes):
        for sock in slow:
            try:
                sock.sendall(b"a")  # one more byte: the headers never end
            except OSError:
                pass  # the server closed it (header deadline)
        started = time.perf_counter()
        try:
            request(port, "GET", "/_mock/health")
            latencies.append((time.perf_counter() - started) * 1000)
        except (OSError, http.client.HTTPException):
            timeouts += 1
    for sock in idle + slow:
        sock.close()
    if latencies:
        ordered = sorted(latencies)
        print(f"health under {clients} idle + {clients} slowloris: p50 {statistics.median(ordered):.1f} ms, "
              f"max {ordered[-1]:.1f} ms, {timeouts}/{probes} probes got no answer in {PROBE_TIMEOUT} s")
    else:
        print(f"health under {clients} idle + {clients} slowloris: no answer to any of {probes} probes "
              f"within {PROBE_TIMEOUT} s")


def redos_search(port: int) -> None:
    status, body = request(port, "POST", "/oauth/token", {
        "grant_type": "client_credentials", "client_id": M2M[0], "client_secret": M2M[1],
        "audience": f"http://localhost:{port}/api/v2/"})
    token = json.loads(body)["access_token"]
    request(port, "POST", "/api/v2/users", {"connection": "Username-Password-Authentication",
                                            "email": "redos@example.com", "password": "Sup3r$ecret!",
                                            "name": "a" * 196}, token)
    request(port, "GET", "/api/v2/users?q=name:warm-up", token=token)  # loads the query parser
    started = time.perf_counter()
    try:
        status, _ = request(port, "GET", f"/api/v2/users?q={quote(REDOS_QUERY)}", token=token,
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
    process, port = start_server(args.repo.resolve())
    try:
        health_under_slow_clients(port, args.clients, args.probes)
        redos_search(port)
    finally:
        process.stdin.close()
        process.kill()  # a server stuck in a search would not leave on its own
        process.wait(timeout=30)
        process.stdout.close()


if __name__ == "__main__":
    main()
