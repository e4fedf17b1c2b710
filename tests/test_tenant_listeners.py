"""Tenant listeners: a named tenant served at the root of ports of its own (POST /_mock/tenants
with "listener", "port" or "tls_port", or by default under --tenant-ports), beside /t/{name}/.
auth0-python takes its bare `domain` unchanged; node-auth0's client credentials and
express-openid-connect's defaults are in tests/test_sdk_node_auth0.py and
tests/test_quickstart_express.py. Also: the same seed gives the same ids and nothing is shared,
DELETE closes the port and frees it, bad ports create nothing, --public-url, snapshots and states."""
from __future__ import annotations

import itertools
import os
import socket
import ssl
from collections.abc import Iterator
from contextlib import closing, contextmanager

import pytest
import requests
from conftest import Api
from test_tenants import assert_same_ids_and_nothing_shared, auth0_python_round_trip, tenant_api
from jose import jwt

from mockidp.listeners import PortRange
from mockidp.runtime import MockIdP
from mockidp.wire import MAX_REQUEST_LINE

SPA = "mockidpSpaClient0000000000000000"
CONNECTION = "Username-Password-Authentication"
_names = itertools.count()


def unique_name() -> str:
    return f"l{os.getpid()}-{next(_names)}"


def free_port_range(size: int) -> PortRange:
    """`size` consecutive ports nobody listens on now (other test processes share this machine,
    so the range is found, not fixed)."""
    for _ in range(200):
        with closing(socket.socket()) as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + size > 65535:
            continue
        held = []
        try:
            for port in range(first, first + size):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
            return PortRange(first, first + size - 1)
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError("no free port range")


def refused(url: str) -> bool:
    try:
        requests.get(f"{url}/_mock/health", timeout=10)
    except requests.ConnectionError:
        return True
    return False


@contextmanager
def server(**options) -> Iterator[MockIdP]:
    """A mockidp of this test's own (options as MockIdP's), stopped on exit."""
    mock = MockIdP(**options).start()
    try:
        yield mock
    finally:
        mock.stop()


def create(base_url: str, **body) -> requests.Response:
    body.setdefault("name", unique_name())
    return requests.post(f"{base_url}/_mock/tenants", json=body, timeout=30)


def tenant_names(base_url: str) -> list[str]:
    return [t["name"] for t in requests.get(f"{base_url}/_mock/tenants", timeout=30).json()["tenants"]]


@pytest.fixture
def new_tenant(mockidp):
    """Creates tenants with listeners on the session's server and deletes them after the test."""
    created: list[str] = []

    def make(**body) -> dict:
        body.setdefault("listener", True)
        response = create(mockidp.server_url, **body)
        assert response.status_code == 201, response.text
        created.append(response.json()["name"])
        return response.json()

    yield make
    for name in created:
        requests.delete(f"{mockidp.server_url}/_mock/tenants/{name}", timeout=30)


def test_a_listener_tenant_is_served_at_the_root_of_its_own_ports(mockidp, new_tenant):
    made = new_tenant()
    ports = made["ports"]
    assert made == {"name": made["name"], "url": f"http://localhost:{ports['http']}",
                    "https_url": f"https://localhost:{ports['https']}",
                    "issuer": f"https://localhost:{ports['https']}/", "domain": f"localhost:{ports['https']}",
                    "ports": ports}
    server_ports = {int(url.rsplit(":", 1)[1]) for url in (mockidp.url, mockidp.https_url)}
    assert len({ports["http"], ports["https"], *server_ports}) == 4
    assert requests.get(f"{mockidp.server_url}/_mock/tenants/{made['name']}", timeout=10).json() == made
    assert made in requests.get(f"{mockidp.server_url}/_mock/tenants", timeout=10).json()["tenants"]

    discovery = requests.get(f"{made['url']}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == made["url"] + "/"
    assert discovery["authorization_endpoint"] == f"{made['url']}/authorize"
    authorize = requests.get(f"{made['https_url']}/authorize", allow_redirects=False, timeout=10,
                             verify=str(mockidp.ca_bundle), params={
        "client_id": SPA, "response_type": "code", "redirect_uri": "http://localhost:3000/callback",
        "scope": "openid", "state": "s", "code_challenge": "x" * 43, "code_challenge_method": "S256"})
    assert authorize.status_code == 302 and authorize.headers["Location"].startswith("/u/login?state=")

    # The path prefix keeps working for the same tenant: one directory, two addresses.
    prefixed = f"{mockidp.url}/t/{made['name']}"
    assert requests.get(f"{prefixed}/.well-known/openid-configuration", timeout=10).json()["issuer"] == prefixed + "/"
    api = tenant_api(mockidp, made)
    user = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "both@example.com",
                                           "password": "Sup3r$ecret!"}).json()
    via_prefix = Api(prefixed, mockidp.management_token(base_url=prefixed))
    assert via_prefix.get(f"/api/v2/users/{user['user_id']}").json()["email"] == "both@example.com"
    # Tokens carry the issuer of the address they were asked at.
    assert jwt.get_unverified_claims(api.session.headers["Authorization"][7:])["iss"] == made["url"] + "/"
    # Tenants are the server's: a tenant's own listener has no /_mock/tenants.
    assert requests.get(f"{made['url']}/_mock/tenants", timeout=10).status_code == 404
    assert requests.get(f"{made['url']}/_mock/health", timeout=10).json()["status"] == "ok"


