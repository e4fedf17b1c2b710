"""/api/v2/user-blocks: brute-force blocks by user id or by identifier (core/bruteforce.py).
They never touch the admin block (`blocked: true` on the user)."""
from __future__ import annotations

from ...core.login import bruteforce
from ..caller import request_info
from ..http import empty_response, json_response, read_body, tenant
from .common import query_args
from .registry import operation


@operation("GET /user-blocks")
def list_by_identifier():
    args = query_args("GET /user-blocks")
    blocks = bruteforce.blocks_for_identifier(tenant(), args["identifier"],
                                              bool(args.get("consider_brute_force_enablement")))
    return json_response({"blocked_for": blocks})


@operation("DELETE /user-blocks")
def delete_by_identifier():
    read_body()
    args = query_args("DELETE /user-blocks")
    bruteforce.unblock_identifier(tenant(), args["identifier"], request_info())
    return empty_response(204)


@operation("GET /user-blocks/{id}")
def list_by_user(id: str):
    args = query_args("GET /user-blocks/{id}")
    blocks = bruteforce.blocks_for_user(tenant(), id, bool(args.get("consider_brute_force_enablement")))
    return json_response({"blocked_for": blocks})


@operation("DELETE /user-blocks/{id}")
def delete_by_user(id: str):
    read_body()
    query_args("DELETE /user-blocks/{id}")
    bruteforce.unblock_user(tenant(), id, request_info())
    return empty_response(204)
