"""The login triggers: the `event` Auth0 builds for post-login and post-change-password, and what
the Actions' `api` calls do afterwards. Running one Action and recording it: executions.py; the
registration triggers: registration.py; credentials-exchange: machine.py.

- post-login runs after the password was checked and the login counted (so `event.stats` already
  includes this login, as in Auth0), and before a session or tokens exist. Actions run in binding
  order; each sees the metadata set by the ones before it. The first `api.access.deny()` or
  uncaught error ends the flow after that Action; metadata changes are saved either way (Auth0:
  deny "will NOT cancel ... metadata changes"). `api.redirect.sendUserTo` pauses the flow after
  that Action (a Redirect in the outcome); the caller keeps it and calls post_login again with
  `resume` when /continue comes back, which runs that Action's onContinuePostLogin, then the rest.
- post-change-password runs after a password was changed on the reset page, asynchronously like
  Auth0's ("non-blocking"): the change never waits for it or fails because of it. Tests wait for
  it with POST /_mock/actions/wait instead of sleeping.

Node runs outside the tenant lock: an Action may call mockidp back (the Management API).
"""
from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..applications import connections
from ..authorization import roles
from ..directory import identities
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..tenant.clock import iso, monotonic
from ..tenant.errors import Auth0Error
from . import bindings
from .executions import TRIGGER_TIME_LIMIT_S
from .executions import connection_view as _connection_view
from .executions import execute as _execute
from .executions import new_trigger_run
from .executions import request_view as _request_view
from .executions import tenant_id as _tenant_id
from .metadata import MetadataChanges, save_metadata

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# Claims Auth0 restricts (its "Create Custom Claims" page; fact sheet §11) and the OIDC standard
# claims it does not let Actions change: ignored when set, as there. Claims mockidp computes for
# a token also win over an Action's (core/user_tokens.py).
RESERVED_CLAIMS = {"acr", "act", "active", "amr", "at_hash", "ath", "attest", "aud", "auth_time",
                   "authorization_details", "azp", "c_hash", "client_id", "cnf", "cty", "dpop_jkt",
                   "exp", "gty", "htm", "htu", "iat", "internalService", "iss", "jku", "jti", "jwe",
                   "jwk", "kid", "may_act", "mfa", "nbf", "nonce", "org_id", "org_name", "permissions",
                   "roles", "s_hash", "scope", "sid", "sub", "tenant", "token_introspection", "typ",
                   "vc", "vp", "x5c", "x5t", "x5t#S256", "x5u",
                   "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
                   "profile", "picture", "website", "email", "email_verified", "gender", "birthdate",
                   "zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at"}
# What event.user leaves out of the stored profile: login statistics live in event.stats.
NOT_IN_EVENT_USER = {"logins_count", "last_login", "last_ip", "blocked"}


class Redirect(NamedTuple):
    """api.redirect.sendUserTo: where the login goes before /continue resumes it."""

    url: str
    query: dict
    action_id: str                 # the Action whose onContinuePostLogin runs on /continue
    id_token_claims: dict          # set by the Actions before the redirect, kept for the tokens
    access_token_claims: dict
    multifactor: dict | None = None  # api.multifactor.enable before the redirect, kept too


class PostLoginOutcome(NamedTuple):
    profile: dict                  # the user after the Actions' metadata changes
    denied: str | None             # why the login is refused (deny reason or error message)
    id_token_claims: dict
    access_token_claims: dict
    redirect: Redirect | None = None  # the flow is paused until /continue
    multifactor: dict | None = None   # api.multifactor.enable: {provider, allowRememberBrowser}


# api.multifactor.enable's providers: Auth0's, and the factors each lets the user use (None: any
# enabled factor). "none" removes an earlier Action's requirement; Duo is not emulated.
MFA_PROVIDERS = {"any": None, "guardian": None, "google-authenticator": ("otp",), "none": None}
NO_DUO = "mockidp does not emulate the duo MFA provider (api.multifactor.enable('duo'))"

