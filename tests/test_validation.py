"""Request validation: Auth0's (z-schema) error wording, query coercion, scopes, extracted data."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from mockidp.api import validation
from mockidp.api.formats import js_regex
from mockidp.api.validation import (
    response_schema,
    scopes_for,
    validate_body,
    validate_query,
)
from mockidp.core.tenant.errors import ManagementError

REPO_ROOT = Path(__file__).resolve().parent.parent
EXTRACTOR = REPO_ROOT / "tools" / "extract_oas.py"
COMMITTED_DATA = REPO_ROOT / "mockidp" / "data" / "management_api.json"
CREATE_USER = "CreateUserRequestContent"


def body_error(schema_name: str, body: object) -> ManagementError:
    with pytest.raises(ManagementError) as caught:
        validate_body(schema_name, body)
    assert caught.value.status == 400
    assert caught.value.error_code == "invalid_body"
    return caught.value


def query_error(operation_key: str, args: dict) -> ManagementError:
    with pytest.raises(ManagementError) as caught:
        validate_query(operation_key, args)
    assert caught.value.status == 400
    assert caught.value.error_code == "invalid_query_string"
    return caught.value


# --- payloads --------------------------------------------------------------------------------

def test_valid_create_user_body_passes():
    validate_body(CREATE_USER, {"connection": "Username-Password-Authentication",
                                "email": "jane@example.com", "password": "s3cret!",
                                "user_metadata": {"plan": "gold"}})


def test_missing_connection_is_reported_at_the_root():
    error = body_error(CREATE_USER, {"email": "jane@example.com"})
    assert error.message == "Payload validation error: 'Missing required property: connection'."
    assert error.body == {"statusCode": 400, "error": "Bad Request", "message": error.message,
                          "errorCode": "invalid_body"}


def test_bad_email_quotes_value_and_property_description_without_final_period():
    error = body_error(CREATE_USER, {"connection": "db", "email": "not-an-email"})
    assert error.message == ("Payload validation error: 'Object didn't pass validation for format "
                             "email: not-an-email' on property email (The user's email).")


def test_patch_bad_email_uses_the_patch_field_description():
    error = body_error("UpdateUserRequestContent", {"email": "nope"})
    assert error.message.endswith("on property email (Email address of this user).")


def test_additional_properties_are_listed_in_body_order():
    error = body_error(CREATE_USER, {"foo": 1, "connection": "db", "bar": 2})
    assert error.message == "Payload validation error: 'Additional properties not allowed: foo,bar'."


def test_missing_required_is_preferred_over_additional_properties_and_nested_errors():
    error = body_error(CREATE_USER, {"email": "bad", "foo": 1})
    assert error.message == "Payload validation error: 'Missing required property: connection'."


def test_first_error_follows_document_order():
    error = body_error(CREATE_USER, {"connection": "db", "given_name": "", "email": "bad"})
    assert "on property given_name" in error.message


def test_wrong_type_names_json_types():
    error = body_error(CREATE_USER, {"connection": 5})
    assert error.message == ("Payload validation error: 'Expected type string but found type integer' "
                             "on property connection (Name of the connection this user should be "
                             "created in).")


def test_nullable_type_lists_all_allowed_types():
    error = body_error("UpdateUserRequestContent", {"given_name": True})
    assert "'Expected type string,null but found type boolean'" in error.message


def test_non_object_body_is_a_root_type_error():
    error = body_error(CREATE_USER, ["connection"])
    assert error.message == "Payload validation error: 'Expected type object but found type array'."


def test_too_long_given_name():
    error = body_error(CREATE_USER, {"connection": "db", "given_name": "x" * 151})
    assert error.message == ("Payload validation error: 'String is too long (151 chars), maximum 150' "
                             "on property given_name (The user's given name(s)).")


def test_pattern_uses_javascript_end_of_input():
    for phone in ("abc", "+1555\n"):
        error = body_error(CREATE_USER, {"connection": "db", "phone_number": phone})
        assert f"'String does not match pattern ^\\+[0-9]{{1,15}}$: {phone}'" in error.message


def test_enum_mismatch_json_encodes_the_value():
    error = body_error("CreateClientGrantRequestContent", {"audience": "a", "organization_usage": "x"})
    assert "'No enum match for: \"x\"' on property organization_usage (" in error.message


def test_array_item_errors_use_bracket_paths_and_no_description_when_none():
    error = body_error("CreateClientGrantRequestContent", {"audience": "a", "scope": ["read:x", ""]})
    assert error.message == ("Payload validation error: 'String is too short (0 chars), minimum 1' "
                             "on property scope[1].")


def test_zschema_templates_for_keywords_without_spec_examples():
    # uniqueItems/minProperties are rare in the spec, so word synthetic errors directly.
    schema = {"type": "object", "properties": {
        "scopes": {"type": "array", "uniqueItems": True},
        "meta": {"type": "object", "minProperties": 1},
        "pick": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    }}
    validator = Draft202012Validator(schema)
    cases = {
        "Array items are not unique (indexes 0 and 1)": {"scopes": ["a", "a", "b"]},
        "Too few properties defined (0), minimum 1": {"meta": {}},
        "Data does not match any schemas from 'oneOf'": {"pick": True},
    }
    for expected, instance in cases.items():
        assert validation.zschema_message(validation.first_error(validator, instance)) == expected


# --- query strings ---------------------------------------------------------------------------

def test_per_page_above_maximum():
    error = query_error("GET /users", {"per_page": "1000"})
    assert error.message == ("Query validation error: 'Value 1000 is greater than maximum 100' "
                             "on property per_page (Number of results per page).")


def test_unknown_query_params_are_listed_in_request_order():
    error = query_error("GET /users", {"include_totalz": "true", "page": "0", "foo": "1"})
    assert error.message == "Query validation error: 'Additional properties not allowed: include_totalz,foo'."


def test_query_values_are_coerced_per_schema():
    args = {"include_totals": "true", "primary_order": "false", "page": "2", "per_page": ["10"],
            "q": "email:*@example.com"}
    assert validate_query("GET /users", args) == {
        "include_totals": True, "primary_order": False, "page": 2, "per_page": 10,
        "q": "email:*@example.com"}


def test_non_boolean_text_for_a_boolean_param_is_a_type_error():
    error = query_error("GET /users", {"include_totals": "yes"})
    assert error.message.startswith(
        "Query validation error: 'Expected type boolean but found type string' on property include_totals (")


def test_array_params_accept_repeats_or_comma_lists():
    assert validate_query("GET /connections", {"strategy": "auth0,waad"}) == {"strategy": ["auth0", "waad"]}
    assert validate_query("GET /connections", {"strategy": ["auth0", "waad"]}) == {"strategy": ["auth0", "waad"]}


def test_extra_allowed_params_pass_through_unvalidated():
    assert validate_query("GET /users", {"page": "1", "_mock": "x"}, extra_allowed={"_mock"}) == {
        "page": 1, "_mock": "x"}


def test_required_query_param():
    error = query_error("GET /users-by-email", {})
    assert error.message == "Query validation error: 'Missing required property: email'."


# --- scopes and response schemas -------------------------------------------------------------

def test_scopes_come_from_the_spec():
    assert scopes_for("POST /users") == ["create:users"]
    assert "update:users" in scopes_for("PATCH /users/{id}")


def test_unknown_operation_is_a_programming_error():
    with pytest.raises(KeyError):
        scopes_for("GET /nope")


def test_response_schema_is_self_contained():
    schema = response_schema("POST /users", 201)
    user = {"user_id": "auth0|63d17c4a8869daf88ed7db97", "email": "jane@example.com",
            "email_verified": False, "created_at": "2023-01-25T19:00:26.187Z",
            "identities": [{"connection": "Username-Password-Authentication", "provider": "auth0",
                            "user_id": "63d17c4a8869daf88ed7db97", "isSocial": False}]}
    Draft202012Validator(schema).validate(user)
    assert not Draft202012Validator(schema).is_valid({**user, "email_verified": "no"})
    assert response_schema("POST /users", 404) is None


# --- the extracted data file -----------------------------------------------------------------

def test_every_extracted_schema_is_valid_and_every_ref_resolves():
    data = json.loads(COMMITTED_DATA.read_text(encoding="utf-8"))
    refs = set()

    def collect_refs(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for value in node.values():
                collect_refs(value)
        elif isinstance(node, list):
            for item in node:
                collect_refs(item)

    # Patterns are JavaScript regexes (`[\w-.]` is valid there): checked the way mockidp compiles them.
    checker = FormatChecker()
    checker.checks("regex", raises=re.error)(lambda pattern: bool(js_regex(pattern)))
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=checker)
    for schema in data["schemas"].values():
        assert not list(meta.iter_errors(schema))
    collect_refs(data)
    assert {ref.removeprefix("#/schemas/") for ref in refs} <= set(data["schemas"])
    modelled_bodies = [op["body"] for key, op in data["operations"].items()
                       if op["body"] and key.split(" ")[1].startswith(("/users", "/clients", "/roles"))]
    assert modelled_bodies and set(modelled_bodies) <= set(data["schemas"])


def test_extractor_reproduces_the_committed_file(tmp_path):
    extractor = load_extractor()
    if not extractor.DEFAULT_SPEC.exists():
        pytest.skip(f"spec not available at {extractor.DEFAULT_SPEC}")
    out = tmp_path / "management_api.json"
    assert extractor.main(["--out", str(out)]) == 0
    assert out.read_bytes() == COMMITTED_DATA.read_bytes()
    index = extractor.index_path(out)
    assert index.read_bytes() == extractor.index_path(COMMITTED_DATA).read_bytes()


def load_extractor():
    spec = importlib.util.spec_from_file_location("extract_oas", EXTRACTOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
