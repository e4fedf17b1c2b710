"""The tenant's request journal: what was asked, what was answered and what it caused.

A bounded ring of entries (its size set at start-up, so memory stays flat however long a server
runs). The api layer records each request (api/harness/journal.py); the core notes what a request
caused (emails queued, log events, Action executions) and whose request it was (the user who
logged in, whose grant or token it was, whom a Management call addresses) through `effects`, a
context variable set for the duration of one request on its thread, so core code needs no
request object to say "this came from that". Work a request hands to another thread (an
asynchronous Action) takes the request's context along (`carried`), so what it causes later is
still noted on that request's entry.
Request ids count per tenant (`req_00000001`, ...): they never draw from the tenant RNG, so
turning the journal on or off never changes the ids a tenant hands out.
"""
from __future__ import annotations

import threading
from collections import deque
from contextvars import ContextVar, copy_context
from typing import Any, Callable

DEFAULT_SIZE = 1000
DEFAULT_BYTES = 8 * 1024 * 1024  # per tenant; a full ring of 16 KB bodies each way would be 32 MB


class Effects:
    """What one request caused, filled in by the core while it runs."""

    def __init__(self, request_id: str):
        self.request_id = request_id
        self.user_id: str | None = None  # the first user noted: later ones are who it touched
        self.emails: list[str] = []
        self.logs: list[str] = []
        self.actions: list[str] = []


_current: ContextVar[Effects | None] = ContextVar("mockidp_request_effects", default=None)


def current_request_id() -> str | None:
    effects = _current.get()
    return effects.request_id if effects else None


def note_email(message_id: str) -> None:
    effects = _current.get()
    if effects is not None:
        effects.emails.append(message_id)


def note_log(log_id: str, user_id: str | None = None) -> None:
    effects = _current.get()
    if effects is not None:
        effects.logs.append(log_id)
        if user_id:
            note_user(user_id)


def note_user(user_id: str) -> None:
    """Whose request this is, if no one was noted before."""
    effects = _current.get()
    if effects is not None and effects.user_id is None:
        effects.user_id = user_id


def note_action(execution_id: str) -> None:
    effects = _current.get()
    if effects is not None:
        effects.actions.append(execution_id)


def carried(job: Callable[[], Any]) -> Callable[[], Any]:
    """`job`, to run later on another thread as part of the current request: what it causes
    (an asynchronous Action's execution, its log events) is noted on this request's entry."""
    context = copy_context()
    return lambda: context.run(job)


class Journal:
    """The newest requests: at most `size` entries, and at most `max_bytes` of them as the api
    layer counts them (add's `weight`: the entry's stored bodies plus a fixed overhead), so a
    run of large bodies cannot make the ring big. The newest entry is always kept."""

    def __init__(self, size: int = DEFAULT_SIZE, max_bytes: int = DEFAULT_BYTES):
        self.size = size
        self.max_bytes = max_bytes  # 0: bounded by `size` only
        self._entries: deque[tuple[Any, int]] = deque()  # (entry as the api layer records it, weight)
        self._weight = 0
        self._lock = threading.Lock()
        self._count = 0

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def begin(self) -> tuple[Effects, object]:
        """A new request id and the effects collector for it, made current on this thread."""
        with self._lock:
            self._count += 1
            effects = Effects(f"req_{self._count:08d}")
        return effects, _current.set(effects)

    @staticmethod
    def end(token: object) -> None:
        _current.reset(token)  # type: ignore[arg-type]

    def add(self, entry: Any, weight: int = 0) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries.append((entry, weight))
            self._weight += weight
            while len(self._entries) > self.size or (self.max_bytes and self._weight > self.max_bytes
                                                     and len(self._entries) > 1):
                _, dropped = self._entries.popleft()
                self._weight -= dropped

    @property
    def weight(self) -> int:
        """The bytes the ring counts now (at most max_bytes, unless one entry alone is heavier)."""
        return self._weight

    def entries(self) -> list[Any]:
        """Oldest first."""
        with self._lock:
            return [entry for entry, _ in self._entries]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self._weight = 0
            return count
