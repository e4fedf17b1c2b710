"""Field-level tests of a user search (core/directory/search.py compiles the query): how each
field is typed and read from a user, and the value tests for equality, wildcards, ranges and
dates, built once per query term. The semantics are documented in search.py."""
from __future__ import annotations

import calendar
import enum
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, NamedTuple

from .wildcards import WildcardPattern, parse_wildcard

Matcher = Callable[[dict], bool]
ValueTest = Callable[[Any], bool]

SPLIT_INTO_WORDS_FIELDS = frozenset({"name", "given_name", "family_name", "nickname"})
CASE_INSENSITIVE_FIELDS = SPLIT_INTO_WORDS_FIELDS | {"email", "email.domain"}
DEFAULT_FIELDS = ("email", "name", "given_name", "family_name", "nickname", "user_id", "username")
DATE_FIELDS = frozenset({"created_at", "updated_at", "last_login", "last_password_reset"})
NUMBER_FIELDS = frozenset({"logins_count"})
BOOLEAN_FIELDS = frozenset({"email_verified", "blocked", "phone_verified", "identities.isSocial"})
EXISTS_PSEUDO_FIELD = "_exists_"
MIN_LITERALS_AFTER_LEADING_WILDCARD = 3
UNSUPPORTED_OPERATOR_WORDS = ("&&", "||")

_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_EPOCH_MILLIS_RE = re.compile(r"-?\d{5,}")
_QUERY_DATE_RE = re.compile(
    r"""(?P<year>\d{4})
        (?:-(?P<month>\d{2})
          (?:-(?P<day>\d{2})
            (?:[Tt\ ](?P<hour>\d{2})
              (?::(?P<minute>\d{2})
                (?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?
              )?
              (?P<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)?
            )?
          )?
        )?""",
    re.VERBOSE,
)
ESCAPED_CHAR_RE = re.compile(r"\\(.)", re.DOTALL)


class QuerySyntaxError(ValueError):
    """Raised for a query Auth0 would reject; str(exc) is a short human message."""


class _Kind(enum.Enum):
    TEXT = "text"          # normalized string field, case-insensitive
    DATE = "date"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DYNAMIC = "dynamic"    # typed by the stored JSON value; strings case-sensitive


class FieldSpec(NamedTuple):
    path: str
    kind: _Kind
    values: Callable[[dict], list]   # every indexed value of this field in a user
    top_level_key: str | None        # set for undotted paths, to read the common case directly
    split_into_words: bool = False


def field_spec(path: str) -> FieldSpec:
    if path == "email.domain":
        return FieldSpec(path, _Kind.TEXT, _email_domains, None)
    kind = (_Kind.TEXT if path in CASE_INSENSITIVE_FIELDS
            else _Kind.DATE if path in DATE_FIELDS
            else _Kind.NUMBER if path in NUMBER_FIELDS
            else _Kind.BOOLEAN if path in BOOLEAN_FIELDS
            else _Kind.DYNAMIC)
    segments = tuple(path.split("."))
    top_level_key = path if len(segments) == 1 else None
    return FieldSpec(path, kind, _path_reader(segments), top_level_key,
                      split_into_words=path in SPLIT_INTO_WORDS_FIELDS)


def _email_domains(user: dict) -> list:
    email = user.get("email")
    if isinstance(email, str) and "@" in email:
        return [email.rpartition("@")[2]]
    return []


def _path_reader(segments: tuple[str, ...]) -> Callable[[dict], list]:
    def read(user: dict) -> list:
        """The indexed values at ``segments``, looking through arrays at every level."""
        node: Any = user
        for segment in segments:  # the common case: objects all the way down
            if not isinstance(node, dict):
                return _walk_through_arrays(user, segments) if isinstance(node, list) else []
            node = node.get(segment)
        return _indexed_leaves(node)
    return read


