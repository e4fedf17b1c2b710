"""Auth0's rate limits: the X-RateLimit-* headers of the rate-limited APIs, and the opt-in 429s
of the "rate_limits" section of /_mock/settings.

    {"enforce": false,
     "buckets": {"management": {"limit": 50, "per_second": 16.67}, "oauth_token": {...}, ...}}

Every request to a rate-limited endpoint takes one token from its bucket, a token bucket that
holds `limit` tokens and refills `per_second` tokens a second on the tenant clock (so advancing
the mock clock refills it). Its answer carries what Auth0 sends (reference §13):
X-RateLimit-Limit (the bucket's size), X-RateLimit-Remaining (whole tokens left) and
X-RateLimit-Reset (UNIX epoch seconds, tenant clock, when the bucket is full again). By default
nothing is refused; with `"enforce": true` a request that finds its bucket empty is answered
Auth0's 429 with those headers, so a client's retry logic can be tested. Defaults are Auth0's
published limits for a free tenant where they are published; docs/behaviour.md says which.
"""
from __future__ import annotations

import math
import threading
from typing import Any, NamedTuple

from ..tenant.clock import Clock
from ..tenant.errors import ControlError


class Bucket(NamedTuple):
    limit: int          # burst: tokens the bucket holds
    per_second: float   # sustained rate: tokens added each second (a float, always: state files
                        # must write the same bytes before and after a load)


DEFAULT_BUCKETS: dict[str, Bucket] = {
    "management": Bucket(50, 1000 / 60),      # /api/v2/*: 50 a second, 1,000 a minute
    "oauth_token": Bucket(30, 30.0),          # POST /oauth/token
    "userinfo": Bucket(10, 5 / 60),           # /userinfo: 10, then 5 a minute
    "change_password": Bucket(10, 1 / 60),    # POST /dbconnections/change_password
    "passwordless_start": Bucket(50, 50 / 3600),  # POST /passwordless/start: 50 an hour
    "jwks": Bucket(20, 20.0),                 # GET /.well-known/jwks.json
    "cross_origin": Bucket(5, 5.0),           # POST /co/authenticate, /usernamepassword/login
    "authentication": Bucket(300, 300 / 60),  # the rest of the Authentication API's endpoints
}
_EXACT = {"/oauth/token": "oauth_token", "/userinfo": "userinfo",
          "/dbconnections/change_password": "change_password", "/passwordless/start": "passwordless_start",
          "/.well-known/jwks.json": "jwks", "/co/authenticate": "cross_origin",
          "/usernamepassword/login": "cross_origin"}
_AUTHENTICATION_PREFIXES = ("/oauth/", "/dbconnections/", "/passwordless/", "/mfa/")
MANAGEMENT_429 = (b'{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached",'
                  b'"errorCode":"too_many_requests"}')
AUTHENTICATION_429 = b'{"error":"too_many_requests","error_description":"Global limit has been reached"}'


def bucket_of(path: str) -> str | None:
    """Which bucket a request draws from; None for what Auth0 does not rate-limit this way
    (pages, /authorize, the control plane)."""
    if path.startswith("/api/v2/"):
        return "management"
    name = _EXACT.get(path)
    if name is None and path.startswith(_AUTHENTICATION_PREFIXES):
        return "authentication"
    return name


class Decision(NamedTuple):
    headers: dict[str, str]
    refused_body: bytes | None  # Auth0's 429 body when the bucket was empty and limits are enforced


