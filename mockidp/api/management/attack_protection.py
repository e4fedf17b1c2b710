"""/api/v2/attack-protection: brute-force protection settings (core/bruteforce.py)."""
from __future__ import annotations

from ...core.login import bruteforce
from ..http import json_response, tenant
from .common import payload, query_args
from .registry import operation


@operation("GET /attack-protection/brute-force-protection")
def get_brute_force_protection():
    query_args("GET /attack-protection/brute-force-protection")
    return json_response(bruteforce.settings(tenant()))


@operation("PATCH /attack-protection/brute-force-protection")
def update_brute_force_protection():
    body = payload("PATCH /attack-protection/brute-force-protection")
    return json_response(bruteforce.update_settings(tenant(), body))
