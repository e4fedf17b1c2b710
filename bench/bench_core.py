"""Core benchmarks: mockidp against a bare Flask app served the same way. Prints numbers; it is
not a test and asserts nothing except that every request it times succeeded.

    .venv/bin/python bench/bench_core.py [--quick]

1. start-up to the first 200 from /_mock/health (subprocesses, median of 5)
2. requests/s and p50/p99 latency with 8 keep-alive clients over HTTP and HTTPS
3. POST /_mock/reset and Tenant.reset() with 1,000 generated users
4. exact-email search at 100,000 users, with a scanning query for contrast

Both servers run as subprocesses on cheroot through mockidp.server.ServerThread with the same
thread count, and the bench talks only to 127.0.0.1. Every loop has a fixed count (polling
included), so the script always ends. See bench/README.md for what each row means.
"""
from __future__ import annotations

import argparse
import compileall
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from dataclasses import replace as replace_plan
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
# Import (and run) the checkout's mockidp whatever state the venv's editable install is in.
sys.path.insert(0, str(REPO))

from mockidp.core.fixtures.files import DEFAULT_FIXTURE  # noqa: E402
from mockidp.core.tokens.keys import load_or_create_signing_key  # noqa: E402
from mockidp.server import DEFAULT_THREADS  # noqa: E402
from mockidp.tls import ensure_certificates  # noqa: E402
from flowkit import process_cpu_seconds  # noqa: E402  (bench/ is on sys.path: run as a script)

PYTHON = sys.executable
BARE_APP = REPO / "bench" / "bare_app.py"
HOST = "127.0.0.1"
M2M_CLIENT_ID = "mockidpM2MClient0000000000000000"
M2M_CLIENT_SECRET = "mockidp-m2m-secret-0000000000000000000000000000000000000000000000"
BARE_USER_ID = "auth0|" + f"{7:024x}"  # one of bare_app's users
CLIENTS = 8
POLL_INTERVAL = 0.002          # seconds between health polls while a server starts
POLL_LIMIT = 30 / POLL_INTERVAL  # ...for at most 30 s (a count, so the loop is bounded)


@dataclass(frozen=True)
class Plan:
    startup_runs: int = 5
    load_rounds: int = 3            # interleaved mockidp/bare rounds per route; median req/s
    requests_per_client: int = 400  # per round
    warmup_per_client: int = 30
    reset_http: int = 50
    reset_inprocess: int = 200
    reset_users: int = 1000
    search_users: int = 100_000
    search_inprocess: int = 200
    search_http: int = 50
    scan_runs: int = 5


QUICK = Plan(startup_runs=2, load_rounds=1, requests_per_client=50, warmup_per_client=5,
             reset_http=10, reset_inprocess=20, search_inprocess=20, search_http=10, scan_runs=2)


# --- small helpers ---------------------------------------------------------------------------

