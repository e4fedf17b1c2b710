"""Fixture files: deploy-cli shapes, generated users, determinism, isolation, and clear errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import Api

from mockidp.testing import MockIdPServer

GENERATED = """
mockidp:
  seed: 7
  clock: {now: "2030-02-03T04:05:06Z", frozen: true}
clients:
  - {name: tester, client_id: testerClient0000000000000000000, client_secret: s3cret,
     app_type: non_interactive, grant_types: [client_credentials]}
connections:
  - {name: db, strategy: auth0, enabled_clients: [tester], options: {passwordPolicy: none}}
clientGrants:
  - {client_id: tester, audience: "https://##AUTH0_DOMAIN##/api/v2/", scope: [read:users, create:users]}
users:
  - {email: fixed@example.com, password: x, user_id: fixed-user}
generate:
  users: 25
"""


def start(tmp_path: Path, text: str, seed: int | None = None) -> MockIdPServer:
    path = tmp_path / f"tenant-{abs(hash(text)) % 10**8}-{seed}.yaml"
    path.write_text(text)
    return MockIdPServer(fixtures=[path], seed=seed, tls=False)


def token(server: MockIdPServer) -> str:
    return server.management_token(client_id="testerClient0000000000000000000", client_secret="s3cret")


def users_of(server: MockIdPServer) -> list[dict]:
    return Api(server.url, token(server)).get("/api/v2/users", params={"per_page": 100}).json()


@pytest.fixture
def servers():
    started: list[MockIdPServer] = []
    yield started
    for server in started:
        server.stop()


def test_generated_users_are_deterministic_under_the_seed(tmp_path, servers):
    first, second, other = (start(tmp_path, GENERATED), start(tmp_path, GENERATED),
                            start(tmp_path, GENERATED, seed=8))
    servers += [first, second, other]
    listed = users_of(first)
    assert len(listed) == 26
    assert listed == users_of(second)
    assert [u["user_id"] for u in listed] != [u["user_id"] for u in users_of(other)]
    assert listed[0]["user_id"] == "auth0|fixed-user"
    assert listed[0]["created_at"] == "2030-02-03T04:05:06.000Z"  # the fixture's frozen clock


def test_two_servers_in_one_process_share_nothing(tmp_path, servers):
    first, second = start(tmp_path, GENERATED), start(tmp_path, GENERATED)
    servers += [first, second]
    created = Api(first.url, token(first)).post("/api/v2/users", json={
        "connection": "db", "email": "only-in-first@example.com", "password": "x"})
    assert created.status_code == 201
    assert Api(second.url, token(second)).get("/api/v2/users-by-email",
                                              params={"email": "only-in-first@example.com"}).json() == []
    first.advance(100)
    assert first.clock()["now"] != second.clock()["now"]


def test_deploy_cli_audience_keyword_and_client_names(tmp_path, servers):
    server = start(tmp_path, GENERATED)
    servers.append(server)
    grants = Api(server.url, server.management_token(
        client_id="testerClient0000000000000000000", client_secret="s3cret")).get("/api/v2/client-grants")
    assert grants.status_code == 403  # the tester was granted users scopes only
    host = server.url.split("://")[1]
    listed = requests.post(f"{server.url}/oauth/token", timeout=30, json={
        "grant_type": "client_credentials", "client_id": "testerClient0000000000000000000",
        "client_secret": "s3cret", "audience": f"https://{host}/api/v2/"})
    assert listed.status_code == 200 and listed.json()["scope"] == "read:users create:users"


BAD_FIXTURES = {
    "syntax": ("clients: [unclosed", "not valid YAML"),
    "unknown section": ("tenants: {}\n", "(top level): unknown key(s): 'tenants'"),
    "missing client name": ("clients:\n  - {app_type: spa}\n", "clients[0]: 'name' is a required property"),
    "unknown app_type": ("clients:\n  - {name: a, app_type: spaceship}\n", "clients[0].app_type: 'spaceship' is not one of"),
    "wrong type": ("clients:\n  - {name: a, callbacks: http://x}\n", "clients[0].callbacks: 'http://x' is not of type 'array'"),
    "unknown grant client": ("clientGrants:\n  - {client_id: ghost, audience: 'https://##AUTH0_DOMAIN##/api/v2/', scope: []}\n",
                             "clientGrants[0].client_id: no client with client_id or name 'ghost'"),
    "weak password": ("connections:\n  - {name: db}\nusers:\n  - {email: a@b.co, password: short}\n",
                      "users[0]: PasswordStrengthError: Password is too weak"),
    "unknown user connection": ("users:\n  - {email: a@b.co, password: x, connection: nope}\n",
                                "users[0]: The connection does not exist."),
    "duplicate user": ("connections:\n  - {name: db, options: {passwordPolicy: none}}\nusers:\n"
                       "  - {email: a@b.co, password: x}\n  - {email: A@b.co, password: y}\n",
                       "users[1]: The user already exists."),
    "bad clock": ("mockidp:\n  clock: {now: someday}\n", "mockidp.clock.now: not an ISO-8601 instant"),
    "top level list": ("- a\n- b\n", "the top level must be a mapping"),
    "databases not a list": ("databases: {name: db}\n", "databases: {'name': 'db'} is not of type 'array'"),
    "database without a name": ("databases:\n  - {strategy: auth0}\n", "databases[0]: 'name' is a required property"),
    "a role permission of an undeclared API": (
        "roles:\n  - {name: r, permissions: [{permission_name: x, resource_server_identifier: 'https://nope/'}]}\n",
        "roles[0]: The resource server does not exist: 'https://nope/'"),
    "a typo next to deploy-cli sections": ("pages: []\npagez: []\n", "(top level): unknown key(s): 'pagez'"),
    "upstream identity of a database connection": (
        "connections:\n  - {name: db}\nupstreamIdentities:\n  - {connection: db, email: a@b.co}\n",
        "upstreamIdentities[0]: Connection 'db' (strategy auth0) does not sign in at an upstream provider."),
}


@pytest.mark.parametrize("name", sorted(BAD_FIXTURES))
def test_invalid_fixture_fails_startup_with_file_path_and_problem(tmp_path, name):
    text, expected = BAD_FIXTURES[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = subprocess.run([sys.executable, "-m", "mockidp", "serve", "--port", "0", "--fixtures", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    assert expected in result.stderr, result.stderr


def test_missing_fixture_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = subprocess.run([sys.executable, "-m", "mockidp", "serve", "--fixtures", str(missing)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "cannot read the file" in result.stderr and "Traceback" not in result.stderr


CACHE_PROBE = """
import sys
from pathlib import Path
from mockidp.core.fixtures.files import load_files
data = load_files([Path(sys.argv[1])], cache_dir=Path(sys.argv[2]))
print(len(data["users"]), "yaml" in sys.modules)
"""


def parse_in_subprocess(fixture: Path, cache_dir: Path) -> str:
    result = subprocess.run([sys.executable, "-c", CACHE_PROBE, str(fixture), str(cache_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_parsed_yaml_is_cached_by_content(tmp_path):
    fixture, cache = tmp_path / "tenant.yaml", tmp_path / "cache"
    fixture.write_text(GENERATED)
    assert parse_in_subprocess(fixture, cache) == ["1", "True"]    # first start parses YAML
    assert parse_in_subprocess(fixture, cache) == ["1", "False"]   # later starts skip PyYAML
    assert len(list(cache.rglob("*.json"))) == 1
    fixture.write_text(GENERATED + "  # changed\n")
    assert parse_in_subprocess(fixture, cache) == ["1", "True"]    # new content, parsed again


def test_yaml_that_json_cannot_hold_is_never_cached(tmp_path):
    fixture, cache = tmp_path / "tenant.yaml", tmp_path / "cache"
    fixture.write_text("tenant: {friendly_name: x, opened: 2030-01-01}\n")  # a YAML date
    assert parse_in_subprocess(fixture, cache) == ["0", "True"]
    assert parse_in_subprocess(fixture, cache) == ["0", "True"]
    assert not list(cache.rglob("*.json"))


DEPLOY_CLI_EXPORT = """
tenant: {friendly_name: Exported}
clients:
  - {name: backend, client_id: backendClient000000000000000000, client_secret: s3cret,
     app_type: non_interactive, grant_types: [client_credentials, "http://auth0.com/oauth/grant-type/password-realm"]}