NOT_REDIRECTABLE = "api.redirect.sendUserTo cannot redirect this login (api.redirect.canRedirect() is false)"
NO_REDIRECT_HERE = "mockidp emulates api.redirect.sendUserTo on the hosted login and signup pages only"


class LoginContext(NamedTuple):
    """What post-login's event describes besides the user: who asked, how and from where."""

    client: dict
    connection: dict | None
    request: RequestInfo
    protocol: str                  # e.g. "oidc-basic-profile", "oauth2-password"
    query: dict                    # the /authorize parameters (browser flows)
    transaction: dict              # redirect_uri, requested_scopes, state, ...
    session_id: str | None = None
    body: Mapping[str, Any] = MappingProxyType({})  # a grant's parameters, secrets left out
    method: str = "POST"           # of the request the login completes on (GET /authorize for SSO)
    authenticated_at: int | None = None  # when the password was checked (the session's, for SSO)
    mfa_at: int | None = None            # when a second factor was passed (in this login or its session)
    redirect_state: str | None = None    # the `state` /continue resumes with; None: cannot redirect
    organization: dict | None = None     # the organization the login is for
    role_ids: tuple | None = None        # its member roles, which replace the user's tenant roles


def post_login(tenant: "Tenant", profile: dict, context: LoginContext,
               resume: Redirect | None = None) -> PostLoginOutcome:
    """Run the bound post-login Actions (from the one that redirected, with its onContinuePostLogin,
    when `resume` is the redirect /continue came back from); a denied login is logged `f` here."""
    bound = bindings.bound_actions(tenant, "post-login")
    if not bound:
        return PostLoginOutcome(profile, None, {}, {})
    generation, deadline = tenant.generation, monotonic() + TRIGGER_TIME_LIMIT_S
    trigger_run = new_trigger_run(tenant)
    changes = MetadataChanges()
    id_claims: dict = dict(resume.id_token_claims) if resume else {}
    access_claims: dict = dict(resume.access_token_claims) if resume else {}
    denied, redirect, multifactor = None, None, [resume.multifactor] if resume and resume.multifactor else []
    if resume is not None:
        bound = _from_redirecting_action(bound, resume)
        if not bound:
            denied = "The Action that redirected the login is no longer bound to post-login"
    for position, action in enumerate(bound):
        handler = "onContinuePostLogin" if resume is not None and position == 0 else "onExecutePostLogin"
        event = _post_login_event(tenant, changes.apply(profile), context, action)
        run = _execute(tenant, action, handler, "post-login", event, generation, deadline,
                       context=_runner_context(tenant, context), trigger_run=trigger_run)
        if run.error is not None:  # a failed Action's calls are discarded; the login is denied
            denied = run.error.get("message") or "Action failed"
            break
        sent: list[dict] = []
        denied = _apply_post_login_calls(run.commands, changes, id_claims, access_claims, sent, multifactor)
        if denied is None and sent:  # the flow pauses after this Action (Auth0's redirect contract)
            denied, redirect = _redirect(sent[0], action, context, id_claims, access_claims,
                                         multifactor[-1] if multifactor else None)
        if denied is not None or redirect is not None:
            break  # the Action finished; no later Action runs (until /continue, for a redirect)
    if changes:
        try:
            profile = save_metadata(tenant, profile, changes, generation)
        except Auth0Error as error:  # e.g. a metadata key Auth0 refuses, or the user was deleted
            denied = denied if denied is not None else str(error.body.get("message") or error.body)
    required = multifactor[-1] if multifactor and multifactor[-1]["provider"] != "none" else None
    outcome = PostLoginOutcome(profile, denied, id_claims, access_claims, None if denied else redirect,
                               None if denied else required)
    if denied is not None:
        _log_denied(tenant, outcome, context)
    return outcome


