"""User import and export jobs over HTTP: POST /api/v2/jobs/users-imports (a multipart upload)
and POST /api/v2/jobs/users-exports, then GET /jobs/{id}, its errors and the exported file, held
to Auth0's spec and to the recordings (TestJobManager_*.yaml)."""
from __future__ import annotations

import csv
import gzip
import io
import json

import pytest
import requests
from auth0.management import ManagementClient
from conftest import Api, new_user
from management_crud import scoped
from management_spec import insufficient_scope_body, response_validator
from oauth_helpers import REALM, WEB_ID, WEB_SECRET, token_request

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Imp0rted-Secret!"
# bcrypt of PASSWORD at cost 4 (fast to check), as an exporting system would have stored it.
PASSWORD_HASH = "$2b$04$9b.Lr8f/78EHcThZqhXJLexQdhqr3VLSMNaB3bts.El93FHgDegUe"


def connection_id(api: Api, name: str = CONNECTION) -> str:
    return api.get("/api/v2/connections", params={"name": name}).json()[0]["id"]


def start_import(api: Api, users, *, upsert: bool = False, **form) -> requests.Response:
    payload = users if isinstance(users, (bytes, str)) else json.dumps(users)
    fields = {"connection_id": connection_id(api), "upsert": str(upsert).lower(),
              "send_completion_email": "false", **form}
    return api.post("/api/v2/jobs/users-imports", data=fields,
                    files={"users": ("users.json", payload, "application/json")})


def finished_job(api: Api, job_id: str) -> dict:
    response = api.get(f"/api/v2/jobs/{job_id}")
    assert response.status_code == 200, response.text
    response_validator("GET /jobs/{id}", 200).validate(response.json())
    return response.json()


def test_import_answers_the_recorded_pending_job_then_completes_with_its_summary(api):
    response = start_import(api, [{"email": "auzironian@example.com", "email_verified": True}], upsert=True)
    assert response.status_code == 202, response.text
    job = response.json()
    response_validator("POST /jobs/users-imports", 202).validate(job)
    assert set(job) == {"type", "status", "connection_id", "connection", "created_at", "id"}
    assert (job["type"], job["status"], job["connection"]) == ("users_import", "pending", CONNECTION)
    done = finished_job(api, job["id"])
    assert list(done) == ["type", "status", "connection_id", "summary", "connection", "created_at", "id"]  # recorded
    assert done["status"] == "completed"
    assert done["summary"] == {"failed": 0, "updated": 0, "inserted": 1, "total": 1}
    [user] = api.get("/api/v2/users-by-email", params={"email": "auzironian@example.com"}).json()
    assert user["email_verified"] is True and user["identities"][0]["connection"] == CONNECTION
    assert user["nickname"] == "auzironian"
    assert api.get(f"/api/v2/jobs/{job['id']}/errors").status_code == 204
    [logged] = api.get("/api/v2/logs", params={"q": 'type:"sapi"'}).json()
    assert logged["description"] == "Create import users job"
    assert logged["details"]["request"]["body"] == {"connection_id": job["connection_id"], "upsert": "true",
                                                    "send_completion_email": "false"}  # not the file
    assert logged["details"]["response"]["statusCode"] == 202


def test_an_imported_bcrypt_user_logs_in_with_the_password_grant(api, mockidp):
    users = [{"email": "hashed@example.com", "email_verified": True, "password_hash": PASSWORD_HASH},
             {"email": "hashed2a@example.com", "password_hash": "$2a$" + PASSWORD_HASH[4:], "user_id": "legacy-42"}]
    job = start_import(api, users).json()
    assert finished_job(api, job["id"])["summary"]["inserted"] == 2
    for username in ("hashed@example.com", "hashed2a@example.com"):
        grant = {"client_id": WEB_ID, "client_secret": WEB_SECRET, "grant_type": REALM, "realm": CONNECTION,
                 "username": username, "password": PASSWORD, "scope": "openid"}
        assert token_request(mockidp.url, **grant).status_code == 200, username
        wrong = token_request(mockidp.url, **{**grant, "password": "not-" + PASSWORD})
        assert wrong.status_code == 403
    assert api.get("/api/v2/users/auth0|legacy-42").json()["email"] == "hashed2a@example.com"


