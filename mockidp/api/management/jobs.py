"""/api/v2/jobs: the verification-email job, user imports (multipart upload) and user exports."""
from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from ...core.jobs import exports, imports, jobs
from ...core.tenant.errors import bad_request
from ..http import empty_response, json_response, public_base_url, tenant
from .common import payload, query_args
from .registry import operation


@operation("POST /jobs/verification-email")
def create_verification_email_job():
    body = payload("POST /jobs/verification-email")
    return json_response(jobs.create_verification_email_job(tenant(), body, public_base_url()), 201)


@operation("POST /jobs/users-imports")
def create_users_import_job():
    """202 with the job as created (Auth0's status for this one long-running job). The query
    string is not validated: Auth0 accepted `?test=value` here (TestJobManager_ImportUsersWithNilOptions)."""
    if request.content_length is not None and request.content_length > imports.MAX_PAYLOAD_BYTES:
        imports.raise_payload_too_large()
    if request.mimetype != "multipart/form-data":
        raise bad_request("Payload validation error: 'Invalid multipart payload format'.")
    request.max_content_length = imports.MAX_PAYLOAD_BYTES  # a chunked body is cut off at the limit
    try:
        upload = request.files.get("users")
        form = request.form.to_dict()
    except RequestEntityTooLarge:
        imports.raise_payload_too_large()  # with the import's limit, not the 1 MB of other bodies
    users_file = upload.read() if upload is not None else form.get("users", "").encode() or None
    job = imports.create_import_job(tenant(), form, users_file)
    return json_response(job, 202)


@operation("POST /jobs/users-exports")
def create_users_export_job():
    """200 (not 201), as recorded."""
    body = payload("POST /jobs/users-exports")
    return json_response(exports.create_export_job(tenant(), body))


@operation("GET /jobs/{id}")
def get_job(id: str):
    query_args("GET /jobs/{id}")
    return json_response(jobs.get_job(tenant(), id, public_base_url()))


@operation("GET /jobs/{id}/errors")
def get_job_errors(id: str):
    """204 while the job has no errors, as Auth0 answers."""
    query_args("GET /jobs/{id}/errors")
    errors = jobs.job_errors(tenant(), id)
    return json_response(errors) if errors else empty_response(204)
