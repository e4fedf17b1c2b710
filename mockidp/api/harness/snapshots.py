"""/_mock/snapshots: name the whole state of a tenant and return to it; /_mock/state: the same
state as a JSON document to keep (in git) and load again.

A snapshot is taken in memory (Tenant.capture): the directory (users, clients, tickets, sessions,
codes, refresh tokens, logs, brute-force counters, counters), the email queue and outbox, the
clock, the RNG and Action executions. Restoring it makes the same requests give the same ids.
Snapshots belong to the tenant they were taken on (its URL addresses them) and survive resets.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response

from ...core.tenant.clock import iso
from ...core.tenant.errors import ControlError
from ...core.tenant.statefile import StateError
from ..control import json_body
from ..http import JSON_TYPE, empty_response, json_response, read_body, tenant

STATE_MAX_BYTES = 256 * 1024 * 1024  # a state of many thousand users is well over Auth0's 1 MB
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

snapshots = Blueprint("snapshots", __name__, url_prefix="/_mock")


@snapshots.post("/snapshots")
def take_snapshot():
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"name"}:
        raise ControlError(400, 'Send {"name": "..."}: the snapshot\'s name, and nothing else.')
    name = body["name"]
    if not isinstance(name, str) or not NAME.match(name):
        raise ControlError(400, '"name" must be 1 to 64 letters, digits, ".", "_" or "-", starting with a '
                                'letter or digit.')
    current = tenant()
    with current.lock:
        if name in current.snapshots:
            raise ControlError(409, f"A snapshot named {name!r} exists; DELETE it first to take it again.",
                               "conflict")
        current.snapshots[name] = current.capture()
        return json_response(_describe(name), 201)


@snapshots.get("/snapshots")
def list_snapshots():
    current = tenant()
    with current.lock:
        return json_response({"snapshots": [_describe(name) for name in current.snapshots]})


@snapshots.post("/snapshots/<name>/restore")
def restore_snapshot(name: str):
    current = tenant()
    with current.lock:
        current.restore(_find(name))
        return json_response({"restored": name, "clock": _clock()})


@snapshots.delete("/snapshots/<name>")
def delete_snapshot(name: str):
    current = tenant()
    with current.lock:
        _find(name)
        del current.snapshots[name]
    return empty_response(204)


@snapshots.get("/state")
def export_state():
    """Deterministic: the same state gives the same bytes (freeze the clock to compare files)."""
    return Response(tenant().export_state().encode("utf-8"), 200, content_type=JSON_TYPE)


@snapshots.put("/state")
def import_state():
    load_state(read_body(ControlError(400, "The body is not valid JSON."), STATE_MAX_BYTES))
    return json_response({"status": "loaded", "clock": _clock()})


def load_state(document) -> None:
    try:
        tenant().import_state(document)
    except StateError as problem:  # nothing was loaded
        raise ControlError(400, f"Cannot load this state: {problem}", "invalid_state") from None


def _clock() -> dict:
    now, frozen = tenant().clock.capture()
    return {"now": iso(now), "frozen": frozen}


def _find(name: str):
    found = tenant().snapshots.get(name)
    if found is None:
        raise ControlError(404, f"No snapshot named {name!r} on this tenant; GET /_mock/snapshots lists them.",
                           "not_found")
    return found


def _describe(name: str) -> dict:
    now, frozen = tenant().snapshots[name].clock
    return {"name": name, "clock": {"now": iso(now), "frozen": frozen}}
