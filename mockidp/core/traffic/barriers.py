"""Pause points (POST /_mock/barriers): hold matching requests before they touch any state until
the test releases them, so a test can force the order in which concurrent requests complete.

    {"method": "POST", "path": "/dbconnections/change_password", "timeout_ms": 30000}

A barrier starts "holding". Every matching request that arrives waits (on a Condition, holding
no tenant lock) until it is released, the barrier is removed (DELETE or reset: the request is
answered 503 so it never touches the next test's state) or `timeout_ms` passes (503; the
barrier counts it in `timed_out`). `release` without a count opens the barrier for good: held
requests proceed and later ones pass straight through. `release` with a count lets the N
longest-held requests proceed and keeps holding the rest, to order requests on one route.
"""
from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..tenant.clock import monotonic
from ..tenant.errors import ControlError
from .route_match import BodyReader, RouteMatch, any_path_regex

DEFAULT_TIMEOUT_MS = 30_000
MAX_TIMEOUT_MS = 600_000
BARRIER_KEYS = {"method", "path", "request_body", "timeout_ms"}

WAITING, RELEASED, TIMED_OUT, REMOVED = "waiting", "released", "timed_out", "removed"


@dataclass(eq=False)
class Hold:
    """One held request."""

    barrier: "Barrier"
    deadline: float  # monotonic seconds
    state: str = WAITING


@dataclass(eq=False)
class Barrier:
    id: str
    match: RouteMatch
    timeout_ms: int
    holding: bool = True
    waiting: deque = field(default_factory=deque)  # of Hold, longest held first
    released: int = 0
    timed_out: int = 0

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, **self.match.describe(), "timeout_ms": self.timeout_ms,
                "state": "holding" if self.holding else "released", "held": len(self.waiting),
                "released": self.released, "timed_out": self.timed_out}

    def let_go(self, hold: Hold, state: str) -> None:
        hold.state = state
        self.waiting.remove(hold)


def parse_barrier(spec: Any, barrier_id: str) -> Barrier:
    if not isinstance(spec, dict):
        raise ControlError(400, "A barrier must be a JSON object such as "
                                '{"method": "POST", "path": "/dbconnections/change_password"}.')
    unknown = sorted(set(spec) - BARRIER_KEYS)
    if unknown:
        raise ControlError(400, f"Unknown key(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(BARRIER_KEYS))}.")
    timeout = spec.get("timeout_ms", DEFAULT_TIMEOUT_MS)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT_MS:
        raise ControlError(400, f'"timeout_ms" must be a whole number from 1 to {MAX_TIMEOUT_MS}; got {timeout!r}.')
    return Barrier(barrier_id, RouteMatch.parse(spec), timeout)


def restored_barriers(captured: dict[str, Any]) -> tuple[tuple[Barrier, ...], int]:
    """BarrierBoard.capture()'s output made barriers again (ControlError/KeyError if it is not)."""
    next_number = captured["next_number"]
    if isinstance(next_number, bool) or not isinstance(next_number, int) or next_number < 1:
        raise ControlError(400, f'"next_number" must be a whole number above 0; got {next_number!r}.')
    return tuple(_restored_barrier(state) for state in captured["barriers"]), next_number


def _restored_barrier(state: dict[str, Any]) -> Barrier:
    spec = {key: state[key] for key in BARRIER_KEYS if key in state}
    barrier = parse_barrier(spec, state["id"])
    barrier.holding = bool(state["holding"])
    barrier.released, barrier.timed_out = int(state["released"]), int(state["timed_out"])
    return barrier


