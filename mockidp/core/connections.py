"""Connections: the database connections users live in, with Auth0's option defaults."""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from . import ids
from .errors import ManagementError
from .passwords import DEFAULT_MIN_LENGTH

if TYPE_CHECKING:
    from .tenant import Tenant

DATABASE_OPTION_DEFAULTS = {
    "mfa": {"active": True, "return_enroll_settings": True},
    "passwordPolicy": "good",
    "strategy_version": 2,
    "brute_force_protection": True,
    "authentication_methods": {"password": {"enabled": True}, "passkey": {"enabled": False}},
}


def inexistent_connection() -> ManagementError:
    return ManagementError(404, "The connection does not exist", "inexistent_connection")


def with_defaults(tenant: "Tenant", spec: dict, enabled_clients: list[str]) -> dict:
    strategy = spec.get("strategy", "auth0")
    options = copy.deepcopy(DATABASE_OPTION_DEFAULTS) if strategy == "auth0" else {}
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
        "realms": [spec["name"]],
        "enabled_clients": enabled_clients,
        "options": options,
    }
    for key, value in spec.items():
        if key not in ("id", "options", "enabled_clients"):
            connection[key] = copy.deepcopy(value)
    return connection


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
