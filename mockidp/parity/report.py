"""Reporting a replay: the per-family tables and totals printed for people, and the JSON file
with every interaction's result for tools."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import compare, dependence
from .replay import Result

APIS = ("management", "authentication")


@dataclass(frozen=True)
class Figures:
    """Counts for one family, one API or the whole replay."""

    interactions: int
    status_matches: int
    full_matches: int
    classes: Counter

    @classmethod
    def of(cls, results: list[Result]) -> "Figures":
        return cls(len(results), sum(r.status_matches for r in results),
                   sum(r.fully_matches for r in results), Counter(r.classification for r in results))

    @property
    def status_percent(self) -> float:
        return _percent(self.status_matches, self.interactions)

    @property
    def full_percent(self) -> float:
        return _percent(self.full_matches, self.interactions)

    @property
    def mismatches(self) -> int:
        return self.interactions - self.full_matches

    def as_json(self) -> dict:
        return {"interactions": self.interactions, "status_matches": self.status_matches,
                "full_matches": self.full_matches, "status_percent": round(self.status_percent, 1),
                "full_percent": round(self.full_percent, 1),
                "classes": {name: self.classes.get(name, 0) for name in compare.CLASSES}}


def by_family(results: list[Result]) -> dict[str, list[Result]]:
    families: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        families[result.family].append(result)
    return families


def tables(results: list[Result]) -> str:
    """One table per API (families by interactions, then name) with its totals, then the total."""
    sections = []
    for api in APIS:
        mine = [result for result in results if result.api == api]
        if mine:
            sections.append(_table(api, mine))
    sections.append(_line("TOTAL (both APIs)", Figures.of(results)))
    return "\n\n".join(sections)


def _table(api: str, results: list[Result]) -> str:
    header = f"{api.upper():58} {'n':>5} {'status':>7} {'+keys':>7} {'5xx':>4} {'route':>5}"
    families = sorted(by_family(results).items(), key=lambda item: (-len(item[1]), item[0]))
    lines = [header, "-" * len(header)]
    lines += [_line(family, Figures.of(members)) for family, members in families]
    lines += ["-" * len(header), _line(f"{api} total ({len(families)} families)", Figures.of(results))]
    lines.append(_line(f"{api} self-contained", Figures.of(self_contained(results))))
    lines.append(f"  ({_dependence_note(results)})")
    return "\n".join(lines)


def self_contained(results: list[Result]) -> list[Result]:
    """The interactions that depend on nothing the recording tenant already had."""
    return [result for result in results if result.self_contained]


def dependent_counts(results: list[Result]) -> dict[str, int]:
    counts = Counter(result.depends_on for result in results if result.depends_on)
    return {reason: counts.get(reason, 0) for reason in dependence.REASONS}


def _dependence_note(results: list[Result]) -> str:
    counts = dependent_counts(results)
    parts = ", ".join(f"{count} {reason}" for reason, count in counts.items())
    return f"not self-contained, depending on the recording tenant: {sum(counts.values())} ({parts})"


def _line(label: str, figures: Figures) -> str:
    return (f"{label[:58]:58} {figures.interactions:5} {figures.status_percent:6.1f}% "
            f"{figures.full_percent:6.1f}% {figures.classes[compare.SERVER_ERROR]:4} "
            f"{figures.classes[compare.NOT_FOUND_ROUTE]:5}")


def summary(results: list[Result]) -> dict:
    """Figures per API and per family, as the JSON report holds them."""
    document = {"total": Figures.of(results).as_json(),
                "self_contained": Figures.of(self_contained(results)).as_json(),
                "dependence_reasons": dict(dependence.REASONS)}
    for api in APIS:
        mine = [result for result in results if result.api == api]
        document[api] = {"total": Figures.of(mine).as_json(),
                         "self_contained": Figures.of(self_contained(mine)).as_json(),
                         "dependent": dependent_counts(mine),
                         "families": {family: Figures.of(members).as_json()
                                      for family, members in sorted(by_family(mine).items())}}
    return document


def write_json(path: Path, results: list[Result], seconds: float) -> None:
    document = {"wall_seconds": round(seconds, 2), "summary": summary(results),
                "interactions": [result.as_json() for result in results]}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0