databases:
  - name: Username-Password-Authentication
    enabled_clients: [backend]
    options: {passwordPolicy: none}
clientGrants:
  - {client_id: backend, audience: "https://##AUTH0_DOMAIN##/api/v2/", scope: [read:connections]}
users:
  - {email: exported@example.com, password: x}
pages:
  - {name: login, html: ./pages/login.html}
rules: []
emailProvider: {name: sendgrid, enabled: true, credentials: {api_key: _VALUE_NOT_SHOWN_}}
guardianFactors: [{name: sms, enabled: false}]
"""


def test_a_deploy_cli_export_loads_its_databases_and_names_what_it_ignores(tmp_path, servers, caplog):
    caplog.set_level("WARNING", logger="mockidp")
    server = start(tmp_path, DEPLOY_CLI_EXPORT)
    servers.append(server)
    ignored = [r.getMessage() for r in caplog.records if "does not emulate" in r.getMessage()]
    # the email provider and Guardian factors are kept (declared resources); empty `rules` holds
    # nothing worth a warning
    assert len(ignored) == 1 and ignored[0].endswith(": pages")
    management = server.management_token(client_id="backendClient000000000000000000", client_secret="s3cret")
    listed = Api(server.url, management).get("/api/v2/connections").json()
    assert [(c["name"], c["strategy"]) for c in listed] == [("Username-Password-Authentication", "auth0")]
    login = requests.post(f"{server.url}/oauth/token", timeout=30, data={
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
        "username": "exported@example.com", "password": "x", "scope": "openid",
        "client_id": "backendClient000000000000000000", "client_secret": "s3cret"})
    assert login.status_code == 200, login.text


def write_directory_export(root: Path) -> None:
    """A small export in deploy-cli's directory format, files named as deploy-cli names them."""
    files = {
        "tenant.json": '{"friendly_name": "Dir Tenant"}',
        "clients/backend.json": '{"name": "backend", "client_id": "dirClient0000000000000000000000", '
                                '"client_secret": "s3cret", "app_type": "non_interactive", '
                                '"grant_types": ["client_credentials", "password"]}',
        "database-connections/Accounts/database.json": '{"name": "Accounts", "options": {"passwordPolicy": "none"}, '
                                                       '"enabled_clients": ["backend"]}',
        "grants/backend-mgmt.json": '{"client_id": "backend", "audience": "https://##AUTH0_DOMAIN##/api/v2/", '
                                    '"scope": ["read:email_templates", "read:actions", "read:attack_protection"]}',
        "emails/verify_email.json": '{"template": "verify_email", "body": "./verify_email.html", "enabled": true, '
                                    '"from": "dir@example.com", "subject": "Verify", "syntax": "liquid"}',
        "emails/verify_email.html": "<p>Hello from the directory export</p>",
        "actions/stamp.json": '{"name": "stamp", "code": "./actions/stamp/code.js", "deployed": true, '
                              '"supported_triggers": [{"id": "post-login", "version": "v3"}]}',
        "actions/stamp/code.js": "exports.onExecutePostLogin = async () => {};",
        "attack-protection/brute-force-protection.json": '{"enabled": true, "max_attempts": 4}',
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)


