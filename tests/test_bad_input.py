"""Bad input never hurts: every implemented /api/v2 operation and /oauth/token answer malformed,
mistyped, oversized and misaddressed requests with Auth0's error envelope and the right status,
never a 500, and leave the tenant exactly as it was."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from conftest import Api, new_user
from management_spec import official_spec, query_parameters, request_properties, required_query_parameters

from mockidp.api.management.registry import registered_operations
from mockidp.api.validation import body_schema_for, schema_property_names
from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

# The resources whose error wording this file pins down; every other registered operation gets
# the generic checks at the end (never a 500, always an envelope, no change on refusal).
RESOURCES = ("users", "users-by-email", "clients", "connections", "resource-servers", "client-grants")
ALL_OPERATIONS = registered_operations()
OPERATIONS = [op for op in ALL_OPERATIONS if op.split(" ", 1)[1].split("/")[1] in RESOURCES]
LIST_PATHS = ["/api/v2/users", "/api/v2/clients", "/api/v2/connections", "/api/v2/resource-servers",
              "/api/v2/client-grants"]
ONE_MEGABYTE = 1024 * 1024
TOO_LARGE = f"Payload content length greater than maximum allowed: {ONE_MEGABYTE}"
CONNECTION = "Username-Password-Authentication"


# --- helpers -----------------------------------------------------------------------------------

def snapshot(api: Api) -> dict:
    """Everything the Management API can show about the tenant."""
    state = {path: api.get(path).json() for path in LIST_PATHS}
    state["user_count"] = len(state["/api/v2/users"])
    return state


def assert_management_error(response, status: int, error_code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) <= {"statusCode", "error", "message", "errorCode", "attributes"}
    assert body["statusCode"] == status and body["error"] and body["message"]
    if error_code is not None:
        assert body.get("errorCode") == error_code, body
    return body


def assert_oauth_error(response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "error_description"}, body
    if error is not None:
        assert body["error"] == error
    return body


@pytest.fixture
def target(api: Api) -> dict:
    """A user with a bit of everything, for operations that address one."""
    return new_user(api, email="target@example.com", username="target", given_name="Tara",
                    user_metadata={"theme": "dark"}, app_metadata={"plan": "pro"})


def concrete_path(api: Api, operation: str, user: dict) -> str:
    """The operation's path with its `{...}` parameters filled by ids that exist."""
    _, path = operation.split(" ", 1)
    ids = {"users": quote(user["user_id"], safe=""),
           "clients": api.get("/api/v2/clients").json()[0]["client_id"],
           "connections": api.get("/api/v2/connections").json()[0]["id"],
           "resource-servers": api.get("/api/v2/resource-servers").json()[0]["id"],
           "client-grants": api.get("/api/v2/client-grants").json()[0]["id"]}
    resource = path.split("/")[1]
    return "/api/v2" + re.sub(r"{\w+}", ids.get(resource, "nonexistent"), path, count=1)


def required_query(api: Api, operation: str) -> dict[str, str]:
    """A value that exists for each query parameter the operation requires."""
    values = {"email": lambda: "alice@example.com",
              "role_id": lambda: (api.get("/api/v2/roles").json() or [api.post("/api/v2/roles", json={
                  "name": "Required query"}).json()])[0]["id"],
              "resource_server_identifier": lambda: api.get("/api/v2/resource-servers").json()[0]["identifier"],
              "permission_name": lambda: "read:required"}
    return {name: values[name]() for name in required_query_parameters(operation)}


def send(api: Api, operation: str, path: str, **kwargs):
    method = operation.split(" ", 1)[0]
    return api.request(method, path, **kwargs)


