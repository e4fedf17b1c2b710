"""catalog/: every declared resource, grouped by area, one module each. `declared()` imports
them on first use, so a server that never calls these endpoints never loads them."""
from __future__ import annotations

import importlib
from functools import cache

from ..model import Resource

AREAS = ("streams", "branding", "guardian", "settings", "profiles", "sessions", "legacy", "provisioning",
         "credentials", "organizations", "early_access")


@cache  # the declarations are immutable: loaded once per process, shared by every tenant
def declared() -> tuple[Resource, ...]:
    resources: list[Resource] = []
    for area in AREAS:
        resources += importlib.import_module(f"{__name__}.{area}").RESOURCES
    return tuple(resources)
