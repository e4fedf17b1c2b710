"""`mockidp serve` and `mockidp ca-bundle` as a user runs them."""
from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys

from pathlib import Path

import pytest
import requests

from mockidp.core.tenant.clock import monotonic


def read_banner(process: subprocess.Popen, deadline_seconds: float = 60) -> str:
    """Collect stdout until the banner's last line, bounded by a deadline."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    output, deadline = b"", monotonic() + deadline_seconds
    while monotonic() < deadline and b"\n  control" not in output:
        if not selector.select(timeout=deadline - monotonic()):
            break
        chunk = os.read(process.stdout.fileno(), 65536)  # raw reads: no hidden buffering
        if not chunk:
            break
        output += chunk
    if b"\n  control" not in output:
        raise AssertionError(f"no banner; got {output!r}")
    return output.decode()


@pytest.fixture
def serve(tmp_path):
    processes = []

    def start(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
        process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})})
        processes.append(process)
        return process, read_banner(process)

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        process.stdout.close()


def test_serve_http_and_https_and_print_what_a_user_needs(serve, tmp_path):
    process, banner = serve("--port", "0", "--tls", "--tls-port", "0", "--cert-dir", str(tmp_path))
    assert "MOCK of Auth0" in banner and "never use it in production" in banner
    http_url = re.search(r"listening\s+(http://\S+)", banner).group(1)
    https_url = re.search(r"listening\s+(https://\S+)", banner).group(1)
    assert f"issuer      {https_url}/" in banner
    assert "mockidpM2MClient0000000000000000" in banner
    ca_file = tmp_path / "ca.pem"
    assert f"CA file     {ca_file}" in banner
    assert requests.get(f"{http_url}/_mock/health", timeout=30).json()["status"] == "ok"
    assert requests.get(f"{https_url}/_mock/health", verify=str(ca_file), timeout=30).status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_options_read_environment_variables(serve):
    _, banner = serve(env={"MOCKIDP_PORT": "0", "MOCKIDP_PUBLIC_URL": "http://idp.example.test:9999"})
    assert "issuer      http://idp.example.test:9999/" in banner
    url = re.search(r"listening\s+(http://\S+)", banner).group(1)
    config = requests.get(f"{url}/.well-known/openid-configuration", timeout=30).json()
    assert config["issuer"] == "http://idp.example.test:9999/"
    assert config["token_endpoint"] == "http://idp.example.test:9999/oauth/token"


def test_tenant_ports_from_the_environment_give_new_tenants_their_own_port(serve):
    from test_tenant_listeners import free_port_range

    ports = free_port_range(2)
    process, banner = serve(env={"MOCKIDP_PORT": "0", "MOCKIDP_TENANT_PORTS": str(ports)})
    assert f"tenants     own ports from {ports}" in banner
    url = re.search(r"listening\s+(http://\S+)", banner).group(1)
    made = requests.post(f"{url}/_mock/tenants", json={"name": "acme"}, timeout=30).json()
    assert made["domain"] == f"localhost:{ports.first}"
    assert requests.get(f"{made['url']}/.well-known/openid-configuration", timeout=30).json()["issuer"] == \
        f"http://localhost:{ports.first}/"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    with pytest.raises(requests.ConnectionError):  # the tenant's listener stopped with the server
        requests.get(f"{made['url']}/_mock/health", timeout=30)


def test_binds_loopback_by_default(serve):
    _, banner = serve("--port", "0")
    assert re.search(r"listening\s+http://localhost:\d+", banner)
    help_text = subprocess.run([sys.executable, "-m", "mockidp", "serve", "--help"], capture_output=True,
                               text=True, timeout=60).stdout
    assert "default 127.0.0.1" in help_text


def test_ca_bundle_prints_a_bundle_with_mockidp_ca(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mockidp", "ca-bundle", "--cert-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    bundle = result.stdout.strip()
    content = Path(bundle).read_text(encoding="utf-8")
    assert (tmp_path / "ca.pem").read_text() in content
    assert content.count("BEGIN CERTIFICATE") > 50  # the public roots are there too


# --- misuse: one line naming the problem, exit status 2, never a traceback ------------------------

MISUSES = {
    "port out of range": (["--port", "99999"], {}, "--port or MOCKIDP_PORT"),
    "negative threads": (["--threads", "-2"], {}, "--threads or MOCKIDP_THREADS"),
    "port from the environment": ([], {"MOCKIDP_PORT": "abc"}, "'abc' (from --port or MOCKIDP_PORT)"),
    "a flag that is not one": (["--port", "0"], {"MOCKIDP_TLS": "maybe"}, "MOCKIDP_TLS='maybe' is not a flag"),
    "negative email delay": (["--email-delay", "-1"], {}, "--email-delay or MOCKIDP_EMAIL_DELAY"),
    "latency JSON": (["--port", "0", "--latency", "{bad"], {}, "invalid --latency: Expecting property name"
                     " enclosed in double quotes at line 1 column 2"),
    "tenant ports": (["--tenant-ports", "9199-9100"], {}, ("'9199-9100' (from --tenant-ports or MOCKIDP_TENANT_PORTS) "
                                                         "is not a port range such as 9100-9199")),
    "tenant ports from the environment": ([], {"MOCKIDP_TENANT_PORTS": "many"}, "--tenant-ports or MOCKIDP_TENANT_PORTS"),
    "unknown host": (["--port", "0", "--host", "no-such-host.invalid"], {}, "cannot listen on no-such-host.invalid"),
}


def run_cli(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockidp", "serve", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("name", sorted(MISUSES))
def test_misuse_ends_with_one_line_and_status_2(name):
    args, env, expected = MISUSES[name]
    result = run_cli(args, env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr.strip().splitlines()[-1], result.stderr


def test_help_works_whatever_the_environment_says():
    result = run_cli(["--help"], {"MOCKIDP_PORT": "abc", "MOCKIDP_THREADS": "x"})
    assert result.returncode == 0 and "--port" in result.stdout, result.stderr


def test_busy_port_exits_without_serving(tmp_path):
    """A busy TLS port stops the whole server (HTTP included), with one line naming it."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for args in (["--port", str(port)],
                     ["--port", "0", "--tls", "--tls-port", str(port), "--cert-dir", str(tmp_path)]):
            result = run_cli(args)
            assert result.returncode == 2, result.stdout + result.stderr
            assert "Traceback" not in result.stderr
            assert "cannot listen" in result.stderr.strip().splitlines()[-1], result.stderr
            assert "listening" not in result.stdout
