"""Tenant-wide settings: tenant settings (kept in `tenant.tenant_settings`, which the login
pages, logout and tokens read), the email provider, attack protection's other sections, risk
assessment, network ACLs and the custom and encryption keys (signing keys: core/tokens)."""
from __future__ import annotations

from ...tenant.lifetimes import lifetimes_in_hours
from ..model import Resource

# What a new tenant's GET /tenants/settings shows beside what the fixture sets (recordings).
TENANT_DEFAULTS = {
    "allowed_logout_urls": [], "acr_values_supported": [], "enabled_locales": ["en"],
    "flags": {"allow_changing_enable_sso": False, "disable_impersonation": True, "enable_sso": True,
              "revoke_refresh_token_grant": False, "mfa_show_factor_list_on_enrollment": False,
              "remove_alg_from_jwks": True, "disable_clickjack_protection_headers": False},
    "idle_session_lifetime": 72, "session_lifetime": 168, "sandbox_version": "22",
    "sandbox_versions_available": ["22", "18"], "sessions": {"oidc_logout_prompt_enabled": True},
    "oidc_logout": {"rp_logout_end_session_endpoint_discovery": True},
    "session_cookie": {"mode": "persistent"},
}
_SECRETS = ("smtp_pass", "api_key", "secretAccessKey", "clientSecret", "connectionString")


def _tenant_settings(tenant) -> dict:
    # mockidp keeps "" for settings a fixture leaves unset; Auth0 omits them.
    stored = {key: value for key, value in tenant.tenant_settings.items() if value != ""}
    return {"": {**TENANT_DEFAULTS, **stored, "flags": {**TENANT_DEFAULTS["flags"], **stored.get("flags", {})}}}


def _save_tenant_settings(tenant, record_id, record) -> None:
    tenant.tenant_settings = lifetimes_in_hours(record)  # a new dict: readers never see it half-written


def _provider_view(tenant, record: dict) -> dict:
    credentials = {key: value for key, value in (record.get("credentials") or {}).items()
                   if key not in _SECRETS}
    return {**record, "credentials": credentials} if "credentials" in record else record


def _section(path: str, **defaults) -> Resource:
    return Resource(path, "settings", singleton=True, defaults=defaults)


RESOURCES = [
    # a null removes the setting (recorded: TestTenantManager_NullableFields, _CountryCodes), so
    # it reads as a new tenant's default again, or not at all
    Resource("/tenants/settings", "tenant settings", singleton=True, source=_tenant_settings,
             save=_save_tenant_settings, merge_objects=("flags", "sessions"), null_resets=True),
    Resource("/emails/provider", "email provider", singleton=True, starts_empty=True,
             not_found="There is not a configured email provider",
             not_found_code="inexistent_email_provider", view=_provider_view, delete_missing_ok=True,
             merge_objects=("credentials", "settings")),
    _section("/attack-protection/breached-password-detection", enabled=False, shields=[],
             admin_notification_frequency=[], method="standard",
             stage={"pre-user-registration": {"shields": []}, "pre-change-password": {"shields": []}}),
    _section("/attack-protection/suspicious-ip-throttling", enabled=True,
             shields=["admin_notification", "block"], allowlist=[],
             stage={"pre-login": {"max_attempts": 100, "rate": 864000},
                    "pre-user-registration": {"max_attempts": 50, "rate": 1200}}),
    _section("/attack-protection/bot-detection", bot_detection_level="medium",
             challenge_password_policy="never", challenge_passwordless_policy="never",
             challenge_password_reset_policy="never", allowlist=[], monitoring_mode_enabled=False),
    _section("/attack-protection/captcha", active_provider_id="auth_challenge",
             auth_challenge={"fail_open": False}),
    # SMS fraud protection's exponential backoff is an Enterprise feature, off on a new tenant
    _section("/attack-protection/phone-provider-protection", type="none"),
    _section("/risk-assessments/settings", enabled=False),
    _section("/risk-assessments/settings/new-device", remember_for=30),
    _section("/supplemental-signals", akamai_enabled=False),
    # Suspicious-IP throttling is stored, not enforced, so no IP is ever blocked: GET answers
    # Auth0's bare 404 (recorded), DELETE 204 (recorded).
    Resource("/anomaly/blocks/ips", "IP block", not_found="Not Found", delete_missing_ok=True),
    # DELETE answers 200 with this odd body (recorded, every time)
    Resource("/network-acls", "network ACL", created_at="created_at", updated_at="updated_at", delete_status=200,
             delete_reply={"code": 204, "object": ""}, listing="offset", list_key="network_acls",
             not_found="NetworkACL with this ID was not found"),
    Resource("/keys/custom-signing", "custom signing keys", singleton=True, starts_empty=True,
             not_found="No custom signing keys found", not_found_code="inexistent_custom_signing_keys"),
    Resource("/keys/encryption", "encryption key", id_key="kid", known_keys_only=True,
             defaults={"state": "pre-activation", "parent_kid": None}, created_at="created_at",
             updated_at="updated_at", listing="offset", list_key="keys"),
]