def test_duplicates_fail_without_upsert_and_update_with_it(api):
    existing = new_user(api, email="chuck630@example.com", given_name="Chuck")
    duplicate = [{"email": "chuck630@example.com", "email_verified": True}]
    job = start_import(api, duplicate).json()
    assert finished_job(api, job["id"])["summary"] == {"failed": 1, "updated": 0, "inserted": 0, "total": 1}
    errors = api.get(f"/api/v2/jobs/{job['id']}/errors")
    assert errors.status_code == 200
    response_validator("GET /jobs/{id}/errors", 200).validate(errors.json())
    assert errors.json() == [{"user": {"email": "chuck630@example.com", "email_verified": True},  # as recorded
                              "errors": [{"code": "DUPLICATED_USER",
                                          "message": "The user already exist and upsert parameter is false"}]}]
    upserted = start_import(api, [{"email": "chuck630@example.com", "given_name": "Charles",
                                   "user_metadata": {"plan": "gold"}}], upsert=True).json()
    assert finished_job(api, upserted["id"])["summary"] == {"failed": 0, "updated": 1, "inserted": 0, "total": 1}
    user = api.get(f"/api/v2/users/{existing['user_id']}").json()
    assert (user["given_name"], user["user_metadata"], user["email_verified"]) == ("Charles", {"plan": "gold"}, False)


def test_an_imported_user_id_held_by_a_linked_secondary_is_a_duplicate(api):
    primary = new_user(api, email="primary77@example.com")
    secondary = new_user(api, email="secondary77@example.com", user_id="kept-77")
    linked = api.post(f"/api/v2/users/{primary['user_id']}/identities",
                      json={"provider": "auth0", "user_id": "kept-77"})
    assert linked.status_code == 201, linked.text
    assert api.get(f"/api/v2/users/{secondary['user_id']}").status_code == 404  # folded into the primary
    job = start_import(api, [{"email": "newcomer77@example.com", "user_id": "kept-77"}]).json()
    assert finished_job(api, job["id"])["summary"] == {"failed": 1, "updated": 0, "inserted": 0, "total": 1}
    [error] = api.get(f"/api/v2/jobs/{job['id']}/errors").json()
    assert error["errors"][0]["code"] == "DUPLICATED_USER"
    assert api.get("/api/v2/users-by-email", params={"email": "newcomer77@example.com"}).json() == []
    unlinked = api.delete(f"/api/v2/users/{primary['user_id']}/identities/auth0/kept-77")
    assert unlinked.status_code == 200, unlinked.text
    assert api.get("/api/v2/users/auth0|kept-77").json()["email"] == "secondary77@example.com"


def test_invalid_users_are_reported_one_by_one_and_the_rest_imported(api):
    users = [{"email": "fine@example.com"}, {"email_verified": True}, {"email": "bad", "favourite": 1},
             {"email": "weak@example.com", "password_hash": "plain"}, "nobody"]
    job = start_import(api, users).json()
    assert finished_job(api, job["id"])["summary"] == {"failed": 4, "updated": 0, "inserted": 1, "total": 5}
    errors = api.get(f"/api/v2/jobs/{job['id']}/errors").json()
    response_validator("GET /jobs/{id}/errors", 200).validate(errors)
    codes = [[error["code"] for error in entry["errors"]] for entry in errors]
    assert codes == [["OBJECT_MISSING_REQUIRED_PROPERTY"], ["OBJECT_ADDITIONAL_PROPERTIES", "INVALID_FORMAT"],
                     ["INVALID_FORMAT"], ["INVALID_TYPE"]]
    assert errors[0]["errors"][0]["message"] == "Missing required property: email"
    assert api.get("/api/v2/users-by-email", params={"email": "weak@example.com"}).json() == []


@pytest.mark.parametrize(("payload", "details"), [
    ("not json", "Failed to parse users file JSON when importing users. Make sure it is valid JSON."),
    ('{"email": "one@example.com"}', "Users file must be an array of user objects."),
])
def test_a_file_that_is_no_json_array_fails_the_job(api, payload, details):
    job = start_import(api, payload).json()
    assert finished_job(api, job["id"])["status"] == "failed"
    errors = api.get(f"/api/v2/jobs/{job['id']}/errors")
    response_validator("GET /jobs/{id}/errors", 200).validate(errors.json())
    assert (errors.json()["status"], errors.json()["status_details"]) == ("failed", details)


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"connection_id": "con_0000000000000000"}, 400, "The connection does not exist."),
    ({"connection_id": "nope"}, 400, ("Payload validation error: 'String does not match pattern "
                                      "^con_[A-Za-z0-9]{16}$' on property connection_id.")),
    ({"connection_id": ""}, 400, "Must provide 'connection_id' as multipart part."),
    ({"upsert": "maybe"}, 400, ("Payload validation error: 'Expected type boolean but found type string' "
                                "on property upsert.")),
])
def test_import_request_errors(api, change, status, message):
    response = start_import(api, [{"email": "x@example.com"}], **change)
    assert (response.status_code, response.json()["message"]) == (status, message)
    assert api.get("/api/v2/users-by-email", params={"email": "x@example.com"}).json() == []


