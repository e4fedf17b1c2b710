"""Seed 002, end to end with real endpoints: change a user's email safely, as the forum thread
finally recommends. Re-authenticate (max_age=0), create a "shadow" user for the new address with
verify_email, link it as a secondary (the old address keeps working: rollback path), let the user
verify the new address, then promote it on the primary so the user_id never changes.

What the mock shows along the way (docs/behaviour.md, "Account linking"): the linked shadow keeps
its address taken in the connection, so the thread's literal order (PATCH the primary first) is
refused with 409; unlink and delete the shadow first, then PATCH."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import Api
from email_helpers import outbox, page_path
from management_crud import assert_error
from oauth_helpers import (
    ALICE,
    REALM,
    SPA_ID,
    WEB_ID,
    WEB_SECRET,
    Browser,
    exchange_code,
    redirect_params,
    token_request,
    unverified_claims,
    verify_id_token,
)

CONNECTION = "Username-Password-Authentication"
NOW = "2030-01-01T00:00:00Z"
NOW_TS = 1893456000
OLD_EMAIL, PASSWORD = ALICE
NEW_EMAIL = "alice@new-domain.example"
SHADOW_PASSWORD = "Shad0w-Passw0rd!"


def user_path(user_id: str) -> str:
    return "/api/v2/users/" + quote(user_id, safe="")


def password_login(mockidp, username: str, password: str):
    return token_request(mockidp.url, grant_type=REALM, client_id=WEB_ID, client_secret=WEB_SECRET,
                         username=username, password=password, realm=CONNECTION, scope="openid email")


def signed_in_as(mockidp, username: str, password: str) -> dict:
    response = password_login(mockidp, username, password)
    assert response.status_code == 200, response.text
    return unverified_claims(response.json()["id_token"])


@pytest.fixture
def browser(mockidp) -> Browser:
    mockidp.freeze(NOW)
    return Browser(mockidp.url)


@pytest.fixture
def signed_in(mockidp, browser) -> dict:
    """Alice signed in to the SPA with a refresh token, then stepped up with max_age=0."""
    code = browser.sign_in(*ALICE, scope="openid profile email offline_access")["code"]
    tokens = exchange_code(mockidp.url, code).json()
    mockidp.advance(600)
    page = browser.login_page(max_age="0", scope="openid profile email")  # forced, despite the session
    params = redirect_params(browser.post(page, data={"username": OLD_EMAIL, "password": PASSWORD}))
    step_up = verify_id_token(mockidp.url, exchange_code(mockidp.url, params["code"]).json()["id_token"])
    assert step_up["auth_time"] == NOW_TS + 600  # fresh: the app may now show the "new email" form
    return {"refresh_token": tokens["refresh_token"], "user_id": step_up["sub"]}


def start_email_change(mockidp, api: Api, anonymous: Api, user_id: str) -> dict:
    """Shadow user for the new address (verification email sent), linked as a secondary."""
    response = api.post("/api/v2/users", json={
        "connection": CONNECTION, "email": NEW_EMAIL, "password": SHADOW_PASSWORD,
        "email_verified": False, "verify_email": True})
    assert response.status_code == 201, response.text
    shadow = response.json()
    [message] = outbox(anonymous, to=NEW_EMAIL)
    assert (message["template"], message["user_id"]) == ("verify_email", shadow["user_id"])
    linked = api.post(user_path(user_id) + "/identities",
                      json={"provider": "auth0", "user_id": shadow["identities"][0]["user_id"]})
    assert linked.status_code == 201, linked.text
    assert [i.get("profileData", {}).get("email_verified") for i in linked.json()] == [None, False]
    return {"shadow": shadow, "verification_url": message["url"]}


def test_email_change_verified_then_promoted(mockidp, api, anonymous, signed_in):
    user_id = signed_in["user_id"]
    api = Api(mockidp.url, mockidp.management_token())  # minted on the frozen clock
    change = start_email_change(mockidp, api, anonymous, user_id)
    shadow = change["shadow"]

    # Until verified, nothing changed for the user: the old address signs in, as the same user.
    primary = api.get(user_path(user_id)).json()
    assert primary["email"] == OLD_EMAIL and primary["user_id"] == user_id
    assert signed_in_as(mockidp, OLD_EMAIL, PASSWORD)["sub"] == user_id
    assert api.get(user_path(shadow["user_id"])).status_code == 404  # no dangling second account

    # The user clicks the link in the new inbox: the secondary identity is verified.
    assert anonymous.get(page_path(change["verification_url"])).status_code == 200
    identities = api.get(user_path(user_id)).json()["identities"]
    assert identities[1]["profileData"]["email"] == NEW_EMAIL
    assert identities[1]["profileData"]["email_verified"] is True  # what the post-login Action checks

    # The thread's literal order fails: the linked shadow still holds the address in the connection.
    response = api.patch(user_path(user_id), json={"email": NEW_EMAIL, "email_verified": True})
    assert_error(response, 409, "The user already exists.", "auth0_idp_error")

    # Promote: unlink and delete the shadow, then move the verified address onto the primary.
    response = api.delete(f"{user_path(user_id)}/identities/auth0/{shadow['identities'][0]['user_id']}")
    assert response.status_code == 200 and len(response.json()) == 1
    assert api.delete(user_path(shadow["user_id"])).status_code == 204
    response = api.patch(user_path(user_id), json={"email": NEW_EMAIL, "email_verified": True})
    assert response.status_code == 200, response.text
    promoted = response.json()
    assert (promoted["user_id"], promoted["email"], promoted["email_verified"]) == (user_id, NEW_EMAIL, True)
    assert [i["user_id"] for i in promoted["identities"]] == [user_id.split("|", 1)[1]]
    assert [u["user_id"] for u in api.get("/api/v2/users-by-email", params={"email": NEW_EMAIL}).json()] == [user_id]
    assert api.get("/api/v2/users-by-email", params={"email": OLD_EMAIL}).json() == []

    # The refresh token still works (same user_id, no password change) and carries the new email.
    response = token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID,
                             refresh_token=signed_in["refresh_token"])
    assert response.status_code == 200, response.text
    claims = verify_id_token(mockidp.url, response.json()["id_token"])
    assert (claims["sub"], claims["email"], claims["email_verified"]) == (user_id, NEW_EMAIL, True)

    # The new address signs in with the user's password; the old one no longer does.
    assert signed_in_as(mockidp, NEW_EMAIL, PASSWORD)["sub"] == user_id
    assert password_login(mockidp, OLD_EMAIL, PASSWORD).status_code == 403
    assert password_login(mockidp, NEW_EMAIL, SHADOW_PASSWORD).status_code == 403


def test_email_change_rolled_back(mockidp, anonymous, signed_in):
    user_id = signed_in["user_id"]
    api = Api(mockidp.url, mockidp.management_token())
    before = api.get(user_path(user_id)).json()
    change = start_email_change(mockidp, api, anonymous, user_id)
    shadow = change["shadow"]

    # Never verified: the user cancels (or the app gives up). Unlink and delete the shadow.
    response = api.delete(f"{user_path(user_id)}/identities/auth0/{shadow['identities'][0]['user_id']}")
    assert response.json() == before["identities"]
    assert api.delete(user_path(shadow["user_id"])).status_code == 204

    after = api.get(user_path(user_id)).json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"}
    assert signed_in_as(mockidp, OLD_EMAIL, PASSWORD)["sub"] == user_id
    assert password_login(mockidp, NEW_EMAIL, SHADOW_PASSWORD).status_code == 403
    assert api.get("/api/v2/users-by-email", params={"email": NEW_EMAIL}).json() == []
    # The stale verification link leads nowhere.
    response = anonymous.get(page_path(change["verification_url"]))
    assert response.status_code == 400
    assert "User account does not exist or the verification code is invalid." in response.text
    # The refresh token is unaffected.
    response = token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID,
                             refresh_token=signed_in["refresh_token"])
    assert verify_id_token(mockidp.url, response.json()["id_token"])["email"] == OLD_EMAIL


def test_the_secondary_can_sign_in_while_linked_and_gets_the_primary(mockidp, anonymous, signed_in):
    """While linked, signing in with the new address and the shadow's password signs the primary
    in (Auth0's linking): an app must not hand the shadow's password to the user before promotion."""
    user_id = signed_in["user_id"]
    api = Api(mockidp.url, mockidp.management_token())
    start_email_change(mockidp, api, anonymous, user_id)
    claims = signed_in_as(mockidp, NEW_EMAIL, SHADOW_PASSWORD)
    assert (claims["sub"], claims["email"]) == (user_id, OLD_EMAIL)
