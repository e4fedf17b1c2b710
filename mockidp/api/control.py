"""/_mock: the test-control plane. Never part of Auth0's paths; JSON in, JSON out; bad input gets
400 with a message that says what to send instead."""
from __future__ import annotations

import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request

from .. import __version__
from ..core.tenant.clock import iso, parse_instant
from ..core.tenant.errors import ControlError
from .http import json_response, read_body, tenant
from .posture import require_json_content_type

control = Blueprint("control", __name__, url_prefix="/_mock")


def json_body() -> Any:
    """A control-plane request's JSON body ({} when empty), sent as application/json."""
    if request.get_data(cache=True).strip():
        require_json_content_type()
    return read_body(ControlError(400, "The body is not valid JSON."))


def _object_body(allowed: set[str]) -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise ControlError(400, "The body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ControlError(400, f"Unknown key(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.")
    return body


def _clock_state() -> dict:
    clock = tenant().clock
    return {"now": iso(clock.now()), "frozen": clock.frozen}


@control.get("/health")
def health():
    return json_response({"status": "ok", "version": __version__, "mock": True,
                          "tenant": tenant().tenant_settings.get("friendly_name")})


@control.post("/reset")
def reset():
    tenant().reset()
    return json_response({"status": "reset", "clock": _clock_state()})


@control.get("/clock")
def get_clock():
    return json_response(_clock_state())


@control.put("/clock")
def set_clock():
    body = _object_body({"now", "frozen"})
    now = body.get("now")
    frozen = body.get("frozen")
    if now is not None and not isinstance(now, str):
        raise ControlError(400, '"now" must be an ISO-8601 string such as "2030-01-01T00:00:00Z".')
    if frozen is not None and not isinstance(frozen, bool):
        raise ControlError(400, '"frozen" must be true or false.')
    try:
        instant = parse_instant(now) if now else None
    except ValueError:
        raise ControlError(400, f'"now" is not an ISO-8601 instant: {now!r}.') from None
    tenant().clock.set(instant, frozen)
    return json_response(_clock_state())


@control.post("/clock/advance")
def advance_clock():
    body = _object_body({"seconds"})
    seconds = body.get("seconds")
    valid = isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds)
    if not valid or seconds < 0:
        raise ControlError(400, '"seconds" must be a non-negative number (use PUT /_mock/clock to go back).')
    tenant().clock.advance(seconds)
    return json_response(_clock_state())


@control.get("/settings")
def get_settings():
    return json_response(tenant().mock_settings.current())


@control.patch("/settings")
def patch_settings():
    current = tenant()
    body = json_body()
    with current.lock:
        current.mock_settings.patch(body)
    return json_response(current.mock_settings.current())


@control.get("/actions/executions")
def action_executions():
    current = tenant()
    with current.lock:
        executions = list(current.actions.executions)
    return json_response({"executions": executions})


@control.post("/actions/wait")
def wait_for_actions():
    body = _object_body({"timeout_seconds"})
    timeout = body.get("timeout_seconds", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
        raise ControlError(400, '"timeout_seconds" must be a number above 0 and at most 120.')
    current = tenant()
    if not current.actions.queue.wait(timeout):
        raise ControlError(504, f"Actions still running after {timeout} s; see /_mock/actions/executions.",
                           "timeout")
    with current.lock:
        return json_response({"pending": 0, "executions": len(current.actions.executions)})


@control.get("/openapi.json")
def openapi_document():
    return json_response(_openapi_document())


@cache
def _openapi_document() -> dict:
    """The control plane's own OpenAPI document (data/control-openapi.yaml), parsed once."""
    import yaml  # only this document needs it at run time

    text = resources.files("mockidp").joinpath("data", "control-openapi.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@control.get("/ca.pem")
def ca_certificate():
    ca_file: Path | None = current_app.config.get("MOCKIDP_CA_FILE")
    if not ca_file:
        raise ControlError(404, "mockidp was started without TLS, so it has no CA. Start it with --tls.",
                           "not_found")
    return Response(Path(ca_file).read_bytes(), content_type="application/x-pem-file")
