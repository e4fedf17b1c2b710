"""Token issuance through the user flows: the password grant and the authorization code flow.

    .venv/bin/python bench/bench_flows.py [--quick]

Serves mockidp (HTTP, default fixture) in a subprocess and times, with 1 and with 4 keep-alive
clients sending back to back:
  - client credentials (POST /oauth/token), for reference: one signature, no user;
  - the password grant (POST /oauth/token, grant_type=password): a login (password check, counters,
    log events) and an ID token plus an access token;
  - the code flow with PKCE, as a browser does it without a session: GET /authorize (302 to the
    login page), POST /u/login (302 back with a code), POST /oauth/token (code for tokens);
  - the code flow with a session (SSO): GET /authorize with the auth0 cookie (302 with a code),
    POST /oauth/token.
A flow counts as one operation; latencies are per flow. Scenarios are interleaved round by round
and the tenant is reset before each, so state does not grow across the run. Prints numbers;
asserts only that every step answered as expected. Every loop has a fixed count.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER = """
import sys
from mockidp.runtime import MockIdP
mock = MockIdP(port=0).start()
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

    def call(self, method: str, path: str, form: dict | None = None, expect: int = 200) -> http.client.HTTPResponse:
        headers = dict(FORM) if form is not None else {}
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


SCENARIOS = {
    "client credentials (reference)": client_credentials,
    "password grant": password_grant,
    "code flow + PKCE, login page": code_flow_with_login,
    "code flow + PKCE, SSO session": code_flow_with_session,
}


class Server:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], cwd=REPO, text=True,
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

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run(server: Server, flow, clients: int, per_client: int, warmup: int) -> tuple[float, list[float]]:
    """(flows per second, per-flow latencies) with `clients` threads on their own connections."""
    server.reset()
    workers = [Client(server.port) for _ in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    start_line = threading.Barrier(clients + 1)

    def work(index: int) -> None:
        client, mine = workers[index], latencies[index]
        try:
            for _ in range(warmup):
                flow(client)
            start_line.wait()
            for _ in range(per_client):
                started = time.perf_counter()
                flow(client)
                mine.append(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
            start_line.abort()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        start_line.wait()
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.perf_counter() - started
    for client in workers:
        client.close()
    if failures:
        raise SystemExit(f"flow failed: {failures[0]}")
    flat = [value for values in latencies for value in values]
    return len(flat) / elapsed, flat


def percentile_ms(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer flows (a smoke run)")
    args = parser.parse_args()
    rounds, per_client, warmup = (1, 30, 5) if args.quick else (3, 200, 20)
    server = Server()
    results: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
    try:
        for _ in range(rounds):
            for clients in (1, 4):
                for name, flow in SCENARIOS.items():
                    rate, samples = run(server, flow, clients, per_client // clients, warmup)
                    rates, all_samples = results.setdefault((name, clients), ([], []))
                    rates.append(rate)
                    all_samples.extend(samples)
    finally:
        server.stop()
    print(f"token issuance per flow, {rounds} interleaved rounds, {per_client} flows per round; "
          f"Python {sys.version.split()[0]}")
    print(f"{'flow':34} {'clients':>7} {'flows/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for (name, clients), (rates, samples) in results.items():
        print(f"{name:34} {clients:7} {statistics.median(rates):8.0f} {percentile_ms(samples, 0.5):8.2f} "
              f"{percentile_ms(samples, 0.99):8.2f}")


if __name__ == "__main__":
    main()
