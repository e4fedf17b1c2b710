"""/api/v2/connections (read)."""
from __future__ import annotations

from ...core import connections
from ..http import json_response, tenant
from .common import paged, parse_fields, query_args, select
from .registry import operation

FIELDS_DESCRIPTION = ("A comma separated list of fields to include or exclude (depending on "
                      "include_fields) from the result, empty to retrieve all fields")


def _view(connection: dict, args: dict) -> dict:
    fields = parse_fields(args.get("fields"), None, FIELDS_DESCRIPTION)
    include = True if args.get("include_fields") is None else bool(args["include_fields"])
    return select(connection, fields, include)


@operation("GET /connections")
def list_connections():
    args = query_args("GET /connections")
    strategies = args.get("strategy")
    if isinstance(strategies, str):
        strategies = [strategies]
    found = connections.list_connections(tenant(), args.get("name"), strategies)
    return json_response(paged([_view(c, args) for c in found], args, "connections"))


@operation("GET /connections/{id}")
def get_connection(id: str):
    args = query_args("GET /connections/{id}")
    return json_response(_view(connections.find_connection(tenant(), id), args))