def test_auth0_python_takes_a_listener_tenants_domain_unchanged(mockidp, new_tenant, monkeypatch):
    auth0_python_round_trip(mockidp, new_tenant(), monkeypatch)


def test_same_seed_same_ids_and_nothing_shared(mockidp, new_tenant):
    first, second = new_tenant(seed=42), new_tenant(seed=42)
    assert_same_ids_and_nothing_shared([tenant_api(mockidp, made) for made in (first, second)])
    default = Api(mockidp.url, mockidp.management_token())
    assert default.get("/api/v2/users-by-email", params={"email": "same@example.com"}).json() == []

    first_outbox = requests.get(f"{first['url']}/_mock/outbox", timeout=10).json()["messages"]
    second_outbox = requests.get(f"{second['url']}/_mock/outbox", timeout=10).json()["messages"]
    assert [m["to"] for m in first_outbox] == ["same@example.com", "first@example.com"]
    assert [m["to"] for m in second_outbox] == ["same@example.com"]
    assert first_outbox[0]["id"] == second_outbox[0]["id"]
    assert mockidp.outbox() == []

    requests.put(f"{first['url']}/_mock/clock", json={"now": "2031-01-01T00:00:00Z", "frozen": True}, timeout=10)
    requests.post(f"{first['url']}/_mock/clock/advance", json={"seconds": 60}, timeout=10)
    assert requests.get(f"{first['url']}/_mock/clock", timeout=10).json() == {
        "now": "2031-01-01T00:01:00.000Z", "frozen": True}
    assert not requests.get(f"{second['url']}/_mock/clock", timeout=10).json()["frozen"]
    assert not mockidp.clock()["frozen"]


def test_delete_closes_the_listener_and_frees_its_port(mockidp, new_tenant):
    wanted = free_port_range(1).first
    made = new_tenant(port=wanted)
    assert made["url"] == f"http://localhost:{wanted}"
    session = requests.Session()
    assert session.get(f"{made['url']}/_mock/health", timeout=10).status_code == 200  # a kept-alive connection
    assert requests.delete(f"{mockidp.server_url}/_mock/tenants/{made['name']}", timeout=10).status_code == 204
    assert refused(made["url"]) and refused(made["https_url"])
    with pytest.raises(requests.ConnectionError):
        session.get(f"{made['url']}/_mock/health", timeout=10)  # the open connection was closed too
    session.close()
    assert requests.get(f"{mockidp.url}/t/{made['name']}/_mock/health", timeout=10).status_code == 404
    again = new_tenant(name=made["name"], port=wanted)  # the port (and the name) are free again
    assert again["url"] == made["url"]


@pytest.mark.parametrize("body, status, error", [
    ({"listener": "yes"}, 400, "invalid_request"),
    ({"port": "9100"}, 400, "invalid_request"),
    ({"port": 0}, 400, "invalid_request"),
    ({"tls_port": 70000}, 400, "invalid_request"),
    ({"port": True}, 400, "invalid_request"),
    ({"listener": False, "port": 9100}, 400, "invalid_request"),
])
def test_bad_listener_options_create_nothing(mockidp, body, status, error):
    response = create(mockidp.server_url, **body)
    assert (response.status_code, response.json()["error"]) == (status, error), response.text
    assert tenant_names(mockidp.server_url) == ["default"]


def test_a_busy_port_creates_nothing(mockidp):
    busy = int(mockidp.url.rsplit(":", 1)[1])  # the server's own HTTP port
    name = unique_name()
    response = create(mockidp.server_url, name=name, port=busy)
    assert response.status_code == 409, response.text
    assert response.json() == {"error": "port_in_use",
                               "message": f"Port {busy} is in use on 127.0.0.1: choose another or leave it out."}
    assert tenant_names(mockidp.server_url) == ["default"]
    # A fixed HTTPS port that is busy gives back the HTTP port already bound for the tenant.
    http_port = free_port_range(1).first
    response = create(mockidp.server_url, name=name, port=http_port, tls_port=busy)
    assert response.status_code == 409 and tenant_names(mockidp.server_url) == ["default"]
    assert refused(f"http://localhost:{http_port}")
    # A build that fails (an invalid fixture) gives its ports back too.
    response = create(mockidp.server_url, name=name, port=http_port, fixtures=[{"users": [{"email": "x@example.com"}]}])
    assert response.status_code == 400 and response.json()["error"] == "invalid_fixture"
    assert refused(f"http://localhost:{http_port}")
    with closing(socket.socket()) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", http_port))  # free
    assert create(mockidp.server_url, name=name, port=http_port).status_code == 201  # the name is free
    requests.delete(f"{mockidp.server_url}/_mock/tenants/{name}", timeout=10)


