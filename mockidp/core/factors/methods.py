"""A user's authentication methods through the Management API: /users/{id}/authentication-methods
listed, created (POST) and replaced whole (PUT; DELETE is enrollments.delete_all, a reset), and
one of them read, changed
(PATCH its name or a phone's preferred channel) and deleted. They are the user's authenticators,
the same records the MFA API enrolls: a method created here answers the next login's challenge,
a deleted one no longer does.

The Management API names a phone `phone|dev_…` and its SMS channel by the MFA API's id
`sms|dev_…`; every other method by the MFA API's id (all as recorded). A name given here is
stored as the authenticator's `label` (an SMS authenticator's `name` is the masked number the
MFA API shows). What the answers show and mask follows go-auth0's recording: lists, reads and
POST's answer mask the email and the phone number, PUT's answer does not; only the lists and
reads carry `confirmed` (methods created here are confirmed)."""
from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from ..tenant.clock import iso
from ..tenant.errors import ManagementError, bad_request, conflict
from . import sms
from .enrollments import keep, owned

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

# authenticator_type (MFA API) -> type (Management API's authentication methods)
METHOD_TYPES = {"otp": "totp", "recovery-code": "recovery-code", "oob": "email"}
# what each created type needs in its body
REQUIRED = {"email": "email", "phone": "phone_number", "totp": "totp_secret"}


def inexistent_method() -> ManagementError:
    return ManagementError(404, "The authentication method could not be found.")


# --- how methods are shown --------------------------------------------------------------------------

def _shown_id(authenticator: dict) -> str:
    if authenticator.get("oob_channel") == "sms":
        return "phone|" + authenticator["id"].split("|", 1)[1]
    return authenticator["id"]


def view(authenticator: dict, *, masked: bool = True, confirmed: bool = True) -> dict:
    """One authentication method; an SMS authenticator is Auth0's `phone` type with its number
    and its channel, an email one shows its address."""
    method = {"id": _shown_id(authenticator), "type": METHOD_TYPES[authenticator["authenticator_type"]]}
    if confirmed:
        method["confirmed"] = authenticator["active"]
    if "label" in authenticator:
        method["name"] = authenticator["label"]
    address = authenticator.get("address") or ""
    if authenticator.get("oob_channel") == "email":
        method["email"] = masked_email(address) if masked else address
    if authenticator.get("oob_channel") == "sms":
        method.update(type="phone", phone_number=masked_phone(address) if masked else address)
    method["created_at"] = authenticator["created_at"]
    if authenticator.get("oob_channel") == "sms":
        preferred = authenticator.get("preferred", "sms")
        method.update(preferred_authentication_method=preferred,
                      authentication_methods=[{"id": authenticator["id"], "type": preferred}])
    return method


def masked_email(address: str) -> str:
    """The first four characters of each part, the rest as stars (a part of four or fewer is four
    stars): chuck334@example.com -> chuc****@exam*******, as recorded."""
    local, _, domain = address.partition("@")
    return f"{_masked_part(local)}@{_masked_part(domain)}"


def _masked_part(part: str) -> str:
    return part[:4] + "*" * (len(part) - 4) if len(part) > 4 else "****"


def masked_phone(number: str) -> str:
    """Every character but the last four as X, the + too: +44207183875044 -> XXXXXXXXXXX5044."""
    return "X" * max(len(number) - 4, 0) + number[-4:]


# --- the list ---------------------------------------------------------------------------------------

def authentication_methods(tenant: "Tenant", user_id: str) -> list[dict]:
    return [view(each) for each in owned(tenant, user_id)]


def create(tenant: "Tenant", user_id: str, body: dict) -> dict:
    """POST: one confirmed method from a (schema-validated) body; 409 when the user already has
    that email, that phone, or a TOTP app."""
    with tenant.lock:
        held = owned(tenant, user_id)
        created = _new_authenticator(tenant, body)
        if any(_same(each, created) for each in held):
            raise conflict("Authentication method already exists.")
        tenant.directory.authenticators[user_id] = (*held, created)
        return view(created, confirmed=False)