class BarrierBoard:
    """A tenant's barriers. One Condition guards them all; held requests wait on it."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._barriers: tuple[Barrier, ...] = ()  # replaced, never mutated: read without the lock
        self._any_path: re.Pattern | None = None
        self._next_number = 1

    # --- control plane ---------------------------------------------------------------------

    def add(self, spec: Any) -> dict[str, Any]:
        with self._changed:
            barrier = parse_barrier(spec, f"brr_{self._next_number}")
            self._next_number += 1
            self._install(self._barriers + (barrier,))
            return barrier.describe()

    def describe(self) -> list[dict[str, Any]]:
        with self._changed:
            return [barrier.describe() for barrier in self._barriers]

    def get(self, barrier_id: str) -> dict[str, Any]:
        with self._changed:
            return self._find(barrier_id).describe()

    def release(self, barrier_id: str, count: int | None = None) -> dict[str, Any]:
        with self._changed:
            barrier = self._find(barrier_id)
            if count is not None and count > len(barrier.waiting):
                raise ControlError(409, f"Cannot release {count}: {barrier_id} holds "
                                        f"{len(barrier.waiting)} request(s).", "conflict")
            for _ in range(len(barrier.waiting) if count is None else count):
                barrier.let_go(barrier.waiting[0], RELEASED)
                barrier.released += 1
            if count is None:
                barrier.holding = False
                self._install(self._barriers)
            self._changed.notify_all()
            return barrier.describe()

    def wait_until_held(self, barrier_id: str, count: int, timeout_s: float) -> tuple[bool, dict]:
        """Block until `count` requests are held (True) or `timeout_s` passed (False)."""
        deadline = monotonic() + timeout_s
        with self._changed:
            barrier = self._find(barrier_id)
            while len(barrier.waiting) < count:
                remaining = deadline - monotonic()
                if remaining <= 0 or barrier not in self._barriers:
                    return False, barrier.describe()
                self._changed.wait(remaining)
            return True, barrier.describe()

    def delete(self, barrier_id: str) -> None:
        with self._changed:
            self._remove([self._find(barrier_id)])

    def clear(self) -> None:
        with self._changed:
            self._remove(list(self._barriers))

    def reset(self) -> None:
        """Clear (held requests get 503), and number barriers from brr_1 again."""
        with self._changed:
            self._remove(list(self._barriers))
            self._next_number = 1

    def capture(self) -> dict[str, Any]:
        """The barriers and their counters as plain JSON; held requests are connections, not state."""
        with self._changed:
            return {"next_number": self._next_number,
                    "barriers": [{"id": b.id, **b.match.describe(), "timeout_ms": b.timeout_ms, "holding": b.holding,
                                  "released": b.released, "timed_out": b.timed_out} for b in self._barriers]}

    def restore(self, barriers: tuple[Barrier, ...], next_number: int) -> None:
        """Restored barriers (restored_barriers), holding no one: the held requests of now get
        503, as on reset."""
        with self._changed:
            self._remove(list(self._barriers))
            self._install(barriers)
            self._next_number = next_number

    # --- requests --------------------------------------------------------------------------

    def arrive(self, method: str, path: str, read_body: BodyReader) -> Hold | None:
        """Register a hold if a holding barrier matches (the first one, in creation order)."""
        if self._any_path is None or not self._any_path.fullmatch(path):
            return None
        candidates = [b for b in self._barriers if b.match.matches(method, path, read_body)]
        with self._changed:
            for barrier in candidates:
                if barrier.holding and barrier in self._barriers:
                    hold = Hold(barrier, monotonic() + barrier.timeout_ms / 1000)
                    barrier.waiting.append(hold)
                    self._changed.notify_all()  # wakes wait_until_held
                    return hold
        return None

    def wait(self, hold: Hold) -> str:
        """Wait until the hold ends; returns RELEASED, TIMED_OUT or REMOVED."""
        with self._changed:
            while hold.state == WAITING:
                remaining = hold.deadline - monotonic()
                if remaining <= 0:
                    hold.barrier.let_go(hold, TIMED_OUT)
                    hold.barrier.timed_out += 1
                    self._changed.notify_all()
                    break
                self._changed.wait(remaining)
            return hold.state

    # --- internals -------------------------------------------------------------------------

    def _find(self, barrier_id: str) -> Barrier:
        for barrier in self._barriers:
            if barrier.id == barrier_id:
                return barrier
        raise ControlError(404, f"No barrier {barrier_id!r}. GET /_mock/barriers lists them.", "not_found")

    def _remove(self, doomed: list[Barrier]) -> None:
        for barrier in doomed:
            while barrier.waiting:
                barrier.let_go(barrier.waiting[0], REMOVED)
        self._install(tuple(b for b in self._barriers if b not in doomed))
        self._changed.notify_all()

    def _install(self, barriers: tuple[Barrier, ...]) -> None:
        self._barriers = barriers
        self._any_path = any_path_regex(b.match for b in barriers if b.holding)
