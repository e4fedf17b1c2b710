"""Where schemathesis found a declared resource answering off Auth0's spec (issue #20), what it
answers now, over HTTP: ids, defaults, secrets and nulls as Auth0 has them (recordings first,
then the spec; docs/behaviour.md for the plausible choices), each reply held to the spec's schema
with the documented gaps (data/spec_gaps.json)."""
from __future__ import annotations

import re

from conftest import Api
from management_crud import assert_error, conforms
from oauth_helpers import ALICE, SPA_ID, Browser, exchange_code

THEME = {"borders": {"button_border_radius": 2, "button_border_weight": 2, "buttons_style": "pill",
                     "input_border_radius": 2, "input_border_weight": 2, "inputs_style": "pill",
                     "show_widget_shadow": True, "widget_border_weight": 2, "widget_corner_radius": 2},
         "colors": {"body_text": "#00FF00", "error": "#00FF00", "header": "#00FF00", "icons": "#00FF00",
                    "input_background": "#00FF00", "input_border": "#00FF00", "input_filled_text": "#00FF00",
                    "input_labels_placeholders": "#00FF00", "links_focused_components": "#00FF00",
                    "primary_button": "#00FF00", "primary_button_label": "#00FF00",
                    "secondary_button_border": "#00FF00", "secondary_button_label": "#00FF00",
                    "success": "#00FF00", "widget_background": "#00FF00", "widget_border": "#00FF00"},
         "fonts": {"body_text": {"bold": True, "size": 100}, "buttons_text": {"bold": True, "size": 100},
                   "font_url": "https://example.com/font.woff", "input_labels": {"bold": True, "size": 100},
                   "links": {"bold": True, "size": 100}, "links_style": "normal", "reference_text_size": 12,
                   "subtitle": {"bold": True, "size": 100}, "title": {"bold": True, "size": 100}},
         "page_background": {"background_color": "#000000", "page_layout": "center",
                             "background_image_url": "https://example.com/background.png"},
         "widget": {"header_text_alignment": "center", "logo_height": 55, "logo_position": "center",
                    "logo_url": "https://example.com/logo.png", "social_buttons_layout": "top"}}
WEBHOOK = {"type": "webhook", "configuration": {"webhook_endpoint": "https://hooks.example.com/in",
                                                "webhook_authorization": {"method": "bearer", "token": "secret"}}}


def test_a_theme_has_auth0s_id_and_no_display_name_unless_given(api: Api):
    theme = conforms("POST /branding/themes", api.post("/api/v2/branding/themes", json=THEME), 200)
    assert re.fullmatch(r"[a-zA-Z0-9]{32}", theme["themeId"])
    assert "displayName" not in theme  # recorded: TestBrandingThemeManager_Create
    assert conforms("GET /branding/themes/default", api.get("/api/v2/branding/themes/default"), 200) == theme
    renamed = api.patch(f"/api/v2/branding/themes/{theme['themeId']}", json={**THEME, "displayName": "mine"})
    assert conforms("PATCH /branding/themes/{themeId}", renamed, 200)["displayName"] == "mine"


def test_a_phone_template_created_empty_is_an_otp_template_with_auth0s_text(api: Api):
    created = conforms("POST /branding/phone/templates", api.post("/api/v2/branding/phone/templates", json={}), 201)
    assert created["type"] == "otp_verify" and created["content"]["syntax"] == "liquid"
    assert created["content"]["body"]["text"].startswith("{{ code | escape }} is your verification code")
    # a PATCH of part of the content keeps the rest (recorded: TestBrandingManager_UpdatePhoneNotificationTemplate)
    item = f"/api/v2/branding/phone/templates/{created['id']}"
    updated = conforms("PATCH /branding/phone/templates/{id}",
                       api.patch(item, json={"content": {"from": "+15550100"}}), 200)
    assert updated["content"] == {**created["content"], "from": "+15550100"}
    listed = conforms("GET /branding/phone/templates", api.get("/api/v2/branding/phone/templates"), 200)
    assert listed == {"templates": [updated]}


def test_a_phone_provider_keeps_only_what_auth0_knows_and_never_shows_credentials(api: Api):
    sent = {"name": "twilio", "configuration": {"sid": "sid", "default_from": "+15550100",
                                                "delivery_methods": ["text"]},
            "credentials": {"auth_token": "secret"}, "nickname": "ignored"}
    created = conforms("POST /branding/phone/providers", api.post("/api/v2/branding/phone/providers", json=sent), 201)
    assert "credentials" not in created and "nickname" not in created
    shown = api.get(f"/api/v2/branding/phone/providers/{created['id']}")
    assert conforms("GET /branding/phone/providers/{id}", shown, 200) == created


