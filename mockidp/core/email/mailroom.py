"""The mailroom: every email Auth0 would send is queued here, delivered on the tenant clock and
kept in an outbox for tests to read. Nothing ever leaves the process.

Model:
- `enqueue()` (under the tenant lock) records an Envelope: template name, recipient, user, link
  and extra variables, fixed when Auth0 decides to send. Its due time follows the delivery mode:
  immediate (now), delayed (now + delay_seconds on the tenant clock) or manual (only on flush).
- Delivery pops due envelopes in queue order, captures the user and template as they are *now*
  (render mode "delivery", default) or uses the copy taken at enqueue (render mode "enqueue"),
  renders outside the tenant lock and appends one outbox message per envelope.
- Due messages are delivered: right after the request that queued them (immediate), when the
  clock is set or advanced (before that call returns), by a per-tenant worker thread while the
  clock runs, and when the outbox is read.

Locking: the tenant lock guards the queue and outbox; `_delivery_lock` serialises deliveries so
queue order is kept. Order is always delivery lock, then tenant lock; never the other way.
"""
from __future__ import annotations

import copy
import math
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from ..logs import events as logs
from ..tenant import ids, journal
from ..tenant.clock import iso
from ..tenant.errors import ControlError, FixtureError
from . import templates

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

DELIVERY_MODES = ("immediate", "delayed", "manual")
RENDER_MODES = ("delivery", "enqueue")
GLOBAL_APPLICATION = {"name": "All Applications", "clientID": "", "client_metadata": {}, "metadata": {}}
WORKER_MAX_WAIT = 60.0  # re-check now and then even if nothing wakes the worker


# --- settings ---------------------------------------------------------------------------------

class EmailSettings(NamedTuple):
    delivery: str = "immediate"
    delay_seconds: float = 0
    render: str = "delivery"

    def as_json(self) -> dict[str, Any]:
        delay = self.delay_seconds
        if isinstance(delay, float) and delay.is_integer():
            delay = int(delay)
        return {"delivery": self.delivery, "delay_seconds": delay, "render": self.render}


def updated_settings(base: EmailSettings, patch: Any) -> EmailSettings:
    """`base` with `patch` applied; ValueError with a message that says what to send instead."""
    if not isinstance(patch, dict):
        raise ValueError('"email" must be an object such as {"delivery": "manual"}.')
    unknown = sorted(set(patch) - {"delivery", "delay_seconds", "render"})
    if unknown:
        raise ValueError(f"Unknown email setting(s): {', '.join(unknown)}. "
                         "Allowed: delay_seconds, delivery, render.")
    delivery = patch.get("delivery", base.delivery)
    if delivery not in DELIVERY_MODES:
        raise ValueError(f'"delivery" must be one of {", ".join(DELIVERY_MODES)}; got {delivery!r}.')
    render = patch.get("render", base.render)
    if render not in RENDER_MODES:
        raise ValueError(f'"render" must be one of {", ".join(RENDER_MODES)}; got {render!r}.')
    delay = patch.get("delay_seconds", base.delay_seconds)
    number = isinstance(delay, (int, float)) and not isinstance(delay, bool)
    if not number or not math.isfinite(delay) or delay < 0:
        raise ValueError(f'"delay_seconds" must be a non-negative number of seconds; got {delay!r}.')
    return EmailSettings(delivery, delay, render)


def startup_email_settings(fixture: dict) -> EmailSettings:
    """The fixture's `mockidp.email` (where --email-* options land): the values reset returns to."""
    try:
        return updated_settings(EmailSettings(), (fixture.get("mockidp") or {}).get("email") or {})
    except ValueError as exc:
        raise FixtureError(f"mockidp.email: {exc}") from None


class EmailSettingsSection:
    """The "email" section of /_mock/settings."""

    name = "email"

    def __init__(self, mailroom: "Mailroom"):
        self._mailroom = mailroom

    def current(self) -> dict[str, Any]:
        return self._mailroom.settings.as_json()

    def prepare(self, patch: Any) -> Callable[[], None]:
        try:
            settings = updated_settings(self._mailroom.settings, patch)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        return lambda: self._mailroom.apply_settings(settings)

    def reset(self) -> None:
        self._mailroom.apply_settings(self._mailroom.startup_settings)


# --- queue entries and messages ---------------------------------------------------------------

class RenderInput(NamedTuple):
    """Everything a render needs, copied under the lock (or the reason it cannot render)."""

    template: dict | None = None
    variables: dict | None = None
    problem: str | None = None


