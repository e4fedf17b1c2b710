"""Tokens issued to users (authorization code, implicit, password and refresh grants): which
scopes a request gets, the ID token, and the access token for an API or for /userinfo.

Scopes. OIDC scopes (openid profile email address phone) are granted as requested;
`offline_access` only when a refresh token may be issued (the client allows the refresh_token
grant and the API allows offline access, or there is no API). For an API, requested scopes the API
defines are granted; with RBAC on (`enforce_policies`) only those the user holds as permissions
(direct or through a role, core/authorization/); for the Management API only `*current_user*`
scopes. Anything else requested is dropped, as Auth0 drops unknown scopes.

The `permissions` claim. With RBAC on and a token dialect that asks for it (`access_token_authz`,
`rfc9068_profile_authz`), the access token lists every permission the user holds on the API,
requested or not, as Auth0 documents; computed when the token is signed, so a refreshed token
reflects the user's permissions at refresh time.

Access tokens without an audience: Auth0 issues an opaque token only /userinfo accepts; mockidp
issues an RS256 JWT whose `aud` is `<issuer>userinfo` (documented in docs/authentication.md).
"""
from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..applications import resource_servers
from ..authorization import permissions as rbac
from ..organizations import members as organization_members
from ..tenant import journal
from ..tokens import jwt as tokens

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

OIDC_SCOPES = ("openid", "profile", "email", "address", "phone", "offline_access")
PROFILE_CLAIMS = ("given_name", "family_name", "nickname", "name", "picture", "updated_at")
USERINFO_ACCESS_TOKEN_LIFETIME = 86400
DEFAULT_ID_TOKEN_LIFETIME = 36000
DEFAULT_PASSWORD_GRANT_SCOPE = "openid profile email address phone"
PERMISSIONS_DIALECTS = ("access_token_authz", "rfc9068_profile_authz")
NO_CLAIMS: Mapping[str, Any] = MappingProxyType({})


class UserGrant(NamedTuple):
    """What a user granted an application: everything tokens are built from."""

    client: dict
    user: dict                       # the profile
    scope: tuple[str, ...]           # granted
    audience: str | None             # an API identifier, or None for /userinfo only
    auth_time: int | None = None
    session_id: str | None = None
    nonce: str | None = None
    organization_id: str | None = None
    # Custom claims post-login Actions set (core/action_triggers.py); reserved ones never get here.
    id_token_claims: Mapping[str, Any] = NO_CLAIMS
    access_token_claims: Mapping[str, Any] = NO_CLAIMS

    @property
    def wants_id_token(self) -> bool:
        return "openid" in self.scope

    @property
    def offline(self) -> bool:
        return "offline_access" in self.scope


def granted_scopes(tenant: "Tenant", client: dict, requested: str | None, audience: str | None,
                   user_id: str, organization_id: str | None = None) -> tuple[str, ...]:
    """The scopes `user_id`'s token gets for `requested` (see the module docstring)."""
    wanted = list(dict.fromkeys((requested or "").split()))
    with tenant.lock:
        server = resource_servers.find_by_audience(tenant, audience) if audience else None
    held = _held_permissions(tenant, server, user_id, organization_id)
    granted = []
    for scope in wanted:
        if scope == "offline_access":
            if refresh_allowed(client, server, audience):
                granted.append(scope)
        elif scope in OIDC_SCOPES or _api_grants(server, scope, held):
            granted.append(scope)
    return tuple(granted)


def adds_permissions(server: dict | None) -> bool:
    """RBAC on and a dialect with the `permissions` claim."""
    return _rbac_enforced(server) and (server or {}).get("token_dialect") in PERMISSIONS_DIALECTS


def _rbac_enforced(server: dict | None) -> bool:
    return bool(server and server.get("enforce_policies")
                and not resource_servers.is_management_audience(server["identifier"]))


def _held_permissions(tenant: "Tenant", server: dict | None, user_id: str,
                      organization_id: str | None) -> list[str] | None:
    """The user's permissions on an API with RBAC on; None when RBAC does not apply."""
    if not _rbac_enforced(server):
        return None
    return rbac.scopes_for_api(tenant, user_id, server["identifier"],
                               organization_role_ids(tenant, user_id, organization_id))


