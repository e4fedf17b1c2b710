#!/usr/bin/env python
"""Extract the slice of Auth0's Management API v2 OpenAPI spec that mockidp needs at runtime.

The full spec is 3.7 MB and slow to load at start-up, so this writes a compact JSON file with:

- ``operations``: every operation, keyed ``"<METHOD> <path relative to /api/v2>"``, with its
  any-of scopes, request-body schema name, query-parameter schemas and required query params;
- ``schemas``: the request-body schemas of the modelled resources (and their response schemas),
  plus every schema those reach through ``$ref``; refs are rewritten to ``#/schemas/<Name>``
  so the file is its own ref namespace;
- ``response_schemas``: the 200/201 response schemas of the modelled operations.

The output is deterministic (sorted keys), so re-running it on the same spec gives identical bytes.

Usage: python tools/extract_oas.py [--spec PATH] [--out PATH]
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "reference" / "auth0-management-api-v2-oas.json"
DEFAULT_OUT = REPO_ROOT / "mockidp" / "data" / "management_api.json"
INDEX_NAME = "management_operations.json"  # written beside the main file

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Resources mockidp implements; their schemas are carried into the output.
MODELLED_PREFIXES = (
    "/users", "/users-by-email", "/clients", "/client-grants", "/connections",
    "/resource-servers", "/email-templates", "/tickets", "/jobs", "/user-blocks", "/roles",
    "/organizations", "/logs", "/attack-protection", "/emails", "/actions",
    # declared resources (core/resources/catalog)
    "/log-streams", "/event-streams", "/custom-domains", "/branding", "/guardian", "/prompts",
    "/tenants", "/risk-assessments", "/supplemental-signals", "/network-acls", "/keys",
    "/user-attribute-profiles", "/self-service-profiles", "/token-exchange-profiles", "/flows",
    "/forms", "/device-credentials", "/connection-profiles", "/rate-limit-policies", "/sessions",
    "/refresh-tokens", "/hooks", "/rules", "/rules-configs",
    "/anomaly", "/connections-directory-provisionings", "/connections-scim-configurations", "/events",
    "/experimentation", "/grants", "/groups", "/stats", "/verifiable-credentials",
)
RESPONSE_STATUSES = ("200", "201")

# The name an inline request-body schema is carried under in `schemas` (no component has a dot).
INLINE_BODY = "{operation_id}.body"
SPEC_REF_PREFIX = "#/components/schemas/"
LOCAL_REF_PREFIX = "#/schemas/"

# Keywords whose value maps names to subschemas, holds one subschema, or a list of them.
SCHEMA_MAP_KEYWORDS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
SCHEMA_KEYWORDS = {
    "items", "additionalItems", "additionalProperties", "unevaluatedItems",
    "unevaluatedProperties", "contains", "propertyNames", "not", "if", "then", "else",
}
SCHEMA_LIST_KEYWORDS = {"allOf", "anyOf", "oneOf", "prefixItems"}
# Documentation-only OAS keywords that do not affect validation.
DROPPED_KEYWORDS = {"example", "examples", "discriminator"}


def is_modelled(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in MODELLED_PREFIXES)


def iter_operations(spec: dict) -> Iterator[tuple[str, str, dict, list[dict]]]:
    """Yield (key, path, operation, path-level parameters) for every operation in the spec."""
    for path, path_item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in path_item:
                yield f"{method.upper()} {path}", path, path_item[method], path_item.get("parameters", [])


def clean_schema(node: Any) -> Any:
    """Copy a schema without examples/vendor extensions, with refs rewritten to #/schemas/."""
    if isinstance(node, list):
        return [clean_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    cleaned: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword in DROPPED_KEYWORDS or keyword.startswith("x-"):
            continue
        if keyword == "$ref":
            cleaned[keyword] = local_ref(value)
        elif keyword in SCHEMA_MAP_KEYWORDS:
            cleaned[keyword] = {name: clean_schema(sub) for name, sub in value.items()}
        elif keyword in SCHEMA_KEYWORDS or keyword in SCHEMA_LIST_KEYWORDS:
            cleaned[keyword] = clean_schema(value)
        else:  # data (enum, const, default, required, description, ...): copied verbatim
            cleaned[keyword] = value
    return cleaned


def local_ref(ref: str) -> str:
    if not ref.startswith(SPEC_REF_PREFIX):
        raise ValueError(f"unsupported $ref outside components.schemas: {ref}")
    return LOCAL_REF_PREFIX + ref[len(SPEC_REF_PREFIX):]


def referenced_names(node: Any) -> Iterator[str]:
    """Names of the component schemas a cleaned schema refers to directly."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(LOCAL_REF_PREFIX):
            yield ref[len(LOCAL_REF_PREFIX):]
        for value in node.values():
            yield from referenced_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from referenced_names(item)


def inline_refs(schema: Any, components: dict, seen: frozenset[str] = frozenset()) -> Any:
    """Replace refs with the (cleaned) schemas they name; query params stay self-contained."""
    if isinstance(schema, list):
        return [inline_refs(item, components, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(LOCAL_REF_PREFIX):
        name = ref[len(LOCAL_REF_PREFIX):]
        if name in seen:
            raise ValueError(f"recursive schema {name} cannot be inlined")
        target = inline_refs(clean_schema(components[name]), components, seen | {name})
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return {**target, **inline_refs(siblings, components, seen)}
    return {k: inline_refs(v, components, seen) for k, v in schema.items()}


def any_of_scopes(operation: dict) -> list[str]:
    scopes: list[str] = []
    for requirement in operation.get("security", []):
        for scope in requirement.get("oAuth2ClientCredentials", []):
            if scope not in scopes:
                scopes.append(scope)
    return scopes


def body_schema_name(operation: dict) -> str | None:
    """Component name of the request body (JSON preferred); for a schema written inline (POST
    /event-streams: a oneOf of three components), the name it is carried under (INLINE_BODY);
    None for no body."""
    schema = _body_schema(operation)
    if not schema:
        return None
    ref = schema.get("$ref")
    if ref is None:
        return INLINE_BODY.format(operation_id=operation["operationId"])
    return ref[len(SPEC_REF_PREFIX):] if ref.startswith(SPEC_REF_PREFIX) else None


def inline_body_schema(operation: dict) -> dict | None:
    """The cleaned request-body schema when the spec writes it inline, else None."""
    schema = _body_schema(operation)
    return clean_schema(schema) if schema and "$ref" not in schema else None


def _body_schema(operation: dict) -> dict:
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json") or next(iter(content.values()), {})
    return media.get("schema", {})


def query_parameters(operation: dict, path_parameters: list[dict], components: dict) -> dict[str, dict]:
    """Query params as name → self-contained schema, carrying the param's description."""
    merged = {(p["name"], p["in"]): p for p in path_parameters}
    merged.update({(p["name"], p["in"]): p for p in operation.get("parameters", [])})
    params: dict[str, dict] = {}
    for parameter in merged.values():
        if parameter["in"] != "query":
            continue
        schema = inline_refs(clean_schema(parameter.get("schema", {})), components)
        if "description" in parameter:
            schema["description"] = parameter["description"]
        params[parameter["name"]] = schema
    return params


def required_query(operation: dict, path_parameters: list[dict]) -> list[str]:
    return [p["name"] for p in [*path_parameters, *operation.get("parameters", [])]
            if p["in"] == "query" and p.get("required")]


def response_schemas(operation: dict) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for status in RESPONSE_STATUSES:
        schema = operation.get("responses", {}).get(status, {}).get("content", {}) \
            .get("application/json", {}).get("schema")
        if schema is not None:
            schemas[status] = clean_schema(schema)
    return schemas


def reachable_schemas(roots: list[Any], components: dict) -> dict[str, Any]:
    """The cleaned component schemas reachable through $ref from the given cleaned schemas."""
    collected: dict[str, Any] = {}
    pending = [name for root in roots for name in referenced_names(root)]
    while pending:
        name = pending.pop()
        if name in collected:
            continue
        collected[name] = clean_schema(components[name])
        pending.extend(referenced_names(collected[name]))
    return collected


def extract(spec: dict) -> dict[str, Any]:
    components = spec["components"]["schemas"]
    operations: dict[str, dict] = {}
    responses: dict[str, dict] = {}
    schema_roots: list[Any] = []
    inline_bodies: dict[str, Any] = {}
    for key, path, operation, path_parameters in iter_operations(spec):
        body = body_schema_name(operation)
        operations[key] = {
            "summary": operation.get("summary"),  # Auth0's action name: a `sapi` log's description
            "scopes": any_of_scopes(operation),
            "body": body,
            "query": query_parameters(operation, path_parameters, components),
            "required_query": required_query(operation, path_parameters),
        }
        if not is_modelled(path):
            continue
        if (inline := inline_body_schema(operation)) is not None:
            inline_bodies[body] = inline
            schema_roots.append(inline)
        elif body is not None:
            schema_roots.append({"$ref": LOCAL_REF_PREFIX + body})
        if statuses := response_schemas(operation):
            responses[key] = statuses
            schema_roots.extend(statuses.values())
    return {
        "operations": operations,
        "response_schemas": responses,
        "schemas": {**reachable_schemas(schema_roots, components), **inline_bodies},
    }


def operations_index(data: dict) -> dict[str, Any]:
    """What every request needs (scopes, body schema name, required query parameters), small
    enough to load at start-up; the full data file is loaded only when something is validated."""
    return {key: {"scopes": op["scopes"], "body": op["body"], "required_query": op["required_query"]}
            for key, op in data["operations"].items()}


def index_path(out: Path) -> Path:
    return out.with_name(INDEX_NAME)


def render(data: dict) -> str:
    # sort_keys makes the bytes reproducible; one-space indentation keeps diffs reviewable
    # when the spec is refreshed, for ~25% more bytes than single-line JSON.
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="Management API v2 OAS JSON")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSON path")
    args = parser.parse_args(argv)

    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    data = extract(spec)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for path, text in ((args.out, render(data)), (index_path(args.out), render(operations_index(data)))):
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(text.encode('utf-8')):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
