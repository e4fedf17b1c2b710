"""The app's URL rule class: werkzeug's Rule, with its URL builder compiled on first use.

werkzeug compiles two builder functions per rule (for url_for) when the rule is added, and that
is about 90% of registering a rule: ~20 ms of mockidp's start-up for its ~90 routes, while
mockidp builds almost no URLs from rules. Matching is unchanged.
"""
from __future__ import annotations

from typing import Any, Callable

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
        compiled: list[Callable[..., Any]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> Any:
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown).__get__(rule, None))
            return compiled[0](*args, **kwargs)

        return build
