"""/api/v2/guardian: the tenant's MFA factors and policy (core/factors/guardian.py), and a user's
MFA (authentication methods, enrollments, reset, legacy providers, recovery code:
core/factors/enrollments.py).
Kept in their own module: this behaviour is the MFA work's, whatever engine serves the rest."""
from __future__ import annotations

from ....core.factors import enrollments, guardian
from ....core.tenant.errors import bad_request
from ...http import empty_response, json_response, read_body, tenant
from ...validation import body_schema_for, validate_body
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


AUTHENTICATION_METHOD = "/users/{id}/authentication-methods/{authentication_method_id}"


@operation("GET " + AUTHENTICATION_METHOD)
def authentication_method(id: str, authentication_method_id: str):
    query_args("GET " + AUTHENTICATION_METHOD)
    return json_response(enrollments.authentication_method(tenant(), id, authentication_method_id))


@operation("PATCH " + AUTHENTICATION_METHOD)
def update_authentication_method(id: str, authentication_method_id: str):
    body = read_body()
    query_args("PATCH " + AUTHENTICATION_METHOD)
    validate_body(body_schema_for("PATCH " + AUTHENTICATION_METHOD), body)
    return json_response(enrollments.update_method(tenant(), id, authentication_method_id, body))


@operation("DELETE " + AUTHENTICATION_METHOD)
def delete_authentication_method(id: str, authentication_method_id: str):
    read_body()
    query_args("DELETE " + AUTHENTICATION_METHOD)
    enrollments.delete_method(tenant(), id, authentication_method_id)
    return empty_response(204)


@operation("DELETE /users/{id}/multifactor/{provider}")
def delete_legacy_provider(id: str, provider: str):
    read_body()
    query_args("DELETE /users/{id}/multifactor/{provider}")
    if provider not in enrollments.LEGACY_PROVIDERS:  # the spec's UserMultifactorProviderEnum
        raise bad_request(f"Path validation error: 'No enum match for: \"{provider}\"' on property provider "
                          "(The multi-factor provider. Supported values 'duo' or 'google-authenticator').",
                          "invalid_uri")
    enrollments.delete_legacy_provider(tenant(), id, provider)
    return empty_response(204)


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
