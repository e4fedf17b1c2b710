"""The upstream identities the mock provider knows, per connection: registered in fixtures
(`upstreamIdentities`), through the control plane (POST /_mock/upstream-identities), or typed on
the mock provider's page. Each is what the provider would answer about a person: its own subject
id, email, name... plus extra attributes (e.g. `locale`, `hd`).

Stored in `tenant.directory.upstream_identities` keyed by (connection name, upstream id); reset
restores them with the directory. A connection's "next identity" (`upstream_next`) answers its
next login without the page, for tests that cannot pass `login_hint`. Records are replaced, never mutated.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..tenant.errors import ControlError
from ..applications import strategies

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

STRING_FIELDS = ("user_id", "email", "name", "given_name", "family_name", "nickname", "picture")
FIELDS = frozenset((*STRING_FIELDS, "connection", "email_verified", "attributes"))
# Attributes that are Auth0's own and cannot come from a provider.
RESERVED_ATTRIBUTES = frozenset(("user_id", "identities", "app_metadata", "user_metadata", "created_at",
                                 "updated_at", "last_login", "logins_count", "last_ip", "blocked"))
MAX_KNOWN = 10_000  # per tenant: typed identities accumulate on a long-running server


def upstream_connection(tenant: "Tenant", name: Any) -> dict:
    """The named connection if it signs in upstream, else a control-plane 400."""
    connection = tenant.directory.connection_by_name(name) if isinstance(name, str) else None
    if connection is None:
        raise ControlError(400, f"No connection named {name!r}.", "unknown_connection")
    if not strategies.is_upstream(connection):
        raise ControlError(400, f"Connection {name!r} (strategy {connection['strategy']}) does not sign "
                                "in at an upstream provider.", "not_an_upstream_connection")
    return connection


def register(tenant: "Tenant", body: Any) -> dict:
    """Add or replace an upstream identity; the stored identity (its user_id generated when not
    given: digits, as Google and GitHub ids are)."""
    identity = _checked(body)
    with tenant.lock:
        connection = upstream_connection(tenant, identity["connection"])
        identity.setdefault("user_id", tenant.rng.digits(21))
        identity.setdefault("email_verified", "email" in identity)  # social providers vouch for it
        identity["connection"] = connection["name"]
        known = tenant.directory.upstream_identities
        if len(known) >= MAX_KNOWN and (identity["connection"], identity["user_id"]) not in known:
            raise ControlError(400, f"The mock provider knows {MAX_KNOWN} identities already; reset first.")
        known[(identity["connection"], identity["user_id"])] = identity
        return copy.deepcopy(identity)


def _checked(body: Any) -> dict:
    if not isinstance(body, dict):
        raise ControlError(400, "The body must be a JSON object.")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ControlError(400, f"Unknown key(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(FIELDS))}.")
    identity = {key: value for key, value in body.items() if value is not None and value != ""}
    for field in STRING_FIELDS:
        if field in identity and not isinstance(identity[field], str):
            raise ControlError(400, f"{field} must be a string.")
    if "|" in identity.get("user_id", ""):
        raise ControlError(400, "user_id is the provider's own id, without a 'provider|' prefix.")
    if "email_verified" in identity and not isinstance(identity["email_verified"], bool):
        raise ControlError(400, "email_verified must be a boolean.")
    attributes = identity.get("attributes", {})
    if not isinstance(attributes, dict):
        raise ControlError(400, "attributes must be an object.")
    reserved = sorted(RESERVED_ATTRIBUTES.intersection(attributes))
    if reserved:
        raise ControlError(400, f"attributes cannot set {', '.join(reserved)}: Auth0 owns them.")
    if "email" in identity:
        identity["email"] = identity["email"].lower()
    return copy.deepcopy(identity)


def listed(tenant: "Tenant", connection: str | None = None) -> list[dict]:
    """The known identities, of one connection or all, in the order they were registered."""
    with tenant.lock:
        found = [identity for (name, _), identity in tenant.directory.upstream_identities.items()
                 if connection is None or name == connection]
    return copy.deepcopy(found)


def find(tenant: "Tenant", connection: str, user_id: str) -> dict | None:
    with tenant.lock:
        identity = tenant.directory.upstream_identities.get((connection, user_id))
    return copy.deepcopy(identity) if identity else None


def find_by_hint(tenant: "Tenant", connection: str, hint: str | None) -> dict | None:
    """The identity `login_hint` names: by email (case-insensitive) or by upstream id."""
    if not hint:
        return None
    wanted = hint.strip().lower()
    for identity in listed(tenant, connection):
        if identity.get("email") == wanted or identity["user_id"] == hint.strip():
            return identity
    return None


# --- "next identity": the connection's next login answers with it, no page ------------------

def set_next(tenant: "Tenant", connection_name: Any, body: Any) -> dict:
    """The identity (known, or registered from `body` when it names more than a user_id) that the
    connection's next login answers with, without the provider's page. Used once."""
    with tenant.lock:
        connection = upstream_connection(tenant, connection_name)
        if not isinstance(body, dict) or not body.get("user_id") and not body.get("email"):
            raise ControlError(400, "Send {\"user_id\": ...} of a known identity, or a new identity.")
        identity = None
        if set(body) <= {"user_id"}:
            identity = find(tenant, connection["name"], str(body["user_id"]))
            if identity is None:
                raise ControlError(404, f"The provider knows no identity {body['user_id']!r} for "
                                        f"{connection['name']}.", "unknown_identity")
        identity = identity or register(tenant, {**body, "connection": connection["name"]})
        tenant.directory.upstream_next[connection["name"]] = identity["user_id"]
        return identity


def clear_next(tenant: "Tenant", connection_name: Any) -> None:
    with tenant.lock:
        connection = upstream_connection(tenant, connection_name)
        tenant.directory.upstream_next.pop(connection["name"], None)


def take_next(tenant: "Tenant", connection_name: str) -> dict | None:
    """The identity set as next for the connection, if any; it is used up."""
    with tenant.lock:
        user_id = tenant.directory.upstream_next.pop(connection_name, None)
        return find(tenant, connection_name, user_id) if user_id else None
