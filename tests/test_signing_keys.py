"""The tenant's signing keyring (/api/v2/keys/signing, /.well-known/jwks.json): a current and a
next key from the start, rotation (new tokens carry the new kid, old tokens still verify),
revocation of a previous key (it leaves the JWKS and its tokens fail at /userinfo and the
Management API), and the keyring in reset, snapshots and state documents. Tokens are checked
with python-jose and joserfc (Authlib's JOSE library) against the published JWKS; auth0-python's keys.signing client drives
the same operations."""
from __future__ import annotations

import pytest
import requests
from conftest import Api
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import KeySet
from jose import jwt
from management_crud import assert_error, conforms
from oauth_helpers import ALICE, Browser, exchange_code

from mockidp.testing import DEFAULT_M2M_CLIENT_ID


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def _jwks(mockidp) -> dict:
    return requests.get(f"{mockidp.url}/.well-known/jwks.json", timeout=30).json()


def _user_access_token(mockidp) -> str:
    """Alice's access token for /userinfo (the SPA's code flow)."""
    code = Browser(mockidp.url).sign_in(*ALICE)["code"]
    answer = exchange_code(mockidp.url, code)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def _userinfo(mockidp, token: str) -> requests.Response:
    return requests.get(f"{mockidp.url}/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _keys_by_role(api: Api) -> dict[str, list[dict]]:
    keys = conforms("GET /keys/signing", api.get("/api/v2/keys/signing"), 200)
    roles: dict[str, list[dict]] = {"current": [], "next": [], "previous": []}
    for key in keys:
        [role] = [name for name in roles if key[name]]  # each key has exactly one role
        roles[role].append(key)
    return roles


def test_a_new_tenant_has_a_current_and_a_next_key_and_publishes_both(mockidp, api: Api):
    keys = conforms("GET /keys/signing", api.get("/api/v2/keys/signing"), 200)
    current, upcoming = keys
    assert (current["current"], current["next"], current["previous"]) == (True, False, False)
    assert (upcoming["current"], upcoming["next"], upcoming["previous"]) == (False, True, False)
    assert "current_since" in current and "current_since" not in upcoming
    assert not current["revoked"] and "revoked_at" not in current
    assert current["cert"].startswith("-----BEGIN CERTIFICATE-----\r\n")
    assert current["pkcs7"].startswith("-----BEGIN PKCS7-----\r\n")
    assert current["fingerprint"].replace(":", "") == current["thumbprint"] == current["thumbprint"].upper()
    published = _jwks(mockidp)["keys"]
    assert [key["kid"] for key in published] == [current["kid"], upcoming["kid"]]
    assert published[0]["x5c"][0][:64] in current["cert"]
    assert _kid(mockidp.management_token()) == current["kid"]
    assert conforms("GET /keys/signing/{kid}", api.get(f"/api/v2/keys/signing/{current['kid']}"), 200) == current


def test_rotation_signs_with_the_next_key_and_old_tokens_still_verify(mockidp, api: Api):
    before = _keys_by_role(api)
    old_user_token = _user_access_token(mockidp)
    mockidp.advance(60)
    rotated = conforms("POST /keys/signing/rotate", api.post("/api/v2/keys/signing/rotate"), 201)
    assert rotated["kid"] == before["next"][0]["kid"] and rotated["current"] is True
    after = _keys_by_role(api)
    [previous] = after["previous"]
    assert previous["kid"] == before["current"][0]["kid"]
    assert previous["current_until"] == rotated["current_since"] != before["current"][0]["current_since"]
    assert after["next"][0]["kid"] not in {rotated["kid"], previous["kid"]}
    assert [key["kid"] for key in _jwks(mockidp)["keys"]] == [rotated["kid"], after["next"][0]["kid"], previous["kid"]]

    new_token = mockidp.management_token()
    assert _kid(new_token) == rotated["kid"]
    assert _kid(_user_access_token(mockidp)) == rotated["kid"]
    # Signed by the previous key: still good at the Management API (api holds a token from
    # before the rotation), at /userinfo, and for a verifier reading the JWKS.
    assert _kid(api.session.headers["Authorization"].split()[1]) == previous["kid"] and api.get("/api/v2/keys/signing").status_code == 200
    assert _userinfo(mockidp, old_user_token).status_code == 200
    jwt.decode(old_user_token, _jwks(mockidp), algorithms=["RS256"], options={"verify_aud": False})


def test_a_revoked_key_leaves_the_jwks_and_its_tokens_stop_working(mockidp, api: Api):
    old_user_token = _user_access_token(mockidp)
    old_management = Api(mockidp.url, mockidp.management_token())
    assert old_management.get("/api/v2/keys/signing").status_code == 200  # verified (and cached)
    assert _userinfo(mockidp, old_user_token).status_code == 200
    previous_kid = _kid(old_user_token)
    api.post("/api/v2/keys/signing/rotate")
    mockidp.advance(30)
    fresh = Api(mockidp.url, mockidp.management_token())

    revoked = conforms("PUT /keys/signing/{kid}/revoke", fresh.put(f"/api/v2/keys/signing/{previous_kid}/revoke"), 200)
    assert revoked["kid"] == previous_kid and revoked["revoked"] is True and revoked["previous"] is True
    assert "revoked_at" in revoked and "current_until" in revoked
    assert fresh.get(f"/api/v2/keys/signing/{previous_kid}").json() == revoked  # still listed, as revoked
    assert previous_kid not in [key["kid"] for key in _jwks(mockidp)["keys"]]

    refused = old_management.get("/api/v2/keys/signing")
    assert refused.status_code == 401 and refused.json() == {
        "statusCode": 401, "error": "Unauthorized", "message": "Invalid token", "attributes": {"error": "Invalid token"}}
    refused = _userinfo(mockidp, old_user_token)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    with pytest.raises(jwt.JWTError):
        jwt.decode(old_user_token, _jwks(mockidp), algorithms=["RS256"], options={"verify_aud": False})
    # Revoking again changes nothing.
    assert fresh.put(f"/api/v2/keys/signing/{previous_kid}/revoke").json() == revoked
    # Tokens of the current key are untouched.
    assert fresh.get("/api/v2/keys/signing").status_code == 200
    assert _userinfo(mockidp, _user_access_token(mockidp)).status_code == 200


def test_only_a_previous_key_can_be_revoked(api: Api):
    keys = _keys_by_role(api)
    for role in ("current", "next"):
        kid = keys[role][0]["kid"]
        assert_error(api.put(f"/api/v2/keys/signing/{kid}/revoke"), 400,
                     f"The {role} signing key cannot be revoked; only a previously used key can.", "invalid_key")
    assert _keys_by_role(api) == keys  # nothing changed
    assert_error(api.get("/api/v2/keys/signing/nosuchkid"), 404, "The signing key does not exist", "inexistent_key")
    assert_error(api.put("/api/v2/keys/signing/nosuchkid/revoke"), 404, "The signing key does not exist",
                 "inexistent_key")


def test_the_keys_operations_need_their_scopes(mockidp):
    reader = Api(mockidp.url, mockidp.management_token(scope="read:signing_keys"))
    assert reader.get("/api/v2/keys/signing").status_code == 200
    assert reader.post("/api/v2/keys/signing/rotate").status_code == 403
    assert reader.put("/api/v2/keys/signing/x/revoke").status_code == 403


def test_joserfc_verifies_tokens_of_every_published_key(mockidp, api: Api):
    """joserfc (Authlib's JOSE library) picks the key by kid from the JWKS."""
    old = mockidp.management_token()
    api.post("/api/v2/keys/signing/rotate")
    new = mockidp.management_token()
    assert _kid(old) != _kid(new)
    key_set = KeySet.import_key_set(_jwks(mockidp))
    for token in (old, new):
        assert joserfc_jwt.decode(token, key_set, algorithms=["RS256"]).claims["azp"] == DEFAULT_M2M_CLIENT_ID


@pytest.fixture
def named_tenant(mockidp):
    """A tenant of its own (its keys live in memory only), so that loading a state, which
    reset then returns to, leaves the default tenant alone; its base URL and an Api on it."""
    control = Api(mockidp.url)
    made = control.post("/_mock/tenants", json={"name": "keyring"}).json()
    yield made["url"], Api(made["url"], mockidp.management_token(base_url=made["url"]))
    control.delete("/_mock/tenants/keyring")


def test_reset_snapshots_and_state_documents_keep_the_keyring(mockidp, named_tenant):
    url, api = named_tenant
    initial = _keys_by_role(api)
    assert initial != _keys_by_role(Api(mockidp.url, mockidp.management_token()))  # keys of its own
    api.post("/api/v2/keys/signing/rotate")
    assert requests.post(f"{url}/_mock/reset", timeout=30).ok  # back to the fixtures: the rotation is undone
    assert _keys_by_role(api) == initial

    assert requests.post(f"{url}/_mock/snapshots", json={"name": "before-rotation"}, timeout=30).ok
    api.post("/api/v2/keys/signing/rotate")
    rotated = _keys_by_role(api)
    state = requests.get(f"{url}/_mock/state", timeout=30).json()
    assert requests.post(f"{url}/_mock/snapshots/before-rotation/restore", timeout=30).ok
    assert _keys_by_role(api) == initial
    assert requests.put(f"{url}/_mock/state", json=state, timeout=30).status_code == 200
    assert _keys_by_role(api) == rotated  # api's token, of the now previous key, still verifies
    assert requests.post(f"{url}/_mock/reset", timeout=30).ok  # an imported state is what reset returns to
    assert _keys_by_role(api) == rotated


def test_auth0_python_rotates_and_revokes(mockidp, monkeypatch):
    from action_helpers import management_sdk

    sdk = management_sdk(mockidp, monkeypatch)
    first = sdk.keys.signing.list()
    rotated = sdk.keys.signing.rotate()
    assert rotated.kid == first[1].kid
    revoked = sdk.keys.signing.revoke(first[0].kid)
    assert revoked.kid == first[0].kid
    # The SDK's token was signed by the key just revoked: a new client gets a new token.
    assert management_sdk(mockidp, monkeypatch).keys.signing.get(first[0].kid).revoked is True


def test_a_restarted_server_signs_with_the_same_keys_through_the_same_rotations(mockidp, api: Api):
    """Keys are cached by number in the state directory: another server (a restart) goes through
    the same keys, so the same requests give the same tokens."""
    from mockidp.testing import MockIdPServer

    def kids_through_two_rotations(server_api: Api) -> list[str]:
        kids = [key["kid"] for key in server_api.get("/api/v2/keys/signing").json()]
        for _ in range(2):
            kids.append(server_api.post("/api/v2/keys/signing/rotate").json()["kid"])
        return kids

    first = kids_through_two_rotations(api)
    restarted = MockIdPServer(tls=False)
    try:
        second = kids_through_two_rotations(Api(restarted.url, restarted.management_token()))
    finally:
        restarted.stop()
    assert first == second
    current, upcoming, after_one, after_two = first
    assert after_one == upcoming and len({current, upcoming, after_two}) == 3
