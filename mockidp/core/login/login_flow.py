"""The end of a browser login: the session, the counters and log events, and what goes back to the
application (a code, tokens, or an error) for a validated /authorize request.

Three ways in:
- `with_session`: /authorize found a session it may use (SSO, or silent auth with prompt=none).
  Silent auth logs `ssa` and does not count as a login; an SSO login logs `s` and counts.
- `silent_login_failed`: prompt=none without a usable session: `login_required`, logged `fsa`.
- `after_login`: the user just authenticated on the hosted pages (login or signup): the session is
  started, or renewed (auth_time) when it is the same user's, and the login is logged `s`.
- `magic_link`: a passwordless email's link (/passwordless/verify_redirect) carries an /authorize
  request and a one-time code; once the code is redeemed it ends like `after_login`.

Post-login Actions (core/action_triggers.py) run once the login is counted and before a session
or tokens exist, outside the tenant lock; one that denies ends the login with `access_denied`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..actions import triggers as action_triggers
from ..factors import hosted_mfa, passwordless
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..organizations import login as org_login
from ..tenant.errors import OAuthError
from . import authorize, codes, logins, sessions, user_tokens
from .authorize import AuthorizationResponse, AuthorizeRequest

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

LOGIN_REQUIRED = "Login required"
MFA_REQUIRED = "Multifactor authentication required"
NO_FACTOR = "Multifactor authentication required, but no MFA factor the user can use is enabled"


def with_session(tenant: "Tenant", request: AuthorizeRequest, session: dict, *, issuer: str,
                 info: RequestInfo) -> AuthorizationResponse:
    with tenant.lock:
        record = tenant.directory.users.get(session["user_id"])
        client = tenant.directory.clients.get(request.client_id)
        if record is None or client is None:  # deleted since /authorize looked
            return authorize.error_response(request, "login_required", LOGIN_REQUIRED)
        connection = tenant.directory.connection_by_name(session["connection"])
        if record.profile.get("blocked"):
            profile = logins.count_login(tenant, record, info)  # blocked attempts count too (§5.4)
            logins.log_blocked(tenant, connection, client, info, profile)
            return authorize.error_response(request, "unauthorized", logins.USER_BLOCKED)
        profile = dict(record.profile) if request.silent else logins.count_login(tenant, record, info)
    refused = organization_gate(tenant, request, profile, connection, client, info)
    if refused is not None:
        return refused
    context = login_context(tenant, request, client, connection, info, session["id"], profile["user_id"],
                            method="GET", authenticated_at=session["authenticated_at"], mfa_at=session.get("mfa_at"))
    outcome = action_triggers.post_login(tenant, profile, context)  # outside the lock: runs Node
    if outcome.denied is not None:  # logged `f` by post_login
        return authorize.error_response(request, "access_denied", outcome.denied)
    amr = ("mfa",) if session.get("mfa_at") else ()
    if _second_factor_due(outcome, (), session):  # the session's factor counts if the browser is remembered
        if request.silent:  # no page to ask on (UNCONFIRMED: Auth0's error for checkSession)
            return authorize.error_response(request, "login_required", MFA_REQUIRED)
        with tenant.lock:
            transaction_id = authorize.begin_transaction(tenant, request)
        return _pause_for_second_factor(tenant, transaction_id, request, outcome, connection)[0]
    profile = outcome.profile
    with tenant.lock:
        if request.silent:
            logs.record(tenant, "ssa", "", request=info, client=client, user=profile,
                        details=_details(request, session, profile))
        else:
            logs.record(tenant, "s", "", request=info, client=client, connection=connection,
                        user=profile, details=_details(request, session, profile))
        session = sessions.used_by(tenant, session["id"], request.client_id)
    return respond(tenant, request, profile, session, issuer=issuer, outcome=outcome, amr=amr)  # signs outside the lock


def silent_login_failed(tenant: "Tenant", request: AuthorizeRequest, info: RequestInfo) -> AuthorizationResponse:
    with tenant.lock:
        client = tenant.directory.clients.get(request.client_id)
    logs.record(tenant, "fsa", LOGIN_REQUIRED, request=info, client=client, audience=request.audience or "",
                scope=request.scope, details={"qs": authorize.describe(request)})
    return authorize.error_response(request, "login_required", LOGIN_REQUIRED)


def after_login(tenant: "Tenant", transaction_id: str, request: AuthorizeRequest, profile: dict,
                connection: dict, current_session: dict | None, *, issuer: str, info: RequestInfo,
                count: bool = False, amr: tuple[str, ...] = ()) -> tuple[AuthorizationResponse, dict | None]:
    """(response, session) once the user authenticated; `count` the login unless the password
    check already did; `amr` its methods (["mfa"] after a second factor). No session when a
    post-login Action denied the login."""
    with tenant.lock:
        if count:
            profile = logins.count_login(tenant, tenant.directory.users[profile["user_id"]], info)
        client = tenant.directory.clients.get(request.client_id) or {"client_id": request.client_id}
    refused = organization_gate(tenant, request, profile, connection, client, info)
    if refused is not None:
        with tenant.lock:
            authorize.end_transaction(tenant, transaction_id)
        return refused, None
    context = login_context(tenant, request, client, connection, info, None, profile["user_id"],
                            redirect_state=transaction_id, mfa_at=_now(tenant) if amr else None)
    outcome = action_triggers.post_login(tenant, profile, context)  # outside the lock: runs Node
    return _after_actions(tenant, transaction_id, request, outcome, connection, current_session,
                          issuer=issuer, info=info, amr=amr)


def resume(tenant: "Tenant", transaction_id: str, query: dict, body: dict, current_session: dict | None, *,
           issuer: str, info: RequestInfo) -> tuple[AuthorizationResponse, dict | None] | None:
    """/continue?state=: the login a post-login Action redirected resumes with the Action's
    onContinuePostLogin (event.request.query/body: /continue's), then the later Actions. None
    when no login waits under that state."""
    with tenant.lock:
        transaction = tenant.directory.login_transactions.get(transaction_id) or {}
        paused = transaction.get("paused")
        record = tenant.directory.users.get(paused["user_id"]) if paused else None
        if paused is None or record is None or tenant.clock.now().timestamp() > transaction["expires_ts"]:
            return None
        # Resumed once: a replayed /continue finds nothing to resume.
        tenant.directory.login_transactions[transaction_id] = {k: v for k, v in transaction.items() if k != "paused"}
        request = AuthorizeRequest.from_record(transaction["request"])
        connection = tenant.directory.connection_by_name(paused["connection"]) or {"name": paused["connection"]}
        client = tenant.directory.clients.get(request.client_id) or {"client_id": request.client_id}
        profile = dict(record.profile)
    amr = tuple(paused.get("amr") or ())
    context = login_context(tenant, request, client, connection, info, None, profile["user_id"],
                            redirect_state=transaction_id, mfa_at=paused.get("mfa_at"))
    context = context._replace(query=dict(query), body=dict(body), method="POST" if body else "GET")
    outcome = action_triggers.post_login(tenant, profile, context,
                                         resume=action_triggers.Redirect(**paused["redirect"]))
    return _after_actions(tenant, transaction_id, request, outcome, connection, current_session,
                          issuer=issuer, info=info, amr=amr)


def _after_actions(tenant: "Tenant", transaction_id: str, request: AuthorizeRequest,
                   outcome: action_triggers.PostLoginOutcome, connection: dict, current_session: dict | None,
                   *, issuer: str, info: RequestInfo,
                   amr: tuple[str, ...] = ()) -> tuple[AuthorizationResponse, dict | None]:
    """Denied: back to the app with the error; redirected: to the Action's URL with `state`,
    the login kept for /continue (with its `amr`); an Action required MFA that this login has
    not passed: to the hosted MFA page; else the session and the response (`amr`: after_login's)."""
    if outcome.denied is not None:
        with tenant.lock:
            authorize.end_transaction(tenant, transaction_id)
        return authorize.error_response(request, "access_denied", outcome.denied), None
    profile = outcome.profile
    if outcome.redirect is not None:
        with tenant.lock:
            transaction = tenant.directory.login_transactions.get(transaction_id)
            if transaction is not None:
                paused = {"user_id": profile["user_id"], "connection": connection["name"],
                          "redirect": outcome.redirect._asdict(), "amr": list(amr),
                          "mfa_at": _now(tenant) if amr else None}
                tenant.directory.login_transactions[transaction_id] = {**transaction, "paused": paused}
        params = (("state", transaction_id), *outcome.redirect.query.items())
        return AuthorizationResponse(outcome.redirect.url, "query", params), None
    if _second_factor_due(outcome, amr, current_session):
        return _pause_for_second_factor(tenant, transaction_id, request, outcome, connection)
    mfa_at = _now(tenant) if amr else None
    with tenant.lock:
        if current_session and current_session["user_id"] == profile["user_id"]:
            session = sessions.used_by(tenant, current_session["id"], request.client_id, reauthenticated=True,
                                       mfa_at=mfa_at)
        else:
            sessions.end(tenant, (current_session or {}).get("id"))
            session = sessions.start(tenant, profile["user_id"], connection["name"],
                                     client_id=request.client_id, request=info, mfa_at=mfa_at)
        authorize.end_transaction(tenant, transaction_id)
        client = tenant.directory.clients.get(request.client_id)
        logs.record(tenant, "s", "", request=info, client=client, connection=connection,
                    user=profile, details=_details(request, session, profile))
    return respond(tenant, request, profile, session, issuer=issuer, outcome=outcome, amr=amr), session  # signs outside the lock


def _second_factor_due(outcome: action_triggers.PostLoginOutcome, amr: tuple[str, ...],
                       current_session: dict | None) -> bool:
    """An Action's api.multifactor.enable asks for a second factor this login has not passed. With
    `allowRememberBrowser`, a browser whose session (the same user's) passed one is not asked
    again: mockidp remembers the browser through its SSO session (docs/behaviour.md)."""
    required = outcome.multifactor
    if required is None or "mfa" in amr:
        return False
    remembered = bool(current_session and current_session["user_id"] == outcome.profile["user_id"]
                      and current_session.get("mfa_at") and required["allowRememberBrowser"])
    return not remembered


def _pause_for_second_factor(tenant: "Tenant", transaction_id: str, request: AuthorizeRequest,
                             outcome: action_triggers.PostLoginOutcome,
                             connection: dict) -> tuple[AuthorizationResponse, None]:
    """The hosted MFA page the login waits on, the Actions' outcome kept for after_second_factor;
    `access_denied` when the provider leaves the user no enabled factor."""
    resume = {"connection": connection["name"], "id_token_claims": dict(outcome.id_token_claims),
              "access_token_claims": dict(outcome.access_token_claims)}
    page = hosted_mfa.begin(tenant, transaction_id, outcome.profile["user_id"], count=False,
                            factors=action_triggers.MFA_PROVIDERS[outcome.multifactor["provider"]], resume=resume)
    if page is None:
        with tenant.lock:
            authorize.end_transaction(tenant, transaction_id)
        return authorize.error_response(request, "access_denied", NO_FACTOR), None
    return AuthorizationResponse(page, authorize.HOSTED_PAGE, (("state", transaction_id),)), None


def after_second_factor(tenant: "Tenant", transaction_id: str, request: AuthorizeRequest, waiting: dict,
                        current_session: dict | None, *, issuer: str,
                        info: RequestInfo) -> tuple[AuthorizationResponse, dict | None]:
    """The second factor an Action required is in: the login ends with the Actions' outcome (they
    do not run again) and `amr: ["mfa"]`."""
    resume = waiting["resume"]
    with tenant.lock:
        record = tenant.directory.users.get(waiting["user_id"])
        connection = tenant.directory.connection_by_name(resume["connection"]) or {"name": resume["connection"]}
    if record is None:
        return authorize.error_response(request, "access_denied", "The user no longer exists"), None
    outcome = action_triggers.PostLoginOutcome(dict(record.profile), None, resume["id_token_claims"],
                                               resume["access_token_claims"])
    return _after_actions(tenant, transaction_id, request, outcome, connection, current_session,
                          issuer=issuer, info=info, amr=("mfa",))


def _now(tenant: "Tenant") -> int:
    return int(tenant.clock.timestamp())


def magic_link(tenant: "Tenant", params: dict[str, str], current_session: dict | None, *, issuer: str,
               info: RequestInfo) -> tuple[AuthorizationResponse, dict | None]:
    """(response, session) for a magic link. The link's auth params are validated like
    /authorize's (AuthorizePageError / AuthorizeRedirectError) before the code is spent; a
    wrong, used or expired code goes back to the application as an error."""
    query = {key: value for key, value in params.items()
             if key not in ("verification_code", "connection", "email")}
    query.setdefault("response_type", "code")  # docs/behaviour.md: a link without authParams
    request = authorize.parse(tenant, query)
    with tenant.lock:
        client = tenant.directory.clients.get(request.client_id)
    try:
        redeemed = passwordless.redeem(tenant, client, params.get("connection") or "", params.get("email") or "",
                                       params.get("verification_code") or "", request=info)
    except OAuthError as failure:
        return authorize.error_response(request, failure.error, failure.description), None
    with tenant.lock:
        transaction = authorize.begin_transaction(tenant, request)
    return after_login(tenant, transaction, request, redeemed.profile, redeemed.connection, current_session,
                       issuer=issuer, info=info, count=True)


def respond(tenant: "Tenant", request: AuthorizeRequest, profile: dict, session: dict, *,
            issuer: str, outcome: action_triggers.PostLoginOutcome | None = None,
            amr: tuple[str, ...] = ()) -> AuthorizationResponse:
    """The code and/or tokens for the request, in Auth0's parameter order."""
    with tenant.lock:
        client = tenant.directory.clients.get(request.client_id)
        organization = tenant.directory.organizations.get(request.organization) if request.organization else None
    if client is None:  # deleted during the login
        return authorize.error_response(request, "unauthorized_client", f"Unknown client: {request.client_id}")
    organization_id = (organization or {}).get("id")
    scope = user_tokens.granted_scopes(tenant, client, request.scope, request.audience, profile["user_id"],
                                       organization_id)
    claims = {"id_token_claims": dict(outcome.id_token_claims if outcome else {}),
              "access_token_claims": dict(outcome.access_token_claims if outcome else {})}
    if amr:  # both tokens name how the user authenticated, as Auth0's do after MFA
        for token_claims in claims.values():
            token_claims["amr"] = list(amr)
    params: list[tuple[str, str]] = []
    code = None
    if "code" in request.response_types:
        code = codes.issue_code(tenant, request, user_id=profile["user_id"], scope=list(scope),
                                        session_id=session["id"], auth_time=session["authenticated_at"],
                                        organization_id=organization_id, custom_claims=claims)
        params.append(("code", code))
    grant = user_tokens.UserGrant(client=client, user=profile, scope=scope, audience=request.audience,
                                  auth_time=session["authenticated_at"], session_id=session["id"],
                                  nonce=request.nonce, organization_id=organization_id, **claims)
    access_token = None
    if "token" in request.response_types:
        access_token, expires_in = user_tokens.access_token_for(tenant, grant, issuer=issuer, gty=None,
                                                                browser_flow=True)
        params += [("access_token", access_token), ("scope", " ".join(scope)),
                   ("expires_in", str(expires_in)), ("token_type", "Bearer")]
    if "id_token" in request.response_types:
        params.append(("id_token", user_tokens.id_token(tenant, grant, issuer=issuer,
                                                        access_token=access_token, code=code)))
    if request.state is not None:
        params.append(("state", request.state))
    return AuthorizationResponse(request.redirect_uri, request.response_mode, tuple(params))


def organization_gate(tenant: "Tenant", request: AuthorizeRequest, profile: dict, connection: dict | None,
                      client: dict, info: RequestInfo) -> AuthorizationResponse | None:
    """A login for an organization lets in members only (or makes the user one: an invitation, or
    a connection that assigns membership); the error for the app otherwise, before any Action."""
    if not request.organization:
        return None
    try:
        login = org_login.check_request(tenant, client, request.organization, None)
        if login is not None:
            org_login.admit(tenant, login._replace(ticket=request.invitation), profile, connection, client, info)
    except org_login.OrganizationRefused as refused:
        return authorize.error_response(request, refused.error, refused.description)
    return None


def login_context(tenant: "Tenant", request: AuthorizeRequest, client: dict, connection: dict | None,
                  info: RequestInfo, session_id: str | None, profile_id: str, *, method: str = "POST",
                  authenticated_at: int | None = None, redirect_state: str | None = None,
                  mfa_at: int | None = None) -> action_triggers.LoginContext:
    """What post-login Actions see of a browser login: /authorize's parameters and transaction."""
    transaction = {"redirect_uri": request.redirect_uri, "requested_scopes": request.scope.split(),
                   "response_mode": request.response_mode, "response_type": list(request.response_types),
                   "prompt": list(request.prompt), "locale": "en", "ui_locales": [], "acr_values": []}
    for name in ("state", "login_hint"):
        if getattr(request, name) is not None:
            transaction[name] = getattr(request, name)
    organization = tenant.directory.organizations.get(request.organization) if request.organization else None
    role_ids = user_tokens.organization_role_ids(tenant, profile_id, (organization or {}).get("id"))
    return action_triggers.LoginContext(client, connection, info, _protocol(request), dict(request.query),
                                        transaction, session_id, method=method,
                                        authenticated_at=authenticated_at, organization=organization,
                                        role_ids=role_ids, redirect_state=redirect_state, mfa_at=mfa_at)


def _protocol(request: AuthorizeRequest) -> str:
    if "code" not in request.response_types:
        return "oidc-implicit-profile"
    return "oidc-hybrid-profile" if len(request.response_types) > 1 else "oidc-basic-profile"


def _details(request: AuthorizeRequest, session: dict, profile: dict) -> dict:
    return {"prompts": [], "session_id": session["id"], "qs": authorize.describe(request),
            "stats": {"loginsCount": profile.get("logins_count", 0)}}
