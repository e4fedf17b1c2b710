"""A real browser (Playwright driving Debian's chromium) follows a passwordless magic link from the
outbox page: the login completes at the application's callback with a code, and the SSO session
it started serves the next /authorize without a login page."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from browser_helpers import needs_chromium
from jose import jwt
from oauth_helpers import WEB_ID
from test_browser_email import page  # noqa: F401  (fixture)
from test_passwordless import DAVE, email_connection, sdk  # noqa: F401  (fixture)

pytestmark = needs_chromium


def code_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["code"][0]


def test_magic_link_from_the_outbox_logs_in_and_starts_a_session(mockidp, api, email_connection, page):
    callback = f"{mockidp.url}/_mock/health"  # any page the browser can land on
    callbacks = api.get(f"/api/v2/clients/{WEB_ID}").json()["callbacks"]
    assert api.patch(f"/api/v2/clients/{WEB_ID}", json={"callbacks": callbacks + [callback]}).status_code == 200
    passwordless, tokens = sdk(mockidp)
    passwordless.email(DAVE, send="link", auth_params={"response_type": "code", "redirect_uri": callback,
                                                       "scope": "openid email", "state": "s1"})

    page.goto(f"{mockidp.url}/_mock/outbox.html")
    page.get_by_test_id("link").first.click()
    page.wait_for_url("**/_mock/health?code=*")
    assert parse_qs(urlsplit(page.url).query)["state"] == ["s1"]
    claims = jwt.get_unverified_claims(tokens.authorization_code(code_of(page.url), callback)["id_token"])
    assert claims["email"] == DAVE and claims["sub"].startswith("email|")

    query = urlencode({"client_id": WEB_ID, "response_type": "code", "redirect_uri": callback, "scope": "openid"})
    page.goto(f"{mockidp.url}/authorize?{query}")
    page.wait_for_url("**/_mock/health?code=*")  # no login page: the link's session is used
    again = jwt.get_unverified_claims(tokens.authorization_code(code_of(page.url), callback)["id_token"])
    assert again["sub"] == claims["sub"]
