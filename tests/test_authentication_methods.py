"""One of a user's authentication methods through the Management API (GET, PATCH, DELETE
/users/{id}/authentication-methods/{authentication_method_id}) and a legacy provider's removal
(DELETE /users/{id}/multifactor/{provider}), over HTTP: the recorded shapes and status codes, the
effect at the next MFA login (a deleted method no longer answers; the user enrolls afresh), Auth0's
404s and 400s and the scopes. Enrollments are made the way applications make them, through
Auth0's MFA API on the frozen mock clock."""
from __future__ import annotations

from conftest import Api
from management_crud import assert_error, conforms, invalid_body, scoped
from management_spec import insufficient_scope_body
from test_bruteforce import alice_id
from test_mfa_sms import PHONE, associate, oob_grant, sms_factor  # noqa: F401 - sms_factor is a fixture
from test_mfa_totp import CLIENT, enroll, mfa_always, mfa_otp, mfa_token, post  # noqa: F401 - mfa_always too

ONE = "/users/{id}/authentication-methods/{authentication_method_id}"
LEGACY = "DELETE /users/{id}/multifactor/{provider}"
NOT_FOUND = "The authentication method could not be found."


def enrolled_totp(mockidp) -> str:
    """Alice enrolls a TOTP app and finishes her login with it: the app's secret."""
    token = mfa_token(mockidp)
    secret = enroll(mockidp, token)["secret"]
    assert mfa_otp(mockidp, token, mockidp.totp(secret)).status_code == 200
    return secret


def methods(api: Api, user_id: str) -> list[dict]:
    return api.get(f"/api/v2/users/{user_id}/authentication-methods").json()


def test_a_method_is_read_renamed_and_deleted(mockidp, api: Api, mfa_always):
    secret = enrolled_totp(mockidp)
    user_id = alice_id(api)
    [totp, recovery] = methods(api, user_id)
    path = f"/api/v2/users/{user_id}/authentication-methods/{totp['id']}"
    assert conforms("GET " + ONE, api.get(path), 200) == totp
    assert (totp["type"], totp["confirmed"], "name" in totp) == ("totp", True, False)

    renamed = conforms("PATCH " + ONE, api.patch(path, json={"name": "Work phone app"}), 200)
    assert renamed == {key: value for key, value in {**totp, "name": "Work phone app"}.items() if key != "confirmed"}
    assert methods(api, user_id)[0] == {**totp, "name": "Work phone app"}
    assert api.get(path).json()["name"] == "Work phone app"

    deleted = api.delete(path)
    assert (deleted.status_code, deleted.text) == (204, "")
    assert_error(api.get(path), 404, NOT_FOUND, operation="GET " + ONE)
    assert_error(api.delete(path), 404, NOT_FOUND, operation="DELETE " + ONE)
    # The recovery code recovered that enrollment: with nothing left to recover, it goes too.
    assert methods(api, user_id) == [] and recovery["type"] == "recovery-code"

    # The next login: the deleted app's code is refused, and Alice enrolls afresh.
    token = mfa_token(mockidp)
    refused = mfa_otp(mockidp, token, mockidp.totp(secret))
    assert (refused.status_code, refused.json()) == (403, {"error": "invalid_grant",
                                                           "error_description": "User is not enrolled."})
    again = enroll(mockidp, token)
    assert again["secret"] != secret and "recovery_codes" in again


