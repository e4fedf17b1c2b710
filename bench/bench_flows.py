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
import statistics
import sys

from flowkit import (Server, client_credentials, code_flow_with_login, code_flow_with_session, password_grant,
                     percentile_ms, run)

SCENARIOS = {
    "client credentials (reference)": client_credentials,
    "password grant": password_grant,
    "code flow + PKCE, login page": code_flow_with_login,
    "code flow + PKCE, SSO session": code_flow_with_session,
}


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
