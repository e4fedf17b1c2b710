"""Two checkouts of mockidp side by side: the same rows of bench_tokens.py against both servers,
interleaved, so a change is measured against its base in one run (on a machine whose speed drifts
between runs, only such in-run comparisons hold).

    .venv/bin/python bench/bench_ab.py --base /path/to/other/checkout [--clients 8] [--rounds 4]
                                       [--only "JWKS,GET user"]

Make the base with `git worktree add --detach ../mockidp-base <commit>`. A is the base, B this
checkout. Each round measures every row on both servers, alternating which goes first; printed
per row: the medians of the server's CPU per request (user+system from /proc), req/s and the
server threads' context switches per request. Every loop has a fixed count; the flows assert
only that requests succeed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import flowkit
from bench_tokens import ROWS
from flowkit import Server, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="another mockidp checkout (A)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=960, help="requests per row per round")
    parser.add_argument("--only", help="rows whose name contains this (comma-separated)")
    args = parser.parse_args()
    rows = {name: row for name, row in ROWS.items()
            if not args.only or any(part.lower() in name.lower() for part in args.only.split(","))}
    cache = tempfile.TemporaryDirectory(prefix="mockidp-bench-")  # the servers' keys stay out of ~/.cache
    os.environ["XDG_CACHE_HOME"] = cache.name
    checkouts = {"A": args.base.resolve(), "B": flowkit.REPO}
    servers: dict[str, Server] = {}
    per_client = max(1, args.requests // args.clients)
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    try:
        for label, path in checkouts.items():
            flowkit.REPO = path  # Server starts its subprocess in this checkout
            servers[label] = Server()
        flowkit.REPO = checkouts["B"]
        for round_index in range(args.rounds):
            order = list(servers.items()) if round_index % 2 == 0 else list(reversed(servers.items()))
            for name, (operation, prepare, _) in rows.items():
                for label, server in order:
                    measured = measure(server, operation, args.clients, per_client, 5, prepare)
                    count = per_client * args.clients
                    results.setdefault((name, label), []).append(
                        (1000 * measured.server_cpu / count, measured.rate, measured.server_switches / count))
    finally:
        for server in servers.values():
            server.stop()
        cache.cleanup()
    print(f"bench_ab: A = {checkouts['A']}, B = {checkouts['B']}; c={args.clients}, {args.rounds} rounds "
          f"of {per_client * args.clients} requests per row; 1-min load average {os.getloadavg()[0]:.1f}")
    for name in rows:
        line = f"{name:28s}"
        for label in checkouts:
            samples = results[(name, label)]
            cpu, rate, switches = (statistics.median(sample[i] for sample in samples) for i in range(3))
            line += f"  {label}: CPU {cpu:.3f} ms {rate:6.0f}/s {switches:4.1f}sw"
        print(line)


if __name__ == "__main__":
    main()
