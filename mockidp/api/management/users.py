"""/api/v2/users and /api/v2/users-by-email."""
from __future__ import annotations

from ...core import users
from ...core.errors import ManagementError, bad_request
from ..http import empty_response, json_response, read_body, tenant
from ..validation import validate_body
from .common import parse_fields, query_args
from .registry import granted_scopes, operation

FIELDS_DESCRIPTION = ("Comma-separated list of fields to include or exclude (based on value provided "
                      "for include_fields) in the result. Leave empty to retrieve all fields")
METADATA_ONLY = {"app_metadata", "user_metadata"}


def _fields(args: dict) -> tuple[list[str] | None, bool]:
    fields = parse_fields(args.get("fields"), users.SELECTABLE_FIELDS, FIELDS_DESCRIPTION)
    include = args.get("include_fields")
    return fields, True if include is None else bool(include)


@operation("POST /users")
def create_user():
    body = read_body()
    validate_body("CreateUserRequestContent", body)
    return json_response(users.create_user(tenant(), body), 201)


@operation("GET /users")
def list_users():
    from ...core.search import QuerySyntaxError

    args = query_args("GET /users")
    fields, include = _fields(args)
    page = args.get("page") or 0
    per_page = args["per_page"] if args.get("per_page") is not None else 50
    try:
        found, total = users.list_users(tenant(), query=args.get("q"), page=page, per_page=per_page,
                                        sort=args.get("sort"), fields=fields, include_fields=include)
    except QuerySyntaxError as exc:
        raise bad_request(f"Query validation error: '{exc}' on property q (Query in Lucene query "
                          "string syntax).", "invalid_query_string") from None
    if not args.get("include_totals"):
        return json_response(found)
    return json_response({"start": page * per_page, "limit": per_page, "length": len(found),
                          "users": found, "total": total})


@operation("GET /users/{id}")
def get_user(id: str):
    args = query_args("GET /users/{id}")
    fields, include = _fields(args)
    return json_response(users.select_fields(users.get_user(tenant(), id), fields, include))


@operation("PATCH /users/{id}")
def update_user(id: str):
    body = read_body()
    validate_body("UpdateUserRequestContent", body)
    if "update:users" not in granted_scopes() and not set(body) <= METADATA_ONLY:
        raise ManagementError(403, "Insufficient scope, expected any of: update:users",
                              "insufficient_scope")
    return json_response(users.update_user(tenant(), id, body))


@operation("DELETE /users/{id}")
def delete_user(id: str):
    users.delete_user(tenant(), id)
    return empty_response(204)


@operation("GET /users-by-email")
def users_by_email():
    args = query_args("GET /users-by-email")
    if not args.get("email"):
        raise bad_request("Query validation error: 'Missing required property: email'.",
                          "invalid_query_string")
    fields, include = _fields(args)
    found = users.users_by_email(tenant(), args["email"])
    return json_response([users.select_fields(user, fields, include) for user in found])
