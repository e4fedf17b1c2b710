"""auth0-deploy-cli 8.x against mockidp, as a team keeping its tenant as code runs it: import a
realistic tenant.yaml, export the tenant, re-import the export, export again.

deploy-cli runs unchanged (its node API, in one Node process: see tests/deploycli/roundtrip.js),
over HTTPS with mockidp's CA, with the default M2M client and nothing excluded.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml
from npm_packages import ensure_installed

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET

DEPLOY_CLI_DIR = Path(__file__).parent / "deploycli"
TENANT_DIR = DEPLOY_CLI_DIR / "tenant"
MAPPINGS = {
    "ENV": "dev", "TENANT_NAME": "Mock Dev", "APP_HOST": "app.dev.example.com",
    "SPA_CALLBACKS": ["https://app.dev.example.com/callback", "http://localhost:3000/callback"],
    "SPA_ORIGINS": ["https://app.dev.example.com"], "LOGOUT_URLS": ["https://app.dev.example.com/"],
    "SMTP_HOST": "smtp.example.com", "SMTP_USER": "mailer", "SMTP_PASS": "s3cret",
    "CLAIM_NAMESPACE": "https://example.com/",
}


def run_deploy_cli(mockidp, steps: list[tuple[str, Path]]) -> subprocess.CompletedProcess:
    ensure_installed(DEPLOY_CLI_DIR, DEPLOY_CLI_DIR / "node_modules" / "auth0-deploy-cli" / "package.json")
    config = {"AUTH0_DOMAIN": mockidp.domain, "AUTH0_CLIENT_ID": DEFAULT_M2M_CLIENT_ID,
              "AUTH0_CLIENT_SECRET": DEFAULT_M2M_CLIENT_SECRET, "AUTH0_ALLOW_DELETE": False,
              "AUTH0_KEYWORD_REPLACE_MAPPINGS": MAPPINGS}
    plan = steps[0][1].parent.parent / "steps.json"
    plan.write_text(json.dumps({"config": config, "steps": [[name, str(path)] for name, path in steps]}))
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(mockidp.ca_file)}
    return subprocess.run(["node", str(DEPLOY_CLI_DIR / "roundtrip.js"), str(plan)], cwd=DEPLOY_CLI_DIR,
                          env=env, capture_output=True, text=True, timeout=600, check=False)


def expanded(text: str) -> dict:
    """tenant.yaml with deploy-cli's keyword replacement: ##K## literal, @@K@@ as JSON."""
    for key, value in MAPPINGS.items():
        text = text.replace(f"'@@{key}@@'", json.dumps(value)).replace(f"##{key}##", str(value))
    return yaml.safe_load(text)


def by(key: str, items: list[dict]) -> dict:
    return {item[key]: item for item in items}


def assert_contains(exported: dict, imported: dict, where: str) -> None:
    """Every key the import set reads back with the same value (Auth0 adds its defaults)."""
    for key, value in imported.items():
        assert key in exported, f"{where}.{key} missing from the export"
        if isinstance(value, dict) and isinstance(exported[key], dict):
            assert_contains(exported[key], value, f"{where}.{key}")
        else:
            assert exported[key] == value, f"{where}.{key}: exported {exported[key]!r}, imported {value!r}"


@pytest.fixture
def round_trip(mockidp, tmp_path):
    source = tmp_path / "in"
    shutil.copytree(TENANT_DIR, source)
    first, second = tmp_path / "out" / "first", tmp_path / "out" / "second"
    directory = tmp_path / "out" / "export-dir"  # roundtrip.js: a name ending in -dir is the directory format
    result = run_deploy_cli(mockidp, [("import", source / "tenant.yaml"), ("export", first),
                                      ("import", first / "tenant.yaml"), ("export", second), ("export", directory)])
    outcomes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"step"')]
    assert result.returncode == 0 and len(outcomes) == 5, result.stdout[-4000:] + result.stderr[-4000:]
    return source, first, second, result.stdout


