"""Fixture files: Auth0-shaped tenant descriptions (the keys auth0-deploy-cli uses) plus users.

Loading validates every file against a schema first, so a mistake fails start-up with the file,
the path inside it and the problem, never a traceback. Several files merge: lists concatenate,
the `tenant` and `mockidp` objects merge key by key, later files winning.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import actions, client_grants, clients, connections, resource_servers, users
from .clock import parse_instant
from .errors import Auth0Error
from .state import default_state_dir, write_atomically
from .templates import TEMPLATE_NAMES

if TYPE_CHECKING:
    from .tenant import Tenant

LIST_KEYS = ("clients", "clientGrants", "connections", "resourceServers", "roles", "emailTemplates",
             "users", "actions")
OBJECT_KEYS = ("tenant", "mockidp", "generate", "attackProtection")
# Sections of an auth0-deploy-cli export that mockidp does not emulate: a real tenant's export
# loads, and start-up names what it ignored. Any other unknown key is still an error (a typo).
NOT_EMULATED_KEYS = ("rules", "rulesConfigs", "hooks", "pages", "emailProvider", "guardianFactors",
                     "guardianFactorProviders", "guardianFactorTemplates",
                     "guardianPhoneFactorMessageTypes", "guardianPhoneFactorSelectedProvider",
                     "guardianPolicies", "migrations", "organizations", "branding", "logStreams",
                     "prompts", "customDomains", "themes", "forms", "flows", "flowVaultConnections",
                     "selfServiceProfiles", "networkACLs", "phoneProviders", "phoneTemplates",
                     "userAttributeProfiles", "connectionProfiles", "tokenExchangeProfiles",
                     "eventStreams")
DEFAULT_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "default.yaml"
log = logging.getLogger("mockidp")

_STRINGS = {"type": "array", "items": {"type": "string"}}
# auth0-deploy-cli's action and trigger shapes (src/tools/auth0/handlers/{actions,triggers}.ts).
# Only keywords _conforms understands, so a valid fixture never imports jsonschema: trigger ids
# are spelled out as properties rather than an enum.
_ACTION_TRIGGERS = {"type": "array", "items": {"type": "object", "required": ["id"], "additionalProperties": False,
                    "properties": {"id": {"type": "string"}, "version": {"type": "string"},
                                   "url": {"type": "string"}}}}
_ACTION = {"type": "object", "required": ["name", "code", "supported_triggers"], "additionalProperties": False,
           "properties": {
               "name": {"type": "string", "minLength": 1},
               "code": {"type": "string"},   # inline JavaScript, or a .js file relative to the fixture
               "runtime": {"type": "string"},
               "dependencies": {"type": "array", "items": {
                   "type": "object", "required": ["name"], "additionalProperties": False,
                   "properties": {"name": {"type": "string", "minLength": 1}, "version": {"type": "string"},
                                  "registry_url": {"type": "string"}}}},
               "secrets": {"type": "array", "items": {
                   "type": "object", "required": ["name"], "additionalProperties": False,
                   "properties": {"name": {"type": "string", "minLength": 1}, "value": {"type": "string"},
                                  "updated_at": {"type": "string"}}}},
               "supported_triggers": _ACTION_TRIGGERS,
               "deployed": {"type": "boolean"},
               "status": {"type": "string"},   # exported by deploy-cli; ignored (builds are instant)
               "modules": {"type": "array", "items": {"type": "object"}}}}
_BINDINGS = {"type": "array", "items": {"type": "object", "required": ["action_name"], "additionalProperties": False,
             "properties": {"action_name": {"type": "string", "minLength": 1},
                            "display_name": {"type": "string"}}}}
_CONNECTION = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "minLength": 1}, "strategy": {"type": "string"},
    "enabled_clients": _STRINGS, "options": {"type": "object"}}}
FIXTURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "tenant": {"type": "object"},
        "mockidp": {"type": "object", "additionalProperties": False, "properties": {
            "seed": {"type": "integer"},
            "clock": {"type": "object", "additionalProperties": False, "properties": {
                "now": {"type": "string"}, "frozen": {"type": "boolean"}}},
            # A number (default_ms) or the /_mock/settings "latency" section; core/latency.py
            # checks the details when the tenant is built.
            "latency": {"anyOf": [{"type": "object"}, {"type": "integer"}]},
            # The /_mock/settings "email" section (delivery, delay_seconds, render); core/mail.py
            # checks the values when the tenant is built.
            "email": {"type": "object"},
        }},
        # auth0-deploy-cli's key; brute-force protection only (core/bruteforce.py).
        "attackProtection": {"type": "object", "additionalProperties": False, "properties": {
            "bruteForceProtection": {"type": "object", "additionalProperties": False, "properties": {
                "enabled": {"type": "boolean"},
                "shields": {"type": "array", "uniqueItems": True,
                            "items": {"enum": ["block", "user_notification"]}},
                "mode": {"enum": ["count_per_identifier_and_ip", "count_per_identifier"]},
                "allowlist": _STRINGS,
                "max_attempts": {"type": "integer", "minimum": 1, "maximum": 100}}}}},
        "generate": {"type": "object", "additionalProperties": False, "properties": {
            "users": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
            "connection": {"type": "string"},
            "password": {"type": "string"},
        }},
        "clients": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "minLength": 1}, "client_id": {"type": "string", "minLength": 1},
            "client_secret": {"type": "string"}, "app_type": {"type": "string"},
            "callbacks": _STRINGS, "allowed_logout_urls": _STRINGS, "web_origins": _STRINGS,
            "allowed_origins": _STRINGS, "grant_types": _STRINGS}}},
        "clientGrants": {"type": "array", "items": {"type": "object",
                         "required": ["client_id", "audience", "scope"], "properties": {
                             "client_id": {"type": "string"}, "audience": {"type": "string"},
                             "scope": _STRINGS}}},
        "connections": {"type": "array", "items": _CONNECTION},
        "databases": {"type": "array", "items": _CONNECTION},  # deploy-cli's database connections
        "resourceServers": {"type": "array", "items": {"type": "object", "required": ["identifier"],
                            "properties": {"identifier": {"type": "string", "minLength": 1},
                                           "name": {"type": "string"},
                                           "token_lifetime": {"type": "integer", "minimum": 1},
                                           "scopes": {"type": "array", "items": {
                                               "type": "object", "required": ["value"]}}}}},
        "roles": {"type": "array", "items": {"type": "object", "required": ["name"]}},
        "emailTemplates": {"type": "array", "items": {"type": "object", "required": ["template"], "properties": {
            "template": {"enum": list(TEMPLATE_NAMES)}, "body": {"type": ["string", "null"]},
            "subject": {"type": ["string", "null"]}, "from": {"type": ["string", "null"]},
            "enabled": {"type": ["boolean", "null"]}}}},
        "actions": {"type": "array", "items": _ACTION},
        # trigger id -> its bindings in execution order; a later file replaces a trigger's list
        "triggers": {"type": "object", "additionalProperties": False,
                     "properties": {trigger: _BINDINGS for trigger in actions.TRIGGER_IDS}},
        "users": {"type": "array", "items": {"type": "object", "required": ["password"], "properties": {
            "email": {"type": "string"}, "password": {"type": "string"},
            "connection": {"type": "string"}, "email_verified": {"type": "boolean"},
            "user_id": {"type": "string"}, "app_metadata": {"type": "object"},
            "user_metadata": {"type": "object"}, "blocked": {"type": "boolean"}}}},
    },
}


class FixtureError(ValueError):
    """A fixture problem, worded for the person who wrote the file."""


class Origin(NamedTuple):
    """Where an entry came from, for error messages."""

    source: str
    path: str

    def error(self, problem: str) -> FixtureError:
        return FixtureError(f"{self.source}: {self.path}: {problem}")


def load_files(paths: list[Path], cache_dir: Path | None = None) -> dict[str, Any]:
    """Read, validate and merge fixture files. Parsed YAML is cached in `cache_dir` (default:
    mockidp's state directory) by content hash, so later starts skip PyYAML altogether."""
    cache = (cache_dir or default_state_dir()) / "fixtures"
    merged: dict[str, Any] = {key: [] for key in LIST_KEYS}
    merged["_origins"] = {key: [] for key in LIST_KEYS}
    for path in paths:
        data = _deploy_cli_sections(path, _read(path, cache))
        _validate(path, data)
        _validate_clock(path, data)
        _merge(merged, data, str(path))
    return merged


def _deploy_cli_sections(path: Path, data: dict) -> dict:
    """The sections of an auth0-deploy-cli export that mockidp does not emulate, dropped with a
    warning (its `databases` are read as database connections: see _merge)."""
    ignored = [key for key in NOT_EMULATED_KEYS if key in data]
    if not ignored:
        return data
    log.warning("mockidp: %s: ignoring what mockidp does not emulate: %s", path, ", ".join(ignored))
    return {key: value for key, value in data.items() if key not in ignored}


def _read(path: Path, cache: Path) -> dict:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"{path}: cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = _load_yaml_cached(raw, text, cache)
    except ValueError as exc:  # json.JSONDecodeError and yaml.YAMLError's parse errors
        raise FixtureError(f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError is not a ValueError
        raise FixtureError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: the top level must be a mapping of sections "
                           f"({', '.join(OBJECT_KEYS + LIST_KEYS)})")
    return data


def _load_yaml_cached(raw: bytes, text: str, cache: Path) -> Any:
    """YAML parsed once per content: the cache holds the result as JSON, which loads without
    importing PyYAML (~15 ms of start-up). Only data that survives a JSON round trip unchanged is
    cached (YAML dates, sets or non-string keys are parsed every time)."""
    cached = cache / f"{hashlib.sha256(raw).hexdigest()}.json"
    try:
        return json.loads(cached.read_bytes())
    except (OSError, ValueError):
        pass
    data = _load_yaml(text)
    try:
        encoded = json.dumps(data, separators=(",", ":"))
    except (TypeError, ValueError):
        return data
    if json.loads(encoded) == data:
        write_atomically(cached, encoded.encode("utf-8"), mode=0o644)
    return data


def _load_yaml(text: str) -> Any:
    import yaml  # only fixture loading needs it

    fast_loader = getattr(yaml, "CSafeLoader", None)  # libyaml: ~8x faster than pure Python
    if fast_loader is not None:
        try:
            return yaml.load(text, Loader=fast_loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            pass  # re-parse below: the pure-Python parser's messages quote the offending line
    return yaml.safe_load(text)


def _validate(path: Path, data: dict) -> None:
    # Importing jsonschema costs ~35 ms, a large share of start-up. A valid fixture (the usual
    # case) is recognised by _conforms; jsonschema runs only to word the first problem.
    if _conforms(data, FIXTURE_SCHEMA):
        return
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(FIXTURE_SCHEMA).iter_errors(data),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        raise Origin(str(path), _json_path(error.absolute_path) or "(top level)").error(_describe(error))


_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    # JSON Schema's integer includes 1.0 (and, in Python, excludes bools)
    "integer": lambda v: not isinstance(v, bool) and (
        isinstance(v, int) or (isinstance(v, float) and v.is_integer())),
}
_UNDERSTOOD = {"type", "properties", "additionalProperties", "required", "items", "minLength",
               "minimum", "maximum", "anyOf"}


def _conforms(value: Any, schema: dict) -> bool:
    """Whether `value` is valid against `schema` under Draft 2020-12, for the keywords
    FIXTURE_SCHEMA uses. True must be exact; False only means "ask jsonschema" (which is what a
    keyword or type missing from _UNDERSTOOD or _TYPES answers), so it may be conservative."""
    if not _UNDERSTOOD.issuperset(schema):
        return False
    if "type" in schema:
        types = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        if not any(name in _TYPES and _TYPES[name](value) for name in types):
            return False
    if "anyOf" in schema and not any(_conforms(value, option) for option in schema["anyOf"]):
        return False
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if ("minimum" in schema and value < schema["minimum"]) or \
                ("maximum" in schema and value > schema["maximum"]):
            return False
    if isinstance(value, list) and "items" in schema:
        return all(_conforms(item, schema["items"]) for item in value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        if any(key not in value for key in schema.get("required", ())):
            return False
        if schema.get("additionalProperties", True) is not True:
            if schema["additionalProperties"] is not False or not properties.keys() >= value.keys():
                return False
        return all(_conforms(item, properties[key]) for key, item in value.items() if key in properties)
    return True


def _validate_clock(path: Path, data: dict) -> None:
    try:
        clock_settings(data)
    except FixtureError as exc:
        raise FixtureError(f"{path}: {exc}") from None


def _json_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key(s): {error.message.split('(')[1].split(' were')[0].split(' was')[0]}" \
            if "(" in error.message else error.message
    return error.message


def _merge(merged: dict, data: dict, source: str) -> None:
    for key in OBJECT_KEYS:
        if key in data:
            merged.setdefault(key, {}).update(data[key] or {})
    for trigger, bindings in (data.get("triggers") or {}).items():
        merged.setdefault("triggers", {})[trigger] = bindings
        merged["_origins"].setdefault("triggers", {})[trigger] = Origin(source, f"triggers.{trigger}")
    for key in LIST_KEYS:
        for index, entry in enumerate(data.get(key) or []):
            merged[key].append(entry)
            merged["_origins"][key].append(Origin(source, f"{key}[{index}]"))
    for index, entry in enumerate(data.get("databases") or []):  # deploy-cli's database connections
        merged["connections"].append({"strategy": "auth0", **entry})
        merged["_origins"]["connections"].append(Origin(source, f"databases[{index}]"))


# --- populate a tenant ------------------------------------------------------------------------

def populate(tenant: "Tenant", fixture: dict) -> None:
    origins = fixture.get("_origins") or {key: [] for key in LIST_KEYS}

    def each(key: str):
        entries = fixture.get(key) or []
        where = origins.get(key) or []
        for index, entry in enumerate(entries):
            yield entry, (where[index] if index < len(where) else Origin("fixture", f"{key}[{index}]"))

    _load_clients(tenant, each("clients"))
    _load_resource_servers(tenant, each("resourceServers"))
    _load_client_grants(tenant, each("clientGrants"))
    _load_connections(tenant, each("connections"))
    _load_roles(tenant, each("roles"))
    for entry, _ in each("emailTemplates"):
        tenant.directory.email_templates[entry["template"]] = dict(entry)
    _load_users(tenant, each("users"))
    _load_attack_protection(tenant, fixture.get("attackProtection") or {})
    _generate_users(tenant, fixture.get("generate") or {})
    _load_actions(tenant, each("actions"))
    _load_triggers(tenant, fixture.get("triggers") or {}, origins.get("triggers") or {})


def _load_actions(tenant: "Tenant", entries) -> None:
    """auth0-deploy-cli's `actions`: `code` is inline JavaScript, or (one line ending in .js) a
    file relative to the fixture file; `deployed: true` deploys the action at start-up."""
    for spec, origin in entries:
        body = {"name": spec["name"], "code": _action_code(spec["code"], origin),
                "supported_triggers": [{k: v for k, v in t.items() if k != "url"} for t in spec["supported_triggers"]],
                "secrets": [{"name": s["name"], "value": s.get("value", "")} for s in spec.get("secrets") or []]}
        for key in ("runtime", "dependencies", "modules"):
            if key in spec:
                body[key] = spec[key]
        body["deploy"] = bool(spec.get("deployed"))
        try:
            actions.create_action(tenant, body)
        except Auth0Error as exc:
            raise origin.error(getattr(exc, "message", str(exc.body))) from None


def _action_code(code: str, origin: Origin) -> str:
    reference = code.strip()
    if "\n" in reference or not reference.endswith(".js"):
        return code
    path = Path(reference)
    if not path.is_absolute():
        path = Path(origin.source).parent / path
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Origin(origin.source, origin.path + ".code").error(f"code file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Origin(origin.source, origin.path + ".code").error(
            f"cannot read the code file {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _load_triggers(tenant: "Tenant", triggers: dict, origins: dict) -> None:
    """auth0-deploy-cli's `triggers`: bindings by action name (the action must be deployed)."""
    for trigger, bindings in triggers.items():
        origin = origins.get(trigger) or Origin("fixture", f"triggers.{trigger}")
        for index, binding in enumerate(bindings or []):
            action = actions.find_by_name(tenant, binding["action_name"])
            where = Origin(origin.source, f"{origin.path}[{index}].action_name")
            if action is None:
                raise where.error(f"no action named {binding['action_name']!r}")
            if action["deployed_version_id"] is None:
                raise where.error(f"the action {binding['action_name']!r} is not deployed (add `deployed: true` "
                                  "to it): Trying to create a binding for an action that has not been "
                                  "deployed yet.")
        refs = [{"ref": {"type": "action_name", "value": b["action_name"]},
                 **({"display_name": b["display_name"]} if b.get("display_name") else {})} for b in bindings or []]
        try:
            actions.update_bindings(tenant, trigger, refs)
        except Auth0Error as exc:
            raise origin.error(getattr(exc, "message", str(exc.body))) from None


def _load_attack_protection(tenant: "Tenant", spec: dict) -> None:
    from . import bruteforce

    if "bruteForceProtection" in spec:
        try:
            bruteforce.update_settings(tenant, spec["bruteForceProtection"] or {})
        except Auth0Error as error:
            raise FixtureError(f"attackProtection.bruteForceProtection: {error.body.get('message')}") from None


def _load_clients(tenant: "Tenant", entries) -> None:
    for spec, origin in entries:
        client = clients.with_defaults(tenant, spec)
        if client["client_id"] in tenant.directory.clients:
            raise origin.error(f"duplicate client_id {client['client_id']}")
        tenant.directory.clients[client["client_id"]] = client


def _client_id_for(tenant: "Tenant", reference: str, origin: Origin) -> str:
    """deploy-cli names clients by name; ids are accepted too."""
    if reference in tenant.directory.clients:
        return reference
    for client in tenant.directory.clients.values():
        if client["name"] == reference:
            return client["client_id"]
    raise origin.error(f"no client with client_id or name {reference!r}")


def _load_resource_servers(tenant: "Tenant", entries) -> None:
    from ..api.management.registry import supported_scopes  # the routes define what is supported

    system = resource_servers.management_api(tenant, supported_scopes())
    tenant.directory.resource_servers[system["id"]] = system
    for spec, origin in entries:
        if resource_servers.is_management_audience(spec["identifier"]):
            raise origin.error("the Management API is built in; do not declare it")
        server = resource_servers.with_defaults(tenant, spec)
        tenant.directory.resource_servers[server["id"]] = server


def _load_client_grants(tenant: "Tenant", entries) -> None:
    for spec, origin in entries:
        client_id = _client_id_for(tenant, spec["client_id"], Origin(origin.source, origin.path + ".client_id"))
        if resource_servers.find_by_audience(tenant, spec["audience"]) is None:
            raise origin.error(f"audience {spec['audience']!r} is not a declared resource server")
        grant = client_grants.with_defaults(tenant, client_id, spec["audience"], spec["scope"])
        tenant.directory.client_grants[grant["id"]] = grant


def _load_connections(tenant: "Tenant", entries) -> None:
    for spec, origin in entries:
        enabled = [_client_id_for(tenant, ref, Origin(origin.source, f"{origin.path}.enabled_clients[{i}]"))
                   for i, ref in enumerate(spec.get("enabled_clients") or [])]
        if tenant.directory.connection_by_name(spec["name"]) is not None:
            raise origin.error(f"duplicate connection name {spec['name']!r}")
        connection = connections.with_defaults(tenant, spec, enabled)
        tenant.directory.connections[connection["id"]] = connection


def _load_roles(tenant: "Tenant", entries) -> None:
    from . import ids

    for spec, _ in entries:
        role = {"id": spec.get("id") or ids.prefixed("rol", tenant.rng), "name": spec["name"],
                "description": spec.get("description", "")}
        tenant.directory.roles[role["id"]] = role


def _default_connection(tenant: "Tenant") -> str | None:
    for connection in tenant.directory.connections.values():
        if connection["strategy"] == "auth0":
            return connection["name"]
    return None


def _load_users(tenant: "Tenant", entries) -> None:
    for spec, origin in entries:
        body = dict(spec)
        body.setdefault("connection", _default_connection(tenant))
        if not body["connection"]:
            raise origin.error("no connection given and the fixture has no database connection")
        body.setdefault("verify_email", False)
        if "user_id" in body and body["user_id"].startswith("auth0|"):
            body["user_id"] = body["user_id"][len("auth0|"):]
        body.pop("verify_email")
        try:
            users.create_user(tenant, body)
        except Auth0Error as exc:
            raise origin.error(getattr(exc, "message", str(exc.body))) from None


def _generate_users(tenant: "Tenant", spec: dict) -> None:
    count = spec.get("users", 0)
    if not count:
        return
    from faker import Faker  # heavy import: only when a fixture asks for generated users

    connection = spec.get("connection") or _default_connection(tenant)
    if connection is None:
        raise FixtureError("generate.users needs a database connection in the fixtures")
    faker = Faker()
    faker.seed_instance(tenant.rng.derive_seed())
    password = spec.get("password", "Passw0rd!")
    for index in range(count):
        given, family = faker.first_name(), faker.last_name()
        email = f"{given}.{family}.{index}@{faker.free_email_domain()}".lower()
        try:
            users.create_user(tenant, {"connection": connection, "email": email, "password": password,
                                       "given_name": given, "family_name": family,
                                       "name": f"{given} {family}", "email_verified": True})
        except Auth0Error as exc:
            raise FixtureError(f"generate.users: {getattr(exc, 'message', exc.body)}") from None


def clock_settings(fixture: dict) -> tuple[Any, bool]:
    clock = (fixture.get("mockidp") or {}).get("clock") or {}
    try:
        start = parse_instant(clock["now"]) if clock.get("now") else None
    except ValueError:
        raise FixtureError(f"mockidp.clock.now: not an ISO-8601 instant: {clock['now']!r}") from None
    return start, bool(clock.get("frozen", False))
