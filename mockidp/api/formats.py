"""What Auth0's validator (z-schema, JavaScript) means by a `pattern` and by the formats it checks
(email, uri, url, date-time, date, ipv4, ipv6), for the jsonschema validators in validation.py.
jsonschema is imported inside the builders: they run on the first validation (see validation.py)."""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker



# --- JavaScript-flavoured pattern and the format checker ---------------------------------

CLASS_ESCAPES = ([*"\\w"], [*"\\W"], [*"\\d"], [*"\\D"], [*"\\s"], [*"\\S"])


@cache
def js_regex(pattern: str) -> re.Pattern[str]:
    """Compile an ECMAScript pattern: an unescaped ``$`` outside a class means end of input."""
    translated, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        elif char == "-" and in_class and translated[-2:] in CLASS_ESCAPES:
            char = r"\-"  # JavaScript reads `[\w-.]` as \w, '-', '.'; Python calls it a bad range
        translated.append(char)
    return re.compile("".join(translated))


def _js_pattern(validator: Draft202012Validator, pattern: str, instance: object, _schema: dict):
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not js_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def js_pattern_validator() -> type[Draft202012Validator]:
    """Draft 2020-12 with the JavaScript-flavoured ``pattern``."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    return extend(Draft202012Validator, validators={"pattern": _js_pattern})


EMAIL_LOCAL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a1-\uffff-]+"
DOMAIN_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
EMAIL = (rf"{EMAIL_LOCAL_ATOM}(?:\.{EMAIL_LOCAL_ATOM})*@(?:{DOMAIN_LABEL}\.)+"
         r"(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)")
RFC3339_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
URI_FORBIDDEN_CHARS = re.compile(r"[\s<>\"{}|\\^`]")


def _is_email(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    return bool(_email_regex().fullmatch(value)) and len(local) <= 64 and len(domain) <= 254


@cache
def _email_regex() -> re.Pattern[str]:
    # Compiled on first use: case-insensitive matching over this Unicode range takes ~12 ms
    # to compile, which start-up need not pay.
    return re.compile(EMAIL, re.IGNORECASE)


def _is_uri(value: str) -> bool:
    return _split_uri(value) is not None


def _is_absolute_url(value: str) -> bool:
    parts = _split_uri(value)
    return parts is not None and bool(parts.netloc)


def _split_uri(value: str) -> SplitResult | None:
    """The parts of a URI with a scheme and no characters RFC 3986 forbids, else None."""
    if URI_FORBIDDEN_CHARS.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    return parts if URI_SCHEME.fullmatch(parts.scheme) else None


def _is_date_time(value: str) -> bool:
    if not RFC3339_DATE_TIME.fullmatch(value):
        return False
    return _parses(lambda: datetime.fromisoformat(value.upper().replace("Z", "+00:00")))


def _is_date(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and _parses(lambda: date.fromisoformat(value))


def _parses(parse: Callable[[], object]) -> bool:
    try:
        parse()
    except ValueError:
        return False
    return True


STRING_FORMATS: dict[str, Callable[[str], bool]] = {
    "email": _is_email,
    "uri": _is_uri,
    "strict-uri": _is_absolute_url,
    "url": _is_absolute_url,
    "date-time": _is_date_time,
    "date": _is_date,
    "ipv4": lambda value: _parses(lambda: ipaddress.IPv4Address(value)),
    "ipv6": lambda value: _parses(lambda: ipaddress.IPv6Address(value)),
    # A block names its prefix length: a bare address is the ipv4/ipv6 branch of the spec's
    # oneOf (bot detection's allowlist, network ACLs), so it must not match this one too.
    "cidr": lambda value: "/" in value and _parses(lambda: ipaddress.IPv4Network(value, strict=False)),
    "ipv6_cidr": lambda value: "/" in value and _parses(lambda: ipaddress.IPv6Network(value, strict=False)),
}


@cache
def format_checker() -> FormatChecker:
    """Only our own stdlib-backed checks, so results never depend on optional packages;
    formats not listed here are ignored by jsonschema."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, check in STRING_FORMATS.items():
        checker.checks(name)(_strings_only(check))
    return checker


def _strings_only(check: Callable[[str], bool]) -> Callable[[object], bool]:
    # Formats constrain strings only; other types are the `type` keyword's business.
    return lambda value: not isinstance(value, str) or check(value)
