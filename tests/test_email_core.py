"""The mailroom and templates as plain Python: fixtures, defaults, rendering helpers."""
from __future__ import annotations

import pytest

from mockidp.core.email import emails, html_text, templates
from mockidp.core.tenant.errors import FixtureError
from mockidp.runtime import build_tenant

FIXTURE = """
mockidp:
  email: {delivery: manual, render: enqueue}
connections:
  - name: db
    strategy: auth0
users:
  - email: fix@example.com
    password: Passw0rd!fix
emailTemplates:
  - template: reset_email
    body: "Reset {{ user.email }}: {{ url }}"
    subject: From the fixture
    from: fixture@example.com
    enabled: true
"""


def test_fixture_sets_email_settings_and_templates(tmp_path):
    path = tmp_path / "tenant.yaml"
    path.write_text(FIXTURE)
    tenant = build_tenant([path])
    assert tenant.mailroom.settings.as_json() == {"delivery": "manual", "delay_seconds": 0, "render": "enqueue"}
    assert emails.send_password_reset_email(tenant, "db", "FIX@example.com", base_url="http://mock") is not None
    assert tenant.mailroom.messages() == []  # manual: held
    tenant.mailroom.flush()
    [message] = tenant.mailroom.messages()
    assert message["subject"] == "From the fixture" and message["from"] == "fixture@example.com"
    assert message["html"] == f"Reset fix@example.com: {message['url']}"
    tenant.mock_settings.patch({"email": {"delivery": "immediate"}})
    tenant.reset()
    assert tenant.mailroom.settings.delivery == "manual"  # reset returns to the fixture's values


@pytest.mark.parametrize("fixture, fragment", [
    ("mockidp: {email: {delivery: sometimes}}", "mockidp.email"),
    ("emailTemplates: [{template: hello_email}]", "emailTemplates[0].template"),
])
def test_bad_fixture_email_config(tmp_path, fixture, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(fixture)
    with pytest.raises(FixtureError) as raised:
        build_tenant([path])
    assert fragment in str(raised.value)


@pytest.mark.parametrize("name", sorted(templates.DEFAULT_TEMPLATES))
def test_every_default_template_renders(name):
    tenant = build_tenant()
    variables = {"user": {"email": "u@example.com", "name": "U <b>", "source_ip": "10.0.0.1"},
                 "url": "https://mock/u/x?ticket=abc#", "application": {"name": "App"},
                 "organization": {"name": "acme", "display_name": "Acme"}, "inviter": {"name": "Ina"},
                 "friendly_name": "Mock", "support_email": "help@example.com"}
    rendered = tenant.mailroom.renderer.render_email(templates.DEFAULT_TEMPLATES[name], variables)
    assert rendered.subject and rendered.sender == "Mock <no-reply@auth0user.net>"
    assert "U &lt;b&gt;" in rendered.html or "U <b>" not in rendered.html  # untrusted names escaped
    if "{{ url }}" in templates.DEFAULT_TEMPLATES[name]["body"]:
        assert rendered.links == ["https://mock/u/x?ticket=abc#"]


def test_link_extraction_and_text():
    html = ('<html><head><title>t</title><style>a{}</style></head><body><p>Go <a href="https://a.example/x?y=1&amp;z=2">'
            'here</a>.</p><img src="https://cdn.example/logo.png"><p>See https://b.example/path, thanks</p></body></html>')
    assert html_text.extract_links(html) == ["https://a.example/x?y=1&z=2", "https://cdn.example/logo.png",
                                             "https://b.example/path"]
    assert html_text.html_to_text(html) == "Go here (https://a.example/x?y=1&z=2).\n\nSee https://b.example/path, thanks"


def test_runaway_template_fails_instead_of_hanging():
    tenant = build_tenant()
    loop = "{% for i in (1..100000000) %}x{% endfor %}"
    with pytest.raises(templates.TemplateError) as raised:
        tenant.mailroom.renderer.render("body", loop, {})
    assert raised.value.field == "body"
