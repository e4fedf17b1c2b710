"""Compile Auth0 user-search queries (``search_engine=v3``) into user matchers.

The query string is parsed by luqum (a Lucene query-syntax parser). This module walks luqum's
tree once and builds plain closures, so ``UserQuery.matches`` only does lookups and
comparisons: no parsing, regex compilation or bound conversion per user.

Semantics follow Auth0's "User search query syntax" page (v3) and the Elasticsearch
``query_string`` rules it is built on. Where the docs leave room, this mock decides:

* Implicit operator is OR. The v3 page is silent; Auth0's query-string-syntax page (adapted from
  Elastic's) says "By default, all terms are optional, as long as one term matches", which is
  also Lucene's default. Within such a whitespace-separated list ``+x`` is required and
  ``-x``/``NOT x`` excluded, as in a Lucene BooleanQuery; a list of exclusions only matches
  everyone else (Elasticsearch does the same for purely negative queries).
* Explicit ``AND``/``OR``/``NOT`` are boolean logic with NOT > AND > OR precedence (luqum's
  tree, and the precedence Elastic documents), so ``NOT _exists_:logins_count OR
  logins_count:0`` means "no logins_count, or logins_count is 0".
* ``email``, ``name``, ``given_name``, ``family_name``, ``nickname`` and ``email.domain`` compare
  case-insensitively; every other field, metadata included, is case-sensitive. A quoted phrase
  matches the whole value. An unquoted word also matches one whitespace-separated word of
  ``name``, ``given_name``, ``family_name`` or ``nickname`` (``name:john`` finds "John Smith").
  ``email`` is never split, so ``email:a@b.com`` and ``email:"a@b.com"`` are both exact.
* Typed fields: ``logins_count`` is numeric; ``created_at``, ``updated_at``, ``last_login`` and
  ``last_password_reset`` are dates; ``email_verified``, ``blocked``, ``phone_verified`` and
  ``identities.isSocial`` are booleans. Any other field is typed by its stored JSON value:
  ``app_metadata.n:13`` matches the number 13, ``app_metadata.flag:true`` the boolean true.
* Dates are ISO 8601 (UTC unless an offset is given) or epoch milliseconds. A partial date
  covers its whole period, rounded as Elasticsearch rounds: ``created_at:2024-01-31`` and
  ``[* TO 2024-01-31]`` include all of Jan 31st, ``{* TO 2024-01-31}`` stops before it, and
  ``{2024-01-31 TO *]`` starts after it. A value with an offset such as ``+02:00`` must be
  quoted, since ``:`` is reserved by the query syntax.
* Paths walk nested objects and look through arrays at any depth
  (``user_metadata.addresses.cities:"Paris"``, ``identities.connection:"X"``). Null, empty
  arrays and empty objects are not indexed: they never match and ``_exists_`` is false.
* Wildcards: ``*`` (any run) and ``?`` (one character; the v3 docs call ``?`` unsupported, this
  mock accepts it). As the v3 docs require, a leading wildcard needs at least 3 literal
  characters (``name:*usa``, not ``name:*sa``). Inside quotes ``*`` is literal, as in Lucene.
  ``field:*`` means the field exists; a bare ``*`` or an empty query matches everyone.
* Ranges: ``[a TO b]``, ``{a TO b}``, mixed brackets, ``*`` for an open end, and ``>``, ``>=``,
  ``<``, ``<=``; numeric on numbers, by instant on date fields, lexicographic on strings.
* A ``|`` in a user_id may be quoted, escaped (``auth0\\|abc``) or left bare: luqum reads all
  three as the same word.
* QuerySyntaxError for: anything luqum cannot parse, fuzzy or proximity (``~``), regular
  expressions (``/re/``), ``&&``/``||``/``!``, wildcards or ranges on ``user_metadata`` (Auth0
  rejects them), wildcards or ranges on boolean fields, wildcards on number and date fields,
  non-numeric values for ``logins_count``, non-boolean values for boolean fields, dates that do
  not parse, and an unquoted ``:`` inside a value. Boosts (``^2``) only affect scoring, so they
  are accepted and ignored.
* Unqualified terms search ``email``, ``name``, ``given_name``, ``family_name``, ``nickname``,
  ``user_id`` and ``username``, never metadata.
"""
from __future__ import annotations

import calendar
import enum
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, NamedTuple

from luqum import tree
from luqum.exceptions import ParseError
from luqum.thread import parse as parse_lucene

