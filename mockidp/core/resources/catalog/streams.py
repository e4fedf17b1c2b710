"""Log streams and event streams: where Auth0 would push logs and events (mockidp stores the
configuration; nothing is pushed)."""
from __future__ import annotations

from ...tenant import ids
from ..model import Resource


# What a priority stream carries when no filters are given (recorded: every isPriority stream)
PRIORITY_FILTERS = ({"type": "category", "name": "security"},)


def _log_stream_sink(tenant, record: dict) -> dict:
    """An EventBridge sink gets the partner event source Auth0 creates for it; a priority stream
    without filters gets the security category."""
    if record.get("isPriority") and "filters" not in record:
        record = {**record, "filters": [dict(item) for item in PRIORITY_FILTERS]}
    sink = record.get("sink")
    if record.get("type") == "eventbridge" and isinstance(sink, dict):
        source = f"aws.partner/auth0.com/mockidp-{ids.uuid4(tenant.rng)}/auth0.logs"
        record = {**record, "sink": {**sink, "awsPartnerEventSource": source}}
    return record


def _event_stream_destination(tenant, record: dict) -> dict:
    destination = record.get("destination")
    if isinstance(destination, dict) and destination.get("type") == "eventbridge":
        configuration = dict(destination.get("configuration") or {})
        configuration["aws_partner_event_source"] = (
            f"aws.partner/auth0.com/mockidp-{ids.uuid4(tenant.rng)}/auth0.events")
        record = {**record, "destination": {**destination, "configuration": configuration}}
    return record


def _accepted(tenant, record, body):
    return 202, {}


RESOURCES = [
    Resource("/log-streams", "log stream", id_prefix="lst", defaults={"status": "active"},
             create_status=200, on_create=_log_stream_sink, merge_objects=("sink",), idempotent_delete=True),
    Resource("/event-streams", "stream", id_prefix="est", id_length=22, defaults={"status": "enabled"},
             created_at="created_at", updated_at="updated_at", listing="checkpoint",
             list_key="eventStreams", not_found="The requested {name} does not exist.",
             on_create=_event_stream_destination, actions={"redeliver": _accepted}, idempotent_delete=True),
]
