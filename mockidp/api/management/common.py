"""Query-string and body handling shared by the Management API views."""
from __future__ import annotations

from typing import Any, Callable

from flask import request

from ...core.directory.projection import select_fields as select  # noqa: F401 - used by resource modules
from ...core.tenant.errors import bad_request
from ..http import read_body
from ..validation import body_schema_for, validate_body, validate_query


def query_args(operation_key: str, extra_allowed: set[str] = frozenset()) -> dict[str, Any]:
    """The request's query string, validated and coerced per the operation's parameters."""
    # A repeated param reaches validation as a list, as hapi parses it: array params accept the
    # repeats and a repeated scalar fails its type check instead of silently using the first.
    if not request.environ.get("QUERY_STRING"):
        return validate_query(operation_key, {}, extra_allowed=extra_allowed)  # spares parsing args
    raw = {key: values[0] if len(values) == 1 else values for key, values in request.args.lists()}
    return validate_query(operation_key, raw, extra_allowed=extra_allowed)


def payload(operation_key: str) -> Any:
    """The body of the operation's request, validated (query first, as hapi does) against its
    schema, if the spec gives it one."""
    body = read_body()
    query_args(operation_key)
    schema = body_schema_for(operation_key)
    if schema:
        validate_body(schema, body)
    return body


def parse_fields(value: str | None, allowed: tuple[str, ...] | None, description: str) -> list[str] | None:
    if not value:
        return None
    fields = [name.strip() for name in value.split(",") if name.strip()]
    if allowed is not None and any(name not in allowed for name in fields):
        raise bad_request(
            f"Query validation error: 'String '{value}' does not match pattern. Must be a comma "
            f"separated list of the following values: {','.join(allowed)}' on property fields "
            f"({description}).", "invalid_query_string")
    return fields


def projection(args: dict[str, Any], allowed: tuple[str, ...] | None,
               description: str) -> tuple[list[str] | None, bool]:
    """A read's `fields` and `include_fields`: which fields, and whether to keep or drop them."""
    fields = parse_fields(args.get("fields"), allowed, description)
    include = True if args.get("include_fields") is None else bool(args["include_fields"])
    return fields, include


def paged(items: list, args: dict[str, Any], collection: str, *, with_length: bool = False,
          default_per_page: int = 50) -> Any:
    """Offset paging: a bare array, or Auth0's totals object when include_totals=true."""
    page = int(args.get("page") or 0)
    per_page = int(args.get("per_page") if args.get("per_page") is not None else default_per_page)
    window = items[page * per_page:(page + 1) * per_page] if per_page else []
    if not args.get("include_totals"):
        return window
    body: dict[str, Any] = {"start": page * per_page, "limit": per_page}
    if with_length:
        body["length"] = len(window)
    body[collection] = window
    body["total"] = len(items)
    return body


def wants_checkpoint(args: dict[str, Any]) -> bool:
    """Auth0 switches a list to checkpoint paging when `take` or `from` is sent."""
    return args.get("from") is not None or args.get("take") is not None


def checkpoint(records: list[dict], args: dict[str, Any], collection: str, id_key: str,
               view: Callable[[dict], dict], *, next_while_nonempty: bool = False) -> dict:
    """Checkpoint paging: `{<collection>: [...], "next": ...}`, `next` only while records remain.
    mockidp's opaque `next` is the id of the next page's first record; an unknown `from` reads
    as past the end. Ids come from the records, so `fields` may leave them out of the views."""
    ids = [record[id_key] for record in records]
    start = _checkpoint_start(ids, args.get("from"))
    take = int(args.get("take") or 50)
    body: dict[str, Any] = {collection: [view(record) for record in records[start:start + take]]}
    if start + take < len(records):
        body["next"] = ids[start + take]
    elif next_while_nonempty and body[collection]:
        body["next"] = END_OF_LIST  # some lists (organization members) end on an empty page
    return body


END_OF_LIST = "end"


def _checkpoint_start(ids: list[str], checkpoint_from: str | None) -> int:
    if not checkpoint_from:
        return 0
    return ids.index(checkpoint_from) if checkpoint_from in ids else len(ids)
