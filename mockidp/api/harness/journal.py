"""The request journal on the wire: `JournalMiddleware` records every request a tenant serves
(Auth0 paths and control plane, except the journal's own), and /_mock/journal, /_mock/journal.har
read and clear it.

Each entry: id (also the `x-mockidp-request-id` response header), the tenant clock's time,
method, path, query, status, duration, client_id where the request names one, user_id where the
core knows whose request it was, the request and response bodies with secrets redacted, and what
the request caused: `emails` (outbox message ids), `logs` (tenant log ids) and `actions` (Action
execution ids), noted by the core (core/tenant/journal.py). Those three lists are the request's
own, not copies: an asynchronous Action the request queued adds its execution when it ends.

The bodies (and the client_id read from them) are redacted when the journal is read, not while
the request is served: parsing a JSON answer and walking it for secrets cost about as much as the
rest of the entry, on every request, for entries most runs never read. The bytes kept are
immutable, so the entry read later is the one recording it at once would have made.
"""
from __future__ import annotations

import io
import json
import logging
import re
from typing import Any, Callable, NamedTuple
from urllib.parse import parse_qsl

from flask import Blueprint, Response, request

from ...core.tenant.clock import iso, monotonic
from ...core.tenant.errors import ControlError
from ..http import JSON_TYPE, TENANT_KEY, json_response, tenant

BODY_LIMIT = 16 * 1024  # bytes of each body kept per entry: enough to read, bounded in memory
# What an entry costs besides its bodies' bytes, for the ring's byte bound: its dict, id, time,
# path and query strings and lists, about 1 KB in CPython.
ENTRY_OVERHEAD = 1024
HIDDEN = "[redacted]"
SECRET_KEYS = {"password", "new_password", "client_secret", "client_assertion", "code_verifier", "secret",
               "current_password", "otp", "bearer"}
TOKEN_KEYS = {"access_token", "id_token", "refresh_token", "code", "token", "id_token_hint", "ticket"}
FILTERS = ("path", "method", "status", "since", "client_id", "user", "email", "log", "action")
CAUSED = {"email": "emails", "log": "logs", "action": "actions"}  # the entry that caused this id
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
HEADER = "x-mockidp-request-id"
EFFECT_KEYS = ("id", "client_id", "user_id", "emails", "logs", "actions")

journal = Blueprint("journal", __name__, url_prefix="/_mock")
log = logging.getLogger("mockidp")


class JournalMiddleware:
    """Wraps the app behind TenantRouter: the tenant is known, the prefix already stripped."""

    def __init__(self, wsgi_app: Callable, access_log: Callable[[dict], None] | None = None):
        self.wsgi_app = wsgi_app
        self.access_log = access_log

    def __call__(self, environ: dict, start_response: Callable):
        current = environ[TENANT_KEY]
        path = environ.get("PATH_INFO") or "/"
        if path.startswith("/_mock/journal") or not (current.journal.enabled or self.access_log):
            return self.wsgi_app(environ, start_response)
        started = monotonic()
        effects, token = current.journal.begin()
        recorded = _TeeInput(environ)
        answer: dict[str, Any] = {}

        def start(status: str, headers: list, exc_info=None):
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers
            return start_response(status, [*headers, (HEADER, effects.request_id)], exc_info)

        try:
            chunks = self.wsgi_app(environ, start)
            try:
                body = b"".join(chunks)  # mockidp answers are small and never streamed
            finally:
                getattr(chunks, "close", lambda: None)()
        except ConnectionAbortedError:  # a fault rule dropped the connection on purpose
            answer["status"] = 0
            body = b""
            raise
        finally:
            current.journal.end(token)
            self._record(environ, current, effects, recorded, answer, body, started)
        return [body]

    def _record(self, environ: dict, current, effects, recorded, answer: dict, body: bytes, started: float) -> None:
        """Never lets a recording problem change the answer already made."""
        try:
            entry = _entry(environ, current, effects, recorded, answer, body, started)
        except Exception:
            log.exception("mockidp bug: could not journal %s", environ.get("PATH_INFO"))
            return
        current.journal.add(entry, entry.weight)
        if self.access_log:
            self.access_log(entry.fields)  # the line needs no body: nothing to redact


