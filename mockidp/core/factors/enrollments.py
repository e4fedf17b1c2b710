"""A user's MFA as the Management API shows and resets it: GET /users/{id}/authentication-methods,
GET /users/{id}/enrollments, DELETE /users/{id}/authenticators (reset MFA: the next login
enrolls again) and POST /users/{id}/recovery-code-regeneration."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..directory.users import find_user
from ..tenant.errors import ManagementError
from . import totp

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# authenticator_type (MFA API) -> type (Management API's authentication methods)
METHOD_TYPES = {"otp": "totp", "recovery-code": "recovery-code", "oob": "email"}


def _owned(tenant: "Tenant", user_id: str) -> tuple[dict, ...]:
    with tenant.lock:
        find_user(tenant, user_id)  # 404 inexistent_user
        return tenant.directory.authenticators.get(user_id, ())


def authentication_methods(tenant: "Tenant", user_id: str) -> list[dict]:
    return [_method(each) for each in _owned(tenant, user_id)]


def _method(authenticator: dict) -> dict:
    """One authentication method; an SMS authenticator is Auth0's `phone` type with its number."""
    method = {"id": authenticator["id"], "type": METHOD_TYPES[authenticator["authenticator_type"]],
              "confirmed": authenticator["active"], "created_at": authenticator["created_at"]}
    if authenticator.get("oob_channel") == "sms":
        method.update(type="phone", phone_number=authenticator.get("address"), preferred_authentication_method="sms")
    return method


def enrollments(tenant: "Tenant", user_id: str) -> list[dict]:
    """The Guardian enrollments: TOTP apps and phones (the recovery code and email are not ones)."""
    return [_enrollment(each) for each in _owned(tenant, user_id)
            if each["authenticator_type"] == "otp" or each.get("oob_channel") == "sms"]


def _enrollment(authenticator: dict) -> dict:
    enrollment = {"id": authenticator["id"], "status": "confirmed" if authenticator["active"] else "pending",
                  "type": "authenticator", "auth_method": "authenticator", "enrolled_at": authenticator["created_at"]}
    if authenticator.get("oob_channel") == "sms":  # the spec's "name (usually phone number)"
        enrollment.update(type="sms", auth_method="sms", name=authenticator["name"],
                          phone_number=authenticator.get("address"))
    return enrollment


def delete_all(tenant: "Tenant", user_id: str) -> None:
    """Every authenticator goes, the recovery code too; an unknown user is no error (204)."""
    with tenant.lock:
        tenant.directory.authenticators.pop(user_id, None)


def regenerate_recovery_code(tenant: "Tenant", user_id: str) -> dict:
    """A new recovery code replaces the user's; a user without one is a 400 (docs/behaviour.md)."""
    with tenant.lock:
        owned = _owned(tenant, user_id)
        if not any(each["authenticator_type"] == "recovery-code" and each["active"] for each in owned):
            raise ManagementError(400, "The user does not have a recovery code: enroll in MFA first.",
                                  "no_recovery_code")
        fresh = totp.new_recovery_code(tenant.rng)
        tenant.directory.authenticators[user_id] = tuple(
            {**each, "code": fresh} if each["authenticator_type"] == "recovery-code" else each for each in owned)
        return {"recovery_code": fresh}