def test_a_deploy_cli_directory_export_loads_as_fixtures(tmp_path, servers):
    root = tmp_path / "export"
    write_directory_export(root)
    server = MockIdPServer(fixtures=[root], tls=False)
    servers.append(server)
    api = Api(server.url, server.management_token(client_id="dirClient0000000000000000000000", client_secret="s3cret"))
    template = api.get("/api/v2/email-templates/verify_email").json()
    assert template["body"] == "<p>Hello from the directory export</p>" and template["from"] == "dir@example.com"
    [action] = api.get("/api/v2/actions/actions").json()["actions"]
    assert action["code"] == "exports.onExecutePostLogin = async () => {};"
    assert api.get("/api/v2/attack-protection/brute-force-protection").json()["max_attempts"] == 4


def test_a_broken_file_in_a_directory_export_is_named(tmp_path):
    from mockidp.core.fixtures.files import load_files
    from mockidp.core.tenant.errors import FixtureError

    root = tmp_path / "export"
    write_directory_export(root)
    (root / "clients" / "backend.json").write_text("{not json")
    with pytest.raises(FixtureError, match=r"clients/backend.json: not valid JSON"):
        load_files([root], cache_dir=tmp_path)


def test_prompt_custom_text_and_partials_load_from_an_export(tmp_path, servers):
    fixture = tmp_path / "prompts.yaml"
    fixture.write_text("""
clients:
  - {name: reader, client_id: promptReader000000000000000000000, client_secret: s3cret, app_type: non_interactive,
     grant_types: [client_credentials]}
clientGrants:
  - {client_id: reader, audience: "https://##AUTH0_DOMAIN##/api/v2/", scope: [read:prompts]}
prompts:
  universal_login_experience: new
  customText:
    en: {login: {login: {title: Welcome back, description: Log in to Acme}}}
    fr: {login: {login: {title: Bon retour}}}
  partials:
    login: {login: {form-content-start: "<div>Acme</div>"}}
""")
    server = MockIdPServer(fixtures=[fixture], tls=False)
    servers.append(server)
    api = Api(server.url, server.management_token(client_id="promptReader000000000000000000000", client_secret="s3cret"))
    assert api.get("/api/v2/prompts/login/custom-text/en").json() == {
        "login": {"title": "Welcome back", "description": "Log in to Acme"}}
    assert api.get("/api/v2/prompts/login/custom-text/fr").json() == {"login": {"title": "Bon retour"}}
    assert api.get("/api/v2/prompts/signup/custom-text/en").json() == {}
    assert api.get("/api/v2/prompts/login/partials").json() == {"login": {"form-content-start": "<div>Acme</div>"}}


