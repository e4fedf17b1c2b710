"""Account linking: POST /api/v2/users/{id}/identities and
DELETE /api/v2/users/{id}/identities/{provider}/{user_id} (fact sheet §3).

Linking moves a standalone user into a primary's `identities` (its attributes become the
identity's `profileData`, its metadata is discarded) and out of the user list. Its credentials
stay in its connection: its email/username remain taken there and signing in with them signs the
primary in. The secondary is kept as a `LinkedAccount` (directory.linked) so unlinking can give
it back as a standalone user (same id, no metadata) and deleting the primary can delete it too.
Records are replaced, never mutated. Choices where Auth0's behaviour is unrecorded are listed in
docs/behaviour.md ("Account linking").
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request, conflict
from ..tokens import jwt as tokens
from . import changes
from .projection import json_copy
from .records import LinkedAccount, UserRecord

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# What a secondary's identity carries in profileData (fact sheet §2.1), in Auth0's order.
PROFILE_DATA_KEYS = ("email", "email_verified", "name", "username", "given_name", "family_name",
                     "nickname", "picture", "phone_number", "phone_verified")
# What an upstream provider issued, kept on the identity; shown only to read:user_idp_tokens.
IDP_TOKEN_KEYS = ("access_token", "access_token_secret", "refresh_token", "expires_in")
FORM_CONFLICT = ("Payload validation error: 'link_with cannot be specified together with provider, "
                 "user_id or connection_id'.")


def without_idp_tokens(profile: dict) -> dict:
    """The profile as shown without read:user_idp_tokens: identities lose the provider's tokens.
    The profile itself when it has none (the common case costs no copy)."""
    identities = profile.get("identities") or []
    if not any(key in identity for identity in identities for key in IDP_TOKEN_KEYS):
        return profile
    shown = [{key: value for key, value in identity.items() if key not in IDP_TOKEN_KEYS} for identity in identities]
    return {**profile, "identities": shown}


def _invalid(message: str) -> ManagementError:
    return ManagementError(400, message)


def inexistent_user() -> ManagementError:
    return ManagementError(404, "The user does not exist.", "inexistent_user")


def identity_already_exists() -> ManagementError:
    return conflict("Specified identity already exists.")


def profile_data(profile: dict) -> dict:
    return {key: copy.deepcopy(profile[key]) for key in PROFILE_DATA_KEYS if key in profile}


def _own_identity(record: UserRecord) -> dict:
    identity = dict(record.profile["identities"][0])
    identity.pop("profileData", None)
    return identity


# --- link ------------------------------------------------------------------------------------

def link(tenant: "Tenant", primary_id: str, body: dict, caller: dict) -> list[dict]:
    """Link the account `body` names into `primary_id`; the primary's new identities.
    `caller` is the claims of the Management API token (for link_with's issuer/azp checks)."""
    _check_form(body)
    with tenant.lock:
        primary = tenant.directory.users.get(primary_id)
        if primary is None:
            raise inexistent_user()
        if "link_with" in body:
            secondary_id = _subject_of_link_with(tenant, body["link_with"], caller)
        else:
            secondary_id = _named_secondary(tenant, body)
        if secondary_id == primary_id:
            raise _invalid("Main identity and the new one are the same.")
        if secondary_id in tenant.directory.linked:
            raise identity_already_exists()
        secondary = tenant.directory.users.get(secondary_id)
        if secondary is None:
            if "link_with" in body:
                raise _invalid("JWT (link_with) contains an invalid sub claim.")
            raise _invalid("Provided secondary account not found.")
        if len(secondary.profile.get("identities") or ()) > 1:
            raise _invalid("Unable to link with the secondary account.")  # it has links of its own
        return _store_link(tenant, primary, secondary)


def _check_form(body: dict) -> None:
    named = [key for key in ("provider", "user_id", "connection_id") if key in body]
    if "link_with" in body:
        if named:
            raise bad_request(FORM_CONFLICT)
        return
    for needed in ("provider", "user_id"):
        if needed not in body:
            raise bad_request(f"Payload validation error: 'Missing required property: {needed}'.")


def _named_secondary(tenant: "Tenant", body: dict) -> str:
    provider = body["provider"]
    suffix = str(body["user_id"])
    if suffix.startswith(f"{provider}|"):  # the full id is accepted too (recorded)
        suffix = suffix[len(provider) + 1:]
    secondary_id = f"{provider}|{suffix}"
    connection_id = body.get("connection_id")
    if connection_id is not None:
        connection = tenant.directory.connections.get(connection_id)
        if connection is None:
            raise _invalid("The provider/connection is not configured.")
        record = tenant.directory.users.get(secondary_id)
        link_record = tenant.directory.linked.get(secondary_id)
        stored = record or (link_record.record if link_record else None)
        if stored is not None and stored.connection != connection["name"]:
            raise _invalid("Provided secondary account not found.")
    return secondary_id


def _subject_of_link_with(tenant: "Tenant", token: str, caller: dict) -> str:
    """The `sub` of an ID token this tenant signed for the calling token's application."""
    try:
        header = tokens.unverified_header(token)
    except tokens.TokenError:
        raise _invalid("Invalid token (link_with).") from None
    if header.get("alg") != "RS256":
        raise _invalid("JWT (link_with) must have an alg of RS256.")
    try:
        claims = tokens.verified_by_keyring(tenant.keys, token)
    except tokens.TokenError:
        raise _invalid("Invalid token (link_with).") from None
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= tenant.clock.timestamp():
        raise _invalid("Invalid token (link_with).")
    if claims.get("iss") != caller.get("iss"):
        raise _invalid("JWT (link_with) must have the same issuer as the calling user.")
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if not audiences or audiences == [None]:
        raise _invalid("JWT (link_with) contains an invalid aud claim.")
    if caller.get("azp") not in audiences:
        raise _invalid("JWT (link_with) must have an aud claim that matches that of the calling "
                       "token's azp.")
    if "sub" not in claims:
        raise _invalid("JWT (link_with) must contains sub claim.")
    if not isinstance(claims["sub"], str) or "|" not in claims["sub"]:
        raise _invalid("JWT (link_with) contains an invalid sub claim.")
    return claims["sub"]


def _store_link(tenant: "Tenant", primary: UserRecord, secondary: UserRecord) -> list[dict]:
    now = iso(tenant.clock.now())
    directory = tenant.directory
    kept = {key: value for key, value in secondary.profile.items()
            if key not in ("user_metadata", "app_metadata")}  # Auth0 discards them, no merge
    stored_secondary = UserRecord(kept, secondary.password_hash, secondary.sequence)
    profile = copy.deepcopy(primary.profile)
    profile["identities"].append({"profileData": profile_data(kept), **_own_identity(secondary)})
    profile["updated_at"] = now
    updated = UserRecord(profile, primary.password_hash, primary.sequence)
    directory.remove_user(secondary)
    directory.index_credentials(stored_secondary)
    directory.linked[secondary.user_id] = LinkedAccount(stored_secondary, primary.user_id)
    directory.put_user(updated, primary)
    changes.linked_away(tenant, secondary)
    return json_copy(profile["identities"])


# --- unlink ----------------------------------------------------------------------------------

def unlink(tenant: "Tenant", primary_id: str, provider: str, user_id: str) -> list[dict]:
    """Give the secondary `provider|user_id` back as a standalone user; the remaining identities."""
    with tenant.lock:
        primary = tenant.directory.users.get(primary_id)
        if primary is None:
            raise inexistent_user()
        identities = primary.profile["identities"]
        main = identities[0]
        if main["provider"] == provider and str(main["user_id"]) == user_id:
            raise _invalid("Main identity cannot be removed.")
        secondary_id = f"{provider}|{user_id}"
        link_record = tenant.directory.linked.get(secondary_id)
        if link_record is None or link_record.primary_id != primary_id:
            return json_copy(identities)  # nothing linked by that name: unchanged (a choice)
        return _store_unlink(tenant, primary, link_record)


def _store_unlink(tenant: "Tenant", primary: UserRecord, link_record: LinkedAccount) -> list[dict]:
    now = iso(tenant.clock.now())
    directory = tenant.directory
    secondary = link_record.record
    profile = copy.deepcopy(primary.profile)
    profile["identities"] = [identity for identity in profile["identities"]
                             if f"{identity['provider']}|{identity['user_id']}" != secondary.user_id]
    profile["updated_at"] = now
    standalone = {**copy.deepcopy(secondary.profile), "identities": [_own_identity(secondary)],
                  "updated_at": now}
    directory.unindex_credentials(secondary)
    del directory.linked[secondary.user_id]
    directory.put_user(UserRecord(standalone, secondary.password_hash, secondary.sequence))
    directory.put_user(UserRecord(profile, primary.password_hash, primary.sequence), primary)
    return json_copy(profile["identities"])


# --- what else linking touches ---------------------------------------------------------------

def delete_linked(tenant: "Tenant", primary_id: str) -> None:
    """Deleting a primary deletes its linked secondaries. Under the tenant lock."""
    directory = tenant.directory
    for secondary_id, link_record in list(directory.linked.items()):
        if link_record.primary_id == primary_id:
            directory.unindex_credentials(link_record.record)
            del directory.linked[secondary_id]


def login_account(tenant: "Tenant", user_id: str) -> tuple[UserRecord, str | None] | None:
    """For credentials that belong to `user_id`: (the user they sign in, the password hash to
    check). A linked secondary's credentials sign its primary in. Under the tenant lock."""
    record = tenant.directory.users.get(user_id)
    if record is not None:
        return record, record.password_hash
    link_record = tenant.directory.linked.get(user_id)
    if link_record is None:
        return None
    primary = tenant.directory.users.get(link_record.primary_id)
    return (primary, link_record.record.password_hash) if primary is not None else None


def verify_linked_email(tenant: "Tenant", secondary_id: str, email: str | None) -> dict:
    """An email-verification link of a secondary used after it was linked: its address is
    verified, in its stored record and in the primary's profileData. Returns the secondary's
    profile. Raises LookupError("email_changed"/"already_verified") like the standalone case.
    Under the tenant lock."""
    directory = tenant.directory
    link_record = directory.linked[secondary_id]
    secondary = link_record.record
    if secondary.profile.get("email") != email:
        raise LookupError("email_changed")
    if secondary.profile.get("email_verified"):
        raise LookupError("already_verified")
    now = iso(tenant.clock.now())
    verified = UserRecord({**copy.deepcopy(secondary.profile), "email_verified": True, "updated_at": now},
                          secondary.password_hash, secondary.sequence)
    directory.linked[secondary_id] = LinkedAccount(verified, link_record.primary_id)
    primary = directory.users.get(link_record.primary_id)
    if primary is not None:
        profile = copy.deepcopy(primary.profile)
        for identity in profile["identities"][1:]:
            if f"{identity['provider']}|{identity['user_id']}" == secondary_id:
                identity["profileData"] = {**identity.get("profileData", {}), "email_verified": True}
        profile["updated_at"] = now
        directory.put_user(UserRecord(profile, primary.password_hash, primary.sequence), primary)
    return json_copy(verified.profile)

