"""The replay world of the authentication cassettes: every fake value go-auth0's recorder left
in their requests (PLACEHOLDERS: what it named on the recording tenant, and how the replay
provides it), and the live objects and values a fresh mockidp tenant gets so that the recorded
request means on mockidp what it meant on Auth0.

The recorder replaced credentials, tokens and codes by fakes (recording.py); they name objects
of the recording tenant: a public client, another M2M client, APIs, a database user, passwordless
connections. A ReplayWorld is made per cassette (after its fresh tenant) and creates, through
the Management API, only what the cassette's requests name, the first time one does; values that
only a flow can produce (a refresh token, a passwordless code, an access token) are obtained
through mockidp's public endpoints and the /_mock control plane right before the request that
carries the placeholder. What a replay cannot provide stays as recorded and is classified in
dependence.py (RECORDER_FAKE). Management cassettes are not touched.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

from .cassettes import Recorded
from .recording import WEB_CLIENT_ID, WEB_CLIENT_SECRET, is_management
from .transport import MockIdPConnection, TransportError


@dataclass(frozen=True)
class Placeholder:
    value: str
    names: str  # what it stood for on the recording tenant
    replay: str  # how the replay provides it


FAKE_CLIENT_ID, FAKE_CLIENT_SECRET = "test-client_id", "test-client_secret"
FAKE_OTHER_CLIENT_ID = "test-other-clientid"
FAKE_REFRESH_TOKEN = "test-refresh-token"
FAKE_ASSERTION = "test-client_assertion"
USER = {"username": "test-user", "password": "Testpassword123!", "email": "test-user@example.com"}
RECORDED_AUDIENCES = ("test-audience", "my-api", "https://api.example.com", "https://my-api.example.com")
PASSWORDLESS_OTP = "123456"
AUTHORIZATION_CODES = ("my-code", "test-code")
FAKE_MFA_TOKEN = "mfa-token"
# The recording tenant signed users up by email, username or phone number alone: flexible
# identifiers, each active and optional at signup.
SIGNUP_IDENTIFIERS = {name: {"identifier": {"active": True}, "signup": {"status": "optional"}}
                      for name in ("email", "username", "phone_number")}
MFA_BEARER_PATHS = ("/mfa/associate", "/mfa/authenticators")  # the mfa_token went in the stripped header
MFA_FACTORS = ("otp", "sms", "push-notification")  # the factors the recorded associations use
MFA_OTP_GRANT = "http://auth0.com/oauth/grant-type/mfa-otp"
RECORDED_CALLBACK = "http://localhost:3000"  # the recorded redirect_uri, a callback of both clients
PASSWORDLESS_CONNECTIONS = {"email": "email", "sms": "sms"}  # recorded connection (realm) → strategy

# Fakes no replay can make live: the dependence is RECORDER_FAKE (dependence.py), judged only when
# Auth0 accepted the request (a refusal of a fake would be self-contained). An equivalent
# assertion (a key of the replay's own on a client made for it) would need mockidp to accept
# private_key_jwt client authentication, which it does not emulate yet (core/login/grants.py):
# once it does, sign one here and drop the entry.
UNPROVIDABLE = {FAKE_ASSERTION: "a JWT signed with the recording client's private key; mockidp "
                                "never saw its public key"}

PLACEHOLDERS = (
    Placeholder(FAKE_CLIENT_ID, "the SDK's client: confidential when the request carries a secret "
                "or an assertion, public (go-auth0 builds its authAPI with a client id only) when not",
                "mockidp's default Regular Web App with its secret; a native client with "
                "token_endpoint_auth_method none and rotating refresh tokens (made on first use) "
                "for requests without one"),
    Placeholder(FAKE_CLIENT_SECRET, "the confidential client's secret",
                "the secret of the client its client_id became"),
    Placeholder(FAKE_OTHER_CLIENT_ID, "a second M2M client (WithClientID overriding the default)",
                "an M2M client made on first use, granted the recorded audience"),
    Placeholder(FAKE_ASSERTION, "a private_key_jwt assertion signed by the recording client's key",
                "none: stays fake, the interaction is RECORDER_FAKE (dependence.py)"),
    *(Placeholder(audience, "an API of the recording tenant",
                  "an API with that identifier (allow_offline_access), and a client grant to it for "
                  "the client of a client_credentials request")
      for audience in RECORDED_AUDIENCES),
    Placeholder(USER["username"], "a database user (password Testpassword123!)",
                "a user of Username-Password-Authentication made on first use (requires_username)"),
    Placeholder(FAKE_REFRESH_TOKEN, "a refresh token issued to the request's client",
                "a password grant for test-user with offline_access by the same client, just before"),
    Placeholder(PASSWORDLESS_OTP, "the code Auth0 sent to the passwordless email or phone",
                "POST /passwordless/start for the recorded username, then the code read from "
                "/_mock/outbox/latest (email) or /_mock/sms/latest (sms)"),
    Placeholder("(Authorization header)", "the user's access token (/userinfo); the recorder "
                "stripped the header", "a password grant for test-user by the public client"),
    # Not provided yet: each interaction carrying one is replayed as recorded (and mismatches).
    *(Placeholder(code, "an authorization code from the recording tenant's /authorize",
                  "a code from /authorize (with the recorded redirect_uri if the token request has "
                  "one, as Auth0 requires it then; with a code_verifier, its S256 challenge) for "
                  "test-user signed in at /u/login, for the request's client")
      for code in AUTHORIZATION_CODES),
    Placeholder("test-code-verifier", "the PKCE verifier of the code's /authorize",
                "sent as recorded: the replay's /authorize sends its S256 challenge"),
    Placeholder(RECORDED_CALLBACK, "a callback URL of the recording tenant's clients",
                "added to the callbacks of the web client (the public client has it)"),
    *(Placeholder(code, "a code meant to be refused", "as recorded: no tenant knows it")
      for code in ("my-invalid-code", "test-invalid-code", "test-invalid-code-verifier")),
    Placeholder("my-org", "an organization named in a pushed authorization request",
                "not yet: mockidp has no /oauth/par"),
    Placeholder(FAKE_MFA_TOKEN, "the mfa_token of an mfa_required answer (in the body, or as the "
                "bearer token the recorder stripped from /mfa/associate and /mfa/authenticators)",
                "the mfa_required answer to a password grant for test-user by the request's client, "
                "once the factors the cassettes use (otp, sms, push) are enabled and the MFA policy "
                "is all-applications; the mfa_token of a request carrying other fakes (an "
                "oob_code, a recovery code) stays as recorded: they are not provided"),
    Placeholder("853860", "a TOTP code of the recording user's authenticator (mfa-otp grant)",
                "an OTP authenticator enrolled for test-user (associate, then confirmed with its "
                "first code, then the clock advanced 30 s) and its current code from /_mock/mfa/totp"),
    Placeholder("oob-token", "an out-of-band code from /mfa/challenge", "not yet"),
    Placeholder("test-external-token", "a subject token of Custom Token Exchange",
                "not yet: mockidp has no Custom Token Exchange grant"),
    Placeholder("mypassword", "a signup password the recording tenant's policy accepted, on a "
                "connection that signed users up by email, username or phone number alone",
                "Username-Password-Authentication's passwordPolicy set to none and its flexible "
                "identifiers (options.attributes) to SIGNUP_IDENTIFIERS, before a /dbconnections/signup"),
)


@dataclass(frozen=True)
class LiveRequest:
    body: str
    authorization: str = ""


class WorldError(RuntimeError):
    """mockidp refused to build a part of the replay world."""


class ReplayWorld:
    """One cassette's replay world on a fresh tenant: objects made on first use, memoized."""

    def __init__(self, connection: MockIdPConnection):
        self.connection = connection
        self._made: dict[str, Any] = {}

    def live_request(self, recorded: Recorded) -> LiveRequest:
        """The recorded request's body with the placeholders it carries replaced by live values,
        and the Authorization header the recorder stripped; as recorded when nothing applies or
        mockidp refused to build the world (the interaction then fails where it would anyway)."""
        path = urlsplit(recorded.url).path
        if is_management(path):
            return LiveRequest(recorded.body)
        params, encode = _parse(recorded)
        try:
            authorization = self._stripped_authorization(path)
            live = self._substitute(path, dict(params)) if params else params
        except (WorldError, TransportError):
            return LiveRequest(recorded.body)
        return LiveRequest(recorded.body if live == params else encode(live), authorization)

    # --- the placeholders a request carries ----------------------------------------------------

    def _stripped_authorization(self, path: str) -> str:
        """The bearer token the recorder stripped: the user's (/userinfo) or the mfa_token."""
        if path == "/userinfo":
            return f"Bearer {self._user_token(self._public_client()[0])}"
        if path in MFA_BEARER_PATHS:
            return f"Bearer {self._mfa_token(WEB_CLIENT_ID, WEB_CLIENT_SECRET)}"
        return ""

    def _substitute(self, path: str, params: dict) -> dict:
        client_id, secret = self._client(params)
        if client_id:
            params["client_id"] = client_id
            if params.get("client_secret") == FAKE_CLIENT_SECRET:
                params["client_secret"] = secret
        self._objects_named(path, params, client_id)
        self._flow_values(params, client_id, secret)
        return params

    def _objects_named(self, path: str, params: dict, client_id: str) -> None:
        """The recording tenant's objects the request names, made here if they are not yet."""
        if params.get("audience") in RECORDED_AUDIENCES:
            self._api(params["audience"])
            if params.get("grant_type") == "client_credentials":
                self._client_grant(client_id, params["audience"])
        if params.get("username") == USER["username"] and params.get("grant_type") == "password":
            self._user()
        if path == "/passwordless/start" and params.get("connection") in PASSWORDLESS_CONNECTIONS:
            self._passwordless_connection(params["connection"])
        if path == "/dbconnections/signup":
            self._signup_policy()

    def _flow_values(self, params: dict, client_id: str, secret: str) -> None:
        """Codes and tokens only a flow produces, obtained now for the request's client."""
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code" and params.get("code") in AUTHORIZATION_CODES:
            params["code"] = self._authorization_code(client_id, params.get("redirect_uri"),
                                                      params.get("code_verifier"))
        if grant_type == MFA_OTP_GRANT and params.get("mfa_token") == FAKE_MFA_TOKEN:
            params["mfa_token"], params["otp"] = self._mfa_otp(client_id, secret)
        for key in ("refresh_token", "token"):
            if params.get(key) == FAKE_REFRESH_TOKEN:
                params[key] = self._refresh_token(client_id, secret)
        if params.get("otp") == PASSWORDLESS_OTP and params.get("realm") in PASSWORDLESS_CONNECTIONS:
            params["otp"] = self._passwordless_code(client_id, params["realm"], params["username"])

    def _client(self, params: dict) -> tuple[str, str]:
        """(live client id, its secret) for the request's recorded client_id ("" if not a fake)."""
        recorded = params.get("client_id")
        if recorded == FAKE_OTHER_CLIENT_ID:
            return self._other_client()
        if recorded != FAKE_CLIENT_ID:
            return "", ""
        if "client_secret" in params or "client_assertion" in params:
            return WEB_CLIENT_ID, WEB_CLIENT_SECRET
        return self._public_client()

    # --- objects, made on first use ----------------------------------------------------------

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def _management(self, method: str, path: str, document: Any = None) -> Any:
        """A Management API call with the replay's token; a refusal is a TransportError, which
        `live_request` catches beside WorldError."""
        return self.connection.call(method, path, document, bearer=True)

    def _public_client(self) -> tuple[str, str]:
        return self._once("public client", lambda: self._new_client({
            "name": "parity: the recording tenant's public client", "app_type": "native",
            "token_endpoint_auth_method": "none", "callbacks": [RECORDED_CALLBACK],
            # Auth0 answered the refresh grant with a new refresh token: the client rotated them
            "refresh_token": {"rotation_type": "rotating", "expiration_type": "expiring"},
            "grant_types": ["authorization_code", "refresh_token", "password",
                            "http://auth0.com/oauth/grant-type/passwordless/otp"]}))

    def _other_client(self) -> tuple[str, str]:
        return self._once("other client", lambda: self._new_client({
            "name": "parity: the recording tenant's other M2M client", "app_type": "non_interactive",
            "grant_types": ["client_credentials"]}))

    def _new_client(self, document: dict) -> tuple[str, str]:
        client = self._management("POST", "/api/v2/clients", document)
        self._enable_on(self._database_connection(), client["client_id"])
        return client["client_id"], client.get("client_secret", "")

    def _api(self, identifier: str) -> None:
        self._once(f"api {identifier}", lambda: self._management("POST", "/api/v2/resource-servers", {
            "name": f"parity: {identifier}"[:200].replace("/", " ").replace(":", " "),
            "identifier": identifier, "allow_offline_access": True}))

    def _client_grant(self, client_id: str, audience: str) -> None:
        self._once(f"grant {client_id} {audience}", lambda: self._management(
            "POST", "/api/v2/client-grants", {"client_id": client_id, "audience": audience, "scope": []}))

    def _database_connection(self) -> dict:
        return self._once("database", lambda: self._management(
            "GET", "/api/v2/connections?name=Username-Password-Authentication")[0])

    def _enable_on(self, connection: dict, client_id: str) -> None:
        enabled = connection.setdefault("enabled_clients", [])
        if client_id not in enabled:
            enabled.append(client_id)
            self._management("PATCH", f"/api/v2/connections/{connection['id']}", {"enabled_clients": enabled})

    def _patch_database_options(self, drop: tuple[str, ...] = (), **options: object) -> None:
        connection = self._database_connection()
        kept = {key: value for key, value in (connection.get("options") or {}).items() if key not in drop}
        connection["options"] = {**kept, **options}
        self._management("PATCH", f"/api/v2/connections/{connection['id']}", {"options": connection["options"]})

    def _signup_policy(self) -> None:
        # flexible identifiers replace requires_username and validation (Auth0 refuses both)
        self._once("signup policy", lambda: self._patch_database_options(
            drop=("requires_username", "validation"), passwordPolicy="none", attributes=SIGNUP_IDENTIFIERS))

    def _user(self) -> str:
        """test-user's live user_id."""
        def make() -> str:
            self._patch_database_options(requires_username=True)
            user = self._management("POST", "/api/v2/users", {"connection": "Username-Password-Authentication",
                                                              **USER, "email_verified": True})
            return user["user_id"]
        return self._once("user", make)

    def _passwordless_connection(self, name: str) -> None:
        def make() -> None:
            clients = [WEB_CLIENT_ID, self._public_client()[0]]
            self._management("POST", "/api/v2/connections", {
                "name": name, "strategy": PASSWORDLESS_CONNECTIONS[name], "enabled_clients": clients})
        self._once(f"connection {name}", make)

    # --- values only a flow can produce ------------------------------------------------------

    def _authorization_code(self, client_id: str, redirect_uri: str | None, verifier: str | None) -> str:
        """test-user's code: /authorize, then the hosted login page's form, whose answer
        redirects to the callback with the code."""
        self._user()
        query = {"client_id": client_id, "response_type": "code", "scope": "openid profile email"}
        if redirect_uri:  # sent to /oauth/token only if it was sent to /authorize
            query["redirect_uri"] = redirect_uri
            if client_id == WEB_CLIENT_ID:
                self._web_client_callback()
        if verifier:
            query.update(code_challenge=_s256(verifier), code_challenge_method="S256")
        login_page = self._redirect("GET", f"/authorize?{urlencode(query)}")
        callback = self._redirect("POST", login_page, urlencode(_login()), "application/x-www-form-urlencoded")
        codes = parse_qs(urlsplit(callback).query).get("code")
        if not codes:
            raise WorldError(f"no code in {callback}")
        return codes[0]

    def _redirect(self, method: str, target: str, body: str = "", content_type: str = "") -> str:
        response = self.connection.send(method, target, body, content_type)
        if response.status not in (302, 303) or not response.location:
            raise WorldError(f"{method} {target}: {response.status} {response.body[:200]}")
        parts = urlsplit(response.location)
        return f"{parts.path}?{parts.query}" if not parts.scheme else response.location

    def _web_client_callback(self) -> None:
        def make() -> None:
            client = self._management("GET", f"/api/v2/clients/{WEB_CLIENT_ID}?fields=callbacks")
            callbacks = [*client.get("callbacks", []), RECORDED_CALLBACK]
            self._management("PATCH", f"/api/v2/clients/{WEB_CLIENT_ID}", {"callbacks": callbacks})
        self._once("web client callback", make)

    def _password_grant(self, client_id: str, secret: str, scope: str) -> dict:
        self._user()
        document = {"grant_type": "password", "client_id": client_id, "scope": scope, **_login()}
        if client_id == WEB_CLIENT_ID:
            document["client_secret"] = secret
        return self.connection.call("POST", "/oauth/token", document)

    def _mfa_token(self, client_id: str, secret: str) -> str:
        self._once("mfa policy", self._require_mfa)
        self._user()
        document = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
                    "scope": "openid profile", **_login()}
        answer = self.connection.send("POST", "/oauth/token", json.dumps(document), "application/json")
        token = _json(answer.body).get("mfa_token")
        if answer.status != 403 or not isinstance(token, str):
            raise WorldError(f"no mfa_required answer: {answer.status} {answer.body[:200]}")
        return token

    def _mfa_otp(self, client_id: str, secret: str) -> tuple[str, str]:
        """A fresh mfa_token and the current code of test-user's (confirmed) OTP authenticator."""
        self._once("otp enrollment", lambda: self._enroll_otp(client_id, secret))
        return self._mfa_token(client_id, secret), self._totp_code()

    def _enroll_otp(self, client_id: str, secret: str) -> None:
        token = self._mfa_token(client_id, secret)
        associated = self.connection.send("POST", "/mfa/associate", json.dumps({
            "authenticator_types": ["otp"], "client_id": client_id, "client_secret": secret}),
                                          "application/json", authorization=f"Bearer {token}")
        if associated.status != 200:
            raise WorldError(f"/mfa/associate: {associated.status} {associated.body[:200]}")
        self.connection.call("POST", "/oauth/token", {"grant_type": MFA_OTP_GRANT, "client_id": client_id,
                                                      "client_secret": secret, "mfa_token": token,
                                                      "otp": self._totp_code()})
        self.connection.call("POST", "/_mock/clock/advance", {"seconds": 30})  # a code is good once

    def _totp_code(self) -> str:
        return self.connection.call("GET", f"/_mock/mfa/totp?user_id={quote(self._user())}")["code"]

    def _require_mfa(self) -> None:
        for factor in MFA_FACTORS:
            self._management("PUT", f"/api/v2/guardian/factors/{factor}", {"enabled": True})
        self._management("PUT", "/api/v2/guardian/policies", ["all-applications"])

    def _refresh_token(self, client_id: str, secret: str) -> str:
        return self._password_grant(client_id, secret, "openid profile email offline_access")["refresh_token"]

    def _user_token(self, client_id: str) -> str:
        return self._password_grant(client_id, "", "openid profile email")["access_token"]

    def _passwordless_code(self, client_id: str, realm: str, username: str) -> str:
        self._passwordless_connection(realm)
        to = "email" if realm == "email" else "phone_number"
        start = {"client_id": client_id, "connection": realm, to: username, "send": "code"}
        self.connection.call("POST", "/passwordless/start", start)
        if realm == "email":
            self.connection.call("POST", "/_mock/email-queue/flush")  # the clock is frozen
            message = self.connection.call("GET", f"/_mock/outbox/latest?to={quote(username)}")
        else:
            message = self.connection.call("GET", f"/_mock/sms/latest?to={quote(username)}")
        return message["code"]


def _json(text: str) -> dict:
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _login() -> dict:
    return {"username": USER["username"], "password": USER["password"]}


def request_parameters(recorded: Recorded) -> dict | None:
    """The recorded request's flat body (JSON object or form) as a dict, or None."""
    return _parse(recorded)[0]


def _parse(recorded: Recorded) -> tuple[dict | None, Callable[[dict], str]]:
    """A flat request body as a dict and how to write one back; (None, …) when it is not one."""
    if not recorded.body:
        return None, str
    if recorded.content_type.startswith("application/json"):
        try:
            document = json.loads(recorded.body)
        except ValueError:
            return None, str
        return (document if isinstance(document, dict) else None), lambda live: json.dumps(live)
    if recorded.content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(recorded.body, keep_blank_values=True)), lambda live: urlencode(live, quote_via=quote)
    return None, str
