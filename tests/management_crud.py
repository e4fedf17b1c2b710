"""Helpers for the clients / client-grants / connections / resource-servers CRUD tests: responses
held to the official spec's schemas, exact error envelopes, tenant snapshots, client credentials."""
from __future__ import annotations

from http import HTTPStatus

import requests
from conftest import Api
from jose import jwt
from management_spec import documented_statuses, official_spec, response_validator

JSON = "application/json; charset=utf-8"
LISTS = ("/api/v2/clients", "/api/v2/client-grants", "/api/v2/connections", "/api/v2/resource-servers",
         "/api/v2/users")


def conforms(operation: str, response: requests.Response, status: int, *,
             documented_as: int | None = None):
    """The body of a success, checked against the spec's response schema for `operation`.
    `documented_as` names the status the spec documents the body under when Auth0 answers
    another one (PATCH /resource-servers: documented 201, answered 200 by real tenants)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == JSON
    body = response.json()
    validator = response_validator(operation, documented_as or status)
    assert validator is not None, f"the spec documents no JSON body for {operation}"
    # A list schema is `oneOf` offset/checkpoint shapes whose properties are all optional: a body
    # matching both is the spec's oneOf meaning anyOf, not a wrong body.
    errors = [e for e in validator.iter_errors(body) if not (e.validator == "oneOf" and not e.context)]
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return body


def assert_error(response: requests.Response, status: int, message: str, error_code: str | None = None,
                 *, operation: str | None = None) -> None:
    """The exact hapi/Boom envelope; with `operation`, the status must be one the spec lists."""
    expected = {"statusCode": status, "error": HTTPStatus(status).phrase, "message": message}
    if error_code is not None:
        expected["errorCode"] = error_code
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == JSON
    assert response.json() == expected
    if operation is not None and official_spec() is not None:
        assert status in documented_statuses(operation), f"{operation} answered {status}"


def invalid_body(message: str) -> dict:
    return {"statusCode": 400, "error": "Bad Request", "errorCode": "invalid_body",
            "message": f"Payload validation error: {message}"}


def state(api: Api) -> dict:
    """Everything the Management API shows about the tenant's configuration and users."""
    return {path: api.get(path).json() for path in LISTS}


def scoped(mockidp, *scopes: str) -> Api:
    """A Management API client whose token holds only `scopes`."""
    return Api(mockidp.url, mockidp.management_token(scope=" ".join(scopes)))


def client_credentials(mockidp, client_id: str, client_secret: str | None, audience: str,
                       **extra) -> requests.Response:
    body = {"grant_type": "client_credentials", "client_id": client_id, "audience": audience, **extra}
    if client_secret is not None:
        body["client_secret"] = client_secret
    return requests.post(f"{mockidp.url}/oauth/token", json=body, timeout=30)


def management_audience(mockidp) -> str:
    return f"{mockidp.url}/api/v2/"


def shown_management_audience(mockidp) -> str:
    """How the Management API's identifier reads back: https and the caller's host."""
    return f"https://{mockidp.url.split('://', 1)[1]}/api/v2/"


def claims(token: str) -> dict:
    return jwt.get_unverified_claims(token)


def unauthorized_client() -> dict:
    return {"error": "access_denied", "error_description": "Unauthorized"}