def test_tenant_ports_give_every_new_tenant_a_listener_until_the_range_is_used_up():
    ports = free_port_range(3)
    with server(tenant_ports=ports) as mock:  # HTTP only: one port per tenant
        root = mock.url_for("http")
        first = create(root).json()
        assert first["url"] == f"http://localhost:{ports.first}" and first["ports"] == {"http": ports.first}
        assert first["https_url"] is None and first["issuer"] == first["url"] + "/"
        prefixed = create(root, listener=False).json()  # opting out: the path prefix only
        assert prefixed["url"] == f"{root}/t/{prefixed['name']}" and "ports" not in prefixed
        outside = create(root, port=ports.last + 1)
        assert outside.status_code == 400
        assert outside.json()["message"] == f'"port": {ports.last + 1} is outside the tenant ports {ports} (--tenant-ports).'
        no_tls = create(root, tls_port=ports.last)
        assert no_tls.status_code == 400 and "serves no HTTPS" in no_tls.json()["message"]
        fixed = create(root, port=ports.last).json()
        assert fixed["ports"] == {"http": ports.last}
        middle = create(root).json()
        assert middle["ports"] == {"http": ports.first + 1}
        exhausted = create(root)
        assert exhausted.status_code == 409 and exhausted.json() == {
            "error": "no_free_port", "message": f"No free port left in the tenant ports {ports} (--tenant-ports): "
                                                "delete a tenant with a listener, or widen the range."}
        assert len(tenant_names(root)) == 5  # default, first, prefixed, fixed, middle
        assert requests.delete(f"{root}/_mock/tenants/{first['name']}", timeout=10).status_code == 204
        assert create(root).json()["ports"] == {"http": ports.first}  # the freed port is taken again
    assert all(refused(f"http://localhost:{port}") for port in range(ports.first, ports.last + 1))


def test_with_tls_a_tenant_takes_a_port_per_scheme_and_a_range_port_taken_elsewhere_is_skipped(tmp_path):
    ports = free_port_range(4)
    with closing(socket.socket()) as squatter:
        squatter.bind(("127.0.0.1", ports.first))
        squatter.listen()
        with server(tls=True, cert_dir=tmp_path, tenant_ports=ports) as mock:
            made = create(mock.url_for("http")).json()
            assert made["ports"] == {"http": ports.first + 1, "https": ports.first + 2}
            assert made["domain"] == f"localhost:{ports.first + 2}"
            short = create(mock.url_for("http"))  # one port left: not enough for two
            assert short.status_code == 409 and short.json()["error"] == "no_free_port"
            assert tenant_names(mock.url_for("http")) == ["default", made["name"]]
            assert refused(f"http://localhost:{ports.last}")  # bound for HTTP, given back


def test_public_url_names_the_listener_with_its_host_and_the_listeners_port():
    ports = free_port_range(1)
    with server(public_url="http://mockidp.test:8080", tenant_ports=ports) as mock:
        root = mock.url_for("http")
        made = create(root).json()
        own = f"http://mockidp.test:{ports.first}"
        assert (made["url"], made["issuer"], made["domain"]) == (own, own + "/", f"mockidp.test:{ports.first}")
        local = f"http://localhost:{ports.first}"  # the tests reach the published port on localhost
        assert requests.get(f"{local}/.well-known/openid-configuration", timeout=10).json()["issuer"] == own + "/"
        prefixed = requests.get(f"{root}/t/{made['name']}/.well-known/openid-configuration", timeout=10).json()
        assert prefixed["issuer"] == f"http://mockidp.test:8080/t/{made['name']}/"


def test_snapshots_and_states_keep_to_the_listener(mockidp, new_tenant):
    made = new_tenant(seed=7)
    api = Api(made["url"], mockidp.management_token(base_url=made["url"]))
    assert requests.post(f"{made['url']}/_mock/snapshots", json={"name": "empty"}, timeout=10).status_code == 201
    api.post("/api/v2/users", json={"connection": CONNECTION, "email": "later@example.com", "password": "Sup3r$ecret!"})
    state = requests.get(f"{made['url']}/_mock/state", timeout=10).json()
    restored = requests.post(f"{made['url']}/_mock/snapshots/empty/restore", timeout=10)
    assert restored.status_code == 200  # restored on the same listener, which stays open
    assert api.get("/api/v2/users-by-email", params={"email": "later@example.com"}).json() == []
    copy = new_tenant(state=state)  # a state carries no ports: the copy gets a listener of its own
    assert copy["ports"]["http"] not in made["ports"].values()
    copy_api = Api(copy["url"], mockidp.management_token(base_url=copy["url"]))
    assert [u["email"] for u in copy_api.get("/api/v2/users-by-email", params={"email": "later@example.com"}).json()] \
        == ["later@example.com"]


