"""Tenant logs: the events Auth0 records (logins, signups, token exchanges, password changes...),
in the shape GET /api/v2/logs returns (fact sheet §9.2), with Auth0's type codes (§9.3).

Events live in the Directory (`logs`, oldest first; records never change), so reset and
snapshots cover them. Dates come from the tenant clock; a log id is "900", the event's UTC date as
17 digits (yyyymmddHHMMSSmmm) and 36 seeded digits, 56 digits in all like Auth0's, so ids sort by
date. Only the newest MAX_STORED events are kept.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ..applications import strategies
from ..directory.users import compile_query, parse_sort
from ..tenant import journal
from ..tenant.clock import iso
from . import stream

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

MAX_STORED = 10_000
STRATEGY_TYPES = {"auth0": "database", "email": "passwordless", "sms": "passwordless"}


class RequestInfo(NamedTuple):
    """Who made the request an event comes from: what Auth0 puts in `ip`, `user_agent` and
    `hostname`. Core code gets it from the web layer, never from Flask."""

    ip: str = ""
    user_agent: str = ""
    hostname: str = ""


NO_REQUEST = RequestInfo()


def record(tenant: "Tenant", event_type: str, description: str = "", *,
           request: RequestInfo | None = None, client: dict | None = None,
           client_id: str | None = None, connection: dict | None = None,
           user: dict | None = None, user_id: str | None = None, user_name: str | None = None,
           details: dict | None = None, audience: str | None = None,
           scope: str | None = None) -> dict:
    """Store one event and return it. `user` is a profile; `client`/`connection` are records.

    Everything but the date, the id and storing is built before taking the tenant lock."""
    request = request or NO_REQUEST
    fields: dict[str, Any] = {}
    if connection is not None:
        fields["connection"] = connection.get("name")
        fields["connection_id"] = connection.get("id")
    if client is not None or client_id:
        fields["client_id"] = (client or {}).get("client_id") or client_id
        fields["client_name"] = (client or {}).get("name", "")
    fields["ip"] = request.ip
    fields["hostname"] = request.hostname
    if details is not None:
        fields["details"] = copy.deepcopy(details)
    if user is not None or user_id or user_name:
        known_id = (user or {}).get("user_id") or user_id
        if known_id:
            fields["user_id"] = known_id
        fields["user_name"] = user_name or display_name(user or {})
    fields["user_agent"] = describe_user_agent(request.user_agent)
    if audience is not None:
        fields["audience"] = audience
    if scope is not None:
        fields["scope"] = scope
    if connection is not None:
        strategy = connection.get("strategy", "auth0")
        fields["strategy"] = strategy
        fields["strategy_type"] = STRATEGY_TYPES.get(strategy) or (
            "enterprise" if strategy in strategies.ENTERPRISE else "social")
    fields["isMobile"] = "Mobile" in request.user_agent
    with tenant.lock:
        now = tenant.clock.now()
        log_id = _log_id(tenant, now)
        journal.note_log(log_id, fields.get("user_id"))
        event: dict[str, Any] = {"_id": log_id, "log_id": log_id, "date": iso(now), "type": event_type,
                                 "description": description, **fields}
        stored = tenant.directory.logs
        stored[log_id] = event
        while len(stored) > MAX_STORED:
            del stored[next(iter(stored))]
        stream.note_log(tenant, event, user)  # a signup or a Management write is an event too
    # A copy the caller may change: only `details` is mutable (the other values are scalars).
    returned = dict(event)
    if "details" in returned:
        returned["details"] = copy.deepcopy(returned["details"])
    return returned


def _log_id(tenant: "Tenant", now: datetime) -> str:
    """"900", the date as 17 digits, then 36 digits derived from the tenant seed and the event's
    sequence number: deterministic, yet logging never draws from the tenant RNG, so ids of users
    and clients do not depend on how many events were logged before."""
    sequence = tenant.directory.next_log_sequence
    tenant.directory.next_log_sequence = sequence + 1
    digest = hashlib.sha256(f"mockidp-log:{tenant.rng.seed}:{sequence}".encode()).digest()
    random_digits = str(int.from_bytes(digest, "big")).zfill(78)[-36:]
    return "900" + now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}" + random_digits


def display_name(profile: dict) -> str:
    """What Auth0 shows as user_name: the email, else the username or phone number."""
    return profile.get("email") or profile.get("username") or profile.get("phone_number") or ""


# --- reading -----------------------------------------------------------------------------------

def find(tenant: "Tenant", log_id: str) -> dict | None:
    with tenant.lock:
        event = tenant.directory.logs.get(log_id)
    return copy.deepcopy(event) if event is not None else None


def search(tenant: "Tenant", query: str | None, sort: str | None, user_id: str | None = None) -> list[dict]:
    """Events matching `query` (log search syntax, e.g. `type:"s" AND user_id:"auth0|..."`),
    sorted by `sort` (`field:1` or `field:-1`; default newest first)."""
    order = parse_sort(sort) or ("date", True)
    compiled = compile_query(query)
    with tenant.lock:
        events = list(tenant.directory.logs.values())
    if user_id is not None:
        events = [event for event in events if event.get("user_id") == user_id]
    if compiled is not None:
        events = [event for event in events if compiled.matches(event)]
    field, descending = order
    if descending:
        events.reverse()  # ties keep newest first: sorted() is stable with reverse=True too
    present = [event for event in events if event.get(field) is not None]
    missing = [event for event in events if event.get(field) is None]
    present.sort(key=lambda event: _sort_value(event[field]), reverse=descending)
    return [copy.deepcopy(event) for event in present + missing]


def since_checkpoint(tenant: "Tenant", checkpoint: str | None, take: int) -> list[dict]:
    """Checkpoint paging: up to `take` events after the one with id `checkpoint`, oldest first;
    without a checkpoint, the newest `take` events, newest first."""
    with tenant.lock:
        events = list(tenant.directory.logs.values())
    if not checkpoint:
        return [copy.deepcopy(event) for event in reversed(events[-take:])] if take else []
    ids = [event["log_id"] for event in events]
    if checkpoint in ids:  # events of one millisecond share a date prefix: go by position
        later = events[ids.index(checkpoint) + 1:]
    else:  # an evicted or foreign id: ids sort by date
        later = [event for event in events if event["log_id"] > checkpoint]
    return [copy.deepcopy(event) for event in later[:take]]


def _sort_value(value: Any) -> Any:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value))


# --- user agents -------------------------------------------------------------------------------

_BROWSERS = (("Edge", r"Edg/([\d.]+)"), ("HeadlessChrome", r"HeadlessChrome/([\d.]+)"),
             ("Chrome", r"Chrome/([\d.]+)"), ("Firefox", r"Firefox/([\d.]+)"),
             ("Safari", r"Version/([\d.]+).*Safari/"), ("Python Requests", r"python-requests/([\d.]+)"),
             ("curl", r"curl/([\d.]+)"), ("Node Fetch", r"node-fetch/([\d.]+)"))
_SYSTEMS = (("Windows", r"Windows NT ([\d.]+)"), ("iOS", r"iPhone OS ([\d_]+)"),
            ("Mac OS X", r"Mac OS X ([\d_.]+)"), ("Android", r"Android ([\d.]+)"), ("Linux", r"(Linux)"))


@functools.lru_cache(maxsize=256)  # a pure function of the header; a test run sends a few
def describe_user_agent(user_agent: str) -> str:
    """Auth0's rendering of a User-Agent: "<browser> <x.y.z> / <OS> <x.y.z>"; unknown parts are
    "Other 0.0.0"."""
    return f"{_family(user_agent, _BROWSERS)} / {_family(user_agent, _SYSTEMS)}"


def _family(user_agent: str, patterns: tuple[tuple[str, str], ...]) -> str:
    for name, pattern in patterns:
        match = re.search(pattern, user_agent or "")
        if match:
            return f"{name} {_three_part_version(match.group(1))}"
    return "Other 0.0.0"


def _three_part_version(text: str) -> str:
    parts = [part for part in re.split(r"[._]", text) if part.isdigit()][:3]
    return ".".join(parts + ["0"] * (3 - len(parts)))
