"""/dbconnections/signup and /dbconnections/change_password: Auth0's shapes and the emails."""
from __future__ import annotations

import re

import pytest
from email_helpers import (
    CONNECTION,
    TICKET_URL,
    change_password,
    get_user,
    install_template,
    outbox,
    page_path,
)

SPA = "mockidpSpaClient0000000000000000"
RESET_TEXT = "We've just sent you an email to reset your password."


def signup(anonymous, **overrides):
    body = {"client_id": SPA, "connection": CONNECTION, "email": "Signup@Example.com",
            "password": "Sup3r$ecret!", **overrides}
    return anonymous.post("/dbconnections/signup", json=body)


def test_signup_response_user_and_verification_email(api, anonymous):
    response = signup(anonymous, given_name="Sig")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["_id", "email", "email_verified"]
    assert re.fullmatch(r"[0-9a-f]{24}", body["_id"])
    assert body["email"] == "signup@example.com" and body["email_verified"] is False
    user = get_user(api, f"auth0|{body['_id']}")
    assert user["given_name"] == "Sig" and user["email_verified"] is False
    [message] = outbox(anonymous)
    assert message["template"] == "verify_email" and message["to"] == "signup@example.com"
    assert TICKET_URL.match(message["url"])["page"] == "email-verification"


def test_signup_form_encoded(anonymous):
    response = anonymous.post("/dbconnections/signup", data={
        "client_id": SPA, "connection": CONNECTION, "email": "form@example.com", "password": "Sup3r$ecret!"})
    assert response.status_code == 200 and response.json()["email"] == "form@example.com"


def test_welcome_email_waits_for_verification(api, anonymous):
    install_template(api, "welcome_email", body="Welcome {{ user.email }} to {{ application.name }}")
    signup(anonymous)
    [verify] = outbox(anonymous)
    assert verify["template"] == "verify_email"
    assert anonymous.get(page_path(verify["url"])).status_code == 200
    welcome = outbox(anonymous, template="welcome_email")
    assert [m["html"] for m in welcome] == ["Welcome signup@example.com to mockidp SPA"]


def test_welcome_email_at_signup_when_verification_is_disabled(api, anonymous):
    install_template(api, "verify_email", enabled=False)
    install_template(api, "welcome_email", body="Welcome")
    signup(anonymous)
    assert [m["template"] for m in outbox(anonymous)] == ["welcome_email"]


def test_weak_password_is_auth0s_password_strength_error(anonymous):
    response = signup(anonymous, password="abcdefg!")
    assert response.status_code == 400
    assert response.json() == {
        "name": "PasswordStrengthError", "message": "Password is too weak", "code": "invalid_password",
        "description": {"rules": [
            {"message": "At least %d characters in length", "format": [8], "code": "lengthAtLeast", "verified": True},
            {"message": "Contain at least %d of the following %d types of characters:", "code": "containsAtLeast",
             "format": [3, 4], "items": [
                 {"message": "lower case letters (a-z)", "code": "lowerCase", "verified": True},
                 {"message": "upper case letters (A-Z)", "code": "upperCase", "verified": False},
                 {"message": "numbers (i.e. 0-9)", "code": "numbers", "verified": False},
                 {"message": "special characters (e.g. !@#$%^&*)", "code": "specialCharacters", "verified": True}],
             "verified": False}], "verified": False},
        "policy": "* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n"
                  " * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n"
                  " * special characters (e.g. !@#$%^&*)",
        "statusCode": 400}
    assert outbox(anonymous) == []


def test_duplicate_signup_is_generic_by_default(anonymous):
    assert signup(anonymous, email="alice@example.com").json() == {
        "name": "BadRequestError", "code": "invalid_signup", "description": "Invalid sign up", "statusCode": 400}


def test_duplicate_signup_with_the_user_exists_flag(mockidp, anonymous, monkeypatch):
    monkeypatch.setitem(mockidp.tenant.tenant_settings, "flags", {"enable_public_signup_user_exists_error": True})
    assert signup(anonymous, email="alice@example.com").json() == {
        "name": "BadRequestError", "code": "user_exists", "description": "The user already exists.", "statusCode": 400}


