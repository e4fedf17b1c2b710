"""/api/v2/logs, /api/v2/logs/{id} and /api/v2/users/{id}/logs (read:logs or read:logs_users).

Offset paging (page, per_page <= 100, include_totals) with `sort` (default `date:-1`), `fields` /
`include_fields` and a log search query in `q` (or the spec's `search`), e.g. `type:"s"` or
`user_id:"auth0|..."`; or checkpoint paging with `from` (a log id) and `take` (<= 100), which
ignores the other parameters and returns a bare array, as Auth0 does.

And /api/v2/events (read:events): the event stream (core/logs/stream.py) as Server-Sent Events.
mockidp's stream sends what has happened since the cursor, then an `offset-only` message with the
offset to resume from, and ends: a subscriber reconnects with `from` (docs/behaviour.md).
"""
from __future__ import annotations

import json

from flask import Response, request

from ...core.logs import events as logs
from ...core.logs import stream
from ...core.tenant.errors import ManagementError, bad_request
from ..http import json_response, tenant
from .common import paged, projection, query_args, select, wants_checkpoint
from .registry import operation

FIELDS_DESCRIPTION = ("Comma-separated list of fields to include or exclude (based on value provided "
                      "for include_fields) in the result. Leave empty to retrieve all fields.")
MAX_TAKE = 100


def _search(query: str | None, sort: str | None, user_id: str | None = None) -> list[dict]:
    return logs.search(tenant(), query, sort, user_id)


@operation("GET /logs")
def list_logs():
    args = query_args("GET /logs", extra_allowed={"q"})
    fields, include = projection(args, None, FIELDS_DESCRIPTION)
    if wants_checkpoint(args):
        take = 50 if args.get("take") is None else args["take"]
        if take < 0 or take > MAX_TAKE:
            raise bad_request(f"Query validation error: 'Value {take} is out of the range 0 to {MAX_TAKE}' "
                              "on property take (Number of entries to retrieve when using the from "
                              "parameter. Default 50, max 100).", "invalid_query_string")
        found = logs.since_checkpoint(tenant(), args.get("from"), take)
        return json_response([select(event, fields, include) for event in found])
    found = _search(args.get("q") or args.get("search"), args.get("sort"))
    return json_response(paged([select(event, fields, include) for event in found], args, "logs",
                               with_length=True))


@operation("GET /logs/{id}")
def get_log(id: str):
    query_args("GET /logs/{id}")
    event = logs.find(tenant(), id)
    if event is None:
        raise ManagementError(404, "Log not found")
    return json_response(event)


@operation("GET /users/{id}/logs")
def user_logs(id: str):
    args = query_args("GET /users/{id}/logs")
    if (args.get("page") or 0) < 0:  # the spec omits the minimum Auth0's validator applies
        raise bad_request(f"Query validation error: 'Value {args['page']} is less than minimum 0' on "
                          "property page (Page index of the results to return. First page is 0.).",
                          "invalid_query_string")
    found = _search(None, args.get("sort"), user_id=id)
    return json_response(paged(found, args, "logs", with_length=True))


@operation("GET /events")
def subscribe_events():
    args = query_args("GET /events")
    messages, resume = stream.read(tenant(), args.get("from"), args.get("from_timestamp"),
                                   request.args.getlist("event_type"))
    lines = [_sse(message["type"], message["offset"], {"offset": message["offset"], "event": message["event"]})
             for message in messages]
    lines.append(_sse("offset-only", resume, {"offset": resume}))
    return Response("".join(lines), 200, mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


def _sse(event_type: str, offset: str, data: dict) -> str:
    """One Server-Sent Event: its type in `event` (the SDKs put it back as `type`), its offset as `id`."""
    return f"event: {event_type}\nid: {offset}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