class _TeeInput(io.RawIOBase):
    """wsgi.input that keeps the first BODY_LIMIT bytes the app reads."""

    def __init__(self, environ: dict):
        self._source = environ["wsgi.input"]
        self.kept = bytearray()
        environ["wsgi.input"] = self

    def readinto(self, buffer) -> int:
        data = self._source.read(len(buffer))
        buffer[:len(data)] = data
        self._keep(data)
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        data = self._source.readline(size)
        self._keep(data)
        return data

    def readable(self) -> bool:
        return True

    def _keep(self, data: bytes) -> None:
        if len(self.kept) < BODY_LIMIT:
            self.kept.extend(data[:BODY_LIMIT - len(self.kept)])


class _Bodies(NamedTuple):
    """What an entry's client_id, request and response are made from, as recorded."""

    query: str
    request_type: str | None
    request_body: bytes
    response_type: str | None
    response_body: bytes


class _Entry:
    """A journal entry whose bodies are redacted when it is read (see the module docstring)."""

    __slots__ = ("_fields", "_bodies")

    def __init__(self, fields: dict[str, Any], bodies: _Bodies):
        self._fields = fields  # client_id, request and response hold None: read() fills them in
        self._bodies = bodies

    @property
    def fields(self) -> dict[str, Any]:
        """Everything but client_id and the bodies (None here), without redacting anything."""
        return self._fields

    @property
    def weight(self) -> int:
        """What the ring's byte bound counts: the bodies' bytes kept, and the rest of the entry."""
        return ENTRY_OVERHEAD + len(self._bodies.request_body) + len(self._bodies.response_body)

    def read(self) -> dict[str, Any]:
        """The whole entry, made anew on every read rather than kept: parsed bodies take several
        times the memory of their bytes, and the ring's byte bound counts the bytes."""
        bodies = self._bodies
        request_body = _redacted_body(bodies.request_body, bodies.request_type or "")
        return {**self._fields, "client_id": _client_id(request_body, bodies.query),
                "request": {"content_type": bodies.request_type or None, "body": request_body},
                "response": {"content_type": bodies.response_type,
                             "body": _redacted_body(bodies.response_body, bodies.response_type or "")}}


def _entry(environ: dict, current, effects, recorded: _TeeInput, answer: dict, body: bytes,
           started: float) -> _Entry:
    query = environ.get("QUERY_STRING", "")
    response_type = dict(answer.get("headers") or []).get("Content-Type")
    # emails, logs and actions are the request's own lists, not copies: an asynchronous Action the
    # request queued adds its execution when it ends.
    fields = {"id": effects.request_id, "time": iso(current.clock.now()),
              "method": environ.get("REQUEST_METHOD", "GET"),
              "path": environ.get("SCRIPT_NAME", "") + (environ.get("PATH_INFO") or "/"),
              "query": _redacted(dict(parse_qsl(query, keep_blank_values=True))) if query else {},
              "status": answer.get("status", 0), "duration_ms": round((monotonic() - started) * 1000, 3),
              "client_id": None, "user_id": effects.user_id, "request": None, "response": None,
              "emails": effects.emails, "logs": effects.logs, "actions": effects.actions}
    return _Entry(fields, _Bodies(query, environ.get("CONTENT_TYPE"), bytes(recorded.kept), response_type,
                                  body[:BODY_LIMIT]))


def access_line(entry: dict) -> str:
    """One access-log line (`mockidp serve` prints one per request unless --quiet)."""
    query = "?" + "&".join(f"{k}={v}" for k, v in entry["query"].items()) if entry["query"] else ""
    return (f'{entry["time"]}  {entry["method"]} {entry["path"]}{query} {entry["status"]} '
            f'{entry["duration_ms"]:.1f} ms {entry["id"]}')


def _client_id(body: Any, query: str) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("client_id"), str):
        return body["client_id"]
    return dict(parse_qsl(query)).get("client_id")


def _redacted_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return _redacted(json.loads(text))
        except (ValueError, RecursionError):  # not JSON, or nested too deep to walk: keep the text
            return text
    if "x-www-form-urlencoded" in content_type:
        return _redacted(dict(parse_qsl(text, keep_blank_values=True)))
    if "html" in content_type and text.lstrip().startswith("<"):
        return f"[{len(raw)} bytes of HTML]"  # pages: see them in a browser, not in the journal
    return text