def test_an_event_stream_validates_its_destination_and_hides_the_webhooks_secret(api: Api):
    created = api.post("/api/v2/event-streams", json={"name": "hook", "destination": WEBHOOK,
                                                      "subscriptions": [{"event_type": "user.created"}]})
    body = conforms("POST /event-streams", created, 201)
    # recorded (TestEventStreamManager_CreateTypeWebhook): the token is taken, never answered
    assert body["destination"]["configuration"]["webhook_authorization"] == {"method": "bearer"}
    assert conforms("GET /event-streams/{id}", api.get(f"/api/v2/event-streams/{body['id']}"), 200) == body
    # a form cannot carry the destination object, so nothing is stored
    refused = api.post("/api/v2/event-streams", data={"destination": "webhook"})
    assert refused.status_code == 400 and refused.json()["errorCode"] == "invalid_body", refused.text
    no_endpoint = api.post("/api/v2/event-streams", json={"destination": {"type": "webhook", "configuration": {}}})
    assert no_endpoint.status_code == 400 and no_endpoint.json()["errorCode"] == "invalid_body"
    listed = api.get("/api/v2/event-streams").json()["eventStreams"]
    assert [stream["id"] for stream in listed] == [body["id"]]


def test_phone_provider_protection_starts_without_backoff(api: Api):
    path = "/api/v2/attack-protection/phone-provider-protection"
    assert conforms("GET /attack-protection/phone-provider-protection", api.get(path), 200) == {"type": "none"}
    updated = api.patch(path, json={"type": "exponential"})
    assert conforms("PATCH /attack-protection/phone-provider-protection", updated, 200) == {"type": "exponential"}
    assert api.get(path).json() == {"type": "exponential"}


def test_a_null_in_a_patch_restores_the_default_or_removes_the_setting(api: Api):
    prompts = api.patch("/api/v2/prompts", json={"identifier_first": True})
    assert conforms("PATCH /prompts", prompts, 200)["identifier_first"] is True
    cleared = conforms("PATCH /prompts", api.patch("/api/v2/prompts", json={"identifier_first": None}), 200)
    assert cleared["identifier_first"] is False
    branding = {"logo_url": "https://example.com/logo.png", "font": {"url": "https://example.com/f.woff"},
                "colors": {"primary": "#0059d6"}}
    assert conforms("PATCH /branding", api.patch("/api/v2/branding", json=branding), 200) == branding
    unset = api.patch("/api/v2/branding", json={"logo_url": None, "font": {"url": None}})
    assert conforms("PATCH /branding", unset, 200) == {"colors": {"primary": "#0059d6"}}
    assert api.get("/api/v2/branding").json() == {"colors": {"primary": "#0059d6"}}


def test_push_providers_take_their_secrets_and_never_answer_them(api: Api):
    apns = "/api/v2/guardian/factors/push-notification/providers/apns"
    sent = {"sandbox": False, "bundle_id": "com.example.app", "p12": "MIIPWQIBAzCC"}
    replaced = api.put(apns, json=sent)
    # recorded (TestGuardian/MultiFactor/Push/DirectAPNS): the p12 certificate is not answered
    assert conforms("PUT /guardian/factors/push-notification/providers/apns", replaced, 200) == \
        {"sandbox": False, "bundle_id": "com.example.app"}
    patched = api.patch(apns, json={"p12": None, "sandbox": True})
    assert conforms("PATCH /guardian/factors/push-notification/providers/apns", patched, 200) == \
        {"sandbox": True, "bundle_id": "com.example.app"}
    fcm = "/api/v2/guardian/factors/push-notification/providers/fcm"
    assert api.put(fcm, json={"server_key": "abc123"}).json() == {}  # recorded: DirectFCM


def test_refresh_tokens_are_listed_per_user_and_client(mockidp, api: Api):
    browser = Browser(mockidp.url)
    code = browser.sign_in(*ALICE, scope="openid offline_access")["code"]
    assert exchange_code(mockidp.url, code).json()["refresh_token"]
    alice = api.get("/api/v2/users-by-email", params={"email": ALICE[0]}).json()[0]["user_id"]
    listed = conforms("GET /refresh-tokens", api.get("/api/v2/refresh-tokens", params={"user_id": alice}), 200)
    [token] = listed["refresh_tokens"]
    assert (token["user_id"], token["client_id"]) == (alice, SPA_ID) and "next" not in listed
    by_client = api.get("/api/v2/refresh-tokens", params={"user_id": alice, "client_id": SPA_ID}).json()
    assert by_client == listed
    other = api.get("/api/v2/refresh-tokens", params={"user_id": alice, "client_id": "another"}).json()
    assert other == {"refresh_tokens": []}
    assert api.get("/api/v2/refresh-tokens", params={"user_id": "auth0|nobody"}).json() == {"refresh_tokens": []}
    missing = api.get("/api/v2/refresh-tokens")
    assert missing.status_code == 400 and missing.json()["errorCode"] == "invalid_query_string", missing.text


