"""/api/v2/email-templates: Auth0's semantics (404 before creation, 409 on a second POST, PATCH
merges, PUT replaces) and their effect on what is sent."""
from __future__ import annotations

import pytest
import requests
from conftest import Api
from email_helpers import change_password, install_template, outbox

TEMPLATE = {"template": "verify_email", "body": "<html><body><h1>Let's get you verified!</h1></body></html>",
            "from": "someone@example.com", "resultUrl": "https://www.example.com/verify-email",
            "subject": "Let's get you verified!", "syntax": "liquid", "includeEmailInRedirect": True,
            "enabled": False}


def test_never_configured_template_is_404(api):
    response = api.get("/api/v2/email-templates/verify_email")
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Template not found."}
    patched = api.patch("/api/v2/email-templates/reset_email", json={"enabled": False})
    assert patched.status_code == 404
    assert patched.json()["message"] == "Template not found and cannot be updated."
    put = api.put("/api/v2/email-templates/reset_email", json={**TEMPLATE, "template": "reset_email"})
    assert put.status_code == 404


def test_create_then_get_returns_the_real_shape(api):
    created = api.post("/api/v2/email-templates", json=TEMPLATE)
    assert created.status_code == 200
    assert created.json() == TEMPLATE
    assert api.get("/api/v2/email-templates/verify_email").json() == TEMPLATE


def test_second_post_conflicts_without_error_code(api):
    api.post("/api/v2/email-templates", json=TEMPLATE)
    again = api.post("/api/v2/email-templates", json=TEMPLATE)
    assert again.status_code == 409
    assert again.json() == {"statusCode": 409, "error": "Conflict", "message": "Template verify_email already exists."}


def test_patch_merges_and_put_replaces(api):
    api.post("/api/v2/email-templates", json=TEMPLATE)
    patched = api.patch("/api/v2/email-templates/verify_email", json={"subject": "New subject", "enabled": True})
    assert patched.status_code == 200
    assert patched.json() == {**TEMPLATE, "subject": "New subject", "enabled": True}
    replacement = {"template": "verify_email", "body": "<p>{{ url }}</p>", "from": "x@example.com",
                   "subject": "Verify", "syntax": "liquid", "enabled": True}
    put = api.put("/api/v2/email-templates/verify_email", json=replacement)
    assert put.status_code == 200
    assert put.json() == replacement  # resultUrl and includeEmailInRedirect are gone
    assert api.get("/api/v2/email-templates/verify_email").json() == replacement


@pytest.mark.parametrize("body, message", [
    ({k: v for k, v in TEMPLATE.items() if k != "subject"},
     "Payload validation error: 'Missing required property: subject'."),
    ({**TEMPLATE, "color": "red"}, "Payload validation error: 'Additional properties not allowed: color'."),
    ({**TEMPLATE, "template": "hello_email"}, "No enum match for: \"hello_email\""),
    ({**TEMPLATE, "urlLifetimeInSeconds": -1}, "Value -1 is less than minimum 0"),
])
def test_create_validation(api, body, message):
    response = api.post("/api/v2/email-templates", json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_body"
    assert message in response.json()["message"]
    assert api.get("/api/v2/email-templates/verify_email").status_code == 404  # nothing stored


def test_unknown_template_name_in_path(api):
    response = api.get("/api/v2/email-templates/hello_email")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_uri"


def test_scopes(mockidp):
    reader = Api(mockidp.url, mockidp.management_token(scope="read:email_templates"))
    denied = reader.post("/api/v2/email-templates", json=TEMPLATE)
    assert denied.status_code == 403
    assert denied.json()["message"] == "Insufficient scope, expected any of: create:email_templates"
    assert reader.patch("/api/v2/email-templates/verify_email", json={}).status_code == 403
    assert reader.get("/api/v2/email-templates/verify_email").status_code == 404  # allowed, not set


def test_template_fields_drive_what_is_sent(api, anonymous):
    install_template(api, "reset_email", body="<a href=\"{{ url }}\">go</a> https://docs.example.com/help.",
                     subject="  Reset   for {{ user.email }} ", **{"from": "Support <support@example.com>"})
    change_password(anonymous, "alice@example.com")
    [message] = outbox(anonymous)
    assert message["subject"] == "Reset for alice@example.com"
    assert message["from"] == "Support <support@example.com>"
    assert message["links"] == [message["url"], "https://docs.example.com/help"]
    assert message["text"] == f"go ({message['url']}) https://docs.example.com/help."


def test_disabling_through_patch_suppresses_sending(api, anonymous):
    install_template(api, "reset_email")
    api.patch("/api/v2/email-templates/reset_email", json={"enabled": False})
    change_password(anonymous, "alice@example.com")
    assert outbox(anonymous) == []
    api.patch("/api/v2/email-templates/reset_email", json={"enabled": True})
    change_password(anonymous, "alice@example.com")
    assert len(outbox(anonymous)) == 1


def test_null_body_falls_back_to_the_default(api, anonymous):
    install_template(api, "reset_email", body=None, subject="Custom subject")
    change_password(anonymous, "alice@example.com")
    [message] = outbox(anonymous)
    assert message["subject"] == "Custom subject"
    assert "Reset your password" in message["html"]


def test_reset_forgets_configured_templates(api, anonymous):
    api.post("/api/v2/email-templates", json=TEMPLATE)
    anonymous.post("/_mock/reset")
    assert api.get("/api/v2/email-templates/verify_email").status_code == 404


def test_the_email_providers_default_from_address_is_the_sender_of_templates_without_one(mockidp, api):
    """Auth0 sends a template that sets no `from` from the provider's default_from_address."""
    assert api.post("/api/v2/emails/provider", json={
        "name": "smtp", "enabled": True, "default_from_address": "Acme <no-reply@acme.test>",
        "credentials": {"smtp_host": "smtp.acme.test", "smtp_port": 587, "smtp_user": "u", "smtp_pass": "p"}}).status_code == 201
    requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=30, json={
        "client_id": "mockidpWebClient0000000000000000", "email": "alice@example.com",
        "connection": "Username-Password-Authentication"})
    assert mockidp.outbox(to="alice@example.com")[-1]["from"] == "Acme <no-reply@acme.test>"
    created = api.post("/api/v2/email-templates", json={
        "template": "reset_email", "from": "Support <help@acme.test>", "enabled": True,
        "body": "<p>{{ url }}</p>", "syntax": "liquid", "subject": "Reset"})
    assert created.status_code == 200, created.text  # 200, as the spec documents it
    requests.post(f"{mockidp.url}/dbconnections/change_password", timeout=30, json={
        "client_id": "mockidpWebClient0000000000000000", "email": "alice@example.com",
        "connection": "Username-Password-Authentication"})
    assert mockidp.outbox(to="alice@example.com")[-1]["from"] == "Support <help@acme.test>"
