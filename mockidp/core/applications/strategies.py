"""Connection strategies that sign users in at an upstream identity provider, as Auth0 names them.

Social strategies put `isSocial: true` on the identity and name the provider after the strategy;
the button label is the one Universal Login shows ("Continue with Google").
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


def is_social(connection: dict | None) -> bool:
    return bool(connection) and connection.get("strategy") in SOCIAL


def is_upstream(connection: dict | None) -> bool:
    """Whether logins of this connection happen at the (mock) upstream provider."""
    return is_social(connection)


def button_label(connection: dict) -> str:
    """"Continue with Google"; a custom oauth2 connection shows its display name or name."""
    if connection["strategy"] == "oauth2":
        return f"Continue with {connection.get('display_name') or connection['name']}"
    return f"Continue with {SOCIAL[connection['strategy']]}"


def provider_of(connection: dict) -> str:
    """The identity's `provider` and the user_id's prefix: the strategy, as Auth0 does."""
    return connection["strategy"]


def social_connections(tenant_connections, client_id: str) -> list[dict]:
    """The social connections enabled for a client, in directory order (the login page's buttons)."""
    return [connection for connection in tenant_connections
            if is_social(connection) and client_id in (connection.get("enabled_clients") or [])]