def test_import_file_errors_and_limits(api):
    cid = connection_id(api)
    url = "/api/v2/jobs/users-imports"
    no_file = api.post(url, files={"connection_id": (None, cid)})
    assert no_file.json()["message"] == "Must provide 'users' file as multipart part."
    empty = api.post(url, data={"connection_id": cid}, files={"users": ("users.json", b"", "application/json")})
    assert empty.json()["message"] == "Users file must not be empty."
    not_multipart = api.post(url, json={"connection_id": cid, "users": "[]"})
    assert (not_multipart.status_code, not_multipart.json()["message"]) == (
        400, "Payload validation error: 'Invalid multipart payload format'.")
    too_big = start_import(api, json.dumps([{"email": "big@example.com", "name": "x" * 600_000}]))
    assert too_big.status_code == 413
    assert too_big.json()["message"] == "Payload content length greater than maximum allowed: 512000"
    github = api.post("/api/v2/connections", json={"name": "gh", "strategy": "github"}).json()
    social = api.post(url, data={"connection_id": github["id"]},
                      files={"users": ("users.json", b"[]", "application/json")})
    assert (social.status_code, social.json()["message"]) == (400, "Connection must be a database connection.")


def test_jobs_need_their_scopes(mockidp):
    limited = scoped(mockidp, "read:clients")
    response = start_import(Api(mockidp.url, mockidp.management_token()), [])  # the token for the connection id
    assert response.status_code == 202
    refused = limited.post("/api/v2/jobs/users-imports", data={"connection_id": response.json()["connection_id"]},
                           files={"users": ("users.json", b"[]", "application/json")})
    assert (refused.status_code, refused.json()) == (403, insufficient_scope_body("POST /jobs/users-imports"))
    refused = limited.post("/api/v2/jobs/users-exports", json={})
    assert (refused.status_code, refused.json()) == (403, insufficient_scope_body("POST /jobs/users-exports"))


def download(location: str) -> bytes:
    response = requests.get(location, timeout=30)  # no token: a pre-signed URL needs none
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/gzip"
    return gzip.decompress(response.content)


def test_json_export_answers_the_recorded_job_and_serves_the_requested_fields(api):
    first = new_user(api, email="chuck436@example.com", name="Chuck")
    new_user(api, email="second@example.com")
    fields = [{"name": "name"}, {"name": "email"}, {"name": "identities[0].connection"}]
    body = {"connection_id": connection_id(api), "format": "json", "limit": 5, "fields": fields}
    response = api.post("/api/v2/jobs/users-exports", json=body)
    assert response.status_code == 200, response.text
    job = response.json()
    response_validator("POST /jobs/users-exports", 200).validate(job)
    assert list(job) == ["type", "status", "connection_id", "format", "limit", "fields", "connection",
                         "created_at", "id"]  # the recorded body, in its order
    assert (job["type"], job["status"], job["connection"]) == ("users_export", "pending", CONNECTION)
    done = finished_job(api, job["id"])
    assert done["status"] == "completed"
    assert done["location"] == f"{api.base_url}/exports/{job['id']}/localhost.json.gz"  # named after the tenant
    rows = [json.loads(line) for line in download(done["location"]).decode().splitlines()]
    assert {"name": "Chuck", "email": first["email"], "identities[0].connection": CONNECTION} in rows
    assert all(set(row) == {"name", "email", "identities[0].connection"} for row in rows)
    assert len(rows) == min(5, len(api.get("/api/v2/users", params={"per_page": 100}).json()))


def test_csv_export_uses_column_titles_and_the_limit(api):
    new_user(api, email="csv1@example.com", app_metadata={"plan": "gold"})
    fields = [{"name": "email", "export_as": "Email"}, {"name": "app_metadata.plan", "export_as": "Plan"}]
    job = api.post("/api/v2/jobs/users-exports",
                   json={"connection_id": connection_id(api), "fields": fields}).json()
    assert job["format"] == "csv"
    done = finished_job(api, job["id"])
    rows = list(csv.reader(io.StringIO(download(done["location"]).decode())))
    assert rows[0] == ["Email", "Plan"]
    assert ["csv1@example.com", "gold"] in rows[1:]
    assert api.get(f"/api/v2/jobs/{job['id']}/errors").status_code == 204


