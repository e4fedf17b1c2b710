"""Query-string handling shared by the Management API list endpoints."""
from __future__ import annotations

from typing import Any

from flask import request

from ...core.errors import bad_request
from ..validation import validate_query


def query_args(operation_key: str, extra_allowed: set[str] = frozenset()) -> dict[str, Any]:
    """The request's query string, validated and coerced per the operation's parameters."""
    raw = {key: request.args.get(key) for key in request.args}
    return validate_query(operation_key, raw, extra_allowed=extra_allowed)


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


def select(item: dict, fields: list[str] | None, include: bool) -> dict:
    if not fields:
        return item
    if include:
        return {key: value for key, value in item.items() if key in fields}
    return {key: value for key, value in item.items() if key not in fields}


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