BODY_OPERATIONS = [op for op in OPERATIONS if body_schema_for(op)]
# Operations whose payload is a JSON object with declared properties (not e.g. an array).
OBJECT_BODY_OPERATIONS = [op for op in BODY_OPERATIONS if schema_property_names(body_schema_for(op))]
# A valid payload per create operation, for checks that change one field of it.
CREATE_BODIES = {
    "POST /users": {"connection": CONNECTION, "email": "typed@example.com", "password": "Sup3r$ecret!"},
    "POST /clients": {"name": "Typed"},
    "POST /connections": {"name": "Typed", "strategy": "auth0"},
    "POST /resource-servers": {"identifier": "https://typed.example.com/"},
    "POST /client-grants": {"client_id": DEFAULT_M2M_CLIENT_ID, "audience": "https://typed.example.com/"},
    "POST /users/{id}/authentication-methods": {"type": "email", "email": "typed@example.com"},
}
BODYLESS_READS = [op for op in OPERATIONS if op.startswith("GET ")]
# Reads whose answer on the first connection / the target user is an error by design; the garbage
# body must still change nothing about it.
NOT_OK_ON_THE_TARGET = {
    "GET /connections/{id}/keys": 400,  # a database connection has no signing keys
    "GET /users/{id}/authentication-methods/{authentication_method_id}": 404,  # no such method
}


# --- every operation: the query string ---------------------------------------------------------

@pytest.mark.parametrize("operation", OPERATIONS)
def test_unknown_query_parameter(api, target, operation):
    required = "".join(f"&{name}={quote(value, safe='')}" for name, value in required_query(api, operation).items())
    before = snapshot(api)  # after required_query, which may create a role
    response = send(api, operation, concrete_path(api, operation, target) + "?bogus_param=1" + required,
                    json={"name": "Never applied"} if body_schema_for(operation) else None)
    body = assert_management_error(response, 400, "invalid_query_string")
    assert body["message"] == "Query validation error: 'Additional properties not allowed: bogus_param'."
    assert snapshot(api) == before


PAGED = [op for op in OPERATIONS if {"page", "per_page", "include_totals"} <= set(query_parameters(op))]


@pytest.mark.parametrize("operation", PAGED)
@pytest.mark.parametrize("query, wording", [
    ("page=abc", "'Expected type integer but found type string' on property page"),
    ("page=1.5", "'Expected type integer but found type string' on property page"),
    ("page=", "'Expected type integer but found type string' on property page"),
    ("page=-1", "'Value -1 is less than minimum 0' on property page"),
    ("per_page=-1", "'Value -1 is less than minimum "),
    ("per_page=1000", "'Value 1000 is greater than maximum 100' on property per_page"),
    ("include_totals=maybe", "'Expected type boolean but found type string' on property include_totals"),
    ("include_totals=TRUE", "'Expected type boolean but found type string' on property include_totals"),
    ("page=1&page=2", "'Expected type integer but found type array' on property page"),
])
def test_bad_paging_parameters(api, operation, query, wording):
    _, path = operation.split(" ", 1)
    response = api.get(f"/api/v2{path}?{query}")
    body = assert_management_error(response, 400, "invalid_query_string")
    assert body["message"].startswith("Query validation error: " + wording), body["message"]


@pytest.mark.parametrize("query", ["fields=password", "fields=", "include_fields=yes", "sort=email",
                                   "sort=email:0", "search_engine=v4", "q=email:(", "primary_order=1"])
def test_bad_user_list_queries_never_fail_hard(api, query):
    response = api.get(f"/api/v2/users?{query}")
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert_management_error(response, 400, "invalid_query_string")


def test_users_by_email_needs_one_email(api):
    assert_management_error(api.get("/api/v2/users-by-email?email=a@example.com&email=b@example.com"),
                            400, "invalid_query_string")


# --- every operation with a body: the payload --------------------------------------------------

@pytest.mark.parametrize("operation", BODY_OPERATIONS)
@pytest.mark.parametrize("raw", [b"{", b'{"name": "x",}', b"{'name': 'x'}", b'{"name": NaN}',
                                 b'{"user_metadata": {"x": 1e400}}', b"\xff\xfe{}",
                                 b"[" * 20000 + b"]" * 20000])
def test_malformed_json(api, target, operation, raw):
    before = snapshot(api)
    response = send(api, operation, concrete_path(api, operation, target), data=raw,
                    headers={"Content-Type": "application/json"})
    body = assert_management_error(response, 400)
    assert body["message"] == "Invalid request payload JSON format"
    assert snapshot(api) == before


@pytest.mark.parametrize("operation", OBJECT_BODY_OPERATIONS)
@pytest.mark.parametrize("payload, found", [("[]", "array"), ('[{"name": "x"}]', "array"),
                                            ('"x"', "string"), ("3", "integer"), ("1.5", "number"),
                                            ("true", "boolean"), ("null", "null")])
