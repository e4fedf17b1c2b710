"""Branding, themes, the Universal Login template, phone providers and templates, custom
domains, and prompts (settings, custom text, partials, rendering): what the login pages look like."""
from __future__ import annotations

from ...tenant.errors import ManagementError
from .. import store
from ..model import Resource

_SENT = {"code": 202, "message": "Test notification successfully sent for processing"}


def _test_sent(tenant, record, body):
    return 202, dict(_SENT)


def _verification(tenant, record: dict) -> dict:
    """A pending custom domain and the record Auth0 asks for: a CNAME, or with
    `verification_method: txt` a TXT record (the method is chosen on create, not kept)."""
    method = record.get("verification_method")
    record = {key: value for key, value in record.items() if key != "verification_method"}
    domain_id = record["custom_domain_id"].replace("_", "-").lower()
    if method == "txt":
        txt = {"name": "txt", "record": f"auth0-domain-verification={domain_id}",
               "domain": f"_cf-custom-hostname.{record.get('domain')}"}
        return {**record, "verification": {"methods": [txt]}}
    # "cname" as the spec's enum has it (newer tenants answer "CNAME")
    cname = {"name": "cname", "record": f"mockidp-{domain_id}.edge.tenants.mockidp.local",
             "domain": record.get("domain")}
    return {**record, "verification": {"methods": [cname]}}


def _verify(tenant, record, body):
    return 200, record


def _test_domain(tenant, record, body):
    """Auth0 reaches the domain over HTTPS; a domain still pending verification is not ready."""
    if record.get("status") != "ready":
        raise ManagementError(409, "The custom domain is not ready.")
    return 200, {"success": True}


# The text Auth0 puts back on a reset template (recorded, for otp_verify and the others).
_DEFAULT_PHONE_BODY = {
    "text": "{{ code | escape }} is your verification code for {{ friendly_name | escape }}",
    "voice": "Hello. Your verification code for {{ friendly_name | escape }} is {{ pause }} {{ code | escape }}. "
             "I repeat, your verification code is {{ pause }} {{ code | escape }}"}


def _reset_template(tenant, record, body):
    content = {**(record.get("content") or {}), "syntax": "liquid", "body": dict(_DEFAULT_PHONE_BODY)}
    return 200, store.update(tenant, PHONE_TEMPLATES, record["id"], {"content": content})


def _template_view(tenant, value):
    """PUT /branding/templates/universal-login takes the template as a JSON string or as
    {"template": ...}; GET returns it as {"body": ...}."""
    return {"body": value.get("template") if isinstance(value, dict) else value}


# Auth0 names the tenant on phone providers, templates and renderings; a mock tenant is "mockidp"
# (as in Actions' event.tenant.id)
TENANT_NAME = "mockidp"
_TEMPLATE_DEFAULTS = {"tenant": TENANT_NAME, "channel": "phone", "disabled": False, "type": "otp_verify"}


def _template_content(tenant, record: dict) -> dict:
    """A template always has content: what the create sent over Liquid and Auth0's default text
    (the reset's), since Auth0's replies require a type and a non-empty body (docs/behaviour.md)."""
    content = {"syntax": "liquid", "body": dict(_DEFAULT_PHONE_BODY), **(record.get("content") or {})}
    return {**record, "content": content}


PHONE_TEMPLATES = Resource(
    "/branding/phone/templates", "phone template", id_prefix="tem", id_length=22, defaults=_TEMPLATE_DEFAULTS,
    created_at="created_at", updated_at="updated_at", listing="wrapped", list_key="templates",
    on_create=_template_content, merge_objects=("content",), actions={"try": _test_sent, "reset": _reset_template})


def _theme_id(tenant) -> str:
    return tenant.rng.alnum(32)  # recorded: 32 alphanumerics, as the spec's pattern says


def _partials_view(tenant, record: dict) -> dict:
    """A screen group written empty is gone (recorded: PUT {"signup": {}} answers {})."""
    return {key: value for key, value in record.items() if value != {}}

RESOURCES = [
    # a null logo, favicon or font removes it: Auth0's replies never hold a null
    Resource("/branding", "branding settings", singleton=True, merge_objects=("colors", "font"), null_resets=True),
    Resource("/branding/themes", "theme", id_key="themeId", new_id=_theme_id, create_status=200,
             not_found="There was an error retrieving branding settings: invalid theme ID",
             not_found_code="theme_not_found", default_id="default"),
    Resource("/branding/templates/universal-login", "template", singleton=True, starts_empty=True,
             not_found="Template does not exist", not_found_code="inexistent_template",
             write_reply=(201, {}), view=_template_view),
    Resource("/branding/phone/providers", "phone provider", id_prefix="pro", id_length=22,
             defaults={"tenant": TENANT_NAME, "channel": "phone", "disabled": False}, created_at="created_at",
             updated_at="updated_at", listing="wrapped", list_key="providers",
             hidden=("credentials",), known_keys_only=True, actions={"try": _test_sent}),
    PHONE_TEMPLATES,
    # The domain links and emails use: mockidp's own until a verified custom domain is set.
    Resource("/custom-domains/default", "default domain", singleton=True, defaults={"domain": "localhost"}),
    Resource("/custom-domains", "custom domain", id_key="custom_domain_id", id_prefix="cd",
             created_at="created_at", list_key="custom_domains",
             defaults={"primary": False, "is_default": False, "status": "pending_verification",
                       "tls_policy": "recommended"},
             unique="domain", not_found="The custom domain {id} does not exist",
             not_found_code="inexistent_custom_domain", merge_objects=("domain_metadata",), delete_missing_ok=True,
             on_create=_verification, actions={"verify": _verify, "test": _test_domain}),
    # a null switch reads as its default (the spec's reply is boolean only)
    Resource("/prompts", "prompt settings", singleton=True, null_resets=True,
             defaults={"universal_login_experience": "new", "identifier_first": False,
                       "webauthn_platform_first_factor": False}),
    Resource("/prompts/rendering", "rendering settings", singleton=True, defaults={"configs": []}),
    # Beyond the spec (data/spec_gaps.json): the custom app MFA push enrollment names (recorded:
    # TestGuardian/MultiFactor/Push/CustomApp.yaml); none until set (docs/behaviour.md)
    Resource("/prompts/mfa-push", "MFA push settings", singleton=True),
    Resource("/prompts/{prompt}/custom-text/{language}", "custom text", singleton=True),
    Resource("/prompts/{prompt}/partials", "partials", singleton=True, view=_partials_view),
    # a PATCH answers what it set (recorded); reads name the tenant, prompt and screen
    Resource("/prompts/{prompt}/screen/{screen}/rendering", "rendering", singleton=True,
             id_fields=("prompt", "screen"), patch_echoes=True,
             defaults={"tenant": TENANT_NAME, "rendering_mode": "standard", "context_configuration": [],
                       "default_head_tags_disabled": False, "head_tags": [], "filters": None,
                       "use_page_template": False}),
]
