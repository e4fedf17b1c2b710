"""Brute-force protection (fact sheet §5.1, §5.2): failed password logins counted per identifier
and IP, blocks, the blocked_account email with its unblock link, and the ways a block ends; and
suspicious IP throttling (§5.3, at the end): failed logins per IP across identifiers.

Model (all state in the Directory, records replaced, never mutated, so reset and snapshots
cover it; time from the tenant clock, ids from the tenant RNG):
- `login_failures[(connection, identifier, ip)]` counts consecutive failed password logins.
  `ip` is the request's IP in `count_per_identifier_and_ip` mode and "" in `count_per_identifier`
  mode (Account Lockout: the identifier is blocked from every IP). Identifiers are compared
  lowercased, as typed (an email and a username of one user are two identifiers).
- A counter *is* a block while its count is at least `max_attempts`: raising `max_attempts`
  above the count therefore ends the block, as Auth0 documents. Blocks are enforced only while
  protection is enabled with the `block` shield, the connection's `brute_force_protection`
  option is on and the IP is not in the allowlist.
- A counter (and so a block) lapses 30 days after its last failed attempt. Attempts refused
  because of a block neither count nor extend it.
- Unknown identifiers count too (Auth0 answers them exactly like wrong passwords, so blocking
  only real accounts would reveal which accounts exist); they get no email.
"""
from __future__ import annotations

import copy
import functools
import ipaddress
from typing import TYPE_CHECKING

from ..directory.users import find_user
from ..email import templates
from ..factors import attempts
from ..logs import events as logs
from ..logs.events import RequestInfo
from ..tenant import ids
from ..tenant.errors import bad_request

if TYPE_CHECKING:
    from ..directory.records import UserRecord
    from ..tenant.tenant import Tenant

SETTINGS_KEY = "brute-force-protection"
DEFAULT_SETTINGS = {"enabled": True, "shields": ["block", "user_notification"],
                    "mode": "count_per_identifier_and_ip", "allowlist": [], "max_attempts": 10}
PER_IDENTIFIER = "count_per_identifier"
BLOCK_LIFETIME = 30 * 24 * 3600          # a block lapses 30 days after the last failed attempt
NOTIFICATION_INTERVAL = 3600             # at most one blocked_account email per IP per hour
UNBLOCK_PATH = "/u/unblock"
TOO_MANY_ATTEMPTS = ("Your account has been blocked after multiple consecutive login attempts. "
                     "We've sent you an email with instructions on how to unblock it.")
LIMIT_WC_DESCRIPTION = ("An IP address is blocked because it reached the maximum failed login "
                        "attempts into a single account.")
RELEASED_DESCRIPTION = "User block released"


# --- settings ------------------------------------------------------------------------------------

def settings(tenant: "Tenant") -> dict:
    with tenant.lock:
        return copy.deepcopy(_settings(tenant))


def _settings(tenant: "Tenant") -> dict:
    return tenant.directory.attack_protection.get(SETTINGS_KEY) or DEFAULT_SETTINGS


def update_settings(tenant: "Tenant", patch: dict) -> dict:
    """PATCH semantics: the given fields replace the stored ones. `patch` is schema-validated."""
    for index, entry in enumerate(patch.get("allowlist") or []):
        if _network(entry) is None:  # the spec's anyOf of ipv4/cidr/ipv6/ipv6_cidr formats
            raise bad_request("Payload validation error: 'Data does not match any schemas from "
                              f"'anyOf'' on property allowlist[{index}].")
    with tenant.lock:
        updated = {**copy.deepcopy(_settings(tenant)), **copy.deepcopy(patch)}
        tenant.directory.attack_protection[SETTINGS_KEY] = updated
        return copy.deepcopy(updated)


# Both parses are pure functions of their text and run on every login (brute-force protection,
# then suspicious-IP throttling): remembered, as a test run sees a handful of addresses.
@functools.lru_cache(maxsize=1024)
def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        return None


