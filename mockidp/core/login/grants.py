"""OAuth grants at /oauth/token. Each grant takes an authenticated client and plain parameters and
returns the token response body, or raises OAuthError with Auth0's wording. `exchange` runs one
and writes the tenant log event Auth0 writes for it (seccft, seacft, sepft, sertft and failures)."""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from ..actions import machine as machine_actions
from ..actions import triggers as action_triggers
from ..applications import client_grants, clients, connections, resource_servers
from ..factors import guardian, mfa, oob, passwordless
from ..logs import events as logs
from ..logs.events import NO_REQUEST
from ..tenant.errors import OAuthError
from ..tokens import jwt as tokens
from . import bruteforce, codes, logins, refresh_tokens, user_tokens

if TYPE_CHECKING:
    from ..logs.events import RequestInfo
    from ..tenant.tenant import Tenant

CLIENT_GRANTS_DOC = "https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"


class ClientCredentials(NamedTuple):
    client_id: str | None
    client_secret: str | None
    method: str  # "client_secret_basic", "client_secret_post" or "none"


def unauthorized_client_auth() -> OAuthError:
    return OAuthError(401, "access_denied", "Unauthorized")


# Auth0 takes a confidential client's secret in the body or in a Basic header, whichever of the
# two its `token_endpoint_auth_method` names: Auth0's quickstarts (express-openid-connect,
# Authlib) send Basic to a Regular Web App whose dashboard default is Post, and they work.
SECRET_METHODS = frozenset({"client_secret_post", "client_secret_basic"})


def authenticate_client(tenant: "Tenant", credentials: ClientCredentials) -> dict:
    """A public client (`none`) needs no secret; a confidential one must present its secret by
    either secret method (docs/behaviour.md)."""
    if not credentials.client_id:
        raise unauthorized_client_auth()
    with tenant.lock:
        client = tenant.directory.clients.get(credentials.client_id)
    if client is None:
        raise unauthorized_client_auth()
    configured = client.get("token_endpoint_auth_method", "client_secret_post")
    if configured == "none":
        return client
    if configured not in SECRET_METHODS or credentials.method not in SECRET_METHODS:
        raise unauthorized_client_auth()  # private_key_jwt is not emulated; no secret at all
    if not clients.secret_matches(client, credentials.client_secret):
        raise unauthorized_client_auth()
    return client


def require_grant_type(client: dict, grant_type: str) -> None:
    if grant_type not in client.get("grant_types", []):
        raise OAuthError(403, "unauthorized_client",
                         f"Grant type '{grant_type}' not allowed for the client.")


def client_credentials(tenant: "Tenant", client: dict, audience: str | None, scope: str | None,
                       issuer: str, request: "RequestInfo" = NO_REQUEST,
                       params: Mapping = MappingProxyType({})) -> dict:
    """The M2M token, after the credentials-exchange Actions (which may refuse it or add claims)."""
    require_grant_type(client, "client_credentials")
    audience = audience or tenant.tenant_settings.get("default_audience") or None
    if not audience:
        raise OAuthError(403, "access_denied",
                         "No audience parameter was provided, and no default audience has been configured")
    with tenant.lock:
        server = resource_servers.find_by_audience(tenant, audience)
        if server is None:
            raise OAuthError(403, "access_denied", f"Service not found: {audience}")
        grant = client_grants.grant_for(tenant, client["client_id"], audience)
    if grant is None:
        raise OAuthError(403, "access_denied",
                         f'Client is not authorized to access "{audience}". You need to create a '
                         f'"client-grant" associated to this API. See: {CLIENT_GRANTS_DOC}')
    granted = _requested_scopes(grant["scope"], scope)
    lifetime = int(server.get("token_lifetime") or 86400)
    claims = tokens.access_token_claims(
        issuer=issuer, subject=f"{client['client_id']}@clients", audience=audience,
        client_id=client["client_id"], scope=" ".join(granted), issued_at=tenant.clock.timestamp(),
        lifetime=lifetime, grant_type="client-credentials")
    if user_tokens.adds_permissions(server):  # a client's permissions are its granted scopes
        claims["permissions"] = list(granted)
    outcome = machine_actions.credentials_exchange(tenant, machine_actions.Exchange(
        client, audience, granted, (scope or "").split(), request,
        {key: value for key, value in params.items() if key != "client_secret"}))
    if outcome.denied is not None:
        raise OAuthError(403, "access_denied", outcome.denied)
    claims = {**outcome.claims, **claims}  # a claim mockidp sets always wins
    return {"access_token": tokens.sign(tenant.keys.signing_key, claims), "scope": " ".join(granted),
            "expires_in": lifetime, "token_type": "Bearer"}


