"""Jobs: POST /api/v2/jobs/verification-email, GET /api/v2/jobs/{id} and its errors, for every
kind of job (user imports: imports.py; user exports: exports.py).

A verification-email job queues verify_email; its status follows that message: pending while
queued, completed once delivered, failed when rendering failed or no email could be sent
(template disabled: UNCONFIRMED what Auth0 reports then).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..directory import users
from ..tenant import ids
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request
from ..email import emails
from . import exports, imports

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

STATUS_BY_OUTCOME = {"queued": "pending", "delivered": "completed", "failed": "failed"}
# What a stored import or export job keeps for itself, never shown by GET /jobs/{id}.
PRIVATE_KEYS = frozenset({"import_errors", "export_content", "message_id", "user_id"})


def create_verification_email_job(tenant: "Tenant", body: dict, base_url: str) -> dict:
    client_id = body.get("client_id")
    with tenant.lock:
        record = users.find_user(tenant, body["user_id"])
        if not record.profile.get("email"):
            raise bad_request("The user does not have an email address.")
        if client_id and client_id not in tenant.directory.clients:
            raise ManagementError(404, "The client does not exist", "inexistent_client")
        message_id = emails.queue_verification_email(tenant, record, base_url=base_url, client_id=client_id)
        job = {"type": "verification_email", "status": "pending",
               "created_at": iso(tenant.clock.now()), "id": ids.prefixed("job", tenant.rng)}
        tenant.directory.jobs[job["id"]] = {**job, "message_id": message_id, "user_id": record.user_id}
    tenant.mailroom.deliver_due()
    return job


def get_job(tenant: "Tenant", job_id: str, base_url: str = "") -> dict:
    """The job as Auth0 shows it; `base_url` (the caller's) for a finished export's location."""
    with tenant.lock:
        stored = tenant.directory.jobs.get(job_id)
    if stored is None:
        raise ManagementError(404, "The job does not exist.", "inexistent_job")
    if stored["type"] != "verification_email":
        job = {key: value for key, value in stored.items() if key not in PRIVATE_KEYS}
        if stored["type"] == "users_export" and stored["status"] == "completed":
            job["location"] = exports.location(stored, base_url)
        return job
    message_id = stored["message_id"]
    outcome = tenant.mailroom.outcome(message_id) if message_id else None
    status = STATUS_BY_OUTCOME.get(outcome or "", "failed")
    return {"type": stored["type"], "status": status, "created_at": stored["created_at"], "id": stored["id"]}


def job_errors(tenant: "Tenant", job_id: str) -> list[dict] | dict | None:
    """A job's errors: none until it failed; a verification email that could not be sent is one
    error for its user (Auth0's wording for it is unrecorded); an import's are imports.py's."""
    job = get_job(tenant, job_id)
    if job["type"] == "users_import":
        return imports.import_errors(tenant.directory.jobs[job_id])
    if job["status"] != "failed":
        return []
    stored = tenant.directory.jobs[job_id]
    return [{"user": {"user_id": stored.get("user_id")},
             "errors": [{"code": "EMAIL_NOT_SENT", "message": "The verification email could not be sent."}]}]
