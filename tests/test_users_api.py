"""/api/v2/users and /api/v2/users-by-email over HTTP, held to what real Auth0 returns
(reference/auth0-api.md §1, §2 and §16)."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

import pytest
from conftest import Api, new_user
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from management_spec import insufficient_scope_body

from mockidp.core.tokens import jwt as tokens

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Sup3r$ecret!"
AUTH0_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
ABSENT_UNTIL_SET = ("logins_count", "last_login", "last_ip", "blocked", "user_metadata",
                    "app_metadata", "last_password_reset", "username", "phone_number",
                    "given_name", "family_name", "password")
FIXTURE_EMAILS = ["alice@example.com", "bob@example.com", "carol@example.com"]


def user_path(user_id: str) -> str:
    return "/api/v2/users/" + quote(user_id, safe="")


def emails(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [user["email"] for user in response.json()]


def search(api: Api, q: str, **params) -> list[str]:
    return emails(api.get("/api/v2/users", params={"q": q, "search_engine": "v3", **params}))


def user_count(api: Api) -> int:
    return api.get("/api/v2/users", params={"include_totals": "true", "per_page": 0}).json()["total"]


def record_logins(mockidp, user_id: str, count: int, last_login: str) -> None:
    """No login endpoint exists yet: store what a login leaves on a profile, straight in the tenant."""
    tenant = mockidp.tenant
    with tenant.lock:
        previous = tenant.directory.users[user_id]
        profile = {**previous.profile, "logins_count": count, "last_login": last_login,
                   "last_ip": "203.0.113.7"}
        tenant.directory.put_user(previous._replace(profile=profile), previous)


def gravatar(email: str) -> str:
    digest = hashlib.md5(email.encode()).hexdigest()  # noqa: S324 - gravatar's scheme
    return (f"https://s.gravatar.com/avatar/{digest}?s=480&r=pg&d="
            f"https%3A%2F%2Fcdn.auth0.com%2Favatars%2F{email[:2]}.png")


# --- POST /api/v2/users ------------------------------------------------------------------------

def test_create_applies_auth0_defaults(api):
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "password": PASSWORD,
                                               "email": "Jane.Doe@Example.COM"})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    user = response.json()
    assert user["email"] == "jane.doe@example.com"
    assert user["email_verified"] is False
    assert user["name"] == "jane.doe@example.com"
    assert user["nickname"] == "jane.doe"
    assert user["picture"] == gravatar("jane.doe@example.com")
    suffix = user["identities"][0]["user_id"]
    assert re.fullmatch(r"[0-9a-f]{24}", suffix)
    assert user["user_id"] == f"auth0|{suffix}"
    assert user["identities"] == [{"connection": CONNECTION, "user_id": suffix, "provider": "auth0",
                                   "isSocial": False}]
    assert AUTH0_TIMESTAMP.fullmatch(user["created_at"])
    assert user["created_at"] == user["updated_at"]
    assert not set(ABSENT_UNTIL_SET) & set(user), "never-set attributes must be absent, not null"


def test_created_user_reads_back_identically(api):
    created = new_user(api)
    assert api.get(user_path(created["user_id"])).json() == created


def test_created_at_is_the_mock_clock(api, mockidp):
    now = mockidp.freeze()["now"]
    user = new_user(api)
    assert user["created_at"] == user["updated_at"] == now


def test_create_keeps_given_attributes(api):
    user = new_user(api, email_verified=True, given_name="Chuck", family_name="Sanchez",
                    name="Chuck Sanchez", nickname="Chucky", picture="https://example.com/chuck.jpg",
                    blocked=False, user_metadata={"favourite_attack": "roundhouse_kick"},
                    app_metadata={"facts": ["count_to_infinity_twice"]})
    assert {key: user[key] for key in ("email_verified", "given_name", "family_name", "name",
                                       "nickname", "picture", "blocked", "user_metadata",
                                       "app_metadata")} == {
        "email_verified": True, "given_name": "Chuck", "family_name": "Sanchez",
        "name": "Chuck Sanchez", "nickname": "Chucky", "picture": "https://example.com/chuck.jpg",
        "blocked": False, "user_metadata": {"favourite_attack": "roundhouse_kick"},
        "app_metadata": {"facts": ["count_to_infinity_twice"]}}


def test_custom_user_id_gets_the_auth0_prefix(api):
    user = new_user(api, user_id="testaccuser")
    assert user["user_id"] == "auth0|testaccuser"
    assert user["identities"][0]["user_id"] == "testaccuser"
    assert api.get(user_path("auth0|testaccuser")).status_code == 200


@pytest.mark.parametrize("second_email", ["twice@example.com", "TWICE@Example.com"])
def test_duplicate_email_in_the_connection_conflicts(api, second_email):
    new_user(api, email="twice@example.com")
    before = user_count(api)
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "email": second_email,
                                               "password": PASSWORD})
    assert response.status_code == 409
    assert response.json() == {"statusCode": 409, "error": "Conflict",
                               "message": "The user already exists.", "errorCode": "auth0_idp_error"}
    assert user_count(api) == before


def test_duplicate_custom_user_id_conflicts(api):
    new_user(api, user_id="same", email="one@example.com")
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "two@example.com",
                                               "password": PASSWORD, "user_id": "same"})
    assert response.status_code == 409
    assert response.json()["errorCode"] == "auth0_idp_error"


@pytest.mark.parametrize("password", ["Sh0rt!", "onlylowercaseletters", "lowercase123",
                                      "UPPERandlower", "12345678!@"])
def test_password_too_weak_for_the_good_policy(api, password):
    before = user_count(api)
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "weak@example.com",
                                               "password": password})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "PasswordStrengthError: Password is too weak"
    assert (body["statusCode"], body["error"]) == (400, "Bad Request")
    assert user_count(api) == before


@pytest.mark.parametrize("password", ["lowercase123!", "Upper1lower", "UPPER-lower-123"])
def test_three_character_classes_satisfy_the_good_policy(api, password):
    assert new_user(api, email="strong@example.com", password=password)["email"] == "strong@example.com"


def test_unknown_connection_is_a_bad_request(api):
    response = api.post("/api/v2/users", json={"connection": "No-Such-Connection",
                                               "email": "x@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "error": "Bad Request",
                               "message": "The connection does not exist.",
                               "errorCode": "inexistent_connection"}


@pytest.mark.parametrize("missing", ["connection", "password"])
def test_missing_required_property(api, missing):
    body = {"connection": CONNECTION, "email": "x@example.com", "password": PASSWORD}
    del body[missing]
    response = api.post("/api/v2/users", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400, "error": "Bad Request", "errorCode": "invalid_body",
        "message": f"Payload validation error: 'Missing required property: {missing}'."}


def test_invalid_email_quotes_the_value(api):
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "not-an-email",
                                               "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["message"] == ("Payload validation error: 'Object didn't pass validation "
                                          "for format email: not-an-email' on property email "
                                          "(The user's email).")


# --- GET /api/v2/users/{id} --------------------------------------------------------------------

def test_get_with_fields(api):
    user = new_user(api)
    picked = api.get(user_path(user["user_id"]), params={"fields": "email,user_id"}).json()
    assert picked == {"email": user["email"], "user_id": user["user_id"]}
    rest = api.get(user_path(user["user_id"]),
                   params={"fields": "email,user_id", "include_fields": "false"}).json()
    assert "email" not in rest and "user_id" not in rest
    assert rest["identities"] == user["identities"]


def test_get_with_unknown_field_is_a_query_error(api):
    user = new_user(api)
    response = api.get(user_path(user["user_id"]), params={"fields": "id,email"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"
    assert response.json()["message"].startswith(
        "Query validation error: 'String 'id,email' does not match pattern. Must be a comma "
        "separated list of the following values: phone_number,email,email_verified,picture,")


def test_get_inexistent_user(api):
    response = api.get(user_path("auth0|000000000000000000000000"))
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "error": "Not Found",
                               "message": "The user does not exist.", "errorCode": "inexistent_user"}


# --- PATCH /api/v2/users/{id} ------------------------------------------------------------------

def patch(api: Api, user: dict, body: dict):
    return api.patch(user_path(user["user_id"]), json=body)


def test_metadata_merges_one_level_and_null_deletes(api):
    user = new_user(api, user_metadata={"baz": "qux", "foo": "bar", "prefs": {"a": 1, "b": 2}})
    response = patch(api, user, {"user_metadata": {"baz": None, "foo": "bars", "prefs": {"a": 3}}})
    assert response.status_code == 200
    assert response.json()["user_metadata"] == {"foo": "bars", "prefs": {"a": 3}}


def test_app_metadata_merges_too(api):
    user = new_user(api, app_metadata={"plan": "free", "roles": ["a"]})
    updated = patch(api, user, {"app_metadata": {"plan": "pro"}}).json()
    assert updated["app_metadata"] == {"plan": "pro", "roles": ["a"]}


def test_empty_objects_clear_metadata(api):
    user = new_user(api, user_metadata={"a": 1}, app_metadata={"b": 2})
    updated = patch(api, user, {"user_metadata": {}, "app_metadata": {}}).json()
    assert updated["user_metadata"] == {}  # what real Auth0 returned
    assert "app_metadata" not in updated
    assert api.get(user_path(user["user_id"])).json() == updated


def test_password_change_sets_last_password_reset(api, mockidp):
    user = new_user(api)
    mockidp.freeze()
    now = mockidp.advance(60)["now"]
    updated = patch(api, user, {"password": "An0ther$ecret", "connection": CONNECTION}).json()
    assert updated["last_password_reset"] == updated["updated_at"] == now
    assert updated["created_at"] == user["created_at"]


def test_weak_password_on_patch_is_refused(api):
    user = new_user(api)
    response = patch(api, user, {"password": "weak"})
    assert response.status_code == 400
    assert response.json()["message"] == "PasswordStrengthError: Password is too weak"
    assert api.get(user_path(user["user_id"])).json() == user


def test_email_change_lowercases_and_unverifies(api):
    user = new_user(api, email="old@example.com", email_verified=True)
    updated = patch(api, user, {"email": "New.Address@Example.com"}).json()
    assert updated["email"] == "new.address@example.com"
    assert updated["email_verified"] is False
    assert emails(api.get("/api/v2/users-by-email", params={"email": "new.address@example.com"})) == [
        "new.address@example.com"]
    assert api.get("/api/v2/users-by-email", params={"email": "old@example.com"}).json() == []


def test_email_change_keeps_verified_when_told(api):
    user = new_user(api, email="old@example.com")
    updated = patch(api, user, {"email": "new@example.com", "email_verified": True}).json()
    assert (updated["email"], updated["email_verified"]) == ("new@example.com", True)


def test_email_change_to_a_taken_address_conflicts(api):
    user = new_user(api, email="mine@example.com")
    response = patch(api, user, {"email": "ALICE@example.com"})
    assert response.status_code == 409
    assert response.json()["message"] == "The user already exists."
    assert api.get(user_path(user["user_id"])).json() == user


@pytest.mark.parametrize("first, second", [("password", "email"), ("password", "email_verified"),
                                           ("password", "username"), ("username", "email"),
                                           ("username", "email_verified")])
def test_incompatible_attribute_pairs_are_refused(api, first, second):
    user = new_user(api, username="pairs")
    values = {"password": "An0ther$ecret", "email": "other@example.com", "email_verified": True,
              "username": "renamed"}
    response = patch(api, user, {first: values[first], second: values[second]})
    assert response.status_code == 400
    assert response.json()["message"] == f"Cannot update {first} and {second} simultaneously"
    assert api.get(user_path(user["user_id"])).json() == user


def test_username_cannot_be_added_to_a_user_without_one(api):
    user = new_user(api)
    response = patch(api, user, {"username": "newname"})
    assert response.status_code == 400
    assert response.json()["message"] == ("Cannot update username for users without an username "
                                          "already set.")
    assert api.get(user_path(user["user_id"])).json() == user


def test_username_change_is_lowercased(api):
    user = new_user(api, username="first")
    assert patch(api, user, {"username": "Second"}).json()["username"] == "second"


def test_attributes_set_to_null_are_removed(api):
    user = new_user(api, given_name="Jane", family_name="Doe", phone_number="+15555550100")
    updated = patch(api, user, {"given_name": None, "family_name": None, "phone_number": None}).json()
    assert not {"given_name", "family_name", "phone_number"} & set(updated)
    assert updated["email"] == user["email"]


def test_updated_at_follows_the_mock_clock(api, mockidp):
    created_at = mockidp.freeze()["now"]
    user = new_user(api)
    later = mockidp.advance(60)["now"]
    updated = patch(api, user, {"name": "Renamed"}).json()
    assert updated["created_at"] == created_at
    assert updated["updated_at"] == later
    assert later[:19] != created_at[:19]


def test_patch_inexistent_user(api):
    response = api.patch(user_path("auth0|000000000000000000000000"), json={"name": "x"})
    assert response.status_code == 404
    assert response.json()["errorCode"] == "inexistent_user"


def test_app_metadata_scope_may_update_only_metadata(api, mockidp):
    user = new_user(api)
    limited = Api(mockidp.url, mockidp.management_token(scope="update:users_app_metadata"))
    allowed = limited.patch(user_path(user["user_id"]), json={"app_metadata": {"plan": "pro"}})
    assert allowed.status_code == 200 and allowed.json()["app_metadata"] == {"plan": "pro"}
    refused = limited.patch(user_path(user["user_id"]), json={"name": "Not allowed"})
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "insufficient_scope"


# --- DELETE /api/v2/users/{id} -----------------------------------------------------------------

def test_delete_is_idempotent(api):
    user = new_user(api)
    first = api.delete(user_path(user["user_id"]))
    assert (first.status_code, first.content) == (204, b"")
    assert api.get(user_path(user["user_id"])).status_code == 404
    again = api.delete(user_path(user["user_id"]))
    assert (again.status_code, again.content) == (204, b"")


def test_deleted_email_can_sign_up_again(api):
    user = new_user(api, email="again@example.com")
    api.delete(user_path(user["user_id"]))
    assert new_user(api, email="again@example.com")["user_id"] != user["user_id"]


# --- GET /api/v2/users -------------------------------------------------------------------------

def test_list_is_a_bare_array_in_creation_order(api):
    assert emails(api.get("/api/v2/users")) == FIXTURE_EMAILS


def test_list_with_totals(api):
    body = api.get("/api/v2/users", params={"include_totals": "true", "per_page": 2, "page": 1}).json()
    assert list(body) == ["start", "limit", "length", "users", "total"]
    assert {key: body[key] for key in ("start", "limit", "length", "total")} == {
        "start": 2, "limit": 2, "length": 1, "total": 3}
    assert [user["email"] for user in body["users"]] == ["carol@example.com"]


def test_list_defaults_in_totals(api):
    body = api.get("/api/v2/users", params={"include_totals": "true"}).json()
    assert (body["start"], body["limit"], body["length"], body["total"]) == (0, 50, 3, 3)


def test_page_past_the_end_is_empty(api):
    assert api.get("/api/v2/users", params={"page": 5, "per_page": 10}).json() == []


def test_per_page_above_100_is_a_query_error(api):
    response = api.get("/api/v2/users", params={"per_page": 101})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400, "error": "Bad Request", "errorCode": "invalid_query_string",
        "message": "Query validation error: 'Value 101 is greater than maximum 100' on property "
                   "per_page (Number of results per page)."}


@pytest.mark.parametrize("page, per_page", [(10, 100), (20, 50), (1000, 1)])
def test_paging_beyond_the_first_1000_results(api, page, per_page):
    response = api.get("/api/v2/users", params={"page": page, "per_page": per_page})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400, "error": "Bad Request", "errorCode": "invalid_paging",
        "message": "You can only page through the first 1000 records. See "
                   "https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation"}


@pytest.mark.parametrize("page, per_page", [(9, 100), (19, 50), (999, 1)])
def test_last_pages_within_1000_results_are_allowed(api, page, per_page):
    assert api.get("/api/v2/users", params={"page": page, "per_page": per_page}).json() == []


def test_sort_by_created_at_descending(api, mockidp):
    mockidp.freeze()
    for name in ("first", "second", "third"):
        mockidp.advance(1)
        new_user(api, email=f"{name}@example.org")
    newest_first = emails(api.get("/api/v2/users", params={"sort": "created_at:-1", "per_page": 3}))
    assert newest_first == ["third@example.org", "second@example.org", "first@example.org"]


def test_sort_by_email_ascending(api):
    new_user(api, email="aaron@example.com")
    new_user(api, email="zed@example.com")
    assert emails(api.get("/api/v2/users", params={"sort": "email:1"})) == [
        "aaron@example.com", *FIXTURE_EMAILS, "zed@example.com"]


def test_bad_sort_is_a_query_error(api):
    response = api.get("/api/v2/users", params={"sort": "email:2"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"


def test_list_with_fields(api):
    listed = api.get("/api/v2/users", params={"fields": "email,user_id"}).json()
    assert [sorted(user) for user in listed] == [["email", "user_id"]] * 3
    excluded = api.get("/api/v2/users", params={"fields": "identities", "include_fields": "false"}).json()
    assert all("identities" not in user and "email" in user for user in excluded)


# --- search (q, search_engine=v3) --------------------------------------------------------------

def test_search_email_exact_and_case_insensitive(api):
    assert search(api, 'email:"alice@example.com"') == ["alice@example.com"]
    assert search(api, "email:ALICE@EXAMPLE.COM") == ["alice@example.com"]
    assert search(api, 'email:"alice@example"') == []


def test_search_quoted_phrase(api):
    assert search(api, 'name:"Alice Example"') == ["alice@example.com"]
    assert search(api, 'name:"Example Alice"') == []


def test_search_wildcards(api):
    assert search(api, "email:b*") == ["bob@example.com"]
    assert search(api, "email:*example.com") == FIXTURE_EMAILS
    assert search(api, "name:*lice*") == ["alice@example.com"]


def test_search_app_metadata_boolean(api):
    assert search(api, "app_metadata.block_unverified_pw_reset:true") == ["bob@example.com"]
    assert search(api, "app_metadata.block_unverified_pw_reset:false") == []


def test_search_nested_user_metadata(api):
    new_user(api, email="dark@example.com", user_metadata={"prefs": {"theme": "dark", "size": 13}})
    new_user(api, email="light@example.com", user_metadata={"prefs": {"theme": "light"}})
    assert search(api, 'user_metadata.prefs.theme:"dark"') == ["dark@example.com"]
    assert search(api, "user_metadata.prefs.size:13") == ["dark@example.com"]


def test_search_logins_count_ranges(api, mockidp):
    users = {user["email"]: user["user_id"] for user in api.get("/api/v2/users").json()}
    record_logins(mockidp, users["alice@example.com"], 5, "2030-01-02T03:04:05.006Z")
    record_logins(mockidp, users["bob@example.com"], 1, "2030-01-01T00:00:00.000Z")
    assert search(api, "logins_count:[2 TO *]") == ["alice@example.com"]
    assert search(api, "logins_count:[1 TO 5]") == ["alice@example.com", "bob@example.com"]
    assert search(api, "logins_count:{1 TO 5}") == []
    assert search(api, "last_login:[2030-01-02 TO *]") == ["alice@example.com"]


def test_search_exists(api, mockidp):
    assert search(api, "_exists_:app_metadata.plan") == ["alice@example.com"]
    assert search(api, "_exists_:logins_count") == []
    assert search(api, "NOT _exists_:logins_count OR logins_count:0") == FIXTURE_EMAILS


def test_search_boolean_operators(api):
    assert search(api, 'email:"alice@example.com" OR email:"bob@example.com"') == FIXTURE_EMAILS[:2]
    assert search(api, "email_verified:true AND blocked:true") == ["carol@example.com"]
    assert search(api, "email_verified:true AND NOT blocked:true") == ["alice@example.com"]
    assert search(api, 'NOT email:"bob@example.com"') == ["alice@example.com", "carol@example.com"]
    assert search(api, 'email:("alice@example.com" OR "carol@example.com")') == [
        "alice@example.com", "carol@example.com"]


def test_search_identities_connection(api):
    assert search(api, f'identities.connection:"{CONNECTION}"') == FIXTURE_EMAILS


def test_search_with_totals_counts_matches(api):
    body = api.get("/api/v2/users", params={"q": "email_verified:true", "include_totals": "true",
                                            "per_page": 1}).json()
    assert (body["length"], body["total"]) == (1, 2)


@pytest.mark.parametrize("q", ['email:"unterminated', "name:(alice", "email:a AND", "user_metadata.x:a*"])
def test_search_syntax_error(api, q):
    response = api.get("/api/v2/users", params={"q": q, "search_engine": "v3"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"statusCode", "error", "message", "errorCode"}
    assert (body["statusCode"], body["error"], body["errorCode"]) == (400, "Bad Request",
                                                                      "invalid_query_string")
    assert body["message"].startswith("Query validation error: '")


# --- GET /api/v2/users-by-email ----------------------------------------------------------------

def test_users_by_email_is_always_an_array(api):
    assert emails(api.get("/api/v2/users-by-email", params={"email": "alice@example.com"})) == [
        "alice@example.com"]
    assert api.get("/api/v2/users-by-email", params={"email": "nobody@example.com"}).json() == []


def test_users_by_email_is_case_sensitive_against_the_stored_address(api):
    new_user(api, email="Mixed.Case@Example.com")
    assert api.get("/api/v2/users-by-email", params={"email": "Mixed.Case@Example.com"}).json() == []
    assert emails(api.get("/api/v2/users-by-email", params={"email": "mixed.case@example.com"})) == [
        "mixed.case@example.com"]


def test_users_by_email_with_fields(api):
    found = api.get("/api/v2/users-by-email",
                    params={"email": "alice@example.com", "fields": "email,name"}).json()
    assert found == [{"email": "alice@example.com", "name": "Alice Example"}]


def test_users_by_email_requires_email(api):
    response = api.get("/api/v2/users-by-email")
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "error": "Bad Request",
                               "errorCode": "invalid_query_string",
                               "message": "Query validation error: 'Missing required property: email'."}


# --- authorization -----------------------------------------------------------------------------

def token_for(mockidp, *, audience: str | None = None, scope: str = "read:users",
              lifetime: int = 86400) -> str:
    """A token signed with the tenant key, for claims /oauth/token would not issue."""
    claims = tokens.access_token_claims(
        issuer=f"{mockidp.url}/", subject="someone@clients", client_id="someone",
        audience=audience or f"{mockidp.url}/api/v2/", scope=scope,
        issued_at=mockidp.tenant.clock.timestamp(), lifetime=lifetime, grant_type="client-credentials")
    return tokens.sign(mockidp.tenant.keys.signing_key, claims)


def foreign_token(mockidp, kid: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    claims = jwt.get_unverified_claims(token_for(mockidp))
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


def unauthorized_body(message: str) -> dict:
    return {"statusCode": 401, "error": "Unauthorized", "message": message,
            "attributes": {"error": message}}


def test_missing_authorization(anonymous):
    response = anonymous.get("/api/v2/users")
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "error": "Unauthorized",
                               "message": "Missing authentication"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_another_scheme_is_missing_authentication(anonymous):
    response = anonymous.get("/api/v2/users", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response.json()["message"] == "Missing authentication"


@pytest.mark.parametrize("header", ["Bearer", "Bearer opaque-token-without-dots", "Bearer a.b c.d.e",
                                    "eyJhbGciOiJSUzI1NiJ9.e30.sig"])
def test_malformed_authorization_header(anonymous, header):
    response = anonymous.get("/api/v2/users", headers={"Authorization": header})
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "error": "Bad Request",
                               "message": "Bad HTTP authentication header format",
                               "errorCode": "Bearer"}


@pytest.mark.parametrize("garbage", ["not.a.jwt", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", ".."])
def test_garbage_token(anonymous, garbage):
    response = anonymous.get("/api/v2/users", headers={"Authorization": f"Bearer {garbage}"})
    assert response.status_code == 401
    assert response.json() == unauthorized_body("Invalid token")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="Invalid token"'


def test_token_signed_by_another_key(anonymous, mockidp):
    unknown_kid = foreign_token(mockidp, kid="someOtherKeyId")
    response = anonymous.get("/api/v2/users", headers={"Authorization": f"Bearer {unknown_kid}"})
    assert (response.status_code, response.json()) == (401, unauthorized_body("Invalid token"))
    same_kid = foreign_token(mockidp, kid=mockidp.tenant.keys.signing_key.kid)
    response = anonymous.get("/api/v2/users", headers={"Authorization": f"Bearer {same_kid}"})
    assert (response.status_code, response.json()) == (
        401, unauthorized_body("Invalid signature received for JSON Web Token validation"))


def test_expired_token(mockidp):
    mockidp.freeze()
    client = Api(mockidp.url, mockidp.management_token())
    mockidp.advance(86399)
    assert client.get("/api/v2/users").status_code == 200
    mockidp.advance(1)
    response = client.get("/api/v2/users")
    assert response.status_code == 401
    assert response.json() == unauthorized_body("Expired token received for JSON Web Token validation")


def test_token_for_another_audience(anonymous, mockidp):
    token = token_for(mockidp, audience="https://api.example.com/")
    response = anonymous.get("/api/v2/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == unauthorized_body("Bad audience: https://api.example.com/")


def test_token_for_the_management_api_among_others(anonymous, mockidp):
    token = token_for(mockidp, audience=[f"{mockidp.url}/api/v2/", f"{mockidp.url}/userinfo"])
    response = anonymous.get("/api/v2/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("operation, method, path, body", [
    ("POST /users", "POST", "/api/v2/users",
     {"connection": CONNECTION, "email": "scoped@example.com", "password": PASSWORD}),
    ("GET /users", "GET", "/api/v2/users", None),
    ("GET /users/{id}", "GET", "/api/v2/users/auth0%7Cabc", None),
    ("PATCH /users/{id}", "PATCH", "/api/v2/users/auth0%7Cabc", {"name": "x"}),
    ("DELETE /users/{id}", "DELETE", "/api/v2/users/auth0%7Cabc", None),
    ("GET /users-by-email", "GET", "/api/v2/users-by-email?email=alice@example.com", None),
])
def test_missing_scope_names_the_scopes_the_spec_requires(mockidp, api, operation, method, path, body):
    before = user_count(api)
    unrelated = Api(mockidp.url, mockidp.management_token(scope="read:clients"))
    response = unrelated.request(method, path, json=body)
    assert response.status_code == 403
    assert response.json() == insufficient_scope_body(operation)
    assert user_count(api) == before
