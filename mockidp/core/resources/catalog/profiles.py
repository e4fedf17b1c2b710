"""Profiles and automations: user-attribute and self-service profiles, token exchange
profiles, Forms and Flows (with the Flows vault), device credentials and connection profiles.
Stored configuration; mockidp runs none of them."""
from __future__ import annotations

from ...tenant import ids
from ...tenant.errors import ManagementError
from ..model import Resource

_STAMPS = {"created_at": "created_at", "updated_at": "updated_at"}
_FLOW = {"actions": [], "triggers": {"webhook": {"enabled": False, "secret": None}},
         "security": {"rateLimits": []}, "executed_at": None, "description": None}
_FORM = {"description": None, "messages": {"custom": {}, "errors": {}}, "languages": {"default": None},
         "translations": {}, "start": {"hiddenFields": [], "nextNode": None, "coordinates": None},
         "nodes": [], "ending": {"content": None, "redirection": None, "callback": None,
                                 "afterSubmit": {"flowId": None, "email": None},
                                 "resumeFlow": True, "coordinates": None},
         "social": [], "style": {"css": None}, "tags": [], "embedded_at": None, "submitted_at": None}


# Auth0's built-in user attribute profile template (recorded; the common attributes, each with
# its Auth0, SCIM, OIDC and SAML names).
_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
_ATTRIBUTES = (  # name, label, SCIM, OIDC claim, SAML claim, required
    ("email", "Email", "emails[primary eq true].value", "email", "emailaddress", True),
    ("email_verified", "Email Verified", None, "email_verified", None, False),
    ("name", "Name", "displayName", "name", "name", False),
    ("given_name", "Given Name", "name.givenName", "given_name", "givenname", False),
    ("family_name", "Family Name", "name.familyName", "family_name", "surname", False),
    ("nickname", "Nickname", "nickName", "nickname", None, False),
    ("picture", "Picture", 'photos[type eq "photo"].value', "picture", None, False),
    ("phone_number", "Phone Number", "phoneNumbers[primary eq true].value", "phone_number", None, False),
)


def _attribute(name, label, scim, oidc, saml, required) -> dict:
    attribute = {"description": label, "label": label, "profile_required": required, "auth0_mapping": name,
                 "oidc_mapping": {"mapping": "${context.tokenset.%s}" % oidc, "display_name": oidc}}
    if scim:
        attribute["scim_mapping"] = scim
    if saml:
        attribute["saml_mapping"] = [_CLAIMS + saml]
    return attribute


_GENERIC_TEMPLATE = {
    "id": "auth0-generic", "display_name": "Auth0 Generic User Attribute Profile Template",
    "template": {"name": "Auth0 Generic User Attribute Profile",
                 "user_id": {"scim_mapping": "externalId", "saml_mapping": [_CLAIMS + "nameidentifier"],
                             "oidc_mapping": "sub"},
                 "user_attributes": {row[0]: _attribute(*row) for row in _ATTRIBUTES}},
}
_OKTA_TEMPLATE = {
    "id": "okta-workforce", "display_name": "Okta Workforce Connection Profile Template",
    "template": {"name": "Okta Workforce", "organization": {"show_as_button": "optional",
                                                            "assign_membership_on_login": "optional"},
                 "enabled_features": ["scim", "universal_logout"], "strategy_overrides": {}},
}


def _sso_ticket(tenant, record, body):
    """A ticket for the self-service SSO flow, kept so that it can be revoked."""
    ticket_id = ids.ticket_id(tenant.rng)
    table = {**tenant.directory.resources.get(SSO_TICKETS, {}), ticket_id: {"id": ticket_id, "profile_id": record["id"]}}
    tenant.directory.resources = {**tenant.directory.resources, SSO_TICKETS: table}
    return 201, {"ticket": f"https://mockidp.local/self-service/connections-flow?ticket={ticket_id}"}


def _revoke_ticket(tenant, record, body):
    table = {key: value for key, value in tenant.directory.resources.get(SSO_TICKETS, {}).items()
             if key != record["id"]}
    tenant.directory.resources = {**tenant.directory.resources, SSO_TICKETS: table}
    return 202, {}


def _flow_exists(tenant, flow_id: str) -> None:
    if flow_id not in tenant.directory.resources.get("/flows", {}):
        raise ManagementError(404, "Flow not found", "flow_not_found")


SSO_TICKETS = "/self-service-profiles/{profileId}/sso-ticket"


