"""/api/v2/client-grants (read)."""
from __future__ import annotations

from ...core import client_grants
from ..http import domain, json_response, tenant
from .common import paged, query_args
from .registry import operation


@operation("GET /client-grants")
def list_client_grants():
    args = query_args("GET /client-grants")
    found = client_grants.list_grants(tenant(), args.get("audience"), args.get("client_id"))
    views = [client_grants.public_view(grant, domain()) for grant in found]
    return json_response(paged(views, args, "client_grants"))