def test_a_deleted_phone_is_no_longer_challenged(mockidp, api: Api, sms_factor):
    token = mfa_token(mockidp)
    enrolled = associate(mockidp, token, phone_number=PHONE).json()
    assert oob_grant(mockidp, token, enrolled["oob_code"], mockidp.sms(to=PHONE)[-1]["code"]).status_code == 200
    user_id = alice_id(api)
    phone = next(method for method in methods(api, user_id) if method["type"] == "phone")
    sms_id = "sms|" + phone["id"].split("|", 1)[1]
    assert phone["id"].startswith("phone|dev_")
    assert phone["authentication_methods"] == [{"id": sms_id, "type": "sms"}]
    path = f"/api/v2/users/{user_id}/authentication-methods/{phone['id']}"

    voice = conforms("PATCH " + ONE, api.patch(path, json={"preferred_authentication_method": "voice"}), 200)
    assert voice["preferred_authentication_method"] == "voice"
    assert conforms("GET " + ONE, api.get(path), 200)["authentication_methods"] == [{"id": sms_id, "type": "voice"}]

    assert api.delete(path).status_code == 204
    challenged = post(mockidp, "/mfa/challenge", json={**CLIENT, "mfa_token": mfa_token(mockidp),
                                                       "challenge_type": "oob", "authenticator_id": sms_id})
    assert (challenged.status_code, challenged.json()["error"]) == (403, "unsupported_challenge_type")
    assert methods(api, user_id) == []


def test_unknown_user_method_and_bad_bodies(mockidp, api: Api, mfa_always):
    enrolled_totp(mockidp)
    user_id = alice_id(api)
    [totp, _] = methods(api, user_id)
    nobody = "/api/v2/users/auth0%7Cnobody/authentication-methods/" + totp["id"]
    for method, operation in (("GET", "GET " + ONE), ("PATCH", "PATCH " + ONE), ("DELETE", "DELETE " + ONE)):
        assert_error(api.request(method, nobody, json={"name": "x"} if method == "PATCH" else None), 404,
                     "The user does not exist.", "inexistent_user", operation=operation)
    unknown = f"/api/v2/users/{user_id}/authentication-methods/totp%7Cdev_nope"
    assert_error(api.get(unknown), 404, NOT_FOUND, operation="GET " + ONE)
    assert_error(api.patch(unknown, json={"name": "x"}), 404, NOT_FOUND)

    path = f"/api/v2/users/{user_id}/authentication-methods/{totp['id']}"
    wrong_type = api.patch(path, json={"name": 5})
    assert (wrong_type.status_code, wrong_type.json()) == (400, invalid_body(
        "'Expected type string but found type integer' on property name (A human-readable label to identify "
        "the authentication method)."))
    unknown_key = api.patch(path, json={"type": "email"})
    assert (unknown_key.status_code, unknown_key.json()["errorCode"]) == (400, "invalid_body")
    not_a_phone = api.patch(path, json={"name": "kept?", "preferred_authentication_method": "sms"})
    assert_error(not_a_phone, 400, "preferred_authentication_method can only be set on a phone authentication "
                 "method.", "invalid_body", operation="PATCH " + ONE)
    assert "name" not in api.get(path).json()  # refused whole: nothing written


def test_each_operation_needs_its_scope(mockidp, api: Api, mfa_always):
    enrolled_totp(mockidp)
    user_id = alice_id(api)
    path = f"/api/v2/users/{user_id}/authentication-methods/{methods(api, user_id)[0]['id']}"
    reader = scoped(mockidp, "read:users", "update:users", "delete:users")
    for method, operation in (("GET", "GET " + ONE), ("PATCH", "PATCH " + ONE), ("DELETE", "DELETE " + ONE)):
        refused = reader.request(method, path, json={} if method == "PATCH" else None)
        assert (refused.status_code, refused.json()) == (403, insufficient_scope_body(operation))
    assert scoped(mockidp, "read:authentication_methods").get(path).status_code == 200
    assert scoped(mockidp, "update:authentication_methods").patch(path, json={}).status_code == 200
    assert scoped(mockidp, "delete:authentication_methods").delete(path).status_code == 204


# --- a legacy provider ------------------------------------------------------------------------------

