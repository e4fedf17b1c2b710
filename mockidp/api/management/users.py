"""/api/v2/users and /api/v2/users-by-email."""
from __future__ import annotations

from ...core.actions import registration
from ...core.directory import identities, users
from ...core.email import emails
from ...core.tenant.errors import ManagementError, bad_request
from ..caller import request_info
from ..http import empty_response, json_response, public_base_url, read_body, tenant
from ..validation import schema_enum, schema_property_names, validate_body
from .common import payload, projection, query_args
from .registry import granted_scopes, operation, token_claims

FIELDS_DESCRIPTION = ("Comma-separated list of fields to include or exclude (based on value provided "
                      "for include_fields) in the result. Leave empty to retrieve all fields")
METADATA_ONLY = {"app_metadata", "user_metadata"}


def _fields(args: dict) -> tuple[list[str] | None, bool]:
    return projection(args, users.SELECTABLE_FIELDS, FIELDS_DESCRIPTION)


@operation("POST /users")
def create_user():
    body = read_body()
    query_args("POST /users")  # hapi validates the query (none allowed) before the payload
    validate_body("CreateUserRequestContent", body)
    user = users.create_user(tenant(), body)
    emails.after_user_created(tenant(), user, body, public_base_url())  # verify_email, as Auth0
    registration.user_registered(tenant(), user, request_info(),  # post-user-registration, queued
                                 {key: value for key, value in body.items() if key != "password"})
    return json_response(user, 201)


@operation("GET /users")
def list_users():
    args = query_args("GET /users")
    fields, include = _fields(args)
    page = args.get("page") or 0
    per_page = args["per_page"] if args.get("per_page") is not None else 50
    found, total = users.list_users(tenant(), query=args.get("q"), page=page, per_page=per_page,
                                    sort=args.get("sort"), fields=fields, include_fields=include)
    found = [_idp_tokens_if_granted(user) for user in found]
    if not args.get("include_totals"):
        return json_response(found)
    return json_response({"start": page * per_page, "limit": per_page, "length": len(found),
                          "users": found, "total": total})


@operation("GET /users/{id}")
def get_user(id: str):
    args = query_args("GET /users/{id}")
    fields, include = _fields(args)
    profile = _idp_tokens_if_granted(users.stored_profile(tenant(), id))
    return json_response(users.select_fields(profile, fields, include))


def _idp_tokens_if_granted(profile: dict) -> dict:
    """Identities carry the upstream provider's tokens only for read:user_idp_tokens."""
    return profile if "read:user_idp_tokens" in granted_scopes() else identities.without_idp_tokens(profile)


def _refuse_unknown_attributes(body: dict) -> None:
    """The spec leaves UpdateUserRequestContent open, but Auth0 refuses root attributes it does
    not update (e.g. a whole user read back and sent again), with this advice appended."""
    updatable = schema_property_names("UpdateUserRequestContent")
    unknown = [name for name in body if name not in updatable]
    if unknown:
        raise bad_request(f"Payload validation error: 'Additional properties not allowed: "
                          f"{','.join(unknown)} (consider storing them in app_metadata or "
                          f"user_metadata. See \"Users Metadata\" in "
                          f"https://auth0.com/docs/api/v2/changes for more details)'.")


@operation("PATCH /users/{id}")
def update_user(id: str):
    body = payload("PATCH /users/{id}")
    _refuse_unknown_attributes(body)
    if "update:users" not in granted_scopes() and not set(body) <= METADATA_ONLY:
        raise ManagementError(403, "Insufficient scope, expected any of: update:users",
                              "insufficient_scope")
    user = users.update_user(tenant(), id, body)
    emails.after_user_updated(tenant(), user, body, public_base_url())  # new email + verify_email
    return json_response(user)


@operation("DELETE /users/{id}")
def delete_user(id: str):
    read_body()  # hapi parses DELETE payloads too: malformed JSON is a 400, not ignored
    query_args("DELETE /users/{id}")
    users.delete_user(tenant(), id)
    return empty_response(204)


@operation("GET /users-by-email")
def users_by_email():
    args = query_args("GET /users-by-email")
    if not args.get("email"):
        raise bad_request("Query validation error: 'Missing required property: email'.",
                          "invalid_query_string")
    fields, include = _fields(args)
    found = users.users_by_email(tenant(), args["email"])
    return json_response([users.select_fields(_idp_tokens_if_granted(user), fields, include) for user in found])


# --- account linking (core/identities.py) -----------------------------------------------------

def _require_acting_on_self(user_id: str) -> None:
    """A user's token (update:current_user_identities) may only change its own identities."""
    if "update:users" not in granted_scopes() and token_claims().get("sub") != user_id:
        raise ManagementError(403, "User to be acted on does not match subject in bearer token.")


@operation("POST /users/{id}/identities")
def link_identity(id: str):
    body = payload("POST /users/{id}/identities")
    _require_acting_on_self(id)
    return json_response(identities.link(tenant(), id, body, token_claims()), 201)


@operation("DELETE /users/{id}/identities/{provider}/{user_id}")
def unlink_identity(id: str, provider: str, user_id: str):
    read_body()
    query_args("DELETE /users/{id}/identities/{provider}/{user_id}")
    if provider not in schema_enum("UserIdentityProviderEnum"):
        raise bad_request(f"Path validation error: 'No enum match for: \"{provider}\"' on property provider "
                          "(Identity provider name of the secondary linked account (e.g. `google-oauth2`)).",
                          "invalid_uri")
    _require_acting_on_self(id)
    return json_response(identities.unlink(tenant(), id, provider, user_id))