def _allowlisted(current: dict, ip: str) -> bool:
    address = _address(ip)
    if address is None:
        return False
    return any(address in network for network in map(_network, current.get("allowlist") or [])
               if network is not None and network.version == address.version)


def _protects(tenant: "Tenant", connection: dict, ip: str) -> bool:
    """Whether logins of `connection` from `ip` are counted at all."""
    current = _settings(tenant)
    if not current.get("enabled"):
        return False
    if (connection.get("options") or {}).get("brute_force_protection", True) is False:
        return False
    return not _allowlisted(current, ip)


# --- counting (called by core/logins.py under the tenant lock) -----------------------------------

def _key(tenant: "Tenant", connection: dict, identifier: str, ip: str) -> tuple[str, str, str]:
    ip = "" if _settings(tenant).get("mode") == PER_IDENTIFIER else ip
    return connection["name"], normalize(identifier), ip


def normalize(identifier: str) -> str:
    return (identifier or "").strip().lower()


def _live(tenant: "Tenant", key: tuple) -> dict | None:
    """The counter at `key`, unless it lapsed (then it is dropped)."""
    record = tenant.directory.login_failures.get(key)
    if record is None:
        return None
    if tenant.clock.now().timestamp() - record["last_failed_ts"] >= BLOCK_LIFETIME:
        del tenant.directory.login_failures[key]
        return None
    return record


def _is_block(tenant: "Tenant", record: dict | None) -> bool:
    return record is not None and record["count"] >= int(_settings(tenant).get("max_attempts") or 10)


def is_blocked(tenant: "Tenant", connection: dict, identifier: str, request: RequestInfo) -> bool:
    """Whether this attempt must be refused with too_many_attempts. Under the tenant lock."""
    if not _protects(tenant, connection, request.ip) or "block" not in _settings(tenant).get("shields", []):
        return False
    name, wanted = connection["name"], normalize(identifier)
    # A block made in either mode applies until it ends (the mode may have changed since).
    return any(_is_block(tenant, _live(tenant, key)) for key in ((name, wanted, request.ip), (name, wanted, "")))


def failed(tenant: "Tenant", connection: dict, identifier: str, request: RequestInfo, *,
           record: "UserRecord | None", client: dict | None, base_url: str) -> bool:
    """One more consecutive failure; reaching `max_attempts` starts the block: `limit_wc`, and the
    blocked_account email where the `user_notification` shield is on. Under the tenant lock;
    True when an email was queued (the caller delivers it once the lock is released)."""
    if not _protects(tenant, connection, request.ip):
        return False
    key = _key(tenant, connection, identifier, request.ip)
    previous = _live(tenant, key)
    count = (previous["count"] if previous else 0) + 1
    tenant.directory.login_failures[key] = {
        "connection": key[0], "identifier": key[1], "ip": key[2], "count": count,
        "last_failed_ts": tenant.clock.now().timestamp(),
        "user_id": record.user_id if record is not None else None}
    current = _settings(tenant)
    if count != int(current.get("max_attempts") or 10):
        return False
    shields = current.get("shields") or []
    if "block" in shields:
        logs.record(tenant, "limit_wc", LIMIT_WC_DESCRIPTION, request=request, client=client,
                    connection=connection, user=record.profile if record is not None else None,
                    user_name=key[1])
    return "user_notification" in shields and record is not None and _notify(
        tenant, key, record, request, client, base_url)


def succeeded(tenant: "Tenant", connection: dict, identifier: str, request: RequestInfo) -> None:
    """A successful login resets its counter, in either mode (the mode may have changed since, as
    in `is_blocked`). Under the tenant lock."""
    name, wanted = connection["name"], normalize(identifier)
    for key in ((name, wanted, request.ip), (name, wanted, "")):
        tenant.directory.login_failures.pop(key, None)


# --- the blocked_account email and its unblock link ----------------------------------------------