def _walk_through_arrays(user: dict, segments: tuple[str, ...]) -> list:
    level: list = [user]
    for segment in segments:
        children: list = []
        for node in level:
            if isinstance(node, dict):
                _append_flattened(node.get(segment), children)
        level = children
    return [value for value in level if not isinstance(value, dict) or _has_indexed_value(value)]


def _indexed_leaves(value: Any) -> list:
    """What is indexed for one value: nothing for null or an empty array/object, array
    elements one by one, and objects only so that _exists_ can see them."""
    if value is None:
        return []
    if isinstance(value, list):
        found: list = []
        _append_flattened(value, found)
        return [item for item in found if not isinstance(item, dict) or _has_indexed_value(item)]
    if isinstance(value, dict):
        return [value] if _has_indexed_value(value) else []
    return [value]


def _append_flattened(value: Any, found: list) -> None:
    if isinstance(value, list):
        for item in value:
            _append_flattened(item, found)
    elif value is not None:
        found.append(value)


def _has_indexed_value(node: Any) -> bool:
    if isinstance(node, dict):
        return any(_has_indexed_value(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_indexed_value(item) for item in node)
    return node is not None


def field_matcher(spec: FieldSpec, test: ValueTest) -> Matcher:
    """Match users having at least one value of ``spec`` that passes ``test``."""
    read_values = spec.values
    key = spec.top_level_key
    if key is None:
        return lambda user: any(map(test, read_values(user)))

    def match(user: dict) -> bool:
        value = user.get(key)
        if isinstance(value, (list, dict)):
            return any(map(test, read_values(user)))
        return value is not None and test(value)
    return match


def exists_matcher(spec: FieldSpec) -> Matcher:
    read_values = spec.values
    key = spec.top_level_key
    if key is None:
        return lambda user: bool(read_values(user))

    def match(user: dict) -> bool:
        value = user.get(key)
        if isinstance(value, (list, dict)):
            return bool(read_values(user))
        return value is not None
    return match


def reject_on_user_metadata(spec: FieldSpec, what: str) -> None:
    if spec.path == "user_metadata" or spec.path.startswith("user_metadata."):
        hint = " (use _exists_ to test for presence)" if what == "Wildcard" else ""
        raise QuerySyntaxError(f"{what} searches are not available on user_metadata fields{hint}")


# ---------------------------------------------------------------------------------------------
# Value tests
# ---------------------------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return type(value) in (int, float)  # bool is an int subclass but not a number here


def _parse_number(text: str) -> float | None:
    return float(text) if _NUMBER_RE.fullmatch(text) else None


def _parse_boolean(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text)


def equality_test(spec: FieldSpec, text: str, whole_value: bool) -> ValueTest:
    if spec.kind is _Kind.TEXT:
        return _text_equality_test(text.lower(), spec.split_into_words and not whole_value)
    if spec.kind is _Kind.DATE:
        return _instant_window_test(*_required_date_span(text, spec.path))
    if spec.kind is _Kind.NUMBER:
        number = _parse_number(text)
        if number is None:
            raise QuerySyntaxError(f"{spec.path} expects a number, got {text!r}")
        return lambda value: _is_number(value) and value == number
    if spec.kind is _Kind.BOOLEAN:
        flag = _parse_boolean(text)
        if flag is None:
            raise QuerySyntaxError(f"{spec.path} expects true or false, got {text!r}")
        return lambda value: value is flag
    return _dynamic_equality_test(text)


def _text_equality_test(wanted: str, may_match_a_word: bool) -> ValueTest:
    if not may_match_a_word:
        return lambda value: type(value) is str and value.lower() == wanted

    def test(value: Any) -> bool:
        if type(value) is not str:
            return False
        lowered = value.lower()
        # the substring check is a cheap filter before splitting into words
        return wanted in lowered and (lowered == wanted or wanted in lowered.split())
    return test


def _dynamic_equality_test(text: str) -> ValueTest:
    number = _parse_number(text)
    flag = _parse_boolean(text)

    def test(value: Any) -> bool:
        if type(value) is str:
            return value == text
        if type(value) is bool:
            return value is flag
        return number is not None and _is_number(value) and value == number
    return test


def wildcard_pattern(raw: str, spec: FieldSpec) -> WildcardPattern | None:
    """A raw word with unescaped ``*``/``?`` as a linear-time matcher; None when it has none."""
    if spec.kind is _Kind.TEXT:
        raw = raw.lower()
    pattern = parse_wildcard(raw)
    if pattern is None:
        return None
    _check_wildcard_allowed(spec, raw, pattern.literal_count)
    return pattern


def _check_wildcard_allowed(spec: FieldSpec, raw: str, literal_count: int) -> None:
    reject_on_user_metadata(spec, "Wildcard")
    if spec.kind in (_Kind.NUMBER, _Kind.DATE, _Kind.BOOLEAN):
        raise QuerySyntaxError(f"Wildcard searches are not available on {spec.path}")
    if raw[0] in "*?" and literal_count < MIN_LITERALS_AFTER_LEADING_WILDCARD:
        raise QuerySyntaxError(
            "A search starting with a wildcard needs at least "
            f"{MIN_LITERALS_AFTER_LEADING_WILDCARD} other characters (e.g. name:*usa)")


def wildcard_test(spec: FieldSpec, pattern: WildcardPattern) -> ValueTest:
    fullmatch = pattern.fullmatch
    if spec.kind is not _Kind.TEXT:
        return lambda value: type(value) is str and fullmatch(value)
    if not spec.split_into_words:
        return lambda value: type(value) is str and fullmatch(value.lower())

    def test(value: Any) -> bool:
        if type(value) is not str:
            return False
        lowered = value.lower()
        return fullmatch(lowered) or any(fullmatch(word) for word in lowered.split())
    return test


class RangeBounds(NamedTuple):
    low: str | None     # None: open
    high: str | None
    include_low: bool
    include_high: bool


def _interval_test(low: Any, high: Any, include_low: bool, include_high: bool) -> ValueTest:
    def within(value: Any) -> bool:
        if low is not None and (value < low if include_low else value <= low):
            return False
        if high is not None and (value > high if include_high else value >= high):
            return False
        return True
    return within


def range_test(spec: FieldSpec, bounds: RangeBounds) -> ValueTest:
    if spec.kind is _Kind.DATE:
        return _date_range_test(spec, bounds)
    if spec.kind is _Kind.NUMBER:
        within = _interval_test(_required_number(bounds.low, spec), _required_number(bounds.high, spec),
                                bounds.include_low, bounds.include_high)
        return lambda value: _is_number(value) and within(value)
    if spec.kind is _Kind.BOOLEAN:
        raise QuerySyntaxError(f"Range searches are not available on {spec.path}")
    if spec.kind is _Kind.TEXT:
        within = _interval_test(_lower_or_none(bounds.low), _lower_or_none(bounds.high),
                                bounds.include_low, bounds.include_high)
        return lambda value: type(value) is str and within(value.lower())
    return _dynamic_range_test(bounds)


def _dynamic_range_test(bounds: RangeBounds) -> ValueTest:
    """Strings compare lexicographically; numbers numerically, if both bounds are numbers."""
    within_text = _interval_test(bounds.low, bounds.high, bounds.include_low, bounds.include_high)
    low_number = None if bounds.low is None else _parse_number(bounds.low)
    high_number = None if bounds.high is None else _parse_number(bounds.high)
    numeric_bounds = ((bounds.low is None or low_number is not None)
                      and (bounds.high is None or high_number is not None))
    within_number = _interval_test(low_number, high_number, bounds.include_low, bounds.include_high)

    def test(value: Any) -> bool:
        if type(value) is str:
            return within_text(value)
        return numeric_bounds and _is_number(value) and within_number(value)
    return test


def _date_range_test(spec: FieldSpec, bounds: RangeBounds) -> ValueTest:
    # Every date bound becomes half-open [start, end): Elasticsearch rounds an inclusive upper
    # bound and an exclusive lower bound up to the end of the period the value names.
    start = end = None
    if bounds.low is not None:
        low_start, low_end = _required_date_span(bounds.low, spec.path)
        start = low_start if bounds.include_low else low_end
    if bounds.high is not None:
        high_start, high_end = _required_date_span(bounds.high, spec.path)
        end = high_end if bounds.include_high else high_start
    return _instant_window_test(start, end)


def _required_number(text: str | None, spec: FieldSpec) -> float | None:
    if text is None:
        return None
    number = _parse_number(text)
    if number is None:
        raise QuerySyntaxError(f"{spec.path} expects a number, got {text!r}")
    return number


def _lower_or_none(text: str | None) -> str | None:
    return None if text is None else text.lower()


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

def _instant_window_test(start: datetime | None, end: datetime | None) -> ValueTest:
    """Test stored timestamps against ``[start, end)``; None leaves that side open."""
    within = _interval_test(start, end, True, False)
    within_text = _interval_test(_canonical_timestamp(start), _canonical_timestamp(end), True, False)

    def test(value: Any) -> bool:
        if type(value) is not str:
            return False
        if len(value) == 24 and value[10] == "T" and value[23] == "Z":
            # Auth0's own format (2023-01-25T19:00:27.084Z) sorts chronologically as text,
            # which saves parsing a timestamp per user.
            return within_text(value)
        instant = _stored_instant(value)
        return instant is not None and within(instant)
    return test


def _canonical_timestamp(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    utc = instant.astimezone(timezone.utc)
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
            f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z")


def _stored_instant(value: Any) -> datetime | None:
    """A user's timestamp (ISO 8601, as Auth0 stores them) as an aware datetime."""
    if type(value) is not str:
        return None
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"  # fromisoformat accepts "Z" only from Python 3.11
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=timezone.utc)


def _required_date_span(text: str, field: str) -> tuple[datetime, datetime]:
    span = _date_span(text)
    if span is None:
        raise QuerySyntaxError(f"{field} expects a date such as 2024-01-31 or 2024-01-31T12:00:00Z, "
                               f"got {text!r}")
    return span


def _date_span(text: str) -> tuple[datetime, datetime] | None:
    """The half-open period ``[start, end)`` a query date names: a day for ``2024-01-31``, a
    second for ``...T12:00:00Z``, a millisecond when milliseconds are given."""
    if _EPOCH_MILLIS_RE.fullmatch(text):
        start = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(text))
        return start, start + timedelta(milliseconds=1)
    parts = _QUERY_DATE_RE.fullmatch(text)
    if parts is None:
        return None
    try:
        start = _date_start(parts)
        return start, _period_end(start, parts)
    except (ValueError, OverflowError):  # e.g. month 13, or past year 9999
        return None


def _date_start(parts: re.Match) -> datetime:
    def number(name: str, default: int) -> int:
        return int(parts[name]) if parts[name] else default
    microsecond = int(parts["fraction"][:3].ljust(6, "0")) if parts["fraction"] else 0
    naive = datetime(number("year", 1), number("month", 1), number("day", 1),
                     number("hour", 0), number("minute", 0), number("second", 0), microsecond)
    return naive.replace(tzinfo=_offset(parts["offset"]))


def _offset(text: str | None) -> timezone:
    if not text or text in "Zz":
        return timezone.utc
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return timezone(delta if text[0] == "+" else -delta)


def _period_end(start: datetime, parts: re.Match) -> datetime:
    if parts["fraction"]:
        return start + timedelta(milliseconds=1)
    for unit, step in (("second", timedelta(seconds=1)), ("minute", timedelta(minutes=1)),
                       ("hour", timedelta(hours=1)), ("day", timedelta(days=1))):
        if parts[unit]:
            return start + step
    if parts["month"]:
        return start + timedelta(days=calendar.monthrange(start.year, start.month)[1])
    return start.replace(year=start.year + 1)
