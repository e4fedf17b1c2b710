"""Guardian (MFA) configuration: the factors and whether each is enabled, their providers,
templates and settings. Stored as configuration; the phone provider and templates are read by
core/factors/sms.py when it texts an MFA code. The factors' enabled state and the MFA policies
have behaviour and live in core/factors/guardian.py (api/management/factors/guardian.py)."""
from __future__ import annotations

from ...factors.sms import TEMPLATE_DEFAULTS as _SMS_TEMPLATES
from ..model import Resource


def _setting(path: str, hidden: tuple[str, ...] = (), **defaults) -> Resource:
    return Resource(f"/guardian/factors/{path}", "setting", singleton=True, defaults=defaults, hidden=hidden)


def _webauthn(kind: str, **defaults) -> Resource:
    """Beyond the spec (data/spec_gaps.json): a PUT answers what it was sent, a GET the settings
    over Auth0's defaults (recorded: TestGuardian/MultiFactor/WebAuthn_*/Settings.yaml)."""
    return Resource(f"/guardian/factors/webauthn-{kind}/settings", "setting", singleton=True,
                    defaults=defaults, put_echoes=True)


RESOURCES = [
    Resource("/guardian/enrollments", "enrollment", not_found="Enrollment not found",
             not_found_code="enrollment_not_found"),
    _setting("duo/settings"),
    _setting("phone/message-types", message_types=[]),
    _setting("phone/providers/twilio"),
    _setting("phone/selected-provider", provider="auth0"),
    _setting("phone/templates", **_SMS_TEMPLATES),
    _setting("sms/providers/twilio"),
    _setting("sms/selected-provider", provider="auth0"),
    _setting("sms/templates", **_SMS_TEMPLATES),
    # the push providers' secrets are written, never answered (recorded: PUT answers without
    # them), except SNS's secret key, which its PUT answers (recorded) and only GET leaves out
    _setting("push-notification/providers/apns", hidden=("p12",)),
    _setting("push-notification/providers/fcm", hidden=("server_key",)),
    _setting("push-notification/providers/fcmv1", hidden=("server_credentials",)),
    _setting("push-notification/providers/sns"),
    _setting("push-notification/selected-provider", provider="guardian"),
    _webauthn("platform", overrideRelyingParty=False),
    _webauthn("roaming", userVerification="required", overrideRelyingParty=False),
]