@pytest.mark.parametrize("overrides, code, fragment", [
    ({"password": None}, "invalid_parameter", "password"),
    ({"email": None}, "invalid_parameter", "email"),
    ({"connection": None}, "invalid_parameter", "connection"),
    ({"email": "not-an-email"}, "invalid_parameter", "Invalid email"),
    ({"password": 12345678}, "invalid_parameter", "password"),
    ({"connection": "Nope"}, "invalid_connection", "Nope"),
    ({"client_id": "unknownClient"}, "invalid_client", "unknownClient"),
    ({"user_metadata": {"a": {"nested": True}}}, "invalid_parameter", "user_metadata"),
])
def test_signup_bad_input(api, anonymous, overrides, code, fragment):
    body = {key: value for key, value in {"client_id": SPA, "connection": CONNECTION, "email": "bad@example.com",
                                          "password": "Sup3r$ecret!", **overrides}.items() if value is not None}
    response = anonymous.post("/dbconnections/signup", json=body)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"name", "code", "description", "statusCode"}
    assert error["code"] == code and fragment in error["description"] and error["statusCode"] == 400
    assert api.get("/api/v2/users-by-email", params={"email": "bad@example.com"}).json() == []


def test_signup_not_json(anonymous):
    response = anonymous.post("/dbconnections/signup", data="{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_body"


def test_signup_wrong_method(anonymous):
    response = anonymous.get("/dbconnections/signup")
    assert response.status_code == 405
    assert response.json()["name"] == "MethodNotAllowedError" and response.json()["statusCode"] == 405


def test_change_password_existing_user(anonymous):
    response = change_password(anonymous, "Bob@Example.com", client_id=SPA)
    assert response.status_code == 200
    assert response.text == RESET_TEXT
    assert response.headers["Content-Type"].startswith("text/html")
    [message] = outbox(anonymous)
    assert message["template"] == "reset_email" and message["to"] == "bob@example.com"
    assert TICKET_URL.match(message["url"])["page"] == "reset-password"


def test_change_password_unknown_user_answers_the_same_and_sends_nothing(anonymous):
    response = change_password(anonymous, "nobody@example.com")
    assert (response.status_code, response.text) == (200, RESET_TEXT)
    assert outbox(anonymous) == []


@pytest.mark.parametrize("body, fragment", [
    ({"connection": CONNECTION}, "email"),
    ({"email": "alice@example.com"}, "connection"),
    ({"email": "alice@example.com", "connection": "Nope"}, "Nope"),
])
def test_change_password_bad_input(anonymous, body, fragment):
    response = anonymous.post("/dbconnections/change_password", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["description"]
    assert outbox(anonymous) == []


def use_flexible_identifiers(api, email_signup: str = "optional") -> None:
    """The connection signs users in by email, username or phone number (options.attributes)."""
    [connection] = api.get("/api/v2/connections", params={"name": CONNECTION}).json()
    options = {key: value for key, value in connection["options"].items() if key != "requires_username"}
    options["attributes"] = {name: {"identifier": {"active": True}, "signup": {"status": "optional"}}
                             for name in ("email", "username", "phone_number")}
    options["attributes"]["email"]["signup"]["status"] = email_signup
    assert api.patch(f"/api/v2/connections/{connection['id']}", json={"options": options}).status_code == 200


@pytest.mark.parametrize("identifiers, keys", [
    ({"username": "signupname"}, ["_id", "username"]),
    ({"phone_number": "+12345678900"}, ["_id", "phone_number", "phone_verified"]),
    ({"username": "signupname", "phone_number": "+12345678900"}, ["_id", "username", "phone_number", "phone_verified"]),
    ({"email": "both@example.com", "phone_number": "+12345678900"},
     ["_id", "email", "email_verified", "phone_number", "phone_verified"]),
])
def test_flexible_identifiers_sign_up_without_an_email(api, anonymous, identifiers, keys):
    # recorded: go-auth0's TestDatabaseSignUp_With*Identifier cassettes
    use_flexible_identifiers(api)
    body = {"client_id": SPA, "connection": CONNECTION, "password": "Sup3r$ecret!", **identifiers}
    response = anonymous.post("/dbconnections/signup", json=body)
    assert response.status_code == 200, response.text
    assert list(response.json()) == keys
    user = get_user(api, f"auth0|{response.json()['_id']}")
    assert {key: user.get(key) for key in identifiers} == identifiers


def test_an_email_is_still_required_without_flexible_identifiers_or_when_they_require_it(api, anonymous):
    without_email = {"client_id": SPA, "connection": CONNECTION, "password": "Sup3r$ecret!",
                     "phone_number": "+12345678900"}
    missing = {"name": "BadRequestError", "code": "invalid_parameter",
               "description": "Missing required parameter: email", "statusCode": 400}
    assert anonymous.post("/dbconnections/signup", json=without_email).json() == missing
    use_flexible_identifiers(api, email_signup="required")
    assert anonymous.post("/dbconnections/signup", json=without_email).json() == missing
