"""Auth0's official Management API v2 OpenAPI spec, for tests that hold mockidp to it.

The tests read the slice of it kept in the repository, tests/data/auth0-spec/management-api-v2.json
(every path of the resources mockidp models, as published; see PROVENANCE.md there and
tools/extract_test_specs.py), so a fresh clone needs nothing outside it. Without that file they fall
back to the slice mockidp ships (mockidp/data/management_api.json). Parsed once per session.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from mockidp.api import validation
from mockidp.api.formats import js_pattern_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = REPO_ROOT / "tests" / "data" / "auth0-spec"
OFFICIAL_SPEC = SPEC_DIR / "management-api-v2.json"
AUTHENTICATION_SPEC = SPEC_DIR / "authentication-api.json"
SPEC_URI = "urn:auth0:management-api-v2"


@cache
def official_spec() -> dict | None:
    """The spec, with the keys Auth0 returns that it omits and without the requirement of those
    it leaves out (data/spec_gaps.json `_responses`, `_responses_optional`)."""
    if not OFFICIAL_SPEC.is_file():
        return None
    spec = json.loads(OFFICIAL_SPEC.read_text(encoding="utf-8"))
    validation.with_response_gaps(spec["components"]["schemas"])
    return spec


def _spec_operation(operation_key: str) -> dict:
    method, path = operation_key.split(" ", 1)
    return official_spec()["paths"][path][method.lower()]


def required_scopes(operation_key: str) -> list[str]:
    """The any-of scopes the spec lists for an operation, in the spec's order."""
    if official_spec() is None:
        return validation.scopes_for(operation_key)
    for requirement in _spec_operation(operation_key).get("security", []):
        if "oAuth2ClientCredentials" in requirement:
            return list(requirement["oAuth2ClientCredentials"])
    return []


def insufficient_scope_body(operation_key: str) -> dict:
    return {"statusCode": 403, "error": "Forbidden", "errorCode": "insufficient_scope",
            "message": f"Insufficient scope, expected any of: {','.join(required_scopes(operation_key))}"}


@cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(official_spec()))


def _pointer_segment(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


@cache
def response_validator(operation_key: str, status: int) -> Draft202012Validator | None:
    """A validator for the documented JSON response of `operation_key` at `status`, or None when
    the spec documents no body for it. Refs resolve inside the spec."""
    if official_spec() is None:
        schema = validation.response_schema(operation_key, status)
        return None if schema is None else Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    method, path = operation_key.split(" ", 1)
    response = _spec_operation(operation_key)["responses"].get(str(status), {})
    if "schema" not in response.get("content", {}).get("application/json", {}):
        return None
    pointer = "/".join(["#/paths", _pointer_segment(path), method.lower(), "responses", str(status),
                        "content", _pointer_segment("application/json"), "schema"])
    # the spec's patterns are JavaScript's (`[\w-\.]` is a character class there, an error in Python)
    return js_pattern_validator()({"$ref": SPEC_URI + pointer}, registry=_registry(),
                                  format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_validator(schema_name: str) -> Draft202012Validator:
    """A validator for one of the spec's component schemas (an SSE message's JSON, say)."""
    return Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}, registry=_registry(),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def component_validator(schema_name: str) -> Draft202012Validator:
    """A validator for one of the spec's component schemas (refs resolve inside the spec)."""
    return js_pattern_validator()({"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}, registry=_registry(),
                                  format_checker=Draft202012Validator.FORMAT_CHECKER)


def documented_statuses(operation_key: str) -> set[int]:
    if official_spec() is None:
        return set()
    return {int(status) for status in _spec_operation(operation_key)["responses"]}


@cache
def _shipped_slice() -> dict:
    return json.loads((REPO_ROOT / "mockidp" / "data" / "management_api.json").read_text("utf-8"))


def query_parameters(operation_key: str) -> dict[str, dict]:
    """Query parameter name -> schema, as the spec documents them."""
    if official_spec() is None:
        return dict(_shipped_slice()["operations"][operation_key]["query"])
    parameters = _spec_operation(operation_key).get("parameters", [])
    return {p["name"]: _resolve(p.get("schema", {})) for p in parameters if p.get("in") == "query"}


def required_query_parameters(operation_key: str) -> tuple[str, ...]:
    """The query parameters the spec marks required (e.g. GET /users/{id}/effective-permissions'
    resource_server_identifier)."""
    if official_spec() is None:
        return ()
    parameters = _spec_operation(operation_key).get("parameters", [])
    return tuple(p["name"] for p in parameters if p.get("in") == "query" and p.get("required"))


def request_properties(schema_name: str) -> dict[str, dict]:
    """Property name -> schema (refs resolved one level) of a request-body schema."""
    schemas = (official_spec() or {}).get("components", {}).get("schemas") or _shipped_slice()["schemas"]
    return {name: _resolve(schema) for name, schema in schemas[schema_name]["properties"].items()}


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    if not ref:
        return schema
    name = ref.rsplit("/", 1)[-1]
    schemas = (official_spec() or {}).get("components", {}).get("schemas") or _shipped_slice()["schemas"]
    return schemas[name]
