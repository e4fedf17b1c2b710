"""Database logins: an identifier and a password checked against a database connection, the way
the hosted login page and the password grants need it.

Every attempt that names an existing user with the right password counts as a login: Auth0
updates `logins_count`, `last_login` and `last_ip` (and `updated_at`) even when the user turns
out to be blocked (fact sheet §5.4). Failures are logged as `fu` (no such user), `fp` (wrong
password) and `f` (blocked), each with Auth0's description.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from . import logs, users
from .clock import iso
from .directory import UserRecord
from .logs import RequestInfo
from .passwords import verify_password

if TYPE_CHECKING:
    from .tenant import Tenant

WRONG_CREDENTIALS = "Wrong email or password."
USER_BLOCKED = "user is blocked"


class LoginFailed(Exception):
    """`reason` is "wrong_credentials" or "blocked"; `user` is the profile when known."""

    def __init__(self, reason: str, user: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.user = user


def find_user(tenant: "Tenant", connection: str, identifier: str) -> UserRecord | None:
    """The user of `connection` whose email or username is `identifier` (case-insensitive)."""
    wanted = (identifier or "").strip().lower()
    directory = tenant.directory
    user_id = (directory.users_by_connection_email.get((connection, wanted))
               or directory.users_by_connection_username.get((connection, wanted)))
    return directory.users.get(user_id) if user_id else None


def password_login(tenant: "Tenant", connection: dict, identifier: str, password: str, *,
                   client: dict, request: RequestInfo) -> dict:
    """The user's profile (after the login was counted), or LoginFailed."""
    with tenant.lock:
        record = find_user(tenant, connection["name"], identifier)
        if record is None:
            _log_failure(tenant, "fu", connection, client, request, user_name=identifier)
            raise LoginFailed("wrong_credentials")
        if not verify_password(password, record.password_hash):
            _log_failure(tenant, "fp", connection, client, request, user=record.profile)
            raise LoginFailed("wrong_credentials", users.public_profile(record))
        profile = count_login(tenant, record, request)
        if profile.get("blocked"):
            log_blocked(tenant, connection, client, request, profile)
            raise LoginFailed("blocked", profile)
        return profile


def count_login(tenant: "Tenant", record: UserRecord, request: RequestInfo) -> dict:
    """logins_count + 1, last_login, last_ip: stored as a new record. Under the tenant lock."""
    now = iso(tenant.clock.now())
    profile = dict(record.profile)
    profile["logins_count"] = int(profile.get("logins_count") or 0) + 1
    profile["last_login"] = now
    if request.ip:
        profile["last_ip"] = request.ip
    profile["updated_at"] = now
    updated = dataclasses.replace(record, profile=profile)
    tenant.directory.put_user(updated, record)
    return users.public_profile(updated)


def log_blocked(tenant: "Tenant", connection: dict | None, client: dict, request: RequestInfo,
                profile: dict) -> None:
    """A blocked user's login attempt (counted already): `f`, "user is blocked"."""
    _log_failure(tenant, "f", connection, client, request, user=profile, description=USER_BLOCKED)


def _log_failure(tenant: "Tenant", event_type: str, connection: dict | None, client: dict,
                 request: RequestInfo, *, user: dict | None = None, user_name: str | None = None,
                 description: str = WRONG_CREDENTIALS) -> None:
    error = {"message": description}
    logs.record(tenant, event_type, description, request=request, client=client,
                connection=connection, user=user, user_name=user_name, details={"error": error})
