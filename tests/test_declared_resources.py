"""The declared resources (core/resources/catalog) over HTTP: one table-driven CRUD walk per
collection with responses held to the official spec's schemas, singletons with Auth0's defaults,
the effects of sessions and refresh tokens, and a walk of every operation in Auth0's spec that
finds none answering the generic route-not-found 404."""
from __future__ import annotations

import re

import pytest
from conftest import Api
from management_crud import assert_error, conforms, invalid_body
from management_spec import official_spec
from oauth_helpers import ALICE, SPA_ID, Browser, exchange_code, token_request

from mockidp.api.validation import operation_keys

AUTH0_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")

# path, create body, patch body, the id key, the 404 message and errorCode
COLLECTIONS = [
    ("/log-streams", {"name": "datadog", "type": "datadog", "sink": {"datadogApiKey": "k", "datadogRegion": "us"}},
     {"status": "paused"}, "id", "The log stream does not exist.", None),
    ("/custom-domains", {"domain": "login.example.com", "type": "auth0_managed_certs"},
     {"tls_policy": "recommended"}, "custom_domain_id", "The custom domain {id} does not exist",
     "inexistent_custom_domain"),
    ("/network-acls", {"description": "block", "active": True, "priority": 1,
                       "rule": {"action": {"block": True}, "match": {"ipv4_cidrs": ["10.0.0.0/8"]},
                                "scope": "management"}},
     {"active": False}, "id", "NetworkACL with this ID was not found", None),
    ("/token-exchange-profiles", {"name": "tep", "subject_token_type": "https://acme.com/cis-token",
                                  "action_id": "a1", "type": "custom_authentication"},
     {"name": "renamed"}, "id", "Token Exchange Profile not found", "token_exchange_profile_not_found"),
    ("/self-service-profiles", {"name": "ssp"}, {"description": "d"}, "id",
     "Self-service profile not found", "inexistent_self_service_profile"),
]


@pytest.mark.parametrize("path, create, patch, id_key, missing, code", COLLECTIONS,
                         ids=[row[0] for row in COLLECTIONS])
def test_a_collection_creates_reads_lists_updates_and_deletes(api: Api, path, create, patch, id_key,
                                                              missing, code):
    created = api.post(f"/api/v2{path}", json=create)
    assert created.status_code in (200, 201), created.text
    body = created.json()
    derived = ("sink", "destination")  # completed by Auth0
    assert {key: body[key] for key in create if key not in derived} == \
        {key: value for key, value in create.items() if key not in derived}
    record_id = body[id_key]
    item = f"/api/v2{path}/{record_id}"
    item_key = next(key for key in operation_keys() if key.startswith("GET " + path + "/{"))
    assert conforms(item_key, api.get(item), 200) == body
    listed = api.get(f"/api/v2{path}").json()
    items = listed if isinstance(listed, list) else next(v for v in listed.values() if isinstance(v, list))
    assert [entry[id_key] for entry in items] == [record_id]
    updated = api.patch(item, json=patch)
    assert updated.status_code == 200, updated.text
    assert updated.json() == {**body, **patch, **{k: updated.json()[k] for k in ("updated_at",) if k in body}}
    assert api.delete(item).status_code in (200, 204)
    assert_error(api.get(item), 404, missing.format(id=record_id), code)


# Auth0 answers a repeated DELETE of these as the first one, and 404 for the others (recorded)
@pytest.mark.parametrize("path, create, status", [
    ("/log-streams", {"name": "d", "type": "datadog", "sink": {"datadogApiKey": "k", "datadogRegion": "us"}}, 204),
    ("/self-service-profiles", {"name": "ssp"}, 204),
    ("/custom-domains", {"domain": "login.example.com", "type": "auth0_managed_certs"}, 204),
    ("/branding/phone/providers", {"name": "twilio", "credentials": {"auth_token": "t"},
                                   "configuration": {"sid": "s", "delivery_methods": ["text"]}}, 404),
])
def test_a_second_delete_answers_as_auth0_does(api: Api, path, create, status):
    body = api.post(f"/api/v2{path}", json=create).json()
    item = f"/api/v2{path}/{body.get('id') or body.get('custom_domain_id')}"
    assert api.delete(item).status_code == 204
    assert api.delete(item).status_code == status


