"""Connections: the database connections users live in, with Auth0's option defaults.

Records are never mutated in place (reset relies on it): an update stores a new dict.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..tenant import ids
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request, conflict
from .clients import inexistent_client
from .passwords import DEFAULT_MIN_LENGTH

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

DATABASE_OPTION_DEFAULTS = {
    "mfa": {"active": True, "return_enroll_settings": True},
    "passwordPolicy": "good",
    "strategy_version": 2,
    "brute_force_protection": True,
    "authentication_methods": {"password": {"enabled": True}, "passkey": {"enabled": False}},
}

# A passwordless email connection as the dashboard creates it: a 6-digit code valid 180 s, the
# connection's own Liquid email (`send` is "code" or "link"), signups allowed.
PASSWORDLESS_EMAIL_BODY = (
    "<html><body><h1>{{ application.name | escape }}</h1>"
    "{% if send == 'link' %}<p>Click the link below to log in to {{ application.name | escape }}."
    "</p><p><a href=\"{{ link }}\">Log in to {{ application.name | escape }}</a></p>"
    "<p>The link can be used once, and only for a short time.</p>"
    "{% else %}<p>Your verification code is: <b>{{ code }}</b></p>"
    "<p>The code can be used once, and only for a short time.</p>{% endif %}</body></html>")
EMAIL_OPTION_DEFAULTS = {
    "name": "email",
    "email": {"syntax": "liquid", "from": "{{ application.name }} <root@auth0.com>",
              "subject": "Welcome to {{ application.name }}", "body": PASSWORDLESS_EMAIL_BODY},
    "totp": {"time_step": 180, "length": 6},
    "disable_signup": False,
    "brute_force_protection": True,
}
# A passwordless SMS connection as the dashboard creates it (Twilio settings left out: nothing
# is sent anywhere); `@@password@@` in the template is the code.
SMS_OPTION_DEFAULTS = {
    "name": "sms",
    "syntax": "md_with_macros",
    "template": "Your verification code is: @@password@@",
    "totp": {"time_step": 300, "length": 6},
    "disable_signup": False,
    "brute_force_protection": True,
}
OPTION_DEFAULTS = {"auth0": DATABASE_OPTION_DEFAULTS, "email": EMAIL_OPTION_DEFAULTS, "sms": SMS_OPTION_DEFAULTS}

# Enterprise strategies: Auth0 answers `show_as_button: false` (HRD only until set); those
# below also get a provisioning ticket (the URL their on-premises connector or admin uses), and
# those named in DISPLAY_NAMED a display_name equal to the name (all recorded).
BUTTONLESS = frozenset(("ad", "adfs", "google-apps", "oidc", "okta", "pingfederate", "samlp", "waad"))
PROVISIONED = frozenset(("ad", "adfs", "google-apps", "pingfederate", "samlp", "waad"))
DISPLAY_NAMED = frozenset(("oidc", "okta", "waad"))
# Since late 2025 Auth0 answers every connection with its purposes (recorded on database,
# social, OIDC and Okta connections; the spec's ConnectionAuthenticationPurpose and
# ConnectionConnectedAccountsPurpose): used to sign in, not for connected accounts.
PURPOSES = {"authentication": {"active": True}, "connected_accounts": {"active": False}}
# The AD/LDAP connector's ticket is longer than the others' (recorded)
_TICKET_LENGTH = {"ad": 32}


def inexistent_connection() -> ManagementError:
    return ManagementError(404, "The connection does not exist", "inexistent_connection")


def with_defaults(tenant: "Tenant", spec: dict, enabled_clients: list[str]) -> dict:
    strategy = spec.get("strategy", "auth0")
    options = copy.deepcopy(OPTION_DEFAULTS.get(strategy, {}))
    options.update(copy.deepcopy(spec.get("options") or {}))
    if strategy == "auth0" and "password_complexity_options" not in options:
        # The minimum length follows the declared policy unless set explicitly.
        options["password_complexity_options"] = {
            "min_length": DEFAULT_MIN_LENGTH.get(options.get("passwordPolicy"), 8)}
    connection = {
        "id": spec.get("id") or ids.prefixed("con", tenant.rng),
        "name": spec["name"],
        "strategy": strategy,
        "is_domain_connection": False,
        **_strategy_defaults(tenant, strategy, spec["name"]),
        **copy.deepcopy(PURPOSES),
        "realms": [spec["name"]],
        "enabled_clients": enabled_clients,
        "options": options,
    }
    for key, value in spec.items():
        if key not in ("id", "options", "enabled_clients"):
            connection[key] = copy.deepcopy(value)
    return connection


def _strategy_defaults(tenant: "Tenant", strategy: str, name: str) -> dict:
    defaults: dict = {}
    if strategy in BUTTONLESS:
        defaults["show_as_button"] = False
    if strategy in DISPLAY_NAMED:
        defaults["display_name"] = name
    if strategy in PROVISIONED:
        # the path only: the Management API answers it under the host the caller used
        defaults["provisioning_ticket"] = f"/p/{strategy}/{tenant.rng.alnum(_TICKET_LENGTH.get(strategy, 8))}"
    return defaults


def connection_of(tenant: "Tenant", profile: dict) -> dict | None:
    """The connection of a user's primary identity (None for a profile without identities)."""
    identities = profile.get("identities") or []
    if not identities:
        return None
    with tenant.lock:
        return tenant.directory.connection_by_name(identities[0].get("connection", ""))


def find_connection(tenant: "Tenant", connection_id: str) -> dict:
    connection = tenant.directory.connections.get(connection_id)
    if connection is None:
        raise inexistent_connection()
    return connection