def _notify(tenant: "Tenant", key: tuple, record: "UserRecord", request: RequestInfo,
            client: dict | None, base_url: str) -> bool:
    template = templates.effective(tenant, "blocked_account")
    email = record.profile.get("email")
    if not templates.is_enabled(template) or not email or not base_url:
        return False
    now = tenant.clock.now().timestamp()
    last = tenant.directory.block_notifications.get(request.ip)
    if last is not None and now - last < NOTIFICATION_INTERVAL:
        return False
    tenant.directory.block_notifications[request.ip] = now
    ticket = {"id": ids.ticket_id(tenant.rng), "key": key, "user_id": record.user_id,
              "ip": request.ip, "expires_ts": now + templates.link_lifetime(template), "used": False}
    tenant.directory.unblock_tickets[ticket["id"]] = ticket
    link = f"{base_url}{UNBLOCK_PATH}?ticket={ticket['id']}"
    tenant.mailroom.enqueue("blocked_account", to=email, user_id=record.user_id, base_url=base_url,
                            url=link, client_id=(client or {}).get("client_id"),
                            extra={"user": {"source_ip": request.ip, "city": "", "country": ""}})
    return True


class UnblockProblem(Exception):
    """`reason`: invalid, used or expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def use_unblock_link(tenant: "Tenant", ticket_id: str, request: RequestInfo, *, probe: bool = False) -> None:
    """The unblock link of a blocked_account email: ends the block it was sent for (single use),
    logged `ublkdu`. `probe` only checks the link (HEAD requests from link scanners)."""
    with tenant.lock:
        ticket = tenant.directory.unblock_tickets.get(ticket_id or "")
        if ticket is None:
            raise UnblockProblem("invalid")
        if ticket["used"]:
            raise UnblockProblem("used")
        if tenant.clock.now().timestamp() > ticket["expires_ts"]:
            raise UnblockProblem("expired")
        if probe:
            return
        tenant.directory.unblock_tickets[ticket_id] = {**ticket, "used": True}
        released = tenant.directory.login_failures.pop(tuple(ticket["key"]), None)
        record = tenant.directory.users.get(ticket["user_id"])
        if released is not None:
            _log_released(tenant, [released], request, record.profile if record else None,
                          {"email": (record.profile.get("email") if record else "") or "",
                           "title": "Unblock Account"})


# --- the Management API's view ---------------------------------------------------------------------

def _blocks(tenant: "Tenant", match, consider_enablement: bool) -> list[dict]:
    """Live blocks matching `match`; with `consider_enablement` only those enforced now
    (protection enabled with the block shield, connection protected, IP not allowlisted)."""
    current = _settings(tenant)
    if consider_enablement and not (current.get("enabled") and "block" in (current.get("shields") or [])):
        return []
    found = []
    for key in list(tenant.directory.login_failures):
        record = _live(tenant, key)
        if record is None or not match(record) or not _is_block(tenant, record):
            continue
        if consider_enablement and not _enforced(tenant, record):
            continue
        found.append(record)
    return found


def _enforced(tenant: "Tenant", record: dict) -> bool:
    """Whether a block is enforced now: its connection still protected, its IP not allowlisted."""
    connection = tenant.directory.connection_by_name(record["connection"]) or {}
    if (connection.get("options") or {}).get("brute_force_protection", True) is False:
        return False
    return not (record["ip"] and _allowlisted(_settings(tenant), record["ip"]))


def _shown(record: dict) -> dict:
    shown = {"identifier": record["identifier"]}
    if record["ip"]:
        shown["ip"] = record["ip"]  # Account Lockout blocks apply to every IP: no `ip`
    shown["connection"] = record["connection"]
    return shown


IDENTIFIER_ATTRIBUTES = ("email", "username", "phone_number")


def _user_match(record: "UserRecord", *, linked: bool = True):
    """Whether a counter belongs to the user: an identifier of the user (or, with `linked`, of a
    linked identity's profileData) in that identity's connection."""
    identities = (record.profile.get("identities") or [])[:None if linked else 1]
    pairs = set()
    for position, identity in enumerate(identities):
        source = record.profile if position == 0 else identity.get("profileData") or {}
        for attribute in IDENTIFIER_ATTRIBUTES:
            if source.get(attribute):
                pairs.add((identity.get("connection"), normalize(str(source[attribute]))))
    return lambda block: (block["connection"], block["identifier"]) in pairs


def blocks_for_user(tenant: "Tenant", user_id: str, consider_enablement: bool = False) -> list[dict]:
    with tenant.lock:
        record = find_user(tenant, user_id)
        return [_shown(block) for block in _blocks(tenant, _user_match(record), consider_enablement)]


def blocks_for_identifier(tenant: "Tenant", identifier: str, consider_enablement: bool = False) -> list[dict]:
    wanted = normalize(identifier)
    with tenant.lock:
        return [_shown(block) for block in
                _blocks(tenant, lambda block: block["identifier"] == wanted, consider_enablement)]


def unblock_user(tenant: "Tenant", user_id: str, request: RequestInfo) -> None:
    """DELETE /user-blocks/{id}: every brute-force block of the user's identifiers (never the
    admin block, `blocked: true`), and a block of the user's second factor (too many wrong codes)."""
    with tenant.lock:
        record = find_user(tenant, user_id)
        attempts.unblock(tenant, record.profile["user_id"])
        released = _release(tenant, _blocks(tenant, _user_match(record), False))
        if released:
            _log_released(tenant, released, request, record.profile,
                          {"request": {"method": "delete", "path": f"/api/v2/user-blocks/{user_id}"}})


