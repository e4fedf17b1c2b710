"""GET /authorize: validating a request (the client's organization settings included) and the
login transactions behind /u/login?state=...; the codes it ends with are in codes.py.

Errors come in two kinds, as in Auth0: until the client and its redirect_uri are known to be
good, an error can only be shown on an error page (AuthorizePageError); after that it goes back
to the application's redirect_uri with `error`, `error_description` and `state`
(AuthorizeRedirectError), in the requested response mode.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from ..applications import resource_servers, strategies
from ..organizations import login as org_login

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

RESPONSE_TYPES = frozenset(("code", "token", "id_token"))
RESPONSE_MODES = ("query", "fragment", "form_post", "web_message")
PROMPTS = frozenset(("none", "login", "consent", "select_account"))
PKCE_METHODS = ("S256", "plain")
TRANSACTION_LIFETIME = 3600    # seconds a login page stays usable
TRANSACTION_ID_LENGTH = 40
MAX_PENDING = 10_000           # unredeemed codes / open login pages kept at most


class AuthorizePageError(Exception):
    """An /authorize error that cannot be sent to the application: shown on an error page."""

    def __init__(self, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


class AuthorizeRequest(NamedTuple):
    client_id: str
    redirect_uri: str
    response_types: tuple[str, ...]
    response_mode: str
    scope: str
    audience: str | None = None
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: tuple[str, ...] = ()
    max_age: int | None = None
    connection: str | None = None
    screen_hint: str | None = None
    login_hint: str | None = None
    organization: str | None = None   # the organization's id once checked (the parameter takes a name too)
    invitation: str | None = None     # an organization invitation's ticket
    organization_prompt: str | None = None  # "pre"/"post": ask for the organization before/after the login
    query: tuple[tuple[str, str], ...] = ()  # every parameter as sent (post-login's event.request.query)

    @property
    def silent(self) -> bool:
        return "none" in self.prompt

    @property
    def implicit(self) -> bool:
        """Implicit or hybrid: tokens come back from /authorize itself."""
        return "token" in self.response_types or "id_token" in self.response_types

    def as_record(self) -> dict:
        return self._asdict()

    @classmethod
    def from_record(cls, record: dict) -> "AuthorizeRequest":
        values = dict(record)
        values["response_types"] = tuple(values["response_types"])
        values["prompt"] = tuple(values["prompt"])
        values["query"] = tuple(tuple(pair) for pair in values.get("query", ()))
        return cls(**values)


# The response mode of a step on mockidp's own hosted pages (an MFA page the login waits on):
# redirect_uri is then the page's path, which the web layer puts under the tenant's prefix.
HOSTED_PAGE = "hosted_page"


class AuthorizationResponse(NamedTuple):
    """Where the browser goes next and what it carries: parameters in order, sent per mode."""

    redirect_uri: str
    response_mode: str
    params: tuple[tuple[str, str], ...]


class AuthorizeRedirectError(Exception):
    """An /authorize error sent back to the application."""

    def __init__(self, request: AuthorizeRequest, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.response = error_response(request, error, description)


def error_response(request: AuthorizeRequest, error: str, description: str) -> AuthorizationResponse:
    params = [("error", error), ("error_description", description)]
    if request.state is not None:
        params.append(("state", request.state))
    return AuthorizationResponse(request.redirect_uri, request.response_mode, tuple(params))


# --- validating /authorize --------------------------------------------------------------------

def parse(tenant: "Tenant", params: dict[str, str]) -> AuthorizeRequest:
    """An AuthorizeRequest, or AuthorizePageError / AuthorizeRedirectError as Auth0 answers."""
    with tenant.lock:
        client = _client(tenant, params.get("client_id"))
        redirect_uri = _redirect_uri(client, params.get("redirect_uri"))
        types = tuple((params.get("response_type") or "").split())
        request = AuthorizeRequest(
            client_id=client["client_id"], redirect_uri=redirect_uri, response_types=types,
            response_mode=_response_mode(params.get("response_mode"), types), scope=params.get("scope") or "",
            audience=params.get("audience") or tenant.tenant_settings.get("default_audience") or None,
            state=params.get("state"), nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge") or None,
            code_challenge_method=params.get("code_challenge_method") or None,
            prompt=tuple((params.get("prompt") or "").split()), connection=params.get("connection") or None,
            screen_hint=params.get("screen_hint") or None, login_hint=params.get("login_hint") or None,
            organization=params.get("organization") or None, invitation=params.get("invitation") or None,
            query=tuple((name, value) for name, value in params.items() if isinstance(value, str)))
        _check_response_mode(request, params.get("response_mode"))
        _check_web_message_origin(request, client)
        _check_response_type(request, client)
        request = _check_pkce(request)
        request = request._replace(max_age=_max_age(request, params.get("max_age")))
        _check_prompt(request)
        _check_audience(tenant, request)
        _check_connection(tenant, request)
        return _check_organization(tenant, request, client)


def _client(tenant: "Tenant", client_id: str | None) -> dict:
    if not client_id:
        raise AuthorizePageError("invalid_request", "Missing required parameter: client_id")
    client = tenant.directory.clients.get(client_id)
    if client is None:
        raise AuthorizePageError("invalid_request", f"Unknown client: {client_id}")
    return client


def _redirect_uri(client: dict, redirect_uri: str | None) -> str:
    callbacks = client.get("callbacks") or []
    if redirect_uri is None:
        if not callbacks:
            raise AuthorizePageError("invalid_request", "Missing required parameter: redirect_uri")
        return callbacks[0]  # Auth0 falls back to the first allowed callback URL
    if not any(url_matches(allowed, redirect_uri) for allowed in callbacks):
        raise AuthorizePageError("unauthorized_client", f"Callback URL mismatch. {redirect_uri} is not in "
                                                        "the list of allowed callback URLs")
    return redirect_uri


def url_matches(allowed: str, url: str, *, ignore_query: bool = False) -> bool:
    """Auth0's allow-list match (callbacks, logout URLs, web origins): scheme and host compare
    without regard to case, a `*` in the host stands for one subdomain label
    (https://*.example.com matches https://app.example.com), an empty path is `/`, and the rest
    compares exactly. Logout URLs ignore the query string and fragment (`ignore_query`), as Auth0
    documents for Allowed Logout URLs."""
    wanted, got = urlsplit(allowed), urlsplit(url)
    if wanted.scheme.lower() != got.scheme.lower() or not _host_matches(wanted.netloc, got.netloc):
        return False
    if (wanted.path or "/") != (got.path or "/"):
        return False
    return ignore_query or (wanted.query, wanted.fragment) == (got.query, got.fragment)


def _host_matches(allowed: str, host: str) -> bool:
    allowed, host = allowed.lower(), host.lower()
    if "*" not in allowed:
        return allowed == host
    pattern = "".join("[^./:@]+" if part == "*" else re.escape(part) for part in re.split(r"(\*)", allowed))
    return re.fullmatch(pattern, host) is not None


def _response_mode(mode: str | None, types: tuple[str, ...]) -> str:
    if mode in RESPONSE_MODES:
        return mode
    return "query" if set(types) <= {"code"} else "fragment"


def _check_response_mode(request: AuthorizeRequest, mode: str | None) -> None:
    if mode and mode not in RESPONSE_MODES:
        raise AuthorizeRedirectError(request, "invalid_request", f"Unsupported response_mode: {mode}")


def _check_web_message_origin(request: AuthorizeRequest, client: dict) -> None:
    """web_message posts the response to the redirect_uri's origin, which must be one of the
    client's Allowed Web Origins; otherwise nothing may be posted, so Auth0 shows a page."""
    if request.response_mode != "web_message":
        return
    parts = urlsplit(request.redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    if not any(url_matches(allowed.rstrip("/"), origin) for allowed in client.get("web_origins") or []):
        raise AuthorizePageError("invalid_request", f"The origin {origin} is not in the application's "
                                                    "Allowed Web Origins (needed for response_mode=web_message)")


def _check_response_type(request: AuthorizeRequest, client: dict) -> None:
    types = request.response_types
    if not types:
        raise AuthorizeRedirectError(request, "invalid_request", "Missing required parameter: response_type")
    if not set(types) <= RESPONSE_TYPES or len(set(types)) != len(types):
        raise AuthorizeRedirectError(request, "unsupported_response_type",
                                     f"Unsupported response type: {' '.join(types)}")
    grant_types = client.get("grant_types") or []
    needed = (["authorization_code"] if "code" in types else []) + (["implicit"] if request.implicit else [])
    for grant in needed:
        if grant not in grant_types:
            raise AuthorizeRedirectError(request, "unauthorized_client",
                                         f"Grant type '{grant}' not allowed for the client.")
    if "id_token" in types and not request.nonce:
        raise AuthorizeRedirectError(request, "invalid_request",
                                     "Nonce is required when the response type includes id_token")


def _check_pkce(request: AuthorizeRequest) -> AuthorizeRequest:
    method = request.code_challenge_method
    if method and not request.code_challenge:
        raise AuthorizeRedirectError(request, "invalid_request", "Missing required parameter: code_challenge")
    if request.code_challenge and method is None:
        return request._replace(code_challenge_method="plain")  # RFC 7636's default
    if method and method not in PKCE_METHODS:
        raise AuthorizeRedirectError(request, "invalid_request",
                                     f"Unsupported code_challenge_method: {method}")
    return request


def _max_age(request: AuthorizeRequest, max_age: str | None) -> int | None:
    if max_age is None or max_age == "":
        return None
    if not max_age.isdigit():
        raise AuthorizeRedirectError(request, "invalid_request", "max_age must be a non-negative integer")
    return int(max_age)


def _check_prompt(request: AuthorizeRequest) -> None:
    unknown = [value for value in request.prompt if value not in PROMPTS]
    if unknown:
        raise AuthorizeRedirectError(request, "invalid_request", f"Unsupported prompt: {' '.join(unknown)}")
    if request.silent and len(request.prompt) > 1:
        raise AuthorizeRedirectError(request, "invalid_request",
                                     "prompt=none cannot be combined with other prompt values")


def _check_audience(tenant: "Tenant", request: AuthorizeRequest) -> None:
    if request.audience and resource_servers.find_by_audience(tenant, request.audience) is None:
        raise AuthorizeRedirectError(request, "access_denied", f"Service not found: {request.audience}")


def _check_connection(tenant: "Tenant", request: AuthorizeRequest) -> None:
    if request.connection is None:
        social = strategies.social_connections(tenant.directory.connections.values(), request.client_id)
        if not login_connections(tenant, request.client_id) and not social:
            raise AuthorizeRedirectError(request, "invalid_request", "no connections enabled for the client")
        return
    connection = tenant.directory.connection_by_name(request.connection)
    if connection is None:
        raise AuthorizeRedirectError(request, "invalid_request", "the connection was not found")
    if request.client_id not in (connection.get("enabled_clients") or []):
        raise AuthorizeRedirectError(request, "invalid_request", "the connection is not enabled")
    if connection.get("strategy") != "auth0" and not strategies.is_upstream(connection):
        raise AuthorizeRedirectError(request, "invalid_request", f"mockidp hosts logins for database, social "
                                                                 f"and enterprise connections only; "
                                                                 f"{request.connection} is none of them")


def _check_organization(tenant: "Tenant", request: AuthorizeRequest, client: dict) -> AuthorizeRequest:
    """The client's organization settings (core/organizations/login.py). An invitation's link
    prefills the invitee's email and opens the sign-up page when the invitee has no account."""
    try:
        login = org_login.check_request(tenant, client, request.organization, request.invitation)
    except org_login.OrganizationPrompt as prompt:
        return request._replace(organization_prompt=prompt.when)
    except org_login.OrganizationRefused as refused:
        raise AuthorizeRedirectError(request, refused.error, refused.description) from None
    if login is None:
        return request
    request = request._replace(organization=login.organization["id"])
    if login.invitation is not None:
        email = login.invitation["invitee"]["email"]
        connection = login_connection(tenant, request)
        known = connection is not None and (connection["name"], email.lower()) in tenant.directory.users_by_connection_email
        request = request._replace(login_hint=request.login_hint or email,
                                   screen_hint=request.screen_hint or (None if known else "signup"))
    return request


def login_connections(tenant: "Tenant", client_id: str) -> list[dict]:
    """The database connections enabled for a client, in directory order."""
    return [connection for connection in tenant.directory.connections.values()
            if connection.get("strategy") == "auth0" and client_id in (connection.get("enabled_clients") or [])]


def login_connection(tenant: "Tenant", request: AuthorizeRequest) -> dict | None:
    with tenant.lock:
        if request.connection:
            return tenant.directory.connection_by_name(request.connection)
        found = login_connections(tenant, request.client_id)
        return found[0] if found else None


# --- sessions: may the request use the one it has? ------------------------------------------

def needs_login(request: AuthorizeRequest, session: dict | None, now: int) -> bool:
    """Whether the user must (re-)enter credentials: no session, prompt=login, a session older
    than max_age (max_age=0 always), or a session from another connection than requested."""
    if session is None or "login" in request.prompt:
        return True
    if request.max_age is not None and (request.max_age == 0 or now - session["authenticated_at"] > request.max_age):
        return True
    return bool(request.connection and request.connection != session["connection"])


# --- login transactions (/u/login?state=...) -----------------------------------------------

def begin_transaction(tenant: "Tenant", request: AuthorizeRequest) -> str:
    with tenant.lock:
        now = tenant.clock.now().timestamp()
        drop_stale(tenant.directory.login_transactions, now)
        transaction_id = tenant.rng.alnum(TRANSACTION_ID_LENGTH)
        tenant.directory.login_transactions[transaction_id] = {
            "id": transaction_id, "request": request.as_record(), "expires_ts": now + TRANSACTION_LIFETIME}
        return transaction_id


def find_transaction(tenant: "Tenant", transaction_id: str | None) -> AuthorizeRequest | None:
    if not transaction_id:
        return None
    with tenant.lock:
        transaction = tenant.directory.login_transactions.get(transaction_id)
        if transaction is None:
            return None
        if tenant.clock.now().timestamp() > transaction["expires_ts"]:
            del tenant.directory.login_transactions[transaction_id]
            return None
        return AuthorizeRequest.from_record(transaction["request"])


def choose_organization(tenant: "Tenant", transaction_id: str, name: str) -> AuthorizeRequest:
    """The hosted organization prompt's answer: the transaction goes on for that organization.
    Raises OrganizationRefused (an unknown name) for the page to show."""
    with tenant.lock:
        request = find_transaction(tenant, transaction_id)
        client = tenant.directory.clients.get(request.client_id) if request else None
        if request is None or client is None:
            raise org_login.OrganizationRefused("invalid_request", "the login transaction has expired")
        login = org_login.check_request(tenant, {**client, "organization_usage": "require"}, name.strip(), None)
        chosen = request._replace(organization=login.organization["id"], organization_prompt=None)
        tenant.directory.login_transactions[transaction_id] = {
            **tenant.directory.login_transactions[transaction_id], "request": chosen.as_record()}
        return chosen


def hold_for_organization(tenant: "Tenant", transaction_id: str, user_id: str, count: bool) -> None:
    """The user authenticated; the login waits for the organization they pick (post_login_prompt)."""
    with tenant.lock:
        transaction = tenant.directory.login_transactions.get(transaction_id)
        if transaction is not None:
            tenant.directory.login_transactions[transaction_id] = {
                **transaction, "organization_pending": {"user_id": user_id, "count": count}}


def held_for_organization(tenant: "Tenant", transaction_id: str) -> dict | None:
    """{user_id, count} of a login waiting for its organization, if any."""
    with tenant.lock:
        return (tenant.directory.login_transactions.get(transaction_id) or {}).get("organization_pending")


def end_transaction(tenant: "Tenant", transaction_id: str) -> None:
    with tenant.lock:
        tenant.directory.login_transactions.pop(transaction_id, None)


def drop_stale(records: dict[str, dict], now: float, cap: int = MAX_PENDING) -> None:
    """Keep a store of short-lived records (codes, login transactions) bounded: once it holds
    `cap`, expired records go, then the oldest. Under the tenant lock."""
    if len(records) < cap:
        return
    for key in [key for key, record in records.items() if record["expires_ts"] < now]:
        del records[key]
    while len(records) >= cap:
        del records[next(iter(records))]


def describe(request: AuthorizeRequest) -> dict[str, Any]:
    """The request as Auth0's log details show it (`details.qs`)."""
    shown = {"client_id": request.client_id, "redirect_uri": request.redirect_uri,
             "response_type": " ".join(request.response_types), "response_mode": request.response_mode,
             "scope": request.scope}
    for name in ("audience", "state", "connection", "max_age"):
        value = getattr(request, name)
        if value is not None:
            shown[name] = str(value)
    if request.prompt:
        shown["prompt"] = " ".join(request.prompt)
    return shown
