"""The pytest plugin under pytest-xdist: `pytest -n 4` over a suite that creates the same email in
every test passes in-process (a server per worker) and against one shared `mockidp serve` via
--mockidp-url (a tenant per worker, deleted at the end), under /t/{name}/ or, with
--mockidp-listener, on ports of its own."""
from __future__ import annotations

import os
import selectors
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

SUITE = textwrap.dedent('''
    import os

    import pytest
    import requests


    @pytest.mark.parametrize("attempt", range(12))
    def test_same_email_every_time(mockidp, attempt):
        token = mockidp.management_token()
        created = requests.post(f"{mockidp.url}/api/v2/users", timeout=30,
                                headers={"Authorization": f"Bearer {token}"},
                                json={"connection": "Username-Password-Authentication",
                                      "email": "same@example.com", "password": "Sup3r$ecret!"})
        assert created.status_code == 201, created.text
        assert [m["to"] for m in mockidp.outbox()] == ["same@example.com"]
        if os.environ.get("EXPECT_REMOTE"):
            assert "/t/pytest-gw" in mockidp.url and mockidp.domain.endswith(mockidp.url.split("/t/")[1])
            requests.get(f"{mockidp.https_url}/_mock/health", verify=str(mockidp.ca_bundle), timeout=30)
        if os.environ.get("EXPECT_LISTENER"):  # a tenant on ports of its own: a bare domain
            assert "/t/" not in mockidp.url and "/" not in mockidp.domain
            requests.get(f"{mockidp.https_url}/_mock/health", verify=str(mockidp.ca_bundle), timeout=30)
''')


def run_suite(tmp_path: Path, *options: str, env: dict | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "test_suite.py").write_text(SUITE)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "4", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), *options, str(tmp_path)],
                          cwd=tmp_path, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=300)


def test_xdist_in_process(tmp_path):
    result = run_suite(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 passed" in result.stdout


@pytest.fixture
def served(tmp_path):
    """`mockidp serve` with HTTP and HTTPS on free ports, as a CI service would run it."""
    process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", "--port", "0", "--tls", "--tls-port", "0",
                                "--cert-dir", str(tmp_path / "certs")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield _listening_url(process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def _listening_url(process: subprocess.Popen, timeout: float = 60) -> str:
    """The HTTP URL from the start-up banner (read with a deadline, never a sleep). Raw reads:
    a buffered readline would hide lines already read from select()."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        seen += chunk
        for line in seen.decode(errors="replace").splitlines():
            if line.strip().startswith("listening") and "http://" in line:
                return line.split()[-1]
    raise AssertionError("mockidp serve did not start:\n" + seen.decode(errors="replace"))


def test_xdist_against_one_shared_server(tmp_path, served):
    result = run_suite(tmp_path, "--mockidp-url", served, env={"EXPECT_REMOTE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 passed" in result.stdout
    # Every worker's tenant was deleted at the end of its session.
    names = [tenant["name"] for tenant in requests.get(f"{served}/_mock/tenants", timeout=10).json()["tenants"]]
    assert names == ["default"]
    # ... and none of them touched the default tenant.
    assert requests.get(f"{served}/_mock/outbox", timeout=10).json()["messages"] == []


def test_xdist_against_one_shared_server_with_a_listener_per_worker(tmp_path, served):
    result = run_suite(tmp_path, "--mockidp-url", served, env={"EXPECT_LISTENER": "1", "MOCKIDP_LISTENER": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 passed" in result.stdout
    names = [tenant["name"] for tenant in requests.get(f"{served}/_mock/tenants", timeout=10).json()["tenants"]]
    assert names == ["default"]  # deleted at the end, their ports closed with them
