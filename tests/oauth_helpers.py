"""Helpers for the login and token tests: a cookie-keeping "browser" made of requests that walks
/authorize and the hosted login page with form posts, PKCE, and ID token verification against the
JWKS with python-jose."""
from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import requests
from jose import jwt

SPA_ID = "mockidpSpaClient0000000000000000"
SPA_CALLBACK = "http://localhost:3000/callback"
WEB_ID = "mockidpWebClient0000000000000000"
WEB_SECRET = "mockidp-web-secret-0000000000000000000000000000000000000000000000"
WEB_CALLBACK = "http://localhost:5000/callback"
ALICE = ("alice@example.com", "Passw0rd!alice")
BOB = ("bob@example.com", "Passw0rd!bob")
CAROL = ("carol@example.com", "Passw0rd!carol")  # blocked in the default fixture
VERIFIER = "mockidp-test-code-verifier-0123456789-abcdefghijklmnop"
REALM = "http://auth0.com/oauth/grant-type/password-realm"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def spa_params(**overrides) -> dict:
    """An auth0-spa-js style /authorize request: code + PKCE S256, state and nonce."""
    params = {"client_id": SPA_ID, "response_type": "code", "redirect_uri": SPA_CALLBACK,
              "scope": "openid profile email", "state": "state-1", "nonce": "nonce-1",
              "code_challenge": s256(VERIFIER), "code_challenge_method": "S256"}
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def redirect_params(response: requests.Response) -> dict[str, str]:
    """The parameters of a redirect back to the application (query, else fragment)."""
    assert response.status_code == 302, (response.status_code, response.text[:500])
    parts = urlsplit(response.headers["Location"])
    return {key: values[0] for key, values in parse_qs(parts.query or parts.fragment).items()}


class Browser:
    """A cookie jar that follows Auth0's browser flow with plain HTTP."""

    def __init__(self, base_url: str, ca_file: str | None = None):
        self.base_url = base_url
        self.session = requests.Session()
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session's `verify`.
        self.verify = ca_file or True

    def authorize(self, **params) -> requests.Response:
        return self.session.get(f"{self.base_url}/authorize", params=spa_params(**params),
                                allow_redirects=False, timeout=30, verify=self.verify)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base_url + path, allow_redirects=False, timeout=30, verify=self.verify,
                                **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.base_url + path, allow_redirects=False, timeout=30, verify=self.verify,
                                 **kwargs)

    def login_page(self, **params) -> str:
        """/authorize that must show the login page: the page's path (with its state)."""
        response = self.authorize(**params)
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        assert location.startswith("/u/login?state="), location
        return location

    def sign_in(self, username: str, password: str, **params) -> dict[str, str]:
        """Log in through the hosted page; the parameters the application receives."""
        page = self.login_page(**params)
        return redirect_params(self.post(page, data={"username": username, "password": password}))

    @property
    def session_cookie(self) -> str | None:
        return self.session.cookies.get("auth0")


def exchange_code(base_url: str, code: str, *, verifier: str | None = VERIFIER, client_id: str = SPA_ID,
                  redirect_uri: str | None = SPA_CALLBACK, **extra) -> requests.Response:
    body = {"grant_type": "authorization_code", "client_id": client_id, "code": code,
            "code_verifier": verifier, "redirect_uri": redirect_uri, **extra}
    return requests.post(f"{base_url}/oauth/token", timeout=30,
                         data={key: value for key, value in body.items() if value is not None})


def token_request(base_url: str, **body) -> requests.Response:
    return requests.post(f"{base_url}/oauth/token", timeout=30,
                         data={key: value for key, value in body.items() if value is not None})


def verify_id_token(base_url: str, token: str, audience: str = SPA_ID, nonce: str | None = None,
                    issuer: str | None = None) -> dict:
    """python-jose against the JWKS: signature, issuer, audience (and expiry on wall time)."""
    jwks = requests.get(f"{base_url}/.well-known/jwks.json", timeout=30).json()
    claims = jwt.decode(token, jwks, algorithms=["RS256"], audience=audience,
                        issuer=issuer or f"{base_url}/", options={"verify_at_hash": False})
    if nonce is not None:
        assert claims["nonce"] == nonce
    return claims


def unverified_claims(token: str) -> dict:
    return jwt.get_unverified_claims(token)


def state_of(page_path: str) -> str:
    match = re.search(r"state=([A-Za-z0-9]+)", page_path)
    assert match, page_path
    return match.group(1)