def test_connection_profiles_and_encryption_keys_answer_only_the_specs_keys(api: Api):
    profile = api.post("/api/v2/connection-profiles", json={"name": "okta"})
    assert not {"created_at", "updated_at"} & conforms("POST /connection-profiles", profile, 201).keys()
    key = api.post("/api/v2/keys/encryption", json={"type": "customer-provided-root-key", "note": "x"})
    assert "note" not in conforms("POST /keys/encryption", key, 201)


def test_an_unknown_theme_is_auth0s_404(api: Api):
    assert_error(api.get("/api/v2/branding/themes/" + "a" * 32), 404,
                 "There was an error retrieving branding settings: invalid theme ID", "theme_not_found")


def test_a_custom_domain_verified_by_txt_is_asked_for_a_txt_record(api: Api):
    created = api.post("/api/v2/custom-domains", json={"domain": "login.example.com", "type": "self_managed_certs",
                                                       "verification_method": "txt"})
    body = conforms("POST /custom-domains", created, 201)
    assert "verification_method" not in body  # a choice made on create, not a key of the domain
    [method] = body["verification"]["methods"]
    assert (method["name"], method["domain"]) == ("txt", "_cf-custom-hostname.login.example.com")


def test_an_email_provider_answers_only_the_credentials_auth0_shows(api: Api):
    sent = {"name": "ses", "credentials": {"accessKeyId": "AKIA", "secretAccessKey": "secret",
                                           "region": "eu-west-1"}, "settings": None}
    created = conforms("POST /emails/provider", api.post("/api/v2/emails/provider", json=sent), 201)
    assert created["credentials"] == {"region": "eu-west-1"} and "settings" not in created
    smtp = {"name": "smtp", "credentials": {"smtp_host": "smtp.example.com", "smtp_port": 587,
                                            "smtp_user": "user", "smtp_pass": "secret"}}
    replaced = conforms("PATCH /emails/provider", api.patch("/api/v2/emails/provider", json=smtp), 200)
    # recorded (TestEmailProviderManager_Create): host, port and user, never the password
    shown = replaced["credentials"]
    assert (shown["smtp_host"], shown["smtp_port"], shown["smtp_user"]) == ("smtp.example.com", 587, "user")
    assert "smtp_pass" not in shown


def test_credentials_written_in_a_new_clients_methods_become_its_credentials(api: Api):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    methods = {"private_key_jwt": {"credentials": [{"credential_type": "public_key", "name": "key", "pem": pem}]}}
    created = conforms("POST /clients", api.post("/api/v2/clients", json={
        "name": "jwt", "client_authentication_methods": methods}), 201)
    # recorded (TestClient_CreateCredential): the create answers the credential in full, without its PEM
    [credential] = created["client_authentication_methods"]["private_key_jwt"]["credentials"]
    assert (credential["credential_type"], credential["name"], credential["alg"]) == ("public_key", "key", "RS256")
    assert "pem" not in credential
    listed = api.get(f"/api/v2/clients/{created['client_id']}/credentials").json()
    assert [item["id"] for item in listed] == [credential["id"]]
    shown = api.get(f"/api/v2/clients/{created['client_id']}").json()
    assert shown["client_authentication_methods"] == {"private_key_jwt": {"credentials": [{"id": credential["id"]}]}}
    unreadable = {"private_key_jwt": {"credentials": [{"credential_type": "public_key", "pem": "not a pem"}]}}
    before = len(api.get("/api/v2/clients").json())
    refused = api.post("/api/v2/clients", json={"name": "bad", "client_authentication_methods": unreadable})
    assert_error(refused, 400, "The PEM could not be parsed.", "invalid_body")
    assert len(api.get("/api/v2/clients").json()) == before  # nothing stored
    # a PATCH names credentials by id only (the spec's UpdateClientRequestContent)
    patched = api.patch(f"/api/v2/clients/{created['client_id']}", json={"client_authentication_methods": {
        "private_key_jwt": {"credentials": [{"id": credential["id"]}]}}})
    assert conforms("PATCH /clients/{id}", patched, 200)["client_authentication_methods"] == \
        shown["client_authentication_methods"]
