"""The tenant's encryption key hierarchy (/api/v2/keys/encryption): a root key (Auth0's
`environment-root-key`, or a `customer-provided-root-key` once one is imported) wraps the active
`tenant-master-key`. Auth0 never forgets a key: one it replaces or a customer deletes stays
listed as `destroyed`, its `updated_at` the moment it went.

What the recordings show (TestEncryptionKeyManager_*; the lists hold 110 keys of one tenant's
history, so each change is read from the timestamps around it):

- a new tenant has an active environment root key and an active master key under it;
- rekey: the active master key is destroyed and a new one made under the same root;
- deleting a customer root key still awaiting its material: it is destroyed, and the master key
  is rekeyed (every deletion in the lists is followed within 40 ms by a new master key);
- importing a customer root key: it becomes the active root, the previous root is destroyed, a
  new master key is made under it and the previous master key is destroyed;
- deleting the active customer root key: a new environment root key and a new master key under
  it are made (Auth0 does not bring the old environment root back), the customer key and the
  previous master key are destroyed.

Whenever the master key changes, the destroyed one shows the root it was last wrapped with: its
`parent_kid` becomes the new root (the lists show a destroyed master key naming the customer key
imported as it went, and the one made at the import naming the environment root made as the
customer key was deleted).

The records live in the directory (`directory.resources[PATH]`, declared in
core/resources/catalog/settings.py), replaced, never changed, like every stored record: reset and
snapshots cover them. Kids come from the tenant RNG, times from the tenant clock.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..tenant import ids
from ..tenant.clock import iso
from ..tenant.errors import ManagementError, not_found

if TYPE_CHECKING:
    from ..tenant.tenant import Tenant

PATH = "/keys/encryption"
ENVIRONMENT_ROOT = "environment-root-key"
CUSTOMER_ROOT = "customer-provided-root-key"
MASTER = "tenant-master-key"
ROOTS = frozenset((ENVIRONMENT_ROOT, CUSTOMER_ROOT))
ACTIVE, DESTROYED, PRE_ACTIVATION = "active", "destroyed", "pre-activation"
WRAPPING_KEY = "wrapping_key"  # the number of a key's latest wrapping key (core/tokens/wrapping.py)
NOT_FOUND = "The encryption key does not exist."


def shaped(record: dict) -> dict:
    """A key's keys in Auth0's order (kid, type, state, created_at, updated_at, parent_kid), then
    whatever else it holds."""
    order = ("kid", "type", "state", "created_at", "updated_at", "parent_kid")
    return {**{key: record[key] for key in order if key in record}, **record}


def install(tenant: "Tenant") -> None:
    """A new tenant's hierarchy: an environment root key and a master key under it. Called as the
    tenant is built, with the fixtures, so reset comes back to these very keys."""
    with tenant.lock:
        keys = dict(_stored(tenant))
        now = iso(tenant.clock.now())
        root = _new_key(tenant, keys, ENVIRONMENT_ROOT, None, now)
        _new_key(tenant, keys, MASTER, root, now)
        _save(tenant, keys)


def rekey(tenant: "Tenant") -> None:
    """POST /keys/encryption/rekey: a new master key under the active root, the old one destroyed."""
    with tenant.lock:
        keys = dict(_stored(tenant))
        now = iso(tenant.clock.now())
        _rotate_master(tenant, keys, _active_root(tenant, keys, now), now)
        _save(tenant, keys)


def activate_root(tenant: "Tenant", kid: str) -> dict:
    """The customer root key `kid`, its material imported, becomes the active root: the previous
    root goes, and a new master key is made under the new one. The activated key, as stored."""
    with tenant.lock:
        keys = dict(_stored(tenant))
        now = iso(tenant.clock.now())
        for other, record in list(keys.items()):
            if record.get("type") in ROOTS and record.get("state") == ACTIVE:
                keys[other] = _destroyed(record, now)
        keys[kid] = shaped({key: value for key, value in keys[kid].items() if key != WRAPPING_KEY}
                           | {"state": ACTIVE, "updated_at": now})
        _rotate_master(tenant, keys, kid, now)
        _save(tenant, keys)
        return keys[kid]


def delete(tenant: "Tenant", kid: str) -> None:
    """DELETE /keys/encryption/{kid}: the key is destroyed (and stays listed). A customer root key
    takes the master key with it: rekeyed under the active root, or, when the deleted key was
    that root, under a new environment root key. A key already destroyed stays as it is (Auth0
    answers the second DELETE 204, recorded). Auth0's own keys are not the customer's to delete
    (not recorded: mockidp answers 400, see docs/behaviour.md)."""
    with tenant.lock:
        keys = dict(_stored(tenant))
        record = keys.get(kid)
        if record is None:
            raise not_found(NOT_FOUND)
        if record.get("state") == DESTROYED:
            return
        if record.get("type") in (ENVIRONMENT_ROOT, MASTER):
            raise ManagementError(400, "Invalid key id or unsupported key type.")
        now = iso(tenant.clock.now())
        if record.get("type") == CUSTOMER_ROOT:
            root = (_new_key(tenant, keys, ENVIRONMENT_ROOT, None, now) if record.get("state") == ACTIVE
                    else _active_root(tenant, keys, now))
            _rotate_master(tenant, keys, root, now)
        keys[kid] = _destroyed(record, now)
        _save(tenant, keys)


# --- helpers (under the tenant lock) ---------------------------------------------------------

def _stored(tenant: "Tenant") -> dict[str, dict]:
    return tenant.directory.resources.get(PATH, {})


def _save(tenant: "Tenant", keys: dict[str, dict]) -> None:
    # A new table in a new directory map: a snapshot taken before keeps seeing the old ones.
    tenant.directory.resources = {**tenant.directory.resources, PATH: keys}


def _new_key(tenant: "Tenant", keys: dict, kind: str, parent: str | None, now: str) -> str:
    kid = ids.uuid4(tenant.rng)
    keys[kid] = {"kid": kid, "type": kind, "state": ACTIVE, "created_at": now, "updated_at": now,
                 "parent_kid": parent}
    return kid


def _destroyed(record: dict, now: str, **changes) -> dict:
    # A destroyed key awaits no import: its wrapping key goes with it.
    kept = {key: value for key, value in record.items() if key != WRAPPING_KEY}
    return {**kept, "state": DESTROYED, "updated_at": now, **changes}


def _active_root(tenant: "Tenant", keys: dict, now: str) -> str:
    """The active root's kid; a hierarchy without one (a state saved before mockidp kept keys)
    gets an environment root key, as every Auth0 tenant has."""
    for kid, record in keys.items():
        if record.get("type") in ROOTS and record.get("state") == ACTIVE:
            return kid
    return _new_key(tenant, keys, ENVIRONMENT_ROOT, None, now)


def _rotate_master(tenant: "Tenant", keys: dict, root: str, now: str) -> None:
    """A new active master key under `root`; the previous one destroyed, naming `root` too."""
    for kid, record in list(keys.items()):
        if record.get("type") == MASTER and record.get("state") == ACTIVE:
            keys[kid] = _destroyed(record, now, parent_kid=root)
    _new_key(tenant, keys, MASTER, root, now)
