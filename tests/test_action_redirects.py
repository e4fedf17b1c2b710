"""post-login redirects: what docs/actions.md promises. `api.redirect.sendUserTo(url, {query})`
pauses the login after the Action and sends the browser to `url?state=...`; the page hands the
login back on /continue; the same Action's onContinuePostLogin runs (api.redirect.validateToken
checks the session token's signature, expiry and state on the tenant clock), then the later
Actions, and only then does the login finish.

The terms-acceptance page is the test's own small app (http.server in a thread), which signs its
answer with the Action's secret (python-jose, HS256). One test drives a real browser (Playwright on
Debian's chromium), the others the same flow with requests.
"""
from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from action_helpers import install_action, management_sdk
from auth0.management import ManagementClient
from browser_helpers import WAIT_MS, launched_chromium, needs_chromium
from jose import jwt
from oauth_helpers import (
    ALICE,
    SPA_CALLBACK,
    SPA_ID,
    Browser,
    exchange_code,
    redirect_params,
    spa_params,
    verify_id_token,
)

SECRET = "terms-app-shared-secret-0123456789"
CLAIM = "https://example.com/terms_accepted_at"

# Auth0's "Redirect with Actions" recipe: terms acceptance with a signed session token.
TERMS = """
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.terms_accepted_at) return;
  const token = api.redirect.encodeToken({
    secret: event.secrets.SECRET, expiresInSeconds: 300, payload: { email: event.user.email },
  });
  api.redirect.sendUserTo(event.secrets.TERMS_URL, { query: { session_token: token, lang: 'en' } });
};

exports.onContinuePostLogin = async (event, api) => {
  const answer = api.redirect.validateToken({ secret: event.secrets.SECRET, tokenParameterName: 'session_token' });
  console.log(JSON.stringify({ query: Object.keys(event.request.query), method: event.request.method }));
  api.user.setAppMetadata('terms_accepted_at', answer.terms_accepted_at);
  api.idToken.setCustomClaim('""" + CLAIM + """', answer.terms_accepted_at);
};
"""
LATER = """
exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/later', true); };
"""


class TermsApp:
    """The application's terms page: GET /terms shows the form, POST /accept signs the answer
    (the received token's claims plus `state` and the acceptance time) and posts it to /continue."""

    def __init__(self, mockidp_url: str):
        self.mockidp_url = mockidp_url
        self.received: list[dict] = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                if self.path.startswith("/callback"):
                    return self.answer("<p>Signed in</p>")
                query = {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}
                app.received.append(query)
                fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                                 for k, v in query.items())
                self.answer(f'<form method="post" action="/accept">{fields}'
                            f'<button type="submit">Accept the terms</button></form>')

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                self.answer(app.continue_form(form["state"], form["session_token"]))

            def answer(self, body: str) -> None:
                data = f"<!doctype html><html><body>{body}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/terms"
        self.callback = f"http://127.0.0.1:{self.server.server_address[1]}/callback"  # the app's own
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def continue_form(self, state: str, session_token: str) -> str:
        return (f'<form id="back" method="post" action="{self.mockidp_url}/continue">'
                f'<input type="hidden" name="state" value="{html.escape(state)}">'
                f'<input type="hidden" name="session_token" value="{html.escape(answer_token(session_token, state))}">'
                f'</form><script>document.getElementById("back").submit()</script>')

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def answer_token(session_token: str, state: str, secret: str = SECRET) -> str:
    """What the app sends back: the Action's token verified, then its claims with `state` added."""
    claims = jwt.decode(session_token, SECRET, algorithms=["HS256"], options={"verify_aud": False})
    return jwt.encode({**claims, "state": state, "terms_accepted_at": "2030-01-01"}, secret, algorithm="HS256")


@pytest.fixture
def sdk(mockidp, monkeypatch) -> ManagementClient:
    return management_sdk(mockidp, monkeypatch)


@pytest.fixture
def terms_app(mockidp):
    app = TermsApp(mockidp.url)
    yield app
    app.close()


@pytest.fixture
def installed(sdk, terms_app):
    install_action(sdk, "accept-terms", TERMS, secrets=[{"name": "SECRET", "value": SECRET},
                                                        {"name": "TERMS_URL", "value": terms_app.url}])
    install_action(sdk, "later", LATER)


def redirected_to_terms(browser: Browser, terms_app: TermsApp) -> dict:
    page = browser.login_page()
    sent = browser.post(page, data={"username": ALICE[0], "password": ALICE[1]})
    assert sent.status_code == 302 and sent.headers["Location"].startswith(terms_app.url + "?"), sent.headers
    assert browser.session_cookie is None  # the login is not finished yet
    return {key: values[0] for key, values in parse_qs(urlsplit(sent.headers["Location"]).query).items()}


