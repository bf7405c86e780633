"""Messages as parts: localexa's own text, the names it shows as code, and the request's values as
they were sent.

A message that names a field or quotes what a request sent is built as parts, never as a finished
string whose marks are found again later:

- a `str` is localexa's own text;
- a `Code` is a name localexa shows as code (`userId`, `?=…`);
- a `Sent` is a value of the request (a header's, a parameter's, a path), as it was sent.

Each API writes the same parts its own way:

- `str(parts)`: the JSON APIs' message, code in backticks, values as sent;
- `parts.html()`: the console's pages (console/said.py), code as `<code>`, everything else escaped;
- `description_text(parts)`: LWA's error_description, in RFC 6749's characters, localexa's own
  typography in ASCII words (`§6.1` reads `section 6.1`) and the request's values with each
  character outside that set as its code point (`§` reads `U+00A7`, `\\` `U+005C`), whatever
  they hold, but for `"`, which reads `'` in both.

A header field's value is quoted with `quoted`: at most `SHOWN` characters, a cut marked after the
closing quote, where no one reads the mark as sent.

Until the night of 2026-12-06 two modules held this shape, one use each (console/said.py's `Said`
with `Code` parts, core/descriptions.py's `Described` with `Sent` parts), and a message given as a
plain `str` (the refusals every API family shares: a Host, a Content-Encoding, a transfer coding,
FastAPI's validation errors) had its quoted values guessed from the finished text, so a
`Content-Encoding: a' §1 'b` read `'a' section 1 'b'` in LWA's error_description, as if the client
had sent the word. Now a `str` is localexa's own text, all of it: nothing in it is read as a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["CUT", "SHOWN", "Code", "Part", "Parts", "Sent", "description_text", "named", "quoted"]


@dataclass(frozen=True)
class Code:
    """A name shown as code: `<code>` on a page, in backticks as text."""

    text: str


@dataclass(frozen=True)
class Sent:
    """A value of the request, as it was sent: never spelt in localexa's ASCII words."""

    text: str

    @classmethod
    def header(cls, value: bytes) -> Sent:
        """A header field's value: UTF-8, as clients send a non-ASCII name (`☃.com` read as
        latin-1 was `â\\x98\\x83.com`), a byte that is not UTF-8 as `\\xNN`."""
        return cls(value.decode("utf-8", "backslashreplace"))


#: One part of a message.
Part = str | Code | Sent

#: How many characters of a header field's value a refusal quotes (the Host, the codings, the
#: token endpoint's Content-Type): whole, a 60 KB header made a 180 KB error_description.
SHOWN = 100
#: localexa's mark of a value it cut, its own text (`...` in LWA's error_description).
CUT = "…"


def quoted(sent: Sent, limit: int = SHOWN) -> tuple[Part, ...]:
    """`'value'`, or for a value of more than `limit` characters its first `limit` then the cut
    mark after the closing quote (`'aaa'…`): inside the quotes the mark read as part of what the
    client sent, and without one the value read as all it sent (the night of 2026-12-06)."""
    if len(sent.text) <= limit:
        return ("'", sent, "'")
    return ("'", Sent(sent.text[:limit]), "'" + CUT)


def named(value: str, limit: int = SHOWN) -> tuple[Part, ...]:
    """An id or path the request named, unquoted as messages have always shown it: whole up to
    `limit` characters, a longer one's first `limit` then `… (7,000 characters)`. Whole, a 404
    for an id of 7,000 characters echoed all of them (session 36's review)."""
    if len(value) <= limit:
        return (Sent(value),)
    return (Sent(value[:limit]), f"{CUT} ({len(value):,} characters)")


@dataclass(frozen=True)
class Parts:
    """A message as parts: a `str` is localexa's own text, a `Code` a name it shows as code, a
    `Sent` a value of the request."""

    parts: tuple[Part, ...]

    @classmethod
    def of(cls, *parts: Part) -> Parts:
        return cls(parts)

    def __str__(self) -> str:
        return "".join(f"`{part.text}`" if isinstance(part, Code) else _text(part) for part in self.parts)

    def html(self) -> Markup:
        code = Markup("<code>{}</code>")
        return Markup("").join(
            code.format(part.text) if isinstance(part, Code) else escape(_text(part)) for part in self.parts
        )


def _text(part: str | Sent) -> str:
    return part.text if isinstance(part, Sent) else part


#: Outside RFC 6749's error_description set (§5.2, §4.1.2.1): %x20-21 / %x23-5B / %x5D-7E.
_NOT_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
#: The typography of localexa's own messages, in ASCII words: `RFC 9112 §6.1` read
#: `RFC 9112 U+00A76.1` (re-verification of 2026-12-06). Only before a digit for `§` and `±`: a
#: lone one names no section or tolerance, and is told as its code point.
_ASCII_WORDS = re.compile(r"§ ?(?=\d)|±(?=\d)|…")
_WORDS = {"±": "+/-", "…": "..."}


def _ascii_words(text: str) -> str:
    return _ASCII_WORDS.sub(lambda m: _WORDS.get(m.group(), "section "), text)


def _described(part: Part) -> str:
    if isinstance(part, Sent):
        return part.text
    if isinstance(part, Code):
        return f"`{_ascii_words(part.text)}`"
    return _ascii_words(part)


def description_text(text: str | Parts) -> str:
    """`text` within RFC 6749's error_description characters (%x20-21 / %x23-5B / %x5D-7E): `"`
    becomes `'`, a section sign before a number `section ` (`§6.1` → `section 6.1`), `±` before one
    `+/-`, `…` `...`; any other character outside them its code point (`é` → `U+00E9`, `\\` →
    `U+005C`). The words are for localexa's own text only (a `str`, and the text of a `Code`): a
    value of the request (a `Sent` part) keeps every character of the set as it is and spells
    every other one as its code point, `…§1±2` reads `U+2026U+00A71U+00B12` (since 2026-12-06
    evening; it read `...section 1+/-2`, as if the client had sent that, rev3 QA), but for `"`,
    which reads `'` there too: `it"s` and `it's` read the same."""
    parts = text.parts if isinstance(text, Parts) else (text,)
    joined = "".join(_described(part) for part in parts)
    return _NOT_DESCRIPTION.sub(lambda m: "'" if m.group() == '"' else f"U+{ord(m.group()):04X}", joined)
