"""Shared by the HTTP benches (bench_flows.py, bench_tokens.py): mockidp in a subprocess, keep-alive
clients that keep a browser's cookie, the default fixture's clients and user, the flows' steps, and
a bounded multi-threaded load loop. Imported as `flowkit` (the benches run as `python bench/X.py`,
so bench/ is on sys.path)."""
from __future__ import annotations

import base64
import hashlib
import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER = """
import sys
from mockidp.runtime import MockIdP
mock = MockIdP(port=0, **({"threads": int(sys.argv[1])} if len(sys.argv) > 1 else {})).start()
print(mock.url_for("http"), flush=True)
sys.stdin.read()  # until the bench closes our stdin
mock.stop()
"""
M2M = ("mockidpM2MClient0000000000000000", "mockidp-m2m-secret-0000000000000000000000000000000000000000000000")
WEB = ("mockidpWebClient0000000000000000", "mockidp-web-secret-0000000000000000000000000000000000000000000000")
SPA_ID = "mockidpSpaClient0000000000000000"
CALLBACK = "http://localhost:3000/callback"
ALICE = ("alice@example.com", "Passw0rd!alice")
VERIFIER = "bench-code-verifier-" + "v" * 40
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Client:
    """One keep-alive connection and the cookie a browser would keep."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.base = f"http://localhost:{port}"
        self.cookie: str | None = None

    def call(self, method: str, path: str, form: dict | None = None, expect: int = 200,
             extra_headers: dict | None = None) -> http.client.HTTPResponse:
        headers = dict(FORM) if form is not None else {}
        if extra_headers:
            headers.update(extra_headers)
        headers["Host"] = self.base.split("://", 1)[1]
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.connection.request(method, path, urlencode(form) if form is not None else None, headers)
        response = self.connection.getresponse()
        response.body = response.read()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {response.body[:300]!r}")
        set_cookie = response.getheader("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        return response

    def close(self) -> None:
        self.connection.close()


def authorize_path() -> str:
    return "/authorize?" + urlencode({
        "client_id": SPA_ID, "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid profile email",
        "state": "bench", "nonce": "bench", "code_challenge": CHALLENGE, "code_challenge_method": "S256"})


def code_of(response: http.client.HTTPResponse) -> str:
    return parse_qs(urlsplit(response.getheader("Location")).query)["code"][0]


def redeem(client: Client, code: str) -> None:
    client.call("POST", "/oauth/token", {"grant_type": "authorization_code", "client_id": SPA_ID, "code": code,
                                         "code_verifier": VERIFIER, "redirect_uri": CALLBACK})


def client_credentials(client: Client) -> None:
    client.call("POST", "/oauth/token", {"grant_type": "client_credentials", "client_id": M2M[0],
                                         "client_secret": M2M[1], "audience": f"{client.base}/api/v2/"})


def password_grant(client: Client) -> None:
    client.call("POST", "/oauth/token", {"grant_type": "password", "client_id": WEB[0], "client_secret": WEB[1],
                                         "username": ALICE[0], "password": ALICE[1], "scope": "openid profile email"})


def code_flow_with_login(client: Client) -> None:
    client.cookie = None  # a browser without a session: the login page every time
    login_page = client.call("GET", authorize_path(), expect=302).getheader("Location")
    back = client.call("POST", login_page, {"username": ALICE[0], "password": ALICE[1]}, expect=302)
    redeem(client, code_of(back))


def code_flow_with_session(client: Client) -> None:
    if client.cookie is None:
        code_flow_with_login(client)  # set up the session once (untimed: see warm-up)
    redeem(client, code_of(client.call("GET", authorize_path(), expect=302)))


class Server:
    def __init__(self, threads: int | None = None, script: str = SERVER) -> None:
        """`threads`: cheroot worker threads (mockidp's default, 16, when None). `script`: the
        Python the subprocess runs (it prints its URL, then serves until stdin closes)."""
        argv = [sys.executable, "-c", script] + ([str(threads)] if threads else [])
        self.process = subprocess.Popen(argv, cwd=REPO, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        url = self.process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"mockidp did not start: {url!r}")
        self.port = int(url.rsplit(":", 1)[1])

    def reset(self) -> None:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        connection.request("POST", "/_mock/reset")
        assert connection.getresponse().status == 200
        connection.close()

    def cpu_seconds(self) -> float | None:
        """The server process's user + system CPU so far (from /proc; None without /proc)."""
        return process_cpu_seconds(self.process.pid)

    def context_switches(self) -> int | None:
        """Context switches of all the server's threads so far (from /proc; None without /proc)."""
        return process_context_switches(self.process.pid)

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


class Measured(NamedTuple):
    rate: float                # operations per second
    latencies: list[float]     # seconds, one per operation
    server_cpu: float | None   # server CPU seconds spent during the timed part
    server_switches: int | None = None  # the server threads' context switches in the timed part


def run(server: Server, flow, clients: int, per_client: int, warmup: int) -> tuple[float, list[float]]:
    """(flows per second, per-flow latencies) with `clients` threads on their own connections."""
    measured = measure(server, flow, clients, per_client, warmup)
    return measured.rate, measured.latencies


def measure(server: Server, flow, clients: int, per_client: int, warmup: int, prepare=None) -> Measured:
    """`run`, plus the server's CPU over the timed part. `prepare(client, count)`, if given, runs
    untimed on each client before its warm-up, for `count` = warmup + per_client operations (to
    fetch the codes or tokens the operation spends)."""
    server.reset()
    workers = [Client(server.port) for _ in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    finished = [0.0] * clients
    start = {}

    def go() -> None:
        # Run by the last worker to arrive, before any is released: the timed part starts here.
        # (Timing from the main thread instead would count from whenever it gets the GIL back,
        # which on a loaded machine can be after the workers have finished.)
        start["cpu"] = server.cpu_seconds()
        start["switches"] = server.context_switches()
        start["time"] = time.perf_counter()

    start_line = threading.Barrier(clients, action=go)

    def work(index: int) -> None:
        client, mine = workers[index], latencies[index]
        try:
            if prepare is not None:
                prepare(client, warmup + per_client)
            for _ in range(warmup):
                flow(client)
            start_line.wait()
            for _ in range(per_client):
                started = time.perf_counter()
                flow(client)
                mine.append(time.perf_counter() - started)
            finished[index] = time.perf_counter()
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
            start_line.abort()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    cpu_after = server.cpu_seconds()  # the server is idle once every worker has its last answer
    switches_after = server.context_switches()
    for client in workers:
        client.close()
    if failures:
        raise SystemExit(f"flow failed: {failures[0]}")
    flat = [value for values in latencies for value in values]
    elapsed = max(finished) - start["time"]
    cpu = cpu_after - start["cpu"] if start["cpu"] is not None and cpu_after is not None else None
    switches = (switches_after - start["switches"]
                if start.get("switches") is not None and switches_after is not None else None)
    return Measured(len(flat) / elapsed, flat, cpu, switches)


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_context_switches(pid: int) -> int | None:
    """Voluntary + involuntary context switches summed over a process's threads (from /proc)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            lines = Path(f"/proc/{pid}/task/{task}/status").read_text().splitlines()
        except OSError:
            continue  # a thread that ended meanwhile
        total += sum(int(line.split()[1]) for line in lines
                     if line.split(":")[0] in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
    return total


def percentile_ms(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000
