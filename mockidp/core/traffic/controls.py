"""A tenant's traffic shaping: latency, faults and barriers, and the order they apply in.

When a request arrives (anything outside /_mock), `handle()`:
  0. takes a token from the request's rate-limit bucket (rate_limits.py): its X-RateLimit-*
     headers go on whatever answers, and an empty bucket is a 429 when limits are enforced;
  1. decides everything up front, in arrival order: the barrier that holds it, the fault rule that
     answers it, its latency. Deciding on arrival (not after a hold) keeps fault counts and seeded
     draws tied to the order the test sent requests in, not to which woken thread runs first;
  2. waits at the barrier, if any (no tenant lock held);
  3. sleeps the latency (no lock held; a reset cuts it short);
  4. answers the fault (after its own delay for "timeout"/"drop"), or lets the route run.
Requests caught by a reset while waiting are answered 503 instead of running, so they cannot
change the state of whatever test comes next.
"""
from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Callable, NamedTuple

from ..tenant.clock import Clock, monotonic
from ..tenant.errors import ControlError, FixtureError
from .barriers import RELEASED, REMOVED, BarrierBoard, Hold, restored_barriers
from .faults import FaultBook, FaultRule, error_envelope, restored_rules
from .latency import LatencySettings
from .rate_limits import RateLimits
from .route_match import BodyReader, normalize_path

JSON_TYPE = "application/json; charset=utf-8"


class Verdict(NamedTuple):
    """What the web layer does with a request: "proceed" to the route (adding `headers` to its
    response), "answer" with status/body/headers, or "drop" the connection."""

    action: str
    status: int | None = None
    body: bytes | None = None
    headers: Mapping[str, str] = MappingProxyType({})


PROCEED = Verdict("proceed")


class TrafficPlan(NamedTuple):
    hold: Hold | None
    fault: FaultRule | None
    delay_ms: int
    reset_signal: threading.Event  # set if the tenant is reset while this request waits


class ReadOnlySection:
    """Shows rules in GET /_mock/settings; PATCH must go through their own endpoints."""

    def __init__(self, name: str, key: str, read, endpoint: str):
        self.name, self._key, self._read, self._endpoint = name, key, read, endpoint

    def current(self) -> dict[str, Any]:
        return {self._key: self._read()}

    def prepare(self, patch: Any):
        raise ControlError(400, f'"{self.name}" cannot be changed through /_mock/settings: use '
                                f"POST {self._endpoint} to add and DELETE {self._endpoint}[/<id>] to remove.")

    def reset(self) -> None:
        """Cleared by Traffic.reset (a tenant reset hook), with the held requests."""


