"""Applications (clients): Auth0's defaults, create/update/delete, lookup and client authentication.

Records are never mutated in place (reset relies on it): an update stores a new dict.
"""
from __future__ import annotations

import copy
import hmac
from typing import TYPE_CHECKING

from ..tenant import ids
from ..tenant.rng import TenantRandom
from ..tenant.errors import ManagementError, bad_request, not_found

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

DEFAULT_GRANT_TYPES = {
    "non_interactive": ["client_credentials"],
    "spa": ["authorization_code", "implicit", "refresh_token"],
    "native": ["authorization_code", "implicit", "refresh_token"],
    "regular_web": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
}
FALLBACK_GRANT_TYPES = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
# Fields only returned to callers holding read:client_keys.
SECRET_FIELDS = ("client_secret",)
# Fields PATCH /clients/{id} changes only for tokens holding update:client_keys.
KEY_FIELDS = frozenset(("client_secret", "encryption_key"))
PUBLIC_APP_TYPES = ("spa", "native")
# The official spec's ClientAppTypeEnum: what POST /clients accepts, so fixtures accept it too.
APP_TYPES = ("native", "spa", "regular_web", "non_interactive", "resource_server",
             "express_configuration", "rms", "box", "cloudbees", "concur", "dropbox", "mscrm",
             "echosign", "egnyte", "newrelic", "office365", "salesforce", "sentry", "sharepoint",
             "slack", "springcm", "zendesk", "zoom", "sso_integration", "oag")