def organization_role_ids(tenant: "Tenant", user_id: str, organization_id: str | None) -> tuple | None:
    """A login through an organization applies the member's roles there instead of the user's
    tenant roles (Auth0: member roles "are applied when users log in through the organization")."""
    if not organization_id:
        return None
    return tuple(organization_members.role_ids(tenant, organization_id, user_id))


def refresh_allowed(client: dict, server: dict | None, audience: str | None) -> bool:
    if "refresh_token" not in (client.get("grant_types") or []):
        return False
    return audience is None or bool(server and server.get("allow_offline_access"))


def _api_grants(server: dict | None, scope: str, held: list[str] | None) -> bool:
    if server is None:
        return False
    if resource_servers.is_management_audience(server["identifier"]):
        return "current_user" in scope
    if held is not None and scope not in held:
        return False
    return scope in resource_servers.scope_names(server)


def token_response(tenant: "Tenant", grant: UserGrant, *, issuer: str, gty: str | None,
                   refresh_token: str | None = None, browser_flow: bool = False) -> dict:
    """The /oauth/token body, in Auth0's key order."""
    access_token, expires_in = access_token_for(tenant, grant, issuer=issuer, gty=gty,
                                                browser_flow=browser_flow)
    body: dict[str, Any] = {"access_token": access_token}
    if refresh_token:
        body["refresh_token"] = refresh_token
    if grant.wants_id_token:
        body["id_token"] = id_token(tenant, grant, issuer=issuer)
    body["scope"] = " ".join(grant.scope)
    body["expires_in"] = expires_in
    body["token_type"] = "Bearer"
    return body


def access_token_for(tenant: "Tenant", grant: UserGrant, *, issuer: str, gty: str | None,
                     browser_flow: bool = False) -> tuple[str, int]:
    """(token, expires_in). `browser_flow` (implicit/hybrid) uses the API's
    token_lifetime_for_web, as Auth0 does; the code flow uses token_lifetime."""
    journal.note_user(grant.user["user_id"])  # whose grant it is, for the request's journal entry
    now = tenant.clock.timestamp()
    userinfo = f"{issuer}userinfo"
    server = None
    if grant.audience:
        with tenant.lock:
            server = resource_servers.find_by_audience(tenant, grant.audience)
    if server is None:
        audience: str | list[str] = userinfo
        lifetime = USERINFO_ACCESS_TOKEN_LIFETIME
    else:
        audience = [grant.audience, userinfo] if grant.wants_id_token else grant.audience
        lifetime = int(server.get("token_lifetime") or 86400)
        if browser_flow:
            lifetime = int(server.get("token_lifetime_for_web") or min(lifetime, 7200))
    claims = tokens.access_token_claims(
        issuer=issuer, subject=grant.user["user_id"], audience=audience,
        client_id=grant.client["client_id"], scope=" ".join(grant.scope), issued_at=now,
        lifetime=lifetime, grant_type=gty)
    claims.update(_organization_claims(tenant, grant.organization_id))
    dialect = (server or {}).get("token_dialect") or "access_token"
    if adds_permissions(server):
        claims["permissions"] = _held_permissions(tenant, server, grant.user["user_id"], grant.organization_id)
    typ = "JWT"
    if dialect.startswith("rfc9068_profile"):
        claims, typ = _rfc9068(tenant, claims), "at+jwt"
    claims = {**grant.access_token_claims, **claims}  # an Action's claim never replaces ours
    if server is not None and server.get("signing_alg") == "HS256" and server.get("signing_secret"):
        return tokens.sign_hs256(claims, server["signing_secret"], typ), lifetime
    return tokens.sign(tenant.keys.signing_key, claims, typ), lifetime


def _rfc9068(tenant: "Tenant", claims: dict) -> dict:
    """Auth0's RFC 9068 profile: `client_id` instead of `azp`, a `jti`, no `gty`."""
    profiled = {key: value for key, value in claims.items() if key not in ("azp", "gty")}
    profiled["client_id"] = claims["azp"]
    profiled["jti"] = tenant.rng.hex(32)
    return profiled