def _requested_scopes(allowed: list[str], requested: str | None) -> list[str]:
    if not requested or not requested.strip():
        return list(allowed)
    wanted = requested.split()
    missing = [s for s in wanted if s not in allowed]
    if missing:
        raise OAuthError(403, "access_denied", f"Client has not been granted scopes: {', '.join(missing)}")
    return wanted


# --- user grants: authorization code, refresh token, password (fact sheet §10.4) ------------

PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"
PASSWORDLESS_OTP = passwordless.OTP_GRANT
MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"
MFA_RECOVERY_CODE = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
NO_DEFAULT_CONNECTION = "Authorization server not configured with default connection."
# Log event types per grant: (success, failure). Credential failures of the password grants are
# logged as failed logins (fu/fp/f) by core/logins.py instead.
LOG_TYPES = {"authorization_code": ("seacft", "feacft"), "refresh_token": ("sertft", "fertft"),
             "password": ("sepft", "fepft"), PASSWORD_REALM: ("sepft", "fepft"),
             "client_credentials": ("seccft", "feccft"),
             # Auth0 has no success code for this exchange: a passwordless login logs `s`.
             PASSWORDLESS_OTP: ("s", "fepotpft"),
             MFA_OTP: ("seotpft", "feotpft"), MFA_RECOVERY_CODE: ("sercft", "fercft"),
             MFA_OOB: ("seoobft", "feoobft")}


def exchange(tenant: "Tenant", client: dict, grant_type: str, params: dict[str, str], issuer: str,
             request: "RequestInfo") -> dict:
    """Run one grant for an authenticated client and log its outcome the way Auth0 does."""
    try:
        if grant_type == "client_credentials":
            body = client_credentials(tenant, client, params.get("audience"), params.get("scope"), issuer,
                                      request, params)
            _log_success(tenant, grant_type, client, request, audience=params.get("audience")
                         or tenant.tenant_settings.get("default_audience") or "", scope=body["scope"])
            return body
        if grant_type == "authorization_code":
            return authorization_code(tenant, client, params, issuer, request)
        if grant_type == "refresh_token":
            return refresh_token(tenant, client, params, issuer, request)
        if grant_type in ("password", PASSWORD_REALM):
            return password(tenant, client, grant_type, params, issuer, request)
        if grant_type == PASSWORDLESS_OTP:
            return passwordless_otp(tenant, client, params, issuer, request)
        if grant_type in (MFA_OTP, MFA_RECOVERY_CODE, MFA_OOB):
            return second_factor(tenant, client, grant_type, params, issuer, request)
    except OAuthError as error:
        log_failure(tenant, grant_type, error, request, client=client, client_id=client["client_id"])
        raise
    raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")


def log_failure(tenant: "Tenant", grant_type: str, error: OAuthError, request: "RequestInfo", *,
                client: dict | None = None, client_id: str | None = None) -> None:
    """A failed exchange (unless the failure was already logged as a failed login)."""
    if getattr(error, "logged", False) or grant_type not in LOG_TYPES:
        return
    event_type = LOG_TYPES[grant_type][1]
    if isinstance(error, refresh_tokens.RefreshTokenRejected) and error.reuse:
        event_type = "ferrt"
        record = error.record or {}
        details = {"familyId": record.get("family_id"), "tokenCounter": record.get("counter")}
    else:
        details = {"error": {"message": error.description, "oauthError": error.error}}
    logs.record(tenant, event_type, error.description, request=request, client=client,
                client_id=client_id, details=details)