def test_non_object_json(api, target, operation, payload, found):
    # A body the spec lets be null (`type: [object, null]`, e.g. rotating a connection's keys) is
    # named with both types, as the validator joins them; null itself is then a valid body.
    expected = official_spec()["components"]["schemas"][body_schema_for(operation)].get("type", "object")
    expected = ",".join(expected) if isinstance(expected, list) else expected
    if found in expected.split(","):
        pytest.skip(f"{operation} accepts a {found} body")
    before = snapshot(api)
    response = send(api, operation, concrete_path(api, operation, target), data=payload,
                    headers={"Content-Type": "application/json"})
    body = assert_management_error(response, 400, "invalid_body")
    assert body["message"] == f"Payload validation error: 'Expected type {expected} but found type {found}'."
    assert snapshot(api) == before


def test_unknown_fields_on_create(api):
    before = snapshot(api)
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "new@example.com",
                                               "password": "Sup3r$ecret!", "bogus": 1, "also_bogus": {}})
    body = assert_management_error(response, 400, "invalid_body")
    assert body["message"] == "Payload validation error: 'Additional properties not allowed: bogus,also_bogus'."
    assert snapshot(api) == before


def test_unknown_fields_on_update_come_with_advice(api, target):
    """What SDK users hit when they send back a user they read (auth0-java #58, #549)."""
    before = snapshot(api)
    read_back = {**target, "name": "Changed"}
    response = api.patch("/api/v2/users/" + quote(target["user_id"], safe=""), json=read_back)
    body = assert_management_error(response, 400, "invalid_body")
    assert body["message"] == (
        "Payload validation error: 'Additional properties not allowed: user_id,created_at,"
        "updated_at,identities (consider storing them in app_metadata or user_metadata. See "
        "\"Users Metadata\" in https://auth0.com/docs/api/v2/changes for more details)'.")
    assert snapshot(api) == before


@pytest.mark.parametrize("operation", BODY_OPERATIONS)
def test_nesting_deeper_than_storage_allows(api, target, operation):
    before = snapshot(api)
    deep = '{"a":' * 150 + "1" + "}" * 150
    response = send(api, operation, concrete_path(api, operation, target),
                    data='{"user_metadata":' + deep + "}", headers={"Content-Type": "application/json"})
    assert_management_error(response, 400)
    assert snapshot(api) == before


@pytest.mark.parametrize("operation", BODY_OPERATIONS + [op for op in OPERATIONS if op.startswith("DELETE ")])
def test_body_over_one_megabyte(api, target, operation):
    before = snapshot(api)
    padding = "x" * ONE_MEGABYTE
    response = send(api, operation, concrete_path(api, operation, target),
                    json={"user_metadata": {"padding": padding}})
    body = assert_management_error(response, 413)
    assert body == {"statusCode": 413, "error": "Request Entity Too Large", "message": TOO_LARGE}
    assert snapshot(api) == before


def test_chunked_body_over_one_megabyte(api):
    before = snapshot(api)
    chunks = (b"x" * 65536 for _ in range(20))  # no Content-Length: the limit applies while reading
    response = api.post("/api/v2/users", data=chunks, headers={"Content-Type": "application/json"})
    assert_management_error(response, 413)
    assert snapshot(api) == before


def wrong_value(schema: dict):
    """A value of a JSON type the property does not accept."""
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches and "type" not in schema:  # e.g. UserId: a string or an integer
        types = [branch.get("type") for branch in branches]
        if "string" in types and "boolean" not in types:
            return True
    types = schema.get("type", "string")
    types = [types] if isinstance(types, str) else types
    if "string" in types:
        return 12345
    if "object" in types:
        return ["not", "an", "object"]
    return "not-a-" + types[0]


def properties_of(operation: str) -> list[str]:
    return sorted(request_properties(body_schema_for(operation)))


@pytest.mark.parametrize("operation, field", [(op, field) for op in OBJECT_BODY_OPERATIONS
                                              for field in properties_of(op)])
