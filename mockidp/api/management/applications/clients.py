"""/api/v2/clients. Secrets are shown only to tokens holding read:client_keys, except in the
answers to POST /clients and POST /clients/{id}/rotate-secret, whose point is the secret. And
clients registered from a Client ID Metadata Document (/clients/cimd/*: core/applications/cimd.py)."""
from __future__ import annotations

from ....core.applications import cimd, clients
from ....core.resources.catalog import credentials
from ....core.tenant.errors import ManagementError
from ...http import empty_response, json_response, read_body, tenant
from ...validation import validate_body
from ..common import checkpoint, paged, payload, projection, query_args, select, wants_checkpoint
from ..registry import granted_scopes, operation, require_any_scope

FIELDS_DESCRIPTION = ("Comma-separated list of fields to include or exclude (based on value provided "
                      "for include_fields) in the result. Leave empty to retrieve all fields")


def _view(client: dict, args: dict) -> dict:
    fields, include = projection(args, None, FIELDS_DESCRIPTION)
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


@operation("POST /clients")
def create_client():
    body = read_body()
    query_args("POST /clients")  # hapi validates the query (none allowed) before the payload
    validate_body("CreateClientRequestContent", body)
    current = tenant()
    with current.lock:  # the client and the credentials its methods bring: all or nothing
        credentials.check_inline(body.get("client_authentication_methods"))
        client = clients.create_client(current, body)
        return json_response(_with_inline_credentials(client, body), 201)


def _with_inline_credentials(client: dict, body: dict) -> dict:
    """The client once the new credentials its authentication methods carry are stored as its
    credentials (GET names them by id), as the write answers it: those credentials in full."""
    current = tenant()
    written = credentials.store_inline(current, client["client_id"], body.get("client_authentication_methods"))
    if written is None:
        return client
    stored, shown = written
    client = clients.update_client(current, client["client_id"], {"client_authentication_methods": stored})
    return {**client, "client_authentication_methods": shown}


def _require_update_scopes(body: dict) -> None:
    """update:client_keys changes the secret (and encryption key), update:clients the rest."""
    granted = granted_scopes()
    if "update:clients" not in granted and set(body) - clients.KEY_FIELDS:
        raise ManagementError(403, "Insufficient scope, expected any of: update:clients",
                              "insufficient_scope")
    if "update:client_keys" not in granted and set(body) & clients.KEY_FIELDS:
        raise ManagementError(403, "Insufficient scope, expected any of: update:client_keys",
                              "insufficient_scope")


@operation("PATCH /clients/{id}")
def update_client(id: str):
    body = payload("PATCH /clients/{id}")
    _require_update_scopes(body)
    client = clients.update_client(tenant(), id, body)
    return json_response(clients.public_view(client, "read:client_keys" in granted_scopes()))


@operation("DELETE /clients/{id}")
def delete_client(id: str):
    read_body()  # hapi parses DELETE payloads too: malformed JSON is a 400, not ignored
    query_args("DELETE /clients/{id}")
    clients.delete_client(tenant(), id)
    return empty_response(204)


@operation("POST /clients/{id}/rotate-secret")
def rotate_client_secret(id: str):
    read_body()  # no payload is expected, but a malformed one is still refused
    query_args("POST /clients/{id}/rotate-secret")
    return json_response(clients.rotate_secret(tenant(), id))


@operation("POST /clients/cimd/preview")
def preview_cimd_client():
    body = payload("POST /clients/cimd/preview")
    return json_response(cimd.preview(tenant(), body["external_client_id"]))


@operation("POST /clients/cimd/register")
def register_cimd_client():
    """Creating needs create:clients, updating update:clients (the spec's description)."""
    body = payload("POST /clients/cimd/register")
    registered = cimd.registered_client_id(tenant(), body["external_client_id"])
    require_any_scope(["update:clients" if registered else "create:clients"])
    status, answer = cimd.register(tenant(), body["external_client_id"])
    return json_response(answer, status)