def test_new_tenant_with_a_listener_from_the_pytest_plugin(mockidp):
    named = mockidp.new_tenant(unique_name(), listener=True)
    try:
        assert named.domain == named.https_url.split("://", 1)[1] and "/" not in named.domain
        assert named.url == f"http://localhost:{named.url.rsplit(':', 1)[1]}"
        named.freeze("2032-02-02T00:00:00Z")
        named.advance(30)
        assert named.clock() == {"now": "2032-02-02T00:00:30.000Z", "frozen": True}
        assert not mockidp.clock()["frozen"]
        token = named.management_token()
        assert requests.get(f"{named.url}/api/v2/users", headers={"Authorization": f"Bearer {token}"},
                            timeout=10).status_code == 200
    finally:
        named.stop()
    assert refused(named.url)


def test_a_listener_has_the_main_listeners_hardening(mockidp, new_tenant):
    """The same server class: a silent TLS peer holds no one up (the handshake is deferred), and
    an over-long request line is refused at its limit, over HTTP and HTTPS."""
    made = new_tenant()
    context = ssl.create_default_context(cafile=str(mockidp.ca_file))
    with closing(socket.create_connection(("localhost", made["ports"]["https"]), timeout=5)):  # silent
        with closing(socket.create_connection(("localhost", made["ports"]["https"]), timeout=5)) as raw, \
                context.wrap_socket(raw, server_hostname="localhost") as sock:
            sock.sendall(b"GET /?q=" + b"a" * (MAX_REQUEST_LINE + 1))
            assert sock.recv(64).startswith(b"HTTP/1.1 414 Request-URI Too Large")
    with closing(socket.create_connection(("localhost", made["ports"]["http"]), timeout=5)) as sock:
        sock.sendall(b"GET /?q=" + b"a" * (MAX_REQUEST_LINE + 1))
        assert sock.recv(64).startswith(b"HTTP/1.1 414 Request-URI Too Large")


def test_concurrent_creations_take_distinct_ports_of_the_range():
    from concurrent.futures import ThreadPoolExecutor

    ports = free_port_range(6)
    with server(tenant_ports=ports) as mock:
        root = mock.url_for("http")
        with ThreadPoolExecutor(max_workers=7) as pool:
            answers = list(pool.map(lambda _: create(root), range(7)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201] * 6 + [409], [answer.text for answer in answers]
        taken = sorted(answer.json()["ports"]["http"] for answer in answers if answer.status_code == 201)
        assert taken == list(range(ports.first, ports.last + 1))


def test_a_listeners_control_plane_wants_the_control_token():
    ports = free_port_range(1)
    with server(tenant_ports=ports, control_token="ci-only-secret") as mock:
        headers = {"Authorization": "Bearer ci-only-secret"}
        made = requests.post(f"{mock.url_for('http')}/_mock/tenants", json={"name": unique_name()},
                             headers=headers, timeout=30).json()
        assert requests.get(f"{made['url']}/_mock/health", timeout=10).status_code == 401
        assert requests.get(f"{made['url']}/_mock/health", headers=headers, timeout=10).status_code == 200
        assert requests.get(f"{made['url']}/.well-known/jwks.json", timeout=10).status_code == 200  # Auth0's paths need none


def test_deleting_a_tenant_answers_its_held_requests_and_closes_at_once(mockidp, new_tenant):
    """A request held at a barrier on the listener is answered 503 (not processed) when the
    tenant is deleted, and the DELETE does not wait for the barrier's timeout."""
    from concurrent.futures import ThreadPoolExecutor

    made = new_tenant()
    barrier = requests.post(f"{made['url']}/_mock/barriers", timeout=10, json={
        "method": "GET", "path": "/api/v2/users", "timeout_ms": 600000}).json()
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(requests.get, f"{made['url']}/api/v2/users", timeout=60)
        waited = requests.get(f"{made['url']}/_mock/barriers/{barrier['id']}",
                              params={"wait_for_held": 1, "timeout_ms": 30000}, timeout=60)
        assert waited.status_code == 200 and waited.json()["held"] == 1
        deleted = requests.delete(f"{mockidp.server_url}/_mock/tenants/{made['name']}", timeout=30)
        assert deleted.status_code == 204 and deleted.elapsed.total_seconds() < 1.5
        assert held.result().status_code == 503
    assert refused(made["url"])
