"""The test harness's costs, printed: creating a tenant from the default fixture over HTTP,
snapshot and restore of a tenant holding 1,000 users, and the size of its state document.

    .venv/bin/python bench/bench_harness.py [--tenants 20] [--users 1000] [--rounds 20]

An in-process server (mockidp.runtime.MockIdP on a free port, HTTP only, from a private
XDG_CACHE_HOME), driven over HTTP with one keep-alive session. Asserts nothing but the statuses.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="mockidp-bench-")
    import requests

    from mockidp.runtime import MockIdP
    from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}, load average {os.getloadavg()[0]:.1f}")
    mock = MockIdP(tls=False).start()
    base = mock.url_for("http")
    http = requests.Session()
    try:
        create_ms = _timed_each(args.tenants, lambda i: _ok(http.post(f"{base}/_mock/tenants", json={"name": f"b{i}"}), 201))
        delete_ms = _timed_each(args.tenants, lambda i: _ok(http.delete(f"{base}/_mock/tenants/b{i}"), 204))
        _row(f"create a tenant (default fixture), {args.tenants} runs", create_ms)
        _row(f"delete a tenant, {args.tenants} runs", delete_ms)

        _ok(http.post(f"{base}/_mock/tenants", json={"name": "big", "clock": {"frozen": True}}), 201)
        tenant = f"{base}/t/big"
        token = http.post(f"{tenant}/oauth/token", json={
            "grant_type": "client_credentials", "client_id": DEFAULT_M2M_CLIENT_ID,
            "client_secret": DEFAULT_M2M_CLIENT_SECRET, "audience": f"{tenant}/api/v2/"}).json()["access_token"]
        started = time.perf_counter()
        for index in range(args.users):
            _ok(http.post(f"{tenant}/api/v2/users", headers={"Authorization": f"Bearer {token}"}, json={
                "connection": "Username-Password-Authentication", "email": f"u{index}@example.com",
                "password": "Sup3r$ecret!"}), 201)
        print(f"  (setup: {args.users} users created in {time.perf_counter() - started:.1f} s)")
        snapshot_ms = _timed_each(args.rounds, lambda i: _ok(http.post(f"{tenant}/_mock/snapshots", json={"name": f"s{i}"}), 201))
        restore_ms = _timed_each(args.rounds, lambda i: _ok(http.post(f"{tenant}/_mock/snapshots/s{i}/restore"), 200))
        _row(f"snapshot, {args.users + 3} users, {args.rounds} runs", snapshot_ms)
        _row(f"restore, {args.users + 3} users, {args.rounds} runs", restore_ms)
        sizes: list[int] = []
        export_ms = _timed_each(5, lambda i: sizes.append(len(_ok(http.get(f"{tenant}/_mock/state"), 200).content)))
        _row(f"GET /_mock/state ({sizes[0] / 1e6:.2f} MB), 5 runs", export_ms)
        state = http.get(f"{tenant}/_mock/state").json()
        load_ms = _timed_each(5, lambda i: _ok(http.put(f"{tenant}/_mock/state", json=state), 200))
        _row("PUT /_mock/state, 5 runs", load_ms)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        mock.stop()


def _timed_each(count: int, action) -> list[float]:
    times = []
    for index in range(count):
        started = time.perf_counter()
        action(index)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _ok(response, status: int):
    assert response.status_code == status, (response.status_code, response.text[:300])
    return response


def _row(label: str, times: list[float]) -> None:
    print(f"{label:48} median {statistics.median(times):8.2f} ms   min {min(times):8.2f}   max {max(times):8.2f}")


if __name__ == "__main__":
    main()
