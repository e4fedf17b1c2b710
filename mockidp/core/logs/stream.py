"""The tenant's event stream (GET /api/v2/events): CloudEvents for what happened to users and
organizations, kept in order so a subscriber can read them from a cursor (`offset`) onwards.

Events come from the same places the tenant log does: a Management API write logged as `sapi`
(a user or an organization created or updated, an organization deleted), a signup logged as `ss`
(a user created), and a deleted user (directory/changes.py, which still has the whole profile).
The stream is a tuple in `directory.resources[STREAM]`, replaced on every event (so reset and
snapshots cover it), bounded like the log; a cursor older than what is kept is expired (410).
Event ids come from a digest of the seed and the event's number, never from the tenant RNG, as
log ids do, so ids of users and clients do not depend on how many events happened before.
"""
from __future__ import annotations

import copy
import hashlib
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..tenant.clock import iso
from ..tenant.errors import ManagementError

if TYPE_CHECKING:
    from ..directory.records import UserRecord
    from ..tenant.tenant import Tenant

STREAM = "/events"
MAX_KEPT = 10_000
OFFSET = re.compile(r"^o(\d{12})$")
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Management API writes and the event each one is: (method, path pattern) -> type
WRITES = (
    ("post", re.compile(r"^/api/v2/users$"), "user.created"),
    ("patch", re.compile(r"^/api/v2/users/[^/]+$"), "user.updated"),
    ("post", re.compile(r"^/api/v2/organizations$"), "organization.created"),
    ("patch", re.compile(r"^/api/v2/organizations/[^/]+$"), "organization.updated"),
    ("delete", re.compile(r"^/api/v2/organizations/(?P<id>[^/]+)$"), "organization.deleted"),
    ("post", re.compile(r"^/api/v2/organizations/(?P<id>[^/]+)/members$"), "organization.member.added"),
    ("delete", re.compile(r"^/api/v2/organizations/(?P<id>[^/]+)/members$"), "organization.member.deleted"),
)
ORGANIZATION_KEYS = ("id", "name", "display_name", "branding", "metadata")


def install_event_stream(tenant: "Tenant") -> None:
    """A deleted user is an event (with the profile it had), announced by the directory."""
    tenant.account_changes.deleted.append(_user_deleted)


# --- what becomes an event (under the tenant lock, called by events.record) -------------------------

def note_log(tenant: "Tenant", entry: dict, user: dict | None) -> None:
    """The event a log entry stands for, if any: a signup (`ss`) or a Management API write."""
    if entry["type"] == "ss" and user is not None:
        _append(tenant, "user.created", _user_object(tenant, user))
    elif entry["type"] == "sapi":
        for event_type, data_object in _write_events(entry.get("details") or {}):
            _append(tenant, event_type, data_object)


def _write_events(details: dict) -> list[tuple[str, dict]]:
    """The events of one Management API write: one per member added to (or removed from) an
    organization, else at most one."""
    request = details.get("request") or {}
    for method, pattern, event_type in WRITES:
        matched = pattern.match(str(request.get("path", "")))
        if not matched or request.get("method") != method:
            continue
        if event_type.startswith("organization.member."):
            members = (request.get("body") or {}).get("members") or []
            return [(event_type, {"organization": {"id": matched["id"]}, "user": {"user_id": str(member)}})
                    for member in members]
        body = (details.get("response") or {}).get("body")
        return [(event_type, _object(event_type, body, matched.groupdict()))]
    return []


def _user_deleted(tenant: "Tenant", record: "UserRecord") -> None:
    profile = {**record.profile, "deleted_at": iso(tenant.clock.now())}
    _append(tenant, "user.deleted", profile)


def _user_object(tenant: "Tenant", user: dict) -> dict:
    record = tenant.directory.users.get(user.get("user_id", ""))
    return copy.deepcopy(record.profile if record is not None else user)


def _object(event_type: str, body: Any, path_params: dict) -> dict:
    body = body if isinstance(body, dict) else {}
    if event_type.startswith("organization."):
        return {key: copy.deepcopy(body[key]) for key in ORGANIZATION_KEYS if key in body} or dict(path_params)
    return copy.deepcopy(body)