def unblock_identifier(tenant: "Tenant", identifier: str, request: RequestInfo) -> None:
    wanted = normalize(identifier)
    with tenant.lock:
        released = _release(tenant, _blocks(tenant, lambda block: block["identifier"] == wanted, False))
        if released:
            _log_released(tenant, released, request, None,
                          {"query": {"identifier": identifier},
                           "request": {"method": "delete", "path": "/api/v2/user-blocks"}})


def _release(tenant: "Tenant", blocks: list[dict]) -> list[dict]:
    for block in blocks:
        tenant.directory.login_failures.pop((block["connection"], block["identifier"], block["ip"]), None)
    return blocks


def _log_released(tenant: "Tenant", released: list[dict], request: RequestInfo, user: dict | None,
                  details: dict) -> None:
    connection = tenant.directory.connection_by_name(released[0]["connection"])
    logs.record(tenant, "ublkdu", RELEASED_DESCRIPTION, request=request, connection=connection,
                user=user, user_name=None if user else released[0]["identifier"], details=details)


def password_changed(tenant: "Tenant", record: "UserRecord") -> None:
    """A new password (PATCH, reset link) ends every brute-force block and counter of the user's
    own identifiers. Not those of linked secondaries: their credentials keep their own password,
    which did not change (core/identities.py). Under the tenant lock."""
    match = _user_match(record, linked=False)
    for key in [key for key, block in tenant.directory.login_failures.items() if match(block)]:
        del tenant.directory.login_failures[key]


# --- suspicious IP throttling: failed logins per IP, whatever the identifier (fact sheet §5.3) -----
#
# Each IP has a bucket of `max_attempts` failed logins that refills by one every `rate` ms (the
# pre-login stage of the settings). The failure that empties it blocks the IP (`limit_mu`); from
# then on every login from it is refused with 429 until the bucket has refilled one attempt or an
# admin unblocks the IP (DELETE /api/v2/anomaly/blocks/ips/{ip}). Both tables live in
# `directory.resources` (replaced, never changed), so reset and snapshots cover them.

SUSPICIOUS_IP_SETTINGS = "/attack-protection/suspicious-ip-throttling"
SUSPICIOUS_IP_DEFAULTS = {"enabled": True, "shields": ["admin_notification", "block"], "allowlist": [],
                          "stage": {"pre-login": {"max_attempts": 100, "rate": 864000},
                                    "pre-user-registration": {"max_attempts": 50, "rate": 1200}}}