def _log_success(tenant: "Tenant", grant_type: str, client: dict, request: "RequestInfo", *,
                 user: dict | None = None, audience: str = "", scope: str = "",
                 details: dict | None = None) -> None:
    logs.record(tenant, LOG_TYPES[grant_type][0], "", request=request, client=client, user=user,
                details=details or {}, audience=audience, scope=scope)


def authorization_code(tenant: "Tenant", client: dict, params: dict[str, str], issuer: str,
                       request: "RequestInfo") -> dict:
    require_grant_type(client, "authorization_code")
    code = params.get("code")
    granted = codes.redeem_code(tenant, code, client["client_id"], params.get("redirect_uri"),
                                        params.get("code_verifier"))
    with tenant.lock:
        record = tenant.directory.users.get(granted["user_id"])
    if record is None:  # the user was deleted after logging in
        raise codes.invalid_code()
    grant = user_tokens.UserGrant(
        client=client, user=record.profile, scope=tuple(granted["scope"]), audience=granted["audience"],
        auth_time=granted["auth_time"], session_id=granted["session_id"], nonce=granted["nonce"],
        organization_id=granted["organization_id"], **granted["custom_claims"])
    refresh = refresh_tokens.issue(tenant, grant) if grant.offline else None
    body = user_tokens.token_response(tenant, grant, issuer=issuer, gty=None, refresh_token=refresh)
    _log_success(tenant, "authorization_code", client, request, user=record.profile,
                 audience=granted["audience"] or f"{issuer}userinfo", scope=body["scope"],
                 details={"code": "*" * len(code or "")})
    return body


def refresh_token(tenant: "Tenant", client: dict, params: dict[str, str], issuer: str,
                  request: "RequestInfo") -> dict:
    require_grant_type(client, "refresh_token")
    record, profile = refresh_tokens.exchange(tenant, params.get("refresh_token"), client, params.get("scope"))
    # The token's scopes (or fewer), re-checked against the user's permissions as they are now.
    requested = params["scope"] if params.get("scope") else " ".join(record["scope"])
    scope = user_tokens.granted_scopes(tenant, client, requested, record["audience"], profile["user_id"],
                                       record["organization_id"])
    outcome = _post_login(tenant, profile, client, connections.connection_of(tenant, profile), request,
                          params, " ".join(scope), record["audience"], protocol="oauth2-refresh-token",
                          organization_id=record["organization_id"])
    if outcome.multifactor is not None:  # an Action asked for a second factor: Auth0's mfa_required
        raise mfa.mfa_required(tenant, profile["user_id"], client, connections.connection_of(tenant, profile),
                               audience=record["audience"], scope=" ".join(scope))
    grant = user_tokens.UserGrant(
        client=client, user=outcome.profile, scope=scope, audience=record["audience"],
        auth_time=record["auth_time"], session_id=record["session_id"],
        organization_id=record["organization_id"], id_token_claims=outcome.id_token_claims,
        access_token_claims=outcome.access_token_claims)
    rotated = refresh_tokens.issue(tenant, grant, family=record) if refresh_tokens.rotates(client) else None
    body = user_tokens.token_response(tenant, grant, issuer=issuer, gty="refresh_token", refresh_token=rotated)
    _log_success(tenant, "refresh_token", client, request, user=profile,
                 audience=record["audience"] or f"{issuer}userinfo", scope=body["scope"],
                 details={"familyId": record["family_id"], "tokenCounter": record["counter"]})
    return body


def password(tenant: "Tenant", client: dict, grant_type: str, params: dict[str, str], issuer: str,
             request: "RequestInfo") -> dict:
    """The password and password-realm grants (resource owner password credentials)."""
    require_grant_type(client, grant_type)
    for name in ("username", "password"):
        if not params.get(name):
            raise OAuthError(400, "invalid_request", f"Missing required parameter: {name}")
    connection = _password_connection(tenant, client, params.get("realm") if grant_type == PASSWORD_REALM else None)
    audience = _audience(tenant, params)
    try:
        profile = logins.password_login(tenant, connection, params["username"], params["password"],
                                        client=client, request=request, base_url=issuer.rstrip("/"))
    except logins.LoginFailed as failure:
        raise _credential_error(failure) from None
    if guardian.mfa_applies(tenant):  # post-login Actions run once the second factor is in
        raise mfa.mfa_required(tenant, profile["user_id"], client, connection, audience=audience,
                               scope=params.get("scope") or user_tokens.DEFAULT_PASSWORD_GRANT_SCOPE)
    body = _user_tokens(tenant, client, profile, connection, params, audience, issuer, request, gty="password")
    _log_success(tenant, grant_type, client, request, user=profile, audience=audience or f"{issuer}userinfo",
                 scope=body["scope"])
    return body