def test_wrong_type_for_each_field(api, target, operation, field):
    schema = request_properties(body_schema_for(operation))[field]
    before = snapshot(api)
    body = dict(CREATE_BODIES.get(operation, {}))
    body[field] = wrong_value(schema)
    response = send(api, operation, concrete_path(api, operation, target), json=body)
    error = assert_management_error(response, 400, "invalid_body")
    expected = ("Payload validation error: 'Data does not match any schemas from 'oneOf''"
                if "oneOf" in schema and "type" not in schema else "Payload validation error: 'Expected type ")
    assert error["message"].startswith(expected), error["message"]
    assert f"on property {field}" in error["message"]
    assert snapshot(api) == before


INVALID_VALUES = [
    ("email", "not-an-email"), ("email", "a@b"), ("email", ""), ("phone_number", "555-0100"),
    ("phone_number", "+1234567890123456"), ("picture", "not a url"), ("given_name", ""),
    ("given_name", "g" * 151), ("name", "n" * 301), ("username", "u" * 129), ("password", ""),
    ("user_id", "has space"), ("user_id", "i" * 256), ("connection", ""),
]


@pytest.mark.parametrize("field, value", INVALID_VALUES)
def test_invalid_values_on_create(api, field, value):
    before = snapshot(api)
    body = {"connection": CONNECTION, "email": "valid@example.com", "password": "Sup3r$ecret!",
            field: value}
    error = assert_management_error(api.post("/api/v2/users", json=body), 400, "invalid_body")
    assert error["message"].startswith("Payload validation error: '")
    assert f"on property {field}" in error["message"]
    assert snapshot(api) == before


@pytest.mark.parametrize("field, value", [(f, v) for f, v in INVALID_VALUES
                                          if f not in ("user_id", "connection")])
def test_invalid_values_on_update(api, target, field, value):
    before = snapshot(api)
    response = api.patch("/api/v2/users/" + quote(target["user_id"], safe=""), json={field: value})
    error = assert_management_error(response, 400, "invalid_body")
    assert f"on property {field}" in error["message"]
    assert snapshot(api) == before


@pytest.mark.parametrize("body", [
    {"app_metadata": {"email": "reserved@example.com"}}, {"app_metadata": {"a.b": 1}},
    {"app_metadata": {"$where": 1}}, {"password": None}, {"email": None}, {"username": None},
    {"password": "weak"}, {"username": "alice", "email": "x@example.com"},
    {"connection": "No-Such-Connection", "name": "x"},
])
def test_refused_updates_change_nothing(api, target, body):
    before = snapshot(api)
    response = api.patch("/api/v2/users/" + quote(target["user_id"], safe=""), json=body)
    assert_management_error(response, 400)
    assert snapshot(api) == before


def test_lone_surrogates_are_refused_as_malformed_json(api, target):
    """No UTF-8 string holds one, so Auth0's store could not either (docs/behaviour.md)."""
    before = snapshot(api)
    path = "/api/v2/users/" + quote(target["user_id"], safe="")
    response = api.patch(path, data='{"name": "half \\ud800 pair"}',
                         headers={"Content-Type": "application/json"})
    assert_management_error(response, 400)
    assert response.json()["message"] == "Invalid request payload JSON format"
    assert snapshot(api) == before


def test_form_encoded_create(api):
    before = snapshot(api)
    form = {"connection": CONNECTION, "email": "form@example.com", "password": "Sup3r$ecret!"}
    created = api.post("/api/v2/users", data=form)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "form@example.com"
    assert snapshot(api)["user_count"] == before["user_count"] + 1


def test_form_encoded_values_are_strings(api):
    before = snapshot(api)
    form = {"connection": CONNECTION, "email": "form@example.com", "password": "Sup3r$ecret!",
            "email_verified": "true"}
    error = assert_management_error(api.post("/api/v2/users", data=form), 400, "invalid_body")
    assert error["message"].startswith("Payload validation error: 'Expected type boolean but found "
                                       "type string' on property email_verified")
    assert snapshot(api) == before


def test_form_encoded_update(api, target):
    path = "/api/v2/users/" + quote(target["user_id"], safe="")
    response = api.patch(path, data={"given_name": "Formed"})
    assert response.status_code == 200
    assert response.json()["given_name"] == "Formed"
    error = assert_management_error(api.patch(path, data={"user_metadata[theme]": "light"}), 400)
    assert error["message"].startswith(
        "Payload validation error: 'Additional properties not allowed: user_metadata[theme] (consider")


