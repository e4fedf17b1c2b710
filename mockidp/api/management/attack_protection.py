"""/api/v2/attack-protection: brute-force protection settings (core/bruteforce.py)."""
from __future__ import annotations

from ...core.login import bruteforce
from ..http import json_response, read_body, tenant
from ..validation import validate_body
from .common import query_args
from .registry import operation


@operation("GET /attack-protection/brute-force-protection")
def get_brute_force_protection():
    query_args("GET /attack-protection/brute-force-protection")
    return json_response(bruteforce.settings(tenant()))


@operation("PATCH /attack-protection/brute-force-protection")
def update_brute_force_protection():
    body = read_body()
    query_args("PATCH /attack-protection/brute-force-protection")
    validate_body("UpdateBruteForceSettingsRequestContent", body)
    return json_response(bruteforce.update_settings(tenant(), body))
