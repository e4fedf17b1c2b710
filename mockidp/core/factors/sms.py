"""MFA codes by text message (factor `sms`): the message's text from the tenant's Guardian phone
templates (Liquid: `{{code}}`, `{{tenant.friendly_name}}`), and who sends it, by the selected phone
provider. Auth0's own ("auth0") and Twilio ("twilio", its settings stored only) are the built-in
sender: the message goes into the phone outbox. Auth0's custom provider ("phone-message-hook")
runs the bound send-phone-message Actions instead (core/actions/phone.py) and the outbox records
what they were given; with no Action bound, or one that fails, nothing is sent
(`gd_send_sms_failure`). Either way a sent message is logged `gd_send_sms`.

The provider and templates are the declared resources /guardian/factors/phone/selected-provider
and /guardian/factors/phone/templates (the older /guardian/factors/sms/... ones when only those
were written), read here from the Directory: factors/ sits below resources/."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from ..actions import phone as phone_actions
from ..email.templates import TemplateError
from ..logs import events as logs
from ..logs.events import RequestInfo
from . import phone_outbox

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

ENROLLMENT = "enrollment"
CHALLENGE = "second-factor-authentication"
CODE_LIFETIME = 300
CUSTOM_PROVIDER = "phone-message-hook"
TEMPLATE_DEFAULTS = {
    "enrollment_message": "{{code}} is your verification code for {{tenant.friendly_name}}. "
                          "Please enter this code to verify your enrollment.",
    "verification_message": "{{code}} is your verification code for {{tenant.friendly_name}}",
}
E164 = re.compile(r"\+[1-9]\d{6,14}")
INVALID_PHONE = "The phone number is invalid: use the E.164 format (+14155550100)"


class Outgoing(NamedTuple):
    """A code to text once the tenant lock is released (an Action may send it)."""

    to: str
    code: str
    action: str                   # ENROLLMENT or CHALLENGE
    user_id: str
    client: dict | None


def phone_number(value) -> str | None:
    """The number in E.164, or None when it is not one."""
    if not isinstance(value, str):
        return None
    cleaned = re.sub(r"[\s().-]", "", value)
    return cleaned if E164.fullmatch(cleaned) else None


def masked(number: str) -> str:
    """How Auth0 names an SMS authenticator: every digit but the last four hidden (XXXXXXXXX9167)."""
    digits = re.sub(r"\D", "", number)
    return "X" * max(len(digits) - 4, 0) + digits[-4:]


def new_code(tenant: "Tenant", *, to: str, user_id: str, client: dict | None, action: str) -> Outgoing:
    """A fresh 6-digit code from the tenant RNG. Under the tenant lock."""
    return Outgoing(to, tenant.rng.digits(6), action, user_id, client)


def send(tenant: "Tenant", outgoing: Outgoing, request: RequestInfo) -> bool:
    """Text the code through the selected provider (no lock held): whether it was sent."""
    with tenant.lock:
        record = tenant.directory.users.get(outgoing.user_id)
        profile = dict(record.profile) if record else {"user_id": outgoing.user_id}
        provider = selected_provider(tenant)
        template = _templates(tenant)["enrollment_message" if outgoing.action == ENROLLMENT
                                      else "verification_message"]
        friendly_name = tenant.tenant_settings.get("friendly_name") or "mockidp"
    try:
        text = tenant.mailroom.renderer.render("template", template, {
            "code": outgoing.code, "tenant": {"friendly_name": friendly_name}})
    except TemplateError as error:  # a broken template stored through the Management API
        return _failed(tenant, outgoing, profile, request, f"The SMS template does not render: {error}")
    if provider == CUSTOM_PROVIDER:
        failure = phone_actions.send_phone_message(tenant, phone_actions.PhoneMessage(
            outgoing.action, outgoing.code, outgoing.to, text, profile, outgoing.client, request))
        if failure is not None:
            return _failed(tenant, outgoing, profile, request, failure)
    with tenant.lock:
        phone_outbox.send(tenant, to=outgoing.to, body=text, code=outgoing.code, user_id=outgoing.user_id,
                          template=f"mfa_{outgoing.action}", provider=provider)
    logs.record(tenant, "gd_send_sms", "", request=request, client=outgoing.client, user=profile,
                details={"to": outgoing.to, "provider": provider, "action": outgoing.action})
    return True


def _failed(tenant: "Tenant", outgoing: Outgoing, profile: dict, request: RequestInfo, why: str) -> bool:
    logs.record(tenant, "gd_send_sms_failure", why, request=request, client=outgoing.client, user=profile,
                details={"to": outgoing.to, "action": outgoing.action, "error": {"message": why}})
    return False


def selected_provider(tenant: "Tenant") -> str:
    """The phone provider (Auth0's default "auth0"). Under the tenant lock."""
    stored = _setting(tenant, "selected-provider")
    return str(stored.get("provider") or "auth0")


def _templates(tenant: "Tenant") -> dict:
    return {**TEMPLATE_DEFAULTS, **{key: value for key, value in _setting(tenant, "templates").items()
                                    if key in TEMPLATE_DEFAULTS and isinstance(value, str)}}


def _setting(tenant: "Tenant", name: str) -> dict:
    """The phone factor's stored setting, else the sms factor's (Auth0's older path), else {}."""
    for factor in ("phone", "sms"):
        stored = (tenant.directory.resources.get(f"/guardian/factors/{factor}/{name}") or {}).get("")
        if isinstance(stored, dict):
            return stored
    return {}