class Envelope(NamedTuple):
    """An email Auth0 decided to send; fixed at enqueue time."""

    id: str
    template: str
    to: str
    user_id: str | None
    url: str | None
    client_id: str | None
    base_url: str
    queued_at: datetime
    due_at: datetime | None             # None: held until flushed (manual delivery)
    extra: Mapping[str, Any] = MappingProxyType({})  # read-only: shared by default
    snapshot: RenderInput | None = None  # render mode "enqueue": the state when queued
    # A template that is not one of the tenant's email templates (a passwordless connection's
    # own email), fixed when queued.
    template_source: Mapping[str, Any] | None = None
    request_id: str | None = None       # the request that queued it (the journal's id)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "to": self.to, "template": self.template, "user_id": self.user_id,
                "url": self.url, "status": "queued", "queued_at": iso(self.queued_at),
                "due_at": iso(self.due_at) if self.due_at else None, "request_id": self.request_id}


class Mailroom:
    def __init__(self, tenant: "Tenant", startup_settings: EmailSettings):
        self._tenant = tenant
        self.startup_settings = startup_settings
        self.settings = startup_settings
        self.renderer = templates.Renderer(tenant.clock.now)
        self._queue: list[Envelope] = []
        self._outbox: list[dict] = []
        self._outcomes: dict[str, str] = {}  # message id -> queued/delivered/failed (jobs read it)
        self._generation = 0                 # bumped on reset: in-flight deliveries are dropped
        self._delivery_lock = threading.Lock()
        self._wakeup = threading.Condition()
        self._wakeup_pending = False
        self._delivered = threading.Condition()
        self._worker: threading.Thread | None = None
        tenant.mock_settings.register(EmailSettingsSection(self))
        tenant.on_reset(self._reset)
        tenant.on_close(self._stop_worker)  # a deleted tenant (DELETE /_mock/tenants) leaves no thread
        tenant.on_snapshot(self._capture_state, self._restore_state, types=(Envelope, RenderInput, EmailSettings))
        self._closed = False
        tenant.clock.on_change(self._clock_moved)

    # --- settings and reset (called under the tenant lock) ---------------------------------

    def apply_settings(self, settings: EmailSettings) -> None:
        """New settings apply to emails queued from now on; held messages wait for a flush."""
        self.settings = settings
        self._wake_worker()

    def _reset(self) -> None:
        self._queue = []
        self._outbox = []
        self._outcomes = {}
        self._generation += 1
        self.settings = self.startup_settings
        self._wake_worker()

    def _capture_state(self) -> tuple:
        # Shallow copies suffice: a message is complete before it enters the outbox and is only
        # handed out as a deep copy (messages()), so stored messages never change.
        return list(self._queue), list(self._outbox), dict(self._outcomes), self.settings

    def _restore_state(self, captured: tuple) -> None:
        queue, outbox, outcomes, self.settings = captured
        self._queue, self._outbox, self._outcomes = list(queue), list(outbox), dict(outcomes)
        self._generation += 1  # a delivery in flight belongs to the state left behind
        self._wake_worker()

    # --- enqueue ----------------------------------------------------------------------------

    def enqueue(self, template: str, *, to: str, user_id: str | None, base_url: str,
                url: str | None = None, client_id: str | None = None,
                extra: dict | None = None, template_source: dict | None = None) -> str:
        """Queue one email and return its message id. Call under the tenant lock, then call
        `deliver_due()` once the lock is released."""
        tenant = self._tenant
        now = tenant.clock.now()
        envelope = Envelope(id=ids.prefixed("msg", tenant.rng), template=template, to=to,
                            user_id=user_id, url=url, client_id=client_id,
                            base_url=base_url, queued_at=now, due_at=self._due_at(now),
                            extra=copy.deepcopy(extra or {}),
                            template_source=copy.deepcopy(template_source),
                            request_id=journal.current_request_id())
        journal.note_email(envelope.id)
        if self.settings.render == "enqueue":
            envelope = envelope._replace(snapshot=self._capture(envelope))
        self._queue.append(envelope)
        self._outcomes[envelope.id] = "queued"
        if envelope.due_at is not None and envelope.due_at > now:
            self._wake_worker()
        return envelope.id

    def _due_at(self, now: datetime) -> datetime | None:
        if self.settings.delivery == "manual":
            return None
        if self.settings.delivery == "delayed":
            return now + timedelta(seconds=self.settings.delay_seconds)
        return now

    # --- delivery -----------------------------------------------------------------------------

    def deliver_due(self) -> list[str]:
        """Deliver every queued message whose time has come, in queue order."""
        if self._lock_held():  # never deliver under the tenant lock: let the worker do it
            self._wake_worker()
            return []
        return self._deliver(lambda envelope, now: envelope.due_at is not None and envelope.due_at <= now)

    def flush(self) -> list[str]:
        """Deliver every queued message now, due or not, in queue order."""
        return self._deliver(lambda envelope, now: True)

    def _deliver(self, select: Callable[[Envelope, datetime], bool]) -> list[str]:
        tenant = self._tenant
        with self._delivery_lock:
            with tenant.lock:
                now = tenant.clock.now()
                batch = [envelope for envelope in self._queue if select(envelope, now)]
                if not batch:
                    return []
                chosen = {envelope.id for envelope in batch}
                self._queue = [envelope for envelope in self._queue if envelope.id not in chosen]
                generation = self._generation
                inputs = [envelope.snapshot or self._capture(envelope) for envelope in batch]
            messages = [self._message(envelope, render_input, now)
                        for envelope, render_input in zip(batch, inputs)]
            with tenant.lock:
                if generation != self._generation:  # the tenant was reset meanwhile
                    return []
                self._outbox.extend(messages)
                for message in messages:
                    self._outcomes[message["id"]] = message["status"]
                    if message["status"] == "failed":
                        _log_failed_email(tenant, message)
        with self._delivered:
            self._delivered.notify_all()
        return [message["id"] for message in messages]

    def _capture(self, envelope: Envelope) -> RenderInput:
        """The template and variables as they are now. Under the tenant lock."""
        tenant = self._tenant
        template = (copy.deepcopy(dict(envelope.template_source)) if envelope.template_source
                    else templates.effective(tenant, envelope.template))
        if template is None:
            return RenderInput(problem=f"There is no {envelope.template} template.")
        user = self._user_variables(envelope)
        if user is None:
            return RenderInput(problem="The user does not exist.")
        settings = tenant.tenant_settings
        variables = {
            "user": user,
            "url": envelope.url,
            "application": application_variables(tenant, envelope.client_id),
            "connection": {"name": user.get("identities", [{}])[0].get("connection", "")},
            "tenant": tenant_name(envelope.base_url),
            "friendly_name": settings.get("friendly_name") or "",
            "support_email": settings.get("support_email") or "",
            "support_url": settings.get("support_url") or "",
            "request_language": "en",
            **copy.deepcopy({key: value for key, value in envelope.extra.items() if key != "user"}),
        }
        user.update(copy.deepcopy(envelope.extra.get("user") or {}))  # e.g. blocked_account's source_ip
        return RenderInput(template=template, variables=variables)

    def _user_variables(self, envelope: Envelope) -> dict | None:
        if envelope.user_id is None:
            return {"email": envelope.to}  # e.g. an invitation to someone without an account
        record = self._tenant.directory.users.get(envelope.user_id)
        return copy.deepcopy(record.profile) if record is not None else None

    def _message(self, envelope: Envelope, render_input: RenderInput, now: datetime) -> dict:
        """Render outside the lock; a template problem fails this message, nothing else."""
        delivered_at = min(now, envelope.due_at) if envelope.due_at else now
        message = {"id": envelope.id, "to": envelope.to, "from": None, "subject": None,
                   "template": envelope.template, "html": None, "text": None, "links": [],
                   "user_id": envelope.user_id, "url": envelope.url, "status": "delivered",
                   "error": None, "queued_at": iso(envelope.queued_at),
                   "delivered_at": iso(max(delivered_at, envelope.queued_at)), "request_id": envelope.request_id}
        if "code" in envelope.extra:  # a one-time code (passwordless), for tests to read
            message["code"] = envelope.extra["code"]
        try:
            if render_input.problem:
                raise templates.TemplateError("user", render_input.problem)
            rendered = self.renderer.render_email(render_input.template, render_input.variables)
        except templates.TemplateError as exc:
            message.update(status="failed", error=str(exc))
            return message
        message.update({"from": rendered.sender, "subject": rendered.subject, "html": rendered.html,
                        "text": rendered.text, "links": rendered.links})
        return message

    # --- reading ------------------------------------------------------------------------------

    def messages(self, to: str | None = None, template: str | None = None,
                 user_id: str | None = None) -> list[dict]:
        """Delivered (and failed) messages, oldest first, optionally filtered."""
        self.deliver_due()
        with self._tenant.lock:
            found = list(self._outbox)
        if to is not None:
            found = [m for m in found if m["to"].lower() == to.lower()]
        if template is not None:
            found = [m for m in found if m["template"] == template]
        if user_id is not None:
            found = [m for m in found if m["user_id"] == user_id]
        return copy.deepcopy(found)

    def message(self, message_id: str) -> dict | None:
        for message in self.messages():
            if message["id"] == message_id:
                return message
        return None

    def pending(self) -> list[dict]:
        self.deliver_due()
        with self._tenant.lock:
            return [envelope.as_json() for envelope in self._queue]

    def clear_outbox(self) -> int:
        with self._tenant.lock:
            count = len(self._outbox)
            self._outbox = []
            return count

    def outcome(self, message_id: str) -> str | None:
        """queued, delivered or failed: survives DELETE /_mock/outbox (jobs report it)."""
        with self._tenant.lock:
            return self._outcomes.get(message_id)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until `predicate()` holds after some delivery, or `timeout` real seconds pass.
        For tests of the running-clock worker; everything else should flush or advance."""
        with self._delivered:
            return self._delivered.wait_for(predicate, timeout)

    # --- the clock and the worker -------------------------------------------------------------

    def _clock_moved(self, _now: datetime) -> None:
        """Setting or advancing the clock delivers what came due before the call returns."""
        self.deliver_due()
        self._wake_worker()

    def _lock_held(self) -> bool:
        is_owned = getattr(self._tenant.lock, "_is_owned", None)
        return bool(is_owned and is_owned())

    def _wake_worker(self) -> None:
        if not self._has_scheduled_messages():
            return
        self._start_worker()
        with self._wakeup:
            self._wakeup_pending = True
            self._wakeup.notify()

    def _has_scheduled_messages(self) -> bool:
        return any(envelope.due_at is not None for envelope in self._queue)

    def _start_worker(self) -> None:
        if self._closed or (self._worker is not None and self._worker.is_alive()):
            return
        self._worker = threading.Thread(target=self._work, name="mockidp-mailroom", daemon=True)
        self._worker.start()

    def _work(self) -> None:
        """Deliver delayed messages while the clock runs: sleep until the next due time."""
        while True:
            timeout = self._seconds_until_next_due()
            with self._wakeup:
                if not self._wakeup_pending and not self._closed:
                    self._wakeup.wait(timeout)
                self._wakeup_pending = False
                if self._closed:
                    return
            self.deliver_due()

    def _stop_worker(self) -> None:
        with self._wakeup:
            self._closed = True
            self._wakeup.notify()

    def _seconds_until_next_due(self) -> float | None:
        tenant = self._tenant
        with tenant.lock:
            due = [envelope.due_at for envelope in self._queue if envelope.due_at is not None]
        if not due:
            return None
        if tenant.clock.frozen:
            return WORKER_MAX_WAIT  # frozen: clock listeners deliver; just re-check now and then
        remaining = (min(due) - tenant.clock.now()).total_seconds()
        return min(max(remaining, 0.0), WORKER_MAX_WAIT)


def application_variables(tenant: "Tenant", client_id: str | None) -> dict:
    """Auth0's `application` variable: the client named in the request, else the global client.
    Under the tenant lock."""
    client = tenant.directory.clients.get(client_id) if client_id else None
    if client is None:
        return dict(GLOBAL_APPLICATION)
    callbacks = client.get("callbacks") or []
    return {"name": client.get("name", ""), "clientID": client["client_id"],
            "client_metadata": copy.deepcopy(client.get("client_metadata") or {}),
            "metadata": copy.deepcopy(client.get("client_metadata") or {}),
            "callback_domain": origin(callbacks[0]) if callbacks else ""}


def tenant_name(base_url: str) -> str:
    """Auth0's `tenant` variable is the tenant's name, the first label of its domain
    (dev-abc for dev-abc.us.auth0.com); mockidp derives it the same way from its public URL."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.split(".", 1)[0]


def origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


def _log_failed_email(tenant: "Tenant", message: dict) -> None:
    """An email the mailroom could not render: `fv` for a verification email, else `fn`
    ("To: <address>"). Under the tenant lock."""
    with tenant.lock:
        record = tenant.directory.users.get(message.get("user_id") or "")
    details = {"email_type": message["template"], "error": message.get("error") or "", "to": message["to"]}
    if message["template"] == "verify_email":
        logs.record(tenant, "fv", message.get("error") or "", user=record.profile if record else None,
                    user_id=message.get("user_id"), user_name=message["to"], details=details)
    else:
        logs.record(tenant, "fn", f"To: {message['to']}", user=record.profile if record else None,
                    user_id=message.get("user_id"), user_name=message["to"], details=details)
