"""The control plane's pages work when the server wants a control token: the page is opened once
with ?control_token= (or its form), which redirects to the page without the token and leaves an
HttpOnly SameSite=Strict cookie; the page's buttons then work, and the cookie helps no other
origin. Before, the outbox page's buttons sent no token and failed with 401."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from browser_helpers import WAIT_MS, needs_chromium

from mockidp.testing import MockIdPServer

TOKEN = "page-t0ken"
CONNECTION = "Username-Password-Authentication"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """A mockidp whose control plane wants TOKEN (as with --control-token)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("MOCKIDP_CONTROL_TOKEN", TOKEN)
    server = MockIdPServer(cert_dir=tmp_path_factory.mktemp("certs"), tls=False)
    patch.undo()
    yield server
    server.stop()


@pytest.fixture
def queued_email(guarded):
    """A reset email waiting in the queue (manual delivery)."""
    guarded.reset()
    guarded.control("PATCH", "/settings", {"email": {"delivery": "manual"}})
    response = requests.post(f"{guarded.url}/dbconnections/change_password", timeout=30,
                             json={"email": "alice@example.com", "connection": CONNECTION})
    assert response.status_code == 200, response.text
    assert len(guarded.control("GET", "/email-queue")["messages"]) == 1


def cookie_of(response: requests.Response) -> tuple[str, str]:
    [(name, value)] = response.cookies.items()
    return name, value


def test_opening_a_page_with_the_token_sets_a_strict_cookie_and_drops_the_token_from_the_url(guarded):
    opened = requests.get(f"{guarded.url}/_mock/outbox.html", params={"control_token": TOKEN},
                          allow_redirects=False, timeout=30)
    assert opened.status_code == 303
    assert opened.headers["Location"] == "/_mock/outbox.html"
    set_cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/" in set_cookie
    name, value = cookie_of(opened)
    assert value == TOKEN
    page = requests.get(f"{guarded.url}/_mock/outbox.html", cookies={name: value}, timeout=30)
    assert page.status_code == 200 and "Outbox" in page.text


def test_without_the_token_a_page_asks_for_it_and_the_api_refuses(guarded):
    page = requests.get(f"{guarded.url}/_mock/outbox.html", timeout=30)
    assert page.status_code == 401 and 'name="control_token"' in page.text
    wrong = requests.get(f"{guarded.url}/_mock/outbox.html", params={"control_token": "nope"}, timeout=30)
    assert wrong.status_code == 401 and "Set-Cookie" not in wrong.headers
    api = requests.get(f"{guarded.url}/_mock/outbox", timeout=30)
    assert api.status_code == 401 and api.json()["error"] == "unauthorized"


def test_the_cookie_counts_only_on_same_origin_requests(guarded, queued_email):
    opened = requests.get(f"{guarded.url}/_mock/outbox.html", params={"control_token": TOKEN},
                          allow_redirects=False, timeout=30)
    cookies = dict([cookie_of(opened)])
    flush = f"{guarded.url}/_mock/email-queue/flush"
    # Another port of localhost is the same site (cookies ignore ports) but another origin.
    other_port = requests.post(flush, cookies=cookies, timeout=30,
                               headers={"Origin": "http://localhost:1", "Sec-Fetch-Site": "same-site"})
    assert other_port.status_code == 401
    cross_site = requests.post(flush, cookies=cookies, headers={"Sec-Fetch-Site": "cross-site"}, timeout=30)
    assert cross_site.status_code == 401
    assert len(guarded.control("GET", "/email-queue")["messages"]) == 1  # nothing delivered
    same_origin = requests.post(flush, cookies=cookies, timeout=30,
                                headers={"Origin": guarded.url, "Sec-Fetch-Site": "same-origin"})
    assert same_origin.status_code == 200, same_origin.text
    assert guarded.control("GET", "/email-queue")["messages"] == []


def test_the_mock_providers_sign_in_page_needs_no_control_token(guarded):
    """It is a step of a social login any user goes through, not the control plane."""
    response = requests.get(f"{guarded.url}/_mock/upstream/google-oauth2/authorize",
                            params={"state": "unknown"}, timeout=30)
    assert response.status_code != 401
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


@needs_chromium
def test_the_outbox_page_buttons_work_with_a_control_token(guarded, queued_email, page):
    page.goto(f"{guarded.url}/_mock/outbox.html")
    page.get_by_label("Control token").fill(TOKEN)
    with page.expect_navigation(url=f"{guarded.url}/_mock/outbox.html"):
        page.get_by_role("button", name="Open").click()
    assert "control_token" not in page.url
    assert "alice@example.com" in page.get_by_test_id("queue").inner_text()
    [cookie] = page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    with page.expect_navigation():
        page.click("#flush")
    assert page.get_by_test_id("message").count() == 1
    assert guarded.control("GET", "/email-queue")["messages"] == []
    [delivered] = guarded.outbox(to="alice@example.com")
    assert delivered["status"] == "delivered"


@pytest.fixture
def other_origin():
    """A page served by another server on localhost: another port, so the same site (the browser
    sends SameSite=Strict cookies to it) but another origin."""
    class OtherPage(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><p>another local app</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), OtherPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@needs_chromium
def test_a_page_of_another_origin_cannot_use_the_cookie(guarded, queued_email, page, other_origin):
    page.goto(f"{guarded.url}/_mock/outbox.html?control_token={TOKEN}")  # the cookie is set
    page.goto(other_origin)
    kind = page.evaluate("""async url => {
        const answer = await fetch(url, {method: "POST", credentials: "include", mode: "no-cors"});
        return answer.type;
    }""", f"{guarded.url}/_mock/email-queue/flush")
    assert kind == "opaque"  # sent with the cookie; its answer hidden from the page
    assert len(guarded.control("GET", "/email-queue")["messages"]) == 1  # and refused
