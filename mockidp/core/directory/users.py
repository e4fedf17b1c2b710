"""Users of database connections: create, read, update, delete, list, search.

Functions take a Tenant and plain (already schema-validated) input, return Auth0-shaped dicts
and raise ManagementError with Auth0's messages. Callers hold no lock: each function takes the
tenant lock around its state change.
"""
from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import quote

from ..applications.connections import active_identifier
from ..applications.passwords import check_password, hash_password
from ..tenant import ids, journal
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request, conflict
from . import changes, identities
from .projection import json_copy, select_fields
from .records import UserRecord

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant
    from .search import UserQuery

# Fields `fields=` may name on GET /users and GET /users/{id} (from Auth0's validation error).
SELECTABLE_FIELDS = ("phone_number", "email", "email_verified", "picture", "username", "user_id",
                     "name", "nickname", "created_at", "identities", "app_metadata", "user_metadata",
                     "last_ip", "last_login", "logins_count", "updated_at", "blocked", "family_name",
                     "given_name")
SEARCH_RESULT_CAP = 1000
FORBIDDEN_APP_METADATA_KEYS = frozenset((
    "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
    "globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount",
    "metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id"))
PROFILE_ATTRIBUTES = ("given_name", "family_name", "name", "nickname", "picture", "phone_number",
                      "phone_verified")
# Attribute pairs Auth0 refuses to change in one PATCH.
INCOMPATIBLE_UPDATES = (("password", "email"), ("password", "email_verified"),
                        ("password", "username"), ("username", "email"),
                        ("username", "email_verified"))


def inexistent_user() -> ManagementError:
    return ManagementError(404, "The user does not exist.", "inexistent_user")


def user_exists() -> ManagementError:
    return conflict("The user already exists.", "auth0_idp_error")


def default_picture(email: str | None, fallback: str) -> str:
    """Auth0's gravatar default: md5 of the lowercased email, initials avatar as fallback."""
    source = (email or fallback or "").lower()
    digest = hashlib.md5(source.encode("utf-8")).hexdigest()  # noqa: S324 - gravatar's scheme
    initials = quote(f"https://cdn.auth0.com/avatars/{source[:2]}.png", safe="")
    return f"https://s.gravatar.com/avatar/{digest}?s=480&r=pg&d={initials}"


def public_profile(record: UserRecord) -> dict:
    return json_copy(record.profile)




# --- create ----------------------------------------------------------------------------------

def database_connection(tenant: "Tenant", name: str) -> dict:
    connection = tenant.directory.connection_by_name(name)
    if connection is None:
        raise bad_request("The connection does not exist.", "inexistent_connection")
    if connection.get("strategy") != "auth0":
        raise bad_request(f"Connection '{name}' is not a database connection: mockidp creates users "
                          "only in database (strategy auth0) connections.", "operation_not_supported")
    return connection


def require_strong_password(connection: dict, password: str | None) -> None:
    # A null password (PATCH allows null) fails the policy like any non-string would.
    if not isinstance(password, str) or not check_password(connection, password).verified:
        raise bad_request("PasswordStrengthError: Password is too weak")


def create_user(tenant: "Tenant", body: dict) -> dict:
    with tenant.lock:
        record = _build_new_user(tenant, body)
        tenant.directory.put_user(record)
        tenant.directory.next_user_sequence += 1
        journal.note_user(record.user_id)
        return public_profile(record)


def _build_new_user(tenant: "Tenant", body: dict) -> UserRecord:
    connection = database_connection(tenant, body["connection"])
    options = connection.get("options") or {}
    email = body.get("email", "").lower() or None
    username = body.get("username", "").lower() or None
    _require_create_fields(body, email, username, options)
    require_strong_password(connection, body["password"])
    _check_app_metadata(body.get("app_metadata"))
    _check_unique(tenant, connection["name"], email, username)
    suffix = body.get("user_id") or ids.user_id_suffix(tenant.rng)
    user_id = f"auth0|{suffix}"
    if user_id in tenant.directory.users or user_id in tenant.directory.linked:
        raise user_exists()  # a linked secondary keeps its id (core/identities.py)
    now = iso(tenant.clock.now())
    profile = initial_profile(body, user_id, suffix, connection["name"], email, username, now)
    salt = tenant.rng.hex(16)
    return UserRecord(profile, hash_password(body["password"], salt),
                      tenant.directory.next_user_sequence)


def _require_create_fields(body: dict, email: str | None, username: str | None, options: dict) -> None:
    if not email and "phone_number" not in body and not (username and active_identifier(options, "username")):
        raise bad_request("Payload validation error: 'Missing required property: email'.")
    if "password" not in body:
        raise bad_request("Payload validation error: 'Missing required property: password'.")
    if options.get("requires_username") and not username:
        raise bad_request("Payload validation error: 'Missing required property: username'.")


