"""Account linking over HTTP: POST /api/v2/users/{id}/identities (both body forms) and
DELETE /api/v2/users/{id}/identities/{provider}/{user_id}, held to the official spec's response
schemas and to reference/auth0-api.md §3; their effects on reads, search, logins and reset."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import Api, new_user
from management_crud import assert_error, conforms
from management_spec import insufficient_scope_body
from oauth_helpers import (
    ALICE,
    BOB,
    REALM,
    WEB_ID,
    WEB_SECRET,
    token_request,
    unverified_claims,
)

from mockidp.core.tokens import jwt as tokens

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Sup3r$ecret!"
LINK = "POST /users/{id}/identities"
UNLINK = "DELETE /users/{id}/identities/{provider}/{user_id}"


def user_path(user_id: str) -> str:
    return "/api/v2/users/" + quote(user_id, safe="")


def identities_path(user_id: str) -> str:
    return user_path(user_id) + "/identities"


def unlink_path(primary_id: str, secondary_id: str) -> str:
    provider, suffix = secondary_id.split("|", 1)
    return f"{identities_path(primary_id)}/{provider}/{quote(suffix, safe='')}"


def by_email(api: Api, email: str) -> list[dict]:
    response = api.get("/api/v2/users-by-email", params={"email": email})
    assert response.status_code == 200, response.text
    return response.json()


def alice(api: Api) -> dict:
    return by_email(api, ALICE[0])[0]


def suffix_of(user: dict) -> str:
    return user["user_id"].split("|", 1)[1]


@pytest.fixture
def secondary(api: Api) -> dict:
    return new_user(api, email="second@example.com", given_name="Second", family_name="Account",
                    nickname="secondo", user_metadata={"lang": "fr"},
                    app_metadata={"plan": "gold"}, email_verified=False, verify_email=False)


def link(api: Api, primary: dict, secondary_user: dict, **extra):
    return api.post(identities_path(primary["user_id"]),
                    json={"provider": "auth0", "user_id": suffix_of(secondary_user), **extra})


def password_realm(mockidp, username: str, password: str, **extra):
    return token_request(mockidp.url, grant_type=REALM, client_id=WEB_ID, client_secret=WEB_SECRET,
                         username=username, password=password, realm=CONNECTION, **extra)


# --- link: provider + user_id ------------------------------------------------------------------

def test_link_returns_the_primarys_new_identities(api, secondary):
    primary = alice(api)
    response = link(api, primary, secondary)
    body = conforms(LINK, response, 201)
    assert body == [
        primary["identities"][0],
        {"profileData": {"email": "second@example.com", "email_verified": False,
                         "name": "second@example.com", "given_name": "Second", "family_name": "Account",
                         "nickname": "secondo", "picture": secondary["picture"]},
         "connection": CONNECTION, "user_id": suffix_of(secondary), "provider": "auth0", "isSocial": False},
    ]
    assert list(body[1]) == ["profileData", "connection", "user_id", "provider", "isSocial"]


def test_link_accepts_the_full_id_and_a_connection_id(api, secondary, mockidp):
    connection_id = api.get("/api/v2/connections", params={"name": CONNECTION}).json()[0]["id"]
    response = api.post(identities_path(alice(api)["user_id"]), json={
        "provider": "auth0", "user_id": secondary["user_id"], "connection_id": connection_id})
    assert [i["user_id"] for i in conforms(LINK, response, 201)][1] == suffix_of(secondary)


def test_primary_keeps_its_id_and_root_attributes(api, secondary, mockidp):
    before = alice(api)
    mockidp.advance(60)
    api_now = Api(mockidp.url, mockidp.management_token())
    identities = link(api_now, before, secondary).json()
    after = api_now.get(user_path(before["user_id"])).json()
    assert after["identities"] == identities
    assert after["updated_at"] > before["updated_at"]
    unchanged = {k: v for k, v in after.items() if k not in ("identities", "updated_at")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("identities", "updated_at")}
    assert "lang" not in str(after.get("user_metadata")) and after.get("app_metadata") == before.get("app_metadata")


def test_the_secondary_disappears_as_a_standalone_user(api, secondary):
    primary = alice(api)
    link(api, primary, secondary)
    assert_error(api.get(user_path(secondary["user_id"])), 404, "The user does not exist.", "inexistent_user")
    everyone = [u["user_id"] for u in api.get("/api/v2/users").json()]
    assert secondary["user_id"] not in everyone and primary["user_id"] in everyone
    assert api.get("/api/v2/users", params={"q": 'email:"second@example.com"'}).json() == []
    assert api.get("/api/v2/users", params={"q": "user_metadata.lang:fr"}).json() == []
    # users-by-email does not find the primary by the secondary's address (Auth0 does not either).
    assert by_email(api, "second@example.com") == []
    assert [u["user_id"] for u in by_email(api, ALICE[0])] == [primary["user_id"]]
    total = api.get("/api/v2/users", params={"include_totals": "true"}).json()["total"]
    assert total == 3


def test_the_secondarys_credentials_stay_taken_in_its_connection(api, secondary):
    link(api, alice(api), secondary)
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "second@example.com",
                                               "password": PASSWORD})
    assert_error(response, 409, "The user already exists.", "auth0_idp_error")
    response = api.post("/api/v2/users", json={"connection": CONNECTION, "email": "other@example.com",
                                               "password": PASSWORD, "user_id": suffix_of(secondary)})
    assert_error(response, 409, "The user already exists.", "auth0_idp_error")
    # ...and the primary cannot take that address while it is linked (unlink and delete first).
    response = api.patch(user_path(alice(api)["user_id"]), json={"email": "second@example.com"})
    assert_error(response, 409, "The user already exists.", "auth0_idp_error")


def test_logging_in_with_the_secondarys_credentials_signs_the_primary_in(api, secondary, mockidp):
    primary = alice(api)
    link(api, primary, secondary)
    response = password_realm(mockidp, "second@example.com", PASSWORD, scope="openid email")
    assert response.status_code == 200, response.text
    claims = unverified_claims(response.json()["id_token"])
    assert claims["sub"] == primary["user_id"] and claims["email"] == ALICE[0]
    assert api.get(user_path(primary["user_id"])).json()["logins_count"] == 1
    # its own password, not the primary's
    assert password_realm(mockidp, "second@example.com", ALICE[1]).status_code == 403
    assert password_realm(mockidp, ALICE[0], ALICE[1]).status_code == 200


# --- link: link_with ---------------------------------------------------------------------------

def user_management_token(mockidp, username: str, password: str) -> str:
    response = password_realm(mockidp, username, password, audience=f"{mockidp.url}/api/v2/",
                              scope="openid update:current_user_identities")
    assert response.status_code == 200, response.text
    assert "update:current_user_identities" in response.json()["scope"]
    return response.json()["access_token"]


def id_token(mockidp, username: str, password: str) -> str:
    response = password_realm(mockidp, username, password, scope="openid")
    assert response.status_code == 200, response.text
    return response.json()["id_token"]


def test_link_with_the_secondarys_id_token(api, mockidp, secondary):
    primary = alice(api)
    as_alice = Api(mockidp.url, user_management_token(mockidp, *ALICE))
    response = as_alice.post(identities_path(primary["user_id"]),
                             json={"link_with": id_token(mockidp, "second@example.com", PASSWORD)})
    body = conforms(LINK, response, 201)
    assert [(i["user_id"], "profileData" in i) for i in body] == [(suffix_of(primary), False),
                                                                  (suffix_of(secondary), True)]
    assert api.get(user_path(secondary["user_id"])).status_code == 404


def test_a_users_token_acts_only_on_its_own_user(api, mockidp, secondary):
    as_alice = Api(mockidp.url, user_management_token(mockidp, *ALICE))
    bob = by_email(api, BOB[0])[0]
    response = as_alice.post(identities_path(bob["user_id"]),
                             json={"link_with": id_token(mockidp, "second@example.com", PASSWORD)})
    assert_error(response, 403, "User to be acted on does not match subject in bearer token.", operation=LINK)
    response = as_alice.delete(unlink_path(bob["user_id"], secondary["user_id"]))
    assert_error(response, 403, "User to be acted on does not match subject in bearer token.", operation=UNLINK)


def signed(mockidp, claims: dict, **header) -> str:
    key = mockidp.tenant.keys.signing_key
    return tokens.sign(key, claims) if not header else tokens.sign_hs256(claims, "not-the-tenant-key")


@pytest.mark.parametrize("change, message", [
    ("garbage", "Invalid token (link_with)."),
    ("hs256", "JWT (link_with) must have an alg of RS256."),
    ("expired", "Invalid token (link_with)."),
    ("issuer", "JWT (link_with) must have the same issuer as the calling user."),
    ("audience", "JWT (link_with) must have an aud claim that matches that of the calling token's azp."),
    ("no_sub", "JWT (link_with) must contains sub claim."),
    ("unknown_sub", "JWT (link_with) contains an invalid sub claim."),
])
def test_link_with_errors(api, mockidp, secondary, change, message):
    primary = alice(api)
    as_alice = Api(mockidp.url, user_management_token(mockidp, *ALICE))
    now = mockidp.tenant.clock.timestamp()
    claims = {"iss": f"{mockidp.url}/", "aud": WEB_ID, "sub": secondary["user_id"], "iat": now, "exp": now + 600}
    token = {
        "garbage": lambda: "not-a-jwt",
        "hs256": lambda: signed(mockidp, claims, alg="HS256"),
        "expired": lambda: signed(mockidp, {**claims, "exp": now - 1}),
        "issuer": lambda: signed(mockidp, {**claims, "iss": "https://elsewhere.example.com/"}),
        "audience": lambda: signed(mockidp, {**claims, "aud": "mockidpSpaClient0000000000000000"}),
        "no_sub": lambda: signed(mockidp, {k: v for k, v in claims.items() if k != "sub"}),
        "unknown_sub": lambda: signed(mockidp, {**claims, "sub": "auth0|000000000000000000000000"}),
    }[change]()
    response = as_alice.post(identities_path(primary["user_id"]), json={"link_with": token})
    assert_error(response, 400, message, operation=LINK)
    assert api.get(user_path(secondary["user_id"])).status_code == 200


# --- link errors -------------------------------------------------------------------------------

def test_unknown_primary(api, secondary):
    response = link(api, {"user_id": "auth0|000000000000000000000000"}, secondary)
    assert_error(response, 404, "The user does not exist.", "inexistent_user")


def test_unknown_secondary(api):
    response = api.post(identities_path(alice(api)["user_id"]),
                        json={"provider": "auth0", "user_id": "000000000000000000000000"})
    assert_error(response, 400, "Provided secondary account not found.", operation=LINK)


def test_linking_a_user_to_itself(api):
    primary = alice(api)
    assert_error(link(api, primary, primary), 400, "Main identity and the new one are the same.",
                 operation=LINK)


def test_linking_an_already_linked_identity(api, secondary):
    primary, bob = alice(api), by_email(api, BOB[0])[0]
    assert link(api, primary, secondary).status_code == 201
    for target in (primary, bob):
        assert_error(link(api, target, secondary), 409, "Specified identity already exists.", operation=LINK)
    assert len(api.get(user_path(primary["user_id"])).json()["identities"]) == 2


def test_a_primary_with_links_cannot_become_a_secondary(api, secondary):
    bob = by_email(api, BOB[0])[0]
    link(api, bob, secondary)
    response = link(api, alice(api), bob)
    assert_error(response, 400, "Unable to link with the secondary account.", operation=LINK)


def test_unknown_connection_id(api, secondary):
    response = link(api, alice(api), secondary, connection_id="con_0000000000000000")
    assert_error(response, 400, "The provider/connection is not configured.", operation=LINK)


@pytest.mark.parametrize("body, message", [
    ({"link_with": "x.y.z", "provider": "auth0"},
     "Payload validation error: 'link_with cannot be specified together with provider, user_id or "
     "connection_id'."),
    ({"provider": "auth0"}, "Payload validation error: 'Missing required property: user_id'."),
    ({"user_id": "abc"}, "Payload validation error: 'Missing required property: provider'."),
])
def test_incomplete_or_mixed_forms(api, body, message):
    assert_error(api.post(identities_path(alice(api)["user_id"]), json=body), 400, message,
                 "invalid_body", operation=LINK)


def test_body_validated_against_the_spec(api):
    response = api.post(identities_path(alice(api)["user_id"]),
                        json={"provider": "auth0", "user_id": "abc", "extra": 1})
    assert response.status_code == 400 and response.json()["errorCode"] == "invalid_body"
    response = api.post(identities_path(alice(api)["user_id"]), json={})
    assert response.status_code == 400 and response.json()["errorCode"] == "invalid_body"


@pytest.mark.parametrize("operation, method, suffix", [
    (LINK, "POST", "/identities"), (UNLINK, "DELETE", "/identities/auth0/abc")])
def test_missing_scope(mockidp, api, operation, method, suffix):
    unrelated = Api(mockidp.url, mockidp.management_token(scope="read:users"))
    response = unrelated.request(method, user_path(alice(api)["user_id"]) + suffix,
                                 json={"provider": "auth0", "user_id": "abc"} if method == "POST" else None)
    assert response.status_code == 403
    assert response.json() == insufficient_scope_body(operation)


# --- unlink ------------------------------------------------------------------------------------

def test_unlink_gives_the_secondary_back_without_metadata(api, secondary, mockidp):
    primary = alice(api)
    link(api, primary, secondary)
    response = api.delete(unlink_path(primary["user_id"], secondary["user_id"]))
    assert conforms(UNLINK, response, 200) == primary["identities"]
    standalone = api.get(user_path(secondary["user_id"])).json()
    assert standalone["user_id"] == secondary["user_id"]
    assert standalone["identities"] == secondary["identities"]
    assert "user_metadata" not in standalone and "app_metadata" not in standalone
    assert {k: v for k, v in standalone.items() if k != "updated_at"} == {
        k: v for k, v in secondary.items() if k not in ("updated_at", "user_metadata", "app_metadata")}
    assert [u["user_id"] for u in by_email(api, "second@example.com")] == [secondary["user_id"]]
    assert api.get(user_path(primary["user_id"])).json()["identities"] == primary["identities"]
    # its credentials sign it in as itself again
    response = password_realm(mockidp, "second@example.com", PASSWORD)
    assert unverified_claims(response.json()["id_token"])["sub"] == secondary["user_id"]


def test_the_main_identity_cannot_be_removed(api):
    primary = alice(api)
    assert_error(api.delete(unlink_path(primary["user_id"], primary["user_id"])), 400,
                 "Main identity cannot be removed.", operation=UNLINK)


def test_unlinking_what_is_not_linked_changes_nothing(api, secondary):
    primary = alice(api)
    response = api.delete(unlink_path(primary["user_id"], secondary["user_id"]))
    assert conforms(UNLINK, response, 200) == primary["identities"]
    assert api.get(user_path(secondary["user_id"])).status_code == 200


def test_unlink_with_an_unknown_provider_is_a_path_error(api):
    response = api.delete(identities_path(alice(api)["user_id"]) + "/not-a-provider/abc")
    assert_error(response, 400, "Path validation error: 'No enum match for: \"not-a-provider\"' on property "
                 "provider (Identity provider name of the secondary linked account (e.g. `google-oauth2`)).",
                 "invalid_uri", operation=UNLINK)


def test_a_user_unlinks_its_own_identity(api, mockidp, secondary):
    primary = alice(api)
    link(api, primary, secondary)
    as_alice = Api(mockidp.url, user_management_token(mockidp, *ALICE))
    response = as_alice.delete(unlink_path(primary["user_id"], secondary["user_id"]))
    assert conforms(UNLINK, response, 200) == primary["identities"]


def test_unlink_from_an_unknown_primary(api):
    response = api.delete(unlink_path("auth0|000000000000000000000000", "auth0|abc"))
    assert_error(response, 404, "The user does not exist.", "inexistent_user")


# --- delete, reset -----------------------------------------------------------------------------

def test_deleting_the_primary_deletes_the_secondary(api, secondary, mockidp):
    primary = alice(api)
    link(api, primary, secondary)
    assert api.delete(user_path(primary["user_id"])).status_code == 204
    assert api.get(user_path(secondary["user_id"])).status_code == 404
    assert password_realm(mockidp, "second@example.com", PASSWORD).status_code == 403
    # both addresses are free again
    new_user(api, email="second@example.com")
    new_user(api, email=ALICE[0])


def test_deleting_a_linked_secondary_by_id_does_nothing(api, secondary):
    primary = alice(api)
    link(api, primary, secondary)
    assert api.delete(user_path(secondary["user_id"])).status_code == 204
    assert len(api.get(user_path(primary["user_id"])).json()["identities"]) == 2


def test_reset_restores_the_unlinked_state(api, secondary, mockidp):
    primary = alice(api)
    link(api, primary, secondary)
    mockidp.reset()
    fresh = Api(mockidp.url, mockidp.management_token())
    assert fresh.get(user_path(primary["user_id"])).json()["identities"] == primary["identities"]
    assert fresh.get(user_path(secondary["user_id"])).status_code == 404  # created after the fixtures
    assert mockidp.tenant.directory.linked == {}
    assert password_realm(mockidp, ALICE[0], ALICE[1]).status_code == 200


# --- the official auth0-python SDK over HTTPS ----------------------------------------------------

def test_auth0_python_sdk_links_and_unlinks(mockidp, api, secondary, monkeypatch):
    from auth0.management import ManagementClient
    from auth0.management.errors import ConflictError

    from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    sdk = ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                           client_secret=DEFAULT_M2M_CLIENT_SECRET)
    primary = alice(api)
    linked = sdk.users.identities.link(primary["user_id"], provider="auth0", user_id=secondary["user_id"])
    assert [str(i.user_id) for i in linked] == [suffix_of(primary), suffix_of(secondary)]
    assert linked[1].profile_data.email == "second@example.com"
    assert linked[1].profile_data.email_verified is False
    with pytest.raises(ConflictError):
        sdk.users.identities.link(primary["user_id"], provider="auth0", user_id=suffix_of(secondary))
    remaining = sdk.users.identities.delete(primary["user_id"], "auth0", suffix_of(secondary))
    assert [str(i.user_id) for i in remaining] == [suffix_of(primary)]
    assert sdk.users.get(secondary["user_id"]).email == "second@example.com"
