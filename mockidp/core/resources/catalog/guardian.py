"""Guardian (MFA) configuration: the factors and whether each is enabled, their providers,
templates and settings, and the MFA policies. Stored as configuration; the MFA challenge itself
is the MFA issue's."""
from __future__ import annotations

from ..model import Resource

FACTORS = ("sms", "push-notification", "otp", "email", "duo", "webauthn-roaming",
           "webauthn-platform", "recovery-code")
_FACTOR_STATE = {name: {"name": name, "enabled": False, "trial_expired": False} for name in FACTORS}
_SMS_TEMPLATES = {
    "enrollment_message": "{{code}} is your verification code for {{tenant.friendly_name}}. "
                          "Please enter this code to verify your enrollment.",
    "verification_message": "{{code}} is your verification code for {{tenant.friendly_name}}",
}


def _setting(path: str, **defaults) -> Resource:
    return Resource(f"/guardian/factors/{path}", "setting", singleton=True, defaults=defaults)


RESOURCES = [
    Resource("/guardian/factors", "factor", id_key="name", fixed=_FACTOR_STATE),
    Resource("/guardian/enrollments", "enrollment", not_found="Enrollment not found",
             not_found_code="enrollment_not_found"),
    Resource("/guardian/policies", "policies", singleton=True, defaults=()),  # a list: []
    _setting("duo/settings"),
    _setting("phone/message-types", message_types=[]),
    _setting("phone/providers/twilio"),
    _setting("phone/selected-provider", provider="auth0"),
    _setting("phone/templates", **_SMS_TEMPLATES),
    _setting("sms/providers/twilio"),
    _setting("sms/selected-provider", provider="auth0"),
    _setting("sms/templates", **_SMS_TEMPLATES),
    _setting("push-notification/providers/apns"),
    _setting("push-notification/providers/fcm"),
    _setting("push-notification/providers/fcmv1"),
    _setting("push-notification/providers/sns"),
    _setting("push-notification/selected-provider", provider="guardian"),
]
