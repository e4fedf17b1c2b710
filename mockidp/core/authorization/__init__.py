"""authorization/: Auth0's role-based access control. Roles and the permissions they grant
(roles.py), users' roles and direct permissions and the effective permissions they add up to,
with their sources (permissions.py), groups giving their members roles (groups.py), and the
Management API's effective roles and permissions with their sources (effective.py). Login reads
the effective permissions to decide a user token's scopes and `permissions` claim; Actions read
a user's role names.

Records live in the Directory (role_permissions, user_roles, user_permissions; roles; groups in
the declared resources' table), replaced
whole on every change, so reset and snapshots need nothing from here. Lower domains announce
what removes assignments (a deleted user, a removed API or scope); `install` subscribes.

May import: tenant, applications, tokens, directory, logs. Never email, actions or login."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import groups, permissions

if TYPE_CHECKING:
    from ..directory.records import UserRecord
    from ..tenant.tenant import Tenant


def install(tenant: "Tenant") -> None:
    """Subscribe to the changes that take roles and permissions away."""
    tenant.account_changes.deleted.append(_user_deleted)
    tenant.resource_server_changes.scopes_removed.append(permissions.drop_removed_scopes)


def _user_deleted(tenant: "Tenant", record: "UserRecord") -> None:
    tenant.directory.user_roles.pop(record.user_id, None)
    tenant.directory.user_permissions.pop(record.user_id, None)
    groups.forget(tenant, user_id=record.user_id)