def test_import_export_round_trip(round_trip, mockidp):
    source, first, second, log = round_trip
    assert "Insufficient scope" not in log  # the default M2M client holds every scope deploy-cli uses
    imported = expanded((source / "tenant.yaml").read_text())
    exported = yaml.safe_load((first / "tenant.yaml").read_text())

    tenant = dict(imported["tenant"])
    tenant["session_lifetime"], tenant["idle_session_lifetime"] = 72, 24  # hours, as sent in minutes
    assert_contains(exported["tenant"], tenant, "tenant")
    clients = by("name", exported["clients"])
    for client in imported["clients"]:
        assert_contains(clients[client["name"]], client, f"clients[{client['name']}]")
    [database] = imported["databases"]
    assert_contains(by("name", exported["databases"])[database["name"]], database, "databases")
    [api] = imported["resourceServers"]
    assert_contains(by("identifier", exported["resourceServers"])[api["identifier"]], api, "resourceServers")
    assert exported["clientGrants"] == imported["clientGrants"]
    assert sorted(exported["roles"], key=lambda r: r["name"]) == imported["roles"]
    provider = dict(imported["emailProvider"])
    # deploy-cli writes the SMTP user and password back as keywords, never their values
    provider["credentials"] = {**provider["credentials"], "smtp_user": "##SMTP_USER##", "smtp_pass": "##SMTP_PASS##"}
    assert exported["emailProvider"] == provider
    templates = by("template", exported["emailTemplates"])
    for template in imported["emailTemplates"]:
        assert_contains(templates[template["template"]], template, f"emailTemplates[{template['template']}]")
        body = template["body"]
        assert (first / body).read_text() == (source / body).read_text()
    [action] = exported["actions"]
    [sent] = imported["actions"]
    # Auth0 never returns a secret's value
    assert_contains(action, {**sent, "secrets": [{"name": "CLAIM_NAMESPACE"}]}, "actions[add-roles-claim]")
    assert (first / action["code"]).read_text() == (source / sent["code"]).read_text()
    assert exported["triggers"] == imported["triggers"]
    assert exported["attackProtection"] == imported["attackProtection"]

    # Re-importing the export changes nothing: exporting again gives the same files.
    assert (second / "tenant.yaml").read_text() == (first / "tenant.yaml").read_text()
    for path in first.rglob("*"):
        if path.is_file():
            assert (second / path.relative_to(first)).read_bytes() == path.read_bytes(), path

    # What was imported is in force, not just stored.
    token = mockidp.management_token()
    request = urllib.request.Request(f"{mockidp.url}/api/v2/tenants/settings",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
        settings = json.loads(response.read())
    assert settings["friendly_name"] == "Mock Dev" and settings["session_lifetime"] == 72
    assert "session_lifetime_in_minutes" not in settings


SETTINGS = ("/attack-protection/breached-password-detection", "/attack-protection/brute-force-protection",
            "/attack-protection/suspicious-ip-throttling", "/attack-protection/bot-detection",
            "/attack-protection/captcha", "/risk-assessments/settings", "/guardian/policies",
            "/guardian/factors/sms/templates", "/email-templates/verify_email", "/email-templates/welcome_email")
OPS_CLIENT = {"client_id": "opsClient00000000000000000000000", "client_secret": "ops-secret-" + "0" * 53}


def management_get(base_url: str, path: str, token: str):
    request = urllib.request.Request(f"{base_url}/api/v2{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
        return json.loads(response.read())


def ops_token(server) -> str:
    body = json.dumps({"grant_type": "client_credentials", **OPS_CLIENT,
                       "audience": f"{server.url}/api/v2/"}).encode()
    request = urllib.request.Request(f"{server.url}/oauth/token", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
        return json.loads(response.read())["access_token"]


@pytest.mark.parametrize("export_format", ["yaml", "directory"])
def test_the_export_loads_as_fixtures(round_trip, mockidp, tmp_path, caplog, export_format):
    """The export, as deploy-cli wrote it (companion files included), started with --fixtures, in
    either of its formats: every section mockidp models reads back as on the tenant it was
    exported from."""
    _, first, _, _ = round_trip
    exported = first / "tenant.yaml" if export_format == "yaml" else first.parent / "export-dir"
    ops = tmp_path / "ops.yaml"  # a client of our own to read the result with
    ops.write_text(yaml.safe_dump({
        "clients": [{"name": "ops", "app_type": "non_interactive", **OPS_CLIENT}],
        "clientGrants": [{"client_id": "ops", "audience": "https://##AUTH0_DOMAIN##/api/v2/",
                          "scope": ["read:tenant_settings", "read:attack_protection", "read:email_provider",
                                    "read:email_templates", "read:mfa_policies", "read:guardian_factors",
                                    "read:roles", "read:actions"]}]}))
    from mockidp.testing import MockIdPServer

    with caplog.at_level("WARNING", logger="mockidp"):
        loaded = MockIdPServer(fixtures=[exported, ops], tls=False)
    try:
        assert not [r for r in caplog.records if "ignoring" in r.getMessage()]  # nothing it held was dropped
        token, original = ops_token(loaded), mockidp.management_token()
        for path in SETTINGS:
            assert management_get(loaded.url, path, token) == management_get(mockidp.url, path, original), path
        provider = management_get(loaded.url, "/emails/provider", token)
        expected = management_get(mockidp.url, "/emails/provider", original)
        # deploy-cli exports the SMTP user as a keyword (##SMTP_USER##), never its value
        assert provider["credentials"].pop("smtp_user") == "##SMTP_USER##"
        expected["credentials"].pop("smtp_user")
        assert provider == expected
        settings = management_get(loaded.url, "/tenants/settings", token)
        assert {k: settings[k] for k in ("friendly_name", "support_email", "session_lifetime",
                                         "idle_session_lifetime", "allowed_logout_urls")} == {
            "friendly_name": "Mock Dev", "support_email": "support@example.com", "session_lifetime": 72,
            "idle_session_lifetime": 24, "allowed_logout_urls": ["https://app.dev.example.com/"]}
        roles = management_get(loaded.url, "/roles", token)
        assert sorted(r["name"] for r in roles) == ["Billing Admin", "Billing Viewer"]
        bindings = management_get(loaded.url, "/actions/triggers/post-login/bindings", token)["bindings"]
        assert [b["action"]["name"] for b in bindings] == ["add-roles-claim"]
        [action] = management_get(loaded.url, "/actions/actions", token)["actions"]
        original_code = next(a for a in management_get(mockidp.url, "/actions/actions", original)["actions"]
                             if a["name"] == "add-roles-claim")["code"]
        assert action["code"] == original_code  # the code file was found in either layout
    finally:
        loaded.stop()