def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: the sockets stay open until all are chosen, so the kernel
    cannot hand the same port out twice (which once put an HTTPS client on an HTTP listener)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile_ms(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def timed(call, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def connect(scheme: str, port: int, ca_file: Path | None) -> http.client.HTTPConnection:
    if scheme == "https":
        context = ssl.create_default_context(cafile=str(ca_file))
        return http.client.HTTPSConnection(HOST, port, timeout=30, context=context)
    return http.client.HTTPConnection(HOST, port, timeout=30)


def call(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
         headers: dict | None = None) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def json_call(conn, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    payload = None if body is None else json.dumps(body).encode()
    status, data = call(conn, method, path, payload,
                        {"Content-Type": "application/json", **(headers or {})})
    if status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
    return json.loads(data)


def management_token(conn, base: str) -> str:
    return json_call(conn, "POST", "/oauth/token", {
        "grant_type": "client_credentials", "client_id": M2M_CLIENT_ID,
        "client_secret": M2M_CLIENT_SECRET, "audience": f"{base}/api/v2/"})["access_token"]


def health_ok(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            return call(conn, "GET", "/_mock/health")[0] == 200
        finally:
            conn.close()
    except OSError:  # not listening yet
        return False


class Server:
    """A server subprocess: started, polled until /_mock/health answers 200, stopped."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str], log_dir: Path):
        self.name, self.port = name, port
        # stderr goes to a file, not a pipe nobody drains while the server runs
        self.log = log_dir / f"{name}-{port}.log"
        with open(self.log, "wb") as log:
            self.started = time.perf_counter()
            self.process = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=log)

    def wait_ready(self) -> float:
        """Seconds from spawning to the first 200 from /_mock/health."""
        for _ in range(int(POLL_LIMIT)):
            if health_ok(self.port):
                return time.perf_counter() - self.started
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(POLL_INTERVAL)
        raise RuntimeError(f"{self.name} did not answer /_mock/health within 30 s")

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Env:
    """Everything both servers share: a private cache dir (mockidp's signing key and CA), the
    certificates and the bare app's data."""

    root: Path
    cache: Path = field(init=False)
    cert_dir: Path = field(init=False)
    bare_data: Path = field(init=False)
    environ: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.cache = self.root / "cache"
        self.cert_dir = self.root / "certs"
        self.bare_data = self.root / "bare"
        self.bare_data.mkdir(parents=True)
        # mockidp keeps its signing key in $XDG_CACHE_HOME/mockidp: create it now, so no timed
        # start-up generates one, and give the bare app the same key and JWKS.
        key = load_or_create_signing_key(self.cache / "mockidp")
        shutil.copy(self.cache / "mockidp" / "signing-key.pem", self.bare_data / "signing-key.pem")
        (self.bare_data / "jwks.json").write_text(json.dumps({"keys": [key.jwk]}, separators=(",", ":")))
        self.tls = ensure_certificates(self.cert_dir, [HOST])
        self.environ = {k: v for k, v in os.environ.items() if not k.startswith("MOCKIDP_")}
        self.environ.update(XDG_CACHE_HOME=str(self.cache), PYTHONPATH=str(REPO))
        # Measure what an installed package starts like: with bytecode compiled (pip compiles it;
        # a machine that sets PYTHONDONTWRITEBYTECODE would otherwise recompile every module of
        # the checkout on every start, while Flask's stay precompiled).
        self.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        compileall.compile_dir(str(REPO / "mockidp"), quiet=1)
        compileall.compile_file(str(BARE_APP), quiet=1)

    def mockidp(self, port: int, *, tls_port: int | None = None, fixtures: list[Path] = ()) -> Server:
        argv = [PYTHON, "-m", "mockidp", "serve", "--host", HOST, "--port", str(port),
                "--threads", str(DEFAULT_THREADS)]
        for fixture in fixtures:
            argv += ["--fixtures", str(fixture)]
        if tls_port:
            argv += ["--tls", "--tls-port", str(tls_port), "--cert-dir", str(self.cert_dir)]
        return Server("mockidp", argv, port, self.environ, self.root)

    def bare(self, port: int, *, tls_port: int | None = None, preload_key: bool = False,
             pause_gc: bool = False) -> Server:
        argv = [PYTHON, str(BARE_APP), "--host", HOST, "--port", str(port),
                "--threads", str(DEFAULT_THREADS), "--data-dir", str(self.bare_data)]
        if preload_key:
            argv.append("--preload-key")
        if pause_gc:
            argv.append("--pause-gc")
        if tls_port:
            argv += ["--tls-port", str(tls_port), "--cert", str(self.tls.cert), "--key", str(self.tls.key)]
        return Server("bare", argv, port, self.environ, self.root)


class Table:
    def __init__(self, title: str, columns: list[tuple[str, int]]):
        self.columns = columns
        print(f"\n{title}")
        print("  " + "  ".join(f"{name:>{width}}" if i else f"{name:<{width}}"
                               for i, (name, width) in enumerate(columns)))

    def row(self, *cells) -> None:
        text = []
        for i, (cell, (_, width)) in enumerate(zip(cells, self.columns)):
            if isinstance(cell, float):
                cell = f"{cell:.3f}" if cell < 10 else f"{cell:.1f}" if cell < 1000 else f"{cell:.0f}"
            text.append(f"{cell!s:>{width}}" if i else f"{cell!s:<{width}}")
        print("  " + "  ".join(text), flush=True)


VERDICTS: list[str] = []


def verdict(name: str, met: bool, detail: str) -> str:
    line = f"{'MET   ' if met else 'MISSED'}  {name}: {detail}"
    VERDICTS.append(line)
    return "met" if met else "MISSED"


# --- 1. start-up -----------------------------------------------------------------------------

def bench_startup(env: Env, plan: Plan) -> None:
    variants = {
        "bare Flask, health only": lambda port: env.bare(port),
        "bare Flask + jose, key pre-loaded": lambda port: env.bare(port, preload_key=True),
        "bare Flask, GC paused like mockidp": lambda port: env.bare(port, pause_gc=True),
        "mockidp serve (default fixtures)": lambda port: env.mockidp(port),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for run in range(plan.startup_runs + 1):  # run 0 warms the OS file cache and .pyc files
        for name, start in variants.items():  # interleaved, so drift hits every variant alike
            server = start(free_port())
            try:
                elapsed = server.wait_ready()
            finally:
                server.stop()
            if run:
                samples[name].append(elapsed)
    base = median_ms(samples["bare Flask, health only"])
    base_min = min(samples["bare Flask, health only"])
    table = Table(f"1. Start-up: spawn to first 200 from /_mock/health (median of {plan.startup_runs}; "
                  "min is the steadier number on a busy machine)",
                  [("server", 34), ("median ms", 10), ("min ms", 8), ("max ms", 8), ("x bare", 7),
                   ("x bare (min)", 12)])
    for name, values in samples.items():
        table.row(name, median_ms(values), min(values) * 1000, max(values) * 1000,
                  f"{median_ms(values) / base:.2f}", f"{min(values) / base_min:.2f}")
    mockidp = median_ms(samples["mockidp serve (default fixtures)"])
    preloaded = median_ms(samples["bare Flask + jose, key pre-loaded"])
    paused = median_ms(samples["bare Flask, GC paused like mockidp"])
    verdict("start-up within 1.2x of the bare app", mockidp / base <= 1.2,
            f"{mockidp / base:.2f}x ({mockidp:.0f} vs {base:.0f} ms; "
            f"{mockidp / preloaded:.2f}x the bare app with its key pre-loaded, "
            f"{mockidp / paused:.2f}x the bare app with the same GC pause)")


# --- 2. throughput and latency ---------------------------------------------------------------

@dataclass
class Route:
    label: str
    method: str
    read: bool  # the 0.8x target is for reads

    def request(self, target: "Target") -> tuple[str, bytes | None, dict]:
        if self.label == "GET jwks":
            return "/.well-known/jwks.json", None, {}
        if self.label == "GET user":
            return (f"/api/v2/users/{quote(target.user_id, safe='')}", None,
                    {"Authorization": f"Bearer {target.token}"})
        body = json.dumps({"grant_type": "client_credentials", "client_id": M2M_CLIENT_ID,
                           "client_secret": M2M_CLIENT_SECRET,
                           "audience": f"{target.base}/api/v2/"}).encode()
        return "/oauth/token", body, {"Content-Type": "application/json"}


ROUTES = [Route("GET jwks", "GET", True), Route("GET user", "GET", True),
          Route("POST token", "POST", False)]


@dataclass
class Target:
    name: str
    server: Server
    scheme: str
    port: int
    ca_file: Path
    user_id: str = ""
    token: str = ""

    @property
    def base(self) -> str:
        return f"{self.scheme}://{HOST}:{self.port}"


@dataclass
class LoadResult:
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)   # seconds per request
    client_cpu: list[float] = field(default_factory=list)   # share of one core


def run_load(target: Target, route: Route, requests_per_client: int, warmup: int,
             result: LoadResult) -> None:
    """CLIENTS threads, one keep-alive connection each; every response must be a 200."""
    path, body, headers = route.request(target)
    connections = [connect(target.scheme, target.port, target.ca_file) for _ in range(CLIENTS)]
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    failures: list[str] = []
    barrier = threading.Barrier(CLIENTS + 1)
    done = threading.Barrier(CLIENTS + 1)

    def client(index: int) -> None:
        conn, mine = connections[index], latencies[index]
        try:
            for _ in range(warmup):  # opens the connection (and TLS session) and warms caches
                status, _ = call(conn, route.method, path, body, headers)
                if status != 200:
                    failures.append(f"warm-up: HTTP {status}")
            barrier.wait()
            for _ in range(requests_per_client):
                start = time.perf_counter()
                status, _ = call(conn, route.method, path, body, headers)
                mine.append(time.perf_counter() - start)
                if status != 200:
                    failures.append(f"HTTP {status}")
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
            barrier.abort()
        finally:
            done.wait()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    start, cpu_start, server_start = time.perf_counter(), time.process_time(), target.server.cpu_seconds()
    done.wait()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    server_end = target.server.cpu_seconds()
    for thread in threads:
        thread.join(timeout=30)
    for conn in connections:
        conn.close()
    if failures:
        raise RuntimeError(f"{target.name} {route.label} over {target.scheme}: {failures[:3]}")
    total = CLIENTS * requests_per_client
    result.rates.append(total / elapsed)
    result.latencies.extend(value for mine in latencies for value in mine)
    result.client_cpu.append(cpu / elapsed)
    if server_start is not None and server_end is not None:
        result.server_cpu.append((server_end - server_start) / total)


def bench_throughput(env: Env, plan: Plan) -> None:
    mockidp_http, mockidp_https, bare_http, bare_https = free_ports(4)
    ports = {"mockidp": (mockidp_http, mockidp_https), "bare": (bare_http, bare_https)}
    servers = {"mockidp": env.mockidp(ports["mockidp"][0], tls_port=ports["mockidp"][1]),
               "bare": env.bare(ports["bare"][0], tls_port=ports["bare"][1])}
    try:
        for server in servers.values():
            server.wait_ready()
        table = Table(f"2. Throughput: {CLIENTS} keep-alive clients (threads), cheroot "
                      f"{DEFAULT_THREADS} threads; {plan.load_rounds} rounds x {CLIENTS} x "
                      f"{plan.requests_per_client} requests, median round",
                      [("scheme route", 16), ("server", 7), ("req/s", 7), ("p50 ms", 7),
                       ("p99 ms", 7), ("srv CPU ms/req", 14), ("bench CPU", 9), ("x bare", 7)])
        for scheme, port_index in (("http", 0), ("https", 1)):
            targets = {}
            for name, server in servers.items():
                target = Target(name, server, scheme, ports[name][port_index], env.tls.ca_cert)
                if name == "mockidp":
                    conn = connect(scheme, target.port, target.ca_file)
                    target.token = management_token(conn, target.base)
                    found = json_call(conn, "GET", "/api/v2/users-by-email?email=alice%40example.com",
                                      headers={"Authorization": f"Bearer {target.token}"})
                    target.user_id = found[0]["user_id"]
                    conn.close()
                else:
                    target.user_id, target.token = BARE_USER_ID, "unused"
                targets[name] = target
            for route in ROUTES:
                results = {name: LoadResult() for name in targets}
                for _ in range(plan.load_rounds):  # interleaved, so drift hits both alike
                    for name, target in targets.items():
                        run_load(target, route, plan.requests_per_client, plan.warmup_per_client,
                                 results[name])
                bare_rate = statistics.median(results["bare"].rates)
                for name in ("bare", "mockidp"):
                    res = results[name]
                    rate = statistics.median(res.rates)
                    ratio = rate / bare_rate
                    cpu = f"{statistics.median(res.server_cpu) * 1000:.3f}" if res.server_cpu else "n/a"
                    table.row(f"{scheme} {route.label}" if name == "bare" else "", name, rate,
                              percentile_ms(res.latencies, 0.5), percentile_ms(res.latencies, 0.99),
                              cpu, f"{statistics.median(res.client_cpu):.0%}", f"{ratio:.2f}")
                    if name == "mockidp" and route.read:
                        verdict(f"{scheme} {route.label} >= 0.8x bare throughput", ratio >= 0.8,
                                f"{ratio:.2f}x ({rate:.0f} vs {bare_rate:.0f} req/s)")
    finally:
        for server in servers.values():
            server.stop()


# --- 3. reset --------------------------------------------------------------------------------

def bench_reset(env: Env, plan: Plan) -> None:
    from mockidp.runtime import build_tenant

    generated = env.root / f"generate-{plan.reset_users}.yaml"
    generated.write_text(f"generate: {{users: {plan.reset_users}}}\n")
    fixtures = [DEFAULT_FIXTURE, generated]
    port = free_port()
    server = env.mockidp(port, fixtures=fixtures)
    try:
        server.wait_ready()
        conn = connect("http", port, None)
        call(conn, "POST", "/_mock/reset")  # opens the keep-alive connection
        http_samples = timed(lambda: _expect_200(call(conn, "POST", "/_mock/reset")), plan.reset_http)
        conn.close()
    finally:
        server.stop()
    tenant = build_tenant(fixtures)
    users = len(tenant.directory.users)
    inprocess = timed(tenant.reset, plan.reset_inprocess)
    table = Table(f"3. Reset with {users} users (fixture generate: {{users: {plan.reset_users}}})",
                  [("operation", 41), ("median ms", 10), ("p90 ms", 8), ("runs", 5)])
    table.row("POST /_mock/reset over HTTP (keep-alive)", median_ms(http_samples),
              percentile_ms(http_samples, 0.9), len(http_samples))
    table.row("tenant.reset() in-process", median_ms(inprocess), percentile_ms(inprocess, 0.9),
              len(inprocess))
    verdict("reset < 5 ms (HTTP)", median_ms(http_samples) < 5, f"{median_ms(http_samples):.3f} ms")
    verdict("reset < 5 ms (in-process)", median_ms(inprocess) < 5, f"{median_ms(inprocess):.3f} ms")


def _expect_200(response: tuple[int, bytes]) -> None:
    if response[0] != 200:
        raise RuntimeError(f"HTTP {response[0]}: {response[1][:300]!r}")


# --- 4. search -------------------------------------------------------------------------------

def bench_search(env: Env, plan: Plan) -> None:
    from mockidp.app import create_app
    from mockidp.core.directory.users import list_users
    from mockidp.runtime import build_tenant
    from mockidp.server import ServerThread, quiet_cheroot

    generated = env.root / f"generate-{plan.search_users}.yaml"
    generated.write_text(f"generate: {{users: {plan.search_users}}}\n")
    start = time.perf_counter()
    tenant = build_tenant([DEFAULT_FIXTURE, generated], state_dir=env.cache / "mockidp")
    generation = time.perf_counter() - start
    records = list(tenant.directory.users.values())
    email = records[len(records) // 2].profile["email"]
    queries = [(f'email:"{email}"', "index", plan.search_inprocess, plan.search_http),
               ("name:*son*", "scan", plan.scan_runs, plan.scan_runs),
               ("given_name:adam", "scan", plan.scan_runs, plan.scan_runs)]

    # The HTTP rows use an in-process cheroot (ServerThread) on this tenant rather than a second
    # 100k-user subprocess; the client is serial, so it never competes with the server for the GIL.
    quiet_cheroot()
    server = ServerThread(create_app(tenant), HOST, 0, threads=DEFAULT_THREADS).start()
    table = Table(f"4. Search at {len(records)} users (generating them took {generation:.1f} s)",
                  [("query", 40), ("uses", 5), ("via", 10), ("median ms", 10), ("matches", 8),
                   ("runs", 5)])
    try:
        conn = connect("http", server.port, None)
        token = management_token(conn, f"http://{HOST}:{server.port}")
        auth = {"Authorization": f"Bearer {token}"}
        for query, what, runs_inprocess, runs_http in queries:
            def in_process(q=query):
                return list_users(tenant, query=q, page=0, per_page=50, sort=None, fields=None,
                                  include_fields=True)
            _, matches = in_process()
            inprocess = timed(in_process, runs_inprocess)
            path = f"/api/v2/users?q={quote(query)}&search_engine=v3&per_page=50&include_totals=true"
            json_call(conn, "GET", path, headers=auth)  # warm-up (validators, query parser)
            over_http = timed(lambda p=path: json_call(conn, "GET", p, headers=auth), runs_http)
            table.row(query, what, "in-process", median_ms(inprocess), matches, runs_inprocess)
            table.row("", "", "HTTP", median_ms(over_http), matches, runs_http)
            if what == "index":
                verdict("exact-email search < 2 ms (in-process)", median_ms(inprocess) < 2,
                        f"{median_ms(inprocess):.3f} ms")
                verdict("exact-email search < 2 ms (HTTP)", median_ms(over_http) < 2,
                        f"{median_ms(over_http):.3f} ms")
        conn.close()
    finally:
        server.stop()


# --- main ------------------------------------------------------------------------------------

SECTIONS = {"startup": bench_startup, "throughput": bench_throughput, "reset": bench_reset,
            "search": bench_search}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    parser.add_argument("--startup-runs", type=int, default=None,
                        help="start-ups per variant (default 5, the target's median of 5); more "
                             "samples steady the median on a machine whose speed drifts")
    args = parser.parse_args()
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    plan = QUICK if args.quick else Plan()
    if args.startup_runs is not None:
        if args.startup_runs < 1:
            parser.error("--startup-runs must be at least 1")
        plan = replace_plan(plan, startup_runs=args.startup_runs)
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("n/a",)
    print(f"mockidp core benchmarks, {datetime.datetime.now().isoformat(timespec='seconds')}"
          f"{' (--quick)' if args.quick else ''}")
    print(f"machine: nproc {os.cpu_count()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()} {platform.release()} "
          f"{platform.machine()}, load average {' '.join(f'{x:.2f}' for x in load)}")
    root = Path(tempfile.mkdtemp(prefix="mockidp-bench-"))
    try:
        env = Env(root)
        for name in wanted:
            SECTIONS[name](env, plan)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("\nTargets:")
    for line in VERDICTS:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