def _append(tenant: "Tenant", event_type: str, data_object: dict) -> None:
    stream = tenant.directory.resources.get(STREAM, {}).get("") or {"next": 0, "events": ()}
    number = stream["next"]
    event = {"specversion": "1.0", "type": event_type, "source": _source(tenant), "id": _event_id(tenant, number),
             "time": iso(tenant.clock.now()), "data": {"object": data_object,
                                                       "context": {"tenant": {"tenant_id": _context_tenant_id(tenant)}}},
             "a0tenant": _tenant_id(tenant), "a0stream": _stream_id(tenant)}
    events = (*stream["events"], {"number": number, "type": event_type, "event": event})[-MAX_KEPT:]
    tenant.directory.resources = {**tenant.directory.resources, STREAM: {"": {"next": number + 1, "events": events}}}


def _digest_chars(text: str, length: int) -> str:
    value = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        value, index = divmod(value, len(ALPHANUMERIC))
        chars.append(ALPHANUMERIC[index])
    return "".join(chars)


def _event_id(tenant: "Tenant", number: int) -> str:
    return "evt_" + _digest_chars(f"mockidp-event:{tenant.rng.seed}:{number}", 16)


def _stream_id(tenant: "Tenant") -> str:
    """The stream the events are read from: one per tenant, named after its seed."""
    return "est_" + _digest_chars(f"mockidp-event-stream:{tenant.rng.seed}", 16)


def _context_tenant_id(tenant: "Tenant") -> str:
    """The tenant's internal id (`ten_` and 16 characters), stable for a seed."""
    return "ten_" + _digest_chars(f"mockidp-tenant:{tenant.rng.seed}", 16)


def _tenant_id(tenant: "Tenant") -> str:
    """The tenant's name, as `a0tenant` spells it (lower case, digits and dashes)."""
    name = re.sub(r"[^a-z0-9-]+", "-", str(tenant.tenant_settings.get("friendly_name") or "mockidp").lower())
    name = name.strip("-")[:63]
    return name if len(name) >= 3 else "mockidp"


def _source(tenant: "Tenant") -> str:
    return f"urn:auth0:{tenant.public_host}"


# --- reading the stream -----------------------------------------------------------------------------
# An offset is a position between events: event N's offset is N + 1, the position right after it,
# so reading from an offset gives the events numbered from it on.

def offset_of(position: int) -> str:
    return f"o{position:012d}"


def read(tenant: "Tenant", cursor: str | None, since: str | None, types: list[str]) -> tuple[list[dict], str]:
    """(the events after `cursor`, or from the time `since`, of `types` if any are given; the
    offset to resume from). With neither, the stream starts at its end: no event, the latest offset."""
    with tenant.lock:
        stream = tenant.directory.resources.get(STREAM, {}).get("") or {"next": 0, "events": ()}
        events = stream["events"]
        first = _first_position(events, cursor, since, stream["next"])
        chosen = [item for item in events if item["number"] >= first and (not types or item["type"] in types)]
        messages = [{"type": item["type"], "offset": offset_of(item["number"] + 1),
                     "event": copy.deepcopy(item["event"])} for item in chosen]
        return messages, offset_of(max(first, stream["next"]))


def _first_position(events: tuple, cursor: str | None, since: str | None, end: int) -> int:
    if cursor is not None:
        matched = OFFSET.match(cursor)
        if matched is None or int(matched.group(1)) > end:
            raise ManagementError(400, "Invalid cursor format.", "invalid_cursor")
        position = int(matched.group(1))
        if events and position < events[0]["number"]:  # the events from there on are no longer kept
            raise ManagementError(410, "Cursor points to data no longer available in the stream.", "cursor_expired")
        return position
    if since is not None:
        start = _timestamp(since)
        return next((item["number"] for item in events if _timestamp(item["event"]["time"]) >= start), end)
    return end


def _timestamp(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ManagementError(400, "Query validation error: 'from_timestamp' must be an RFC-3339 timestamp.",
                              "invalid_query_string") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