def passwordless_otp(tenant: "Tenant", client: dict, params: dict[str, str], issuer: str,
                     request: "RequestInfo") -> dict:
    """A one-time code from /passwordless/start (core/factors/passwordless.py) for tokens."""
    require_grant_type(client, PASSWORDLESS_OTP)
    for name in ("username", "otp", "realm"):
        if not params.get(name):
            raise OAuthError(400, "invalid_request", f"Missing required parameter: {name}")
    audience = _audience(tenant, params)
    redeemed = passwordless.redeem(tenant, client, params["realm"], params["username"], params["otp"],
                                   request=request)
    with tenant.lock:
        profile = logins.count_login(tenant, tenant.directory.users[redeemed.profile["user_id"]], request)
        if profile.get("blocked"):
            logins.log_blocked(tenant, redeemed.connection, client, request, profile)
            raise _credential_error(logins.LoginFailed("blocked", profile))
    body = _user_tokens(tenant, client, profile, redeemed.connection, params, audience, issuer, request, gty=None)
    logs.record(tenant, "s", "", request=request, client=client, connection=redeemed.connection, user=profile,
                details={"prompts": [], "stats": {"loginsCount": profile.get("logins_count", 0)}},
                audience=audience or f"{issuer}userinfo", scope=body["scope"])
    return body


def second_factor(tenant: "Tenant", client: dict, grant_type: str, params: dict[str, str], issuer: str,
                  request: "RequestInfo") -> dict:
    """The mfa-otp, mfa-oob and mfa-recovery-code grants: finish the login an mfa_token
    interrupted (core/factors/mfa.py, oob.py). Tokens carry `amr: ["mfa"]`."""
    require_grant_type(client, grant_type)
    secret_names = {MFA_OTP: ("otp",), MFA_OOB: ("oob_code", "binding_code")}.get(grant_type, ("recovery_code",))
    for name in ("mfa_token", *secret_names):
        if not params.get(name):
            raise OAuthError(400, "invalid_request", f"Missing required parameter: {name}")
    new_recovery_code = None
    if grant_type == MFA_OTP:
        pending = mfa.verify_otp(tenant, client, params["mfa_token"], params["otp"])
    elif grant_type == MFA_OOB:
        pending = oob.verify(tenant, client, params["mfa_token"], params["oob_code"], params["binding_code"])
    else:
        pending, new_recovery_code = mfa.verify_recovery_code(tenant, client, params["mfa_token"],
                                                              params["recovery_code"])
    with tenant.lock:
        record = tenant.directory.users.get(pending["user_id"])
        connection = tenant.directory.connection_by_name(pending["connection"]) or {"name": pending["connection"]}
    if record is None:
        raise OAuthError(403, "invalid_grant", mfa.MALFORMED_TOKEN)
    body = _user_tokens(tenant, client, dict(record.profile), connection, {**params, "scope": pending["scope"]},
                        pending["audience"], issuer, request, gty="password", amr=("mfa",))
    if new_recovery_code:
        body["recovery_code"] = new_recovery_code
    _log_success(tenant, grant_type, client, request, user=record.profile,
                 audience=pending["audience"] or f"{issuer}userinfo", scope=body["scope"])
    return body


def _audience(tenant: "Tenant", params: dict[str, str]) -> str | None:
    audience = params.get("audience") or tenant.tenant_settings.get("default_audience") or None
    with tenant.lock:
        if audience and resource_servers.find_by_audience(tenant, audience) is None:
            raise OAuthError(403, "access_denied", f"Service not found: {audience}")
    return audience


