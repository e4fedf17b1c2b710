"""Request validation against Auth0's Management API v2 schemas, worded the way Auth0 words it.

Auth0 validates payloads and query strings with z-schema and reports only the first failure,
e.g. ``Payload validation error: 'Missing required property: connection'.``. This module
validates with ``jsonschema`` (Draft 2020-12) against the slice of the official OpenAPI spec that
``tools/extract_oas.py`` writes to ``mockidp/data/management_api.json``, then rewrites the first
error into z-schema's message templates.

Notes on fidelity:
- Error paths are written ``user_metadata.foo`` / ``scopes[0]`` (z-schema itself says ``#/scopes/0``).
- ``const`` (unknown to z-schema, which is draft-4) is reported with the ``enum`` template.
- Formats checked: email, uri, strict-uri, url, date-time, date, ipv4, ipv6; other formats
  (Auth0's custom ``client-id`` etc.) are accepted unchecked.
- ``pattern`` uses JavaScript semantics for ``$`` (end of input, not "before a final newline").
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from mockidp.core.tenant.errors import ManagementError

from .formats import format_checker, js_pattern_validator, js_regex

# jsonschema and referencing take ~35 ms to import, a large share of start-up, and only request
# validation needs them (start-up needs just scopes_for): they are imported on first validation.
if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError
    from referencing import Registry

DATA_FILE = "management_api.json"
GAPS_FILE = "spec_gaps.json"  # fields Auth0 accepts that its spec omits
INDEX_FILE = "management_operations.json"  # scopes, body names, required query params only
# The data file is registered under this URI; its refs are "#/schemas/<Name>".
DOCUMENT_URI = "urn:mockidp:management-api"

QueryArgs = Mapping[str, str | Sequence[str]]


# --- public interface --------------------------------------------------------------------

def validate_body(schema_name: str, body: object) -> None:
    """Raise ManagementError(400, 'Payload validation error: ...', 'invalid_body') for the first
    error of ``body`` against the named request schema (a JSON object unless the schema says
    otherwise; ``None`` means "no body" and fails an object schema as type null)."""
    clearable = _clearable().get(schema_name)
    if clearable and isinstance(body, dict):  # null clears these: validated as an empty object
        body = {key: {} if value is None and key in clearable else value for key, value in body.items()}
    error = first_error(_body_validator(schema_name), body)
    if error is not None:
        raise ManagementError(400, f"Payload validation error: {describe(error)}", "invalid_body")


def validate_query(operation_key: str, args: QueryArgs, *,
                   extra_allowed: Iterable[str] = frozenset()) -> dict[str, Any]:
    """Validate query-string args against the operation's parameters and return them coerced.

    Values are strings (or lists of strings for repeated params). Booleans ('true'/'false'),
    integers and numbers are converted per schema; array params accept repeats or a comma list.
    Params in ``extra_allowed`` pass through unvalidated and unconverted. Unknown params fail with
    'Additional properties not allowed: a,b' (errorCode invalid_query_string).
    """
    if not args and not _indexed(operation_key)["required_query"]:
        return {}  # the usual GET: nothing to check, and no need to load the full data file
    extra_allowed = frozenset(extra_allowed)
    parameters = _operation(operation_key)["query"]
    coerced = {name: coerce_query_value(value, parameters.get(name))
               for name, value in args.items() if name not in extra_allowed}
    error = first_error(_query_validator(operation_key), coerced)
    if error is not None:
        raise ManagementError(400, f"Query validation error: {describe(error)}", "invalid_query_string")
    return {name: value if name in extra_allowed else coerced[name] for name, value in args.items()}


def scopes_for(operation_key: str) -> list[str]:
    """Any-of scopes for an operation (empty list if the spec gives none)."""
    return list(_indexed(operation_key)["scopes"])


def operation_summary(operation_key: str) -> str:
    """The spec's summary of an operation: Auth0's action name ("Create a User"), which its
    `sapi` log entries carry as their description."""
    return _operation(operation_key).get("summary") or ""


def operation_keys() -> tuple[str, ...]:
    """Every operation of Auth0's Management spec, as `"<METHOD> <path>"`."""
    return tuple(_index())