IP_BLOCKS = "/anomaly/blocks/ips"             # ip -> {"blocked_at": epoch seconds}
IP_BUCKETS = "/anomaly/blocks/ips#buckets"    # ip -> {"attempts": float, "at": epoch seconds}
SUSPICIOUS_LOGINS = ("We have detected suspicious login behavior and further attempts will be blocked. "
                     "Please contact the administrator.")
LIMIT_MU_DESCRIPTION = "Blocked IP Address: too many failed logins from one IP address."


def _throttling(tenant: "Tenant") -> dict:
    stored = tenant.directory.resources.get(SUSPICIOUS_IP_SETTINGS, {}).get("") or {}
    return {**SUSPICIOUS_IP_DEFAULTS, **stored}


def _pre_login(current: dict) -> tuple[int, float]:
    stage = (current.get("stage") or {}).get("pre-login") or {}
    limits = SUSPICIOUS_IP_DEFAULTS["stage"]["pre-login"]
    return int(stage.get("max_attempts") or limits["max_attempts"]), float(stage.get("rate") or limits["rate"])


def _throttles(current: dict, ip: str) -> bool:
    """Whether the suspicious-IP settings `current` (_throttling) apply to `ip`."""
    return bool(ip) and bool(current.get("enabled")) and not _allowlisted(current, ip)


def _table(tenant: "Tenant", name: str) -> dict:
    return tenant.directory.resources.get(name, {})


def _put(tenant: "Tenant", name: str, key: str, value: dict | None) -> None:
    table = {**_table(tenant, name), key: value}
    if value is None:
        del table[key]
    tenant.directory.resources = {**tenant.directory.resources, name: table}


def _attempts_left(tenant: "Tenant", ip: str, current: dict | None = None) -> float:
    """The IP's bucket now: what was left, plus one attempt per `rate` ms since, at most full."""
    most, rate = _pre_login(current or _throttling(tenant))
    bucket = _table(tenant, IP_BUCKETS).get(ip)
    if bucket is None:
        return float(most)
    elapsed_ms = (tenant.clock.now().timestamp() - bucket["at"]) * 1000
    return min(float(most), bucket["attempts"] + elapsed_ms / rate)


def ip_blocked(tenant: "Tenant", ip: str) -> bool:
    """Whether suspicious IP throttling blocks `ip` now; a block whose bucket has refilled an
    attempt is over (and dropped). Under the tenant lock."""
    if ip not in _table(tenant, IP_BLOCKS):
        return False
    if _attempts_left(tenant, ip) >= 1:
        _put(tenant, IP_BLOCKS, ip, None)
        return False
    return True


def ip_refused(tenant: "Tenant", request: RequestInfo) -> bool:
    """Whether this login must be refused because its IP is blocked (and blocking is on)."""
    current = _throttling(tenant)
    return (_throttles(current, request.ip) and "block" in (current.get("shields") or [])
            and ip_blocked(tenant, request.ip))


def failed_from_ip(tenant: "Tenant", request: RequestInfo, client: dict | None, connection: dict) -> None:
    """One failed login from the request's IP: the attempt that empties its bucket blocks it."""
    current = _throttling(tenant)
    if not _throttles(current, request.ip):
        return
    left = _attempts_left(tenant, request.ip, current) - 1
    _put(tenant, IP_BUCKETS, request.ip, {"attempts": left, "at": tenant.clock.now().timestamp()})
    if left < 1 and request.ip not in _table(tenant, IP_BLOCKS):
        _put(tenant, IP_BLOCKS, request.ip, {"blocked_at": tenant.clock.now().timestamp()})
        logs.record(tenant, "limit_mu", LIMIT_MU_DESCRIPTION, request=request, client=client,
                    connection=connection)


def unblock_ip(tenant: "Tenant", ip: str) -> None:
    """An admin's unblock: the block ends and the IP's bucket is full again."""
    with tenant.lock:
        for name in (IP_BLOCKS, IP_BUCKETS):
            if ip in _table(tenant, name):
                _put(tenant, name, ip, None)
