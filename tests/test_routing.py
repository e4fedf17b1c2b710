"""The app's rule class compiles URL builders lazily; routing and url_for must behave as werkzeug's."""
from __future__ import annotations

import flask
import pytest

from mockidp.api.routing import LazyBuilderRule
from mockidp.app import create_app
from mockidp.runtime import build_tenant


@pytest.fixture(scope="module")
def app() -> flask.Flask:
    return create_app(build_tenant())


def test_every_rule_uses_the_lazy_builder_class(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert rules and all(isinstance(rule, LazyBuilderRule) for rule in rules)


def test_url_for_builds_like_werkzeug(app):
    with app.test_request_context():
        assert flask.url_for("control.health") == "/_mock/health"
        assert flask.url_for("control.health", extra="1 2") == "/_mock/health?extra=1+2"
        assert flask.url_for("management.GET /users/{id}", id="auth0|abc") == "/api/v2/users/auth0%7Cabc"
        assert flask.url_for("control.health", _external=True) == "http://localhost/_mock/health"


def test_routes_still_match(mockidp, anonymous):
    assert anonymous.get("/_mock/health").status_code == 200
    assert anonymous.get("/api/v2/users/auth0%7Cabc").status_code == 401  # routed, then refused
    assert anonymous.get("/api/v2/nowhere").status_code == 404