def _from_redirecting_action(bound: list[bindings.BoundAction], resume: Redirect) -> list[bindings.BoundAction]:
    """The Actions left to run on /continue: the one that redirected first; none if it is unbound."""
    ids = [action.action_id for action in bound]
    return bound[ids.index(resume.action_id):] if resume.action_id in ids else []


def _redirect(command: dict, action: bindings.BoundAction, context: LoginContext, id_claims: dict,
              access_claims: dict, multifactor: dict | None) -> tuple[str | None, Redirect | None]:
    """(why the login is denied, or where it goes) for an api.redirect.sendUserTo call."""
    backchannel = context.protocol.startswith("oauth2-")
    if backchannel or "none" in (context.transaction.get("prompt") or []):
        return NOT_REDIRECTABLE, None
    if context.redirect_state is None:
        return NO_REDIRECT_HERE, None
    url, query = command.get("url"), (command.get("options") or {}).get("query") or {}
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not isinstance(query, dict):
        return "api.redirect.sendUserTo needs an absolute http(s) URL and an object as query", None
    return None, Redirect(url, {str(key): _query_value(value) for key, value in query.items()},
                          action.action_id, dict(id_claims), dict(access_claims), multifactor)


def _query_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _runner_context(tenant: "Tenant", context: LoginContext) -> dict:
    """What api.redirect's tokens need: the tenant clock, the tenant's name (iss) and the state."""
    return {"now": int(tenant.clock.timestamp()), "issuer": context.request.hostname,
            "state": context.redirect_state}


def _apply_post_login_calls(commands: list[dict], changes: "MetadataChanges", id_claims: dict,
                            access_claims: dict, sent: list[dict], multifactor: list[dict]) -> str | None:
    """Apply one Action's api calls in order; the reason it denied the login, if it did.
    api.redirect.sendUserTo calls are collected in `sent`, api.multifactor.enable's in `multifactor`."""
    denied = None
    for command in commands:
        op = command.get("op")
        if op == "access.deny" and denied is None:
            denied = str(command.get("reason") or "")
        elif op in ("user.setAppMetadata", "user.setUserMetadata"):
            changes.record(op, command.get("key"), command.get("value"))
        elif op == "idToken.setCustomClaim":
            _set_claim(id_claims, command)
        elif op == "accessToken.setCustomClaim":
            _set_claim(access_claims, command)
        elif op == "redirect.sendUserTo":
            sent.append(command)
        elif op == "multifactor.enable" and denied is None:
            denied = _multifactor(command, multifactor)
    return denied


def _multifactor(command: dict, multifactor: list[dict]) -> str | None:
    """Record an api.multifactor.enable call (the last one wins); why it denies the login, if it does."""
    provider, options = command.get("provider"), command.get("options")
    if provider == "duo":
        return NO_DUO
    if provider not in MFA_PROVIDERS or not isinstance(options, dict):
        return (f"api.multifactor.enable: unknown provider {json.dumps(provider)} "
                f"(one of {', '.join(sorted(MFA_PROVIDERS))}, or duo)")
    multifactor.append({"provider": provider, "allowRememberBrowser": options.get("allowRememberBrowser") is True})
    return None


def _log_denied(tenant: "Tenant", outcome: PostLoginOutcome, context: LoginContext) -> None:
    """A login an Action refused: `f`, with the reason as description."""
    reason = outcome.denied or ""
    logs.record(tenant, "f", reason, request=context.request, client=context.client,
                connection=context.connection, user=outcome.profile,
                details={"error": {"message": reason, "oauthError": "access_denied"},
                         "stats": {"loginsCount": outcome.profile.get("logins_count", 0)}})


def password_changed(tenant: "Tenant", user: dict, request: RequestInfo) -> None:
    """Queue the post-change-password Actions (a copy of the user as it is now)."""
    bound = bindings.bound_actions(tenant, "post-change-password")
    if bound:
        generation, user = tenant.generation, copy.deepcopy(user)
        tenant.actions.queue.submit(lambda: _run_post_change_password(tenant, bound, user, request, generation))


