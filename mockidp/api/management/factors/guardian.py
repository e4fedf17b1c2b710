"""/api/v2/guardian: the tenant's MFA factors and policy (core/factors/guardian.py), and a user's
MFA (authentication methods: core/factors/methods.py; enrollments, reset, legacy providers,
recovery code: core/factors/enrollments.py).
Kept in their own module: this behaviour is the MFA work's, whatever engine serves the rest."""
from __future__ import annotations

from ....core.factors import enrollments, guardian, methods
from ....core.tenant.errors import bad_request
from ...http import empty_response, json_response, public_base_url, read_body, tenant
from ..common import paged, payload, query_args
from ..registry import operation


@operation("GET /guardian/factors")
def list_factors():
    query_args("GET /guardian/factors")
    return json_response(guardian.list_factors(tenant()))


@operation("PUT /guardian/factors/{name}")
def set_factor(name):
    body = payload("PUT /guardian/factors/{name}")
    return json_response(guardian.set_factor(tenant(), name, body["enabled"]))


@operation("GET /guardian/policies")
def get_policies():
    query_args("GET /guardian/policies")
    return json_response(guardian.policies(tenant()))


@operation("PUT /guardian/policies")
def set_policies():
    body = payload("PUT /guardian/policies")
    return json_response(guardian.set_policies(tenant(), body))


@operation("POST /guardian/enrollments/ticket")
def create_enrollment_ticket():
    body = payload("POST /guardian/enrollments/ticket")
    return json_response(enrollments.create_ticket(tenant(), body, public_base_url()))


# --- a user's MFA -------------------------------------------------------------------------------

AUTHENTICATION_METHODS = "/users/{id}/authentication-methods"
AUTHENTICATION_METHOD = AUTHENTICATION_METHODS + "/{authentication_method_id}"


@operation("GET " + AUTHENTICATION_METHODS)
def authentication_methods(id: str):
    args = query_args("GET " + AUTHENTICATION_METHODS)
    listed = paged(methods.authentication_methods(tenant(), id), args, "authenticators")
    if isinstance(listed, dict) and not listed["total"]:
        del listed["total"]  # as recorded: an empty list's totals object has no `total`
    return json_response(listed)


@operation("POST " + AUTHENTICATION_METHODS)
def create_authentication_method(id: str):
    return json_response(methods.create(tenant(), id, payload("POST " + AUTHENTICATION_METHODS)), 201)


@operation("PUT " + AUTHENTICATION_METHODS)
def replace_authentication_methods(id: str):
    return json_response(methods.replace(tenant(), id, payload("PUT " + AUTHENTICATION_METHODS)))


@operation("DELETE " + AUTHENTICATION_METHODS)
def delete_authentication_methods(id: str):
    read_body()
    query_args("DELETE " + AUTHENTICATION_METHODS)
    enrollments.delete_all(tenant(), id)
    return empty_response(204)


@operation("GET " + AUTHENTICATION_METHOD)
def authentication_method(id: str, authentication_method_id: str):
    query_args("GET " + AUTHENTICATION_METHOD)
    return json_response(methods.authentication_method(tenant(), id, authentication_method_id))


@operation("PATCH " + AUTHENTICATION_METHOD)
def update_authentication_method(id: str, authentication_method_id: str):
    body = payload("PATCH " + AUTHENTICATION_METHOD)
    return json_response(methods.update(tenant(), id, authentication_method_id, body))


@operation("DELETE " + AUTHENTICATION_METHOD)
def delete_authentication_method(id: str, authentication_method_id: str):
    read_body()
    query_args("DELETE " + AUTHENTICATION_METHOD)
    methods.delete(tenant(), id, authentication_method_id)
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
