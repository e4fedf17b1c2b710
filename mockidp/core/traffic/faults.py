"""Injected faults: rules that answer matching requests the way Auth0 fails (POST /_mock/faults).

    {"method": "GET", "path": "/api/v2/users/*", "status": 429, "times": 2}
    {"method": "POST", "path": "/oauth/token", "kind": "drop", "fraction": 0.3}
    {"path": "/api/v2/**", "kind": "timeout", "delay_ms": 2000}

Kinds: "status" (the default: answer `status` with an Auth0-shaped body), "drop" (close the
connection without a response, after `delay_ms`, default 0) and "timeout" (wait `delay_ms`,
default 60 s, then answer `status`, default 504). A rule fires for its next `times` matching
calls (unlimited if absent), each call decided by a seeded stream when `fraction` is given.
Rules are consulted in creation order when a request arrives; the first one that fires answers.
"""
from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..tenant.errors import ControlError, reason_phrase
from ..tenant.rng import TenantRandom
from .route_match import BodyReader, RouteMatch, any_path_regex, rule_random

KINDS = ("status", "drop", "timeout")
MAX_DELAY_MS = 120_000
DEFAULT_TIMEOUT_DELAY_MS = 60_000  # longer than the usual 10-30 s client timeouts
RATE_LIMIT_DEFAULTS = {"limit": 50, "remaining": 0, "reset_s": 1, "retry_after": True}
MATCH_KEYS = {"method", "path", "request_body"}
KEYS_BY_KIND = {
    "status": MATCH_KEYS | {"kind", "status", "body", "headers", "rate_limit", "times", "fraction"},
    "drop": MATCH_KEYS | {"kind", "delay_ms", "times", "fraction"},
    "timeout": MATCH_KEYS | {"kind", "delay_ms", "status", "body", "headers", "times", "fraction"},
}
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_RESERVED_HEADERS = {"content-length", "transfer-encoding", "connection"}

# Management API messages Auth0 (hapi/Boom) uses; other statuses use the reason phrase.
MANAGEMENT_MESSAGES = {429: ("Global limit has been reached", "too_many_requests"),
                       500: ("An internal server error occurred", None)}
# Authentication API error codes: OAuth's where one exists, else the reason phrase in snake case.
AUTHENTICATION_ERRORS = {
    400: ("invalid_request", "Bad Request"),
    429: ("too_many_requests", "Too many requests. Check the X-RateLimit-Limit, "
                               "X-RateLimit-Remaining and X-RateLimit-Reset headers."),
    500: ("server_error", "An internal server error occurred"),
    503: ("temporarily_unavailable", "The service is temporarily unavailable"),
}


def error_envelope(path: str, status: int, message: str | None = None) -> dict[str, Any]:
    """The body Auth0 sends for `status` on `path`: hapi for /api/v2, OAuth style elsewhere."""
    if path == "/api/v2" or path.startswith("/api/v2/"):
        default_message, code = MANAGEMENT_MESSAGES.get(status, (reason_phrase(status), None))
        body: dict[str, Any] = {"statusCode": status, "error": reason_phrase(status),
                                "message": message or default_message}
        if code and message is None:
            body["errorCode"] = code
        return body
    default_code = "server_error" if status >= 500 else reason_phrase(status).lower().replace(" ", "_")
    code, description = AUTHENTICATION_ERRORS.get(status, (default_code, reason_phrase(status)))
    return {"error": code, "error_description": message or description}


@dataclass(eq=False)  # compared by identity: two rules may look alike
class FaultRule:
    id: str
    match: RouteMatch
    kind: str
    spec: dict[str, Any]  # the validated rule as the client described it (minus match keys)
    random: TenantRandom
    times: int | None
    fraction: float | None
    matched: int = 0
    fired: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else self.times - self.fired

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def decide(self) -> bool:
        """Count one matching call and say whether the rule fires for it (caller holds the lock)."""
        self.matched += 1
        fires = self.fraction is None or self.random.random() < self.fraction
        if fires:
            self.fired += 1
        return fires

    @property
    def delay_ms(self) -> int:
        """How long to wait before answering ("timeout") or closing ("drop")."""
        return self.spec.get("delay_ms", DEFAULT_TIMEOUT_DELAY_MS if self.kind == "timeout" else 0)

    def response(self, path: str, now_epoch: int) -> tuple[int, bytes, dict[str, str]]:
        """Status, body and headers for kinds "status" and "timeout"."""
        status = self.spec.get("status", 504)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if status == 429:
            headers.update(_rate_limit_headers(self.spec.get("rate_limit") or {}, now_epoch))
        body = self.spec.get("body", error_envelope(path, status))
        if isinstance(body, str):
            headers["Content-Type"] = "text/plain; charset=utf-8"
            raw = body.encode()
        else:
            raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return status, raw, _merge_headers(headers, self.spec.get("headers") or {})

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, **self.match.describe(), "kind": self.kind, **self.spec,
                "times": self.times, "matched": self.matched, "fired": self.fired,
                "remaining": self.remaining}


