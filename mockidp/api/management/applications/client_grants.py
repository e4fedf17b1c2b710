"""/api/v2/client-grants. The Management API audience is stored canonically and shown with the
caller's domain."""
from __future__ import annotations

from ....core.applications import client_grants
from ...http import domain, empty_response, json_response, read_body, tenant
from ..common import checkpoint, paged, payload, query_args, wants_checkpoint
from ..registry import operation


@operation("GET /client-grants")
def list_client_grants():
    args = query_args("GET /client-grants")
    found = [grant for grant in client_grants.list_grants(tenant(), args.get("audience"), args.get("client_id"))
             if _matches(grant, args)]
    views = [client_grants.public_view(grant, domain()) for grant in found]
    if wants_checkpoint(args):
        return json_response(checkpoint(views, args, "client_grants", "id", lambda grant: grant))
    return json_response(paged(views, args, "client_grants"))


def _matches(grant: dict, args: dict) -> bool:
    """The list's other filters; a grant without subject_type is a client grant."""
    if args.get("allow_any_organization") is not None and \
            grant.get("allow_any_organization", False) != args["allow_any_organization"]:
        return False
    if args.get("default_for") and grant.get("default_for") != args["default_for"]:
        return False
    return not args.get("subject_type") or grant.get("subject_type", "client") == args["subject_type"]


@operation("GET /client-grants/{id}")
def get_client_grant(id: str):
    query_args("GET /client-grants/{id}")
    grant = client_grants.find_grant(tenant(), id)
    return json_response(client_grants.public_view(grant, domain()))


@operation("POST /client-grants")
def create_client_grant():
    body = payload("POST /client-grants")
    grant = client_grants.create_grant(tenant(), body)
    return json_response(client_grants.public_view(grant, domain()), 201)


@operation("PATCH /client-grants/{id}")
def update_client_grant(id: str):
    body = payload("PATCH /client-grants/{id}")
    grant = client_grants.update_grant(tenant(), id, body)
    return json_response(client_grants.public_view(grant, domain()))


@operation("DELETE /client-grants/{id}")
def delete_client_grant(id: str):
    read_body()
    query_args("DELETE /client-grants/{id}")
    client_grants.delete_grant(tenant(), id)
    return empty_response(204)
