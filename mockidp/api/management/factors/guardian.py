"""/api/v2/guardian: the tenant's MFA factors and policy (core/factors/guardian.py), and a user's
MFA (authentication methods, enrollments, reset, recovery code: core/factors/enrollments.py).
Kept in their own module: this behaviour is the MFA work's, whatever engine serves the rest."""
from __future__ import annotations

from ....core.factors import enrollments, guardian
from ...http import empty_response, json_response, read_body, tenant
from ...validation import validate_body
from ..common import paged, query_args
from ..registry import operation


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


# --- a user's MFA -------------------------------------------------------------------------------

@operation("GET /users/{id}/authentication-methods")
def authentication_methods(id: str):
    args = query_args("GET /users/{id}/authentication-methods")
    return json_response(paged(enrollments.authentication_methods(tenant(), id), args, "authenticators"))


@operation("GET /users/{id}/enrollments")
def user_enrollments(id: str):
    query_args("GET /users/{id}/enrollments")
    return json_response(enrollments.enrollments(tenant(), id))


@operation("DELETE /users/{id}/authenticators")
def delete_authenticators(id: str):
    read_body()  # hapi parses DELETE payloads too: malformed JSON is a 400, not ignored
    query_args("DELETE /users/{id}/authenticators")
    enrollments.delete_all(tenant(), id)
    return empty_response(204)


@operation("POST /users/{id}/recovery-code-regeneration")
def regenerate_recovery_code(id: str):
    read_body()  # no body is defined: anything sent is ignored, as hapi does without a schema
    query_args("POST /users/{id}/recovery-code-regeneration")
    return json_response(enrollments.regenerate_recovery_code(tenant(), id))