def id_token(tenant: "Tenant", grant: UserGrant, *, issuer: str, access_token: str | None = None,
             code: str | None = None) -> str:
    """An ID token for the client: profile claims per scope, then the registered claims."""
    now = tenant.clock.timestamp()
    user = grant.user
    claims: dict[str, Any] = dict(grant.id_token_claims)  # Actions' claims; ours replace them
    if "profile" in grant.scope:
        claims.update({name: user[name] for name in PROFILE_CLAIMS if name in user})
    if "email" in grant.scope and "email" in user:
        claims["email"] = user["email"]
        claims["email_verified"] = bool(user.get("email_verified", False))
    if "phone" in grant.scope and "phone_number" in user:
        claims["phone_number"] = user["phone_number"]
        claims["phone_number_verified"] = bool(user.get("phone_verified", False))
    lifetime = int((grant.client.get("jwt_configuration") or {}).get("lifetime_in_seconds")
                   or DEFAULT_ID_TOKEN_LIFETIME)
    claims.update({"iss": issuer, "aud": grant.client["client_id"], "sub": user["user_id"],
                   "iat": now, "exp": now + lifetime})
    if grant.auth_time is not None:
        claims["auth_time"] = grant.auth_time
    if grant.session_id:
        claims["sid"] = grant.session_id
    if grant.nonce:
        claims["nonce"] = grant.nonce
    if access_token:
        claims["at_hash"] = half_hash(access_token)
    if code:
        claims["c_hash"] = half_hash(code)
    claims.update(_organization_claims(tenant, grant.organization_id))
    return tokens.sign(tenant.keys.signing_key, claims)


def half_hash(value: str) -> str:
    """OIDC's at_hash / c_hash for RS256: the left half of SHA-256, base64url."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


# --- checking an access token at /userinfo ----------------------------------------------------

USERINFO_AUDIENCE = re.compile(r"^https?://[^/]+/userinfo$")


class InvalidAccessToken(ValueError):
    """Why a bearer token is refused (said in the WWW-Authenticate challenge)."""


def verify_userinfo_token(tenant: "Tenant", token: str) -> Mapping[str, Any]:
    """The claims of an RS256 token signed by this tenant, unexpired on the tenant clock and meant
    for /userinfo (its aud includes a `<base>/userinfo`, whatever host the caller used). A token
    that passed once is remembered (`tenant.verified_userinfo_tokens`); expiry is still checked
    on the tenant clock every time."""
    claims = tenant.verified_userinfo_tokens.get(token)
    if claims is not None:
        _check_userinfo_expiry(tenant, claims)
        journal.note_user(claims["sub"])
        return claims
    try:
        claims = tokens.verified_by_keyring(tenant.keys, token)
    except tokens.TokenError:
        raise InvalidAccessToken("Invalid token") from None
    _check_userinfo_expiry(tenant, claims)
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if not any(isinstance(aud, str) and USERINFO_AUDIENCE.match(aud) for aud in audiences):
        raise InvalidAccessToken("The access token is not valid for /userinfo")
    if not isinstance(claims.get("sub"), str):
        raise InvalidAccessToken("Invalid token")
    claims = MappingProxyType(claims)  # read-only: shared by every later request with this token
    tenant.verified_userinfo_tokens.add(token, claims)
    journal.note_user(claims["sub"])
    return claims


def _check_userinfo_expiry(tenant: "Tenant", claims: Mapping) -> None:
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= tenant.clock.timestamp():
        raise InvalidAccessToken("The access token expired")


def userinfo_claims(profile: dict, scopes: list[str]) -> dict:
    """What /userinfo returns for a user and the token's scopes."""
    claims: dict[str, Any] = {"sub": profile["user_id"]}
    if "profile" in scopes:
        claims.update({name: profile[name] for name in PROFILE_CLAIMS if name in profile})
    if "email" in scopes and "email" in profile:
        claims["email"] = profile["email"]
        claims["email_verified"] = bool(profile.get("email_verified", False))
    if "phone" in scopes and "phone_number" in profile:
        claims["phone_number"] = profile["phone_number"]
        claims["phone_number_verified"] = bool(profile.get("phone_verified", False))
    return claims


def _organization_claims(tenant: "Tenant", organization_id: str | None) -> dict:
    """`org_id`, and `org_name` too when the tenant allows organization names in the
    Authentication API (its `allow_organization_name_in_authentication_api` setting)."""
    if not organization_id:
        return {}
    claims = {"org_id": organization_id}
    organization = tenant.directory.organizations.get(organization_id)
    if organization and tenant.tenant_settings.get("allow_organization_name_in_authentication_api"):
        claims["org_name"] = organization["name"]
    return claims
