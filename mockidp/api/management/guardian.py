"""/api/v2/guardian: the tenant's MFA factors and policy (core/factors/guardian.py). Kept in its
own module: the guardian behaviour is the MFA work's, whatever engine serves other resources."""
from __future__ import annotations

from ...core.factors import guardian
from ..http import json_response, read_body, tenant
from ..validation import validate_body
from .common import query_args
from .registry import operation


@operation("GET /guardian/factors")
def list_factors():
    query_args("GET /guardian/factors")
    return json_response(guardian.list_factors(tenant()))


@operation("PUT /guardian/factors/{name}")
def set_factor(name):
    body = read_body()
    query_args("PUT /guardian/factors/{name}")
    validate_body("SetGuardianFactorRequestContent", body)
    return json_response(guardian.set_factor(tenant(), name, body["enabled"]))


@operation("GET /guardian/policies")
def get_policies():
    query_args("GET /guardian/policies")
    return json_response(guardian.policies(tenant()))


@operation("PUT /guardian/policies")
def set_policies():
    body = read_body()
    query_args("PUT /guardian/policies")
    validate_body("SetGuardianPoliciesRequestContent", body)
    return json_response(guardian.set_policies(tenant(), body))