__all__ = ["QuerySyntaxError", "UserQuery", "compile_user_query"]

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
_ESCAPED_CHAR_RE = re.compile(r"\\(.)", re.DOTALL)


class QuerySyntaxError(ValueError):
    """Raised for a query Auth0 would reject; str(exc) is a short human message."""


class UserQuery:
    """A compiled query. ``exact_emails`` (lowercased), when set, holds every email a match can
    have, so callers may look candidates up by email before calling ``matches``."""

    __slots__ = ("_matcher", "exact_emails")

    def __init__(self, matcher: Matcher, exact_emails: frozenset[str] | None):
        self._matcher = matcher
        self.exact_emails = exact_emails

    def matches(self, user: dict) -> bool:
        return self._matcher(user)

    def __repr__(self) -> str:
        return f"UserQuery(exact_emails={self.exact_emails!r})"


def compile_user_query(q: str) -> UserQuery:
    """Parse and compile ``q``; raise QuerySyntaxError for queries Auth0 would reject."""
    if q is None or not q.strip():
        return UserQuery(_match_everyone, None)
    try:
        compiled = _compile(parse_lucene(q), None)
    except ParseError as exc:
        raise QuerySyntaxError(f"Invalid query syntax: {_describe_parse_error(exc)}") from None
    except RecursionError:
        raise QuerySyntaxError("Query is too deeply nested") from None
    return UserQuery(compiled.match, compiled.exact_emails)


def _describe_parse_error(exc: ParseError) -> str:
    # luqum's messages read "Syntax error in input : unexpected  'x' at position 3!"
    message = str(exc).replace("Syntax error in input : ", "").replace("  ", " ").rstrip("!")
    return message or "could not parse the query"


# ---------------------------------------------------------------------------------------------
# Compiled pieces and how they combine
# ---------------------------------------------------------------------------------------------

class _Compiled(NamedTuple):
    match: Matcher
    exact_emails: frozenset[str] | None = None


def _match_everyone(user: dict) -> bool:
    return True


def _all_of(parts: list[_Compiled]) -> _Compiled:
    # A user matching an AND matches each email-restricted side, so the sets intersect.
    email_sets = [p.exact_emails for p in parts if p.exact_emails is not None]
    emails = frozenset.intersection(*email_sets) if email_sets else None
    return _Compiled(_all_matcher([p.match for p in parts]), emails)


def _any_of(parts: list[_Compiled]) -> _Compiled:
    # An OR is email-restricted only when every alternative is.
    if parts and all(p.exact_emails is not None for p in parts):
        emails = frozenset().union(*(p.exact_emails for p in parts))
    else:
        emails = None
    return _Compiled(_any_matcher([p.match for p in parts]), emails)


def _negate(part: _Compiled) -> _Compiled:
    inner = part.match
    return _Compiled(lambda user: not inner(user))


