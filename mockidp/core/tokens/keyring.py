"""A tenant's signing keys, the part of the tenant that tokens/ owns (`tenant.keys`): the keyring
Auth0 keeps per tenant, a current key that signs, the next key that a rotation makes current,
and the previous keys, which still verify until they are revoked.

Which keys the keyring holds and when each was current is tenant state (reset, snapshots, state
files); the key material is not: key N is read from mockidp's state directory (core/tokens/keys.py)
the first time it is needed. That import costs ~40 ms of `cryptography`, which start-up and health
checks do not need, and a key never needed (the next key, until the JWKS or the key list is read
or a rotation makes it current) is never generated.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant
    from .keys import PrivateKey, SigningKey


class KeySlot(NamedTuple):
    """One key of the keyring; `number` names its material (keys.key_file_name)."""

    number: int
    current_since: str | None = None  # when it became the current key
    current_until: str | None = None  # when a rotation made it a previous key
    revoked_at: str | None = None


class Keyring:
    """Slots in the order the keys were made: every slot but the last two is a previous key, the
    one before last is the current key, the last one is the next key. Slot tuples are replaced,
    never changed, so a capture is the tuple itself."""

    def __init__(self, state_dir: Path | None, keep: bool = True, started: str | None = None):
        self._state_dir = state_dir
        self._keep = keep  # False: keys in memory only (tenants created at run time)
        self._material: dict[int, "SigningKey"] = {}
        self._other_material: dict[str, "PrivateKey"] = {}
        self._lock = threading.Lock()
        self.initial = (KeySlot(0, current_since=started), KeySlot(1))
        self.slots: tuple[KeySlot, ...] = self.initial
        self._current: "SigningKey | None" = None  # the current slot's key, once read
        self.on_change: Callable[[], None] = lambda: None  # a key stopped verifying, or may have

    # --- signing and verifying (hot: keep these cheap) -----------------------------------------

    @property
    def signing_key(self) -> "SigningKey":
        current = self._current
        if current is None:
            current = self._current = self.material(self.slots[-2].number)
        return current

    def verifying_key(self, kid: object) -> "SigningKey | None":
        """The key that signed a token with this kid: the current key or a previous key not
        revoked. The next key has signed nothing, so it is not looked at (nor generated)."""
        current = self.signing_key
        if kid == current.kid:
            return current
        for slot in self.slots[:-2]:
            if slot.revoked_at is None and self.material(slot.number).kid == kid:
                return self.material(slot.number)
        return None

    def material(self, number: int) -> "SigningKey":
        def load() -> "SigningKey":
            from .keys import load_or_create_signing_key  # cryptography: first use only

            return load_or_create_signing_key(self._state_dir, self._keep, number)

        return self._loaded_once(self._material, number, load)

    def other_key(self, file_name: str, kind: str) -> "PrivateKey":
        """Key material for other uses (a connection's keys, an encryption key's wrapping key),
        kept where and as long as the signing keys are (keys.load_or_create_private_key)."""
        def load() -> "PrivateKey":
            from .keys import load_or_create_private_key  # cryptography: first use only

            return load_or_create_private_key(file_name, self._state_dir, self._keep, kind)

        return self._loaded_once(self._other_material, file_name, load)

    def _loaded_once(self, cache: dict, name: Any, load: Callable[[], Any]) -> Any:
        """`cache[name]`, loaded by `load` the first time: read without the lock once there,
        loaded under it so two threads never make (or write) the same key file twice."""
        key = cache.get(name)
        if key is None:
            with self._lock:
                key = cache.get(name)
                if key is None:
                    key = cache[name] = load()
        return key

    # --- what Auth0 publishes and lists --------------------------------------------------------

    def listed(self) -> list[KeySlot]:
        """Current, next, then the previous keys (revoked ones too), newest first."""
        return [self.slots[-2], self.slots[-1], *reversed(self.slots[:-2])]

    def published(self) -> list["SigningKey"]:
        """The JWKS: every listed key not revoked."""
        return [self.material(slot.number) for slot in self.listed() if slot.revoked_at is None]

    def role(self, slot: KeySlot) -> str:
        if slot.number == self.slots[-1].number:
            return "next"
        return "current" if slot.number == self.slots[-2].number else "previous"

    def slot_of(self, kid: str) -> KeySlot | None:
        return next((slot for slot in self.listed() if self.material(slot.number).kid == kid), None)

    # --- changes (under the tenant lock) -------------------------------------------------------

    def rotate(self, now: str) -> KeySlot:
        """The next key becomes current, the current one previous, and a new next key is due."""
        *older, current, upcoming = self.slots
        self._set((*older, current._replace(current_until=now), upcoming._replace(current_since=now),
                   KeySlot(upcoming.number + 1)))
        return self.slots[-2]

    def revoke(self, slot: KeySlot, now: str) -> KeySlot:
        revoked = slot._replace(revoked_at=now)
        self._set(tuple(revoked if each.number == slot.number else each for each in self.slots))
        return revoked

    def restore(self, slots: tuple[KeySlot, ...]) -> None:
        self._set(tuple(slots))

    def reset(self) -> None:
        self._set(self.initial)

    def _set(self, slots: tuple[KeySlot, ...]) -> None:
        self.slots = slots
        self._current = None
        self.on_change()


def install_keyring(tenant: "Tenant", forget_verified: Callable[[], None]) -> Keyring:
    """The tenant's keyring; `forget_verified` empties the caches of verified tokens, which must
    check their key again once it may have been revoked (or a reset took a rotation back)."""
    from ..tenant.clock import iso

    config = tenant.config
    keyring = Keyring(config.state_dir, config.keep_signing_key, iso(tenant.clock.now()))
    keyring.on_change = forget_verified
    tenant.on_reset(keyring.reset)
    tenant.on_snapshot(lambda: keyring.slots, keyring.restore, types=(KeySlot,))
    return keyring