def _check_app_metadata(app_metadata: Any) -> None:
    if not isinstance(app_metadata, dict):
        return
    forbidden = sorted(FORBIDDEN_APP_METADATA_KEYS.intersection(app_metadata))
    if forbidden:
        raise bad_request(f"Payload validation error: 'Invalid app_metadata: {', '.join(forbidden)} "
                          "is a reserved property name'.")
    for key in app_metadata:
        if "." in key or "$" in key:
            raise bad_request(f"Payload validation error: 'Invalid app_metadata: field names cannot "
                              f"contain \".\" or \"$\": {key}'.")


def _check_unique(tenant: "Tenant", connection: str, email: str | None, username: str | None,
                  exclude: str | None = None) -> None:
    directory = tenant.directory
    if email and directory.users_by_connection_email.get((connection, email), exclude) != exclude:
        raise user_exists()
    if username and directory.users_by_connection_username.get((connection, username), exclude) != exclude:
        raise conflict("The username provided is in use already.", "auth0_idp_error")


def initial_profile(body: dict, user_id: str, suffix: str, connection: str, email: str | None,
                     username: str | None, now: str) -> dict:
    identifier = email or username or body.get("phone_number", "")
    profile: dict[str, Any] = {"user_id": user_id, "created_at": now, "updated_at": now}
    if email:
        profile["email"] = email
        profile["email_verified"] = bool(body.get("email_verified", False))
    if username:
        profile["username"] = username
    for attribute in PROFILE_ATTRIBUTES:
        if attribute in body:
            profile[attribute] = body[attribute]
    profile.setdefault("name", identifier)
    profile.setdefault("nickname", (email.split("@")[0] if email else identifier))
    profile.setdefault("picture", default_picture(email, identifier))
    if "blocked" in body:
        profile["blocked"] = bool(body["blocked"])
    for metadata in ("user_metadata", "app_metadata"):
        if body.get(metadata):
            profile[metadata] = copy.deepcopy(body[metadata])
    profile["identities"] = [{"connection": connection, "user_id": suffix, "provider": "auth0",
                              "isSocial": False}]
    return profile


# --- read ------------------------------------------------------------------------------------

def find_user(tenant: "Tenant", user_id: str) -> UserRecord:
    record = tenant.directory.users.get(user_id)
    if record is None:
        raise inexistent_user()
    return record


def stored_profile(tenant: "Tenant", user_id: str) -> dict:
    """The stored profile itself, for serializing straight into a response (the busiest read).
    Read-only: stored records are replaced, never changed, so it cannot change under the reader,
    but the caller must not modify it either. No lock: one dict read is atomic, and sparing the
    busiest read the tenant lock keeps it from queueing behind writers and other readers."""
    return find_user(tenant, user_id).profile


def users_by_email(tenant: "Tenant", email: str) -> list[dict]:
    with tenant.lock:
        directory = tenant.directory
        records = [directory.users[uid] for uid in directory.users_by_email.get(email, ())]
        return [public_profile(record) for record in sorted(records, key=lambda r: r.sequence)]


# --- update ----------------------------------------------------------------------------------

def update_user(tenant: "Tenant", user_id: str, body: dict) -> dict:
    _reject_incompatible(body)
    with tenant.lock:
        previous = find_user(tenant, user_id)
        profile = copy.deepcopy(previous.profile)
        password_hash = previous.password_hash
        connection = _connection_for_update(tenant, previous, body)
        now = iso(tenant.clock.now())
        _apply_identifier_changes(tenant, previous, profile, body)
        _apply_attributes(profile, body)
        _merge_metadata(profile, body)
        if "password" in body:
            require_strong_password(connection, body["password"])
            password_hash = hash_password(body["password"], tenant.rng.hex(16))
            profile["last_password_reset"] = now
        profile["updated_at"] = now
        record = UserRecord(profile, password_hash, previous.sequence)
        tenant.directory.put_user(record, previous)
        if "password" in body:  # a new password ends the user's sessions and blocks, as in Auth0
            changes.password_changed(tenant, previous)
        return public_profile(record)


def _reject_incompatible(body: dict) -> None:
    for first, second in INCOMPATIBLE_UPDATES:
        if first in body and second in body:
            raise bad_request(f"Cannot update {first} and {second} simultaneously")


def _connection_for_update(tenant: "Tenant", record: UserRecord, body: dict) -> dict:
    name = body.get("connection") or record.connection
    if name != record.connection:
        if tenant.directory.connection_by_name(name) is None:
            raise bad_request("The connection does not exist.", "inexistent_connection")
        raise bad_request(f"The user does not have an identity in connection {name}.")
    connection = tenant.directory.connection_by_name(name)
    if connection is not None and connection.get("strategy") != "auth0":  # a social/enterprise user
        for credential in ("password", "username"):  # the provider owns its credentials
            if credential in body:
                raise bad_request(f"Cannot update {credential} for non-database connections")
        return connection
    return database_connection(tenant, name)


def _apply_identifier_changes(tenant: "Tenant", previous: UserRecord, profile: dict, body: dict) -> None:
    _refuse_removing_identifiers(body)
    if "username" in body:
        if "username" not in profile:
            raise bad_request("Cannot update username for users without an username already set.")
        username = body["username"].lower()
        _check_unique(tenant, previous.connection, None, username, exclude=previous.user_id)
        profile["username"] = username
    if "email" in body:
        email = body["email"].lower()
        _check_unique(tenant, previous.connection, email, None, exclude=previous.user_id)
        if email != profile.get("email"):
            # Documented choice: a new address is unverified unless the caller says otherwise.
            profile["email_verified"] = False
        profile["email"] = email
    if "email_verified" in body and body["email_verified"] is not None:
        profile["email_verified"] = bool(body["email_verified"])


