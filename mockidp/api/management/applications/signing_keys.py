"""/api/v2/keys/signing: the application signing keys (core/tokens/signing_keys.py): list, read,
rotate (the next key signs from then on) and revoke a previous key (its tokens stop verifying)."""
from __future__ import annotations

from ....core.tokens import signing_keys
from ...http import json_response, read_body, tenant
from ..common import query_args
from ..registry import operation


@operation("GET /keys/signing")
def list_signing_keys():
    query_args("GET /keys/signing")
    return json_response(signing_keys.list_keys(tenant()))


@operation("GET /keys/signing/{kid}")
def get_signing_key(kid: str):
    query_args("GET /keys/signing/{kid}")
    return json_response(signing_keys.get_key(tenant(), kid))


@operation("POST /keys/signing/rotate")
def rotate_signing_key():
    read_body()  # no payload is expected, but a malformed one is still refused
    query_args("POST /keys/signing/rotate")
    return json_response(signing_keys.rotate(tenant()), 201)


@operation("PUT /keys/signing/{kid}/revoke")
def revoke_signing_key(kid: str):
    read_body()
    query_args("PUT /keys/signing/{kid}/revoke")
    return json_response(signing_keys.revoke(tenant(), kid))