# Grant types Auth0 accepts on a client (the spec's list plus passwordless and token exchange).
KNOWN_GRANT_TYPES = frozenset((
    "authorization_code", "implicit", "refresh_token", "client_credentials", "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "http://auth0.com/oauth/grant-type/mfa-oob", "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code", "urn:openid:params:grant-type:ciba",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"))
# Nested settings a PATCH merges into the stored ones instead of replacing them.
MERGED_ON_UPDATE = ("jwt_configuration", "refresh_token")
# Objects a PATCH merges key by key, a null deleting its key (their GET schemas allow no null).
NULL_DELETES_ON_UPDATE = ("client_metadata", "native_social_login")


def inexistent_client() -> ManagementError:
    return ManagementError(404, "The client does not exist", "inexistent_client")


def with_defaults(tenant: "Tenant", spec: dict) -> dict:
    """A client as Auth0 returns it after creation, from a (fixture or API) spec."""
    app_type = spec.get("app_type")
    client = {
        "name": spec["name"],
        "client_id": spec.get("client_id") or ids.client_id(tenant.rng),
        "is_first_party": True,
        "is_token_endpoint_ip_header_trusted": False,
        "oidc_conformant": True,
        "jwt_configuration": {"alg": "RS256", "lifetime_in_seconds": 36000, "secret_encoded": False},
        "sso_disabled": False,
        "cross_origin_auth": False,
        "grant_types": DEFAULT_GRANT_TYPES.get(app_type, FALLBACK_GRANT_TYPES),
        "custom_login_page_on": True,
        "callbacks": [], "allowed_logout_urls": [], "allowed_origins": [], "web_origins": [],
        "refresh_token": {"rotation_type": "non-rotating", "expiration_type": "non-expiring",
                          "leeway": 0, "token_lifetime": 2592000, "infinite_token_lifetime": True,
                          "infinite_idle_token_lifetime": True, "idle_token_lifetime": 1296000},
        "token_endpoint_auth_method": "none" if app_type in ("spa", "native") else "client_secret_post",
        "organization_usage": "allow",
    }
    if app_type:
        client["app_type"] = app_type
    client.update(copy.deepcopy({k: v for k, v in spec.items() if k not in ("client_id",)}))
    if "client_secret" not in spec:
        client["client_secret"] = ids.client_secret(tenant.rng)
    return client


GLOBAL_CLIENT_NAME = "All Applications"


def global_client(tenant: "Tenant") -> dict:
    """The tenant's global client ("All Applications"): every Auth0 tenant has one, listed with
    `global: true` (auth0-deploy-cli reads the login page from it). Its id and secret come from a
    generator derived from the seed, so adding it shifts no other generated id."""
    rng = TenantRandom(tenant.rng.seed ^ 0x61C0B4)
    return {"name": GLOBAL_CLIENT_NAME, "client_id": ids.client_id(rng), "client_secret": ids.client_secret(rng),
            "global": True, "is_first_party": True, "is_token_endpoint_ip_header_trusted": False,
            "oidc_conformant": False, "sso_disabled": False, "cross_origin_auth": False,
            "callbacks": [], "custom_login_page_on": True,
            "refresh_token": {"rotation_type": "non-rotating", "expiration_type": "non-expiring",
                              "leeway": 0, "token_lifetime": 2592000, "infinite_token_lifetime": True,
                              "infinite_idle_token_lifetime": True, "idle_token_lifetime": 1296000}}


def find_client(tenant: "Tenant", client_id: str) -> dict:
    client = tenant.directory.clients.get(client_id)
    if client is None:
        raise inexistent_client()
    return client


def public_view(client: dict, with_secrets: bool) -> dict:
    view = copy.deepcopy(client)
    if not with_secrets:
        for field in SECRET_FIELDS:
            view.pop(field, None)
    return view


def list_clients(tenant: "Tenant") -> list[dict]:
    with tenant.lock:
        return list(tenant.directory.clients.values())


def secret_matches(client: dict, secret: str | None) -> bool:
    expected = client.get("client_secret")
    if not (isinstance(secret, str) and secret and expected):
        return False
    # compare_digest refuses non-ASCII str, so compare the UTF-8 bytes (a wrong secret either way).
    return hmac.compare_digest(secret.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


# --- create, update, delete (Management API) ------------------------------------------------

# An Okta Integration Network application as Auth0 creates it (recorded, November 2025): it signs
# in through Okta's admin console, organizations required, private_key_jwt with no credential yet.
EXPRESS_CONFIGURATION_DEFAULTS = {
    "callbacks": ["https://system-admin.okta.com/admin/app/generic/oauth20redirect"],
    "organization_usage": "require", "organization_require_behavior": "pre_login_prompt",
    "client_authentication_methods": {"private_key_jwt": {"credentials": []}},
}


def api_defaults(app_type: str | None) -> dict:
    """What POST /clients returns for a body of just a name, as recorded from real tenants
    (go-auth0 / terraform-provider-auth0 cassettes): no callbacks, no organization_usage, no
    token_endpoint_auth_method unless asked for. Per app_type, mockidp adds the dashboard's grant
    types and makes spa/native clients public (token_endpoint_auth_method none)."""
    client = {
        "is_first_party": True,
        "is_token_endpoint_ip_header_trusted": False,
        "oidc_conformant": False,
        "jwt_configuration": {"secret_encoded": False, "lifetime_in_seconds": 36000},
        "sso_disabled": False,
        "cross_origin_authentication": False,
        "grant_types": list(DEFAULT_GRANT_TYPES.get(app_type, FALLBACK_GRANT_TYPES)),
        "custom_login_page_on": True,
        "refresh_token": {"rotation_type": "non-rotating", "expiration_type": "non-expiring",
                          "leeway": 0, "token_lifetime": 2592000, "infinite_token_lifetime": True,
                          "infinite_idle_token_lifetime": True, "idle_token_lifetime": 1296000},
        # CIBA's notification channel (recorded on every client since late 2025)
        "async_approval_notification_channels": ["guardian-push"],
    }
    if app_type in PUBLIC_APP_TYPES:
        client["token_endpoint_auth_method"] = "none"
    if app_type == "express_configuration":
        client.update(copy.deepcopy(EXPRESS_CONFIGURATION_DEFAULTS))
    return client


def check_grant_types(body: dict) -> None:
    unknown = [grant for grant in body.get("grant_types") or [] if grant not in KNOWN_GRANT_TYPES]
    if unknown:
        raise bad_request(f"Invalid grant types: {', '.join(unknown)}")


def create_client(tenant: "Tenant", body: dict) -> dict:
    """POST /clients with a schema-validated body: the stored client (secret included)."""
    check_grant_types(body)
    with tenant.lock:
        client_id = ids.client_id(tenant.rng)
        while client_id in tenant.directory.clients:
            client_id = ids.client_id(tenant.rng)
        client = {"name": body["name"]}
        if "description" in body:
            client["description"] = body["description"]
        client.update({"client_id": client_id, "client_secret": ids.client_secret(tenant.rng)})
        if body.get("app_type"):
            client["app_type"] = body["app_type"]
        client.update(api_defaults(body.get("app_type")))
        _apply_update(client, {k: v for k, v in body.items() if k not in ("name", "description")},
                      tenant)
        tenant.directory.clients[client_id] = client
        return copy.deepcopy(client)


def update_client(tenant: "Tenant", client_id: str, body: dict) -> dict:
    """PATCH /clients/{id}: top-level attributes replace, jwt_configuration and refresh_token
    merge, client_metadata merges with null deleting a key, null removes an attribute."""
    check_grant_types(body)
    with tenant.lock:
        client = copy.deepcopy(find_client(tenant, client_id))
        _apply_update(client, body, tenant)
        tenant.directory.clients[client_id] = client
        return copy.deepcopy(client)


def _apply_update(client: dict, body: dict, tenant: "Tenant") -> None:
    for key, value in body.items():
        if value is None:
            client.pop(key, None)
        elif key in MERGED_ON_UPDATE and isinstance(client.get(key), dict):
            client[key] = {**client[key], **copy.deepcopy(value)}
        elif key in NULL_DELETES_ON_UPDATE:
            merged = {**(client.get(key) or {}), **copy.deepcopy(value)}
            client[key] = {k: v for k, v in merged.items() if v is not None}
        elif key == "token_vault_privileged_access":
            client[key] = _token_vault_access(tenant, value)
        else:
            client[key] = copy.deepcopy(value)
    if client.get("native_social_login") == {}:
        del client["native_social_login"]  # the GET schema wants at least one provider


def _token_vault_access(tenant: "Tenant", settings: dict) -> dict:
    """Auth0 takes public keys (or existing credential ids) and returns credential ids: each key
    becomes a credential of the client, which GET names by id only."""
    stored = copy.deepcopy(settings)
    stored["credentials"] = [
        {"id": credential["id"]} if "id" in credential else {"id": ids.prefixed("cred", tenant.rng)}
        for credential in settings.get("credentials") or []]
    return stored


def rotate_secret(tenant: "Tenant", client_id: str) -> dict:
    with tenant.lock:
        client = {**find_client(tenant, client_id), "client_secret": ids.client_secret(tenant.rng)}
        tenant.directory.clients[client_id] = client
        return copy.deepcopy(client)


def delete_client(tenant: "Tenant", client_id: str) -> None:
    """Idempotent, as Auth0 (204 for an unknown id). The client's grants go with it, and it leaves
    the enabled clients of every connection."""
    with tenant.lock:
        directory = tenant.directory
        if directory.clients.pop(client_id, None) is None:
            return
        for grant_id in [g["id"] for g in directory.client_grants.values() if g.get("client_id") == client_id]:
            del directory.client_grants[grant_id]
        for connection in list(directory.connections.values()):
            enabled = connection.get("enabled_clients") or []
            if client_id in enabled:
                directory.connections[connection["id"]] = {
                    **connection, "enabled_clients": [c for c in enabled if c != client_id]}


def client_not_found() -> ManagementError:
    """What POST /client-grants answers for an unknown client_id (wording seen from real Auth0)."""
    return not_found("Client not found")
