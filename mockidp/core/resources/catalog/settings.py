"""Tenant-wide settings: tenant settings (kept in `tenant.tenant_settings`, which the login
pages, logout and tokens read), the email provider, attack protection's other sections and the IPs
suspicious IP throttling blocks (core/login/bruteforce.py), risk assessment, network ACLs and the
custom and encryption keys (signing keys: core/tokens; the encryption key hierarchy:
core/tokens/encryption_keys.py; wrapping keys: core/tokens/wrapping.py)."""
from __future__ import annotations

import ipaddress

from ...login import bruteforce
from ...tenant.errors import ManagementError, bad_request, conflict, not_found
from ...tenant.lifetimes import lifetimes_in_hours
from ...tokens import encryption_keys, wrapping
from .. import store
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
# The credentials an email provider's reply shows (the spec's EmailProviderCredentials; recorded
# for SMTP): secrets and the other providers' identifiers (AWS key id, Azure client) are not shown.
_SHOWN_CREDENTIALS = ("api_user", "region", "smtp_host", "smtp_port", "smtp_user")


def _tenant_settings(tenant) -> dict:
    # mockidp keeps "" for settings a fixture leaves unset; Auth0 omits them.
    stored = {key: value for key, value in tenant.tenant_settings.items() if value != ""}
    return {"": {**TENANT_DEFAULTS, **stored, "flags": {**TENANT_DEFAULTS["flags"], **stored.get("flags", {})}}}


def _save_tenant_settings(tenant, record_id, record) -> None:
    tenant.tenant_settings = lifetimes_in_hours(record)  # a new dict: readers never see it half-written


def _provider_view(tenant, record: dict) -> dict:
    credentials = {key: value for key, value in (record.get("credentials") or {}).items()
                   if key in _SHOWN_CREDENTIALS}
    return {**record, "credentials": credentials} if "credentials" in record else record


# --- the encryption key hierarchy (core/tokens/encryption_keys.py) and Bring Your Own Key: a
# customer-provided root key's wrapping key and import (core/tokens/wrapping.py)

WRAPPING_KEY = encryption_keys.WRAPPING_KEY  # the number of the key's latest wrapping key: kept, never shown


def _wrapping_key(tenant, record: dict, body) -> tuple[int, dict]:
    """A new public wrapping key for a root key awaiting its material; the key remembers it, so
    the import can unwrap (a later call replaces it)."""
    if record.get("type") != encryption_keys.CUSTOMER_ROOT:
        raise ManagementError(400, "Invalid key id or unsupported key type.")
    if record.get("state") != encryption_keys.PRE_ACTIVATION:
        raise conflict("Failed precondition. Create new encryption key without the key material first.")
    number, public_key = wrapping.new_wrapping_key(tenant)
    store.update(tenant, ENCRYPTION_KEYS, record["kid"], {WRAPPING_KEY: number})
    return 201, {"public_key": public_key, "algorithm": wrapping.ALGORITHM}


def _import(tenant, kid: str, body: dict, query) -> tuple[int, dict]:
    """The wrapped key material, unwrapped with the key's wrapping key: the key becomes the
    active root of the hierarchy."""
    record = store.find_or_none(tenant, ENCRYPTION_KEYS, kid)
    if record is None:
        raise ManagementError(400, "The key ID was not found.")
    if record.get("state") != encryption_keys.PRE_ACTIVATION or WRAPPING_KEY not in record:
        raise conflict("Failed precondition. Key import not in progress or unable to find the wrapping key. "
                       "Make sure you have followed all the steps to import a key.")
    if wrapping.unwrap(tenant, record[WRAPPING_KEY], str(body.get("wrapped_key"))) is None:
        raise ManagementError(400, "Invalid input. Wrapped key material is invalid or unsupported key type.")
    # The material itself is not kept (nothing in mockidp is encrypted with it): only its effect.
    return 201, store.view(tenant, ENCRYPTION_KEYS, encryption_keys.activate_root(tenant, kid))


