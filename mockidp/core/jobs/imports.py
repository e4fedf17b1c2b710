"""User imports: POST /api/v2/jobs/users-imports and what GET /jobs/{id}(/errors) report of them.

The users file is Auth0's bulk-import format (a JSON array of users; Auth0's schema at
auth0.com/docs/manage-users/user-migration/bulk-user-import-database-schema-and-examples). The
job runs when it is created: the 202 answers the job as created ("pending", as recorded), and the
first GET /jobs/{id} sees it "completed" with its summary, as the recording of Auth0 does
(TestJobManager_ImportUsers.yaml). A file that is no JSON array fails the job as a whole (status
"failed", `status_details`); a user that cannot be imported is one entry of /errors and counts as
`failed` in the summary, the others are imported. Password hashes: bcrypt ($2a$, $2b$, $2y$),
which log in with their password.
"""
from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any, NoReturn

from ..applications.passwords import BCRYPT_HASH
from ..directory import changes, users
from ..directory.records import UserRecord
from ..tenant import ids
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MAX_PAYLOAD_BYTES = 512000  # Auth0's limit on the whole multipart request
CONNECTION_ID = re.compile(r"^con_[A-Za-z0-9]{16}$")
PARSE_FAILURE = "Failed to parse users file JSON when importing users. Make sure it is valid JSON."
NOT_AN_ARRAY = "Users file must be an array of user objects."
# The import schema's properties and the JSON type each must have.
STRINGS = ("email", "user_id", "username", "given_name", "family_name", "name", "nickname",
           "picture", "password_hash", "phone_number")
BOOLEANS = ("email_verified", "blocked", "phone_verified")
OBJECTS = ("app_metadata", "user_metadata", "custom_password_hash")
ARRAYS = ("mfa_factors",)
KNOWN = frozenset(STRINGS + BOOLEANS + OBJECTS + ARRAYS)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What an upsert may change on an existing user.
UPSERTABLE = ("email_verified", "given_name", "family_name", "name", "nickname", "picture", "blocked",
              "app_metadata", "user_metadata", "phone_number", "phone_verified")


def create_import_job(tenant: "Tenant", form: dict[str, str], users_file: bytes | None) -> dict:
    """Validate the request as Auth0 does (400 before any job exists), then run the job."""
    if users_file is None:
        raise bad_request("Must provide 'users' file as multipart part.")
    if not users_file.strip():
        raise bad_request("Users file must not be empty.")
    connection_id = form.get("connection_id")
    if not connection_id:
        raise bad_request("Must provide 'connection_id' as multipart part.")
    if not CONNECTION_ID.match(connection_id):
        raise bad_request("Payload validation error: 'String does not match pattern "
                          "^con_[A-Za-z0-9]{16}$' on property connection_id.")
    upsert = _boolean(form, "upsert", False)
    _boolean(form, "send_completion_email", True)  # no tenant owners to email in a mock
    with tenant.lock:
        connection = tenant.directory.connections.get(connection_id)
        if connection is None:
            raise bad_request("The connection does not exist.", "inexistent_connection")
        if connection.get("strategy") != "auth0":
            raise bad_request("Connection must be a database connection.")
        job = {"type": "users_import", "status": "pending", "connection_id": connection_id,
               "connection": connection["name"], "created_at": iso(tenant.clock.now()),
               "id": ids.prefixed("job", tenant.rng)}
        if form.get("external_id"):
            job["external_id"] = form["external_id"]
        tenant.directory.jobs[job["id"]] = _finished(job, _run(tenant, connection, users_file, upsert))
    return job


def _finished(job: dict, outcome: dict) -> dict:
    """The job as GET /jobs/{id} shows it once run, in the recorded order of its keys (`summary`
    after `connection_id`), and what the job keeps for its errors."""
    head = {"type": job["type"], "status": outcome.pop("status"), "connection_id": job["connection_id"]}
    if "summary" in outcome:
        head["summary"] = outcome.pop("summary")
    rest = {key: value for key, value in job.items() if key not in head}
    return {**head, **rest, **outcome}


def _boolean(form: dict[str, str], name: str, default: bool) -> bool:
    value = form.get(name)
    if value is None or value == "":
        return default
    if value.lower() not in ("true", "false"):
        raise bad_request(f"Payload validation error: 'Expected type boolean but found type string' "
                          f"on property {name}.")
    return value.lower() == "true"


def _run(tenant: "Tenant", connection: dict, users_file: bytes, upsert: bool) -> dict:
    """The finished job's stored state: status, summary and per-user errors."""
    try:
        entries = json.loads(users_file)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {"status": "failed", "status_details": PARSE_FAILURE}
    if not isinstance(entries, list):
        return {"status": "failed", "status_details": NOT_AN_ARRAY}
    summary = {"failed": 0, "updated": 0, "inserted": 0, "total": len(entries)}
    errors = []
    for entry in entries:
        problems = _schema_errors(entry)
        outcome = None if problems else _import(tenant, connection, entry, upsert)
        if isinstance(outcome, str):
            summary[outcome] += 1
            continue
        summary["failed"] += 1
        errors.append({"user": entry if isinstance(entry, dict) else {}, "errors": problems or [outcome]})
    return {"status": "completed", "summary": summary, "import_errors": errors}


