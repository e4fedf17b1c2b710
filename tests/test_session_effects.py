"""What the Management API's sessions and refresh tokens do elsewhere: a deleted or revoked
session no longer signs the user in silently at /authorize, a revoked session takes its refresh
tokens along, deleted refresh tokens stop working at /oauth/token (one, or all of a user's), and
a user that does not exist has no sessions or refresh tokens to list or delete (404)."""
from __future__ import annotations

import pytest
from conftest import Api
from management_crud import assert_error, conforms
from oauth_helpers import ALICE, BOB, SPA_ID, Browser, exchange_code, redirect_params, token_request

UNKNOWN = "auth0|000000000000000000000000"


def _signed_in(mockidp, credentials=ALICE) -> tuple[Browser, str, str]:
    """A browser with an SSO session, the session's id and the refresh token issued in it."""
    browser = Browser(mockidp.url)
    params = browser.sign_in(*credentials, scope="openid offline_access")
    refresh = exchange_code(mockidp.url, params["code"]).json()["refresh_token"]
    return browser, mockidp.tenant.directory.refresh_tokens[refresh]["session_id"], refresh


def _user_id(mockidp, email: str) -> str:
    return next(record.profile["user_id"] for record in mockidp.tenant.directory.users.values()
                if record.profile.get("email") == email)


def _refreshes(mockidp, refresh: str) -> bool:
    answer = token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID, refresh_token=refresh)
    if answer.status_code != 200:
        assert (answer.status_code, answer.json()["error"]) == (403, "invalid_grant"), answer.text
    return answer.status_code == 200


def _signs_in_silently(browser: Browser) -> bool:
    params = redirect_params(browser.authorize(prompt="none"))
    assert "code" in params or params.get("error") == "login_required", params
    return "code" in params


@pytest.mark.parametrize("method, path, operation", [
    ("GET", "sessions", "GET /users/{user_id}/sessions"),
    ("DELETE", "sessions", "DELETE /users/{user_id}/sessions"),
    ("GET", "refresh-tokens", "GET /users/{user_id}/refresh-tokens"),
    ("DELETE", "refresh-tokens", "DELETE /users/{user_id}/refresh-tokens"),
])
def test_an_unknown_user_has_no_sessions_or_refresh_tokens(api: Api, method, path, operation):
    answer = api.request(method, f"/api/v2/users/{UNKNOWN}/{path}")
    assert_error(answer, 404, "User not found", "user_not_found", operation=operation)


def test_an_existing_user_without_sessions_lists_none(mockidp, api: Api):
    bob = _user_id(mockidp, BOB[0])
    assert conforms("GET /users/{user_id}/sessions", api.get(f"/api/v2/users/{bob}/sessions"), 200) == {"sessions": []}
    assert api.get(f"/api/v2/users/{bob}/refresh-tokens").json() == {"tokens": []}


def test_a_deleted_session_ends_sso_but_keeps_its_refresh_tokens(mockidp, api: Api):
    browser, session_id, refresh = _signed_in(mockidp)
    assert _signs_in_silently(browser)
    assert api.delete(f"/api/v2/sessions/{session_id}").status_code == 202
    assert not _signs_in_silently(browser)
    assert _refreshes(mockidp, refresh)  # DELETE ends the session only (revoke is the one that takes tokens)
    assert_error(api.delete(f"/api/v2/sessions/{session_id}"), 404, "Session not found", "session_not_found")


def test_a_revoked_session_takes_its_refresh_tokens_along(mockidp, api: Api):
    browser, session_id, refresh = _signed_in(mockidp)
    _, _, bobs_refresh = _signed_in(mockidp, BOB)
    alice = _user_id(mockidp, ALICE[0])
    assert len(api.get(f"/api/v2/users/{alice}/refresh-tokens").json()["tokens"]) == 1
    assert api.post(f"/api/v2/sessions/{session_id}/revoke").status_code == 202
    assert not _signs_in_silently(browser)
    assert not _refreshes(mockidp, refresh)
    assert api.get(f"/api/v2/users/{alice}/refresh-tokens").json() == {"tokens": []}
    assert _refreshes(mockidp, bobs_refresh)  # another session's tokens are untouched


def test_deleting_a_users_refresh_tokens_stops_them_all(mockidp, api: Api):
    _, _, first = _signed_in(mockidp)
    _, _, second = _signed_in(mockidp)
    _, _, bobs = _signed_in(mockidp, BOB)
    alice = _user_id(mockidp, ALICE[0])
    assert len(api.get(f"/api/v2/users/{alice}/refresh-tokens").json()["tokens"]) == 2
    answer = api.delete(f"/api/v2/users/{alice}/refresh-tokens")
    assert (answer.status_code, answer.json()) == (202, {})
    assert not _refreshes(mockidp, first) and not _refreshes(mockidp, second)
    assert _refreshes(mockidp, bobs)
    assert api.get(f"/api/v2/users/{alice}/refresh-tokens").json() == {"tokens": []}


def test_a_refresh_token_deleted_by_id_stops_working_and_its_session_stays(mockidp, api: Api):
    browser, _, refresh = _signed_in(mockidp)
    alice = _user_id(mockidp, ALICE[0])
    [listed] = api.get(f"/api/v2/users/{alice}/refresh-tokens").json()["tokens"]
    assert api.delete(f"/api/v2/refresh-tokens/{listed['id']}").status_code == 204
    assert not _refreshes(mockidp, refresh)
    assert _signs_in_silently(browser)
    assert_error(api.get(f"/api/v2/refresh-tokens/{listed['id']}"), 404, "Refresh token not found",
                 "refresh_token_not_found")
