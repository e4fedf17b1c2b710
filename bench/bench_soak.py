"""A soak: 100,000 mixed requests to one `mockidp serve` with the journal on, printing the server's
resident memory (RSS, from /proc) as it goes, to show that it stays flat once the journal's ring
is full.

    .venv/bin/python bench/bench_soak.py                      # 100,000 requests, the usual mix
    .venv/bin/python bench/bench_soak.py --mix fat            # bodies at the journal's 16 KB cap
    .venv/bin/python bench/bench_soak.py --journal-size 0     # the same with the journal off
    .venv/bin/python bench/bench_soak.py --serve-arg=--journal-bytes=33554432   # any serve option

The server is the real CLI (`python -m mockidp serve --port 0 --quiet`) in a subprocess, from a
private XDG_CACHE_HOME; one client, one keep-alive connection, requests one after another (RSS,
not speed, is measured here; the rate is printed for context). The mix repeats a cycle of 20
requests, the shapes a test suite sends: client credentials, a browser login (GET /authorize,
POST /u/login, the code exchange), /userinfo, the password grant, Management reads (a user by id
three times, a search by email, the logs) and writes (PATCH user_metadata, POST a user and DELETE
it), a password-reset email (POST /dbconnections/change_password) read back from /_mock/outbox,
discovery, JWKS and a login with the SSO session. Every 100 requests it resets the tenant as the
pytest plugin does before each test (`--reset-every`; 0 never resets: then the outbox and the
tickets of the reset emails grow, as they would for a real tenant). `--mix fat` adds ten 16 KB
signup requests (refused: 400) and ten 100-entry log listings (a response over the 16 KB cap) to
every cycle, so that half the journal's entries hold a body at the cap: the worst case for the
ring's memory.
Asserts nothing but each request's expected status.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flowkit import ALICE, CALLBACK, M2M, SPA_ID, VERIFIER, WEB, authorize_path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CONNECTION = "Username-Password-Authentication"


class Soak:
    """One keep-alive connection with a browser's cookie, counting requests."""

    def __init__(self, port: int, fat: bool):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.base = f"http://localhost:{port}"
        self.cookie: str | None = None
        self.sent = 0
        self.fat = fat
        self.management: str | None = None
        self.alice: str | None = None

    def call(self, method: str, path: str, *, form: dict | None = None, json_body=None,
             bearer: str | None = None, expect: int = 200) -> tuple[http.client.HTTPResponse, bytes]:
        headers = {"Host": self.base.split("://", 1)[1]}
        body = None
        if form is not None:
            headers["Content-Type"], body = "application/x-www-form-urlencoded", urlencode(form)
        elif json_body is not None:
            headers["Content-Type"], body = "application/json", json.dumps(json_body)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.connection.request(method, path, body, headers)
        response = self.connection.getresponse()
        data = response.read()
        self.sent += 1
        if response.status != expect:
            raise SystemExit(f"{method} {path}: HTTP {response.status} (expected {expect}) {data[:300]!r}")
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response, data

    def token(self, form: dict) -> dict:
        return json.loads(self.call("POST", "/oauth/token", form=form)[1])

    def cycle(self, index: int) -> None:
        """20 requests (40 with --mix fat)."""
        self.management = self.token({"grant_type": "client_credentials", "client_id": M2M[0],
                                      "client_secret": M2M[1], "audience": f"{self.base}/api/v2/"})["access_token"]
        self.cookie = None  # a browser without a session: the login page
        page = self.call("GET", authorize_path(), expect=302)[0].getheader("Location")
        back = self.call("POST", page, form={"username": ALICE[0], "password": ALICE[1]}, expect=302)[0]
        tokens = self.redeem(back)
        self.call("GET", "/userinfo", bearer=tokens["access_token"])
        self.token({"grant_type": "password", "client_id": WEB[0], "client_secret": WEB[1],
                    "username": ALICE[0], "password": ALICE[1], "scope": "openid profile email"})
        found = json.loads(self.api("GET", "/api/v2/users-by-email?email=" + quote(ALICE[0]))[1])
        self.alice = found[0]["user_id"]
        for _ in range(3):
            self.api("GET", f"/api/v2/users/{quote(self.alice)}")
        self.api("GET", "/api/v2/logs?per_page=10")
        self.api("PATCH", f"/api/v2/users/{quote(self.alice)}", json_body={"user_metadata": {"visits": index}})
        created = json.loads(self.api("POST", "/api/v2/users", expect=201, json_body={
            "connection": CONNECTION, "email": f"soak{index}@example.com", "password": "Sup3r$ecret!"})[1])
        self.api("DELETE", f"/api/v2/users/{quote(created['user_id'])}", expect=204)
        self.call("POST", "/dbconnections/change_password", json_body={
            "client_id": SPA_ID, "email": ALICE[0], "connection": CONNECTION})
        self.call("GET", "/_mock/outbox?" + urlencode({"to": ALICE[0]}))
        self.call("GET", "/.well-known/openid-configuration")
        self.call("GET", "/.well-known/jwks.json")
        self.redeem(self.call("GET", authorize_path(), expect=302)[0])  # single sign-on: no page
        for _ in range(10 if self.fat else 0):
            self.call("POST", "/dbconnections/signup", expect=400, json_body={
                "client_id": SPA_ID, "connection": CONNECTION, "email": "fat@example.com",
                "password": "Sup3r$ecret!", "user_metadata": {"blob": "x" * 16_000}})
            self.api("GET", "/api/v2/logs?per_page=100")

    def api(self, method: str, path: str, *, json_body=None, expect: int = 200):
        return self.call(method, path, json_body=json_body, bearer=self.management, expect=expect)

    def redeem(self, redirect: http.client.HTTPResponse) -> dict:
        code = parse_qs(urlsplit(redirect.getheader("Location")).query)["code"][0]
        return self.token({"grant_type": "authorization_code", "client_id": SPA_ID, "code": code,
                           "code_verifier": VERIFIER, "redirect_uri": CALLBACK})