def _redacted(value: Any) -> Any:
    """Passwords and secrets hidden; tokens and codes shortened to a recognisable prefix."""
    if isinstance(value, dict):
        return {key: _hidden(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _hidden(key: str, value: Any) -> Any:
    if key.lower() in SECRET_KEYS and value is not None:
        return HIDDEN
    if key.lower() in TOKEN_KEYS and isinstance(value, str) and len(value) > 12:
        return value[:8] + "…"
    return _redacted(value)


# --- /_mock/journal ------------------------------------------------------------------------------

@journal.get("/journal")
def list_entries():
    return json_response({"entries": _filtered()})


@journal.delete("/journal")
def clear_journal():
    return json_response({"deleted": tenant().journal.clear()})


@journal.get("/journal.har")
def har():
    entries = [_har_entry(entry) for entry in _filtered()]
    document = {"log": {"version": "1.2", "creator": {"name": "mockidp", "version": _version()},
                        "entries": entries}}
    return Response(json.dumps(document, ensure_ascii=False), 200, content_type=JSON_TYPE)


def _filtered() -> list[dict]:
    unknown = sorted(set(request.args) - set(FILTERS))
    if unknown:
        raise ControlError(400, f"Unknown filter(s): {', '.join(unknown)}. Filter with: {', '.join(FILTERS)}.")
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        raise ControlError(400, f"Give each filter once; repeated: {', '.join(repeated)}.")
    tests = [_filter(name, request.args[name]) for name in FILTERS if name in request.args]
    entries = [entry.read() for entry in tenant().journal.entries()]
    since = request.args.get("since")
    if since is not None and entries and not any(entry["id"] == since for entry in entries):
        raise ControlError(400, f'"since" must be the id of an entry still in the journal; {since!r} is not.')
    return [entry for entry in entries if all(test(entry) for test in tests)]


def _filter(name: str, value: str) -> Callable[[dict], bool]:
    if name == "status":
        if not re.fullmatch(r"[1-5]\d\d|[1-5]xx", value):
            raise ControlError(400, '"status" must be a status code such as 404, or a class such as 4xx.')
        return lambda entry: str(entry["status"]).startswith(value.rstrip("x"))
    if name == "method":
        if value.upper() not in METHODS:
            raise ControlError(400, f'"method" must be one of {", ".join(METHODS)}; got {value!r}.')
        return lambda entry: entry["method"] == value.upper()
    if name == "path":
        if not value.startswith("/"):
            raise ControlError(400, '"path" must start with "/" (a prefix of the paths to keep).')
        return lambda entry: entry["path"].startswith(value)
    if name == "since":
        return lambda entry: entry["id"] > value  # ids count up with a fixed width
    if not value:
        raise ControlError(400, f'"{name}" must not be empty.')
    if name in CAUSED:
        return lambda entry: value in entry[CAUSED[name]]
    field = "user_id" if name == "user" else name
    return lambda entry: entry.get(field) == value


def _har_entry(entry: dict) -> dict:
    def text(part: dict) -> dict:
        body = part["body"]
        content = body if isinstance(body, str) or body is None else json.dumps(body, ensure_ascii=False)
        return {"mimeType": part["content_type"] or "", "text": content or "", "size": len(content or "")}

    return {"startedDateTime": entry["time"], "time": entry["duration_ms"], "comment": entry["id"],
            "request": {"method": entry["method"], "url": request.host_url.rstrip("/") + entry["path"],
                        "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                        "queryString": [{"name": k, "value": str(v)} for k, v in entry["query"].items()],
                        "postData": text(entry["request"]), "headersSize": -1, "bodySize": -1},
            "response": {"status": entry["status"], "statusText": "", "httpVersion": "HTTP/1.1",
                         "headers": [], "cookies": [], "content": text(entry["response"]),
                         "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 0, "wait": entry["duration_ms"], "receive": 0},
            "_mockidp": {key: entry[key] for key in EFFECT_KEYS}}  # HAR 1.2: custom fields start with _


def _version() -> str:
    from ... import __version__

    return __version__
