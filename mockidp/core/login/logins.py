"""Database logins: an identifier and a password checked against a database connection, the way
the hosted login page and the password grants need it.

Every attempt that names an existing user with the right password counts as a login: Auth0
updates `logins_count`, `last_login` and `last_ip` (and `updated_at`) even when the user turns
out to be blocked (fact sheet §5.4). Failures are logged as `fu` (no such user), `fp` (wrong
password) and `f` (blocked), each with Auth0's description.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..applications.passwords import verify_password
from ..directory import identities, users
from ..directory.records import UserRecord
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..tenant.clock import iso
from . import bruteforce

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

WRONG_CREDENTIALS = "Wrong email or password."
USER_BLOCKED = "user is blocked"


class LoginFailed(Exception):
    """`reason` is "wrong_credentials", "blocked" (admin block), "too_many_attempts" (brute-force
    block) or "ip_blocked" (suspicious IP throttling); `user` is the profile when known."""

    def __init__(self, reason: str, user: dict | None = None, *, email_queued: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.email_queued = email_queued  # a blocked_account email waits for delivery


def find_user(tenant: "Tenant", connection: str, identifier: str) -> UserRecord | None:
    """The user of `connection` whose email or username is `identifier` (case-insensitive); for
    a linked secondary's identifier, the primary it now signs in."""
    account = find_account(tenant, connection, identifier)
    return account[0] if account else None


def find_account(tenant: "Tenant", connection: str, identifier: str) -> tuple[UserRecord, str | None] | None:
    """(the user `identifier` signs in, the password hash to check): a linked secondary's
    credentials are its own but sign its primary in (core/identities.py)."""
    wanted = bruteforce.normalize(identifier)  # as brute-force counters key it
    directory = tenant.directory
    user_id = (directory.users_by_connection_email.get((connection, wanted))
               or directory.users_by_connection_username.get((connection, wanted)))
    return identities.login_account(tenant, user_id) if user_id else None


def password_login(tenant: "Tenant", connection: dict, identifier: str, password: str, *,
                   client: dict, request: RequestInfo, base_url: str = "") -> dict:
    """The user's profile (after the login was counted), or LoginFailed. Failures count towards
    brute-force protection (core/bruteforce.py); `base_url` is where its unblock links point."""
    try:
        with tenant.lock:
            return _password_login(tenant, connection, identifier, password, client=client,
                                   request=request, base_url=base_url)
    except LoginFailed as failure:
        if failure.email_queued:  # only then: successful logins never wait on the mailroom
            tenant.mailroom.deliver_due()  # outside the lock
        raise


def _password_login(tenant: "Tenant", connection: dict, identifier: str, password: str, *,
                    client: dict, request: RequestInfo, base_url: str) -> dict:
    # A linked secondary's credentials sign its primary in, checked against its own password.
    record, password_hash = find_account(tenant, connection["name"], identifier) or (None, None)
    if bruteforce.ip_refused(tenant, request):
        _log_failure(tenant, "f", connection, client, request,
                     user=record.profile if record is not None else None,
                     user_name=None if record is not None else identifier,
                     description=bruteforce.SUSPICIOUS_LOGINS)
        raise LoginFailed("ip_blocked", users.public_profile(record) if record else None)
    if bruteforce.is_blocked(tenant, connection, identifier, request):
        _log_failure(tenant, "f", connection, client, request,
                     user=record.profile if record is not None else None,
                     user_name=None if record is not None else identifier,
                     description=bruteforce.TOO_MANY_ATTEMPTS)
        raise LoginFailed("too_many_attempts", users.public_profile(record) if record else None)
    if record is None:
        _log_failure(tenant, "fu", connection, client, request, user_name=identifier)
        bruteforce.failed_from_ip(tenant, request, client, connection)
        queued = bruteforce.failed(tenant, connection, identifier, request, record=None, client=client,
                                   base_url=base_url)
        raise LoginFailed("wrong_credentials", email_queued=queued)
    if not verify_password(password, password_hash):
        _log_failure(tenant, "fp", connection, client, request, user=record.profile)
        bruteforce.failed_from_ip(tenant, request, client, connection)
        queued = bruteforce.failed(tenant, connection, identifier, request, record=record, client=client,
                                   base_url=base_url)
        raise LoginFailed("wrong_credentials", users.public_profile(record), email_queued=queued)
    profile = count_login(tenant, record, request)
    if profile.get("blocked"):
        log_blocked(tenant, connection, client, request, profile)
        raise LoginFailed("blocked", profile)
    bruteforce.succeeded(tenant, connection, identifier, request)
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
    updated = record._replace(profile=profile)
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
