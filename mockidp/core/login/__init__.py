"""login/: everything between "who are you" and a token. /authorize and its transactions,
database logins and signups, SSO sessions, brute-force protection, the /oauth/token grants,
user tokens and refresh tokens, and the tenant log events of these flows.

May import: tenant, applications, tokens, directory, logs, authorization, email, actions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import bruteforce, sessions

if TYPE_CHECKING:
    from ..directory.records import UserRecord
    from ..tenant.tenant import Tenant


def install(tenant: "Tenant") -> None:
    """Subscribe login's state to the directory's account changes."""
    tenant.account_changes.password_changed.append(_password_changed)
    tenant.account_changes.linked_away.append(_linked_away)


def _password_changed(tenant: "Tenant", previous: "UserRecord") -> None:
    sessions.end_for_user(tenant, previous.user_id)
    bruteforce.password_changed(tenant, previous)


def _linked_away(tenant: "Tenant", secondary: "UserRecord") -> None:
    sessions.end_for_user(tenant, secondary.user_id)
