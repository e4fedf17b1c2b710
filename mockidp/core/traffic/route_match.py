"""Which requests a latency route, fault rule or barrier applies to: an HTTP method (or "*"), a
path pattern and, for faults and barriers, an optional subset of the JSON body.

Pattern syntax (documented in docs/control-plane-traffic.md):
  /api/v2/users          exactly that path
  /api/v2/users/*        `*` as a whole segment: exactly one non-empty segment
  /api/v2/users/auth0|*  `*` inside a segment: any characters except "/"
  /api/v2/**             `**` as the last segment: zero or more further segments
A trailing slash on the request path is ignored, so /api/v2/users/ matches /api/v2/users.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Callable, Iterable, NamedTuple

from ..tenant.errors import ControlError
from ..tenant.rng import TenantRandom

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MAX_PATTERN_LENGTH = 2048
_FORBIDDEN_CHARACTERS = re.compile(r"[\s?#\x00-\x1f\x7f]")

BodyReader = Callable[[], Any]


def parse_method(value: Any, where: str) -> str:
    if value is None:
        return "*"
    if not isinstance(value, str) or value.upper() not in METHODS + ("*",):
        raise ControlError(400, f'{where}"method" must be one of {", ".join(METHODS)} or "*"; '
                                f"got {value!r}.")
    return value.upper()


def compile_pattern(pattern: Any, where: str = "") -> str:
    """The regular expression (source) for a path pattern; ControlError 400 if it is invalid."""
    if not isinstance(pattern, str) or not pattern:
        raise ControlError(400, f'{where}"path" must be a path pattern such as "/api/v2/users/*".')
    problem = _pattern_problem(pattern)
    if problem:
        raise ControlError(400, f'{where}"path" {pattern!r} is not a valid pattern: {problem}.')
    if pattern == "/":
        return "/"
    return "".join(_segment_regex(segment) for segment in pattern[1:].split("/"))


def _pattern_problem(pattern: str) -> str | None:
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"longer than {MAX_PATTERN_LENGTH} characters"
    if not pattern.startswith("/"):
        return 'it must start with "/"'
    if _FORBIDDEN_CHARACTERS.search(pattern):
        return "whitespace, control characters, ? and # are not allowed (match the path only)"
    if pattern == "/":
        return None
    segments = pattern[1:].split("/")
    if "" in segments:
        return "empty segment (// or a trailing /)"
    if any(segment in (".", "..") for segment in segments):
        return '"." and ".." segments are not allowed'
    for index, segment in enumerate(segments):
        if "**" in segment and (segment != "**" or index != len(segments) - 1):
            return '"**" must be a whole segment and the last one'
    return None


def _segment_regex(segment: str) -> str:
    if segment == "**":
        return "(?:/[^/]+)*"  # zero or more further segments
    if segment == "*":
        return "/[^/]+"
    return "/" + "[^/]*".join(re.escape(part) for part in segment.split("*"))


def normalize_path(path: str) -> str:
    return path.rstrip("/") or "/"


def body_contains(body: Any, subset: Any) -> bool:
    """True if `subset` is contained in `body`: objects recursively by key, everything else by
    equal value and JSON type (so true never equals 1)."""
    if isinstance(subset, dict):
        return isinstance(body, dict) and all(
            key in body and body_contains(body[key], value) for key, value in subset.items())
    return type(body) is type(subset) and body == subset  # noqa: E721 - JSON types must agree


class RouteMatch(NamedTuple):
    """method + path pattern (+ body subset). Immutable, so matching needs no lock."""

    method: str
    path: str
    regex: re.Pattern
    request_body: dict | None = None

    @classmethod
    def parse(cls, spec: dict, where: str = "", allow_body: bool = True) -> "RouteMatch":
        method = parse_method(spec.get("method"), where)
        source = compile_pattern(spec.get("path"), where)
        request_body = spec.get("request_body")
        if request_body is not None and not allow_body:
            raise ControlError(400, f'{where}"request_body" is not supported here.')
        if request_body is not None and not isinstance(request_body, dict):
            raise ControlError(400, f'{where}"request_body" must be a JSON object whose keys and '
                                    "values the request body must contain.")
        return cls(method, spec["path"], re.compile(source), request_body)

    def matches(self, method: str, path: str, read_body: BodyReader) -> bool:
        if self.method != "*" and self.method != method:
            return False
        if not self.regex.fullmatch(path):
            return False
        return self.request_body is None or body_contains(read_body(), self.request_body)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.request_body is not None:
            described["request_body"] = self.request_body
        return described


def any_path_regex(matches: Iterable[RouteMatch]) -> re.Pattern | None:
    """One regex answering "could any of these apply to this path?" in a single C-level call,
    so routes no rule names pay one fullmatch however many rules are installed."""
    sources = [match.regex.pattern for match in matches]
    if not sources:
        return None
    return re.compile("|".join(f"(?:{source})" for source in sources))


def rule_random(tenant_seed: int, *label: object) -> TenantRandom:
    """A random stream of its own for one rule, derived from the tenant seed and the rule.

    Why not draw from tenant.rng directly: jitter and fault fractions would then shift every user
    id created after them, and concurrent traffic on other routes would change a rule's sequence.
    A stream per rule gives the same delays / the same fire pattern for the same seed, whatever
    else the tenant is doing."""
    text = ":".join(str(part) for part in (tenant_seed, *label))
    return TenantRandom(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))