def list_connections(tenant: "Tenant", name: str | None = None,
                     strategies: list[str] | None = None) -> list[dict]:
    with tenant.lock:
        found = list(tenant.directory.connections.values())
    if name is not None:
        found = [c for c in found if c["name"] == name]
    if strategies:
        found = [c for c in found if c["strategy"] in strategies]
    return [copy.deepcopy(c) for c in found]


def client_connections(tenant: "Tenant", client_id: str, strategies: list[str] | None = None) -> list[dict]:
    """The connections a client may log in with (404 for an unknown client)."""
    with tenant.lock:
        if client_id not in tenant.directory.clients:
            raise inexistent_client()
    return [c for c in list_connections(tenant, None, strategies) if client_id in c.get("enabled_clients", [])]


# --- create, update, delete (Management API) ------------------------------------------------

def active_identifier(options: dict, name: str) -> bool:
    """Whether a flexible-identifier connection (options.attributes) signs users in by `name`."""
    attributes = options.get("attributes")
    return isinstance(attributes, dict) and bool(((attributes.get(name) or {}).get("identifier") or {}).get("active"))


def check_attributes(options: dict) -> None:
    """A database connection's identifier attributes, as Auth0 checks them (recorded wording):
    they replace requires_username and validation, one must be an active identifier, and an
    attribute required in the profile must be asked for at signup."""
    attributes = options.get("attributes")
    if not isinstance(attributes, dict):
        return
    for legacy in ("requires_username", "validation"):
        if legacy in options:
            raise bad_request(f"Cannot set both options.attributes and options.{legacy}")
    if not any(((attribute or {}).get("identifier") or {}).get("active") for attribute in attributes.values()):
        raise bad_request("attributes must contain one active identifier")
    for name, attribute in attributes.items():
        signup = (attribute or {}).get("signup") or {}
        if (attribute or {}).get("profile_required") and signup.get("status") == "inactive":
            raise bad_request(f"attribute {name} must also be required on signup")


def create_connection(tenant: "Tenant", body: dict) -> dict:
    """POST /connections with a schema-validated body. Deprecated `enabled_clients` are kept for
    the clients that exist; an empty or missing `realms` becomes [name]."""
    if body.get("strategy", "auth0") == "auth0":
        check_attributes(body.get("options") or {})
    with tenant.lock:
        directory = tenant.directory
        if directory.connection_by_name(body["name"]) is not None:
            raise conflict("A connection with the same name already exists")
        connection_id = ids.prefixed("con", tenant.rng)
        while connection_id in directory.connections:
            connection_id = ids.prefixed("con", tenant.rng)
        enabled = _existing_clients(tenant, body.get("enabled_clients") or [])
        spec = {key: value for key, value in body.items() if key != "realms" or value}
        connection = with_defaults(tenant, {**spec, "id": connection_id}, enabled)
        directory.connections[connection_id] = connection
        return copy.deepcopy(connection)


def _existing_clients(tenant: "Tenant", client_ids: list[str]) -> list[str]:
    found: list[str] = []
    for client_id in client_ids:
        if client_id in tenant.directory.clients and client_id not in found:
            found.append(client_id)
    return found


def update_connection(tenant: "Tenant", connection_id: str, body: dict) -> dict:
    """PATCH /connections/{id}. `options` replaces the stored options wholesale (a real tenant
    answered `{"options": {}}` with options `{"brute_force_protection": true}`); other
    attributes replace theirs. An existing display_name falls back to the name when not sent."""
    with tenant.lock:
        connection = copy.deepcopy(find_connection(tenant, connection_id))
        for key, value in body.items():
            if key == "options":
                options = copy.deepcopy(value or {})
                if connection["strategy"] == "auth0":
                    options.setdefault("brute_force_protection", True)
                connection["options"] = options
            elif key == "enabled_clients":
                connection["enabled_clients"] = _existing_clients(tenant, value or [])
            elif key == "realms":
                connection["realms"] = list(value) or [connection["name"]]
            elif value is None:
                connection.pop(key, None)
            else:
                connection[key] = copy.deepcopy(value)
        if "display_name" not in body and "display_name" in connection:
            connection["display_name"] = connection["name"]
        tenant.directory.connections[connection_id] = connection
        return copy.deepcopy(connection)


def delete_connection(tenant: "Tenant", connection_id: str) -> str | None:
    """Remove the connection and every user in it. Returns the deletion time (Auth0 answers 202
    `{"deleted_at": ...}`), or None when there was no such connection (Auth0 answers 204)."""
    with tenant.lock:
        directory = tenant.directory
        connection = directory.connections.pop(connection_id, None)
        if connection is None:
            return None
        for record in [r for r in directory.users.values() if r.connection == connection["name"]]:
            directory.remove_user(record)
        return iso(tenant.clock.now())


def enabled_clients(tenant: "Tenant", connection_id: str) -> list[dict]:
    """GET /connections/{id}/clients: `[{"client_id": ...}]` in the order they were enabled."""
    with tenant.lock:
        connection = find_connection(tenant, connection_id)
        return [{"client_id": client_id} for client_id in connection.get("enabled_clients") or []]


def set_enabled_clients(tenant: "Tenant", connection_id: str, changes: list[dict]) -> None:
    """PATCH /connections/{id}/clients: `[{"client_id", "status"}]`, applied in order. An
    unknown client is refused before anything changes."""
    with tenant.lock:
        connection = find_connection(tenant, connection_id)
        if any(change["client_id"] not in tenant.directory.clients for change in changes):
            raise inexistent_client()
        enabled = list(connection.get("enabled_clients") or [])
        for change in changes:
            if change["status"] and change["client_id"] not in enabled:
                enabled.append(change["client_id"])
            elif not change["status"] and change["client_id"] in enabled:
                enabled.remove(change["client_id"])
        tenant.directory.connections[connection_id] = {**connection, "enabled_clients": enabled}
