"""/api/v2/resource-servers (read). The system Management API shows the caller's domain."""
from __future__ import annotations

from ...core import resource_servers
from ..http import domain, json_response, tenant
from .common import paged, query_args
from .registry import operation


@operation("GET /resource-servers")
def list_resource_servers():
    args = query_args("GET /resource-servers")
    current = tenant()
    with current.lock:
        found = list(current.directory.resource_servers.values())
    wanted = args.get("identifiers")
    if wanted:
        wanted = set(wanted if isinstance(wanted, list) else [wanted])
        found = [s for s in found if resource_servers.public_view(s, domain())["identifier"] in wanted]
    views = [resource_servers.public_view(s, domain()) for s in found]
    return json_response(paged(views, args, "resource_servers"))


@operation("GET /resource-servers/{id}")
def get_resource_server(id: str):
    query_args("GET /resource-servers/{id}")
    server = resource_servers.find_resource_server(tenant(), id)
    return json_response(resource_servers.public_view(server, domain()))
