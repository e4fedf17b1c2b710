"""/api/v2/client-grants (read)."""
from __future__ import annotations

from ...core import client_grants
from ..http import domain, json_response, tenant
from .common import checkpoint, paged, query_args, wants_checkpoint
from .registry import operation


@operation("GET /client-grants")
def list_client_grants():
    args = query_args("GET /client-grants")
    found = client_grants.list_grants(tenant(), args.get("audience"), args.get("client_id"))
    views = [client_grants.public_view(grant, domain()) for grant in found]
    if wants_checkpoint(args):
        return json_response(checkpoint(views, args, "client_grants", "id", lambda grant: grant))
    return json_response(paged(views, args, "client_grants"))


@operation("GET /client-grants/{id}")
def get_client_grant(id: str):
    query_args("GET /client-grants/{id}")
    grant = client_grants.find_grant(tenant(), id)
    return json_response(client_grants.public_view(grant, domain()))
