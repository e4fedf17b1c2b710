"""api.user.setAppMetadata / setUserMetadata: the calls of a flow's Actions batched into one
update of the user (post-login), or into the body of the user about to be created
(pre-user-registration)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..directory.users import update_user

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant


class MetadataChanges:
    """setAppMetadata / setUserMetadata calls, batched into one update at the end (Auth0 does the
    same), and shown to the Actions that run after the one that made them."""

    FIELDS = {"user.setAppMetadata": "app_metadata", "user.setUserMetadata": "user_metadata"}

    def __init__(self) -> None:
        self._changes: dict[str, dict] = {"app_metadata": {}, "user_metadata": {}}

    def __bool__(self) -> bool:
        return any(self._changes.values())

    def record(self, op: str, key: Any, value: Any) -> None:
        if isinstance(key, str) and key:
            self._changes[self.FIELDS[op]][key] = value

    def apply(self, profile: dict) -> dict:
        updated = dict(profile)
        for field, changes in self._changes.items():
            if changes:
                merged = {**(profile.get(field) or {}), **changes}
                updated[field] = {key: value for key, value in merged.items() if value is not None}
        return updated

    def as_body(self) -> dict:
        return {field: dict(changes) for field, changes in self._changes.items() if changes}


def save_metadata(tenant: "Tenant", profile: dict, changes: MetadataChanges, generation: int) -> dict:
    """One update with every change (users.update_user checks keys as PATCH /users does)."""
    with tenant.lock:
        if tenant.generation != generation:
            return profile  # reset while Node ran: that user's tenant is gone
        return update_user(tenant, profile["user_id"], changes.as_body())
