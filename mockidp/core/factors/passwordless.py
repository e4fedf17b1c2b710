"""Passwordless connections: strategy `email` (POST /passwordless/start sends a one-time code or
a magic link through the mailroom) and strategy `sms` (a code into the phone outbox); the OTP
grant or the link redeems it.

A code is drawn from the tenant RNG, lives `options.totp.time_step` seconds on the tenant clock,
is bound to the client that asked for it, is used once, and dies after MAX_ATTEMPTS wrong tries
(a new start replaces it). Redeeming a code for an unknown address signs the user up (user id
`email|...` or `sms|...`, address verified) unless the connection has `disable_signup`; the
signup runs pre-user-registration first (outside the tenant lock: it runs Node; a refusal is
`access_denied` with the Action's userMessage) and queues post-user-registration after. Logs: `cs` (code sent),
`cls` (link sent), `fp` (wrong code), `ss` (signup on first use). Choices Auth0 does not
document are in docs/behaviour.md ("Passwordless").
"""
from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlencode

from ..actions import registration
from ..applications.connections import EMAIL_OPTION_DEFAULTS, SMS_OPTION_DEFAULTS
from ..directory import users
from ..directory.records import UserRecord
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..tenant import ids
from ..tenant.clock import iso
from ..tenant.errors import OAuthError
from . import phone_outbox

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

OTP_GRANT = "http://auth0.com/oauth/grant-type/passwordless/otp"
SEND_MODES = ("link", "code")
MAX_ATTEMPTS = 3
LINK_PATH = "/passwordless/verify_redirect"
# What a magic link carries from `authParams` to the /authorize-like login it completes.
LINK_AUTH_PARAMS = ("scope", "response_type", "response_mode", "redirect_uri", "state", "nonce",
                    "audience", "code_challenge", "code_challenge_method")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+[1-9][0-9]{3,14}")  # E.164
OPTION_DEFAULTS = {"email": EMAIL_OPTION_DEFAULTS, "sms": SMS_OPTION_DEFAULTS}

WRONG_CODE = "Wrong email or verification code."
WRONG_SMS_CODE = "Wrong phone number or verification code."
TOO_MANY_ATTEMPTS = "You've reached the maximum number of attempts. Please try to login again."
SIGNUP_DISABLED = "Public signup is disabled"


class Redeemed(NamedTuple):
    """A code that was just used: who it signs in, through which connection, for which request."""

    profile: dict
    connection: dict
    auth_params: dict
    created: bool


def _bad(error: str, description: str) -> OAuthError:
    return OAuthError(400, error, description)


def wrong_code(connection: dict | None = None) -> OAuthError:
    sms = (connection or {}).get("strategy") == "sms"
    return OAuthError(403, "invalid_grant", WRONG_SMS_CODE if sms else WRONG_CODE)


# --- start -------------------------------------------------------------------------------------

def start(tenant: "Tenant", client: dict, params: dict, *, base_url: str, request: RequestInfo) -> dict:
    """POST /passwordless/start for an authenticated client: queue the email, log cs/cls and
    answer `{_id, email, email_verified}`. Bad input changes nothing."""
    auth_params = params.get("authParams") or {}
    if not isinstance(auth_params, dict):
        raise _bad("bad.authParams", "authParams must be an object")
    with tenant.lock:
        connection = _start_connection(tenant, client, params.get("connection"))
        sms = connection["strategy"] == "sms"
        send = _send_mode(params.get("send"), client, sms)
        address = _phone(params.get("phone_number")) if sms else _email(params.get("email"))
        if _user(tenant, connection, address) is None and _options(connection).get("disable_signup"):
            raise _bad("unauthorized", SIGNUP_DISABLED)
        code = _store_code(tenant, connection, client, address, send, auth_params)
        if sms:
            phone_outbox.send(tenant, to=address, body=_sms_body(tenant, connection, client, code), code=code,
                              user_id=None)
        else:
            link = _link(base_url, connection, client, address, code, auth_params) if send == "link" else None
            tenant.mailroom.enqueue("passwordless", to=address, user_id=None, base_url=base_url, url=link,
                                    client_id=client["client_id"], template_source=_email_template(connection),
                                    extra={"code": code, "send": send, "link": link or "",
                                           "connection": {"name": connection["name"]}})
        request_id = tenant.rng.hex(24)
    field = "phone_number" if sms else "email"
    logs.record(tenant, "cs" if send == "code" else "cls", "", request=request, client=client,
                connection=connection, user_name=address,
                details={"body": {field: address, "connection": connection["name"], "send": send,
                                  "authParams": auth_params}})
    tenant.mailroom.deliver_due()  # outside the lock
    return {"_id": request_id, field: address, ("phone_verified" if sms else "email_verified"): True}


