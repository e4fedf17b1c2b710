"""/api/v2/connections, the enabled clients of a connection and its signing keys (OIDC and Okta
connections using private_key_jwt: core/tokens/connection_keys.py)."""
from __future__ import annotations

from ....core.applications import connections
from ....core.tokens import connection_keys
from ...http import empty_response, json_response, public_base_url, read_body, tenant
from ..common import checkpoint, paged, payload, projection, query_args, select, wants_checkpoint
from ..registry import operation

FIELDS_DESCRIPTION = ("A comma separated list of fields to include or exclude (depending on "
                      "include_fields) from the result, empty to retrieve all fields")


# Auth0 answers these with any `fields` it includes (recorded: fields=id gives both).
ALWAYS_INCLUDED = ("id", "is_domain_connection")


def _view(connection: dict, args: dict) -> dict:
    fields, include = projection(args, None, FIELDS_DESCRIPTION)
    if fields and include:
        fields = [*fields, *(name for name in ALWAYS_INCLUDED if name not in fields)]
    return select(_present(connection), fields, include)


def _present(connection: dict) -> dict:
    """A stored connection as Auth0 answers it: an enterprise connection's provisioning ticket
    (stored as a path) is a URL on the tenant's domain, the host the caller used."""
    ticket = connection.get("provisioning_ticket")
    if ticket is None:
        return connection
    present = {key: value for key, value in connection.items() if key != "provisioning_ticket"}
    return {**present, "provisioning_ticket_url": public_base_url() + ticket}


@operation("GET /connections")
def list_connections():
    args = query_args("GET /connections")
    strategies = args.get("strategy")
    if isinstance(strategies, str):
        strategies = [strategies]
    found = connections.list_connections(tenant(), args.get("name"), strategies)
    if wants_checkpoint(args):
        return json_response(checkpoint(found, args, "connections", "id", lambda c: _view(c, args)))
    return json_response(paged([_view(c, args) for c in found], args, "connections"))


@operation("GET /connections/{id}")
def get_connection(id: str):
    args = query_args("GET /connections/{id}")
    return json_response(_view(connections.find_connection(tenant(), id), args))


@operation("POST /connections")
def create_connection():
    body = payload("POST /connections")
    return json_response(_present(connections.create_connection(tenant(), body)), 201)


@operation("PATCH /connections/{id}")
def update_connection(id: str):
    body = payload("PATCH /connections/{id}")
    return json_response(_present(connections.update_connection(tenant(), id, body)))


@operation("DELETE /connections/{id}")
def delete_connection(id: str):
    """202 `{"deleted_at": ...}` while Auth0 deletes; 204 once the connection no longer exists."""
    read_body()
    query_args("DELETE /connections/{id}")
    deleted_at = connections.delete_connection(tenant(), id)
    if deleted_at is None:
        return empty_response(204)
    return json_response({"deleted_at": deleted_at}, 202)


@operation("GET /connections/{id}/clients")
def list_enabled_clients(id: str):
    args = query_args("GET /connections/{id}/clients")
    found = connections.enabled_clients(tenant(), id)
    return json_response(checkpoint(found, args, "clients", "client_id", lambda item: item))


@operation("PATCH /connections/{id}/clients")
def update_enabled_clients(id: str):
    body = payload("PATCH /connections/{id}/clients")
    connections.set_enabled_clients(tenant(), id, body)
    return empty_response(204)


@operation("GET /clients/{id}/connections")
def list_client_connections(id: str):
    """The connections enabled for a client, checkpoint-paged as recorded ({connections[, next]})."""
    args = query_args("GET /clients/{id}/connections")
    strategies = args.get("strategy")
    if isinstance(strategies, str):
        strategies = [strategies]
    # a client's connections leave out their enabled clients (recorded), unlike GET /connections
    found = [{key: value for key, value in connection.items() if key != "enabled_clients"}
             for connection in connections.client_connections(tenant(), id, strategies)]
    return json_response(checkpoint(found, args, "connections", "id", lambda c: _view(c, args)))


@operation("GET /connections/{id}/keys")
def list_connection_keys(id: str):
    query_args("GET /connections/{id}/keys")
    return json_response(connection_keys.list_keys(tenant(), id))


@operation("POST /connections/{id}/keys")
def create_connection_keys(id: str):
    body = payload("POST /connections/{id}/keys")
    return json_response(connection_keys.create_keys(tenant(), id, (body or {}).get("signing_alg")), 201)


@operation("POST /connections/{id}/keys/rotate")
def rotate_connection_keys(id: str):
    body = payload("POST /connections/{id}/keys/rotate")
    return json_response(connection_keys.rotate(tenant(), id, (body or {}).get("signing_alg")), 201)