def test_removing_google_authenticator_removes_the_totp_enrollment(mockidp, api: Api, mfa_always):
    secret = enrolled_totp(mockidp)
    user_id = alice_id(api)
    duo = api.delete(f"/api/v2/users/{user_id}/multifactor/duo")  # mockidp has no Duo: nothing to remove
    assert (duo.status_code, duo.text) == (204, "")
    assert [method["type"] for method in methods(api, user_id)] == ["totp", "recovery-code"]

    removed = api.delete(f"/api/v2/users/{user_id}/multifactor/google-authenticator")
    assert (removed.status_code, removed.text) == (204, "")
    assert methods(api, user_id) == []
    token = mfa_token(mockidp)
    assert mfa_otp(mockidp, token, mockidp.totp(secret)).json()["error_description"] == "User is not enrolled."
    assert "recovery_codes" in enroll(mockidp, token)  # enrolls afresh
    # Nothing left to remove is no error.
    assert api.delete(f"/api/v2/users/{user_id}/multifactor/google-authenticator").status_code == 204


def test_legacy_provider_errors(mockidp, api: Api):
    user_id = alice_id(api)
    assert_error(api.delete(f"/api/v2/users/{user_id}/multifactor/sms"), 400,
                 "Path validation error: 'No enum match for: \"sms\"' on property provider (The multi-factor "
                 "provider. Supported values 'duo' or 'google-authenticator').", "invalid_uri", operation=LEGACY)
    assert_error(api.delete("/api/v2/users/auth0%7Cnobody/multifactor/duo"), 404, "The user does not exist.",
                 "inexistent_user", operation=LEGACY)
    refused = scoped(mockidp, "read:users", "delete:authentication_methods").delete(
        f"/api/v2/users/{user_id}/multifactor/duo")
    assert (refused.status_code, refused.json()) == (403, insufficient_scope_body(LEGACY))
    assert scoped(mockidp, "update:users").delete(f"/api/v2/users/{user_id}/multifactor/duo").status_code == 204


# --- the list: created, replaced, deleted ---------------------------------------------------------

MANY = "/users/{id}/authentication-methods"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
# go-auth0's recorded PUT body
RECORDED_SET = [{"type": "email", "name": "MyEmail", "email": "foo@example.com"},
                {"type": "phone", "name": "MyPhone", "phone_number": "+44207183875044",
                 "preferred_authentication_method": "sms"},
                {"type": "totp", "name": "MyTotp", "totp_secret": "5HCWXIP2MJNSUBGYVUZFLRB2HWIGXR4SYJQXNBQ"}]


def test_created_methods_answer_the_next_login(mockidp, api: Api, mfa_always):
    user_id = alice_id(api)
    path = f"/api/v2/users/{user_id}/authentication-methods"
    created = conforms("POST " + MANY, api.post(path, json={"type": "totp", "name": "Phone app",
                                                            "totp_secret": SECRET}), 201)
    assert created == {"id": created["id"], "type": "totp", "name": "Phone app", "created_at": "2026-03-01T10:00:00.000Z"}
    assert methods(api, user_id) == [{**created, "confirmed": True}]
    duplicate = api.post(path, json={"type": "totp", "totp_secret": SECRET})
    assert_error(duplicate, 409, "Authentication method already exists.", operation="POST " + MANY)

    token = mfa_token(mockidp)  # enrolled through the Management API: no enrollment at login
    assert mfa_otp(mockidp, token, mockidp.totp(SECRET)).status_code == 200

    email = conforms("POST " + MANY, api.post(path, json={"type": "email", "name": "Test",
                                                          "email": "chuck334@example.com"}), 201)
    assert (email["type"], email["email"], email["id"].startswith("email|dev_")) == (
        "email", "chuc****@exam*******", True)  # masked, as recorded
    second = mfa_token(mockidp)
    challenged = post(mockidp, "/mfa/challenge", json={**CLIENT, "mfa_token": second, "challenge_type": "oob",
                                                       "authenticator_id": email["id"]}).json()
    code = mockidp.outbox(to="chuck334@example.com", template="mfa_oob_code")[-1]["code"]
    finished = post(mockidp, "/oauth/token", data={**CLIENT, "grant_type": MFA_OOB, "mfa_token": second,
                                                   "oob_code": challenged["oob_code"], "binding_code": code})
    assert finished.status_code == 200, finished.text