def _rate_limit_headers(overrides: dict[str, Any], now_epoch: int) -> dict[str, str]:
    """Auth0's X-RateLimit-* (reset in UNIX seconds, from the tenant clock). Retry-After too by
    default: auth0-python honours it before X-RateLimit-Reset, so SDK retries wait exactly
    reset_s whatever the tenant clock says."""
    settings = {**RATE_LIMIT_DEFAULTS, **overrides}
    headers = {"x-ratelimit-limit": str(settings["limit"]),
               "x-ratelimit-remaining": str(settings["remaining"]),
               "x-ratelimit-reset": str(now_epoch + settings["reset_s"])}
    if settings["retry_after"]:
        headers["Retry-After"] = str(settings["reset_s"])
    return headers


def _merge_headers(defaults: dict[str, str], custom: dict[str, str]) -> dict[str, str]:
    custom_names = {name.lower() for name in custom}
    merged = {name: value for name, value in defaults.items() if name.lower() not in custom_names}
    merged.update(custom)
    return merged


# --- validation ---------------------------------------------------------------------------------

def _whole_number(spec: dict, key: str, low: int, high: int) -> int:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ControlError(400, f'"{key}" must be a whole number from {low} to {high}; got {value!r}.')
    return value


def _validated_kind(spec: dict) -> str:
    kind = spec.get("kind", "status")
    if kind not in KINDS:
        raise ControlError(400, f'Unknown fault "kind" {kind!r}. Use one of: {", ".join(KINDS)}.')
    unknown = sorted(set(spec) - KEYS_BY_KIND[kind])
    if unknown:
        raise ControlError(400, f'Key(s) {", ".join(unknown)} not allowed for kind "{kind}". '
                                f'Allowed: {", ".join(sorted(KEYS_BY_KIND[kind]))}.')
    return kind