def test_a_network_acl_delete_answers_200_with_auth0s_body_and_single_addresses_validate(api: Api):
    rule = {"action": {"block": True}, "scope": "authentication",
            "match": {"ipv4_cidrs": ["10.0.0.1"], "auth0_managed": ["auth0.icloud_relay_proxy"]}}
    created = api.post("/api/v2/network-acls", json={"description": "d", "active": True, "priority": 1, "rule": rule})
    assert created.status_code == 201, created.text  # a bare IPv4 is the ipv4 branch of the oneOf only
    deleted = api.delete(f"/api/v2/network-acls/{created.json()['id']}")
    assert (deleted.status_code, deleted.json()) == (200, {"code": 204, "object": ""})
    refused = api.post("/api/v2/network-acls", json={"description": "d", "active": True, "priority": 2,
                                                     "rule": {**rule, "match": {"ipv4_cidrs": ["10.0.0.300"]}}})
    assert refused.status_code == 400
    allowlisted = api.patch("/api/v2/attack-protection/bot-detection", json={"allowlist": ["192.168.1.1", "10.0.0.0/8"]})
    assert allowlisted.status_code == 200, allowlisted.text


_BOLD = {"bold": True, "size": 100}
_GREEN = "#00FF00"
THEME = {  # go-auth0's test theme (recorded)
    "borders": {"button_border_radius": 2, "button_border_weight": 2, "buttons_style": "pill",
                "input_border_radius": 2, "input_border_weight": 2, "inputs_style": "pill",
                "show_widget_shadow": True, "widget_border_weight": 2, "widget_corner_radius": 2},
    "colors": {key: _GREEN for key in (
        "body_text", "error", "header", "icons", "input_background", "input_border", "input_filled_text",
        "input_labels_placeholders", "links_focused_components", "primary_button", "primary_button_label",
        "secondary_button_border", "secondary_button_label", "success", "widget_background", "widget_border")},
    "fonts": {"body_text": _BOLD, "buttons_text": _BOLD, "font_url": "https://google.com/font.woff",
              "input_labels": _BOLD, "links": _BOLD, "links_style": "normal", "reference_text_size": 12,
              "subtitle": _BOLD, "title": _BOLD},
    "page_background": {"background_color": "#000000", "background_image_url": "https://google.com/background.png",
                        "page_layout": "center"},
    "widget": {"header_text_alignment": "center", "logo_height": 55, "logo_position": "center",
               "logo_url": "https://google.com/logo.png", "social_buttons_layout": "top"},
}


def test_the_default_theme_is_the_tenants_theme(api: Api):
    assert_error(api.get("/api/v2/branding/themes/default"), 404,
                 "There was an error retrieving branding settings: invalid theme ID", "theme_not_found")
    theme = api.post("/api/v2/branding/themes", json=THEME).json()
    assert api.get("/api/v2/branding/themes/default").json() == theme


def test_a_form_keeps_its_style_version_and_theme(api: Api):
    # spec gaps (data/spec_gaps.json): recorded, the spec's FormStyle has css only
    form = api.post("/api/v2/forms", json={"name": "f", "style": {"version": "MODERN", "theme": "SOFT"}})
    assert form.status_code == 200, form.text
    assert form.json()["style"] == {"version": "MODERN", "theme": "SOFT"}


def test_a_bad_body_is_refused_and_writes_nothing(api: Api):
    response = api.post("/api/v2/log-streams", json={"name": "x"})
    assert response.json() == invalid_body("'Data does not match any schemas from 'oneOf''.")
    assert api.get("/api/v2/log-streams").json() == []


def test_a_duplicate_custom_domain_is_a_conflict(api: Api):
    assert api.post("/api/v2/custom-domains", json={"domain": "a.example.com", "type": "auth0_managed_certs"}).ok
    again = api.post("/api/v2/custom-domains", json={"domain": "a.example.com", "type": "auth0_managed_certs"})
    assert_error(again, 409, "A custom domain with the same domain already exists.")


def test_a_missing_scope_is_refused(mockidp):
    reader = Api(mockidp.url, mockidp.management_token(scope="read:log_streams"))
    response = reader.post("/api/v2/log-streams", json={"name": "x", "type": "datadog"})
    assert_error(response, 403, "Insufficient scope, expected any of: create:log_streams", "insufficient_scope")


def test_a_resource_server_is_addressed_by_its_url_encoded_identifier(api: Api):
    assert api.post("/api/v2/resource-servers", json={"identifier": "https://api.example.com/", "name": "x"}).ok
    addressed = "/api/v2/resource-servers/https:%2F%2Fapi.example.com%2F"
    assert api.get(addressed).json()["identifier"] == "https://api.example.com/"
    patched = api.patch(addressed, json={"token_lifetime_for_web": 600})  # a spec gap, accepted
    assert patched.status_code == 200 and patched.json()["token_lifetime_for_web"] == 600
    assert api.delete(addressed).status_code == 204


