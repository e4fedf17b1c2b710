"""Which declared resource (core/resources) and which of its operations a request names.

Flask's router is not used for them: werkzeug compiles each rule (about a millisecond apiece),
and two hundred rules would double start-up. Instead one catch-all rule
(declared/views.py) hands the path to `match`, whose table is built on the first
request from the declarations and the operations of Auth0's spec (and those it answers beyond
it, data/spec_gaps.json): a path segment is a literal or a `{param}`, and literals win over
parameters, as in werkzeug.
"""
from __future__ import annotations


from functools import cache
from typing import NamedTuple

from ....core.resources.catalog import declared
from ....core.resources.model import Resource
from ...validation import gap_operation_keys, operation_keys
from ..registry import registered_operations

SINGLETON_KINDS = {"GET": "get", "PATCH": "update", "PUT": "replace", "DELETE": "delete", "POST": "create"}
COLLECTION_KINDS = {"GET": "list", "POST": "create", "DELETE": "delete_owned"}
ITEM_KINDS = {"GET": "get", "PATCH": "update", "PUT": "replace", "DELETE": "delete", "POST": "update"}


class Route(NamedTuple):
    key: str                 # the spec's "<METHOD> <path>"
    resource: Resource
    kind: str                # list, create, get, update, replace, delete, action, refuse
    segments: tuple[str, ...]
    action: str | None = None


def _segments(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/"))


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _routes_of(resource: Resource, keys: list[str], taken: frozenset[str]) -> list[Route]:
    base = _segments(resource.path)
    routes = []
    for key in keys:
        if key in taken:
            continue
        method, path = key.split(" ", 1)
        segments = _segments(path)
        kind, action = _kind(resource, method, base, segments)
        if kind:
            routes.append(Route(key, resource, kind, segments, action))
    return routes


def _kind(resource: Resource, method: str, base: tuple, segments: tuple) -> tuple[str | None, str | None]:
    if segments[:len(base)] != base:
        return None, None
    kind, action = _served_kind(resource, method, segments[len(base):])
    if kind is None and resource.refusal is not None:
        return "refuse", None  # every operation under a refused path answers the refusal
    return kind, action


def _served_kind(resource: Resource, method: str, rest: tuple) -> tuple[str | None, str | None]:
    if not rest:
        if resource.singleton:
            return SINGLETON_KINDS.get(method), None
        if method == "DELETE" and not resource.owner:
            # only a parent's collection is deleted whole, unless a handler does it (user grants)
            return ("delete_all", None) if "delete_all" in resource.handlers else (None, None)
        return COLLECTION_KINDS.get(method), None
    if resource.singleton:
        return None, None
    if not _is_param(rest[0]):
        if len(rest) == 1 and rest[0] in resource.handlers:
            return rest[0], None  # an operation of its own (POST /keys/encryption/rekey), not an item
        return _lookup_kind(resource, method, rest)
    if len(rest) == 1:
        return ITEM_KINDS.get(method), None
    if len(rest) == 2 and rest[1] in resource.actions:
        return "action", rest[1]
    return None, None


def _lookup_kind(resource: Resource, method: str, rest: tuple) -> tuple[str | None, str | None]:
    """GET <path>/<segment>/{value}: a record found by another key (a domain by its name)."""
    if method == "GET" and len(rest) == 2 and rest[0] in resource.lookups and _is_param(rest[1]):
        return "lookup", resource.lookups[rest[0]]
    return None, None


@cache  # built once per process from immutable declarations and the spec
def routes() -> tuple[Route, ...]:
    taken = frozenset(registered_operations())  # what the hand-written modules serve
    keys = list(operation_keys()) + list(gap_operation_keys())  # and what Auth0 has beyond its spec
    table = [route for resource in declared() for route in _routes_of(resource, keys, taken)]
    # Literal segments before parameters at each position, as werkzeug orders its rules.
    return tuple(sorted(table, key=lambda route: tuple(_is_param(s) for s in route.segments)))


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """(route, path parameters, []) for a declared operation; (None, {}, allowed methods) when
    the path is declared under other methods; (None, {}, []) when it is not declared at all."""
    parts = _segments(path)
    allowed: list[str] = []
    for route in routes():
        params = _bind(route.segments, parts)
        if params is None:
            continue
        if route.key.startswith(method + " "):
            return route, params, []
        allowed.append(route.key.split(" ", 1)[0])
    return None, {}, allowed


def _bind(template: tuple[str, ...], parts: tuple[str, ...]) -> dict[str, str] | None:
    if len(template) != len(parts):
        return None
    params = {}
    for expected, actual in zip(template, parts):
        if _is_param(expected):
            if not actual:
                return None
            params[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return params