def _refuse_removing_identifiers(body: dict) -> None:
    """Null unsets an attribute, but a database user must keep the identifiers it logs in with.
    (Auth0's wording for this is unrecorded.)"""
    for identifier in ("email", "username"):
        if identifier in body and body[identifier] is None:
            raise bad_request(f"Cannot remove the {identifier} of a database user.")


def _apply_attributes(profile: dict, body: dict) -> None:
    for attribute in PROFILE_ATTRIBUTES + ("blocked",):
        if attribute not in body:
            continue
        if body[attribute] is None:
            profile.pop(attribute, None)  # Auth0 removes attributes set to null
        else:
            profile[attribute] = body[attribute]


def _merge_metadata(profile: dict, body: dict) -> None:
    """One-level merge; null deletes a key; {} clears. An emptied app_metadata disappears while
    user_metadata stays as {} (what real Auth0 returned)."""
    for metadata in ("user_metadata", "app_metadata"):
        if metadata not in body:
            continue
        patch = body[metadata]
        if metadata == "app_metadata":
            _check_app_metadata(patch)
        merged = {} if not patch else dict(profile.get(metadata) or {})
        for key, value in (patch or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = copy.deepcopy(value)
        if merged or metadata == "user_metadata":
            profile[metadata] = merged
        else:
            profile.pop(metadata, None)


# --- delete ----------------------------------------------------------------------------------

def delete_user(tenant: "Tenant", user_id: str) -> None:
    with tenant.lock:
        record = tenant.directory.users.get(user_id)
        if record is not None:
            tenant.directory.remove_user(record)
            identities.delete_linked(tenant, user_id)  # the primary takes its secondaries along
            changes.deleted(tenant, record)


# --- list and search -------------------------------------------------------------------------

def parse_sort(sort: str | None) -> tuple[str, bool] | None:
    if not sort:
        return None
    field, _, direction = sort.partition(":")
    if not field or direction not in ("1", "-1"):
        raise bad_request(f"Query validation error: 'String '{sort}' does not match pattern "
                          "^(([a-zA-Z\\-_])+)(:(1|-1))$' on property sort.", "invalid_query_string")
    return field, direction == "-1"


def compile_query(query: str | None) -> "UserQuery | None":
    """A `q` of Lucene syntax (users and logs search), None for an empty one; Auth0's 400 for
    one it would refuse."""
    if not query or not query.strip():
        return None
    # The one gate to search.py: luqum costs ~11 ms to import, which start-up never pays.
    from .search import QuerySyntaxError, compile_user_query

    try:
        return compile_user_query(query)
    except QuerySyntaxError as error:
        raise bad_request(f"Query validation error: '{error}' on property q (Query in Lucene query "
                          "string syntax).", "invalid_query_string") from None


def search_users(tenant: "Tenant", query: str | None, sort: str | None = None) -> list[UserRecord]:
    """All records matching `query`, sorted (creation order by default)."""
    compiled = compile_query(query)
    order = parse_sort(sort)
    with tenant.lock:  # records are never changed in place, so a list of them is a snapshot
        candidates = _candidates(tenant, compiled)
    # Matching runs outside the lock: a slow query never stalls other requests.
    matches = [r for r in candidates if compiled is None or compiled.matches(r.profile)]
    return _sorted(matches, order)


def _candidates(tenant: "Tenant", compiled: Any) -> Iterable[UserRecord]:
    directory = tenant.directory
    emails = getattr(compiled, "exact_emails", None)
    if emails is None:
        return list(directory.users.values())
    user_ids = {uid for email in emails for uid in directory.users_by_email.get(email, ())}
    return [directory.users[uid] for uid in user_ids]


def _sorted(records: list[UserRecord], order: tuple[str, bool] | None) -> list[UserRecord]:
    if order is None:
        return sorted(records, key=lambda r: r.sequence)
    field, descending = order
    present = [r for r in records if r.profile.get(field) is not None]
    missing = [r for r in records if r.profile.get(field) is None]
    present.sort(key=lambda r: (_sort_value(r.profile[field]), r.sequence), reverse=descending)
    return present + sorted(missing, key=lambda r: r.sequence)


def _sort_value(value: Any) -> Any:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value).lower())


def list_users(tenant: "Tenant", *, query: str | None, page: int, per_page: int, sort: str | None,
               fields: list[str] | None, include_fields: bool) -> tuple[list[dict], int]:
    if (page + 1) * per_page > SEARCH_RESULT_CAP and per_page > 0:
        raise bad_request("You can only page through the first 1000 records. See "
                          "https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
                          "invalid_paging")
    records = search_users(tenant, query, sort)
    window = records[page * per_page:(page + 1) * per_page]
    users = [select_fields(public_profile(r), fields, include_fields) for r in window]
    return users, len(records)
