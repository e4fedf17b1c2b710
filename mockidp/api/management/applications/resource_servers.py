"""/api/v2/resource-servers. The system Management API shows the caller's domain; a resource
server is addressed by its id or its (URL-encoded) identifier."""
from __future__ import annotations

from urllib.parse import unquote

from ....core.applications import resource_servers
from ...http import domain, empty_response, json_response, read_body, tenant
from ..common import paged, payload, query_args
from ..registry import operation


def addressed(id: str) -> str:
    """cheroot decodes every escape of the path but `%2F` (so that a slash stays a separator):
    an identifier sent as `https:%2F%2Fapi.example.com%2F` arrives with its `%2F`s, and Auth0
    reads it as https://api.example.com/. (A server that decodes `%2F` too reaches the
    `<path:id>` rule of registry.SLASHED_IDS.)"""
    return unquote(id)


@operation("GET /resource-servers")
def list_resource_servers():
    args = query_args("GET /resource-servers")
    current = tenant()
    with current.lock:
        found = list(current.directory.resource_servers.values())
    shown_domain = domain()
    views = [resource_servers.public_view(s, shown_domain) for s in found]
    wanted = args.get("identifiers")
    if wanted:
        wanted = set(wanted if isinstance(wanted, list) else [wanted])
        views = [view for view in views if view["identifier"] in wanted]
    return json_response(paged(views, args, "resource_servers"))


@operation("GET /resource-servers/{id}")
def get_resource_server(id: str):
    query_args("GET /resource-servers/{id}")
    server = resource_servers.find_resource_server(tenant(), addressed(id))
    return json_response(resource_servers.public_view(server, domain()))


@operation("POST /resource-servers")
def create_resource_server():
    body = payload("POST /resource-servers")
    server = resource_servers.create_resource_server(tenant(), body)
    return json_response(resource_servers.public_view(server, domain()), 201)


@operation("PATCH /resource-servers/{id}")
def update_resource_server(id: str):
    body = payload("PATCH /resource-servers/{id}")
    server = resource_servers.update_resource_server(tenant(), addressed(id), body)
    return json_response(resource_servers.public_view(server, domain()))


@operation("DELETE /resource-servers/{id}")
def delete_resource_server(id: str):
    read_body()
    query_args("DELETE /resource-servers/{id}")
    resource_servers.delete_resource_server(tenant(), addressed(id))
    return empty_response(204)
