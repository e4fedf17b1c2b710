"""Changes to an account that other domains react to, without the directory knowing them.

A new password ends the user's sessions and brute-force blocks; linking an account ends the
secondary's sessions; a deleted user leaves its organizations and loses its roles and permissions
(authorization/). Sessions and brute-force counters belong to login/, which sits above the
directory, so login subscribes here (login.install) and the directory only announces. Listeners
run under the tenant lock, right after the change is stored.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant
    from .records import UserRecord

Listener = Callable[["Tenant", "UserRecord"], None]


class AccountChanges:
    """The listeners of one tenant (`tenant.account_changes`)."""

    def __init__(self) -> None:
        self.password_changed: list[Listener] = []
        self.linked_away: list[Listener] = []
        self.deleted: list[Listener] = []


def password_changed(tenant: "Tenant", previous: "UserRecord") -> None:
    """`previous` is the record as it was before its new password."""
    for listener in tenant.account_changes.password_changed:
        listener(tenant, previous)


def deleted(tenant: "Tenant", record: "UserRecord") -> None:
    """`record` was deleted: what other domains keep about the user goes too."""
    for listener in tenant.account_changes.deleted:
        listener(tenant, record)


def linked_away(tenant: "Tenant", secondary: "UserRecord") -> None:
    """`secondary` became an identity of another user and no longer signs in on its own."""
    for listener in tenant.account_changes.linked_away:
        listener(tenant, secondary)
