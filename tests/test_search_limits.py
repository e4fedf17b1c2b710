"""User search cannot be turned against the server: wildcards match in linear time (no
backtracking regex), queries past Auth0-like limits get a 400, and matching runs outside the
tenant lock."""
from __future__ import annotations

import fnmatch
import random

import pytest
from conftest import new_user

from mockidp.core.directory.search import MAX_QUERY_LENGTH, MAX_QUERY_TERMS
from mockidp.core.directory.wildcards import parse_wildcard

REDOS_QUERY = "name:*a*a*a*a*a*a*a*a*a*a*a*b"


def test_redos_wildcard_answers_at_once(api, mockidp):
    """With a backtracking regex this query runs for minutes (the request timeout fails it)."""
    new_user(api, name="a" * 196)
    new_user(api, email="other@example.com", name="a" * 40 + "b")
    response = api.get("/api/v2/users", params={"q": REDOS_QUERY, "search_engine": "v3"})
    assert response.status_code == 200, response.text
    assert [user["name"] for user in response.json()] == ["a" * 40 + "b"]


def test_a_query_longer_than_the_limit_is_refused(api):
    query = "name:" + "a" * MAX_QUERY_LENGTH
    response = api.get("/api/v2/users", params={"q": query})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errorCode"] == "invalid_query_string"
    assert f"maximum {MAX_QUERY_LENGTH}" in body["message"]
    at_limit = api.get("/api/v2/users", params={"q": query[:MAX_QUERY_LENGTH]})
    assert at_limit.status_code == 200, at_limit.text


def test_a_megabyte_query_is_refused_quickly(api):
    """Past the 32 KiB request line the server refuses it before the API parses it (414, as
    Auth0's edge does); between the q limit and that, the API's 400 above answers."""
    response = api.get("/api/v2/users", params={"q": "a " * 500_000})
    assert response.status_code == 414, response.text
    assert response.json() == {"statusCode": 414, "error": "Request-URI Too Large",
                               "message": "The request line is too long."}


def test_too_many_terms_are_refused(api):
    query = "x " * (MAX_QUERY_TERMS + 1)
    assert len(query) <= MAX_QUERY_LENGTH  # refused for its terms, not its length
    response = api.get("/api/v2/users", params={"q": query})
    assert response.status_code == 400, response.text
    assert "maxClauseCount" in response.json()["message"]
    fewer = api.get("/api/v2/users", params={"q": "x " * MAX_QUERY_TERMS})
    assert fewer.status_code == 200, fewer.text


@pytest.mark.parametrize("seed", range(5))
def test_wildcards_agree_with_fnmatch(seed):
    """The linear matcher means what a shell glob of * and ? means, on random cases."""
    rng = random.Random(seed)
    for _ in range(400):
        pattern = "".join(rng.choice("ab*?") for _ in range(rng.randint(1, 7)))
        text = "".join(rng.choice("ab") for _ in range(rng.randint(0, 9)))
        compiled = parse_wildcard(pattern)
        if compiled is None:
            continue
        assert compiled.fullmatch(text) == fnmatch.fnmatchcase(text, pattern), (pattern, text)


def test_escaped_wildcards_are_literal():
    pattern = parse_wildcard("a\\*b*")
    assert pattern.fullmatch("a*bcd") and not pattern.fullmatch("axbcd")
    assert parse_wildcard("a\\*b") is None
