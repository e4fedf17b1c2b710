"""A tenant's state as a JSON document (GET /_mock/state, `mockidp serve --state`) and back.

The document is a snapshot (Tenant.capture) written with a few tags, so that reading it back
gives equal objects and writing those again gives the same bytes:

    {"$t": [...]}                          a tuple
    {"$dt": "2030-01-01T00:00:00+00:00"}   a datetime
    {"$map": [[key, value], ...]}          a dict whose keys are not all plain strings
    {"$obj": "UserRecord", "$f": {...}}    a record class a part registered (Tenant.on_snapshot)

Key order is kept rather than sorted: mockidp lists records in insertion order, so sorting
would change what a restored tenant answers. The same state always writes the same bytes.
Stored secrets stay as the tenant keeps them: passwords as bcrypt hashes, as Auth0 stores them.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable

FORMAT = "mockidp-state"
VERSION = 2  # 2: the traffic controls (latency, faults, barriers) are a part


class StateError(ValueError):
    """A state document this tenant cannot load; the message names the problem."""


def dumps(rng: Any, clock: Any, parts: tuple, types: dict[str, type]) -> str:
    names = {cls: name for name, cls in types.items()}
    document = {"format": FORMAT, "version": VERSION, "clock": _encode(clock, names),
                "rng": _encode(rng, names), "parts": _encode(list(parts), names)}
    return json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def loads(document: Any, types: dict[str, type], part_count: int) -> tuple[Any, Any, tuple]:
    """(rng, clock, parts) from a parsed document, or StateError saying what is wrong."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateError(f'not a mockidp state document (expected "format": "{FORMAT}")')
    if document.get("version") != VERSION:
        raise StateError(f"state version {document.get('version')!r} is not supported (this mockidp reads {VERSION})")
    missing = sorted({"clock", "rng", "parts"} - set(document))
    if missing:
        raise StateError(f"the state has no {', '.join(missing)}")
    try:
        rng, clock, parts = (_decode(document[key], types) for key in ("rng", "clock", "parts"))
    except (KeyError, TypeError, ValueError, AttributeError) as problem:
        raise StateError(f"the state is corrupt: {problem!r}") from None
    if not isinstance(parts, list) or len(parts) != part_count:
        raise StateError(f"the state has {len(parts) if isinstance(parts, list) else 'no list of'} parts; "
                         f"this mockidp's tenants have {part_count}")
    return rng, clock, tuple(parts)


def check_parts(parts: tuple, checks: list[Callable[[Any], Any] | None]) -> None:
    """Each part's own check of its loaded state (Tenant.on_snapshot), before anything changes."""
    for index, (part, check) in enumerate(zip(parts, checks)):
        if check is None:
            continue
        try:
            check(part)
        except Exception as problem:  # any way a part refuses its state: say which part and why
            reason = getattr(problem, "message", None) or repr(problem)
            raise StateError(f"part {index} is corrupt: {reason}") from None


def _encode(value: Any, names: dict[type, str]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    name = names.get(type(value))
    if name is not None:
        fields = value._asdict() if hasattr(value, "_asdict") else vars(value)
        return {"$obj": name, "$f": {key: _encode(item, names) for key, item in fields.items()}}
    if hasattr(value, "_fields"):
        raise StateError(f"{type(value).__name__} is not registered for state files")  # a bug, loudly
    if isinstance(value, tuple):
        return {"$t": [_encode(item, names) for item in value]}
    if isinstance(value, list):
        return [_encode(item, names) for item in value]
    if isinstance(value, Mapping):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: _encode(item, names) for key, item in value.items()}
        return {"$map": [[_encode(key, names), _encode(item, names)] for key, item in value.items()]}
    raise StateError(f"a {type(value).__name__} cannot be written to a state file")


def _decode(value: Any, types: dict[str, type]) -> Any:
    if isinstance(value, list):
        return [_decode(item, types) for item in value]
    if not isinstance(value, dict):
        return value
    if "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if "$t" in value:
        return tuple(_decode(item, types) for item in value["$t"])
    if "$map" in value:
        return {_decode(key, types): _decode(item, types) for key, item in value["$map"]}
    if "$obj" in value:
        cls = types.get(value["$obj"])
        if cls is None:
            raise ValueError(f"unknown record type {value['$obj']!r}")
        return cls(**{key: _decode(item, types) for key, item in value["$f"].items()})
    return {key: _decode(item, types) for key, item in value.items()}