def test_null_clears_a_client_setting(api: Api):
    client = api.post("/api/v2/clients", json={"name": "app", "addons": {"samlp": {}},
                                               "oidc_backchannel_logout": {"backchannel_logout_urls": ["https://a.b/l"]}}).json()
    cleared = api.patch(f"/api/v2/clients/{client['client_id']}", json={"addons": None, "oidc_backchannel_logout": None})
    assert cleared.status_code == 200, cleared.text
    assert "addons" not in cleared.json() and "oidc_backchannel_logout" not in cleared.json()
    refused = api.patch(f"/api/v2/clients/{client['client_id']}", json={"addons": "x"})
    assert refused.status_code == 400


# --- singletons ----------------------------------------------------------------------------

def test_singletons_start_with_auth0_defaults_and_keep_what_is_written(api: Api):
    assert conforms("GET /guardian/factors", api.get("/api/v2/guardian/factors"), 200)[0] == \
        {"name": "sms", "enabled": False, "trial_expired": False}
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": True}).json()["enabled"] is True
    factors = {factor["name"]: factor["enabled"] for factor in api.get("/api/v2/guardian/factors").json()}
    assert factors["otp"] is True and factors["sms"] is False
    assert api.get("/api/v2/guardian/policies").json() == []
    assert api.put("/api/v2/guardian/policies", json=["all-applications"]).json() == ["all-applications"]
    assert api.get("/api/v2/guardian/policies").json() == ["all-applications"]
    breached = conforms("GET /attack-protection/breached-password-detection",
                        api.get("/api/v2/attack-protection/breached-password-detection"), 200)
    assert breached["enabled"] is False and breached["method"] == "standard"
    assert api.put("/api/v2/prompts/login/custom-text/en", json={"login": {"title": "Hi"}}).ok
    assert api.get("/api/v2/prompts/login/custom-text/en").json() == {"login": {"title": "Hi"}}
    assert api.get("/api/v2/prompts/login/custom-text/fr").json() == {}