def _schema_errors(entry: Any) -> list[dict]:
    """The import schema's checks, worded as Auth0's validator (z-schema) words them."""
    if not isinstance(entry, dict):
        return [{"code": "INVALID_TYPE", "message": f"Expected type object but found type {_type(entry)}"}]
    problems = []
    if "email" not in entry:
        problems.append({"code": "OBJECT_MISSING_REQUIRED_PROPERTY",
                         "message": "Missing required property: email", "path": "#/"})
    extra = sorted(set(entry) - KNOWN)
    if extra:
        problems.append({"code": "OBJECT_ADDITIONAL_PROPERTIES",
                         "message": f"Additional properties not allowed: {','.join(extra)}", "path": "#/"})
    for names, expected in ((STRINGS, "string"), (BOOLEANS, "boolean"), (OBJECTS, "object"), (ARRAYS, "array")):
        for name in names:
            if name in entry and _type(entry[name]) != expected:
                problems.append({"code": "INVALID_TYPE", "path": f"#/{name}",
                                 "message": f"Expected type {expected} but found type {_type(entry[name])}"})
    if isinstance(entry.get("email"), str) and not EMAIL.match(entry["email"]):
        problems.append({"code": "INVALID_FORMAT", "path": "#/email",
                         "message": f"Object didn't pass validation for format email: {entry['email']}"})
    if isinstance(entry.get("password_hash"), str) and not BCRYPT_HASH.match(entry["password_hash"]):
        problems.append({"code": "INVALID_FORMAT", "path": "#/password_hash",
                         "message": "Object didn't pass validation for format bcrypt: the hash is no bcrypt hash"})
    return problems


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "integer" if isinstance(value, int) else "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}.get(type(value), "unknown")


def _import(tenant: "Tenant", connection: dict, entry: dict, upsert: bool) -> str | dict:
    """Insert or update one user: "inserted"/"updated", or the error that kept it out."""
    directory, name = tenant.directory, connection["name"]
    email, username = entry["email"].lower(), (entry.get("username") or "").lower() or None
    existing_id = directory.users_by_connection_email.get((name, email))
    if existing_id is not None:
        if not upsert:
            return {"code": "DUPLICATED_USER", "message": "The user already exist and upsert parameter is false"}
        return _update(tenant, directory.users[existing_id], entry)
    # A linked secondary keeps its id (core/directory/identities.py): it is as taken as a user's.
    wanted_id = entry.get("user_id") and f"auth0|{entry['user_id']}"
    taken = (username and (name, username) in directory.users_by_connection_username) or \
        (wanted_id and (wanted_id in directory.users or wanted_id in directory.linked))
    if taken:
        return {"code": "DUPLICATED_USER", "message": "The user already exist and upsert parameter is false"}
    suffix = entry.get("user_id") or ids.user_id_suffix(tenant.rng)
    body = {key: value for key, value in entry.items() if key in UPSERTABLE}
    profile = users.initial_profile(body, f"auth0|{suffix}", suffix, name, email, username,
                                    iso(tenant.clock.now()))
    directory.put_user(UserRecord(profile, entry.get("password_hash"), directory.next_user_sequence))
    directory.next_user_sequence += 1
    return "inserted"


def _update(tenant: "Tenant", previous: UserRecord, entry: dict) -> str:
    profile = copy.deepcopy(previous.profile)
    for key in UPSERTABLE:
        if key in entry:
            profile[key] = copy.deepcopy(entry[key])
    profile["email_verified"] = bool(entry.get("email_verified", False))  # as the spec says of upserts
    profile["updated_at"] = iso(tenant.clock.now())
    password_hash = entry.get("password_hash") or previous.password_hash
    tenant.directory.put_user(UserRecord(profile, password_hash, previous.sequence), previous)
    if password_hash != previous.password_hash:
        changes.password_changed(tenant, previous)
    return "updated"


def import_errors(stored: dict) -> list[dict] | dict | None:
    """GET /jobs/{id}/errors of an import: the job itself when it failed as a whole, the users that
    failed otherwise, None (204) when there are none."""
    if stored["status"] == "failed":
        return {key: stored[key] for key in ("status", "type", "created_at", "id", "connection_id",
                                              "status_details") if key in stored}
    return stored.get("import_errors") or None


def raise_payload_too_large() -> NoReturn:
    raise ManagementError(413, f"Payload content length greater than maximum allowed: {MAX_PAYLOAD_BYTES}")
