"""organizations/: Auth0 Organizations. The organizations themselves with their branding,
metadata and enabled connections (organizations.py), their members and member roles
(members.py), and invitations: stored, emailed through the mailroom, accepted at login
(invitations.py).

May import: tenant, applications, tokens, directory, logs, email, authorization (a member's
effective roles). Login imports it (an
organization at /authorize, org_id in tokens); it never imports login.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import members

if TYPE_CHECKING:
    from ..directory.records import UserRecord
    from ..tenant.tenant import Tenant


def install(tenant: "Tenant") -> None:
    """A deleted user leaves every organization (the organizations stay)."""
    tenant.account_changes.deleted.append(_user_deleted)


def _user_deleted(tenant: "Tenant", record: "UserRecord") -> None:
    members.forget_user(tenant, record.user_id)
