"""The Tenant: what every domain of one Auth0 tenant shares (its configuration, lock, clock,
seeded RNG, settings and reset), plus the parts the domains attach to it.

This module knows no domain: core/assembly.py builds a Tenant and has each domain attach its
part (the directory, the mailroom, the traffic controls, the signing keys, the Action runs...).
Each part registers what a reset does to it with `on_reset`, and what a shutdown does with
`on_close`, and how to capture and restore its state with `on_snapshot`. Reset returns to the
state right after the fixtures were loaded, in O(records); a snapshot (`capture`/`restore`)
returns to any moment the same way.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, NamedTuple
from urllib.parse import urlsplit

from . import statefile
from .clock import Clock
from .journal import DEFAULT_BYTES as DEFAULT_JOURNAL_BYTES
from .journal import DEFAULT_SIZE as DEFAULT_JOURNAL_SIZE
from .journal import Journal
from .rng import TenantRandom
from .settings import MockSettings

if TYPE_CHECKING:
    from ..actions.executions import ActionRuns
    from ..applications.resource_servers import ResourceServerChanges
    from ..directory.changes import AccountChanges
    from ..directory.records import Directory
    from ..email.mailroom import Mailroom
    from ..tokens.jwt import VerifiedTokens
    from ..tokens.keyring import Keyring
    from ..traffic.controls import Traffic

DEFAULT_TENANT_SETTINGS = {
    "friendly_name": "mockidp",
    "support_email": "support@mockidp.local",
    "support_url": "",
    "default_audience": "",
    "default_directory": "",
    "flags": {},
}


class TenantConfig(NamedTuple):
    """Everything a tenant is built from. `fixture` is the merged, validated fixture data;
    `management_scopes` are the scopes the Management API routes accept (api/ knows them)."""

    fixture: Mapping[str, Any] = MappingProxyType({})
    seed: int = 0
    public_url: str | None = None
    state_dir: Path | None = None
    clock_start: datetime | None = None
    clock_frozen: bool = False
    management_scopes: tuple[str, ...] = ()
    keep_signing_key: bool = True  # False: its key lives in memory only (POST /_mock/tenants)
    journal_size: int = DEFAULT_JOURNAL_SIZE  # requests the journal keeps (0: none)
    journal_bytes: int = DEFAULT_JOURNAL_BYTES  # and the bytes of their bodies (0: no such bound)


class TenantSnapshot(NamedTuple):
    """A tenant's state at one moment (Tenant.capture), in memory."""

    rng: object
    clock: tuple[datetime, bool]
    parts: tuple[Any, ...]