class Traffic:
    def __init__(self, tenant_seed: int, clock: Clock, startup_latency: Any = None):
        self._clock = clock
        self._seed = tenant_seed
        self.latency = LatencySettings(tenant_seed, startup_latency)
        self.faults = FaultBook(tenant_seed)
        self.barriers = BarrierBoard()
        self.rate_limits = RateLimits(clock)
        self._reset_signal = threading.Event()

    def sections(self) -> list:
        return [self.latency, self.rate_limits,
                ReadOnlySection("faults", "rules", self.faults.describe, "/_mock/faults"),
                ReadOnlySection("barriers", "barriers", self.barriers.describe, "/_mock/barriers")]

    def reset(self) -> None:
        """Remove faults and barriers, and cut short every wait in progress."""
        self.faults.reset()
        self.barriers.reset()
        signal, self._reset_signal = self._reset_signal, threading.Event()
        signal.set()

    def capture(self) -> dict[str, Any]:
        """Latency, rate limits, faults and barriers as plain JSON (a snapshot's or state file's part)."""
        return copy.deepcopy({"latency": self.latency.current(), "rate_limits": self.rate_limits.current(),
                              "faults": self.faults.capture(), "barriers": self.barriers.capture()})

    def restorer(self, captured: Any) -> Callable[[], None]:
        """Check captured controls (ControlError, KeyError, TypeError... if they are not) and
        return what puts them back. Requests waiting then (barrier, latency, fault delay) are
        answered 503, as on reset: they belong to the state left behind."""
        apply_latency = self.latency.restored(captured["latency"])
        apply_rate_limits = self.rate_limits.restored(captured.get("rate_limits"))  # none before they existed
        faults = restored_rules(captured["faults"], self._seed)
        barriers, next_barrier = restored_barriers(captured["barriers"])

        def restore() -> None:
            self.reset()
            apply_latency()
            apply_rate_limits()
            self.faults.restore(faults)
            self.barriers.restore(barriers, next_barrier)

        return restore

    def restore(self, captured: Any) -> None:
        self.restorer(copy.deepcopy(captured))()  # copied: a snapshot can be restored again and again

    # --- requests --------------------------------------------------------------------------

    def plan(self, method: str, path: str, read_body: BodyReader) -> TrafficPlan | None:
        path = normalize_path(path)
        fault = self.faults.fire(method, path, read_body)
        delay_ms = self.latency.plan.delay_ms(method, path)
        # Last: once a hold is registered, handle() must reach barriers.wait() to end it.
        hold = self.barriers.arrive(method, path, read_body)
        if hold is None and fault is None and delay_ms == 0:
            return None
        return TrafficPlan(hold, fault, delay_ms, self._reset_signal)

    def handle(self, method: str, path: str, read_body: BodyReader) -> Verdict:
        limited = self.rate_limits.take(method, normalize_path(path))
        if limited is not None and limited.refused_body is not None:
            return Verdict("answer", 429, limited.refused_body, {"Content-Type": JSON_TYPE, **limited.headers})
        verdict = self._shaped(method, path, read_body)
        if limited is None:
            return verdict
        # A fault rule's own X-RateLimit-* (a simulated 429) win over the bucket's.
        taken = {name.lower() for name in verdict.headers}
        extra = {name: value for name, value in limited.headers.items() if name.lower() not in taken}
        return verdict._replace(headers={**verdict.headers, **extra})

    def _shaped(self, method: str, path: str, read_body: BodyReader) -> Verdict:
        plan = self.plan(method, path, read_body)
        if plan is None:
            return PROCEED
        if plan.hold is not None:
            outcome = self.barriers.wait(plan.hold)
            if outcome != RELEASED:
                return self._not_processed(path, _barrier_message(plan.hold, outcome),
                                           {"x-mockidp-barrier": plan.hold.barrier.id})
        if not self._sleep(plan.delay_ms, plan.reset_signal):
            return self._not_processed(path, "mockidp was reset while this request was delayed; "
                                             "it was not processed.")
        headers = {"x-mockidp-latency-ms": str(plan.delay_ms)} if plan.delay_ms else {}
        if plan.fault is not None:
            return self._fault_verdict(plan.fault, path, plan.reset_signal, headers)
        return Verdict("proceed", headers=headers)

    def _fault_verdict(self, rule: FaultRule, path: str, reset_signal: threading.Event,
                       headers: dict[str, str]) -> Verdict:
        if not self._sleep(rule.delay_ms, reset_signal):
            return self._not_processed(path, "mockidp was reset while this request was delayed "
                                             "by a fault rule.")
        headers = {**headers, "x-mockidp-fault": rule.id}
        if rule.kind == "drop":
            return Verdict("drop", headers=headers)
        status, body, rule_headers = rule.response(path, self._clock.timestamp())
        return Verdict("answer", status, body, {**headers, **rule_headers})

    @staticmethod
    def _sleep(ms: int, reset_signal: threading.Event) -> bool:
        """Really sleep `ms` (this is the feature), bounded by the monotonic clock. False if the
        tenant was reset meanwhile."""
        deadline = monotonic() + ms / 1000
        while (remaining := deadline - monotonic()) > 0:
            if reset_signal.wait(remaining):
                return False
        return not reset_signal.is_set()

    @staticmethod
    def _not_processed(path: str, message: str, headers: dict[str, str] | None = None) -> Verdict:
        body = json.dumps(error_envelope(path, 503, message), separators=(",", ":")).encode()
        return Verdict("answer", 503, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def _barrier_message(hold: Hold, outcome: str) -> str:
    barrier = hold.barrier
    if outcome == REMOVED:
        return (f"mockidp barrier {barrier.id} was removed (DELETE or reset) while holding this "
                "request; it was not processed.")
    return (f"mockidp barrier {barrier.id} held this request for {barrier.timeout_ms} ms without "
            "a release (barrier timeout); it was not processed.")


def install_traffic(tenant) -> Traffic:
    """Give a tenant its Traffic: start-up latency from the fixture's `mockidp.latency` (which
    --latency / MOCKIDP_LATENCY override), settings sections, and the reset hook."""
    startup = (tenant.config.fixture.get("mockidp") or {}).get("latency")
    try:
        traffic = Traffic(tenant.config.seed, tenant.clock, startup)
    except ControlError as exc:
        raise FixtureError(f"mockidp.latency: {exc.message}") from None
    for section in traffic.sections():
        tenant.mock_settings.register(section)
    tenant.on_reset(traffic.reset)
    # A deleted tenant answers its held and delayed requests 503 at once: its listener
    # (listeners.py) then stops without waiting for workers a barrier would hold for minutes.
    tenant.on_close(traffic.reset)
    tenant.on_snapshot(traffic.capture, traffic.restore, check=traffic.restorer)
    return traffic
