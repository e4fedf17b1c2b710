"""The tenant's MFA settings, as the Management API's /guardian endpoints show them: which
factors are enabled and the policy (`[]`: never, `["all-applications"]`: always,
`["confidence-score"]`: adaptive, treated as never). Stored in the Directory, so reset restores
them; every factor starts disabled, as on a new tenant."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..tenant.errors import ManagementError

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# The order of a real tenant's GET /guardian/factors (go-auth0 recordings).
FACTORS = ("sms", "push-notification", "otp", "email", "duo", "webauthn-roaming", "webauthn-platform",
           "recovery-code")
# The factors mockidp can challenge with on the hosted pages and the MFA API; MFA applies when one
# of them is enabled.
EMULATED = ("otp", "email", "sms")
ALWAYS = "all-applications"


def inexistent_factor(name: str) -> ManagementError:
    return ManagementError(404, f"Factor {name} does not exist", "inexistent_factor")


def _enabled(tenant: "Tenant") -> dict[str, bool]:
    return tenant.directory.guardian.get("factors") or {}


def list_factors(tenant: "Tenant") -> list[dict]:
    """GET /guardian/factors: every factor Auth0 lists, in Auth0's order."""
    with tenant.lock:
        enabled = _enabled(tenant)
        return [{"name": name, "enabled": bool(enabled.get(name)), "trial_expired": False} for name in FACTORS]


def set_factor(tenant: "Tenant", name: str, enabled: bool) -> dict:
    """PUT /guardian/factors/{name} with a validated body."""
    if name not in FACTORS:
        raise inexistent_factor(name)
    with tenant.lock:
        tenant.directory.guardian["factors"] = {**_enabled(tenant), name: bool(enabled)}
    return {"enabled": bool(enabled)}


def policies(tenant: "Tenant") -> list[str]:
    with tenant.lock:
        return list(tenant.directory.guardian.get("policies") or [])


def set_policies(tenant: "Tenant", values: list[str]) -> list[str]:
    with tenant.lock:
        tenant.directory.guardian["policies"] = tuple(values)
    return list(values)


def is_enabled(tenant: "Tenant", name: str) -> bool:
    with tenant.lock:
        return bool(_enabled(tenant).get(name))


def mfa_applies(tenant: "Tenant", factors: tuple[str, ...] = EMULATED) -> bool:
    """Policy "always" with one of `factors` enabled."""
    with tenant.lock:
        enabled = _enabled(tenant)
        return ALWAYS in (tenant.directory.guardian.get("policies") or ()) and \
            any(enabled.get(name) for name in factors)
