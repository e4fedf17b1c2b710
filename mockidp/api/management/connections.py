"""/api/v2/connections (read)."""
from __future__ import annotations

from ...core import connections
from ..http import json_response, tenant
from .common import checkpoint, paged, parse_fields, query_args, select, wants_checkpoint
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
    found = [_list_item(c) for c in connections.list_connections(tenant(), args.get("name"), strategies)]
    if wants_checkpoint(args):
        return json_response(checkpoint(found, args, "connections", "id", lambda c: _view(c, args)))
    return json_response(paged([_view(c, args) for c in found], args, "connections"))


def _list_item(connection: dict) -> dict:
    # The spec's ConnectionForList has no enabled_clients: Auth0 deprecated it in favour of
    # GET /connections/{id}/clients and dropped it from the list first.
    return {key: value for key, value in connection.items() if key != "enabled_clients"}


@operation("GET /connections/{id}")
def get_connection(id: str):
    args = query_args("GET /connections/{id}")
    return json_response(_view(connections.find_connection(tenant(), id), args))
