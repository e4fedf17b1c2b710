"""Applications (clients): Auth0's defaults, lookup and client authentication."""
from __future__ import annotations

import copy
import hmac
from typing import TYPE_CHECKING

from . import ids
from .errors import ManagementError

if TYPE_CHECKING:
    from .tenant import Tenant

DEFAULT_GRANT_TYPES = {
    "non_interactive": ["client_credentials"],
    "spa": ["authorization_code", "implicit", "refresh_token"],
    "native": ["authorization_code", "implicit", "refresh_token"],
    "regular_web": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
}
FALLBACK_GRANT_TYPES = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
# Fields only returned to callers holding read:client_keys.
SECRET_FIELDS = ("client_secret",)


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
    return bool(secret and expected) and hmac.compare_digest(secret, expected)