def _send_mode(send, client: dict, sms: bool) -> str:
    """`link` by default for email, `code` (the only mode) for sms; a code needs the OTP grant."""
    send = send or ("code" if sms else "link")
    if send not in SEND_MODES:
        raise _bad("bad.request", "send must be one of: link, code")
    if sms and send != "code":
        raise _bad("bad.request", "send must be code for an sms connection")
    if send == "code" and OTP_GRANT not in (client.get("grant_types") or []):
        raise OAuthError(403, "unauthorized_client", f"Grant type '{OTP_GRANT}' not allowed for the client.")
    return send


def _start_connection(tenant: "Tenant", client: dict, name) -> dict:
    if not isinstance(name, str) or not name:
        raise _bad("bad.connection", "Missing required property: connection")
    connection = tenant.directory.connection_by_name(name)
    if connection is None or connection.get("strategy") not in OPTION_DEFAULTS:
        raise _bad("bad.connection", "Connection does not exist")
    if client["client_id"] not in (connection.get("enabled_clients") or []):
        raise _bad("bad.connection", "Connection is disabled")
    return connection


def _email(value) -> str:
    if not isinstance(value, str) or not value:
        raise _bad("bad.email", "Missing required property: email")
    if not EMAIL.fullmatch(value.strip()):
        raise _bad("bad.email", "Invalid email address")
    return value.strip().lower()


def _phone(value) -> str:
    if not isinstance(value, str) or not value:
        raise _bad("bad.phone_number", "Missing required property: phone_number")
    if not PHONE.fullmatch(value.strip()):
        raise _bad("bad.phone_number", "The phone number is invalid: use the E.164 format (+14155550100)")
    return value.strip()


def _sms_body(tenant: "Tenant", connection: dict, client: dict, code: str) -> str:
    """The connection's template: `@@password@@` (md_with_macros) or Liquid's `{{ code }}`."""
    options = _options(connection)
    template = options.get("template") or SMS_OPTION_DEFAULTS["template"]
    if options.get("syntax") == "liquid":
        return tenant.mailroom.renderer.render("template", template, {
            "code": code, "password": code, "application": {"name": client.get("name", "")}})
    return template.replace("@@password@@", code).replace("@@application.name@@", client.get("name", ""))


def _options(connection: dict) -> dict:
    return connection.get("options") or {}


def _store_code(tenant: "Tenant", connection: dict, client: dict, email: str, send: str,
                auth_params: dict) -> str:
    """A fresh code replaces the address's earlier one. Under the tenant lock."""
    totp = {**OPTION_DEFAULTS[connection["strategy"]]["totp"], **(_options(connection).get("totp") or {})}
    code = tenant.rng.digits(int(totp["length"]))
    now = tenant.clock.timestamp()
    tenant.directory.one_time_codes[(connection["name"], email)] = {
        "code": code, "client_id": client["client_id"], "send": send, "auth_params": dict(auth_params),
        "issued_at": now, "expires_at": now + int(totp["time_step"]), "attempts": 0}
    return code


def _link(base_url: str, connection: dict, client: dict, email: str, code: str, auth_params: dict) -> str:
    """Auth0's magic link: /passwordless/verify_redirect with the auth params and the code."""
    query = [(name, str(auth_params[name])) for name in LINK_AUTH_PARAMS if auth_params.get(name)]
    query += [("verification_code", code), ("connection", connection["name"]),
              ("client_id", client["client_id"]), ("email", email)]
    return f"{base_url}{LINK_PATH}?{urlencode(query)}"


def _email_template(connection: dict) -> dict:
    """The connection's own email (options.email), defaults filling what it leaves out."""
    configured = {key: value for key, value in (_options(connection).get("email") or {}).items() if value}
    return {"template": "passwordless", "enabled": True, **EMAIL_OPTION_DEFAULTS["email"], **configured}


# --- redeem ------------------------------------------------------------------------------------

def redeem(tenant: "Tenant", client: dict, realm: str, identifier: str, otp: str, *,
           request: RequestInfo) -> Redeemed:
    """Use a code: the user it signs in (signed up on first use). Wrong, expired or reused codes
    are `invalid_grant`; each wrong try counts towards MAX_ATTEMPTS."""
    with tenant.lock:
        connection = _grant_connection(tenant, client, realm)
        address = identifier.strip() if connection["strategy"] == "sms" else identifier.strip().lower()
        key = (connection["name"], address)
        stored = tenant.directory.one_time_codes.get(key)
        if stored is None or stored["client_id"] != client["client_id"] or \
                stored["expires_at"] <= tenant.clock.timestamp():
            failure = wrong_code(connection)
        elif stored["attempts"] >= MAX_ATTEMPTS:
            failure = OAuthError(403, "invalid_grant", TOO_MANY_ATTEMPTS)
        elif not hmac.compare_digest(stored["code"].encode(), otp.encode()):
            tenant.directory.one_time_codes[key] = {**stored, "attempts": stored["attempts"] + 1}
            failure = wrong_code(connection)
        elif _user(tenant, connection, address) is not None or _options(connection).get("disable_signup"):
            return _sign_in(tenant, connection, client, address, stored, request)
        else:
            failure = None  # a first use: the signup's Actions run before the lock is taken again
    if failure is None:
        return _sign_up_with_actions(tenant, connection, client, address, stored, request)
    record = _user(tenant, connection, address)
    logs.record(tenant, "fp", failure.description, request=request, client=client, connection=connection,
                user=record.profile if record else None, user_name=None if record else address,
                details={"error": {"message": failure.description}})
    failure.logged = True  # as a failed login, not as a failed exchange
    raise failure