def _rekey(tenant, record_id, body, query) -> tuple[int, None]:
    encryption_keys.rekey(tenant)
    return 204, None


def _delete_key(tenant, kid: str, body, query) -> tuple[int, None]:
    encryption_keys.delete(tenant, kid)
    return 204, None


# --- the IPs suspicious IP throttling blocks ------------------------------------------------------

def _ip(value: str, purpose: str) -> str:
    """The path's IP (the spec's AnomalyIPFormat: an IPv4 or IPv6 address), or Auth0's 400."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise bad_request("Path validation error: 'Data does not match any schemas from 'oneOf'' on property "
                          f"id ({purpose}).", "invalid_uri") from None
    return value


def _check_ip(tenant, ip: str, body, query) -> tuple[int, None]:
    """200 with no body while the IP is blocked (the spec documents no body)."""
    if not bruteforce.ip_blocked(tenant, _ip(ip, "IP address to check.")):
        raise not_found("Not Found")
    return 200, None


def _unblock_ip(tenant, ip: str, body, query) -> tuple[int, None]:
    bruteforce.unblock_ip(tenant, _ip(ip, "IP address to unblock."))
    return 204, None


def _section(path: str, **defaults) -> Resource:
    return Resource(path, "settings", singleton=True, defaults=defaults)


# A new tenant's keys are made with it (core/assembly.py); Auth0 lists the newest first (recorded).
ENCRYPTION_KEYS = Resource(
    encryption_keys.PATH, "encryption key", id_key="kid",
    defaults={"state": encryption_keys.PRE_ACTIVATION, "parent_kid": None}, created_at="created_at",
    updated_at="updated_at", listing="offset", list_key="keys", newest_first=True, hidden=(WRAPPING_KEY,),
    known_keys_only=True,
    on_create=lambda tenant, record: encryption_keys.shaped(record), actions={"wrapping-key": _wrapping_key},
    handlers={"update": _import, "delete": _delete_key, "rekey": _rekey})

RESOURCES = [
    # a null removes the setting (recorded: TestTenantManager_NullableFields, _CountryCodes), so
    # it reads as a new tenant's default again, or not at all
    Resource("/tenants/settings", "tenant settings", singleton=True, source=_tenant_settings,
             save=_save_tenant_settings, merge_objects=("flags", "sessions"), null_resets=True),
    Resource("/emails/provider", "email provider", singleton=True, starts_empty=True,
             not_found="There is not a configured email provider",
             not_found_code="inexistent_email_provider", view=_provider_view, delete_missing_ok=True,
             merge_objects=("credentials", "settings"), null_resets=True),
    _section("/attack-protection/breached-password-detection", enabled=False, shields=[],
             admin_notification_frequency=[], method="standard",
             stage={"pre-user-registration": {"shields": []}, "pre-change-password": {"shields": []}}),
    _section(bruteforce.SUSPICIOUS_IP_SETTINGS, **bruteforce.SUSPICIOUS_IP_DEFAULTS),
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
    # The IPs suspicious IP throttling blocks (core/login/bruteforce.py): GET answers 200 while
    # blocked, else Auth0's bare 404 (recorded); DELETE 204 either way (recorded).
    Resource(bruteforce.IP_BLOCKS, "IP block", handlers={"get": _check_ip, "delete": _unblock_ip}),
    # DELETE answers 200 with this odd body (recorded, every time)
    Resource("/network-acls", "network ACL", created_at="created_at", updated_at="updated_at", delete_status=200,
             delete_reply={"code": 204, "object": ""}, listing="offset", list_key="network_acls",
             not_found="NetworkACL with this ID was not found"),
    Resource("/keys/custom-signing", "custom signing keys", singleton=True, starts_empty=True,
             not_found="No custom signing keys found", not_found_code="inexistent_custom_signing_keys"),
    ENCRYPTION_KEYS,
]
