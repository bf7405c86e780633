"""A fault's `path` pattern (README "Faults"), matched in time linear in the path per token.

`*` is any run of characters within one path segment (none at all too), `{param}` one or more,
`**` any run of characters, `/` included; everything else is itself, in any case. The pattern was
a regular expression (`[^/]*`, `[^/]+`, `.*`) and Python's backtracking made some of them
exponential on a path they do not match: one fault `/v1/*a*a*a*a*a*a*b` held a listener's event
loop 3 s for a 64-character path, health checks included, and a longer path for ever (review of
2026-12-07). Here the set of positions the pattern so far can end at is carried through the
tokens: each token's step costs at most the path's length, whatever the pattern.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class _Kind(enum.Enum):
    TEXT = "text"
    STAR = "*"  # within a segment, possibly empty
    PARAM = "{}"  # within a segment, at least one character
    ANY = "**"  # anything, `/` included


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str = ""


@dataclass(frozen=True)
class PathPattern:
    """A compiled pattern: `matches(path)`."""

    tokens: tuple[_Token, ...]

    def matches(self, path: str) -> bool:
        folded = path.lower()
        end = len(folded)
        #: Where the tokens so far can have ended, ascending; or `from_` when every position from
        #: `from_` on can (after `**`: kept as one number rather than a list of them all).
        ends: list[int] = [0]
        from_: int | None = None
        for token in self.tokens:
            if from_ is not None:
                if token.kind is _Kind.ANY:
                    continue
                if token.kind is _Kind.TEXT:
                    ends, from_ = _occurrences(folded, token.text, from_), None
                else:
                    ends, from_ = list(range(from_, end + 1)), None
                    ends = _within_segments(folded, ends, at_least_one=token.kind is _Kind.PARAM)
            elif token.kind is _Kind.TEXT:
                text = token.text
                ends = [at + len(text) for at in ends if folded.startswith(text, at)]
            elif token.kind is _Kind.ANY:
                from_ = ends[0]
            else:
                ends = _within_segments(folded, ends, at_least_one=token.kind is _Kind.PARAM)
            if from_ is None and not ends:
                return False
        if from_ is not None:
            return from_ <= end
        return ends[-1] == end


def _occurrences(path: str, text: str, start: int) -> list[int]:
    """The ends of every occurrence of `text` starting at or after `start`."""
    found: list[int] = []
    at = path.find(text, start)
    while at != -1:
        found.append(at + len(text))
        at = path.find(text, at + 1)
    return found


def _within_segments(path: str, starts: list[int], *, at_least_one: bool) -> list[int]:
    """Every end of a run of non-`/` characters from one of `starts` (ascending): each start's
    reach is up to its segment's end, and the reaches are merged as they come, so the list never
    holds a position twice and the work is bounded by the path's length."""
    ends: list[int] = []
    covered = -1
    for start in starts:
        segment_end = path.find("/", start)
        if segment_end == -1:
            segment_end = len(path)
        first = max(start + 1 if at_least_one else start, covered + 1)
        if first <= segment_end:
            ends.extend(range(first, segment_end + 1))
            covered = segment_end
    return ends


def compile_pattern(pattern: str) -> PathPattern:
    tokens: list[_Token] = []
    text: list[str] = []

    def wildcard(kind: _Kind) -> None:
        if text:
            tokens.append(_Token(_Kind.TEXT, "".join(text).lower()))
            text.clear()
        tokens.append(_Token(kind))

    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            wildcard(_Kind.ANY)
            index += 2
        elif pattern[index] == "*":
            wildcard(_Kind.STAR)
            index += 1
        elif pattern[index] == "{" and "}" in pattern[index:]:
            wildcard(_Kind.PARAM)
            index = pattern.index("}", index) + 1
        else:
            text.append(pattern[index])
            index += 1
    if text:
        tokens.append(_Token(_Kind.TEXT, "".join(text).lower()))
    return PathPattern(tuple(tokens))