def replace(tenant: "Tenant", user_id: str, bodies: list[dict]) -> list[dict]:
    """PUT: the user's methods become exactly these (the recovery code goes too), or nothing
    changes when one is refused."""
    with tenant.lock:
        owned(tenant, user_id)
        created: list[dict] = []
        for body in bodies:
            fresh = _new_authenticator(tenant, body)
            if any(_same(each, fresh) for each in created):
                raise conflict("Authentication method already exists.")
            created.append(fresh)
        keep(tenant, user_id, created)
        return [view(each, masked=False, confirmed=False) for each in created]


def _same(one: dict, other: dict) -> bool:
    """Two methods the user cannot hold both of: one TOTP app, each address once."""
    if one["authenticator_type"] != other["authenticator_type"]:
        return False
    return one["authenticator_type"] == "otp" or (one.get("oob_channel"), one.get("address")) == (
        other.get("oob_channel"), other.get("address"))


def _new_authenticator(tenant: "Tenant", body: dict) -> dict:
    """The authenticator a create names, confirmed at once. Under the tenant lock."""
    kind = body["type"]
    if kind not in REQUIRED:  # webauthn-roaming, passkey: mockidp has no WebAuthn
        raise bad_request(f"mockidp does not support {kind} authentication methods.")
    value = body.get(REQUIRED[kind])
    if not value:
        raise bad_request(f"{REQUIRED[kind]} is required for {kind} authentication methods.")
    unique = tenant.rng.alnum(16)
    record = {"active": True, "created_at": iso(tenant.clock.now())}
    if "name" in body:
        record["label"] = body["name"]
    if kind == "totp":
        return {"id": f"totp|dev_{unique}", "authenticator_type": "otp", "secret": _base32(value), **record}
    if kind == "email":
        return {"id": f"email|dev_{unique}", "authenticator_type": "oob", "oob_channel": "email",
                "name": value, "address": value, **record}
    number = sms.phone_number(value)
    if number is None:
        raise bad_request(sms.INVALID_PHONE)
    return {"id": f"sms|dev_{unique}", "authenticator_type": "oob", "oob_channel": "sms", "name": sms.masked(number),
            "address": number, "preferred": body.get("preferred_authentication_method", "sms"), **record}


def _base32(secret: str) -> str:
    """A TOTP secret as authenticator apps read it: base32, padding optional."""
    cleaned = secret.replace(" ", "").upper()
    try:
        base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise bad_request("totp_secret must be base32 encoded.") from None
    return cleaned


# --- one method -----------------------------------------------------------------------------------

def _find(held: tuple[dict, ...], method_id: str) -> dict:
    found = next((each for each in held if _shown_id(each) == method_id), None)
    if found is None:
        raise inexistent_method()
    return found


def authentication_method(tenant: "Tenant", user_id: str, method_id: str) -> dict:
    """GET one: the user first, then the method."""
    return view(_find(owned(tenant, user_id), method_id))


def update(tenant: "Tenant", user_id: str, method_id: str, body: dict) -> dict:
    """PATCH one with a (schema-validated) body: `name`, and a phone's preferred channel."""
    with tenant.lock:
        held = owned(tenant, user_id)
        authenticator = _find(held, method_id)
        changed = dict(authenticator)
        if "name" in body:
            changed["label"] = body["name"]
        if "preferred_authentication_method" in body:
            if authenticator.get("oob_channel") != "sms":
                raise bad_request("preferred_authentication_method can only be set on a phone authentication "
                                  "method.")
            changed["preferred"] = body["preferred_authentication_method"]
        tenant.directory.authenticators[user_id] = tuple(changed if each is authenticator else each for each in held)
    return view(changed, confirmed=False)


def delete(tenant: "Tenant", user_id: str, method_id: str) -> None:
    """DELETE one: it no longer answers a challenge or a login's code."""
    with tenant.lock:
        held = owned(tenant, user_id)
        gone = _find(held, method_id)
        keep(tenant, user_id, [each for each in held if each is not gone])
