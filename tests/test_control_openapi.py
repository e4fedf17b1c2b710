"""The control plane's own OpenAPI document: valid OpenAPI 3.1, one entry per /_mock route, and
real responses that fit its schemas."""
from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from mockidp.app import create_app
from mockidp.runtime import build_tenant

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def document(mockidp_server) -> dict:
    response = mockidp_server.control("GET", "/openapi.json")
    return response


def registered_control_operations() -> set[tuple[str, str]]:
    app = create_app(build_tenant())
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/_mock"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            operations |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return operations


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method != "parameters"}


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_control_route_is_documented_and_nothing_else(document):
    assert documented_operations(document) == registered_control_operations()


def schema(document: dict, name: str) -> Draft202012Validator:
    """A component schema with the document's components alongside, so its $refs resolve."""
    return Draft202012Validator({**document["components"]["schemas"][name],
                                 "components": document["components"]})


def test_responses_fit_the_documented_schemas(mockidp, document, api):
    schema(document, "Health").validate(mockidp.control("GET", "/health"))
    schema(document, "Clock").validate(mockidp.clock())
    schema(document, "Settings").validate(mockidp.control("GET", "/settings"))
    created = api.post("/api/v2/users", json={"connection": "Username-Password-Authentication",
                                              "email": "doc@example.com", "password": "Sup3r$ecret!"})
    assert created.status_code == 201
    messages = mockidp.outbox()
    assert messages, "creating a user sends a verification email"
    for message in messages:
        schema(document, "Message").validate(message)


def test_bad_input_answers_the_documented_error_shape(anonymous, document):
    response = anonymous.post("/_mock/clock/advance", json={"seconds": -5})
    assert response.status_code == 400
    schema(document, "Error").validate(response.json())


def test_a_listener_tenants_address_and_port_errors_fit_the_document(mockidp, document, anonymous):
    made = anonymous.post("/_mock/tenants", json={"name": "openapi-listener", "listener": True})
    try:
        assert made.status_code == 201, made.text
        schema(document, "TenantAddress").validate(made.json())
        assert set(made.json()["ports"]) == {"http", "https"}
        busy = anonymous.post("/_mock/tenants", json={"name": "openapi-busy", "port": made.json()["ports"]["http"]})
        assert busy.status_code == 409 and busy.json()["error"] == "port_in_use"
        schema(document, "Error").validate(busy.json())
        properties = document["paths"]["/_mock/tenants"]["post"]["requestBody"]["content"]["application/json"][
            "schema"]["properties"]
        assert {"listener", "port", "tls_port"} <= set(properties)
    finally:
        anonymous.delete("/_mock/tenants/openapi-listener")