def test_the_universal_login_template_loads_from_an_export_file(tmp_path, servers):
    (tmp_path / "branding_templates").mkdir()
    page = "<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>"
    (tmp_path / "branding_templates" / "universal_login.html").write_text(page)
    fixture = tmp_path / "tenant.yaml"
    fixture.write_text("""
clients:
  - {name: reader, client_id: brandingReader00000000000000000000, client_secret: s3cret, app_type: non_interactive,
     grant_types: [client_credentials]}
clientGrants:
  - {client_id: reader, audience: "https://##AUTH0_DOMAIN##/api/v2/", scope: [read:branding]}
branding:
  colors: {primary: "#0059d6"}
  templates:
    - template: universal_login
      body: ./branding_templates/universal_login.html
""")
    server = MockIdPServer(fixtures=[fixture], tls=False)
    servers.append(server)
    api = Api(server.url, server.management_token(client_id="brandingReader00000000000000000000", client_secret="s3cret"))
    assert api.get("/api/v2/branding/templates/universal-login").json() == {"body": page}
    assert api.get("/api/v2/branding").json()["colors"] == {"primary": "#0059d6"}


def test_tenant_lifetimes_in_minutes_are_stored_in_hours(tmp_path, servers):
    fixture = tmp_path / "tenant.yaml"
    fixture.write_text("""
tenant: {friendly_name: Minutes, session_lifetime_in_minutes: 90, idle_session_lifetime: 12}
clients:
  - {name: reader, client_id: settingsReader00000000000000000000, client_secret: s3cret, app_type: non_interactive,
     grant_types: [client_credentials]}
clientGrants:
  - {client_id: reader, audience: "https://##AUTH0_DOMAIN##/api/v2/", scope: [read:tenant_settings]}
""")
    server = MockIdPServer(fixtures=[fixture], tls=False)
    servers.append(server)
    api = Api(server.url, server.management_token(client_id="settingsReader00000000000000000000", client_secret="s3cret"))
    settings = api.get("/api/v2/tenants/settings").json()
    assert (settings["session_lifetime"], settings["idle_session_lifetime"]) == (1.5, 12)
    assert "session_lifetime_in_minutes" not in settings


def test_a_valid_fixture_loads_without_importing_jsonschema():
    """jsonschema only words a broken fixture's first problem: importing it costs ~100 ms of every
    start-up, so the default fixture must pass the quick check (once, an `enum` the quick check
    did not know sent every start-up through jsonschema)."""
    probe = ("import sys; from mockidp.runtime import build_tenant; build_tenant(None, None, None); "
             "print('jsonschema' in sys.modules)")
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert answer.stdout.strip() == "False"