def _user_tokens(tenant: "Tenant", client: dict, profile: dict, connection: dict, params: dict[str, str],
                 audience: str | None, issuer: str, request: "RequestInfo", *, gty: str | None,
                 amr: tuple[str, ...] = ()) -> dict:
    """Post-login Actions, then the token response of a user who just authenticated (`amr`:
    the authentication methods claim, ["mfa"] after a second factor)."""
    requested = params.get("scope") or user_tokens.DEFAULT_PASSWORD_GRANT_SCOPE
    outcome = _post_login(tenant, profile, client, connection, request, params, requested, audience,
                          mfa_at=int(tenant.clock.timestamp()) if amr else None)
    if outcome.multifactor is not None and "mfa" not in amr:  # an Action asked for a second factor
        raise mfa.mfa_required(tenant, profile["user_id"], client, connection, audience=audience, scope=requested)
    scope = user_tokens.granted_scopes(tenant, client, requested, audience, profile["user_id"])
    methods = {"amr": list(amr)} if amr else {}
    grant = user_tokens.UserGrant(client=client, user=outcome.profile, scope=scope, audience=audience,
                                  auth_time=tenant.clock.timestamp(),
                                  id_token_claims={**outcome.id_token_claims, **methods},
                                  access_token_claims={**outcome.access_token_claims, **methods})
    refresh = refresh_tokens.issue(tenant, grant) if grant.offline else None
    return user_tokens.token_response(tenant, grant, issuer=issuer, gty=gty, refresh_token=refresh)


def _post_login(tenant: "Tenant", profile: dict, client: dict, connection: dict | None, request: "RequestInfo",
                params: dict[str, str], scope: str, audience: str | None,
                protocol: str = "oauth2-password", organization_id: str | None = None,
                mfa_at: int | None = None) -> "action_triggers.PostLoginOutcome":
    """Post-login Actions for a password or refresh-token grant (Auth0 runs them on both): a
    denial is a 403 access_denied, as Auth0's."""
    body = {key: value for key, value in params.items()
            if key not in ("password", "client_secret", "refresh_token", "otp", "recovery_code", "mfa_token",
                       "binding_code")}
    transaction = {"requested_scopes": scope.split(), "locale": "en", "prompt": [], "ui_locales": [],
                   "acr_values": []}
    if audience:
        transaction["audience"] = audience
    role_ids = user_tokens.organization_role_ids(tenant, profile["user_id"], organization_id)
    context = action_triggers.LoginContext(client, connection, request, protocol, {}, transaction, body=body,
                                           role_ids=role_ids, mfa_at=mfa_at)
    outcome = action_triggers.post_login(tenant, profile, context)
    if outcome.denied is not None:  # logged `f` by post_login
        raise OAuthError(403, "access_denied", outcome.denied)
    return outcome


def _password_connection(tenant: "Tenant", client: dict, realm: str | None) -> dict:
    # Without a realm (auth0-python's GetToken.login sends realm null) the tenant's default
    # directory is used, as for the plain password grant.
    name = realm or tenant.tenant_settings.get("default_directory")
    if not name:
        raise OAuthError(500, "server_error", NO_DEFAULT_CONNECTION)
    with tenant.lock:
        connection = tenant.directory.connection_by_name(name)
    if connection is None:
        raise OAuthError(400, "invalid_request", "the connection was not found")
    if client["client_id"] not in (connection.get("enabled_clients") or []):
        raise OAuthError(400, "invalid_request", "the connection is not enabled")
    if connection.get("strategy") != "auth0":
        raise OAuthError(400, "invalid_request", "invalid connection specified for password grant")
    return connection


def _credential_error(failure: "logins.LoginFailed") -> OAuthError:
    if failure.reason == "blocked":
        error = OAuthError(401, "unauthorized", logins.USER_BLOCKED)
    elif failure.reason == "too_many_attempts":
        error = OAuthError(429, "too_many_attempts", bruteforce.TOO_MANY_ATTEMPTS)
    elif failure.reason == "ip_blocked":
        error = OAuthError(429, "too_many_attempts", bruteforce.SUSPICIOUS_LOGINS)
    else:
        error = OAuthError(403, "invalid_grant", logins.WRONG_CREDENTIALS)
    error.logged = True  # logged as a failed login (fu/fp/f) by core/logins.py
    return error