def test_empty_body_on_create_reports_the_first_missing_property(api):
    response = api.post("/api/v2/users", data=b"", headers={"Content-Type": "application/json"})
    error = assert_management_error(response, 400, "invalid_body")
    assert error["message"] == "Payload validation error: 'Missing required property: connection'."


# --- operations without a body ignore one ------------------------------------------------------

@pytest.mark.parametrize("operation", BODYLESS_READS)
def test_reads_ignore_a_body(api, target, operation):
    path = concrete_path(api, operation, target)
    params = required_query(api, operation)
    plain = send(api, operation, path, params=params)
    with_garbage = send(api, operation, path, params=params, data=b"{not json",
                        headers={"Content-Type": "application/json"})
    assert plain.status_code == NOT_OK_ON_THE_TARGET.get(operation, 200)
    assert (with_garbage.status_code, with_garbage.json()) == (plain.status_code, plain.json())


def test_delete_with_malformed_json_deletes_nothing(api, target):
    before = snapshot(api)
    path = "/api/v2/users/" + quote(target["user_id"], safe="")
    response = api.delete(path, data=b"{", headers={"Content-Type": "application/json"})
    assert_management_error(response, 400)
    assert snapshot(api) == before


@pytest.mark.parametrize("user_id", ["auth0|nope", "nope", "%20", "auth0%7C", "a" * 600, "..%2F..%2Fclients"])
def test_odd_user_ids(api, user_id):
    before = snapshot(api)
    for method in ("GET", "PATCH", "DELETE"):
        response = api.request(method, f"/api/v2/users/{user_id}",
                               json={"name": "x"} if method == "PATCH" else None)
        assert response.status_code in (204, 404), (method, response.status_code, response.text)
        if response.status_code == 404:
            assert_management_error(response, 404)
    assert snapshot(api) == before


# --- routing: unknown paths and methods --------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v2/nope", "/api/v2/users/a/b/c", "/api/v2/", "/api/v2",
                                  "/api/v2/users-by-email/extra", "/api/v3/users"])
def test_unknown_paths(api, path):
    body = assert_management_error(api.get(path), 404)
    assert body == {"statusCode": 404, "error": "Not Found", "message": "Not Found"}


def _paths_and_methods() -> list[tuple[str, str, set[str]]]:
    methods: dict[str, set[str]] = {}
    for operation in OPERATIONS:
        method, path = operation.split(" ", 1)
        methods.setdefault(path, set()).add(method)
    return [(path, wrong, allowed) for path, allowed in sorted(methods.items())
            for wrong in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed)]


@pytest.mark.parametrize("path, method, allowed", _paths_and_methods())
def test_wrong_method(api, target, path, method, allowed):
    before = snapshot(api)
    url = concrete_path(api, f"{method} {path}", target)
    response = api.request(method, url, json={"name": "x"})
    body = assert_management_error(response, 405)
    assert body == {"statusCode": 405, "error": "Method Not Allowed", "message": "Method Not Allowed"}
    advertised = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed <= advertised
    assert snapshot(api) == before


# --- /oauth/token ------------------------------------------------------------------------------

CREDENTIALS = {"grant_type": "client_credentials", "client_id": DEFAULT_M2M_CLIENT_ID,
               "client_secret": DEFAULT_M2M_CLIENT_SECRET}


def audience(mockidp) -> str:
    return f"{mockidp.url}/api/v2/"


@pytest.mark.parametrize("raw", [b"{", b"{'grant_type': 'client_credentials'}", b"\xff", b"NaN",
                                 b"[" * 20000 + b"]" * 20000])
def test_token_malformed_json(anonymous, raw):
    response = anonymous.post("/oauth/token", data=raw, headers={"Content-Type": "application/json"})
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("payload", [[], ["client_credentials"], "grant_type=client_credentials", 7, None])
def test_token_non_object_json(anonymous, payload):
    assert_oauth_error(anonymous.post("/oauth/token", json=payload), 400, "invalid_request")


@pytest.mark.parametrize("field, value", [("grant_type", 1), ("grant_type", ["client_credentials"]),
                                          ("client_id", 42), ("client_secret", {"a": 1}),
                                          ("audience", True)])