def test_put_replaces_every_method_with_the_recorded_shapes(mockidp, api: Api, mfa_always):
    enrolled_totp(mockidp)
    user_id = alice_id(api)
    path = f"/api/v2/users/{user_id}/authentication-methods"
    replaced = conforms("PUT " + MANY, api.put(path, json=RECORDED_SET), 200)
    [email, phone, totp] = replaced
    assert email == {"id": email["id"], "type": "email", "name": "MyEmail", "email": "foo@example.com",
                     "created_at": email["created_at"]}
    sms_id = "sms|" + phone["id"].split("|", 1)[1]
    assert phone == {"id": phone["id"], "type": "phone", "name": "MyPhone", "phone_number": "+44207183875044",
                     "created_at": phone["created_at"], "preferred_authentication_method": "sms",
                     "authentication_methods": [{"id": sms_id, "type": "sms"}]}
    assert totp == {"id": totp["id"], "type": "totp", "name": "MyTotp", "created_at": totp["created_at"]}

    listed = conforms("GET " + MANY, api.get(path, params={"include_totals": "true", "per_page": 50}), 200)
    assert (listed["total"], listed["start"], listed["limit"]) == (3, 0, 50)  # the enrolled app and code are gone
    shown = {method["type"]: method for method in listed["authenticators"]}
    assert shown["email"]["email"] == "****@exam*******" and shown["phone"]["phone_number"] == "XXXXXXXXXXX5044"
    assert all(method["confirmed"] for method in listed["authenticators"])
    token = mfa_token(mockidp)
    assert mfa_otp(mockidp, token, mockidp.totp("5HCWXIP2MJNSUBGYVUZFLRB2HWIGXR4SYJQXNBQ")).status_code == 200

    deleted = api.delete(path)
    assert (deleted.status_code, deleted.text) == (204, "")
    emptied = api.get(path, params={"include_totals": "true", "per_page": 50})
    assert emptied.json() == {"authenticators": [], "start": 0, "limit": 50}  # as recorded: no `total`
    assert api.delete("/api/v2/users/auth0%7Cnobody/authentication-methods").status_code == 204


def test_refused_creations_change_nothing(mockidp, api: Api):
    user_id = alice_id(api)
    path = f"/api/v2/users/{user_id}/authentication-methods"
    assert_error(api.post("/api/v2/users/auth0%7Cnobody/authentication-methods",
                          json={"type": "totp", "totp_secret": SECRET}), 404, "The user does not exist.",
                 "inexistent_user", operation="POST " + MANY)
    for body, message in (
            ({"type": "totp"}, "totp_secret is required for totp authentication methods."),
            ({"type": "totp", "totp_secret": "not base32!"}, "totp_secret must be base32 encoded."),
            ({"type": "phone", "phone_number": "12"}, "The phone number is invalid: use the E.164 format (+14155550100)"),
            ({"type": "passkey"}, "mockidp does not support passkey authentication methods.")):
        assert_error(api.post(path, json=body), 400, message, "invalid_body", operation="POST " + MANY)
    wrong_type = api.post(path, json={"type": "sms"})
    assert (wrong_type.status_code, wrong_type.json()["errorCode"]) == (400, "invalid_body")
    twice = api.put(path, json=[RECORDED_SET[2], RECORDED_SET[2]])
    assert_error(twice, 409, "Authentication method already exists.", operation="PUT " + MANY)
    assert methods(api, user_id) == []

    for method, operation, scope in (("POST", "POST " + MANY, "create:authentication_methods"),
                                     ("PUT", "PUT " + MANY, "update:authentication_methods"),
                                     ("DELETE", "DELETE " + MANY, "delete:authentication_methods")):
        body = {"POST": RECORDED_SET[0], "PUT": RECORDED_SET}.get(method)
        refused = scoped(mockidp, "read:users", "update:users").request(method, path, json=body)
        assert (refused.status_code, refused.json()) == (403, insufficient_scope_body(operation))
        assert scoped(mockidp, scope).request(method, path, json=body).status_code in (200, 201, 204)
