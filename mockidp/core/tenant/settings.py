"""Mock settings (latency, faults, email delivery, ...): the knobs of /_mock/settings.

Each feature owns one section. A PATCH is validated by every section it names before any
section changes, so a bad value anywhere leaves all settings as they were.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Protocol

from .errors import ControlError


class SettingsSection(Protocol):
    name: str

    def current(self) -> dict[str, Any]:
        """The section's values as JSON."""

    def prepare(self, patch: Any) -> Callable[[], None]:
        """Validate `patch` (raise ControlError with a clear message) and return a function that
        applies it. Must not change anything itself."""

    def reset(self) -> None:
        """Back to the values the tenant was started with."""


class MockSettings:
    def __init__(self) -> None:
        self._sections: dict[str, SettingsSection] = {}

    def register(self, section: SettingsSection) -> None:
        self._sections[section.name] = section

    def section(self, name: str) -> SettingsSection:
        return self._sections[name]

    def current(self) -> dict[str, Any]:
        return {name: copy.deepcopy(section.current()) for name, section in self._sections.items()}

    def patch(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ControlError(400, "The body must be a JSON object of settings sections.")
        unknown = sorted(set(body) - set(self._sections))
        if unknown:
            raise ControlError(400, f"Unknown settings section(s): {', '.join(unknown)}. "
                                    f"Known: {', '.join(sorted(self._sections))}.")
        appliers = [self._sections[name].prepare(value) for name, value in body.items()]
        for apply in appliers:
            apply()

    def reset(self) -> None:
        for section in self._sections.values():
            section.reset()
