"""The Authentication API's database-connection endpoints: public signup and the password-reset
email request. Errors use their envelope {name, code, description, statusCode}.

Confirmed shapes (fact sheet §10.1-10.2): the signup response, invalid_signup / user_exists
(behind the tenant flag enable_public_signup_user_exists_error) and PasswordStrengthError. The
codes for missing or malformed parameters, unknown clients and connections, a connection not
enabled for the client and disabled signups are UNCONFIRMED choices (see docs/email.md).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..actions import registration
from ..applications.connections import active_identifier
from ..applications.passwords import check_password
from ..directory import users
from ..email import emails
from ..logs.events import NO_REQUEST, RequestInfo
from ..tenant.errors import DbConnectionError, ManagementError

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

PROFILE_FIELDS = ("username", "phone_number", "given_name", "family_name", "name", "nickname", "picture")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
USER_METADATA_MAX_KEYS, USER_METADATA_MAX_NAME, USER_METADATA_MAX_VALUE = 10, 100, 500


def bad_request(code: str, description: str) -> DbConnectionError:
    return DbConnectionError(400, code, description)


def signup(tenant: "Tenant", params: dict, base_url: str, request: RequestInfo = NO_REQUEST) -> dict:
    """Validate, run pre-user-registration, create the user, then queue post-user-registration."""
    connection = _database_connection(tenant, params)
    if (connection.get("options") or {}).get("disable_signup"):
        raise bad_request("unauthorized", "Public signup is disabled")
    password = _required_string(params, "password")
    email = _signup_email(params, connection)
    _check_profile_fields(params)
    check = check_password(connection, password)
    if not check.verified:
        raise DbConnectionError(400, "invalid_password", check.error_description(),
                                name="PasswordStrengthError", message="Password is too weak",
                                policy=check.policy_text)
    body = {"connection": connection["name"], "password": password,
            **({"email": email, "email_verified": False} if email else {}),
            **{k: params[k] for k in PROFILE_FIELDS if k in params}}
    if params.get("user_metadata"):
        body["user_metadata"] = params["user_metadata"]
    body.update(_pre_user_registration(tenant, body, connection, params, request))
    user = _create(tenant, body)
    emails.after_signup(tenant, user["user_id"], base_url=base_url, client_id=params.get("client_id"))
    registration.user_registered(tenant, user, request, _without_password(params))
    return _signup_response(user)


def _signup_email(params: dict, connection: dict) -> str | None:
    """The new user's email, required unless the connection has flexible identifiers
    (options.attributes) that make it optional at signup and another identifier is given:
    Auth0 then signs users up by username or phone number alone (recorded: go-auth0's
    TestDatabaseSignUp_With*Identifier cassettes)."""
    if params.get("email") is None and _email_optional(connection, params):
        return None
    email = _required_string(params, "email").lower()
    if not EMAIL.fullmatch(email):
        raise bad_request("invalid_parameter", f"Invalid email address: {params['email']}")
    return email


def _email_optional(connection: dict, params: dict) -> bool:
    attributes = (connection.get("options") or {}).get("attributes")
    if not isinstance(attributes, dict):
        return False
    status = (((attributes.get("email") or {}).get("signup") or {}).get("status"))
    others = [name for name in ("username", "phone_number")
              if active_identifier(connection.get("options") or {}, name) and params.get(name)]
    return status != "required" and bool(others)


def _pre_user_registration(tenant: "Tenant", body: dict, connection: dict, params: dict,
                           request: RequestInfo) -> dict:
    """The Actions' metadata for the new user; a refusal raised in the envelope of a signup error
    (UNCONFIRMED: Auth0's `extensibility_error` code with the userMessage as description)."""
    with tenant.lock:
        client_id = params.get("client_id")
        client = tenant.directory.clients.get(client_id) if client_id else None
        client = dict(client) if client else None
    outcome = registration.pre_user_registration(tenant, registration.Signup(
        user=body, connection=connection, client=client, request=request, body=_without_password(params)))
    if outcome.refusal is not None:
        error = bad_request(outcome.refusal.code, outcome.refusal.user_message)
        error.log_description = outcome.refusal.reason  # the tenant log shows the internal reason
        raise error
    return outcome.metadata


def _without_password(params: dict) -> dict:
    return {key: value for key, value in params.items() if key != "password"}


def request_password_reset(tenant: "Tenant", params: dict, base_url: str) -> None:
    """Queues reset_email when the user exists; says nothing either way (no enumeration)."""
    email = _required_string(params, "email")
    connection = _database_connection(tenant, params)
    emails.send_password_reset_email(tenant, connection["name"], email, base_url=base_url,
                                     client_id=params.get("client_id"))


# --- helpers --------------------------------------------------------------------------------------

def _required_string(params: dict, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise bad_request("invalid_parameter", f"Missing required parameter: {name}")
    if not isinstance(value, str):
        raise bad_request("invalid_parameter", f"Parameter {name} must be a string")
    return value


def _database_connection(tenant: "Tenant", params: dict) -> dict:
    name = _required_string(params, "connection")
    client_id = params.get("client_id")
    if client_id is not None and not isinstance(client_id, str):
        raise bad_request("invalid_parameter", "Parameter client_id must be a string")
    with tenant.lock:
        client = tenant.directory.clients.get(client_id) if client_id else None
        connection = tenant.directory.connection_by_name(name)
        connection = dict(connection) if connection else None
    if client_id and client is None:
        raise bad_request("invalid_client", f"Unknown client: {client_id}")
    if connection is None or connection.get("strategy") != "auth0":
        raise bad_request("invalid_connection", f"The connection {name} does not exist or is not a "
                                                "database connection")
    if client_id and client_id not in (connection.get("enabled_clients") or []):
        raise bad_request("unauthorized", f"The connection {name} is not enabled for this client")
    return connection


def _check_profile_fields(params: dict) -> None:
    for name in PROFILE_FIELDS:
        if name in params and not isinstance(params[name], str):
            raise bad_request("invalid_parameter", f"Parameter {name} must be a string")
    metadata = params.get("user_metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict) or len(metadata) > USER_METADATA_MAX_KEYS:
        raise bad_request("invalid_parameter", "user_metadata must be an object of at most 10 properties")
    for key, value in metadata.items():
        if len(key) > USER_METADATA_MAX_NAME or not isinstance(value, str) or len(value) > USER_METADATA_MAX_VALUE:
            raise bad_request("invalid_parameter", "user_metadata properties must be strings of at most "
                                                   "500 characters, named in at most 100 characters")


def _create(tenant: "Tenant", body: dict) -> dict:
    try:
        return users.create_user(tenant, body)
    except ManagementError as exc:
        raise _signup_error(tenant, exc) from None


def _signup_error(tenant: "Tenant", error: ManagementError) -> DbConnectionError:
    if error.status != 409:
        return bad_request("invalid_signup", error.message)
    flags = tenant.tenant_settings.get("flags") or {}
    if not flags.get("enable_public_signup_user_exists_error"):
        return bad_request("invalid_signup", "Invalid sign up")  # Auth0's default: no enumeration
    if "username" in error.message:
        return bad_request("username_exists", "The username already exists.")
    return bad_request("user_exists", "The user already exists.")


def _signup_response(user: dict) -> dict[str, Any]:
    """{"_id"[, "email"][, "username"][, "email_verified"][, "phone_number", "phone_verified"]}:
    the identity id (no auth0| prefix) and the identifiers the user has (recorded)."""
    response: dict[str, Any] = {"_id": user["identities"][0]["user_id"]}
    if "email" in user:
        response["email"] = user["email"]
    if "username" in user:
        response["username"] = user["username"]
    if "email" in user:
        response["email_verified"] = user["email_verified"]
    if "phone_number" in user:
        response.update(phone_number=user["phone_number"], phone_verified=bool(user.get("phone_verified")))
    return response
