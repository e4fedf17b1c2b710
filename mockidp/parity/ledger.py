"""The ledger: a committed JSON file naming the interactions that match today, so that a change
making one of them stop matching fails (a ratchet) while new matches only say the ledger can be
updated. An interaction is named `<cassette name>#<index>`; `status` lists those whose status
matches, `full` those whose status and top-level keys match.

Only cassettes the run replayed are judged or rewritten: a run over part of the recordings
neither fails for nor forgets the rest.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .replay import Result

FORMAT_VERSION = 1


class LedgerError(ValueError):
    """A ledger file that cannot be read."""


@dataclass(frozen=True)
class Ledger:
    status: frozenset[str]
    full: frozenset[str]

    @classmethod
    def empty(cls) -> "Ledger":
        return cls(frozenset(), frozenset())

    @classmethod
    def of(cls, results: list[Result]) -> "Ledger":
        return cls(frozenset(r.key for r in results if r.status_matches),
                   frozenset(r.key for r in results if r.fully_matches))


@dataclass(frozen=True)
class Verdict:
    lost_status: list[str]  # in the ledger's status set, status no longer matches
    lost_full: list[str]  # in the ledger's full set, no longer a full match
    new_status: list[str]
    new_full: list[str]

    @property
    def failed(self) -> bool:
        return bool(self.lost_status or self.lost_full)


def load(path: Path) -> Ledger:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return Ledger(frozenset(document["status"]), frozenset(document["full"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LedgerError(f"{path}: not a parity ledger ({exc.__class__.__name__}: {exc})") from None


def judge(ledger: Ledger, results: list[Result]) -> Verdict:
    replayed = _cassettes(r.key for r in results)
    now = Ledger.of(results)
    status = {key for key in ledger.status if _cassette(key) in replayed}
    full = {key for key in ledger.full if _cassette(key) in replayed}
    return Verdict(sorted(status - now.status), sorted(full - now.full),
                   sorted(now.status - status), sorted(now.full - full))


def updated(previous: Ledger, results: list[Result]) -> Ledger:
    """The ledger with every replayed cassette's entries replaced by this run's."""
    replayed = _cassettes(r.key for r in results)
    now = Ledger.of(results)
    keep = lambda keys: {key for key in keys if _cassette(key) not in replayed}  # noqa: E731
    return Ledger(frozenset(keep(previous.status) | now.status), frozenset(keep(previous.full) | now.full))


def save(path: Path, ledger: Ledger) -> None:
    document = {"format": FORMAT_VERSION,
                "about": "Interactions that match Auth0's recordings today (mockidp parity "
                         "--update-ledger rewrites this file; see docs/parity.md).",
                "status": sorted(ledger.status, key=_order), "full": sorted(ledger.full, key=_order)}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def describe(verdict: Verdict) -> str:
    lost_full_only = [key for key in verdict.lost_full if key not in set(verdict.lost_status)]
    lines = [f"REGRESSION: {key} no longer matches its recorded status" for key in verdict.lost_status]
    lines += [f"REGRESSION: {key} no longer matches its recorded keys" for key in lost_full_only]
    if verdict.new_status or verdict.new_full:
        lines.append(f"ledger can be updated: {len(verdict.new_status)} new status matches, "
                     f"{len(verdict.new_full)} new full matches (run with --update-ledger)")
    return "\n".join(lines)


def regressed(verdict: Verdict) -> int:
    """How many interactions lost a match they had."""
    return len(set(verdict.lost_status) | set(verdict.lost_full))


def _cassette(key: str) -> str:
    return key.rsplit("#", 1)[0]


def _cassettes(keys) -> set[str]:
    return {_cassette(key) for key in keys}


def _order(key: str) -> tuple[str, int]:
    cassette, index = key.rsplit("#", 1)
    return cassette, int(index)
