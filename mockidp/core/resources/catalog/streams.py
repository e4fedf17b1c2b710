"""Log streams and event streams: where Auth0 would push logs and events (mockidp stores the
configuration; nothing is pushed). A test event (POST /event-streams/{id}/test) is stored as a
delivery that stays `pending` with no attempts, since mockidp sends nothing anywhere."""
from __future__ import annotations

from datetime import timedelta

from ...tenant import ids
from ...tenant.clock import iso
from ...tenant.errors import ManagementError
from .. import store
from ..model import Resource

EVENT_STREAMS = "/event-streams"


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


# What authenticates Auth0 at a webhook: written, never read back (recorded: a bearer token)
_WEBHOOK_SECRETS = ("token", "password", "header_value")


def _event_stream_view(tenant, record: dict) -> dict:
    destination = record.get("destination")
    configuration = destination.get("configuration") if isinstance(destination, dict) else None
    authorization = configuration.get("webhook_authorization") if isinstance(configuration, dict) else None
    if not isinstance(authorization, dict):
        return record
    shown = {key: value for key, value in authorization.items() if key not in _WEBHOOK_SECRETS}
    return {**record, "destination": {**destination, "configuration": {**configuration,
                                                                       "webhook_authorization": shown}}}


def _accepted(tenant, record, body):
    return 202, {}


def _stream_exists(tenant, stream_id: str) -> None:
    if stream_id not in tenant.directory.resources.get(EVENT_STREAMS, {}):
        raise ManagementError(404, "The requested stream does not exist.")


def _test_event(tenant, stream: dict, body) -> tuple[int, dict]:
    """A test event of the body's type, as Auth0 builds one (a sample user), queued for delivery."""
    event_type = (body or {}).get("event_type") or "user.created"
    event_id = ids.prefixed("evt", tenant.rng, 22)
    event = {"specversion": "1.0", "id": event_id, "source": f"urn:auth0:{tenant.public_host}", "type": event_type,
             "time": iso(tenant.clock.now()),
             "data": {"object": {"user_id": "auth0|507f1f77bcf86cd799439020", "email": "john.doe@gmail.com",
                                 "email_verified": False, "username": "johndoe"}}}
    delivery = {"id": event_id, "event_stream_id": stream["id"], "event_type": event_type,
                "status": "pending", "attempts": [], "event": event}
    table = {**tenant.directory.resources.get(DELIVERIES.path, {}), event_id: delivery}
    tenant.directory.resources = {**tenant.directory.resources, DELIVERIES.path: table}
    return 202, delivery


def _redeliver_one(tenant, event_id: str, body, *_) -> tuple[int, dict]:
    store.find(tenant, DELIVERIES, event_id)  # the stream was checked first (`parent`)
    return 202, {}


STATS_DAYS = 14  # the window Auth0 answers: the last two weeks to the coming hour (recorded)
METRICS = (("auth0.event_streams.successful_deliveries", "success"),
           ("auth0.event_streams.failed_deliveries", "failed"))


def _stats(tenant, record: dict) -> dict:
    """GET /event-streams/{id}/stats (beyond the spec; recorded: TestEventStreamManager_Integration):
    per day of the window, the delivery attempts that succeeded and failed. mockidp sends nothing,
    so its deliveries have no attempts and every count is zero, in Auth0's shape."""
    stream = tenant.directory.resources[EVENT_STREAMS][record["id"]]  # the parent check found it
    hour = tenant.clock.now().replace(minute=0, second=0, microsecond=0)
    date_from, date_to = hour - timedelta(days=STATS_DAYS), hour + timedelta(hours=1)
    first = date_from.replace(hour=0)
    days = [first + timedelta(days=n) for n in range((date_to.replace(hour=0) - first).days + 1)]
    attempts = [attempt for delivery in store.list_views(tenant, DELIVERIES, stream["id"])
                for attempt in delivery.get("attempts") or ()]
    metrics = []
    for name, status in METRICS:
        data = [sum(1 for attempt in attempts if attempt.get("status") == status
                    and iso(day) <= str(attempt.get("timestamp")) < iso(day + timedelta(days=1))
                    and iso(date_from) <= str(attempt.get("timestamp"))) for day in days]
        metrics.append({"name": name, "window_total": sum(data), "type": "sum", "data": data})
    return {"id": stream["id"], "name": stream.get("name"),
            "window": {"date_from": iso(date_from), "date_to": iso(date_to), "bucket_interval": {"scale_factor": 86400}},
            "buckets": [iso(day) for day in days], "metrics": metrics}


DELIVERIES = Resource(EVENT_STREAMS + "/{id}/deliveries", "delivery", owner="id", owner_key="event_stream_id",
                      parent=_stream_exists, listing="wrapped", list_key="deliveries",
                      not_found="The delivery does not exist.")


RESOURCES = [
    Resource("/log-streams", "log stream", id_prefix="lst", defaults={"status": "active"},
             create_status=200, on_create=_log_stream_sink, merge_objects=("sink",), delete_missing_ok=True),
    Resource("/event-streams", "stream", id_prefix="est", id_length=22, defaults={"status": "enabled"},
             created_at="created_at", updated_at="updated_at", listing="checkpoint",
             list_key="eventStreams", not_found="The requested {name} does not exist.",
             on_create=_event_stream_destination, view=_event_stream_view,
             actions={"redeliver": _accepted, "test": _test_event},
             delete_missing_ok=True),
    DELIVERIES,
    # POST .../redeliver/{event_id}: one delivery again (after /event-streams, whose `redeliver`
    # action answers POST .../redeliver).
    Resource(EVENT_STREAMS + "/{id}/redeliver", "delivery", owner="id", parent=_stream_exists,
             handlers={"update": _redeliver_one}),
    Resource(EVENT_STREAMS + "/{id}/stats", "stats", singleton=True, id_fields=("id",), parent=_stream_exists,
             view=_stats),
]