def _all_matcher(matchers: list[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    if len(matchers) == 2:  # the common case; avoids a generator per user
        first, second = matchers
        return lambda user: first(user) and second(user)
    frozen = tuple(matchers)
    return lambda user: all(m(user) for m in frozen)


def _any_matcher(matchers: list[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    if len(matchers) == 2:
        first, second = matchers
        return lambda user: first(user) or second(user)
    frozen = tuple(matchers)
    return lambda user: any(m(user) for m in frozen)


# ---------------------------------------------------------------------------------------------
# Tree walk
# ---------------------------------------------------------------------------------------------

def _compile(node: tree.Item, field: str | None) -> _Compiled:
    """Compile ``node``; ``field`` is the enclosing ``field:(...)`` or None when unqualified."""
    if isinstance(node, tree.SearchField):
        return _compile_search_field(node)
    if isinstance(node, (tree.Group, tree.FieldGroup, tree.Boost)):
        return _compile(node.expr, field)  # a boost only changes scoring
    if isinstance(node, tree.AndOperation):
        return _all_of([_compile(operand, field) for operand in node.operands])
    if isinstance(node, tree.OrOperation):
        return _any_of([_compile(operand, field) for operand in node.operands])
    if isinstance(node, tree.UnknownOperation):
        return _compile_implicit_operation(node, field)
    if isinstance(node, (tree.Not, tree.Prohibit)):
        return _negate(_compile(node.a, field))
    if isinstance(node, tree.Plus):
        return _compile(node.a, field)
    if isinstance(node, (tree.Word, tree.Phrase)):
        return _compile_term(node, field)
    if isinstance(node, tree.Range):
        return _compile_range(field, node.low, node.high, node.include_low, node.include_high)
    if isinstance(node, tree.From):
        return _compile_range(field, node.a, None, node.include, False)
    if isinstance(node, tree.To):
        return _compile_range(field, None, node.a, False, node.include)
    if isinstance(node, (tree.Fuzzy, tree.Proximity)):
        raise QuerySyntaxError("Fuzzy and proximity searches (~) are not supported")
    if isinstance(node, tree.Regex):
        raise QuerySyntaxError("Regular expression searches (/.../) are not supported")
    raise QuerySyntaxError(f"Unsupported query construct: {node}")


def _compile_implicit_operation(node: tree.UnknownOperation, field: str | None) -> _Compiled:
    """Whitespace-separated clauses, as a Lucene BooleanQuery with OR as default operator."""
    required, optional, excluded = [], [], []
    for operand in node.operands:
        if isinstance(operand, tree.Plus):
            required.append(_compile(operand.a, field))
        elif isinstance(operand, (tree.Prohibit, tree.Not)):
            excluded.append(_compile(operand.a, field))
        else:
            optional.append(_compile(operand, field))
    # With a required clause present, optional clauses only affect scoring.
    parts = required if required else ([_any_of(optional)] if optional else [])
    parts += [_negate(part) for part in excluded]
    return _all_of(parts)


def _compile_search_field(node: tree.SearchField) -> _Compiled:
    name = _unescape(node.name)
    if name.startswith("!"):
        raise QuerySyntaxError("The ! operator is not supported; use NOT")
    if isinstance(node.expr, tree.SearchField):
        raise QuerySyntaxError(f"Unexpected ':' in the value of {name}; quote the value")
    if name == EXISTS_PSEUDO_FIELD:
        return _compile_exists(node.expr)
    if name == "*":
        return _compile(node.expr, None)
    if "*" in name or "?" in name:
        raise QuerySyntaxError("Wildcards in field names are not supported")
    return _compile(node.expr, name)


def _compile_exists(expr: tree.Item) -> _Compiled:
    if not isinstance(expr, (tree.Word, tree.Phrase)):
        raise QuerySyntaxError("_exists_ expects a single field name, e.g. _exists_:logins_count")
    return _Compiled(_exists_matcher(_field_spec(_term_text(expr))))


def _compile_term(node: tree.Term, field: str | None) -> _Compiled:
    if field is None:
        if node.value == "*":
            return _Compiled(_match_everyone)
        return _any_of([_compile_term(node, name) for name in DEFAULT_FIELDS])
    spec = _field_spec(field)
    if isinstance(node, tree.Phrase):
        return _compile_equality(spec, _term_text(node), whole_value=True)
    if node.value in UNSUPPORTED_OPERATOR_WORDS or node.value.startswith("!"):
        raise QuerySyntaxError("The &&, || and ! operators are not supported; use AND, OR, NOT")
    if node.value == "*":
        _reject_on_user_metadata(spec, "Wildcard")
        return _Compiled(_exists_matcher(spec))
    wildcard = _wildcard_regex(node.value, spec)
    if wildcard is not None:
        return _Compiled(_field_matcher(spec, _wildcard_test(spec, wildcard)))
    return _compile_equality(spec, node.unescaped_value, whole_value=False)


def _compile_equality(spec: _FieldSpec, text: str, *, whole_value: bool) -> _Compiled:
    test = _equality_test(spec, text, whole_value)
    emails = frozenset({text.lower()}) if spec.path == "email" else None
    return _Compiled(_field_matcher(spec, test), emails)


def _compile_range(field: str | None, low: tree.Item | None, high: tree.Item | None,
                   include_low: bool, include_high: bool) -> _Compiled:
    if field is None:
        return _any_of([_compile_range(name, low, high, include_low, include_high)
                        for name in DEFAULT_FIELDS])
    spec = _field_spec(field)
    _reject_on_user_metadata(spec, "Range")
    bounds = _RangeBounds(_bound_text(low), _bound_text(high), include_low, include_high)
    return _Compiled(_field_matcher(spec, _range_test(spec, bounds)))


def _term_text(node: tree.Term) -> str:
    if isinstance(node, tree.Phrase):
        return _unescape(node.value[1:-1])
    return node.unescaped_value


def _bound_text(node: tree.Item | None) -> str | None:
    """A range bound as text, or None for an open end (``*``)."""
    if node is None:
        return None
    if isinstance(node, tree.Prohibit) and isinstance(node.a, tree.Term):
        return "-" + _term_text(node.a)  # luqum reads a negative number as "-" applied to it
    if isinstance(node, tree.Term):
        return None if node.value == "*" else _term_text(node)
    raise QuerySyntaxError(f"Invalid range bound: {node}")


def _unescape(text: str) -> str:
    return _ESCAPED_CHAR_RE.sub(r"\1", text)


# ---------------------------------------------------------------------------------------------
# Fields: what kind of values they hold and how to read them from a user
# ---------------------------------------------------------------------------------------------

class _Kind(enum.Enum):
    TEXT = "text"          # normalized string field, case-insensitive
    DATE = "date"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DYNAMIC = "dynamic"    # typed by the stored JSON value; strings case-sensitive


class _FieldSpec(NamedTuple):
    path: str
    kind: _Kind
    values: Callable[[dict], list]   # every indexed value of this field in a user
    top_level_key: str | None        # set for undotted paths, to read the common case directly
    split_into_words: bool = False


def _field_spec(path: str) -> _FieldSpec:
    if path == "email.domain":
        return _FieldSpec(path, _Kind.TEXT, _email_domains, None)
    kind = (_Kind.TEXT if path in CASE_INSENSITIVE_FIELDS
            else _Kind.DATE if path in DATE_FIELDS
            else _Kind.NUMBER if path in NUMBER_FIELDS
            else _Kind.BOOLEAN if path in BOOLEAN_FIELDS
            else _Kind.DYNAMIC)
    segments = tuple(path.split("."))
    top_level_key = path if len(segments) == 1 else None
    return _FieldSpec(path, kind, _path_reader(segments), top_level_key,
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


def _field_matcher(spec: _FieldSpec, test: ValueTest) -> Matcher:
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


def _exists_matcher(spec: _FieldSpec) -> Matcher:
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


def _reject_on_user_metadata(spec: _FieldSpec, what: str) -> None:
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


def _equality_test(spec: _FieldSpec, text: str, whole_value: bool) -> ValueTest:
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


def _wildcard_regex(raw: str, spec: _FieldSpec) -> re.Pattern | None:
    """Translate a raw word with unescaped ``*``/``?`` into a regex; None when it has none."""
    if spec.kind is _Kind.TEXT:
        raw = raw.lower()
    pieces: list[str] = []
    literal_count = 0
    has_wildcard = False
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            pieces.append(re.escape(raw[index + 1]))
            literal_count += 1
            index += 2
            continue
        if char in "*?":
            pieces.append(".*" if char == "*" else ".")
            has_wildcard = True
        else:
            pieces.append(re.escape(char))
            literal_count += 1
        index += 1
    if not has_wildcard:
        return None
    _check_wildcard_allowed(spec, raw, literal_count)
    return re.compile("".join(pieces), re.DOTALL)


def _check_wildcard_allowed(spec: _FieldSpec, raw: str, literal_count: int) -> None:
    _reject_on_user_metadata(spec, "Wildcard")
    if spec.kind in (_Kind.NUMBER, _Kind.DATE, _Kind.BOOLEAN):
        raise QuerySyntaxError(f"Wildcard searches are not available on {spec.path}")
    if raw[0] in "*?" and literal_count < MIN_LITERALS_AFTER_LEADING_WILDCARD:
        raise QuerySyntaxError(
            "A search starting with a wildcard needs at least "
            f"{MIN_LITERALS_AFTER_LEADING_WILDCARD} other characters (e.g. name:*usa)")


def _wildcard_test(spec: _FieldSpec, pattern: re.Pattern) -> ValueTest:
    fullmatch = pattern.fullmatch
    if spec.kind is not _Kind.TEXT:
        return lambda value: type(value) is str and fullmatch(value) is not None
    if not spec.split_into_words:
        return lambda value: type(value) is str and fullmatch(value.lower()) is not None

    def test(value: Any) -> bool:
        if type(value) is not str:
            return False
        lowered = value.lower()
        return fullmatch(lowered) is not None or any(
            fullmatch(word) is not None for word in lowered.split())
    return test


class _RangeBounds(NamedTuple):
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


def _range_test(spec: _FieldSpec, bounds: _RangeBounds) -> ValueTest:
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


def _dynamic_range_test(bounds: _RangeBounds) -> ValueTest:
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


def _date_range_test(spec: _FieldSpec, bounds: _RangeBounds) -> ValueTest:
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


def _required_number(text: str | None, spec: _FieldSpec) -> float | None:
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
