"""LWA's error_description: RFC 6749's characters, localexa's own typography in ASCII words, and
the request's values kept as sent.

A message that quotes the request is built as parts (`Described`): localexa's own text (`str`)
and the request's values (`Sent`: a quoted value, a path), so the words `section`, `+/-` and
`...` are written for localexa's text only and a value is never read as localexa's (revn QA of
2026-12-06: `grant_type=a' §1 'b` read `'a' section 1 'b'`, as its quoted spans were guessed
from the finished text, and an unknown path `/auth/o2/a%C2%A71` read `/auth/o2/asection 1`, as a
path is not quoted). `str(described)` is the message the other API families write. A message
given as a plain `str` (the wire's refusals, which every family shares, quoting a Content-Encoding
or a Host) still has its quoted values found from its text (`_quoted_spans`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Described", "Sent", "description_text"]


@dataclass(frozen=True)
class Sent:
    """A value of the request, as it was sent: never spelt in localexa's ASCII words."""

    text: str


@dataclass(frozen=True)
class Described:
    """A message as parts: a `str` is localexa's own text, a `Sent` the request's."""

    parts: tuple[str | Sent, ...]

    @classmethod
    def of(cls, *parts: str | Sent) -> Described:
        return cls(parts)

    def __str__(self) -> str:
        return "".join(part.text if isinstance(part, Sent) else part for part in self.parts)


#: Outside RFC 6749's error_description set (§5.2, §4.1.2.1): %x20-21 / %x23-5B / %x5D-7E.
_NOT_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


#: The typography of localexa's own messages, in ASCII words: `RFC 9112 §6.1` read
#: `RFC 9112 U+00A76.1` (re-verification of 2026-12-06). Only before a digit for `§` and `±`, so a
#: lone `§` the request sent is still told as its code point.
_ASCII_WORDS = re.compile(r"§ ?(?=\d)|±(?=\d)|…")
_WORDS = {"±": "+/-", "…": "..."}
#: A quote that may open a value a message quotes, as every message quotes what the request sent
#: (`'{value}'` or `{value!r}`): one that starts a word. One that may close it: before white
#: space, sentence punctuation or the end.
_OPENS = re.compile(r"""(?<!\w)['"]""")
_CLOSES = re.compile(r"""['"](?=[\s.,;:!?)\]]|$)""")


def _ascii_words(text: str) -> str:
    return _ASCII_WORDS.sub(lambda m: _WORDS.get(m.group(), "section "), text)


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quoted value of `text`, its quotes included.

    A value runs from a quote that may open one to the last same quote that may close one before
    the next quote that can only open another (or before the end): a value's own `' ` (`it' s`) does
    not end it, while two values stay two, with localexa's words between them. Until the night of
    2026-12-06 a value ended at its first `' `, and the rest of it read as localexa's own text
    (`'it' s section 1 ...'` for `it' s §1 …`); that lazy pattern also took time quadratic in
    a text of many opening quotes that nothing closes. Each quote is looked at once here."""
    opens = [m.start() for m in _OPENS.finditer(text)]
    closes: dict[str, list[int]] = {"'": [], '"': []}
    for m in _CLOSES.finditer(text):
        closes[m.group()].append(m.start())
    # A quote between a non-word character and white space (`it ' s`, `… '`) may open or close:
    # inside a value it does not end the value by opening another.
    both = set(closes["'"]) | set(closes['"'])
    spans: list[tuple[int, int]] = []
    at = {"'": 0, '"': 0}  # the next close of each quote not yet passed
    i = 0
    while i < len(opens):
        start = opens[i]
        quote = text[start]
        ends = closes[quote]
        while at[quote] < len(ends) and ends[at[quote]] <= start:
            at[quote] += 1
        if at[quote] == len(ends):  # nothing closes it: a quote of localexa's own text
            i += 1
            continue
        # The first later opener with a close of this quote before it ends the value there.
        j = i + 1
        while j < len(opens) and (ends[at[quote]] >= opens[j] or opens[j] in both):
            j += 1
        limit = opens[j] if j < len(opens) else len(text)
        while at[quote] + 1 < len(ends) and ends[at[quote] + 1] < limit:
            at[quote] += 1
        end = ends[at[quote]] + 1
        spans.append((start, end))
        while i < len(opens) and opens[i] < end:
            i += 1
    return spans


def _own_words(text: str) -> str:
    """`text` (localexa's own, perhaps quoting values of the request) with its own words in ASCII."""
    parts: list[str] = []
    end = 0
    for start, stop in _quoted_spans(text):
        parts.append(_ascii_words(text[end:start]))
        parts.append(text[start:stop])
        end = stop
    parts.append(_ascii_words(text[end:]))
    return "".join(parts)


def description_text(text: str | Described) -> str:
    """`text` within RFC 6749's error_description characters: `"` becomes `'`, a section sign
    before a number `section ` (`§6.1` → `section 6.1`), `±` before one `+/-`, `…` `...`; any other
    character outside them its code point (`é` → `U+00E9`), so nothing it named is lost. The words
    are for localexa's own text only: a value of the request (a `Sent` part; in a plain `str`, a
    quoted span) keeps its code points, `…§1±2` reads `U+2026U+00A71U+00B12` (since 2026-12-06
    evening; it read `...section 1+/-2`, as if the client had sent that, rev3 QA)."""
    if isinstance(text, Described):
        joined = "".join(part.text if isinstance(part, Sent) else _ascii_words(part) for part in text.parts)
    else:
        joined = _own_words(text)
    return _NOT_DESCRIPTION.sub(lambda m: "'" if m.group() == '"' else f"U+{ord(m.group()):04X}", joined)
