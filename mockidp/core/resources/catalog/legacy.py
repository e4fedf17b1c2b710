"""Rules, rules configs, hooks and hook secrets, and the tokens blacklist. Auth0 refuses them on tenants created since it
retired them (Actions replace both), and a mockidp tenant is such a new tenant by default. A
fixture's `mockidp: {rules_and_hooks: true}` makes it a tenant created before then, on which
they are stored configuration with Auth0's shapes and errors (recorded). mockidp never runs them
at login (docs/behaviour.md)."""
from __future__ import annotations

from ...tenant.errors import ManagementError, bad_request, conflict
from ...tokens import blacklist
from .. import store
from ..model import Resource

_RETIRED = (403, "Rules and Hooks are not available for this tenant: use Actions instead.",
            "feature_not_enabled")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
HOOKS = "/hooks"
MASKED = "_VALUE_NOT_SHOWN_"  # what Auth0 shows instead of a hook secret's value


def created_before_retirement(tenant) -> bool:
    """The fixture's choice: a tenant created before Auth0 retired Rules and Hooks."""
    return bool((tenant.config.fixture.get("mockidp") or {}).get("rules_and_hooks"))


def _next_order(tenant, record: dict) -> dict:
    """A rule without an order runs after the others; two rules never share one (409)."""
    orders = [rule.get("order") for rule in tenant.directory.resources.get("/rules", {}).values()]
    if "order" not in record:
        return {**record, "order": max((order for order in orders if order is not None), default=0) + 1}
    if record["order"] in orders:
        raise conflict("A rule with the same order already exists.")
    return record


def _ulid(tenant) -> str:
    """A hook's id is a ULID: 48 bits of milliseconds on the tenant clock, 80 random bits."""
    millis = int(tenant.clock.now().timestamp() * 1000)
    return "".join(_CROCKFORD[(millis >> shift) & 31] for shift in range(45, -1, -5)) + \
        tenant.rng.chars(_CROCKFORD, 16)


def _hook(tenant, hook_id: str) -> dict:
    hook = tenant.directory.resources.get(HOOKS, {}).get(hook_id)
    if hook is None:
        raise ManagementError(404, "Error: Hook does not exist", "HookDoesNotExist")
    return hook


def _secrets(tenant, hook_id: str) -> dict:
    return _hook(tenant, hook_id).get("secrets") or {}


def _store_secrets(tenant, hook_id: str, secrets: dict) -> None:
    table = {**tenant.directory.resources[HOOKS], hook_id: {**_hook(tenant, hook_id), "secrets": secrets}}
    tenant.directory.resources = {**tenant.directory.resources, HOOKS: table}


def _show_secrets(tenant, hook_id: str, body, *_) -> tuple[int, dict]:
    return 200, {name: MASKED for name in _secrets(tenant, hook_id)}


def _add_secrets(tenant, hook_id: str, body, *_) -> tuple[int, dict]:
    current = _secrets(tenant, hook_id)
    if any(name in current for name in body or {}):
        raise conflict("Secret with the same name already exists.")
    _store_secrets(tenant, hook_id, {**current, **(body or {})})
    return 201, {}


def _update_secrets(tenant, hook_id: str, body, *_) -> tuple[int, dict]:
    current = _secrets(tenant, hook_id)
    if any(name not in current for name in body or {}):
        raise ManagementError(404, "Hook or secret not found.")
    _store_secrets(tenant, hook_id, {**current, **(body or {})})
    return 201, {}


def _remove_secrets(tenant, hook_id: str, body, *_) -> tuple[int, None]:
    """DELETE takes the names to remove as a JSON array."""
    names = set(body) if isinstance(body, list) else set()
    _store_secrets(tenant, hook_id, {name: value for name, value in _secrets(tenant, hook_id).items()
                                     if name not in names})
    return 204, None


def _blacklist(tenant, record_id, body: dict, *_) -> tuple[int, None]:
    """POST /blacklists/tokens: 204, and the Management API refuses the jti from then on
    (core/tokens/blacklist.py). Blacklisting it again changes nothing."""
    if body is None:  # no body at all: the engine validated none
        raise bad_request("Payload validation error: 'Expected type object but found type null'.")
    store.create(tenant, BLACKLIST, body, blacklist.entry_id(body))
    return 204, None


def _for_audience(tenant, entries: list[dict], query: dict) -> list[dict]:
    """GET /blacklists/tokens?aud=: the entries for that audience (recorded with a client id)."""
    if not query.get("aud"):
        return entries
    return [entry for entry in entries if entry.get("aud") == query["aud"]]


# Beyond the spec (data/spec_gaps.json; recorded: TestBlacklist.yaml): a bare list of {aud, jti}.
BLACKLIST = Resource(blacklist.PATH, "blacklisted token", id_key="jti", handlers={"create": _blacklist},
                     list_filter=_for_audience)

_LEGACY = {"refusal": _RETIRED, "available": created_before_retirement}

RESOURCES = [
    BLACKLIST,
    Resource("/rules", "rule", id_prefix="rul", defaults={"enabled": True, "stage": "login_success"},
             unique="name", duplicate="A rule with the same name already exists.", on_create=_next_order,
             listing="offset", list_key="rules", not_found="The rule does not exist",
             not_found_code="inexistent_rule", delete_missing_ok=True, **_LEGACY),
    Resource("/rules-configs", "rules config", id_key="key", put_creates=True, shown_once=("value",),
             delete_missing_ok=True, not_found="The rules config does not exist", **_LEGACY),
    # Before /hooks, whose refusal would otherwise answer for its secrets.
    Resource("/hooks/{id}/secrets", "hook secrets", singleton=True,
             handlers={"get": _show_secrets, "create": _add_secrets, "update": _update_secrets,
                       "delete": _remove_secrets}, **_LEGACY),
    Resource(HOOKS, "hook", defaults={"enabled": False, "dependencies": {}}, new_id=_ulid, hidden=("secrets",),
             unique="name", duplicate="Hook with the same name already exists.", listing="offset",
             list_key="hooks", not_found="Error: Hook does not exist", not_found_code="HookDoesNotExist", **_LEGACY),
]
