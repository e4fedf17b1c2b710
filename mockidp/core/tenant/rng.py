"""The tenant's seeded random source: every id, secret and jitter comes from here, so the same
seed and the same requests produce the same bytes. Snapshots make reset restore the sequence."""
from __future__ import annotations

from random import Random  # deliberate: the one seeded generator of a tenant

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"
DIGITS = "0123456789"


class TenantRandom:
    def __init__(self, seed: int):
        self.seed = seed
        self._random = Random(seed)

    def chars(self, alphabet: str, length: int) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def alnum(self, length: int) -> str:
        return self.chars(ALNUM, length)

    def hex(self, length: int) -> str:
        return self.chars(HEX, length)

    def digits(self, length: int) -> str:
        return self.chars(DIGITS, length)

    def uniform(self, low: float, high: float) -> float:
        return self._random.uniform(low, high)

    def random(self) -> float:
        return self._random.random()

    def randbytes(self, count: int) -> bytes:
        return self._random.randbytes(count)

    def getstate(self) -> object:
        return self._random.getstate()

    def setstate(self, state: object) -> None:
        self._random.setstate(state)

    def derive_seed(self) -> int:
        """A seed for a library that wants its own generator (Faker), drawn from this one."""
        return self._random.getrandbits(63)
