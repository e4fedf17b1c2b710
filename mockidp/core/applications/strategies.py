"""Connection strategies that sign users in at an upstream identity provider, as Auth0 names them.

Social strategies put `isSocial: true` on the identity and get a button on the login page
("Continue with Google"); enterprise strategies (a company's OIDC, SAML, Azure AD or Okta IdP) are
reached by `connection=` or by an email whose domain is one of the connection's
`options.domain_aliases` (home realm discovery). The provider is named after the strategy.
"""
from __future__ import annotations

# strategy -> the provider's name on Universal Login's button
SOCIAL = {
    "google-oauth2": "Google",
    "github": "GitHub",
    "apple": "Apple",
    "windowslive": "Microsoft Account",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "oauth2": "Custom OAuth2",
}


ENTERPRISE = frozenset(("oidc", "samlp", "waad", "okta", "adfs", "google-apps", "pingfederate"))


def is_social(connection: dict | None) -> bool:
    return bool(connection) and connection.get("strategy") in SOCIAL


def is_upstream(connection: dict | None) -> bool:
    """Whether logins of this connection happen at the (mock) upstream provider."""
    return is_social(connection) or is_enterprise(connection)


def is_enterprise(connection: dict | None) -> bool:
    return bool(connection) and connection.get("strategy") in ENTERPRISE


def button_label(connection: dict) -> str:
    """"Continue with Google"; a custom oauth2 connection shows its display name or name."""
    if connection["strategy"] == "oauth2":
        return f"Continue with {connection.get('display_name') or connection['name']}"
    return f"Continue with {SOCIAL[connection['strategy']]}"


def provider_of(connection: dict) -> str:
    """The identity's `provider` and the user_id's prefix: the strategy, as Auth0 does."""
    return connection["strategy"]


def identity_user_id(connection: dict, upstream_id: str) -> str:
    """The identity's `user_id` (the user's id after `provider|`): social and Azure AD users keep the
    provider's id; other enterprise users are `<connection name>|<id>`, as Auth0 keys them."""
    if is_social(connection) or connection["strategy"] == "waad":
        return upstream_id
    return f"{connection['name']}|{upstream_id}"


def home_realm(tenant_connections, client_id: str, email: str) -> dict | None:
    """The enterprise connection enabled for a client whose domain_aliases hold the email's domain."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain or "@" not in email:
        return None
    for connection in tenant_connections:
        aliases = (connection.get("options") or {}).get("domain_aliases") or []
        if (is_enterprise(connection) and client_id in (connection.get("enabled_clients") or [])
                and domain in [str(alias).lower() for alias in aliases]):
            return connection
    return None


def social_connections(tenant_connections, client_id: str) -> list[dict]:
    """The social connections enabled for a client, in directory order (the login page's buttons)."""
    return [connection for connection in tenant_connections
            if is_social(connection) and client_id in (connection.get("enabled_clients") or [])]