def gap_operation_keys() -> tuple[str, ...]:
    """The operations Auth0 answers that its spec omits (data/spec_gaps.json `_routes`,
    docs/spec-gaps.md): served, scoped and validated like the spec's, listed apart from them."""
    return tuple(_gap_routes())


def body_schema_for(operation_key: str) -> str | None:
    """Name of the operation's request-body schema, or None if it takes no (named) body."""
    return _indexed(operation_key)["body"]


@cache
def schema_property_names(schema_name: str) -> frozenset[str]:
    """The properties a request schema declares (for schemas the spec leaves open)."""
    return frozenset(_data()["schemas"][schema_name].get("properties", {}))


def schema_enum(schema_name: str) -> tuple:
    """The values an enum schema allows (e.g. UserIdentityProviderEnum for a path parameter)."""
    return tuple(_data()["schemas"][schema_name].get("enum", ()))


def response_schema(operation_key: str, status: int) -> dict | None:
    """A self-contained copy of the documented response schema (refs resolve inside it), for tests."""
    schema = _data()["response_schemas"].get(operation_key, {}).get(str(status))
    if schema is None:
        return None
    return copy.deepcopy({**schema, "schemas": _data()["schemas"]})


# --- data and validators (cached: the data is immutable) ---------------------------------

@cache
def _data() -> dict[str, Any]:
    text = resources.files("mockidp").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return _with_spec_gaps(json.loads(text))


