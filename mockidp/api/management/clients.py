"""/api/v2/clients (read). Secrets are shown only to tokens holding read:client_keys."""
from __future__ import annotations

from ...core import clients
from ..http import json_response, tenant
from .common import checkpoint, paged, parse_fields, query_args, select, wants_checkpoint
from .registry import granted_scopes, operation

FIELDS_DESCRIPTION = ("Comma-separated list of fields to include or exclude (based on value provided "
                      "for include_fields) in the result. Leave empty to retrieve all fields")


def _view(client: dict, args: dict) -> dict:
    fields = parse_fields(args.get("fields"), None, FIELDS_DESCRIPTION)
    include = True if args.get("include_fields") is None else bool(args["include_fields"])
    with_secrets = "read:client_keys" in granted_scopes()
    return select(clients.public_view(client, with_secrets), fields, include)


def _matches(client: dict, args: dict) -> bool:
    if args.get("app_type") and client.get("app_type") not in args["app_type"].split(","):
        return False
    if args.get("is_first_party") is not None and client.get("is_first_party") != args["is_first_party"]:
        return False
    if args.get("is_global") is not None and bool(client.get("global")) != args["is_global"]:
        return False
    return True


@operation("GET /clients")
def list_clients():
    args = query_args("GET /clients")
    found = [c for c in clients.list_clients(tenant()) if _matches(c, args)]
    if wants_checkpoint(args):
        return json_response(checkpoint(found, args, "clients", "client_id", lambda c: _view(c, args)))
    return json_response(paged([_view(c, args) for c in found], args, "clients", default_per_page=100))


@operation("GET /clients/{id}")
def get_client(id: str):
    args = query_args("GET /clients/{id}")
    return json_response(_view(clients.find_client(tenant(), id), args))
