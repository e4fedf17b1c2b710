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

from typing import NamedTuple

from luqum import tree
from luqum.exceptions import ParseError
from luqum.thread import parse as parse_lucene

from .search_fields import (
    DEFAULT_FIELDS,
    ESCAPED_CHAR_RE,
    EXISTS_PSEUDO_FIELD,
    UNSUPPORTED_OPERATOR_WORDS,
    FieldSpec,
    Matcher,
    QuerySyntaxError,
    RangeBounds,
    equality_test,
    exists_matcher,
    field_matcher,
    field_spec,
    range_test,
    reject_on_user_metadata,
    wildcard_pattern,
    wildcard_test,
)

__all__ = ["QuerySyntaxError", "UserQuery", "compile_user_query"]

# Limits (mockidp's choice, docs/behaviour.md): Auth0 documents none for `q`, but refuses huge
# queries; these bound parse time and memory. 1024 is Elasticsearch's default maxClauseCount,
# the engine behind Auth0's user search.
MAX_QUERY_LENGTH = 4096
MAX_QUERY_TERMS = 1024

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
    if len(q) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"String is too long ({len(q)} chars), maximum {MAX_QUERY_LENGTH}")
    try:
        parsed = parse_lucene(q)
        _check_term_count(parsed)
        compiled = _compile(parsed, None)
    except ParseError as exc:
        raise QuerySyntaxError(f"Invalid query syntax: {_describe_parse_error(exc)}") from None
    except RecursionError:
        raise QuerySyntaxError("Query is too deeply nested") from None
    return UserQuery(compiled.match, compiled.exact_emails)


def _check_term_count(parsed: tree.Item) -> None:
    terms, pending = 0, [parsed]
    while pending:
        node = pending.pop()
        if isinstance(node, tree.Term):
            terms += 1
        pending.extend(node.children)
    if terms > MAX_QUERY_TERMS:
        raise QuerySyntaxError(f"too_many_clauses: maxClauseCount is set to {MAX_QUERY_TERMS}")


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
    return _Compiled(exists_matcher(field_spec(_term_text(expr))))


def _compile_term(node: tree.Term, field: str | None) -> _Compiled:
    if field is None:
        if node.value == "*":
            return _Compiled(_match_everyone)
        return _any_of([_compile_term(node, name) for name in DEFAULT_FIELDS])
    spec = field_spec(field)
    if isinstance(node, tree.Phrase):
        return _compile_equality(spec, _term_text(node), whole_value=True)
    if node.value in UNSUPPORTED_OPERATOR_WORDS or node.value.startswith("!"):
        raise QuerySyntaxError("The &&, || and ! operators are not supported; use AND, OR, NOT")
    if node.value == "*":
        reject_on_user_metadata(spec, "Wildcard")
        return _Compiled(exists_matcher(spec))
    wildcard = wildcard_pattern(node.value, spec)
    if wildcard is not None:
        return _Compiled(field_matcher(spec, wildcard_test(spec, wildcard)))
    return _compile_equality(spec, node.unescaped_value, whole_value=False)


def _compile_equality(spec: FieldSpec, text: str, *, whole_value: bool) -> _Compiled:
    test = equality_test(spec, text, whole_value)
    emails = frozenset({text.lower()}) if spec.path == "email" else None
    return _Compiled(field_matcher(spec, test), emails)


def _compile_range(field: str | None, low: tree.Item | None, high: tree.Item | None,
                   include_low: bool, include_high: bool) -> _Compiled:
    if field is None:
        return _any_of([_compile_range(name, low, high, include_low, include_high)
                        for name in DEFAULT_FIELDS])
    spec = field_spec(field)
    reject_on_user_metadata(spec, "Range")
    bounds = RangeBounds(_bound_text(low), _bound_text(high), include_low, include_high)
    return _Compiled(field_matcher(spec, range_test(spec, bounds)))


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
    return ESCAPED_CHAR_RE.sub(r"\1", text)


# ---------------------------------------------------------------------------------------------
# Fields: what kind of values they hold and how to read them from a user
# ---------------------------------------------------------------------------------------------