def test_export_errors(api, mockidp):
    unknown = api.post("/api/v2/jobs/users-exports", json={"connection_id": "con_0000000000000000"})
    assert (unknown.status_code, unknown.json()["message"]) == (400, "The connection does not exist.")
    bad_format = api.post("/api/v2/jobs/users-exports", json={"format": "xml"})
    assert bad_format.status_code == 400
    assert requests.get(f"{mockidp.url}/exports/job_nothing/localhost.csv.gz", timeout=30).status_code == 404
    too_many = api.post("/api/v2/jobs/users-exports", json={"fields": [{"name": f"f{n}"} for n in range(31)]})
    assert (too_many.status_code, too_many.json()["message"]) == (
        400, "Payload validation error: 'Array is too long (31), maximum 30' on property fields.")
    everyone = api.post("/api/v2/jobs/users-exports", json={})
    assert everyone.status_code == 200
    response_validator("POST /jobs/users-exports", 200).validate(everyone.json())
    assert "connection_id" not in everyone.json() and everyone.json()["format"] == "csv"
    rows = list(csv.reader(io.StringIO(download(finished_job(api, everyone.json()["id"])["location"]).decode())))
    assert rows[0][:3] == ["user_id", "email", "email_verified"]
    assert len(rows) - 1 == len(api.get("/api/v2/users", params={"per_page": 100}).json())


def test_the_official_python_sdk_imports_and_exports(mockidp, monkeypatch):
    """auth0-python, unchanged, over HTTPS: jobs.users_imports.create uploads the file as its
    multipart part, jobs.users_exports.create asks for the export, jobs.get follows both."""
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    sdk = ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                           client_secret=DEFAULT_M2M_CLIENT_SECRET)
    cid = connection_id(Api(mockidp.url, mockidp.management_token()))
    users = json.dumps([{"email": "sdk.import@example.com", "email_verified": True, "password_hash": PASSWORD_HASH,
                         "app_metadata": {"plan": "gold"}}]).encode()
    job = sdk.jobs.users_imports.create(users=("users.json", users, "application/json"), connection_id=cid,
                                        upsert=False, send_completion_email=False)
    assert (job.type, job.status, job.connection_id) == ("users_import", "pending", cid)
    done = sdk.jobs.get(job.id)
    assert (done.status, done.summary.inserted, done.summary.failed) == ("completed", 1, 0)
    export = sdk.jobs.users_exports.create(connection_id=cid, format="json",
                                           fields=[{"name": "email"}, {"name": "app_metadata.plan"}])
    location = sdk.jobs.get(export.id).location
    rows = [json.loads(line) for line in
            gzip.decompress(requests.get(location, timeout=30, verify=str(mockidp.ca_bundle)).content).splitlines()]
    assert {"email": "sdk.import@example.com", "app_metadata.plan": "gold"} in rows


def test_a_chunked_import_over_the_limit_is_refused_with_the_import_limit(api):
    """No Content-Length (a streamed upload): the limit applies as the body is read."""
    boundary = "b0undary"
    payload = json.dumps([{"email": "big@example.com", "name": "x" * 600_000}]).encode()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"connection_id\"\r\n\r\n{connection_id(api)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"users\"; filename=\"users.json\"\r\n"
            f"Content-Type: application/json\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    response = api.post("/api/v2/jobs/users-imports", data=iter([body]),
                        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert (response.status_code, response.json()["message"]) == (
        413, "Payload content length greater than maximum allowed: 512000")
    assert api.get("/api/v2/users-by-email", params={"email": "big@example.com"}).json() == []


def test_jobs_and_their_files_travel_in_a_state_document(api, mockidp):
    """The jobs (summary, errors, the export's rows) are tenant state like any other: a tenant made
    from GET /_mock/state answers them the same."""
    job = start_import(api, [{"email": "state@example.com"}, {"email": "state@example.com"}]).json()
    export = api.post("/api/v2/jobs/users-exports", json={"format": "json", "fields": [{"name": "email"}]}).json()
    state = mockidp.control("GET", "/state")
    copy = mockidp.control("POST", "/tenants", {"name": "jobs-copy", "state": state})
    try:
        twin = Api(copy["url"], mockidp.management_token(base_url=copy["url"]))
        assert finished_job(twin, job["id"])["summary"] == {"failed": 1, "updated": 0, "inserted": 1, "total": 2}
        assert len(twin.get(f"/api/v2/jobs/{job['id']}/errors").json()) == 1
        location = finished_job(twin, export["id"])["location"]
        assert location.startswith(copy["url"] + f"/exports/{export['id']}/")  # the copy serves its own file
        assert '{"email":"state@example.com"}' in download(location).decode().splitlines()
    finally:
        mockidp.control("DELETE", "/tenants/jobs-copy")
