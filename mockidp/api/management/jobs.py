"""/api/v2/jobs: the verification-email job (user imports and exports are not mocked)."""
from __future__ import annotations

from ...core.email import jobs
from ..http import empty_response, json_response, public_base_url, read_body, tenant
from ..validation import validate_body
from .common import query_args
from .registry import operation


@operation("POST /jobs/verification-email")
def create_verification_email_job():
    body = read_body()
    query_args("POST /jobs/verification-email")
    validate_body("CreateVerificationEmailRequestContent", body)
    return json_response(jobs.create_verification_email_job(tenant(), body, public_base_url()), 201)


@operation("GET /jobs/{id}")
def get_job(id: str):
    query_args("GET /jobs/{id}")
    return json_response(jobs.get_job(tenant(), id))


@operation("GET /jobs/{id}/errors")
def get_job_errors(id: str):
    """204 while the job has no errors, as Auth0 answers."""
    query_args("GET /jobs/{id}/errors")
    errors = jobs.job_errors(tenant(), id)
    return json_response(errors) if errors else empty_response(204)
