"""The tenant clock: the only place mockidp reads wall time.

Everything time-dependent (token iat/exp, created_at, ticket expiry, email delays) asks a
Clock for `now()`. A clock either runs (wall time plus an offset) or is frozen at an instant;
tests move it with `set()` and `advance()` instead of sleeping.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, NamedTuple

UTC = timezone.utc


def wall_clock_now() -> datetime:
    """Real time, for the few things that must not follow the mock clock (TLS certificate
    validity, which real clients check against their own clock)."""
    return datetime.fromtimestamp(time.time(), UTC)


def monotonic() -> float:
    """Real elapsed time, for bounding waits (latency sleeps, barrier timeouts)."""
    return time.monotonic()


def iso(dt: datetime) -> str:
    """Auth0's timestamp format: ISO-8601 UTC with milliseconds and Z."""
    # isoformat, not strftime: the same text at half the cost, on every journal entry and log event
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")[:-len("+00:00")] + "Z"


def parse_instant(value: str) -> datetime:
    """Parse an ISO-8601 instant; a value without an offset is taken as UTC."""
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class _Setting(NamedTuple):
    offset: float                # seconds added to wall time while running
    frozen_at: datetime | None   # the instant the clock stands still at, or None if it runs


class Clock:
    """A controllable clock. Thread-safe; listeners hear about every jump forward.

    Its setting is one immutable tuple swapped whole under the lock, so readers (every request
    checks a token's expiry) take no lock and never see half a change."""

    def __init__(self, start: datetime | None = None, frozen: bool = False,
                 wall: Callable[[], float] = time.time):
        self._wall = wall
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime], None]] = []
        self._initial = (start, frozen)
        self._setting = self._setting_for(start, frozen)

    def _setting_for(self, start: datetime | None, frozen: bool) -> _Setting:
        wall_now = datetime.fromtimestamp(self._wall(), UTC)
        start = start or wall_now
        return _Setting((start - wall_now).total_seconds(), start if frozen else None)

    def now(self) -> datetime:
        return self._read(self._setting)

    def _read(self, setting: _Setting) -> datetime:
        if setting.frozen_at is not None:
            return setting.frozen_at
        return datetime.fromtimestamp(self._wall(), UTC) + timedelta(seconds=setting.offset)

    def timestamp(self) -> int:
        """Whole seconds since the epoch, for JWT claims (without building a datetime)."""
        setting = self._setting
        if setting.frozen_at is not None:
            return int(setting.frozen_at.timestamp())
        return int(self._wall() + setting.offset)

    def seconds(self) -> float:
        """Seconds since the epoch with their fraction (rate-limit buckets; no datetime built)."""
        setting = self._setting
        if setting.frozen_at is not None:
            return setting.frozen_at.timestamp()
        return self._wall() + setting.offset

    @property
    def frozen(self) -> bool:
        return self._setting.frozen_at is not None

    def set(self, now: datetime | None = None, frozen: bool | None = None) -> datetime:
        with self._lock:
            target = now or self._read(self._setting)
            keep_frozen = self.frozen if frozen is None else frozen
            self._setting = self._setting_for(target, keep_frozen)
            result = self._read(self._setting)
        self._notify(result)
        return result

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            offset, frozen_at = self._setting
            if frozen_at is not None:
                self._setting = _Setting(offset, frozen_at + timedelta(seconds=seconds))
            else:
                self._setting = _Setting(offset + seconds, None)
            result = self._read(self._setting)
        self._notify(result)
        return result

    def reset(self) -> None:
        """Back to the configuration the clock was created with."""
        with self._lock:
            self._setting = self._setting_for(*self._initial)

    def capture(self) -> tuple[datetime, bool]:
        """The instant shown now and whether the clock is frozen (for a snapshot)."""
        setting = self._setting
        return self._read(setting), setting.frozen_at is not None

    def restore(self, captured: tuple[datetime, bool]) -> None:
        """Show the captured instant again (running on from it, or frozen at it), without
        telling listeners: the state restored alongside already matches that instant."""
        with self._lock:
            self._setting = self._setting_for(*captured)

    def on_change(self, listener: Callable[[datetime], None]) -> None:
        """Call `listener(now)` after every set/advance (e.g. to deliver emails that came due)."""
        self._listeners.append(listener)

    def _notify(self, now: datetime) -> None:
        for listener in list(self._listeners):
            listener(now)
