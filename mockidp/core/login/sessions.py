"""SSO sessions: what the `auth0` cookie points at. A session remembers who logged in, when
they last proved it (auth_time, for max_age), and which applications used it.

Sessions live in the Directory, replaced (never mutated) on every change. Lifetimes follow the
tenant settings Auth0 uses, in hours: `session_lifetime` (absolute, default 168) and
`idle_session_lifetime` (since the last use, default 72), on the tenant clock. A session whose user
is gone counts as ended. Changing a user's password (Management API or a reset link) ends all of
that user's sessions, as Auth0 does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..logs.events import RequestInfo
from ..tenant.clock import iso

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

COOKIE_NAME = "auth0"
DEFAULT_SESSION_LIFETIME_HOURS = 168
DEFAULT_IDLE_SESSION_LIFETIME_HOURS = 72
SESSION_ID_LENGTH = 32
MAX_STORED = 10_000


def start(tenant: "Tenant", user_id: str, connection: str, *, client_id: str,
          request: RequestInfo, mfa_at: int | None = None) -> dict:
    """A new session for a user who just authenticated (`mfa_at`: when they passed a second
    factor, which later SSO logins from the session carry as `amr: ["mfa"]`)."""
    with tenant.lock:
        now = tenant.clock.now()
        _drop_expired(tenant)
        session = {"id": tenant.rng.alnum(SESSION_ID_LENGTH), "user_id": user_id,
                   "connection": connection, "created_at": iso(now), "created_ts": now.timestamp(),
                   "authenticated_at": int(now.timestamp()), "last_used_ts": now.timestamp(),
                   "clients": [client_id], "ip": request.ip, "user_agent": request.user_agent,
                   "mfa_at": mfa_at}
        tenant.directory.sessions[session["id"]] = session
        return dict(session)


def active(tenant: "Tenant", session_id: str | None) -> dict | None:
    """The session if it exists, has not expired and its user still exists."""
    if not session_id:
        return None
    with tenant.lock:
        session = tenant.directory.sessions.get(session_id)
        if session is None or session["user_id"] not in tenant.directory.users:
            return None
        if _expired(tenant, session):
            del tenant.directory.sessions[session_id]
            return None
        return dict(session)


def _drop_expired(tenant: "Tenant") -> None:
    """Sessions expire lazily (when looked up); past MAX_STORED, expired ones are swept."""
    stored = tenant.directory.sessions
    if len(stored) >= MAX_STORED:
        for sid in [sid for sid, session in stored.items() if _expired(tenant, session)]:
            del stored[sid]


def _expired(tenant: "Tenant", session: dict) -> bool:
    settings = tenant.tenant_settings
    absolute = float(settings.get("session_lifetime") or DEFAULT_SESSION_LIFETIME_HOURS) * 3600
    idle = float(settings.get("idle_session_lifetime") or DEFAULT_IDLE_SESSION_LIFETIME_HOURS) * 3600
    now = tenant.clock.now().timestamp()
    return now > session["created_ts"] + absolute or now > session["last_used_ts"] + idle


def used_by(tenant: "Tenant", session_id: str, client_id: str, *, reauthenticated: bool = False,
            mfa_at: int | None = None) -> dict:
    """Record that `client_id` got tokens from the session (and, after a fresh login, when; after
    a second factor, when: the session remembers it from then on)."""
    with tenant.lock:
        session = dict(tenant.directory.sessions[session_id])
        now = tenant.clock.now()
        session["last_used_ts"] = now.timestamp()
        if client_id not in session["clients"]:
            session["clients"] = [*session["clients"], client_id]
        if reauthenticated:
            session["authenticated_at"] = int(now.timestamp())
        if mfa_at is not None:
            session["mfa_at"] = mfa_at
        tenant.directory.sessions[session_id] = session
        return dict(session)


def end(tenant: "Tenant", session_id: str | None) -> dict | None:
    """Forget the session; returns it if it existed."""
    if not session_id:
        return None
    with tenant.lock:
        return tenant.directory.sessions.pop(session_id, None)


def end_for_user(tenant: "Tenant", user_id: str) -> int:
    """End every session of a user; how many there were."""
    with tenant.lock:
        stored = tenant.directory.sessions
        ended = [sid for sid, session in stored.items() if session["user_id"] == user_id]
        for sid in ended:
            del stored[sid]
        return len(ended)