def test_the_login_finishes_only_after_continue(mockidp, sdk, terms_app, installed):
    browser = Browser(mockidp.url)
    query = redirected_to_terms(browser, terms_app)
    assert set(query) == {"state", "session_token", "lang"}
    token = jwt.decode(query["session_token"], SECRET, algorithms=["HS256"],
                       options={"verify_aud": False, "verify_exp": False})
    user_id = sdk.users.list_users_by_email(email=ALICE[0])[0].user_id
    assert token["sub"] == user_id and token["email"] == ALICE[0]
    assert token["iss"] == urlsplit(mockidp.url).netloc  # the tenant's domain, as Auth0
    assert token["exp"] - token["iat"] == 300
    assert [run["action_name"] for run in mockidp.action_executions()] == ["accept-terms"]  # "later" waits

    back = browser.post("/continue", data={"state": query["state"],
                                           "session_token": answer_token(query["session_token"], query["state"])})
    params = redirect_params(back)
    assert params["state"] == "state-1" and browser.session_cookie is not None
    claims = verify_id_token(mockidp.url, exchange_code(mockidp.url, params["code"]).json()["id_token"])
    assert claims[CLAIM] == "2030-01-01" and claims["https://example.com/later"] is True
    assert sdk.users.get(user_id).app_metadata["terms_accepted_at"] == "2030-01-01"
    runs = mockidp.action_executions()
    assert [run["action_name"] for run in runs] == ["accept-terms", "accept-terms", "later"]
    assert runs[1]["logs"] == ['{"query":[],"method":"POST"}']

    replay = browser.post("/continue", data={"state": query["state"], "session_token": "x"})
    assert replay.status_code == 400  # resumed once


@pytest.mark.parametrize("tamper, reason", [
    (lambda token, state: answer_token(token, state, secret="not-the-secret"), "Invalid signature."),
    (lambda token, state: answer_token(token, "another-state"),
     "State in the token does not match the /continue state."),
])
def test_a_bad_session_token_denies_the_login(mockidp, sdk, terms_app, installed, tamper, reason):
    browser = Browser(mockidp.url)
    query = redirected_to_terms(browser, terms_app)
    back = browser.post("/continue", data={"state": query["state"],
                                           "session_token": tamper(query["session_token"], query["state"])})
    assert redirect_params(back) == {"error": "access_denied", "state": "state-1",
                                     "error_description": f"The session token is invalid: {reason}"}
    assert browser.session_cookie is None


def test_the_session_token_expires_on_the_tenant_clock(mockidp, sdk, terms_app, installed):
    browser = Browser(mockidp.url)
    mockidp.freeze("2030-01-01T00:00:00Z")
    query = redirected_to_terms(browser, terms_app)
    answer = answer_token(query["session_token"], query["state"])  # keeps the Action's exp: 300 s
    mockidp.advance(301)
    back = browser.post("/continue", data={"state": query["state"], "session_token": answer})
    assert redirect_params(back)["error_description"] == "The session token is invalid: Token expired."


def test_grants_cannot_redirect(mockidp, sdk, terms_app, installed):
    response = Browser(mockidp.url).post("/oauth/token", data={
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
        "username": ALICE[0], "password": ALICE[1], "scope": "openid",
        "client_id": "mockidpWebClient0000000000000000",
        "client_secret": "mockidp-web-secret-0000000000000000000000000000000000000000000000"})
    assert response.status_code == 403 and response.json()["error"] == "access_denied"
    assert "canRedirect" in response.json()["error_description"]


@needs_chromium
def test_in_a_real_browser(mockidp, sdk, terms_app, installed, tmp_path):
    sdk.clients.update(SPA_ID, callbacks=[SPA_CALLBACK, terms_app.callback])
    with launched_chromium() as chromium:
        context = chromium.new_context()
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        try:
            page.goto(f"{mockidp.url}/authorize?{urlencode(spa_params(redirect_uri=terms_app.callback))}")
            page.fill("#username", ALICE[0])
            page.fill("#password", ALICE[1])
            page.click("button[type=submit][name=action]")
            page.wait_for_url(terms_app.url + "?**")
            page.get_by_role("button", name="Accept the terms").click()
            page.wait_for_url(terms_app.callback + "?**")
            params = {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}
        finally:
            page.screenshot(path=str(tmp_path / "last.png"))
    tokens = exchange_code(mockidp.url, params["code"], redirect_uri=terms_app.callback).json()
    assert verify_id_token(mockidp.url, tokens["id_token"])[CLAIM] == "2030-01-01"


def test_a_redirect_to_something_that_is_not_a_url_denies_the_login(mockidp, sdk):
    install_action(sdk, "bad-redirect",
                   "exports.onExecutePostLogin = async (e, api) => { api.redirect.sendUserTo('terms'); };")
    denied = Browser(mockidp.url).sign_in(*ALICE)
    assert denied["error"] == "access_denied"
    assert denied["error_description"] == "api.redirect.sendUserTo needs an absolute http(s) URL and an object as query"


def test_an_sso_login_cannot_redirect_in_mockidp(mockidp, sdk, terms_app):
    browser = Browser(mockidp.url)
    assert "code" in browser.sign_in(*ALICE)  # a session, before the Action exists
    install_action(sdk, "accept-terms", TERMS, secrets=[{"name": "SECRET", "value": SECRET},
                                                        {"name": "TERMS_URL", "value": terms_app.url}])
    again = redirect_params(browser.authorize())  # SSO: no login page, so no transaction to resume
    assert again["error_description"] == \
        "mockidp emulates api.redirect.sendUserTo on the hosted login and signup pages only"
