"""What latency rules (and fault rules and barriers) cost on routes they do not match.

    .venv/bin/python bench/bench_latency.py [--quick]

Serves mockidp (HTTP, default fixture) in a subprocess and times GET /.well-known/jwks.json, the
cheapest route, so any per-request overhead of the traffic hook shows as much as it can, with:
  - 0 rules;
  - 50 latency routes that do not match it;
  - 50 latency routes + 50 fault rules + 50 barriers, none matching.
Scenarios are interleaved round by round so machine drift hits them all alike. One keep-alive
client sends requests back to back: requests/s, p50 and p99 per scenario. Then, in process, the
cost of the hook's decision itself (Traffic.plan) per request. Prints numbers; asserts only that
every timed request succeeded. Every loop has a fixed count, so the script always ends.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the checkout's mockidp, whatever the venv has installed

from mockidp.core.tenant.clock import Clock  # noqa: E402
from mockidp.core.traffic.controls import Traffic  # noqa: E402

HOST = "127.0.0.1"
ROUTE = "/.well-known/jwks.json"
RULES = 50
SERVER = """
import sys
from mockidp.runtime import MockIdP
mock = MockIdP(port=0).start()
print(mock.url_for("http"), flush=True)
sys.stdin.read()  # until the bench closes our stdin
mock.stop()
"""


def non_matching_latency_routes() -> list[dict]:
    """Close to ROUTE on purpose (same prefixes, same method), so matching has to look."""
    shapes = ["/.well-known/other-{i}", "/.well-known/jwks.json/{i}", "/api/v2/users/*/r{i}",
              "/api/v2/thing{i}/**", "/oauth/token{i}"]
    return [{"method": "GET", "path": shapes[i % len(shapes)].format(i=i), "ms": 100 + i}
            for i in range(RULES)]


def non_matching_faults() -> list[dict]:
    return [{"method": "GET", "path": f"/.well-known/x{i}/*", "status": 503} for i in range(RULES)]


def non_matching_barriers() -> list[dict]:
    return [{"method": "*", "path": f"/dbconnections/thing{i}"} for i in range(RULES)]


SCENARIOS = {
    "0 rules": ([], [], []),
    f"{RULES} non-matching latency routes": (non_matching_latency_routes(), [], []),
    f"{RULES} latency + {RULES} faults + {RULES} barriers": (
        non_matching_latency_routes(), non_matching_faults(), non_matching_barriers()),
}


class Server:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], cwd=REPO, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        url = self.process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"mockidp did not start: {url!r}")
        self.port = int(url.rsplit(":", 1)[1])
        self.connection = http.client.HTTPConnection(HOST, self.port, timeout=30)

    def call(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.connection.request(method, path, None if body is None else json.dumps(body), headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def install(self, latency: list[dict], faults: list[dict], barriers: list[dict]) -> None:
        assert self.call("POST", "/_mock/reset")[0] == 200
        assert self.call("PATCH", "/_mock/settings", {"latency": {"routes": latency}})[0] == 200
        for rule in faults:
            assert self.call("POST", "/_mock/faults", rule)[0] == 201
        for barrier in barriers:
            assert self.call("POST", "/_mock/barriers", barrier)[0] == 201

    def stop(self) -> None:
        self.connection.close()
        self.process.stdin.close()
        self.process.wait(timeout=30)


def time_requests(server: Server, count: int) -> list[float]:
    durations = []
    for _ in range(count):
        start = time.perf_counter()
        status, _ = server.call("GET", ROUTE)
        durations.append(time.perf_counter() - start)
        assert status == 200, status
    return durations


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def plan_cost_us(latency: list[dict], faults: list[dict], barriers: list[dict], calls: int) -> float:
    """Microseconds Traffic.plan takes per request on ROUTE, in process (no HTTP)."""
    traffic = Traffic(0, Clock(), {"routes": latency})
    for rule in faults:
        traffic.faults.add(rule)
    for barrier in barriers:
        traffic.barriers.add(barrier)
    no_body = lambda: None  # noqa: E731
    best = float("inf")
    for _ in range(5):  # best of 5: the floor is the cost; the rest is the machine
        start = time.perf_counter()
        for _ in range(calls):
            traffic.plan("GET", ROUTE, no_body)
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    args = parser.parse_args()
    rounds, per_round, warmup, plan_calls = (2, 300, 100, 20_000) if args.quick else (6, 1500, 300, 200_000)

    server = Server()
    samples: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    rates: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    try:
        for _ in range(rounds):
            for name, rules in SCENARIOS.items():
                server.install(*rules)
                time_requests(server, warmup)
                durations = time_requests(server, per_round)
                samples[name].extend(durations)
                rates[name].append(len(durations) / sum(durations))
    finally:
        server.stop()

    print(f"GET {ROUTE}, 1 keep-alive client, {rounds} interleaved rounds x {per_round} requests; "
          f"Python {sys.version.split()[0]}")
    print(f"{'scenario':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'plan() us':>10}")
    for name, rules in SCENARIOS.items():
        rate = statistics.median(rates[name])
        p50, p99 = percentile(samples[name], 0.50) * 1000, percentile(samples[name], 0.99) * 1000
        cost = plan_cost_us(*rules, plan_calls)
        print(f"{name:48} {rate:8.0f} {p50:8.3f} {p99:8.3f} {cost:10.2f}")


if __name__ == "__main__":
    main()