@cache
def _spec_gaps() -> dict[str, Any]:
    text = resources.files("mockidp").joinpath("data", GAPS_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _gap_routes() -> dict[str, dict[str, Any]]:
    return _spec_gaps()["_routes"]


def _clearable() -> dict[str, list[str]]:
    """Per request schema, the object fields a null clears though the spec types them object."""
    return _spec_gaps()["_clearable"]


def response_gaps() -> dict[str, dict[str, Any]]:
    """Per response schema, the keys Auth0 returns that its spec omits (tests hold mockidp's
    answers to the spec with these added)."""
    return _spec_gaps()["_responses"]


def response_optional_gaps() -> dict[str, list[str]]:
    """Per response schema, the keys its `required` names that Auth0 leaves out."""
    return _spec_gaps()["_responses_optional"]


def with_response_gaps(schemas: dict[str, Any]) -> None:
    """Apply `_responses`, `_responses_optional` and `_responses_enums` to the schemas present
    in `schemas` (component name -> schema), in place."""
    for schema_name, properties in response_gaps().items():
        if schema_name in schemas:
            schema = schemas[schema_name]
            schema["properties"] = {**schema.get("properties", {}), **properties}
    for schema_name, optional in response_optional_gaps().items():
        if schema_name in schemas and "required" in schemas[schema_name]:
            schema = schemas[schema_name]
            schema["required"] = [key for key in schema["required"] if key not in optional]
    for schema_name, values in _spec_gaps()["_responses_enums"].items():
        if schema_name in schemas:
            schema = schemas[schema_name]
            schema["enum"] = [*schema["enum"], *values]


def _with_spec_gaps(data: dict[str, Any]) -> dict[str, Any]:
    """Add the fields Auth0 accepts but its spec omits (data/spec_gaps.json, docs/spec-gaps.md),
    and the keys it returns beyond the spec to the response schemas the slice holds."""
    for schema_name, properties in _spec_gaps().items():
        if not schema_name.startswith("_"):
            schema = data["schemas"][schema_name]
            schema["properties"] = {**schema.get("properties", {}), **properties}
    with_response_gaps(data["schemas"])
    for operation_key, parameters in _spec_gaps()["_query"].items():
        operation = data["operations"][operation_key]
        operation["query"] = {**operation.get("query", {}), **parameters}
    data["schemas"].update(_spec_gaps()["_schemas"])
    for operation_key, route in _gap_routes().items():
        data["operations"][operation_key] = {
            "body": route.get("body"), "query": route.get("query", {}), "required_query": [],
            "scopes": route["scopes"], "summary": route["summary"]}
        if "responses" in route:
            data["response_schemas"][operation_key] = route["responses"]
    return data


@cache
def _index() -> dict[str, Any]:
    text = resources.files("mockidp").joinpath("data", INDEX_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _operation(operation_key: str) -> dict[str, Any]:
    try:
        return _data()["operations"][operation_key]
    except KeyError:
        raise KeyError(f"unknown Management API operation: {operation_key!r}") from None


def _indexed(operation_key: str) -> dict[str, Any]:
    try:
        return _index()[operation_key]
    except KeyError:
        pass
    route = _gap_routes().get(operation_key)
    if route is None:
        raise KeyError(f"unknown Management API operation: {operation_key!r}")
    return {"body": route.get("body"), "required_query": [], "scopes": route["scopes"]}


@cache
def _registry() -> Registry:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    document = DRAFT202012.create_resource({"schemas": _data()["schemas"]})
    return Registry().with_resource(DOCUMENT_URI, document)


@cache
def _body_validator(schema_name: str) -> Draft202012Validator:
    if schema_name not in _data()["schemas"]:
        raise KeyError(f"no request schema named {schema_name!r} in {DATA_FILE}")
    return _make_validator({"$ref": f"{DOCUMENT_URI}#/schemas/{schema_name}"})


@cache
def _query_validator(operation_key: str) -> Draft202012Validator:
    operation = _operation(operation_key)
    return _make_validator({
        "type": "object",
        "properties": operation["query"],
        "required": operation["required_query"],
        "additionalProperties": False,
    })


def _make_validator(schema: dict) -> Draft202012Validator:
    return js_pattern_validator()(schema, registry=_registry(), format_checker=format_checker())


# --- query coercion ----------------------------------------------------------------------

INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")  # ASCII digits only, as JavaScript parses them
NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def coerce_query_value(raw: str | Sequence[str], schema: dict | None) -> Any:
    """Turn URL text into the JSON value the schema expects; leave it alone when it won't fit,
    so validation reports the mismatch."""
    values = [raw] if isinstance(raw, str) else list(raw)
    if schema is None:
        return values[0] if len(values) == 1 else values
    if "array" in _types(schema):
        items = [part for value in values for part in value.split(",")]
        return [_coerce_scalar(item, schema.get("items", {})) for item in items]
    if len(values) != 1:
        return values  # a repeated scalar param arrives as an array, as it does at Auth0
    return _coerce_scalar(values[0], schema)


def _coerce_scalar(text: str, schema: dict) -> Any:
    types = _types(schema)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "integer" in types and INTEGER_TEXT.fullmatch(text):
        return int(text)
    if "number" in types and NUMBER_TEXT.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() else number
    return text


def _types(schema: dict) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


# --- choosing and wording the first error ------------------------------------------------

# At one node z-schema checks type first; required/additionalProperties are preferred next.
KEYWORD_PRIORITY = {"type": 0, "required": 1, "additionalProperties": 2}


def first_error(validator: Draft202012Validator, instance: object) -> ValidationError | None:
    """The error z-schema would report first: a node's own errors before its children's,
    children in document order; stable in jsonschema's order otherwise."""
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    return min(errors, key=lambda error: (
        _document_position(instance, error.absolute_path),
        KEYWORD_PRIORITY.get(error.validator, len(KEYWORD_PRIORITY)),
    ))


def _document_position(instance: object, path: Iterable[str | int]) -> tuple[int, ...]:
    positions = []
    node: Any = instance
    for segment in path:
        positions.append(list(node).index(segment) if isinstance(node, dict) else segment)
        node = node[segment]
    return tuple(positions)


def describe(error: ValidationError) -> str:
    """``'<message>'.`` or ``'<message>' on property <path>[ (<description>)].``"""
    message = f"'{zschema_message(error)}'"
    if not error.absolute_path:
        return message + "."
    suffix = f" on property {property_path(error.absolute_path)}"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if isinstance(description, str) and description.strip():
        # Auth0 quotes the description without its final period (then ends the sentence).
        suffix += f" ({description.strip().removesuffix('.')})"
    return message + suffix + "."


def property_path(path: Iterable[str | int]) -> str:
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text


def zschema_message(error: ValidationError) -> str:
    """Word a jsonschema error with z-schema's template for the failing keyword."""
    template = ZSCHEMA_TEMPLATES.get(error.validator)
    return template(error.instance, error.validator_value, error) if template else error.message


def json_type(value: object) -> str:
    """z-schema's name for a JSON value's type (JavaScript sees 1.0 as an integer)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def js_number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def js_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _missing_property(instance: dict, required: list[str], _: ValidationError) -> str:
    # jsonschema yields one error per missing property in `required` order; we report the first.
    return "Missing required property: " + next(name for name in required if name not in instance)


def _additional_properties(instance: dict, _: object, error: ValidationError) -> str:
    declared = error.schema.get("properties", {})
    patterns = [js_regex(pattern) for pattern in error.schema.get("patternProperties", {})]
    extra = [name for name in instance
             if name not in declared and not any(p.search(name) for p in patterns)]
    return "Additional properties not allowed: " + ",".join(extra)


def _not_unique(instance: list, *_: object) -> str:
    canonical = [json.dumps(item, sort_keys=True) for item in instance]
    for i, item in enumerate(canonical):
        if item in canonical[i + 1:]:
            return f"Array items are not unique (indexes {i} and {canonical.index(item, i + 1)})"
    return "Array items are not unique"


def _no_match(combinator: str) -> Callable[..., str]:
    def word(_instance: object, _value: object, error: ValidationError) -> str:
        if combinator == "oneOf" and not error.context:  # jsonschema: valid under several
            return "Data is valid against more than one schema from 'oneOf'"
        return f"Data does not match any schemas from '{combinator}'"
    return word


ZSCHEMA_TEMPLATES: dict[str, Callable[[Any, Any, ValidationError], str]] = {
    "type": lambda instance, expected, _: (
        f"Expected type {','.join(_types({'type': expected}))} but found type {json_type(instance)}"),
    "required": _missing_property,
    "additionalProperties": _additional_properties,
    "format": lambda instance, fmt, _: f"Object didn't pass validation for format {fmt}: {instance}",
    "minLength": lambda instance, limit, _: f"String is too short ({len(instance)} chars), minimum {limit}",
    "maxLength": lambda instance, limit, _: f"String is too long ({len(instance)} chars), maximum {limit}",
    "pattern": lambda instance, pattern, _: f"String does not match pattern {pattern}: {instance}",
    "enum": lambda instance, *_: f"No enum match for: {js_json(instance)}",
    "const": lambda instance, *_: f"No enum match for: {js_json(instance)}",
    "minimum": lambda instance, limit, _: (
        f"Value {js_number(instance)} is less than minimum {js_number(limit)}"),
    "maximum": lambda instance, limit, _: (
        f"Value {js_number(instance)} is greater than maximum {js_number(limit)}"),
    "exclusiveMinimum": lambda instance, limit, _: (
        f"Value {js_number(instance)} is equal or less than exclusive minimum {js_number(limit)}"),
    "exclusiveMaximum": lambda instance, limit, _: (
        f"Value {js_number(instance)} is equal or greater than exclusive maximum {js_number(limit)}"),
    "multipleOf": lambda instance, factor, _: (
        f"Value {js_number(instance)} is not a multiple of {js_number(factor)}"),
    "minItems": lambda instance, limit, _: f"Array is too short ({len(instance)}), minimum {limit}",
    "maxItems": lambda instance, limit, _: f"Array is too long ({len(instance)}), maximum {limit}",
    "uniqueItems": _not_unique,
    "minProperties": lambda instance, limit, _: (
        f"Too few properties defined ({len(instance)}), minimum {limit}"),
    "maxProperties": lambda instance, limit, _: (
        f"Too many properties defined ({len(instance)}), maximum {limit}"),
    "oneOf": _no_match("oneOf"),
    "anyOf": _no_match("anyOf"),
    "not": lambda *_: "Data matches schema from 'not'",
}
