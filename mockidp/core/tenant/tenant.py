"""A Tenant is the whole world of one Auth0 tenant: directory, clock, seeded RNG, settings and
signing key. Reset restores the state right after the fixtures were loaded, in O(records)."""
from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from ..directory.records import Directory
from ..email.mailroom import Mailroom, startup_email_settings
from ..tokens.jwt import VerifiedTokens
from ..traffic.controls import install_traffic
from .clock import Clock
from .rng import TenantRandom
from .settings import MockSettings

if TYPE_CHECKING:
    from ..actions.triggers import ActionQueue
    from ..tokens.keys import SigningKey

DEFAULT_TENANT_SETTINGS = {
    "friendly_name": "mockidp",
    "support_email": "support@mockidp.local",
    "support_url": "",
    "default_audience": "",
    "default_directory": "",
    "flags": {},
}


class TenantConfig(NamedTuple):
    """Everything a tenant is built from. `fixture` is the merged, validated fixture data."""

    fixture: Mapping[str, Any] = MappingProxyType({})
    seed: int = 0
    public_url: str | None = None
    state_dir: Path | None = None
    clock_start: datetime | None = None
    clock_frozen: bool = False


class Tenant:
    def __init__(self, config: TenantConfig, signing_key: "SigningKey | None" = None):
        from ..fixtures.loading import (
            populate,  # fixtures builds on the domain modules, which import us
        )

        self.config = config
        self.lock = threading.RLock()
        self.clock = Clock(config.clock_start, config.clock_frozen)
        self.rng = TenantRandom(config.seed)
        self._signing_key = signing_key
        self._lazy_lock = threading.Lock()  # guards members created on first use
        self.verified_tokens = VerifiedTokens()
        # Auth0's own tenant settings (friendly_name, support_email, flags, ...).
        self.tenant_settings = {**DEFAULT_TENANT_SETTINGS, **(config.fixture.get("tenant") or {})}
        # The mock's knobs (/_mock/settings): features register their sections.
        self.mock_settings = MockSettings()
        self._reset_hooks: list[Callable[[], None]] = []
        # Latency, faults and pause points (core/traffic.py): its settings sections + reset hook.
        self.traffic = install_traffic(self)
        # The mailroom (core/mail.py): email queue + outbox, its "email" settings and reset hook.
        self.mailroom = Mailroom(self, startup_email_settings(config.fixture))
        # Actions (core/action_triggers.py): the CA file Actions trust to call mockidp over HTTPS
        # (MockIdP sets it), the queue of asynchronous triggers, and recent executions.
        self.action_ca_file: "Path | None" = None
        self.action_executions: list[dict] = []
        self.action_execution_count = 0  # numbers execution ids; reset with them
        self._action_queue: "ActionQueue | None" = None
        self.on_reset(self._forget_actions)
        # Bumped by every reset: work that began before one (an Action running in Node) checks
        # it before touching state, so a test never sees the previous test's leftovers.
        self.generation = 0
        self.directory = Directory()
        populate(self, config.fixture)
        self._pristine = (self.directory.snapshot(), self.rng.getstate())

    @property
    def signing_key(self) -> "SigningKey":
        """Loaded on first use: reading it pulls in `cryptography`, which health checks and
        start-up do not need."""
        if self._signing_key is None:
            with self._lazy_lock:
                if self._signing_key is None:
                    from ..tokens.keys import load_or_create_signing_key

                    self._signing_key = load_or_create_signing_key(self.config.state_dir)
        return self._signing_key

    @property
    def action_queue(self) -> "ActionQueue":
        with self._lazy_lock:
            if self._action_queue is None:
                from ..actions.triggers import ActionQueue

                self._action_queue = ActionQueue()
        return self._action_queue

    def _forget_actions(self) -> None:
        self.action_executions.clear()
        self.action_execution_count = 0
        if self._action_queue is not None:
            self._action_queue.cancel_pending()

    def close(self) -> None:
        """Stop background work (queued Actions) when the server stops."""
        if self._action_queue is not None:
            self._action_queue.shutdown()

    @property
    def public_url(self) -> str | None:
        return self.config.public_url

    def reset(self) -> None:
        """Back to the loaded fixtures: same seed, same ids from here on."""
        directory, rng_state = self._pristine
        with self.lock:
            self.directory = directory.snapshot()
            self.rng.setstate(rng_state)
            self.clock.reset()
            self.mock_settings.reset()
            self.generation += 1
            for hook in self._reset_hooks:
                hook()

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Run `hook` (under the tenant lock) on every reset: for state kept outside the
        directory, such as an outbox or fault counters."""
        self._reset_hooks.append(hook)
