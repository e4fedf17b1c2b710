"""Injected latency: the "latency" section of /_mock/settings.

    {"default_ms": 0, "default_jitter_ms": 0,
     "routes": [{"method": "POST", "path": "/dbconnections/change_password", "ms": 300, "jitter_ms": 50}]}

A request waits `ms + U(0, jitter_ms)` milliseconds (rounded to whole ms) before its route runs:
the first route that matches decides, else the defaults. Jitter comes from a seeded stream per
route (see route_match.rule_random), restarted whenever the section is applied or reset, so the
same seed gives the same delays. This module only decides delays; api/traffic.py sleeps them,
outside every lock.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, NamedTuple

from ..tenant.errors import ControlError
from ..tenant.rng import TenantRandom
from .route_match import RouteMatch, any_path_regex, rule_random

MAX_DELAY_MS = 120_000  # a typo must not park a server thread for hours
SECTION_KEYS = ("default_ms", "default_jitter_ms", "routes")
ROUTE_KEYS = ("method", "path", "ms", "jitter_ms")
EMPTY_SPEC: dict[str, Any] = {"default_ms": 0, "default_jitter_ms": 0, "routes": []}


class LatencyRoute(NamedTuple):
    match: RouteMatch
    ms: int
    jitter_ms: int
    random: TenantRandom


class LatencyPlan(NamedTuple):
    """An immutable snapshot: requests read it without a lock; applying swaps it whole."""

    default_ms: int
    default_jitter_ms: int
    default_random: TenantRandom
    routes: tuple[LatencyRoute, ...]
    any_route: re.Pattern | None

    def delay_ms(self, method: str, path: str) -> int:
        if self.any_route is not None and self.any_route.fullmatch(path):
            for route in self.routes:
                if route.match.matches(method, path, _no_body):
                    return _draw(route.ms, route.jitter_ms, route.random)
        return _draw(self.default_ms, self.default_jitter_ms, self.default_random)


def _no_body() -> None:
    return None


def _draw(ms: int, jitter_ms: int, random: TenantRandom) -> int:
    if jitter_ms == 0:
        return ms  # no draw: a route without jitter leaves its stream untouched
    return ms + round(random.uniform(0, jitter_ms))


def _milliseconds(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(400, f"{where} must be a whole number of milliseconds; got {value!r}.")
    if value < 0:
        raise ControlError(400, f"{where} must not be negative; got {value}.")
    if value > MAX_DELAY_MS:
        raise ControlError(400, f"{where} must be at most {MAX_DELAY_MS} ms; got {value}.")
    return value


def _check_keys(spec: Any, allowed: tuple[str, ...], where: str) -> dict:
    if not isinstance(spec, dict):
        raise ControlError(400, f"{where} must be a JSON object with keys {', '.join(allowed)}.")
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise ControlError(400, f"{where}: unknown key(s) {', '.join(unknown)}. "
                                f"Allowed: {', '.join(allowed)}.")
    return spec


def _validated_route(spec: Any, index: int) -> dict[str, Any]:
    where = f"latency.routes[{index}]"
    _check_keys(spec, ROUTE_KEYS, where)
    match = RouteMatch.parse(spec, f"{where}: ", allow_body=False)
    if "ms" not in spec:
        raise ControlError(400, f'{where}: "ms" is required (the delay in milliseconds).')
    ms = _milliseconds(spec["ms"], f'{where}.ms')
    jitter = _milliseconds(spec.get("jitter_ms", 0), f"{where}.jitter_ms")
    _milliseconds(ms + jitter, f"{where}: ms + jitter_ms")
    return {"method": match.method, "path": match.path, "ms": ms, "jitter_ms": jitter}


def validated_patch(patch: Any) -> dict[str, Any]:
    """The patch in canonical form. A bare number is shorthand for {"default_ms": N}."""
    if isinstance(patch, int) and not isinstance(patch, bool):
        patch = {"default_ms": patch}
    _check_keys(patch, SECTION_KEYS, "latency")
    canonical: dict[str, Any] = {}
    for key in ("default_ms", "default_jitter_ms"):
        if key in patch:
            canonical[key] = _milliseconds(patch[key], f"latency.{key}")
    if "routes" in patch:
        if not isinstance(patch["routes"], list):
            raise ControlError(400, "latency.routes must be a list of "
                                    '{"method", "path", "ms", "jitter_ms"} objects.')
        canonical["routes"] = [_validated_route(route, i) for i, route in enumerate(patch["routes"])]
    return canonical


def parse_startup_value(text: str) -> dict[str, Any]:
    """--latency / MOCKIDP_LATENCY: a number (default_ms) or the section as JSON. ControlError
    (400-style message) if invalid."""
    stripped = text.strip()
    if re.fullmatch(r"\d+", stripped):
        return validated_patch(int(stripped))
    try:
        value = json.loads(stripped)
    except ValueError as exc:
        where = f"{exc.msg} at line {exc.lineno} column {exc.colno}: " if isinstance(exc, json.JSONDecodeError) else ""
        raise ControlError(400, f'{where}expected a number of milliseconds (e.g. 200) or JSON such as '
                                '{"routes": [{"method": "GET", "path": "/api/v2/users/*", "ms": 300}]}') from None
    return validated_patch(value)


def build_plan(spec: dict[str, Any], tenant_seed: int) -> LatencyPlan:
    routes = tuple(
        LatencyRoute(RouteMatch.parse(route), route["ms"], route["jitter_ms"],
                     rule_random(tenant_seed, "latency", index, route["method"], route["path"]))
        for index, route in enumerate(spec["routes"]))
    return LatencyPlan(spec["default_ms"], spec["default_jitter_ms"],
                       rule_random(tenant_seed, "latency", "default"), routes,
                       any_path_regex(route.match for route in routes))


class LatencySettings:
    """The "latency" settings section (see core/settings.py for the protocol)."""

    name = "latency"

    def __init__(self, tenant_seed: int, startup: Any = None):
        self._seed = tenant_seed
        self._startup = {**EMPTY_SPEC, **(validated_patch(startup) if startup is not None else {})}
        self._spec = self._startup
        self.plan = build_plan(self._spec, tenant_seed)

    def current(self) -> dict[str, Any]:
        return self._spec

    def prepare(self, patch: Any) -> Any:
        spec = {**self._spec, **validated_patch(patch)}
        plan = build_plan(spec, self._seed)
        return lambda: self._install(spec, plan)

    def reset(self) -> None:
        self._install(self._startup, build_plan(self._startup, self._seed))

    def restored(self, captured: Any) -> Callable[[], None]:
        """A captured section, checked; applying it restarts its jitter streams, as any apply does."""
        spec = {**EMPTY_SPEC, **validated_patch(captured)}
        plan = build_plan(spec, self._seed)
        return lambda: self._install(spec, plan)

    def _install(self, spec: dict[str, Any], plan: LatencyPlan) -> None:
        self._spec, self.plan = spec, plan
