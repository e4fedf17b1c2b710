"""Latency, faults and pause points on the wire: the WSGI middleware every non-/_mock request
passes through before Flask routes it, and the /_mock/faults and /_mock/barriers endpoints.

Why WSGI middleware rather than a Flask before_request: a dropped connection must escape Flask
(whose error handlers would turn any exception into a 500 response) and reach cheroot as a
socket error. cheroot treats ECONNABORTED as "client went away": it closes the connection
without writing anything and without logging, which is exactly a dropped connection.
"""
from __future__ import annotations

import errno
import io
import json
import logging
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qsl

from flask import Blueprint, request

from ..core.tenant.errors import ControlError, reason_phrase
from ..core.traffic.controls import Verdict
from .control import json_body
from .http import MAX_BODY_BYTES, TENANT_KEY, empty_response, json_response, tenant

if TYPE_CHECKING:
    from ..core.tenant.tenant import Tenant

log = logging.getLogger("mockidp")

WAIT_DEFAULT_MS = 10_000
WAIT_MAX_MS = 120_000


class TrafficMiddleware:
    """Wraps the Flask WSGI app: asks the addressed tenant's Traffic what to do with each request."""

    def __init__(self, wsgi_app: Callable):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable):
        path = _decoded_path(environ)
        if path == "/_mock" or path.startswith("/_mock/"):
            return self.wsgi_app(environ, start_response)  # the control plane is never shaped
        try:
            tenant: Tenant = environ[TENANT_KEY]
            verdict = tenant.traffic.handle(environ.get("REQUEST_METHOD", "GET"), path,
                                                 _BodyReader(environ))
        except Exception:  # a bug here must still answer like the rest of mockidp
            log.exception("mockidp bug: traffic shaping failed on %s", path)
            verdict = Verdict("answer", 500, b'{"statusCode":500,"error":"Internal Server Error",'
                                             b'"message":"An internal server error occurred"}',
                              {"Content-Type": "application/json; charset=utf-8"})
        if verdict.action == "drop":
            raise ConnectionAbortedError(errno.ECONNABORTED, "mockidp fault: connection dropped on purpose")
        if verdict.action == "answer":
            return _answer(verdict, start_response)
        if verdict.headers:
            return self.wsgi_app(environ, _adding_headers(start_response, verdict.headers))
        return self.wsgi_app(environ, start_response)


def _decoded_path(environ: dict) -> str:
    """PATH_INFO is latin-1-encoded bytes (PEP 3333); decode it as werkzeug does."""
    raw = environ.get("PATH_INFO") or "/"
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def _answer(verdict: Verdict, start_response: Callable) -> list[bytes]:
    body = verdict.body or b""
    headers = [*verdict.headers.items(), ("Content-Length", str(len(body)))]
    start_response(f"{verdict.status} {reason_phrase(verdict.status)}", headers)
    return [body]


def _adding_headers(start_response: Callable, extra: dict[str, str]) -> Callable:
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, *extra.items()], exc_info)
    return start


class _BodyReader:
    """Reads and parses the request body once, only if a rule asks for it, and puts the bytes
    back so Flask reads them again."""

    def __init__(self, environ: dict):
        self._environ = environ
        self._parsed: Any = None
        self._done = False

    def __call__(self) -> Any:
        if not self._done:
            self._parsed, self._done = self._parse(), True
        return self._parsed

    def _parse(self) -> Any:
        environ = self._environ
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY_BYTES:
            return None  # no body, or one Flask will refuse with 413 anyway
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        if (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(raw.decode("utf-8", "replace")))
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None  # deep or broken JSON matches no rule; the endpoint itself refuses it


# --- /_mock/faults and /_mock/barriers ------------------------------------------------------------

traffic_control = Blueprint("traffic_control", __name__, url_prefix="/_mock")


@traffic_control.post("/faults")
def add_fault():
    return json_response(tenant().traffic.faults.add(json_body()), 201)


@traffic_control.get("/faults")
def list_faults():
    return json_response({"rules": tenant().traffic.faults.describe()})


@traffic_control.get("/faults/<rule_id>")
def get_fault(rule_id: str):
    return json_response(tenant().traffic.faults.get(rule_id))


@traffic_control.delete("/faults/<rule_id>")
def delete_fault(rule_id: str):
    tenant().traffic.faults.delete(rule_id)
    return empty_response()


@traffic_control.delete("/faults")
def delete_faults():
    tenant().traffic.faults.clear()
    return empty_response()


@traffic_control.post("/barriers")
def add_barrier():
    return json_response(tenant().traffic.barriers.add(json_body()), 201)


@traffic_control.get("/barriers")
def list_barriers():
    return json_response({"barriers": tenant().traffic.barriers.describe()})


@traffic_control.get("/barriers/<barrier_id>")
def get_barrier(barrier_id: str):
    """?wait_for_held=N[&timeout_ms=M]: answer once N requests are held (408 if not in time)."""
    board = tenant().traffic.barriers
    if "wait_for_held" not in request.args:
        return json_response(board.get(barrier_id))
    count = _int_arg("wait_for_held", None, 1, 10_000)
    timeout_ms = _int_arg("timeout_ms", WAIT_DEFAULT_MS, 0, WAIT_MAX_MS)
    reached, state = board.wait_until_held(barrier_id, count, timeout_ms / 1000)
    if not reached:
        raise ControlError(408, f"{barrier_id} holds {state['held']} of the {count} request(s) "
                                f"waited for after {timeout_ms} ms.", "timeout")
    return json_response(state)


@traffic_control.post("/barriers/<barrier_id>/release")
def release_barrier(barrier_id: str):
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"count"}:
        raise ControlError(400, 'The body must be empty (release all and stop holding) or '
                                '{"count": N} (let the N longest-held requests go).')
    count = body.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ControlError(400, f'"count" must be a whole number of at least 1; got {count!r}.')
    return json_response(tenant().traffic.barriers.release(barrier_id, count))


@traffic_control.delete("/barriers/<barrier_id>")
def delete_barrier(barrier_id: str):
    tenant().traffic.barriers.delete(barrier_id)
    return empty_response()


@traffic_control.delete("/barriers")
def delete_barriers():
    tenant().traffic.barriers.clear()
    return empty_response()


def _int_arg(name: str, default: int | None, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None and default is not None:
        return default
    if text is None or not text.isdigit() or not low <= int(text) <= high:
        raise ControlError(400, f'"{name}" must be a whole number from {low} to {high}; got {text!r}.')
    return int(text)
