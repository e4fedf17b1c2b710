"""Comparing one live answer with the recorded one, and classifying the interaction.

Bodies are compared by shape, never by value (the values are the two tenants' own): the status
code, then the keys. *Top-level* keys are an object's own keys; for a list, its first element's
keys (`[].key`); for a paged wrapper (`{"users": [...], "total": …}`), the wrapper's keys and
its items' keys (`users[].key`). Keys of nested objects (and of a nested list's first element) are
compared too, a few levels down, and reported as nested differences; they do not change the
classification. Each key difference says which side lacks what:

    missing K         Auth0 has K (not null), mockidp has no K
    extra K           mockidp has K (not null), Auth0 has no K
    null-vs-absent K  Auth0 has K: null, mockidp has no K
    absent-vs-null K  Auth0 has no K, mockidp has K: null
    body: Auth0 <kind>, mockidp <kind>    different kinds of body (object, list, text, empty)

When the recorded body was re-serialized by the recorder (see recording.py), `extra` and
`absent-vs-null` differences are dropped: the recording cannot show such keys; nor is a key the
recorder itself wrote into the body counted as missing.
"""
from __future__ import annotations

import json
from typing import Any

MATCH, STATUS_ONLY, MISMATCH_STATUS = "match", "status_only", "mismatch_status"
SERVER_ERROR, NOT_FOUND_ROUTE = "server_error", "not_found_route"
CLASSES = (MATCH, STATUS_ONLY, MISMATCH_STATUS, SERVER_ERROR, NOT_FOUND_ROUTE)

NESTED_DEPTH = 3  # levels below the top-level keys; deeper shapes add noise, not information
_PAGING_KEYS = {"total", "start", "limit", "length", "next", "per_page"}
_LENIENT_DROPS = ("extra ", "absent-vs-null ")
_NO_BODY = object()


def route_not_found_body(status: int) -> dict:
    """What mockidp's app.py answers for a path (404) or method (405) it has no handler for."""
    return {"statusCode": status, "error": "Not Found" if status == 404 else "Method Not Allowed",
            "message": "Not Found" if status == 404 else "Method Not Allowed"}


def classify(recorded_status: int, live_status: int | None, live_body: Any, recorded_body: Any,
             top_differences: list[str]) -> str:
    """One of CLASSES. A missing route outranks an accidental status match (a deleted object's
    404 answered by a missing route's 404 says nothing about the object)."""
    if live_status is None or live_status >= 500:
        return SERVER_ERROR
    if live_status in (404, 405) and live_body == route_not_found_body(live_status) \
            and recorded_body != live_body:
        return NOT_FOUND_ROUTE
    if live_status != recorded_status:
        return MISMATCH_STATUS
    return STATUS_ONLY if top_differences else MATCH


def parse_body(text: str) -> Any:
    """A body as JSON when it is JSON, else the text itself; _NO_BODY when empty."""
    if not text.strip():
        return _NO_BODY
    try:
        return json.loads(text)
    except ValueError:
        return text


def key_differences(recorded: Any, live: Any, lenient: bool = False,
                    unreliable_keys: frozenset[str] = frozenset(),
                    newer_keys: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(top-level differences, nested differences) between two parsed bodies. `lenient` drops
    what a re-serialized recording cannot show (extra keys, absent vs null); a missing key named
    in `unreliable_keys` (the recorder wrote it) is not a difference either, nor an extra key
    named in `newer_keys` (Auth0 added it after the recording), at any level of the body."""
    recorded_kind, live_kind = _kind(recorded), _kind(live)
    if recorded_kind != live_kind:
        return [f"body: Auth0 {recorded_kind}, mockidp {live_kind}"], []
    top, nested = [], []
    if recorded_kind == "list":
        _compare_first_items(recorded, live, "", top, nested)
    elif recorded_kind == "object":
        top += _object_keys(recorded, live, "")
        paged = bool(_PAGING_KEYS & recorded.keys())
        for key in recorded.keys() & live.keys():
            if paged and isinstance(recorded[key], list):
                _compare_first_items(recorded[key], live[key], key, top, nested)
            else:
                nested += _nested(recorded[key], live[key], key, NESTED_DEPTH)
    if lenient:
        top, nested = _lenient(top), _lenient(nested)
    if unreliable_keys:
        top = [difference for difference in top if difference.split(" ", 1)[1] not in unreliable_keys]
    if newer_keys:
        top, nested = _without_newer(top, newer_keys), _without_newer(nested, newer_keys)
    return top, nested


def _compare_first_items(recorded: list, live: Any, prefix: str, top: list, nested: list) -> None:
    if not (recorded and isinstance(live, list) and live):
        return  # an empty list on either side says nothing about the items' shape
    first, live_first = recorded[0], live[0]
    if isinstance(first, dict) and isinstance(live_first, dict):
        top += _object_keys(first, live_first, f"{prefix}[].")
        for key in first.keys() & live_first.keys():
            nested += _nested(first[key], live_first[key], f"{prefix}[].{key}", NESTED_DEPTH)


def _nested(recorded: Any, live: Any, path: str, depth: int) -> list[str]:
    if depth == 0:
        return []
    if isinstance(recorded, list) and isinstance(live, list) and recorded and live:
        recorded, live, path = recorded[0], live[0], f"{path}[]"
    if not (isinstance(recorded, dict) and isinstance(live, dict)):
        return []
    found = _object_keys(recorded, live, f"{path}.")
    for key in recorded.keys() & live.keys():
        found += _nested(recorded[key], live[key], f"{path}.{key}", depth - 1)
    return found


def _object_keys(recorded: dict, live: dict, prefix: str) -> list[str]:
    found = []
    for key in recorded.keys() - live.keys():
        found.append(f"{'null-vs-absent' if recorded[key] is None else 'missing'} {prefix}{key}")
    for key in live.keys() - recorded.keys():
        found.append(f"{'absent-vs-null' if live[key] is None else 'extra'} {prefix}{key}")
    return sorted(found, key=lambda difference: difference.split(" ", 1)[1])  # by key, not by kind


def _without_newer(differences: list[str], newer_keys: frozenset[str]) -> list[str]:
    return [difference for difference in differences
            if not (difference.startswith(_LENIENT_DROPS)
                    and difference.rsplit(".", 1)[-1].split(" ")[-1] in newer_keys)]


def _lenient(differences: list[str]) -> list[str]:
    return [difference for difference in differences if not difference.startswith(_LENIENT_DROPS)]


def _kind(body: Any) -> str:
    if body is _NO_BODY:
        return "empty"
    if isinstance(body, dict):
        return "object"
    if isinstance(body, list):
        return "list"
    return "text" if isinstance(body, str) else "scalar"