def _validated_rate_limit(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - set(RATE_LIMIT_DEFAULTS):
        raise ControlError(400, '"rate_limit" must be an object with any of: '
                                f'{", ".join(RATE_LIMIT_DEFAULTS)}.')
    checked = {**RATE_LIMIT_DEFAULTS, **value}
    _whole_number(checked, "limit", 1, 1_000_000)
    _whole_number(checked, "remaining", 0, checked["limit"])
    _whole_number(checked, "reset_s", 0, 3600)
    if not isinstance(checked["retry_after"], bool):
        raise ControlError(400, '"rate_limit.retry_after" must be true or false.')
    return value


def _validated_headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ControlError(400, '"headers" must be an object of header names to string values.')
    for name, text in value.items():
        if not _HEADER_NAME.match(name) or name.lower() in _RESERVED_HEADERS:
            raise ControlError(400, f'"headers": {name!r} is not a header mockidp can set.')
        if not isinstance(text, str) or any(c in text for c in "\r\n\x00"):
            raise ControlError(400, f'"headers": the value of {name} must be a one-line string.')
    return value


def _validated_response(spec: dict, kind: str) -> dict[str, Any]:
    """The response part of the rule, canonical: what describe() shows and response() uses."""
    canonical: dict[str, Any] = {}
    if kind == "status" and "status" not in spec:
        raise ControlError(400, '"status" is required (400-599), e.g. {"status": 429}.')
    if "status" in spec:
        canonical["status"] = _whole_number(spec, "status", 400, 599)
    if "delay_ms" in spec:
        canonical["delay_ms"] = _whole_number(spec, "delay_ms", 0, MAX_DELAY_MS)
    if "body" in spec:
        canonical["body"] = spec["body"]
    if "headers" in spec:
        canonical["headers"] = _validated_headers(spec["headers"])
    if "rate_limit" in spec:
        if canonical.get("status") != 429:
            raise ControlError(400, '"rate_limit" applies to "status": 429 only.')
        canonical["rate_limit"] = _validated_rate_limit(spec["rate_limit"])
    return canonical


def _validated_fraction(spec: dict) -> float | None:
    value = spec.get("fraction")
    if value is None:
        return None
    valid = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not valid or not 0 < value <= 1:
        raise ControlError(400, f'"fraction" must be a number greater than 0 and at most 1; got {value!r}.')
    return float(value)


def parse_rule(spec: Any, rule_id: str, tenant_seed: int) -> FaultRule:
    if not isinstance(spec, dict):
        raise ControlError(400, "A fault rule must be a JSON object.")
    kind = _validated_kind(spec)
    match = RouteMatch.parse(spec)
    response = _validated_response(spec, kind)
    times = _whole_number(spec, "times", 1, 1_000_000) if spec.get("times") is not None else None
    fraction = _validated_fraction(spec)
    if fraction is not None:
        response["fraction"] = fraction
    random = rule_random(tenant_seed, "fault", rule_id, match.method, match.path)
    return FaultRule(rule_id, match, kind, response, random, times, fraction)


class RestoredRules(NamedTuple):
    rules: tuple[FaultRule, ...]
    next_number: int


def restored_rules(captured: dict[str, Any], tenant_seed: int) -> RestoredRules:
    """FaultBook.capture()'s output made rules again (ControlError/KeyError if it is not)."""
    return RestoredRules(tuple(_restored_rule(state, tenant_seed) for state in captured["rules"]),
                         _whole_number(captured, "next_number", 1, 1 << 62))


def _rule_state(rule: FaultRule) -> dict[str, Any]:
    return {"id": rule.id, **rule.match.describe(), "kind": rule.kind, **rule.spec, "times": rule.times,
            "matched": rule.matched, "fired": rule.fired}


def _restored_rule(state: dict[str, Any], tenant_seed: int) -> FaultRule:
    """The rule as it was, its seeded stream included: replaying the draws it made (one per
    matching call, when it has a fraction) puts the stream where it was, so the same calls after
    a restore fire the same way. Counting, not storing, the stream keeps state files small."""
    spec = {key: value for key, value in state.items() if key not in ("id", "matched", "fired")}
    rule = parse_rule(spec, state["id"], tenant_seed)
    rule.matched = _whole_number(state, "matched", 0, 1 << 62)
    rule.fired = _whole_number(state, "fired", 0, rule.matched)
    if rule.fraction is not None:
        for _ in range(rule.matched):
            rule.random.random()
    return rule


# --- the book of rules ---------------------------------------------------------------------------

@dataclass(eq=False)  # a stateful book with a lock: compared by identity
class FaultBook:
    """A tenant's fault rules. The rule tuple is replaced, never mutated, so requests can filter
    candidates without the lock; counters change only under it."""

    tenant_seed: int
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rules: tuple[FaultRule, ...] = ()
    _any_path: re.Pattern | None = None
    _next_number: int = 1

    def add(self, spec: Any) -> dict[str, Any]:
        with self._lock:
            rule = parse_rule(spec, f"flt_{self._next_number}", self.tenant_seed)
            self._next_number += 1
            self._install(self._rules + (rule,))
            return rule.describe()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def get(self, rule_id: str) -> dict[str, Any]:
        with self._lock:
            return self._find(rule_id).describe()

    def delete(self, rule_id: str) -> None:
        with self._lock:
            rule = self._find(rule_id)
            self._install(tuple(r for r in self._rules if r is not rule))

    def clear(self) -> None:
        with self._lock:
            self._install(())

    def reset(self) -> None:
        """Clear, and number rules from flt_1 again, as on a fresh tenant."""
        with self._lock:
            self._install(())
            self._next_number = 1

    def capture(self) -> dict[str, Any]:
        """The rules and their counters as plain JSON (snapshots, state files)."""
        with self._lock:
            return {"next_number": self._next_number, "rules": [_rule_state(rule) for rule in self._rules]}

    def restore(self, restored: "RestoredRules") -> None:
        with self._lock:
            self._install(restored.rules)
            self._next_number = restored.next_number

    def fire(self, method: str, path: str, read_body: BodyReader) -> FaultRule | None:
        """The rule that answers this request, if any; counts the call on every matching rule
        consulted (up to and including the one that fires)."""
        if self._any_path is None or not self._any_path.fullmatch(path):
            return None
        candidates = [rule for rule in self._rules if rule.match.matches(method, path, read_body)]
        with self._lock:
            for rule in candidates:
                if rule.exhausted or rule not in self._rules:
                    continue
                if rule.decide():
                    if rule.exhausted:
                        self._install(self._rules)  # drop it from the fast path
                    return rule
        return None

    def _find(self, rule_id: str) -> FaultRule:
        for rule in self._rules:
            if rule.id == rule_id:
                return rule
        raise ControlError(404, f"No fault rule {rule_id!r}. GET /_mock/faults lists them.", "not_found")

    def _install(self, rules: tuple[FaultRule, ...]) -> None:
        self._rules = rules
        self._any_path = any_path_regex(rule.match for rule in rules if not rule.exhausted)
