"""How an upstream identity becomes an Auth0 user: `user_id` `<provider>|<upstream id>` (enterprise:
`<provider>|<connection>|<upstream id>`, see applications/strategies.py), the
provider's attributes mapped to the root profile (email, email_verified, name, given_name,
family_name, nickname, picture, and extras such as locale), and one identity
`{provider, user_id, connection, isSocial, access_token, expires_in}` (a mock idp token, renewed at
each login).

A later login updates the root attributes from the provider, as Auth0 does by default
(`options.set_user_root_attributes: "on_each_login"`); with "on_first_login" they are kept. A
linked secondary's login signs its primary in (core/directory/identities.py).
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, NamedTuple

from ..directory import identities, users
from ..directory.records import UserRecord
from ..logs.events import RequestInfo
from ..login import logins
from ..tenant.clock import iso
from ..applications import strategies

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

IDP_TOKEN_LIFETIME = 3599  # seconds, as Google reports its access tokens' expires_in
MAPPED = ("email", "email_verified", "name", "given_name", "family_name", "nickname", "picture")


class SignIn(NamedTuple):
    profile: dict      # the user signed in (the primary for a linked identity), login counted
    created: bool      # a first login: the user was just created (an `ss` log)


def user_id_of(connection: dict, identity: dict) -> str:
    return f"{strategies.provider_of(connection)}|{strategies.identity_user_id(connection, identity['user_id'])}"


def root_attributes(identity: dict) -> dict:
    """The root profile attributes the provider's answer sets, with Auth0's fallbacks."""
    mapped = {key: copy.deepcopy(identity[key]) for key in MAPPED if key in identity}
    mapped.update(copy.deepcopy(identity.get("attributes") or {}))
    email = mapped.get("email")
    mapped.setdefault("name", email or identity["user_id"])
    mapped.setdefault("nickname", email.split("@")[0] if email else identity["user_id"])
    mapped.setdefault("picture", users.default_picture(email, mapped["name"]))
    return mapped


def sign_in(tenant: "Tenant", connection: dict, identity: dict, request: RequestInfo) -> SignIn:
    """Find or create the user for the provider's answer and count the login. Under the lock."""
    user_id = user_id_of(connection, identity)
    directory = tenant.directory
    if user_id in directory.linked:  # a linked secondary: its primary signs in
        account = identities.login_account(tenant, user_id)
        if account is not None:
            return SignIn(logins.count_login(tenant, account[0], request), False)
    record = directory.users.get(user_id)
    if record is None:
        record = _create(tenant, connection, identity)
        return SignIn(logins.count_login(tenant, record, request), True)
    keep_root = (connection.get("options") or {}).get("set_user_root_attributes") == "on_first_login"
    record = _update(tenant, record, {} if keep_root else root_attributes(identity))
    return SignIn(logins.count_login(tenant, record, request), False)


def idp_tokens(tenant: "Tenant") -> dict:
    """What the provider issued at this login (a mock access token: no real provider is called);
    the Management API shows it only with read:user_idp_tokens."""
    return {"access_token": f"mockidp-idp.{tenant.rng.alnum(40)}", "expires_in": IDP_TOKEN_LIFETIME}


def _create(tenant: "Tenant", connection: dict, identity: dict) -> UserRecord:
    now = iso(tenant.clock.now())
    profile = {"user_id": user_id_of(connection, identity), "created_at": now, "updated_at": now,
               **root_attributes(identity),
               "identities": [{"provider": strategies.provider_of(connection),
                               "user_id": strategies.identity_user_id(connection, identity["user_id"]),
                               "connection": connection["name"], "isSocial": strategies.is_social(connection),
                               **idp_tokens(tenant)}]}
    record = UserRecord(profile, None, tenant.directory.next_user_sequence)
    tenant.directory.put_user(record)
    tenant.directory.next_user_sequence += 1
    return record


def _update(tenant: "Tenant", record: UserRecord, attributes: dict) -> UserRecord:
    """New root attributes from the provider and its new tokens on the identity."""
    profile = {**copy.deepcopy(record.profile), **attributes, "updated_at": iso(tenant.clock.now())}
    profile["identities"][0].update(idp_tokens(tenant))
    updated = record._replace(profile=profile)
    tenant.directory.put_user(updated, record)
    return updated