def test_the_email_provider_is_absent_until_configured_and_hides_its_secrets(api: Api):
    assert_error(api.get("/api/v2/emails/provider"), 404, "There is not a configured email provider",
                 "inexistent_email_provider")
    created = api.post("/api/v2/emails/provider", json={
        "name": "smtp", "enabled": True, "default_from_address": "no-reply@example.com",
        "credentials": {"smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "u", "smtp_pass": "p"}})
    assert created.status_code == 201, created.text
    assert created.json()["credentials"] == {"smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "u"}
    assert api.delete("/api/v2/emails/provider").status_code == 204
    assert api.get("/api/v2/emails/provider").status_code == 404


def test_tenant_settings_change_what_the_tenant_shows_and_reset_restores_them(mockidp, api: Api):
    settings = conforms("GET /tenants/settings", api.get("/api/v2/tenants/settings"), 200)
    assert settings["friendly_name"] == "mockidp" and settings["enabled_locales"] == ["en"]
    patched = api.patch("/api/v2/tenants/settings", json={"friendly_name": "Acme", "flags": {"enable_sso": False}})
    assert patched.json()["friendly_name"] == "Acme" and patched.json()["flags"]["disable_impersonation"] is True
    assert api.get("/_mock/health").json()["tenant"] == "Acme"  # what the hosted pages name
    mockidp.reset()
    assert api.get("/api/v2/tenants/settings").json()["friendly_name"] == "mockidp"


def test_reset_forgets_declared_records(mockidp, api: Api):
    assert api.post("/api/v2/log-streams", json={"name": "x", "type": "datadog",
                                                 "sink": {"datadogApiKey": "k", "datadogRegion": "us"}}).ok
    mockidp.reset()
    assert api.get("/api/v2/log-streams").json() == []


# --- sessions and refresh tokens: the login state, with its effect ------------------------------

def test_a_deleted_refresh_token_stops_working(mockidp, api: Api):
    browser = Browser(mockidp.url)
    params = browser.sign_in(*ALICE, scope="openid offline_access")
    refresh = exchange_code(mockidp.url, params["code"]).json()["refresh_token"]
    alice = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]
    token_ids = _refresh_token_ids(mockidp)
    assert len(token_ids) == 1
    listed = conforms("GET /users/{user_id}/refresh-tokens",
                      api.get(f"/api/v2/users/{alice['user_id']}/refresh-tokens"), 200)
    assert [token["id"] for token in listed["tokens"]] == token_ids
    shown = api.get(f"/api/v2/refresh-tokens/{token_ids[0]}").json()
    assert shown["user_id"] == alice["user_id"] and shown["client_id"] == SPA_ID
    assert api.delete(f"/api/v2/refresh-tokens/{token_ids[0]}").status_code == 204
    refused = token_request(mockidp.url, grant_type="refresh_token", client_id=SPA_ID, refresh_token=refresh)
    assert refused.status_code in (400, 403) and refused.json()["error"] == "invalid_grant"


def _refresh_token_ids(mockidp) -> list[str]:
    return sorted({record["family_id"] for record in mockidp.tenant.directory.refresh_tokens.values()})


def test_a_revoked_session_no_longer_signs_the_user_in(mockidp, api: Api):
    browser = Browser(mockidp.url)
    browser.sign_in(*ALICE)
    session_id = next(iter(mockidp.tenant.directory.sessions))
    shown = api.get(f"/api/v2/sessions/{session_id}").json()
    assert shown["id"] == session_id and shown["clients"] == [{"client_id": SPA_ID}]
    assert api.post(f"/api/v2/sessions/{session_id}/revoke").status_code == 202
    assert_error(api.get(f"/api/v2/sessions/{session_id}"), 404, "Session not found", "session_not_found")
    assert api.get(f"/api/v2/users/{shown['user_id']}/sessions").json() == {"sessions": []}


def test_deleting_a_users_sessions_ends_them_all(mockidp, api: Api):
    browser = Browser(mockidp.url)
    browser.sign_in(*ALICE)
    user_id = next(iter(mockidp.tenant.directory.sessions.values()))["user_id"]
    listed = conforms("GET /users/{user_id}/sessions", api.get(f"/api/v2/users/{user_id}/sessions"), 200)
    assert len(listed["sessions"]) == 1
    deleted = api.delete(f"/api/v2/users/{user_id}/sessions")
    assert (deleted.status_code, deleted.json()) == (202, {})
    assert "login_required" in browser.authorize(prompt="none").headers["Location"]
    assert browser.authorize(prompt="none").status_code == 302  # back to the app with login_required
    assert "login_required" in browser.authorize(prompt="none").headers["Location"]


# --- every operation of the spec ------------------------------------------------------------------

GENERIC_404 = {"statusCode": 404, "error": "Not Found", "message": "Not Found"}


def _concrete(path: str) -> str:
    return re.sub(r"{\w+}", "x1", path)


def test_no_spec_operation_answers_the_route_not_found_404(api: Api):
    """Every operation of Auth0's Management OAS reaches a mockidp route: called with `x1` for each
    path parameter and an empty body, none answers 5xx and none the generic route-not-found 404
    (an unknown `x1` gets the resource's own 404, with its message and errorCode), and none 405: a
    spec operation whose path exists but whose method mockidp does not serve is not implemented
    (the user import and export jobs answered 405 before they were). The walk's `x1`
    is no IP, so GET /anomaly/blocks/ips/{id} answers Auth0's 400 here; its 200 for a blocked IP
    and its bare 404 for one that is not are in tests/test_suspicious_ip.py. History: 146
    operations answered the generic 404 after the roles merge, 29 at the start of session 5,
    none once Actions Modules, effective roles and permissions, single authentication
    methods, connection keys, the wrapping key, the event stream and CIMD answered."""
    spec_operations = {f"{method.upper()} {path}" for path, item in official_spec()["paths"].items()
                       for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert set(operation_keys()) == spec_operations  # mockidp's copy of the spec is the whole spec
    generic = []
    for key in operation_keys():
        method, path = key.split(" ", 1)
        response = api.request(method, "/api/v2" + _concrete(path), json={})
        assert response.status_code < 500, f"{key}: {response.text}"
        if response.status_code == 404 and response.json() == GENERIC_404:
            generic.append(key)
        elif response.status_code == 405 and key not in IMPLEMENTED_ON_ANOTHER_BRANCH:
            generic.append(key)  # "method not allowed": the path exists, this operation does not
    assert generic == []


# TEMPORARY: another branch implements these two at the same time; the lead removes this list
# when merging it, and the walk above then holds them to the same rule as every operation.
IMPLEMENTED_ON_ANOTHER_BRANCH = frozenset({"POST /guardian/enrollments/ticket", "POST /refresh-tokens/revoke"})


# --- the audit trail ---------------------------------------------------------------------------

def test_every_management_write_is_logged_as_sapi(api: Api):
    created = api.post("/api/v2/users", json={"connection": "Username-Password-Authentication",
                                              "email": "audited@example.com", "password": "Secret-123456"}).json()
    assert api.put("/api/v2/guardian/factors/otp", json={"enabled": True}).ok
    assert api.get("/api/v2/users").ok  # reads are not logged
    logged = api.get("/api/v2/logs", params={"q": 'type:"sapi"', "sort": "date:1"}).json()
    assert [entry["description"] for entry in logged] == ["Create a User", "Update multi-factor authentication type"]
    request, response = logged[0]["details"]["request"], logged[0]["details"]["response"]
    assert (request["method"], request["path"], request["body"]["password"]) == ("post", "/api/v2/users", "*****")
    assert (response["statusCode"], response["body"]["user_id"]) == (201, created["user_id"])
    assert logged[0]["client_id"]


def test_forms_and_flows_are_summarized_in_their_lists(api: Api):
    flow = api.post("/api/v2/flows", json={"name": "fl", "synchronous": True}).json()
    form = api.post("/api/v2/forms", json={"name": "fo", "nodes": [
        {"id": "step", "type": "FLOW", "config": {"flow_id": flow["id"]}}]}).json()
    forms = conforms("GET /forms", api.get("/api/v2/forms"), 200)["forms"]
    assert forms == [{key: form.get(key) for key in ("id", "name", "description", "created_at", "updated_at",
                                                     "embedded_at", "submitted_at")} | {"flow_count": 1}]
    flows = conforms("GET /flows", api.get("/api/v2/flows"), 200)["flows"]
    assert flows == [{"id": flow["id"], "name": "fl", "description": None, "synchronous": True,
                      "created_at": flow["created_at"], "updated_at": flow["updated_at"], "executed_at": None}]


def test_a_priority_log_stream_carries_the_security_category(api: Api):
    sink = {"datadogApiKey": "k", "datadogRegion": "us"}
    priority = api.post("/api/v2/log-streams", json={"name": "p", "type": "datadog", "isPriority": True, "sink": sink})
    assert priority.json()["filters"] == [{"type": "category", "name": "security"}]  # recorded
    plain = api.post("/api/v2/log-streams", json={"name": "n", "type": "datadog", "sink": sink}).json()
    assert "filters" not in plain


def test_a_screen_rendering_names_its_prompt_and_screen_and_a_patch_answers_what_it_set(api: Api):
    path = "/api/v2/prompts/signup/screen/signup/rendering"
    read = conforms("GET /prompts/{prompt}/screen/{screen}/rendering", api.get(path), 200)
    assert (read["tenant"], read["prompt"], read["screen"], read["rendering_mode"]) == \
        ("mockidp", "signup", "signup", "standard")
    patched = api.patch(path, json={"rendering_mode": "advanced", "head_tags": []})
    assert patched.json() == {"rendering_mode": "advanced", "head_tags": []}
    assert api.get(path).json() == {**read, "rendering_mode": "advanced"}


def test_partials_written_empty_are_gone(api: Api):
    path = "/api/v2/prompts/signup/partials"
    assert api.put(path, json={"signup": {"form-content-start": "<div>x</div>"}}).json() == \
        {"signup": {"form-content-start": "<div>x</div>"}}
    assert api.put(path, json={"signup": {}}).json() == {}
    assert api.get(path).json() == {}


def test_custom_domains_have_created_at_and_page_by_checkpoint(api: Api):
    for number in range(3):
        created = api.post("/api/v2/custom-domains", json={"domain": f"l{number}.example.com",
                                                           "type": "auth0_managed_certs"}).json()
        assert AUTH0_TIME.fullmatch(created["created_at"])
    first = api.get("/api/v2/custom-domains", params={"take": 2}).json()
    assert [d["domain"] for d in first["custom_domains"]] == ["l0.example.com", "l1.example.com"]
    rest = api.get("/api/v2/custom-domains", params={"take": 2, "from": first["next"]}).json()
    assert [d["domain"] for d in rest["custom_domains"]] == ["l2.example.com"] and "next" not in rest
    assert len(api.get("/api/v2/custom-domains").json()) == 3  # a bare list without take/from


def test_phone_providers_and_templates_name_the_tenant_and_attribute_profiles_have_no_timestamps(api: Api):
    provider = api.post("/api/v2/branding/phone/providers", json={
        "name": "custom", "configuration": {"delivery_methods": ["text"]}, "credentials": {}}).json()
    template = api.post("/api/v2/branding/phone/templates", json={"type": "otp_verify"}).json()
    assert provider["tenant"] == template["tenant"] == "mockidp"
    profile = api.post("/api/v2/user-attribute-profiles", json={"name": "p", "user_attributes": {
        "email": {"label": "Email", "description": "e", "auth0_mapping": "email", "profile_required": True}}})
    assert profile.status_code == 201, profile.text
    assert not {"created_at", "updated_at"} & profile.json().keys()