PASSWORD_EVENT_USER_KEYS = ("user_id", "email", "email_verified", "username", "phone_number",
                            "phone_verified", "last_password_reset")


def _run_post_change_password(tenant: "Tenant", bound: list, user: dict, request: RequestInfo,
                              generation: int) -> None:
    deadline, trigger_run = monotonic() + TRIGGER_TIME_LIMIT_S, new_trigger_run(tenant)
    for action in bound:
        if tenant.generation != generation:
            return  # reset since it was queued: it belongs to a test that is over
        event = {"user": {key: user[key] for key in PASSWORD_EVENT_USER_KEYS if key in user},
                 "connection": _connection_view(connections.connection_of(tenant, user)),
                 "request": {**_request_view(request), "method": "POST"},
                 "secrets": dict(action.secrets), "tenant": {"id": _tenant_id(tenant)},
                 "transaction": {}}
        run = _execute(tenant, action, "onExecutePostChangePassword", "post-change-password", event,
                       generation, deadline, trigger_run=trigger_run)
        if run.error is not None and tenant.generation == generation:  # "Failed Post Change Password Hook"
            logs.record(tenant, "fcph", run.error.get("message") or "", request=request, user=user,
                        details={"error": run.error, "action_name": action.name})


# --- the event -------------------------------------------------------------------------------------

def _post_login_event(tenant: "Tenant", profile: dict, context: LoginContext,
                      action: bindings.BoundAction) -> dict:
    shown = identities.without_idp_tokens(profile)  # event.user.identities never carry them
    user = {key: value for key, value in copy.deepcopy(shown).items() if key not in NOT_IN_EVENT_USER}
    user.setdefault("app_metadata", {})   # "never undefined in Actions"
    user.setdefault("user_metadata", {})
    client = context.client
    event = {"user": user, "stats": {"logins_count": int(profile.get("logins_count") or 0)},
             "client": {"client_id": client.get("client_id"), "name": client.get("name", ""),
                        "metadata": dict(client.get("client_metadata") or {})},
             "connection": _connection_view(context.connection),
             "request": {**_request_view(context.request), "method": context.method,
                         "query": dict(context.query), "body": dict(context.body)},
             "transaction": {"protocol": context.protocol, **context.transaction},
             "authentication": {"methods": _methods(tenant, context)},
             "authorization": {"roles": roles.role_names(tenant, profile["user_id"], context.role_ids)},
             "secrets": dict(action.secrets),
             "tenant": {"id": _tenant_id(tenant)}}
    if context.session_id:
        event["session"] = {"id": context.session_id}
    if context.organization is not None:
        organization = context.organization
        event["organization"] = {"id": organization["id"], "name": organization["name"],
                                 "display_name": organization.get("display_name", organization["name"]),
                                 "metadata": dict(organization.get("metadata") or {})}
    return event


def _methods(tenant: "Tenant", context: LoginContext) -> list[dict]:
    """event.authentication.methods: the first factor, then `mfa` once a second factor was passed."""
    methods = [{"name": _method_name(context.connection), "timestamp": _authenticated_at(tenant, context)}]
    if context.mfa_at is not None:
        methods.append({"name": "mfa", "timestamp": iso(datetime.fromtimestamp(context.mfa_at, timezone.utc))})
    return methods


def _method_name(connection: dict | None) -> str:
    """Auth0's name for how the user authenticated: a password, or at an upstream provider."""
    return "pwd" if (connection or {}).get("strategy", "auth0") == "auth0" else "federated"


def _authenticated_at(tenant: "Tenant", context: LoginContext) -> str:
    if context.authenticated_at is None:
        return iso(tenant.clock.now())
    return iso(datetime.fromtimestamp(context.authenticated_at, timezone.utc))


def _set_claim(claims: dict, command: dict) -> None:
    key = command.get("key")
    if isinstance(key, str) and key and key not in RESERVED_CLAIMS:
        claims[key] = command.get("value")