def _grant_connection(tenant: "Tenant", client: dict, realm: str) -> dict:
    connection = tenant.directory.connection_by_name(realm)
    if connection is None:
        raise _bad("invalid_request", "the connection was not found")
    if client["client_id"] not in (connection.get("enabled_clients") or []):
        raise _bad("invalid_request", "the connection is not enabled")
    if connection.get("strategy") not in OPTION_DEFAULTS:
        raise _bad("invalid_request", "invalid connection specified for passwordless grant")
    return connection


def _sign_up_with_actions(tenant: "Tenant", connection: dict, client: dict, address: str, stored: dict,
                          request: RequestInfo) -> Redeemed:
    """A code's first use by an unknown address: pre-user-registration decides (and may set
    metadata), then the code is spent and the user created, unless another use of the same code
    got there first; post-user-registration is queued for the new user."""
    field = "phone_number" if connection["strategy"] == "sms" else "email"
    outcome = registration.pre_user_registration(tenant, registration.Signup(
        user={field: address}, connection=connection, client=dict(client), request=request,
        body={"connection": connection["name"], field: address}))
    if outcome.refusal is not None:
        logs.record(tenant, "fs", outcome.refusal.reason, request=request, client=client, connection=connection,
                    user_name=address, details={"body": {"username": address, "connection": connection["name"]}})
        raise OAuthError(403, "access_denied", outcome.refusal.user_message)
    with tenant.lock:
        if tenant.directory.one_time_codes.get((connection["name"], address)) is not stored:
            raise wrong_code(connection)  # spent or replaced while the Actions ran
        redeemed = _sign_in(tenant, connection, client, address, stored, request, metadata=outcome.metadata)
    if redeemed.created:
        registration.user_registered(tenant, redeemed.profile, request, {"connection": connection["name"]})
    return redeemed


def _sign_in(tenant: "Tenant", connection: dict, client: dict, address: str, stored: dict,
             request: RequestInfo, metadata: dict | None = None) -> Redeemed:
    """The code is right: spend it, then find or sign up the user. Under the tenant lock."""
    record = _user(tenant, connection, address)
    if record is None and _options(connection).get("disable_signup"):
        raise OAuthError(403, "access_denied", SIGNUP_DISABLED)
    del tenant.directory.one_time_codes[(connection["name"], address)]
    created = record is None
    verified = "phone_verified" if connection["strategy"] == "sms" else "email_verified"
    if created:
        record = _sign_up(tenant, connection, address, metadata or {})
        logs.record(tenant, "ss", "", request=request, client=client, connection=connection, user=record.profile,
                    details={"body": {"username": address, "connection": connection["name"]}})
    elif not record.profile.get(verified):
        # Receiving the code proves the address.
        previous, record = record, record._replace(profile={**record.profile, verified: True})
        tenant.directory.put_user(record, previous)
    return Redeemed(users.public_profile(record), connection, dict(stored["auth_params"]), created)


def _user(tenant: "Tenant", connection: dict, address: str) -> UserRecord | None:
    if connection["strategy"] == "sms":
        # No phone index: a scan of the users, cheap next to an HTTP round trip for a mock tenant.
        return next((record for record in tenant.directory.users.values()
                     if record.profile.get("phone_number") == address and record.connection == connection["name"]),
                    None)
    user_id = tenant.directory.users_by_connection_email.get((connection["name"], address))
    return tenant.directory.users.get(user_id) if user_id else None


def _sign_up(tenant: "Tenant", connection: dict, address: str, metadata: dict) -> UserRecord:
    suffix = ids.user_id_suffix(tenant.rng)
    now = iso(tenant.clock.now())
    strategy = connection["strategy"]
    if strategy == "sms":
        contact = {"phone_number": address, "phone_verified": True, "name": address, "nickname": address}
    else:
        contact = {"email": address, "email_verified": True, "name": address, "nickname": address.split("@")[0]}
    profile = {"user_id": f"{strategy}|{suffix}", **contact, **metadata, "created_at": now, "updated_at": now,
               "picture": users.default_picture(contact.get("email"), address),
               "identities": [{"connection": connection["name"], "user_id": suffix, "provider": strategy,
                               "isSocial": False}]}
    record = UserRecord(profile, None, tenant.directory.next_user_sequence)
    tenant.directory.put_user(record)
    tenant.directory.next_user_sequence += 1
    return record
