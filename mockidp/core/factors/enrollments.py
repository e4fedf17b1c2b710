"""A user's MFA as the Management API shows and changes it: GET /users/{id}/authentication-methods
and one of them by id (GET, PATCH its name or a phone's preferred method, DELETE),
GET /users/{id}/enrollments, DELETE /users/{id}/authenticators (reset MFA: the next login
enrolls again), DELETE /users/{id}/multifactor/{provider} (a legacy provider's enrollment) and
POST /users/{id}/recovery-code-regeneration.

The Management API names a phone `phone|dev_…` and its SMS channel by the MFA API's id
`sms|dev_…` (as recorded); every other method by the MFA API's id. A name given through the
Management API is stored as the authenticator's `label` (an SMS authenticator's `name` is the
masked number the MFA API shows)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..directory.users import find_user
from ..tenant.errors import ManagementError, bad_request
from . import totp

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# authenticator_type (MFA API) -> type (Management API's authentication methods)
METHOD_TYPES = {"otp": "totp", "recovery-code": "recovery-code", "oob": "email"}


def _owned(tenant: "Tenant", user_id: str) -> tuple[dict, ...]:
    with tenant.lock:
        find_user(tenant, user_id)  # 404 inexistent_user
        return tenant.directory.authenticators.get(user_id, ())


# DELETE /users/{id}/multifactor/{provider}: the legacy providers' names and the authenticators
# each stands for. google-authenticator is a TOTP app; mockidp does not emulate Duo, so a user
# never has a Duo enrollment to remove.
LEGACY_PROVIDERS = {"google-authenticator": "otp", "duo": None}


def authentication_methods(tenant: "Tenant", user_id: str) -> list[dict]:
    return [_method(each) for each in _owned(tenant, user_id)]


def _shown_id(authenticator: dict) -> str:
    if authenticator.get("oob_channel") == "sms":
        return "phone|" + authenticator["id"].split("|", 1)[1]
    return authenticator["id"]


def _method(authenticator: dict) -> dict:
    """One authentication method; an SMS authenticator is Auth0's `phone` type with its number
    and its channel, an email one shows its address masked (as recorded)."""
    method = {"id": _shown_id(authenticator), "type": METHOD_TYPES[authenticator["authenticator_type"]],
              "confirmed": authenticator["active"]}
    if "label" in authenticator:
        method["name"] = authenticator["label"]
    if authenticator.get("oob_channel") == "email":
        method["email"] = masked_email(authenticator.get("address") or "")
    method["created_at"] = authenticator["created_at"]
    if authenticator.get("oob_channel") == "sms":
        preferred = authenticator.get("preferred", "sms")
        method.update(type="phone", phone_number=authenticator.get("address"),
                      preferred_authentication_method=preferred,
                      authentication_methods=[{"id": authenticator["id"], "type": preferred}])
    return method


def masked_email(address: str) -> str:
    """Auth0's masking of an email method: the first four characters of each part, the rest as
    stars (a part of four or fewer is four stars): chuck334@example.com -> chuc****@exam*******."""
    local, _, domain = address.partition("@")
    return f"{_masked_part(local)}@{_masked_part(domain)}"


def _masked_part(part: str) -> str:
    return part[:4] + "*" * (len(part) - 4) if len(part) > 4 else "****"


def inexistent_method() -> ManagementError:
    return ManagementError(404, "The authentication method could not be found.")


def _find_method(owned: tuple[dict, ...], method_id: str) -> dict:
    found = next((each for each in owned if _shown_id(each) == method_id), None)
    if found is None:
        raise inexistent_method()
    return found


def authentication_method(tenant: "Tenant", user_id: str, method_id: str) -> dict:
    """GET /users/{id}/authentication-methods/{authentication_method_id}: the user, then the method."""
    return _method(_find_method(_owned(tenant, user_id), method_id))


def update_method(tenant: "Tenant", user_id: str, method_id: str, body: dict) -> dict:
    """PATCH one method with a (schema-validated) body: `name`, and a phone's preferred channel.
    Answers as recorded: the method without `confirmed`."""
    with tenant.lock:
        owned = _owned(tenant, user_id)
        authenticator = _find_method(owned, method_id)
        changed = dict(authenticator)
        if "name" in body:
            changed["label"] = body["name"]
        if "preferred_authentication_method" in body:
            if authenticator.get("oob_channel") != "sms":
                raise bad_request("preferred_authentication_method can only be set on a phone authentication "
                                  "method.", "invalid_body")
            changed["preferred"] = body["preferred_authentication_method"]
        tenant.directory.authenticators[user_id] = tuple(changed if each is authenticator else each for each in owned)
    updated = _method(changed)
    del updated["confirmed"]
    return updated


def delete_method(tenant: "Tenant", user_id: str, method_id: str) -> None:
    """DELETE one method: it no longer answers a challenge or a login's code."""
    with tenant.lock:
        owned = _owned(tenant, user_id)
        gone = _find_method(owned, method_id)
        _keep(tenant, user_id, [each for each in owned if each is not gone])


def delete_legacy_provider(tenant: "Tenant", user_id: str, provider: str) -> None:
    """DELETE /users/{id}/multifactor/{provider}: the provider's authenticators go; 204 also when
    there were none (docs/behaviour.md)."""
    authenticator_type = LEGACY_PROVIDERS[provider]
    with tenant.lock:
        owned = _owned(tenant, user_id)
        _keep(tenant, user_id, [each for each in owned if each["authenticator_type"] != authenticator_type])


def _keep(tenant: "Tenant", user_id: str, kept: list[dict]) -> None:
    """Store the user's remaining authenticators. A recovery code left alone goes too: it
    recovers an enrollment, and with none left the next login enrolls afresh (as after a reset)."""
    if all(each["authenticator_type"] == "recovery-code" for each in kept):
        kept = []
    if kept:
        tenant.directory.authenticators[user_id] = tuple(kept)
    else:
        tenant.directory.authenticators.pop(user_id, None)


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