class RateLimits:
    """The settings section and the buckets' levels (not tenant state: a reset refills them)."""

    name = "rate_limits"

    def __init__(self, clock: Clock):
        self._clock = clock
        self._lock = threading.Lock()
        self.enforce = False
        self.buckets = dict(DEFAULT_BUCKETS)
        self._levels: dict[str, tuple[float, float]] = {}  # bucket -> (tokens, at)

    # --- requests ------------------------------------------------------------------------

    def take(self, method: str, path: str) -> Decision | None:
        name = bucket_of(path) if method != "OPTIONS" else None  # a CORS preflight costs nothing
        if name is None:
            return None
        bucket = self.buckets[name]
        now = self._clock.seconds()
        with self._lock:
            tokens, at = self._levels.get(name, (float(bucket.limit), now))
            tokens = min(float(bucket.limit), tokens + max(0.0, now - at) * bucket.per_second)
            refused = tokens < 1
            if not refused:
                tokens -= 1
            self._levels[name] = (max(tokens, 0.0), now)
        full_in = (bucket.limit - tokens) / bucket.per_second if bucket.per_second else 0
        headers = {"X-RateLimit-Limit": str(bucket.limit), "X-RateLimit-Remaining": str(int(tokens)),
                   "X-RateLimit-Reset": str(math.ceil(now + full_in))}
        if refused and self.enforce:
            return Decision(headers, MANAGEMENT_429 if name == "management" else AUTHENTICATION_429)
        return Decision(headers, None)

    # --- the settings section ------------------------------------------------------------

    def current(self) -> dict[str, Any]:
        return {"enforce": self.enforce,
                "buckets": {name: bucket._asdict() for name, bucket in self.buckets.items()}}

    def prepare(self, patch: Any):
        if not isinstance(patch, dict) or set(patch) - {"enforce", "buckets"}:
            raise ControlError(400, '"rate_limits" takes {"enforce": true|false, "buckets": '
                                    '{"<bucket>": {"limit": N, "per_second": R}}}.')
        enforce = patch.get("enforce", self.enforce)
        if not isinstance(enforce, bool):
            raise ControlError(400, f'"rate_limits.enforce" must be true or false; got {enforce!r}.')
        buckets = {**self.buckets, **_buckets(patch.get("buckets", {}), self.buckets)}

        def apply() -> None:
            with self._lock:
                self.enforce, self.buckets = enforce, buckets
                self._levels = {}  # every bucket starts full under its new size

        return apply

    def restored(self, captured: Any):
        """What puts captured settings back (`current()`'s shape; None: the defaults), checked
        first like a PATCH. Buckets start full."""
        defaults = {"enforce": False, "buckets": {name: bucket._asdict() for name, bucket in DEFAULT_BUCKETS.items()}}
        captured = captured if captured is not None else defaults
        if not isinstance(captured, dict):
            raise ControlError(400, '"rate_limits" must be an object.')
        return self.prepare({"enforce": captured.get("enforce", False),
                             "buckets": {**defaults["buckets"], **captured.get("buckets", {})}})

    def reset(self) -> None:
        with self._lock:
            self.enforce, self.buckets, self._levels = False, dict(DEFAULT_BUCKETS), {}


def _buckets(patch: Any, current: dict[str, Bucket]) -> dict[str, Bucket]:
    if not isinstance(patch, dict):
        raise ControlError(400, '"rate_limits.buckets" must be an object of buckets by name.')
    unknown = sorted(set(patch) - set(DEFAULT_BUCKETS))
    if unknown:
        raise ControlError(400, f"Unknown rate-limit bucket(s): {', '.join(unknown)}. "
                                f"Known: {', '.join(DEFAULT_BUCKETS)}.")
    return {name: _bucket(name, value, current[name]) for name, value in patch.items()}


def _bucket(name: str, value: Any, current: Bucket) -> Bucket:
    if not isinstance(value, dict) or set(value) - {"limit", "per_second"}:
        raise ControlError(400, f'"rate_limits.buckets.{name}" takes {{"limit": N, "per_second": R}}.')
    limit, per_second = value.get("limit", current.limit), value.get("per_second", current.per_second)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1_000_000:
        raise ControlError(400, f'"rate_limits.buckets.{name}.limit" must be a whole number from 1 to '
                                f"1000000; got {limit!r}.")
    if isinstance(per_second, bool) or not isinstance(per_second, (int, float)) or not 0 <= per_second <= 1_000_000:
        raise ControlError(400, f'"rate_limits.buckets.{name}.per_second" must be a number from 0 to '
                                f"1000000; got {per_second!r}.")
    return Bucket(limit, float(per_second))
