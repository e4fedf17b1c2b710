"""A tenant's signing keys, the part of the tenant that tokens/ owns (`tenant.keys`).

The key is read on first use: core/tokens/keys.py imports `cryptography` (~40 ms), which
start-up and health checks do not need.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .keys import SigningKey


class Keyring:
    def __init__(self, state_dir: Path | None, keep: bool = True):
        self._state_dir = state_dir
        self._keep = keep  # False: a key in memory only (tenants created at run time)
        self._signing_key: "SigningKey | None" = None
        self._lock = threading.Lock()

    @property
    def signing_key(self) -> "SigningKey":
        if self._signing_key is None:
            with self._lock:
                if self._signing_key is None:
                    from .keys import load_or_create_signing_key  # cryptography: first token only

                    self._signing_key = load_or_create_signing_key(self._state_dir, self._keep)
        return self._signing_key