class Tenant:
    # The parts the domains attach (core/assembly.py), named here for readers and type checkers.
    directory: "Directory"              # directory/: users, applications, APIs, tickets, ...
    account_changes: "AccountChanges"   # directory/: who reacts to a password change or a link
    resource_server_changes: "ResourceServerChanges"  # applications/: who reacts to a removed scope
    keys: "Keyring"                     # tokens/: the signing key, loaded on first use
    verified_tokens: "VerifiedTokens"   # tokens/: Management API tokens already verified
    verified_userinfo_tokens: "VerifiedTokens"  # tokens/: /userinfo tokens already verified
    traffic: "Traffic"                  # traffic/: latency, faults, barriers
    mailroom: "Mailroom"                # email/: the email queue and the outbox
    actions: "ActionRuns"               # actions/: queued runs and recent executions

    def __init__(self, config: TenantConfig):
        self.config = config
        self.lock = threading.RLock()  # one lock around every state change of this tenant
        self.clock = Clock(config.clock_start, config.clock_frozen)
        self.rng = TenantRandom(config.seed)
        # Auth0's own tenant settings (friendly_name, support_email, flags, ...).
        self.tenant_settings = {**DEFAULT_TENANT_SETTINGS, **(config.fixture.get("tenant") or {})}
        # The mock's knobs (/_mock/settings): each part registers its sections.
        self.mock_settings = MockSettings()
        # Every request and what it caused (not part of the state: it records, never decides).
        self.journal = Journal(config.journal_size, config.journal_bytes)
        # Bumped by every reset: work that began before one (an Action running in Node) checks
        # it before touching state, so a test never sees the previous test's leftovers.
        self.generation = 0
        self._reset_hooks: list[Callable[[], None]] = []
        self._snapshot_parts: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []
        self.snapshots: dict[str, TenantSnapshot] = {}  # named by /_mock/snapshots; survive resets
        self._state_types: dict[str, type] = {}
        self._state_checks: list[Callable[[Any], Any] | None] = []
        self._baseline: TenantSnapshot | None = None  # an imported state: what reset returns to
        self._close_hooks: list[Callable[[], None]] = []
        self._pristine_rng: object = None
        self._pristine_settings: dict = self.tenant_settings

    @property
    def public_url(self) -> str | None:
        return self.config.public_url

    @property
    def public_host(self) -> str:
        """The host of the public URL, standing where Auth0 names its tenant's domain
        (`go-auth0-dev.eu.auth0.com` in the recordings); "localhost" without --public-url."""
        return (urlsplit(self.config.public_url).hostname if self.config.public_url else None) or "localhost"

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Run `hook` (under the tenant lock) on every reset, in registration order."""
        self._reset_hooks.append(hook)

    def on_close(self, hook: Callable[[], None]) -> None:
        """Run `hook` when the server stops (background work of a part)."""
        self._close_hooks.append(hook)

    def on_snapshot(self, capture: Callable[[], Any], restore: Callable[[Any], None],
                    types: tuple[type, ...] = (), check: Callable[[Any], Any] | None = None) -> None:
        """A part's state: `capture()` returns it (a copy later changes cannot reach) and
        `restore(captured)` puts it back (copying again, so a snapshot can be restored often).
        Both run under the tenant lock. `types` are the record classes in it, which state files
        write by name (core/tenant/statefile.py). `check(captured)` raises if a state read from a
        file cannot be restored: every part is checked before any part changes."""
        self._snapshot_parts.append((capture, restore))
        self._state_types.update((cls.__name__, cls) for cls in types)
        self._state_checks.append(check)

    def export_state(self) -> str:
        """The tenant's whole state as a deterministic JSON document (GET /_mock/state)."""
        snapshot = self.capture()
        return statefile.dumps(snapshot.rng, snapshot.clock, snapshot.parts, self._state_types)

    def import_state(self, document: Any) -> None:
        """Load a state document (raises StateError, changing nothing, if it cannot be read);
        from then on reset returns to it."""
        rng, clock, parts = statefile.loads(document, self._state_types, len(self._snapshot_parts))
        statefile.check_parts(parts, self._state_checks)
        snapshot = TenantSnapshot(rng, clock, parts)
        with self.lock:
            self.restore(snapshot)
            self._baseline = snapshot

    def capture(self) -> "TenantSnapshot":
        """The whole state of the tenant now: RNG, clock and every part's state."""
        with self.lock:
            return TenantSnapshot(self.rng.getstate(), self.clock.capture(),
                                  tuple(capture() for capture, _ in self._snapshot_parts))

    def restore(self, snapshot: "TenantSnapshot") -> None:
        """Back to a captured state: the same requests then give the same ids and bytes."""
        with self.lock:
            self.rng.setstate(snapshot.rng)
            self.clock.restore(snapshot.clock)
            self.generation += 1  # work begun before the restore must not land after it
            for (_, restore), captured in zip(self._snapshot_parts, snapshot.parts):
                restore(captured)

    def seal(self) -> None:
        """The fixtures are loaded: from now on, reset returns here."""
        self._pristine_rng = self.rng.getstate()
        self._pristine_settings = self.tenant_settings  # PATCH /tenants/settings replaces, never changes it

    def reset(self) -> None:
        """Back to the loaded fixtures: same seed, same ids from here on."""
        with self.lock:
            self.rng.setstate(self._pristine_rng)
            self.tenant_settings = self._pristine_settings
            self.clock.reset()
            self.mock_settings.reset()
            self.generation += 1
            for hook in self._reset_hooks:
                hook()
            if self._baseline is not None:
                self.restore(self._baseline)

    def close(self) -> None:
        for hook in self._close_hooks:
            hook()
