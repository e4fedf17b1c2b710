"""Wildcard terms of user search (``*`` any run, ``?`` one character) matched in linear time.

A wildcard compiled to a regex such as ``.*a.*a.*a.*b`` backtracks: against 196 ``a``s it
takes minutes. Here the pattern is split at each ``*`` into fixed-length segments (literals and
``?``); the first segment must match at the start, the last at the end, and each middle one at
its leftmost place after the previous one. Leftmost is always safe for a star-separated pattern
(a later place leaves less room for what follows), so there is no backtracking at all. Each
segment is a regex of literals and ``.`` only: no quantifier, so no regex backtracking either.
"""
from __future__ import annotations

import re
from typing import NamedTuple


class WildcardPattern(NamedTuple):
    """A parsed wildcard term; ``literal_count`` counts the characters that are not wildcards."""

    segments: tuple[re.Pattern, ...]  # the pieces between stars, in order
    lengths: tuple[int, ...]          # each piece's fixed length in characters
    has_star: bool
    literal_count: int

    def fullmatch(self, text: str) -> bool:
        if not self.has_star:
            return len(text) == self.lengths[0] and self.segments[0].match(text) is not None
        first, last = self.segments[0], self.segments[-1]
        if self.lengths[0] + self.lengths[-1] > len(text) or first.match(text) is None:
            return False
        position = self.lengths[0]
        for segment, length in zip(self.segments[1:-1], self.lengths[1:-1]):
            found = segment.search(text, position)
            if found is None:
                return False
            position = found.start() + length
        tail_start = len(text) - self.lengths[-1]
        return tail_start >= position and last.match(text, tail_start) is not None


def parse_wildcard(raw: str) -> WildcardPattern | None:
    """``raw`` as typed in the query (``\\`` escapes the next character); None without any
    unescaped ``*`` or ``?``."""
    pieces: list[list[str]] = [[]]
    lengths = [0]
    literal_count, has_wildcard, index = 0, False, 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            char, index = re.escape(raw[index + 1]), index + 1
            literal_count += 1
        elif char == "*":
            has_wildcard = True
            pieces.append([])
            lengths.append(0)
            index += 1
            continue
        elif char == "?":
            char, has_wildcard = ".", True
        else:
            char = re.escape(char)
            literal_count += 1
        pieces[-1].append(char)
        lengths[-1] += 1
        index += 1
    if not has_wildcard:
        return None
    segments = tuple(re.compile("".join(piece), re.DOTALL) for piece in pieces)
    return WildcardPattern(segments, tuple(lengths), len(pieces) > 1, literal_count)
