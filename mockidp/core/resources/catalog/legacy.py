"""Rules and hooks: Auth0 refuses them on tenants created since they were retired (Actions
replace both), and mockidp is always a new tenant (docs/behaviour.md)."""
from __future__ import annotations

from ..model import Resource

_RETIRED = (403, "Rules and Hooks are not available for this tenant: use Actions instead.",
            "feature_not_enabled")

RESOURCES = [
    Resource("/rules", "rule", refusal=_RETIRED),
    Resource("/rules-configs", "rules config", refusal=_RETIRED),
    Resource("/hooks", "hook", refusal=_RETIRED),
]