def test_token_wrong_types(anonymous, mockidp, field, value):
    body = {**CREDENTIALS, "audience": audience(mockidp), field: value}
    response = anonymous.post("/oauth/token", json=body)
    assert 400 <= response.status_code < 500
    assert_oauth_error(response, response.status_code)


def test_token_non_string_scope_is_ignored(anonymous, mockidp):
    """A parameter that is not a string is treated as absent, as in a form: all granted scopes."""
    body = {**CREDENTIALS, "audience": audience(mockidp), "scope": ["read:users"]}
    response = anonymous.post("/oauth/token", json=body)
    assert response.status_code == 200
    assert "create:users" in response.json()["scope"].split()


def test_token_ignores_unknown_fields(anonymous, mockidp):
    body = {**CREDENTIALS, "audience": audience(mockidp), "bogus": "x", "nested": {"a": [1]}}
    response = anonymous.post("/oauth/token", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


def test_token_ignores_the_query_string(anonymous, mockidp):
    response = anonymous.post("/oauth/token?bogus=1&page=abc",
                              json={**CREDENTIALS, "audience": audience(mockidp)})
    assert response.status_code == 200, response.text


def test_token_form_encoded(anonymous, mockidp):
    response = anonymous.post("/oauth/token", data={**CREDENTIALS, "audience": audience(mockidp)})
    assert response.status_code == 200, response.text
    assert response.json()["access_token"].count(".") == 2


def test_token_body_over_one_megabyte(anonymous, mockidp):
    body = {**CREDENTIALS, "audience": audience(mockidp), "padding": "x" * ONE_MEGABYTE}
    response = anonymous.post("/oauth/token", json=body)
    error = assert_oauth_error(response, 413, "invalid_request")
    assert error["error_description"] == TOO_LARGE


def test_token_form_over_one_megabyte(anonymous, mockidp):
    response = anonymous.post("/oauth/token", data={**CREDENTIALS, "padding": "x" * ONE_MEGABYTE})
    assert_oauth_error(response, 413, "invalid_request")


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_token_wrong_method(anonymous, method):
    response = anonymous.request(method, "/oauth/token")
    assert_oauth_error(response, 405, "invalid_request")
    assert "POST" in response.headers.get("Allow", "")


def test_token_missing_grant_type(anonymous):
    error = assert_oauth_error(anonymous.post("/oauth/token", json={}), 400, "invalid_request")
    assert error["error_description"] == "Missing required parameter: grant_type"


# --- every registered operation: the generic guarantees ---------------------------------------

def assert_refused_cleanly(api: Api, response, before: dict) -> None:
    """Not a 500; an error has the Management API envelope and changed nothing."""
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_management_error(response, response.status_code)
        assert snapshot(api) == before


GARBAGE_BODIES = [b"{", b"[]", b'"text"', b"42", b"null", b'{"bogus": {"nested": [1, 2]}}',
                  b'{"name": 12345, "email": false, "user_id": []}', b"\xff\xfe\x00"]


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_any_operation_survives_garbage(api, target, operation):
    path = concrete_path(api, operation, target)
    for raw in GARBAGE_BODIES:
        before = snapshot(api)
        response = send(api, operation, path, data=raw, headers={"Content-Type": "application/json"})
        assert_refused_cleanly(api, response, before)
    for query in ("bogus_param=1", "page=abc", "per_page=-1", "include_totals=maybe", "fields=%FF"):
        before = snapshot(api)
        assert_refused_cleanly(api, send(api, operation, f"{path}?{query}"), before)


@pytest.mark.parametrize("operation", [op for op in ALL_OPERATIONS if not op.startswith("GET ")])
def test_any_operation_refuses_oversized_bodies(api, target, operation):
    before = snapshot(api)
    response = send(api, operation, concrete_path(api, operation, target),
                    json={"padding": "x" * ONE_MEGABYTE})
    assert_management_error(response, 413)
    assert snapshot(api) == before


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_any_operation_requires_a_token(anonymous, api, target, operation):
    before = snapshot(api)
    response = send(anonymous, operation, concrete_path(api, operation, target), json={})
    assert_management_error(response, 401)
    assert snapshot(api) == before