def _vault_connection(tenant, record: dict) -> dict:
    setup = record.pop("setup", None)
    return {**record, "ready": setup is not None, "fingerprint": tenant.rng.hex(32)}


def _summary(*keys: str):
    """A list item of Forms or Flows: these keys only (recorded), null where the record has none."""
    def summarize(tenant, body: dict) -> dict:
        return {key: body.get(key) for key in keys}
    return summarize


_FLOW_SUMMARY = _summary("id", "name", "description", "synchronous", "created_at", "updated_at", "executed_at")
_FORM_KEYS = ("id", "name", "description", "created_at", "updated_at", "embedded_at", "submitted_at")


def _form_summary(tenant, body: dict) -> dict:
    """A form in a list, with how many flows its nodes run (FLOW nodes name one each)."""
    flows = {(node.get("config") or {}).get("flow_id") for node in body.get("nodes") or []
             if isinstance(node, dict) and node.get("type") == "FLOW"}
    return {**_summary(*_FORM_KEYS)(tenant, body), "flow_count": len(flows - {None})}


def _device_credential_view(tenant, record: dict) -> dict:
    return {key: value for key, value in record.items() if key != "value"}


RESOURCES = [
    Resource("/user-attribute-profiles/templates", "user attribute profile template",
             fixed={_GENERIC_TEMPLATE["id"]: _GENERIC_TEMPLATE}, listing="wrapped",
             list_key="user_attribute_profile_templates", not_found="User attribute profile template not found."),
    Resource("/connection-profiles/templates", "connection profile template",
             fixed={_OKTA_TEMPLATE["id"]: _OKTA_TEMPLATE}, listing="wrapped",
             list_key="connection_profile_templates", not_found="Connection profile template not found."),
    # no timestamps (recorded)
    Resource("/user-attribute-profiles", "user attribute profile", id_prefix="uap", id_length=22,
             not_found="User attribute profile not found.", listing="checkpoint",
             list_key="user_attribute_profiles", delete_missing_ok=True),
    Resource("/self-service-profiles", "self-service profile", id_prefix="ssp", id_length=22,
             not_found="Self-service profile not found", not_found_code="inexistent_self_service_profile",
             listing="offset", list_key="self_service_profiles", actions={"sso-ticket": _sso_ticket},
             delete_missing_ok=True, **_STAMPS),
    Resource("/self-service-profiles/{id}/custom-text/{language}/{page}", "custom text", singleton=True),
    Resource(SSO_TICKETS, "ticket", owner="profileId", owner_key="profile_id", not_found="Ticket not found",
             actions={"revoke": _revoke_ticket}),
    # A flow's executions: mockidp never runs a flow, so there are none.
    Resource("/flows/{flow_id}/executions", "execution", owner="flow_id", parent=_flow_exists,
             listing="checkpoint", list_key="executions", not_found="Flow execution not found",
             delete_missing_ok=True),
    Resource("/token-exchange-profiles", "token exchange profile", id_prefix="tep",
             not_found="Token Exchange Profile not found", not_found_code="token_exchange_profile_not_found",
             listing="checkpoint", list_key="token_exchange_profiles", delete_missing_ok=True, **_STAMPS),
    Resource("/flows", "flow", id_prefix="af", id_length=22, defaults=_FLOW, listing="totals", create_status=200,
             list_key="flows", list_view=_FLOW_SUMMARY, not_found="Flow not found", not_found_code="flow_not_found", **_STAMPS),
    Resource("/flows/vault/connections", "connection", id_prefix="ac", id_length=22, listing="totals",
             create_status=200,
             list_key="connections", on_create=_vault_connection, not_found="Connection not found",
             not_found_code="connection_not_found", **_STAMPS),
    Resource("/forms", "form", id_prefix="ap", id_length=22, defaults=_FORM, listing="totals", create_status=200,
             list_key="forms", list_view=_form_summary, not_found="Form not found", not_found_code="form_not_found", **_STAMPS),
    Resource("/device-credentials", "device credential", id_prefix="dcr", listing="offset",
             list_key="device_credentials", view=_device_credential_view,
             not_found="Device credential not found", not_found_code="inexistent_device_credential"),
    # no timestamps: the spec's replies allow none
    Resource("/connection-profiles", "connection profile", id_prefix="cop", listing="checkpoint",
             list_key="connection_profiles"),
    Resource("/rate-limit-policies", "rate limit policy", id_prefix="rlp", listing="checkpoint",
             list_key="rate_limit_policies", **_STAMPS),
]