def start_server(serve_args: list[str]) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="mockidp-soak-")}
    process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", "--port", "0", "--quiet", *serve_args],
                               cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in process.stdout:
        if "listening" in line and "http://" in line:
            return process, int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    raise SystemExit(f"mockidp did not start (exit {process.wait()})")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc: this bench needs Linux")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--mix", choices=("usual", "fat"), default="usual")
    parser.add_argument("--journal-size", type=int, default=1000)
    parser.add_argument("--reset-every", type=int, default=100, help="requests between resets (0: never)")
    parser.add_argument("--every", type=int, default=10_000, help="print RSS every N requests")
    parser.add_argument("--serve-arg", action="append", default=[], help="another `mockidp serve` option")
    args = parser.parse_args()
    process, port = start_server(["--journal-size", str(args.journal_size), *args.serve_arg])
    soak = Soak(port, args.mix == "fat")
    marks = sorted({1_000, 2_000, 5_000, *range(args.every, args.requests + 1, args.every)})
    print(f"mockidp serve --journal-size {args.journal_size} {' '.join(args.serve_arg)}; mix {args.mix}; "
          f"reset every {args.reset_every or 'never'}; {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"{'requests':>9} {'RSS MB':>8} {'req/s':>7} {'ring<=':>8} {'load avg':>9}")
    _row(0, process.pid, 0.0, args.journal_size)
    started, since_reset, index = time.perf_counter(), 0, 0
    try:
        while soak.sent < args.requests:
            before = soak.sent
            soak.cycle(index)
            index += 1
            since_reset += soak.sent - before
            if args.reset_every and since_reset >= args.reset_every:
                soak.call("POST", "/_mock/reset")
                since_reset = 0
            while marks and soak.sent >= marks[0]:
                _row(marks.pop(0), process.pid, soak.sent / (time.perf_counter() - started), args.journal_size)
        if args.journal_size:
            _check_journal(port)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _row(mark: int, pid: int, rate: float, journal_size: int) -> None:
    """One line; `ring<=` is the most entries the journal can hold by then (min(requests, size));
    the byte bound may keep fewer. The journal itself is not read here: serializing a full ring
    would move RSS by itself."""
    ring = min(mark, journal_size)
    print(f"{mark:>9} {rss_mb(pid):>8.1f} {rate:>7.0f} {ring:>8} {os.getloadavg()[0]:>9.1f}", flush=True)


def _check_journal(port: int) -> None:
    """The journal was on: the last /userinfo calls are in it (a small, filtered read)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    connection.request("GET", "/_mock/journal?path=/userinfo")
    entries = json.loads(connection.getresponse().read())["entries"]
    connection.close()
    print(f"journal check: {len(entries)} /userinfo entries in the ring, the last {entries[-1]['id'] if entries else '-'}")


if __name__ == "__main__":
    main()
