"""User exports: POST /api/v2/jobs/users-exports and the file its finished job points to.

Like an import (imports.py), the job runs when it is created: the POST answers it "pending" (as
recorded, TestJobManager_ExportUsers.yaml), GET /jobs/{id} sees it "completed" with a `location`.
Auth0's location is a pre-signed download URL, `.../{job id}/{tenant name}.csv.gz`; mockidp's is
that path on the tenant, `/exports/{job id}/{tenant name}.{csv|json}.gz`, answered without a
token (as a pre-signed URL is) by api/hosted.py. The file is gzipped: CSV with a header row, or JSON as Auth0 writes it, one user
object per line (NDJSON). Its rows are taken when the job runs, in creation order.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from typing import TYPE_CHECKING, Any

from ..tenant import ids
from ..email.mailroom import tenant_name
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# The columns when the request names no `fields` (Auth0's predefined set is not documented).
DEFAULT_FIELDS = ("user_id", "email", "email_verified", "username", "name", "nickname", "given_name",
                  "family_name", "picture", "phone_number", "blocked", "created_at", "updated_at",
                  "last_login", "logins_count")
MAX_FIELDS = 30  # "you can only export up to 30 fields" (Auth0's bulk export docs)
PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def create_export_job(tenant: "Tenant", body: dict) -> dict:
    with tenant.lock:
        connection = None
        if "connection_id" in body:
            connection = tenant.directory.connections.get(body["connection_id"])
            if connection is None:
                raise bad_request("The connection does not exist.", "inexistent_connection")
        if len(body.get("fields", ())) > MAX_FIELDS:
            raise bad_request(f"Payload validation error: 'Array is too long ({len(body['fields'])}), "
                              f"maximum {MAX_FIELDS}' on property fields.")
        job: dict[str, Any] = {"type": "users_export", "status": "pending"}
        if connection is not None:
            job["connection_id"] = connection["id"]
        job["format"] = body.get("format", "csv")
        for key in ("limit", "fields"):
            if key in body:
                job[key] = body[key]
        # The spec requires `connection`; without a connection_id every user is exported and
        # Auth0's value for it is unrecorded: an empty name (docs/behaviour.md).
        job["connection"] = connection["name"] if connection is not None else ""
        job["created_at"] = iso(tenant.clock.now())
        job["id"] = ids.prefixed("job", tenant.rng)
        content = _render(job, _rows(tenant, connection, body))
        tenant.directory.jobs[job["id"]] = {**job, "status": "completed", "export_content": content}
    return job


def location(stored: dict, base_url: str) -> str:
    """The file's URL on the host the caller used (as the issuer follows it), so a tenant made
    from a state document serves its own copy. Named as Auth0 names it: the tenant's name."""
    return f"{base_url}/exports/{stored['id']}/{file_name(stored, base_url)}"


def file_name(stored: dict, base_url: str) -> str:
    return f"{tenant_name(base_url)}.{stored['format']}.gz"


def _rows(tenant: "Tenant", connection: dict | None, body: dict) -> list[dict]:
    records = sorted(tenant.directory.users.values(), key=lambda record: record.sequence)
    if connection is not None:
        records = [record for record in records if record.connection == connection["name"]]
    if "limit" in body:
        records = records[:body["limit"]]
    return [record.profile for record in records]


def _columns(job: dict) -> list[tuple[str, str]]:
    """(path in the profile, column title) per exported field."""
    if "fields" not in job:
        return [(name, name) for name in DEFAULT_FIELDS]
    return [(field["name"], field.get("export_as") or field["name"]) for field in job["fields"]]


def _render(job: dict, profiles: list[dict]) -> str:
    columns = _columns(job)
    if job["format"] == "json":
        lines = []
        for profile in profiles:
            row = {title: value for path, title in columns if (value := field_value(profile, path)) is not None}
            lines.append(json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n")
        return "".join(lines)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([title for _, title in columns])
    for profile in profiles:
        writer.writerow([_cell(field_value(profile, path)) for path, _ in columns])
    return out.getvalue()


def field_value(profile: dict, path: str) -> Any:
    """A field of the profile by Auth0's export path: `email`, `app_metadata.plan`,
    `identities[0].connection`. None when the profile has no such value."""
    value: Any = profile
    for name, index in PATH_STEP.findall(path):
        if name and isinstance(value, dict):
            value = value.get(name)
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def export_file(tenant: "Tenant", job_id: str, filename: str, base_url: str) -> tuple[bytes, str]:
    """The gzipped file of a finished export and its media type. Gzipped with a fixed mtime, so
    the same export is the same bytes."""
    with tenant.lock:
        stored = tenant.directory.jobs.get(job_id)
    if stored is None or stored["type"] != "users_export" or filename != file_name(stored, base_url):
        raise ManagementError(404, "Not Found")
    data = gzip.compress(stored["export_content"].encode("utf-8"), mtime=0)
    return data, "application/gzip"
