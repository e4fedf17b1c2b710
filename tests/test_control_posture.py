"""A web page in the developer's browser cannot drive the control plane or read the outbox, and
a forged Host header never reaches an emailed link: /_mock takes JSON only as application/json,
refuses cross-site origins and hosts outside the allow-list, and can require a control token
(which the pytest plugin then sends)."""
from __future__ import annotations

import os
import subprocess
import sys

import requests
from test_cli import read_banner

from mockidp.testing import MockIdPServer

SPA_WEB_CLIENT = "mockidpWebClient0000000000000000"


def test_a_text_plain_body_cannot_drive_the_control_plane(mockidp):
    before = mockidp.clock()
    response = requests.put(f"{mockidp.url}/_mock/clock", data='{"frozen": true, "now": "2001-01-01T00:00:00Z"}',
                            headers={"Content-Type": "text/plain"}, timeout=30)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_media_type"
    assert mockidp.clock()["frozen"] == before["frozen"]


def test_cross_site_origins_are_refused_and_local_ones_accepted(mockidp):
    evil = requests.post(f"{mockidp.url}/_mock/reset", headers={"Origin": "https://evil.example"}, timeout=30)
    assert evil.status_code == 403 and evil.json()["error"] == "forbidden_origin"
    local = requests.post(f"{mockidp.url}/_mock/reset", headers={"Origin": "http://localhost:3000"}, timeout=30)
    assert local.status_code == 200, local.text


def test_a_rebound_host_cannot_read_the_outbox(mockidp):
    """DNS rebinding: attacker.example resolves to 127.0.0.1, the browser sends its name as Host."""
    for path in ("/_mock/outbox", "/_mock/outbox.html", "/_mock/health"):
        response = requests.get(f"{mockidp.url}{path}", headers={"Host": "attacker.example"}, timeout=30)
        assert response.status_code == 403, path
        assert "attacker.example" in response.json()["message"]


def test_emailed_links_never_follow_a_forged_host(mockidp):
    response = requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=30,
                             headers={"Host": "attacker.example"},
                             json={"client_id": SPA_WEB_CLIENT, "email": "alice@example.com",
                                   "connection": "Username-Password-Authentication"})
    assert response.status_code == 200, response.text
    [email] = mockidp.outbox(to="alice@example.com", template="reset_email")
    assert "attacker.example" not in email["html"]
    assert email["url"].startswith("http://localhost:"), email["url"]


def test_the_plugin_sends_the_control_token_it_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("MOCKIDP_CONTROL_TOKEN", "s3cret-token")
    server = MockIdPServer(cert_dir=tmp_path, tls=False)
    try:
        assert server.clock()["now"]  # the plugin's own calls carry the token
        bare = requests.get(f"{server.url}/_mock/clock", timeout=30)
        assert bare.status_code == 401 and bare.json()["error"] == "unauthorized"
        wrong = requests.get(f"{server.url}/_mock/clock", headers={"Authorization": "Bearer nope"}, timeout=30)
        assert wrong.status_code == 401
    finally:
        server.stop()


def test_serve_takes_a_control_token_and_allowed_hosts():
    env = {**os.environ, "MOCKIDP_CONTROL_TOKEN": "tok"}
    process = subprocess.Popen([sys.executable, "-m", "mockidp", "serve", "--port", "0",
                                "--allowed-host", "mockidp.test"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        banner = read_banner(process)
        url = banner.split("listening", 1)[1].split()[0]
        assert "needs the control token" in banner
        auth = {"Authorization": "Bearer tok"}
        assert requests.get(f"{url}/_mock/health", timeout=30).status_code == 401
        assert requests.get(f"{url}/_mock/health", headers=auth, timeout=30).status_code == 200
        named = requests.get(f"{url}/_mock/health", headers={**auth, "Host": "mockidp.test"}, timeout=30)
        assert named.status_code == 200
        other = requests.get(f"{url}/_mock/health", headers={**auth, "Host": "other.test"}, timeout=30)
        assert other.status_code == 403
        discovery = requests.get(f"{url}/.well-known/openid-configuration", timeout=30,
                                 headers={"Host": "mockidp.test:8080"}).json()
        assert discovery["issuer"] == "http://mockidp.test:8080/"
    finally:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()
