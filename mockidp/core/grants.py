"""OAuth grants at /oauth/token. Each grant takes an authenticated client and plain parameters and
returns the token response body, or raises OAuthError with Auth0's wording."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import client_grants, clients, resource_servers, tokens
from .errors import OAuthError

if TYPE_CHECKING:
    from .tenant import Tenant

CLIENT_GRANTS_DOC = "https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str | None
    client_secret: str | None
    method: str  # "client_secret_basic", "client_secret_post" or "none"


def unauthorized_client_auth() -> OAuthError:
    return OAuthError(401, "access_denied", "Unauthorized")


def authenticate_client(tenant: "Tenant", credentials: ClientCredentials) -> dict:
    """A confidential client must present its secret the way it is configured to."""
    if not credentials.client_id:
        raise unauthorized_client_auth()
    with tenant.lock:
        client = tenant.directory.clients.get(credentials.client_id)
    if client is None:
        raise unauthorized_client_auth()
    configured = client.get("token_endpoint_auth_method", "client_secret_post")
    if configured == "none":
        return client
    if credentials.method != configured or not clients.secret_matches(client, credentials.client_secret):
        raise unauthorized_client_auth()
    return client


def require_grant_type(client: dict, grant_type: str) -> None:
    if grant_type not in client.get("grant_types", []):
        raise OAuthError(403, "unauthorized_client",
                         f"Grant type '{grant_type}' not allowed for the client.")


def client_credentials(tenant: "Tenant", client: dict, audience: str | None, scope: str | None,
                       issuer: str) -> dict:
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
    return {"access_token": tokens.sign(tenant.signing_key, claims), "scope": " ".join(granted),
            "expires_in": lifetime, "token_type": "Bearer"}


def _requested_scopes(allowed: list[str], requested: str | None) -> list[str]:
    if not requested or not requested.strip():
        return list(allowed)
    wanted = requested.split()
    missing = [s for s in wanted if s not in allowed]
    if missing:
        raise OAuthError(403, "access_denied", f"Client has not been granted scopes: {', '.join(missing)}")
    return wanted
